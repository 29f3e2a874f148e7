//! Tests of the PDH-CSV reader: the header, counter paths, the DST note, and the plain reader
//! (`pdh_rows`) held equal to polars' path on plain files, damaged cells included.
use super::*;

#[test]
fn header_cell_gives_zone_and_bias() {
    let h = parse_pdh_header("(PDH-CSV 4.0) (Pacific Daylight Time)(420)");
    assert_eq!(h.zone_name.as_deref(), Some("Pacific Daylight Time"));
    assert_eq!(h.bias_minutes, Some(420));
    let h = parse_pdh_header("(PDH-CSV 4.0) (W. Europe Daylight Time)(-120)");
    assert_eq!(h.bias_minutes, Some(-120));
    let h = parse_pdh_header("(PDH-CSV 4.0)");
    assert_eq!((h.zone_name, h.bias_minutes), (None, None));
}

#[test]
fn counter_paths_split_with_awkward_instances() {
    let p = parse_counter_path(r"\\SIPSVR01\Process(mysqld)\Handle Count");
    assert_eq!(p.host.as_deref(), Some("SIPSVR01"));
    assert_eq!(p.object.as_deref(), Some("Process"));
    assert_eq!(p.instance.as_deref(), Some("mysqld"));
    assert_eq!(p.counter.as_deref(), Some("Handle Count"));
    let p =
        parse_counter_path(r"\\H\Network Interface(Intel(R) PRO/1000, Port 2#1)\Bytes Total/sec");
    assert_eq!(p.object.as_deref(), Some("Network Interface"));
    assert_eq!(p.instance.as_deref(), Some("Intel(R) PRO/1000, Port 2#1"));
    let p = parse_counter_path(r"\\H\Memory\Pool Paged Bytes");
    assert_eq!((p.object.as_deref(), p.instance), (Some("Memory"), None));
}

#[test]
fn a_file_across_the_autumn_change_is_noted() {
    let first = Utc.with_ymd_and_hms(2011, 11, 5, 12, 0, 0).unwrap();
    let last = Utc.with_ymd_and_hms(2011, 11, 7, 12, 0, 0).unwrap();
    assert!(dst_note("Pacific Daylight Time", 420, first, last).is_some());
    assert!(dst_note("Pacific Daylight Time", 420, first, first).is_none());
}

/// A plain PDH file of `rows` rows over two counters (CRLF line ends, as typeperf writes), with
/// missing, blank, spaced, localized and unreadable values and unreadable times spread over
/// several blocks of the plain reader.
fn plain_file(rows: usize, bad_times: bool) -> String {
    let mut text = String::from(
        "\"(PDH-CSV 4.0) (Pacific Daylight Time)(420)\",\"\\\\H\\Memory\\Available MBytes\",\"\\\\H\\Process(a,b)\\Handle Count\"\r\n",
    );
    for row in 0..rows {
        let (minute, second) = (row / 60 % 60, row % 60);
        let hour = row / 3600;
        let time = match row % 9973 {
            17 | 18 if !bad_times => format!("08/15/2011 {hour:02}:{minute:02}:{second:02}"),
            17 => "not a time".to_string(),
            18 => String::new(),
            _ => format!("08/15/2011 {hour:02}:{minute:02}:{second:02}.125"),
        };
        let first = match row % 9001 {
            3 => "\"\"".to_string(),
            4 => "\" \"".to_string(),
            5 => "\"oops\"".to_string(),
            6 => "\"1,234\"".to_string(),
            7 => "\" 12,5 \"".to_string(),
            8 => "1,234.5".replace(',', ""),
            9 => String::new(),
            _ => format!("\"{}.{:06}\"", 2000 + row % 97, row * 7919 % 1_000_000),
        };
        let second_value = if row % 2503 == 11 {
            "\"n/a\"".to_string()
        } else {
            format!("{}", row % 5000)
        };
        text.push_str(&format!("\"{time}\",{first},{second_value}\r\n"));
    }
    text
}

/// The file read both ways: the plain reader's result (polars' when the file is not plain) and
/// polars', each as its debug text (NaN samples compare equal there), and the first's report.
fn read_both(text: &str) -> (String, String, InputReport) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("perfmon.csv");
    std::fs::write(&path, text).unwrap();
    let opts = MetricReadOptions::default();
    let plain = read(&path, &opts, true).unwrap();
    let polars = read(&path, &opts, false).unwrap();
    (format!("{plain:?}"), format!("{polars:?}"), plain.report)
}

#[test]
fn the_plain_reader_gives_what_polars_path_gives() {
    // 60,000 rows are about 3 MB: several blocks, unreadable cells in each.
    let text = plain_file(60_000, true);
    let body = text.as_str();
    let plain = pdh_rows::plain_header(body).expect("a plain header");
    let to_utc = |n: chrono::NaiveDateTime| Some(Reading::exact(Utc.from_utc_datetime(&n)));
    assert!(
        plain.read(&to_utc).is_some(),
        "the plain reader takes this file"
    );
    let (fast, polars, report) = read_both(&text);
    assert_eq!(fast, polars);
    // The damage is there to be named: skipped rows (two in every 9973), unreadable values.
    let bad_times = (0..60_000).filter(|r| matches!(r % 9973, 17 | 18)).count();
    assert_eq!(report.records_skipped, bad_times as u64);
    assert_eq!(report.records_read, 60_000 - bad_times as u64);
    assert_eq!(
        report.problems[0],
        "line 19: cannot read \"not a time\" as a sample time; row skipped"
    );
    assert_eq!(report.problems.len(), 10, "the first ten are named");
    let timed = |r: &usize| !matches!(r % 9973, 17 | 18);
    let bad_values = (0..60_000)
        .filter(timed)
        .map(|r| usize::from(matches!(r % 9001, 5 | 6)) + usize::from(r % 2503 == 11))
        .sum::<usize>();
    let note = format!("{bad_values} values could not be read as numbers");
    assert!(fast.contains(&note), "{note}");

    // Without unreadable times, the unreadable values are the ones named, in column order.
    let (fast, polars, report) = read_both(&plain_file(60_000, false));
    assert_eq!(fast, polars);
    assert_eq!(report.records_skipped, 0);
    assert_eq!(
        report.problems[0],
        "line 7: \\\\H\\Memory\\Available MBytes: cannot read \"oops\" as a number; counted as missing"
    );
    // The tenth is in the second block of rows (1 MiB a block, over 40 bytes a row).
    assert!(
        report.problems[9]
            .starts_with("line 36012: \\\\H\\Memory\\Available MBytes: cannot read \"1,234\""),
        "{:?}",
        report.problems
    );

    // A last row without its line end, whole, is read; cut off mid-row, it is named and skipped.
    let (fast, polars, report) = read_both(text.trim_end());
    assert_eq!(fast, polars);
    assert_eq!(report.records_read, 60_000 - bad_times as u64);
    let cut = format!("{text}\"08/15/2011 23:59:59.000\",\"1");
    let (fast, polars, report) = read_both(&cut);
    assert_eq!(fast, polars);
    assert!(report.problems[0].contains("line 60002: the file ends in the middle of a row"));
}

#[test]
fn a_file_that_is_not_plain_is_left_to_polars() {
    let text = plain_file(30_000, true);
    // A row of fewer fields far down, an inner quote, a blank line: polars reads each.
    for damage in [
        "\"08/15/2011 20:00:00.000\"\r\n",
        "\"08/15/2011 20:00:00.000\",\"1\"\"2\",3\r\n",
        "\r\n",
    ] {
        let at = text.len() - 1000;
        let at = at + text[at..].find('\n').unwrap() + 1;
        let damaged = format!("{}{damage}{}", &text[..at], &text[at..]);
        let plain = pdh_rows::plain_header(&damaged).unwrap();
        let to_utc = |n: chrono::NaiveDateTime| Some(Reading::exact(Utc.from_utc_datetime(&n)));
        assert!(plain.read(&to_utc).is_none(), "{damage:?} is not plain");
        let (fast, polars, _) = read_both(&damaged);
        assert_eq!(fast, polars);
    }
    // A repeated counter name: polars names the copy.
    let repeated =
        "\"(PDH-CSV 4.0) (X)(0)\",\"\\\\H\\A\\B\",\"\\\\H\\A\\B\"\n\"08/15/2011 10:00:00\",1,2\n";
    assert!(pdh_rows::plain_header(repeated).is_none());
}
