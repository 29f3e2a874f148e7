//! The bad-input corpus end to end: the committed CSVs under `tests/bad/` (made by
//! `tests/bad/generate.py`) and damaged EVTX copies made here from `fixtures/aug15/System.evtx`.
//! For every case: no panic, exit 0 (1 with `--strict` when something was skipped) or 2 when the
//! file is unusable, a line naming the file and where, the readable data used, and the skipped
//! count the same on stderr and in the report's JSON.
use crate::common;

use common::{aug15, run, Run};
use std::path::{Path, PathBuf};

/// What a case must give.
#[derive(Debug, Clone)]
enum Expect {
    /// Read: at least `read` records, `skipped` says whether any were skipped, and some stderr
    /// line about the file contains `mention`.
    Read {
        read: u64,
        skipped: bool,
        mention: &'static str,
    },
    /// Unusable (exit 2), with one stderr line naming the file and containing `mention`.
    Unusable { mention: &'static str },
}

struct Case {
    path: PathBuf,
    command: &'static str,
    extra: Vec<&'static str>,
    expect: Expect,
}

fn read(read: u64, skipped: bool, mention: &'static str) -> Expect {
    Expect::Read {
        read,
        skipped,
        mention,
    }
}

fn bad(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/bad")
        .join(sub)
}

fn arg(p: &Path) -> String {
    p.display().to_string()
}

/// The committed CSV cases.
fn csv_cases() -> Vec<Case> {
    let la = vec!["--input-tz", "America/Los_Angeles"];
    let probe = |name: &str, expect: Expect| Case {
        path: bad(&format!("probes/{name}")),
        command: "probes",
        extra: Vec::new(),
        expect,
    };
    let metric = |dir: &str, name: &str, expect: Expect| Case {
        path: bad(&format!("{dir}/{name}")),
        command: "metrics",
        extra: Vec::new(),
        expect,
    };
    vec![
        probe("ragged.csv", read(11, true, "line 7: ")),
        probe("unclosed_quote.csv", read(7, false, "line 5: a quote")),
        probe("nul_bytes.csv", read(6, true, "line 6: ")),
        probe("cp1252.csv", read(6, false, "Windows-1252")),
        probe("utf16le.csv", read(6, false, "")),
        probe("utf16be.csv", read(6, false, "")),
        probe("utf8_bom.csv", read(6, false, "")),
        probe("crlf.csv", read(6, false, "")),
        probe("lone_cr.csv", read(6, false, "lone CR")),
        probe("header_only.csv", read(0, false, "")),
        probe("empty.csv", Expect::Unusable { mention: "empty" }),
        // one row three times: two of them are duplicates, skipped and said
        probe("duplicate_unsorted.csv", read(6, true, "duplicates")),
        probe("years_1601_9999.csv", read(5, false, "")),
        Case {
            extra: la.clone(),
            ..probe("dst_change.csv", read(8, true, "line 9: "))
        },
        probe("injection.csv", read(7, false, "")),
        probe("number_formats.csv", read(4, false, "")),
        metric(
            "metrics",
            "thousands_and_decimal_commas.csv",
            // every row kept; the unreadable "1,234" is a missing value, named, not a skipped row
            read(4, false, "line 2: "),
        ),
        metric("metrics", "ragged.csv", read(4, false, "")),
        metric("metrics", "nul_bytes.csv", read(3, true, "line 4: ")),
        metric("metrics", "cp1252.csv", read(2, false, "Windows-1252")),
        metric("metrics", "lone_cr.csv", read(2, false, "lone CR")),
        metric("metrics", "header_only.csv", read(0, false, "")),
        metric(
            "metrics",
            "unclosed_quote.csv",
            read(3, false, "line 3: a quote"),
        ),
        metric("metrics", "duplicate_unsorted.csv", read(4, false, "")),
        metric(
            "pdh",
            "no_bias.csv",
            Expect::Unusable {
                mention: "--input-tz",
            },
        ),
        Case {
            extra: la,
            ..metric("pdh", "no_bias.csv", read(2, false, ""))
        },
        metric("pdh", "duplicate_counter.csv", read(2, false, "")),
        metric("pdh", "damaged_rows.csv", read(5, true, "line 8: ")),
        metric("pdh", "utf16le.csv", read(1, false, "UTF-16")),
        metric("pdh", "header_only.csv", read(0, false, "")),
        metric(
            "pdh",
            "huge_bias.csv",
            Expect::Unusable {
                mention: "no usable time zone bias",
            },
        ),
        Case {
            extra: vec!["--input-tz", "America/Los_Angeles"],
            ..metric("pdh", "huge_bias.csv", read(1, false, ""))
        },
    ]
}

/// The `N read, M skipped` summary line for `path`.
fn summary(r: &Run, path: &Path) -> Option<(u64, u64)> {
    let prefix = format!("{}: ", path.display());
    r.stderr.lines().find_map(|l| {
        let rest = l.strip_prefix(&prefix)?;
        let (read, rest) = rest.split_once(" read, ")?;
        let (skipped, _) = rest.split_once(" skipped")?;
        Some((read.parse().ok()?, skipped.parse().ok()?))
    })
}

fn assert_no_panic(r: &Run, what: &str) {
    assert!(r.code.is_some(), "{what}: killed by a signal\n{}", r.stderr);
    assert_ne!(r.code, Some(101), "{what}: panicked\n{}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "{what}:\n{}", r.stderr);
}

/// Runs one case through its command, `--strict`, and `report --format json`.
fn check(case: &Case) {
    let path = arg(&case.path);
    let what = format!("{} {path}", case.command);
    let format = if case.command == "events" {
        "jsonl"
    } else {
        "json"
    };
    let mut args = vec![case.command, &path, "--format", format];
    args.extend(case.extra.iter().copied());
    let r = run(&args);
    assert_no_panic(&r, &what);
    let about: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.contains(&path) && !l.contains(" read, "))
        .collect();
    match &case.expect {
        Expect::Unusable { mention } => {
            assert_eq!(r.code, Some(2), "{what}:\n{}", r.stderr);
            assert_eq!(
                about.len(),
                1,
                "{what}: one line names the file:\n{}",
                r.stderr
            );
            assert!(about[0].contains(mention), "{what}: {}", about[0]);
        }
        Expect::Read {
            read,
            skipped,
            mention,
        } => {
            assert_eq!(r.code, Some(0), "{what}:\n{}", r.stderr);
            let (n_read, n_skipped) = summary(&r, &case.path)
                .unwrap_or_else(|| panic!("{what}: no summary\n{}", r.stderr));
            assert!(
                n_read >= *read,
                "{what}: read {n_read}, want {read}\n{}",
                r.stderr
            );
            assert_eq!(
                n_skipped > 0,
                *skipped,
                "{what}: skipped {n_skipped}\n{}",
                r.stderr
            );
            if *skipped {
                assert!(
                    !about.is_empty(),
                    "{what}: nothing says what was skipped\n{}",
                    r.stderr
                );
            }
            assert!(
                mention.is_empty() || about.iter().any(|l| l.contains(mention)),
                "{what}: no line with {mention:?}\n{}",
                r.stderr
            );
            let mut strict = args.clone();
            strict.push("--strict");
            let s = run(&strict);
            assert_no_panic(&s, &what);
            assert_eq!(
                s.code,
                Some(if *skipped { 1 } else { 0 }),
                "{what} --strict"
            );
            check_report_json(case, n_read, n_skipped);
        }
    }
}

/// The report's JSON counts the same reads and skips as the summary line.
fn check_report_json(case: &Case, n_read: u64, n_skipped: u64) {
    let path = arg(&case.path);
    let forced = match case.command {
        "events" => "--evtx",
        "probes" => "--probes",
        _ => "--metrics",
    };
    let mut args = vec!["report", forced, &path, "--format", "json"];
    args.extend(case.extra.iter().copied());
    let r = run(&args);
    assert_no_panic(&r, &format!("report {path}"));
    if r.code != Some(0) {
        // A report needs evidence; an input with no rows may leave it nothing to say.
        assert!(
            n_read == 0,
            "report {path}: exit {:?}\n{}",
            r.code,
            r.stderr
        );
        return;
    }
    let json: serde_json::Value = serde_json::from_str(&r.stdout).expect("report JSON");
    let input = json["inputs"]
        .as_array()
        .and_then(|a| a.iter().find(|i| i["path"] == path.as_str()))
        .unwrap_or_else(|| panic!("report {path}: not in inputs\n{}", r.stdout));
    assert_eq!(input["records_read"], n_read, "report {path}");
    assert_eq!(input["records_skipped"], n_skipped, "report {path}");
}

#[test]
fn every_committed_csv_case() {
    for case in csv_cases() {
        check(&case);
    }
}

// ---------------------------------------------------------------- EVTX, made at test time

const HEADER: usize = 4096;
const CHUNK: usize = 0x1_0000;

fn system_evtx() -> Vec<u8> {
    std::fs::read(aug15("System.evtx")).expect("fixture")
}

/// Byte offsets (in the file) of the records of chunk `n`.
fn record_offsets(bytes: &[u8], n: usize) -> Vec<usize> {
    let base = HEADER + n * CHUNK;
    let free = u32::from_le_bytes(bytes[base + 48..base + 52].try_into().expect("4")) as usize;
    let mut at = 512;
    let mut out = Vec::new();
    while at < free {
        out.push(base + at);
        at +=
            u32::from_le_bytes(bytes[base + at + 4..base + at + 8].try_into().expect("4")) as usize;
    }
    out
}

fn fix_header_crc(bytes: &mut [u8]) {
    let crc = crc32(&bytes[..120]);
    bytes[124..128].copy_from_slice(&crc.to_le_bytes());
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Deterministic bytes (xorshift), for the random chunk.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Damaged copies of System.evtx (4 chunks, 426 records) written into `dir`.
fn evtx_cases(dir: &Path) -> Vec<Case> {
    let good = system_evtx();
    let chunk_records: Vec<u64> = (0..4)
        .map(|n| record_offsets(&good, n).len() as u64)
        .collect();
    let total: u64 = chunk_records.iter().sum();
    let mut cases = Vec::new();
    let mut add = |name: String, bytes: Vec<u8>, expect: Expect| {
        let path = dir.join(format!("{name}.evtx"));
        std::fs::write(&path, bytes).expect("write");
        cases.push(Case {
            path,
            command: "events",
            extra: Vec::new(),
            expect,
        });
    };
    for cut in [0, 7, 100, 4095] {
        add(
            format!("truncated_at_{cut}"),
            good[..cut].to_vec(),
            Expect::Unusable { mention: "" },
        );
    }
    for cut in [
        HEADER,
        HEADER + 200,
        HEADER + CHUNK - 1,
        HEADER + CHUNK,
        HEADER + CHUNK + 513,
        HEADER + 2 * CHUNK + 30_000,
        HEADER + 3 * CHUNK + 100,
        good.len() - 1,
    ] {
        let whole = (cut - HEADER) / CHUNK;
        let kept: u64 = chunk_records[..whole].iter().sum();
        add(
            format!("truncated_at_{cut}"),
            good[..cut].to_vec(),
            read(kept, true, "missing"),
        );
    }
    for n in 0..4 {
        let mut bytes = good.clone();
        bytes[HEADER + n * CHUNK..HEADER + (n + 1) * CHUNK].fill(0);
        let mention = [
            "chunk 0 unreadable",
            "chunk 1 unreadable",
            "chunk 2 unreadable",
            "chunk 3 unreadable",
        ][n];
        add(
            format!("chunk_{n}_zeroed"),
            bytes,
            read(total - chunk_records[n], true, mention),
        );
    }
    let mut bytes = good.clone();
    bytes[60] ^= 0xFF;
    add(
        "bad_header_crc".into(),
        bytes,
        read(total, false, "file header checksum"),
    );
    let mut bytes = good.clone();
    bytes[HEADER + CHUNK + 60] ^= 0xFF;
    add(
        "bad_chunk_header_crc".into(),
        bytes,
        read(total, false, "chunk 1: header checksum"),
    );
    let mut bytes = good.clone();
    bytes[HEADER + CHUNK + 52] ^= 0xFF;
    add(
        "bad_chunk_data_crc".into(),
        bytes,
        read(total, false, "chunk 1: record data checksum"),
    );
    let mut bytes = good.clone();
    bytes[120] |= 1;
    fix_header_crc(&mut bytes);
    add("dirty_header".into(), bytes, read(total, false, "dirty"));
    let mut bytes = good.clone();
    bytes[..8].copy_from_slice(b"ElfFilX\0");
    add(
        "wrong_magic".into(),
        bytes,
        Expect::Unusable {
            mention: "not an EVTX file",
        },
    );
    let mut bytes = good.clone();
    bytes[HEADER + 2 * CHUNK..HEADER + 3 * CHUNK].copy_from_slice(&noise(CHUNK, 7));
    add(
        "chunk_2_random".into(),
        bytes,
        read(total - chunk_records[2], true, "chunk 2 unreadable"),
    );
    let mut bytes = good.clone();
    bytes.extend(noise(CHUNK, 11));
    add(
        "random_chunk_appended".into(),
        bytes,
        read(total, true, "chunk"),
    );
    for (name, size) in [("record_size_huge", u32::MAX), ("record_size_zero", 0)] {
        let mut bytes = good.clone();
        let at = record_offsets(&good, 1)[3];
        bytes[at + 4..at + 8].copy_from_slice(&size.to_le_bytes());
        add(
            name.into(),
            bytes,
            read(chunk_records[0] + 3, true, "chunk 1"),
        );
    }
    cases
}

#[test]
fn every_damaged_evtx_copy() {
    let tmp = tempfile::tempdir().expect("tempdir");
    for case in evtx_cases(tmp.path()) {
        check(&case);
    }
}

/// Every truncation point, chunk by chunk: read + skipped always accounts for all 426 records.
#[test]
fn truncation_anywhere_accounts_for_every_record() {
    let good = system_evtx();
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join("cut.evtx");
    let mut cuts: Vec<usize> = (HEADER..good.len()).step_by(4093).collect();
    cuts.push(good.len());
    for cut in cuts {
        std::fs::write(&path, &good[..cut]).expect("write");
        let r = run(["events", &arg(&path), "--format", "jsonl"]);
        assert_no_panic(&r, &format!("cut at {cut}"));
        let (n_read, n_skipped) = summary(&r, &path).expect("summary");
        assert_eq!(n_read + n_skipped, 426, "cut at {cut}:\n{}", r.stderr);
        assert_eq!(r.stdout.lines().count() as u64, n_read, "cut at {cut}");
    }
}

// ---------------------------------------------------------------- big inputs, made at test time

/// A 10 MB line among good rows: the good rows are read, the line is skipped and named.
#[test]
fn a_10_mb_line_is_skipped_and_named() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut text = String::from("timestamp,monitor,status,response_time_ms\n");
    for i in 0..3 {
        text.push_str(&format!("2011-08-15T23:0{i}:00Z,us-west,up,30\n"));
    }
    text.push_str("2011-08-15T23:03:00Z,");
    text.push_str(&"x".repeat(10 * 1024 * 1024));
    text.push_str(",up,30\n");
    for i in 4..7 {
        text.push_str(&format!("2011-08-15T23:0{i}:00Z,us-west,up,30\n"));
    }
    for (command, name) in [("probes", "probes.csv"), ("metrics", "metrics.csv")] {
        let path = tmp.path().join(name);
        let body = if command == "metrics" {
            text.replace("monitor,status,response_time_ms", "name,state,calls")
                .replace(",us-west,up,30", ",1,2,30")
        } else {
            text.clone()
        };
        std::fs::write(&path, body).expect("write");
        let r = run([command, &arg(&path), "--format", "json"]);
        assert_no_panic(&r, command);
        assert_eq!(r.code, Some(0), "{command}:\n{}", r.stderr);
        let (n_read, n_skipped) = summary(&r, &path).expect("summary");
        assert_eq!((n_read, n_skipped), (6, 1), "{command}:\n{}", r.stderr);
        assert!(
            r.stderr
                .lines()
                .any(|l| l.contains(name) && l.contains("line 5: ")),
            "{command}:\n{}",
            r.stderr
        );
    }
}

/// Times from 1601 to 9999 resampled by the second would be trillions of rows: a clear error.
#[test]
fn a_resample_too_big_is_refused_not_attempted() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join("years.csv");
    std::fs::write(
        &path,
        "timestamp,active_calls\n1601-01-01T00:00:00Z,1\n2011-08-15T23:00:00Z,37\n9999-12-31T23:59:59Z,2\n",
    )
    .expect("write");
    let r = run(["metrics", &arg(&path), "--resample", "1s"]);
    assert_no_panic(&r, "resample");
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(r.stderr.contains("--resample"), "{}", r.stderr);
}
