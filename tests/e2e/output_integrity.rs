//! Input content can never change what the output means: no CSV cell a spreadsheet would run as a
//! formula (events, probes, metrics, resampled metrics, timeline), JSON that round-trips hostile
//! strings exactly, `-o` atomic and never over an input (however the path is spelled), and no file
//! written anywhere but where the command line says.
use crate::common;

use common::{arg, run, run_ok};
use faultline::synth::evtx_writer::{write_evtx, SynthRecord};
use std::path::Path;

const FORMULAS: [&str; 4] = [
    "=HYPERLINK(\"http://x.invalid\")",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1)",
];

/// A folder of inputs whose names, providers, data and column names are formulas.
fn hostile_inputs(dir: &Path) {
    let start = faultline::synth::story::pdt(2011, 8, 15, 17, 0, 0);
    let records: Vec<SynthRecord> = FORMULAS
        .iter()
        .enumerate()
        .map(|(i, f)| SynthRecord {
            time: start + chrono::Duration::minutes(i as i64),
            provider: (*f).into(),
            event_id: 333,
            qualifiers: None,
            level: 2,
            channel: "System".into(),
            computer: (*f).into(),
            data: vec![(None, (*f).into()), (Some("Name".into()), (*f).into())],
        })
        .collect();
    std::fs::write(dir.join("System.evtx"), write_evtx(&records)).expect("write evtx");
    let mut probes = String::from("timestamp,monitor,status,response_time_ms\n");
    for minute in 0..30 {
        let t = start + chrono::Duration::minutes(minute);
        let t = faultline::model::rfc3339(&t);
        let down = (10..20).contains(&minute);
        for name in FORMULAS {
            let name = name.replace('"', "\"\"");
            let status = if down { "down" } else { "up" };
            probes.push_str(&format!("{t},\"{name}\",{status},30\n"));
        }
        probes.push_str(&format!("{t},plain,up,30\n"));
    }
    std::fs::write(dir.join("probes.csv"), probes).expect("write probes");
    let mut metrics = String::from("timestamp");
    for f in FORMULAS {
        metrics.push_str(&format!(",\"{}\"", f.replace('"', "\"\"")));
    }
    metrics.push('\n');
    for minute in 0..30 {
        let t = faultline::model::rfc3339(&(start + chrono::Duration::minutes(minute)));
        metrics.push_str(&format!("{t},1,2,3,4\n"));
    }
    std::fs::write(dir.join("metrics.csv"), metrics).expect("write metrics");
}

/// Every cell that starts like a formula must be a plain number.
fn assert_no_formulas(what: &str, csv_text: &str) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv_text.as_bytes());
    let mut cells = 0;
    for record in reader.records() {
        let record = record.unwrap_or_else(|e| panic!("{what}: not CSV: {e}"));
        for cell in record.iter() {
            cells += 1;
            let risky = matches!(
                cell.as_bytes().first(),
                Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
            );
            assert!(
                !risky || cell.parse::<f64>().is_ok(),
                "{what}: cell {cell:?} would run as a formula"
            );
        }
    }
    assert!(cells > 0, "{what}: empty output");
}

#[test]
fn no_csv_output_carries_a_formula() {
    let tmp = tempfile::tempdir().expect("tempdir");
    hostile_inputs(tmp.path());
    let dir = arg(tmp.path());
    let evtx = arg(&tmp.path().join("System.evtx"));
    let metrics = arg(&tmp.path().join("metrics.csv"));
    let runs: Vec<(&str, Vec<&str>)> = vec![
        ("events csv", vec!["events", &evtx, "--format", "csv"]),
        (
            "events count csv",
            vec!["events", &evtx, "--count", "--format", "csv"],
        ),
        ("probes csv", vec!["probes", &dir, "--format", "csv"]),
        ("metrics csv", vec!["metrics", &metrics, "--format", "csv"]),
        (
            "metrics resample",
            vec!["metrics", &metrics, "--resample", "5m"],
        ),
        ("timeline csv", vec!["timeline", &dir, "--format", "csv"]),
    ];
    for (what, args) in runs {
        let out = run_ok(&args);
        // The hostile text is there (neutralized), not dropped.
        assert!(
            out.contains("SUM(A1)"),
            "{what}: hostile text missing:\n{out}"
        );
        assert_no_formulas(what, &out);
    }
}

#[test]
fn json_round_trips_hostile_strings_exactly() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let nasty = "quote \" backslash \\ newline \n tab \t bell \u{7} </script> \u{2028} é";
    let record = SynthRecord {
        time: faultline::synth::story::pdt(2011, 8, 15, 17, 0, 0),
        provider: nasty.into(),
        event_id: 1,
        qualifiers: None,
        level: 4,
        channel: "Application".into(),
        computer: "HOST".into(),
        data: vec![(Some("Text".into()), nasty.into())],
    };
    let path = tmp.path().join("nasty.evtx");
    std::fs::write(&path, write_evtx(&[record])).expect("write");
    let out = run_ok(["events", &arg(&path), "--format", "jsonl"]);
    assert_eq!(out.lines().count(), 1, "one event, one line: {out}");
    let event: serde_json::Value = serde_json::from_str(out.trim_end()).expect("JSON");
    assert_eq!(event["provider"], nasty);
    assert_eq!(event["data"]["Text"], nasty);
    let report = run_ok(["report", "--evtx", &arg(&path), "--format", "json", "-q"]);
    serde_json::from_str::<serde_json::Value>(&report).expect("report JSON parses");
}

/// Every spelling of an input path is refused as `-o`, and the input is left as it was.
#[test]
fn output_never_overwrites_an_input_however_spelled() {
    let tmp = tempfile::tempdir().expect("tempdir");
    hostile_inputs(tmp.path());
    let dir = tmp.path();
    let probes = dir.join("probes.csv");
    let before = std::fs::read(&probes).expect("read");
    let sub = dir.join("sub");
    std::fs::create_dir(&sub).expect("mkdir");
    let link = dir.join("link.csv");
    #[cfg(unix)]
    std::os::unix::fs::symlink(&probes, &link).expect("symlink");
    let spellings = [
        arg(&probes),
        format!("{}/../probes.csv", sub.display()),
        format!("{}/./probes.csv", dir.display()),
        arg(&link),
    ];
    for target in spellings {
        for command in [
            vec!["report", &arg(dir), "-q", "-o", &target],
            vec![
                "timeline",
                &arg(dir),
                "--format",
                "csv",
                "-q",
                "-o",
                &target,
            ],
        ] {
            let r = run(&command);
            assert_eq!(r.code, Some(2), "{command:?}: {}", r.stderr);
            assert!(r.stderr.contains("refusing to overwrite"), "{}", r.stderr);
            assert_eq!(std::fs::read(&probes).expect("read"), before, "{command:?}");
        }
    }
}

/// `-o` a FIFO (what `-o /dev/stdout` or `-o >(gzip > r.gz)` open) or a link is written through,
/// not renamed over: a rename puts a plain file in their place, as it once did to /dev/null.
#[cfg(unix)]
#[test]
fn output_into_a_fifo_or_a_link_is_written_through_not_replaced() {
    use std::os::unix::fs::FileTypeExt;
    let tmp = tempfile::tempdir().expect("tempdir");
    let inputs = tmp.path().join("in");
    std::fs::create_dir(&inputs).expect("mkdir");
    hostile_inputs(&inputs);
    let plain = tmp.path().join("plain.md");
    run_ok(["report", &arg(&inputs), "-q", "-o", &arg(&plain)]);
    let expected = std::fs::read_to_string(&plain).expect("read");

    let fifo = tmp.path().join("pipe");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.expect("mkfifo").success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo))
    };
    run_ok(["report", &arg(&inputs), "-q", "-o", &arg(&fifo)]);
    let kind = std::fs::symlink_metadata(&fifo).expect("stat").file_type();
    // Checked before joining: had the FIFO been replaced, its reader would wait forever.
    assert!(kind.is_fifo(), "the FIFO became {kind:?}");
    assert_eq!(reader.join().expect("reader").expect("read"), expected);

    let target = tmp.path().join("target.md");
    std::fs::write(&target, "old").expect("write");
    let link = tmp.path().join("link.md");
    std::os::unix::fs::symlink(&target, &link).expect("symlink");
    run_ok(["report", &arg(&inputs), "-q", "-o", &arg(&link)]);
    let kind = std::fs::symlink_metadata(&link).expect("stat").file_type();
    assert!(kind.is_symlink(), "the link became {kind:?}");
    assert_eq!(std::fs::read_to_string(&target).expect("read"), expected);
}

/// Only the `-o` file appears, whatever the inputs contain (names like `../../etc/passwd`).
#[test]
fn no_file_is_written_but_the_one_asked_for() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let inputs = tmp.path().join("in");
    std::fs::create_dir(&inputs).expect("mkdir");
    hostile_inputs(&inputs);
    let bad = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad/probes/injection.csv");
    std::fs::copy(bad, inputs.join("injection.csv")).expect("copy");
    let work = tmp.path().join("work");
    std::fs::create_dir(&work).expect("mkdir");
    let listing = |d: &Path| -> Vec<String> {
        let mut names: Vec<String> = walk(d).iter().map(|p| arg(p)).collect();
        names.sort();
        names
    };
    let before = listing(tmp.path());
    for (args, out) in [
        (vec!["report", "-q", "-o", "out.md"], "out.md"),
        (
            vec!["timeline", "-q", "--format", "csv", "-o", "t.csv"],
            "t.csv",
        ),
    ] {
        let mut full = args.clone();
        let input_arg = arg(&inputs);
        full.insert(1, &input_arg);
        let r = common::faultline()
            .current_dir(&work)
            .args(&full)
            .output()
            .expect("runs");
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        let mut expected = before.clone();
        expected.push(arg(&work.join(out)));
        expected.sort();
        assert_eq!(listing(tmp.path()), expected, "{args:?}");
        std::fs::remove_file(work.join(out)).expect("remove");
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
