//! `events --count` over one event export is counted as the file is read (no event held): it must
//! give what counting the listing gives, with the same notes and problems on stderr, for every
//! export format, and across what makes a text export's times depend on the whole file (a DST
//! fall-back's repeated hour in a newest-first file, a day-month order decided late or never).
//! The generated files' expected counts are worked out by hand from the UTC instants written.
use crate::common;

use common::{arg, jsonl, run};
use std::collections::BTreeMap;
use std::path::Path;

/// (channel, provider, event id) -> (count, first, last), from a `--count --format jsonl` run.
type Counts = BTreeMap<(String, String, u64), (u64, String, String)>;

fn counted(stdout: &str) -> Counts {
    jsonl(stdout)
        .iter()
        .map(|c| {
            let text = |k: &str| c[k].as_str().unwrap_or_default().to_string();
            (
                (
                    text("channel"),
                    text("provider"),
                    c["event_id"].as_u64().unwrap_or(0),
                ),
                (
                    c["count"].as_u64().unwrap_or(0),
                    text("first"),
                    text("last"),
                ),
            )
        })
        .collect()
}

/// The same counts made from the listed events.
fn counts_of_listing(stdout: &str) -> Counts {
    let mut counts = Counts::new();
    for e in jsonl(stdout) {
        let text = |k: &str| e[k].as_str().unwrap_or_default().to_string();
        let key = (
            text("channel"),
            text("provider"),
            e["event_id"].as_u64().unwrap_or(0),
        );
        let time = text("time");
        let c = counts.entry(key).or_insert((0, time.clone(), time.clone()));
        c.0 += 1;
        c.1 = c.1.clone().min(time.clone());
        c.2 = c.2.clone().max(time);
    }
    counts
}

/// Counts `path` and lists it with the same arguments: the counts agree, and so does stderr
/// (the reader's notes, the input's summary and problems, how many events matched).
fn count_matches_listing(path: &Path, extra: &[&str]) -> Counts {
    let p = arg(path);
    let mut count_args = vec!["events", p.as_str(), "--count", "--format", "jsonl"];
    count_args.extend(extra);
    let mut list_args = vec!["events", p.as_str(), "--format", "jsonl"];
    list_args.extend(extra);
    let count = run(&count_args);
    let list = run(&list_args);
    assert_eq!(count.code, list.code, "{p}: {}", count.stderr);
    assert_eq!(count.stderr, list.stderr, "{p} {extra:?}");
    let counts = counted(&count.stdout);
    assert_eq!(counts, counts_of_listing(&list.stdout), "{p} {extra:?}");
    counts
}

#[test]
fn every_export_fixture_counts_what_its_listing_lists() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/aug15-exports");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures/aug15-exports")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    assert!(files.len() >= 28, "{files:?}");
    for path in &files {
        let total = |c: &Counts| c.values().map(|c| c.0).sum::<u64>();
        let all = count_matches_listing(path, &[]);
        assert!(total(&all) > 40, "{path:?}");
        // A filter on id and time is applied while counting.
        let filter = ["--id", "7036,902,100,6005-6008", "--from", "2011-08-10"];
        let some = count_matches_listing(path, &filter);
        assert!(total(&some) > 0 && total(&some) < total(&all), "{path:?}");
        count_matches_listing(path, &["--input-tz", "America/Los_Angeles"]);
    }
}

/// An Event Viewer CSV (en-US) of `rows` (level, local time as written, source, id).
/// `events PATH --count --format jsonl --input-tz America/Los_Angeles`, for what it says on stderr.
fn count_in_los_angeles(path: &Path) -> common::Run {
    run([
        "events",
        &arg(path),
        "--count",
        "--format",
        "jsonl",
        "--input-tz",
        "America/Los_Angeles",
    ])
}

fn event_viewer_csv(
    dir: &Path,
    name: &str,
    rows: &[(&str, &str, &str, u32)],
) -> std::path::PathBuf {
    let mut text = String::from("Level,Date and Time,Source,Event ID,Task Category\r\n");
    for (level, time, source, id) in rows {
        text.push_str(&format!(
            "{level},{time},{source},{id},None,\"Event {id}.\"\r\n"
        ));
    }
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

/// Los Angeles fell back on 3 November 2024 at 09:00 UTC: 01:00-02:00 local came twice. Written
/// newest first, each time of the repeated hour is read by the file's order, which only the
/// whole file tells: the streamed count must wait for it and agree with the listing.
#[test]
fn a_newest_first_export_across_a_dst_fall_back_counts_each_pass_of_the_repeated_hour() {
    let dir = tempfile::tempdir().expect("tempdir");
    // (UTC, local as Event Viewer writes it), oldest first; written newest first below.
    let times = [
        ("2024-11-03T06:30:00Z", "11/2/2024 11:30:00 PM"),
        ("2024-11-03T07:30:00Z", "11/3/2024 12:30:00 AM"),
        ("2024-11-03T08:10:00Z", "11/3/2024 1:10:00 AM"),
        ("2024-11-03T08:40:00Z", "11/3/2024 1:40:00 AM"),
        ("2024-11-03T09:10:00Z", "11/3/2024 1:10:00 AM"),
        ("2024-11-03T09:40:00Z", "11/3/2024 1:40:00 AM"),
        ("2024-11-03T10:20:00Z", "11/3/2024 2:20:00 AM"),
    ];
    let ids = [41, 7036, 41, 7036, 41, 7036, 6005];
    let rows: Vec<(&str, &str, &str, u32)> = times
        .iter()
        .zip(ids)
        .rev()
        .map(|((_, local), id)| ("Information", *local, "P", id))
        .collect();
    let path = event_viewer_csv(dir.path(), "dst.csv", &rows);
    let counts = count_matches_listing(&path, &["--input-tz", "America/Los_Angeles"]);
    let key = |id: u64| (String::new(), "P".to_string(), id);
    let at = |i: usize| times[i].0.to_string();
    assert_eq!(counts.get(&key(41)), Some(&(3, at(0), at(4))));
    assert_eq!(counts.get(&key(7036)), Some(&(3, at(1), at(5))));
    assert_eq!(counts.get(&key(6005)), Some(&(1, at(6), at(6))));
    // The same times year first: these need no day-month order, so the rows before the
    // repeated hour are counted as they come and the rest wait for the file's direction.
    let year_first = [
        "2024-11-02 23:30:00",
        "2024-11-03 00:30:00",
        "2024-11-03 01:10:00",
        "2024-11-03 01:40:00",
        "2024-11-03 01:10:00",
        "2024-11-03 01:40:00",
        "2024-11-03 02:20:00",
    ];
    let rows: Vec<(&str, &str, &str, u32)> = year_first
        .iter()
        .zip(ids)
        .rev()
        .map(|(local, id)| ("Information", *local, "P", id))
        .collect();
    let path_ymd = event_viewer_csv(dir.path(), "dst-ymd.csv", &rows);
    let ymd = count_matches_listing(&path_ymd, &["--input-tz", "America/Los_Angeles"]);
    assert_eq!(ymd, counts);
    let r = count_in_los_angeles(&path);
    assert!(
        r.stderr
            .contains("4 local times fell in a repeated DST hour")
            && r.stderr
                .contains("2 read as the first pass of that hour, 2 as the second"),
        "{}",
        r.stderr
    );
}

/// Day-first dates whose order only a late row decides (13 July), after the rows of 1-12 July
/// that could be either; then a file where nothing decides (read day-first, and said), and one
/// with both orders (unusable, and said).
#[test]
fn day_first_dates_decided_late_or_never_count_as_listed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rows = Vec::new();
    let mut days = Vec::new();
    for day in 1..=14u32 {
        days.push(format!("{day:02}/07/2024 10:00:00"));
    }
    for (i, time) in days.iter().enumerate() {
        rows.push((
            "Error",
            time.as_str(),
            "Disk",
            if i % 2 == 0 { 7 } else { 153 },
        ));
    }
    let late = event_viewer_csv(dir.path(), "late.csv", &rows);
    let counts = count_matches_listing(&late, &[]);
    let key = |id: u64| (String::new(), "Disk".to_string(), id);
    assert_eq!(
        counts.get(&key(7)),
        Some(&(
            7,
            "2024-07-01T10:00:00Z".into(),
            "2024-07-13T10:00:00Z".into()
        ))
    );
    assert_eq!(
        counts.get(&key(153)),
        Some(&(
            7,
            "2024-07-02T10:00:00Z".into(),
            "2024-07-14T10:00:00Z".into()
        ))
    );
    let never = event_viewer_csv(dir.path(), "never.csv", rows.get(..12).unwrap_or_default());
    let counts = count_matches_listing(&never, &[]);
    assert_eq!(
        counts.get(&key(7)),
        Some(&(
            6,
            "2024-07-01T10:00:00Z".into(),
            "2024-07-11T10:00:00Z".into()
        ))
    );
    let r = run(["events", &arg(&never), "--count", "--format", "jsonl"]);
    assert!(
        r.stderr.contains("all 12 dates are ambiguous"),
        "{}",
        r.stderr
    );
    // --date-order turns the same file month-first: 7 January to 7 December.
    let mdy = count_matches_listing(&never, &["--date-order", "mdy"]);
    assert_eq!(
        mdy.get(&key(7)),
        Some(&(
            6,
            "2024-01-07T10:00:00Z".into(),
            "2024-11-07T10:00:00Z".into()
        ))
    );
    let mut both = rows.clone();
    both.push(("Error", "7/25/2024 10:00:00", "Disk", 7));
    let both = event_viewer_csv(dir.path(), "both.csv", &both);
    let r = run(["events", &arg(&both), "--count", "--format", "jsonl"]);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert!(
        r.stderr.contains("dates in both day-month orders"),
        "{}",
        r.stderr
    );
    count_matches_listing(&both, &[]);
}

/// Rows that cannot be used are skipped and named as the listing names them: a time a DST
/// change skipped, a date that is none in the file's order, an id that is no number.
#[test]
fn skipped_rows_are_counted_and_named_as_when_listed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rows = [
        ("Error", "3/10/2024 1:30:00 AM", "Disk", 7),
        // 02:30 did not exist in Los Angeles on 10 March 2024.
        ("Error", "3/10/2024 2:30:00 AM", "Disk", 7),
        ("Error", "2/30/2024 3:30:00 AM", "Disk", 7),
        ("Error", "3/10/2024 3:30:00 AM", "Disk", 7),
        ("Error", "3/13/2024 3:30:00 AM", "Disk", 7),
    ];
    let mut path = event_viewer_csv(dir.path(), "skips.csv", &rows);
    let mut text = std::fs::read_to_string(&path).expect("read");
    text.push_str("Error,3/10/2024 4:00:00 AM,Disk,seven,None,\"x\"\r\n");
    path = dir.path().join("skips2.csv");
    std::fs::write(&path, text).expect("write");
    let counts = count_matches_listing(&path, &["--input-tz", "America/Los_Angeles"]);
    assert_eq!(
        counts.values().next(),
        Some(&(
            3,
            "2024-03-10T09:30:00Z".into(),
            "2024-03-13T10:30:00Z".into()
        ))
    );
    let r = count_in_los_angeles(&path);
    assert!(r.stderr.contains("3 read, 3 skipped"), "{}", r.stderr);
}
