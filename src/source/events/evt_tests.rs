//! Tests of the `.evt` reader and writer: round trips, wraps, slack space, damage, a real file.
use super::*;
use chrono::TimeZone;

fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).single().expect("test time")
}

fn event(number: u64, provider: &str, id: u32, level: Level, strings: &[&str]) -> Event {
    Event {
        time: at(1_300_000_000 + number as i64 * 61),
        record_id: Some(number),
        channel: String::new(),
        provider: provider.into(),
        event_id: id,
        level,
        computer: "SRV-01".into(),
        message: None,
        data: EventData(
            strings
                .iter()
                .map(|s| DataField {
                    name: None,
                    value: s.to_string(),
                })
                .collect(),
        ),
        source_file: Arc::from("t.evt"),
    }
}

fn with_binary(mut e: Event, hex: &str) -> Event {
    e.data.0.push(DataField {
        name: Some("Binary".into()),
        value: hex.into(),
    });
    e
}

/// A small System-like log: varied sizes so that wrap points fall everywhere.
fn sample_events() -> Vec<Event> {
    vec![
        event(10, "EventLog", 6005, Level::INFORMATION, &[]),
        event(
            11,
            "EventLog",
            6009,
            Level::INFORMATION,
            &["5.02.", "3790", "Service Pack 2", "Uniprocessor Free"],
        ),
        with_binary(
            event(12, "Srv", 2019, Level::ERROR, &["\\Device\\LanmanServer"]),
            "0000040001002C00",
        ),
        event(
            13,
            "Service Control Manager",
            7036,
            Level::INFORMATION,
            &["MySQL", "stopped"],
        ),
        event(14, "Application Popup", 333, Level::WARNING, &["Ünïcødé ✓"]),
        event(
            15,
            "EventLog",
            6008,
            Level::ERROR,
            &["1:34:44 PM", "8/25/2015"],
        ),
    ]
}

fn parse(bytes: &[u8]) -> EvtRead {
    parse_evt(Path::new("t.evt"), bytes, &ExportOptions::default()).expect("readable")
}

fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes(b[o..o + 4].try_into().unwrap())
}

/// What the reader must give back for a written event (the writer keeps the low 16 bits).
fn same(read: &[Event], written: &[Event]) {
    assert_eq!(read.len(), written.len());
    for (r, w) in read.iter().zip(written) {
        assert_eq!(
            (r.record_id, r.time, r.event_id, r.level),
            (w.record_id, w.time, w.event_id, w.level)
        );
        assert_eq!(
            (&r.provider, &r.computer, &r.data),
            (&w.provider, &w.computer, &w.data)
        );
        assert_eq!((r.message.as_deref(), r.channel.as_str()), (None, ""));
    }
}

#[test]
fn sniff_wants_the_header_size_and_signature() {
    let file = write_evt(&sample_events(), None);
    assert!(sniff(&file[..8]));
    assert!(!sniff(b"ElfFile\0"));
    assert!(!sniff(&file[..7]));
    let mut wrong_size = file.clone();
    wrong_size[0] = 0x31;
    assert!(!sniff(&wrong_size));
}

#[test]
fn a_record_laid_out_by_hand_from_the_libevt_table_reads_and_matches_the_writer() {
    // libevt: 0 size, 4 "LfLe", 8 number, 12 generated, 16 written, 20 event id, 24 type,
    // 26 strings, 28 category, 30 flags, 32 closing number, 36 strings offset, 40/44 SID size and
    // offset, 48/52 data size and offset, 56 source, computer, strings, data, padding, size.
    let utf16 = |s: &str| -> Vec<u8> {
        s.encode_utf16()
            .chain([0])
            .flat_map(u16::to_le_bytes)
            .collect()
    };
    let mut body = utf16("Srv");
    body.extend(utf16("HOST"));
    let strings_at = 56 + body.len();
    body.extend(utf16("a"));
    body.extend(utf16("bc"));
    let data_at = 56 + body.len();
    body.extend([0xDE, 0xAD]);
    let size = (56 + body.len() + 4).div_ceil(4) * 4;
    let mut r = Vec::new();
    for v in [
        size as u32,
        u32::from_le_bytes(*b"LfLe"),
        7,
        1_000_000_000,
        1_000_000_000,
        0xC000_07E3,
    ] {
        r.extend(v.to_le_bytes());
    }
    for v in [1u16, 2, 0, 0] {
        r.extend(v.to_le_bytes());
    }
    for v in [0, strings_at, 0, strings_at, 2, data_at] {
        r.extend((v as u32).to_le_bytes());
    }
    r.extend(&body);
    r.resize(size - 4, 0);
    r.extend((size as u32).to_le_bytes());

    let raw = parse_record(&r).expect("valid record");
    assert_eq!(
        (raw.number, raw.generated, raw.event_id, raw.event_type),
        (7, 1_000_000_000, 0xC000_07E3, 1)
    );
    assert_eq!(
        (utf16_text(raw.source), utf16_text(raw.computer)),
        ("Srv".to_string(), "HOST".to_string())
    );
    assert_eq!(
        (raw.strings(), raw.data.to_vec()),
        (vec!["a".to_string(), "bc".to_string()], vec![0xDE, 0xAD])
    );

    let mut e = with_binary(event(7, "Srv", 2019, Level::ERROR, &["a", "bc"]), "DEAD");
    e.computer = "HOST".into();
    e.time = at(1_000_000_000);
    assert_eq!(
        encode_record(&e, 7),
        r,
        "the writer lays a record out as the table says"
    );
}

#[test]
fn written_then_read_gives_the_same_events_and_header_numbers() {
    let events = sample_events();
    let file = write_evt(&events, None);
    assert_eq!(file, write_evt(&events, None), "deterministic bytes");
    // Header: first record right after it, next record 16, oldest 10, not wrapped.
    assert_eq!(
        (
            u32_at(&file, 16),
            u32_at(&file, 24),
            u32_at(&file, 28),
            u32_at(&file, 36)
        ),
        (0x30, 16, 10, 0)
    );
    let read = parse(&file);
    same(&read.export.events, &events);
    let r = &read.export.report;
    assert_eq!(
        (r.kind.as_str(), r.records_read, r.records_skipped),
        ("evt", 6, 0)
    );
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    assert_eq!(
        (r.first, r.last),
        (Some(events[0].time), Some(events[5].time))
    );
    assert_eq!(
        read.export.events[2].data.get("Binary"),
        Some("0000040001002C00")
    );
    assert_eq!((read.live, read.slack), (6, SlackCounts::default()));
}

#[test]
fn the_event_id_keeps_its_low_sixteen_bits_and_types_map_to_levels() {
    let mut file = write_evt(&sample_events()[..1], None);
    // Record at 0x30: event id 0x8000_1B58 (Service Control Manager style), then each type.
    file[0x30 + 20..0x30 + 24].copy_from_slice(&0x8000_1B58u32.to_le_bytes());
    for (event_type, level) in [
        (1u16, Level::ERROR),
        (2, Level::WARNING),
        (4, Level::INFORMATION),
        (0, Level::INFORMATION),
        (8, Level(0)),
        (16, Level(0)),
        (3, Level::UNKNOWN),
    ] {
        file[0x30 + 24..0x30 + 26].copy_from_slice(&event_type.to_le_bytes());
        let read = parse(&file);
        assert_eq!(
            (read.export.events[0].event_id, read.export.events[0].level),
            (0x1B58, level)
        );
    }
}

#[test]
fn options_fill_the_channel_and_a_missing_computer_and_the_file_name_only_makes_a_note() {
    let mut events = sample_events();
    events[0].computer = String::new();
    let file = write_evt(&events, None);
    let plain = parse_evt(
        Path::new("dir/SysEvent.Evt"),
        &file,
        &ExportOptions::default(),
    )
    .unwrap();
    assert_eq!(plain.export.events[0].channel, "");
    assert!(
        plain.export.notes.iter().any(|n| n.contains("System log")),
        "{:?}",
        plain.export.notes
    );
    let opts = ExportOptions {
        channel: Some("System".into()),
        host: Some("GIVEN".into()),
        ..Default::default()
    };
    let given = parse_evt(Path::new("dir/SysEvent.Evt"), &file, &opts).unwrap();
    let names: Vec<(&str, &str)> = given
        .export
        .events
        .iter()
        .map(|e| (e.channel.as_str(), e.computer.as_str()))
        .collect();
    assert_eq!(names[..2], [("System", "GIVEN"), ("System", "SRV-01")]);
    assert!(given.export.notes.is_empty());
    assert_eq!(&*given.export.events[0].source_file, "dir/SysEvent.Evt");
}

#[test]
fn a_wrapped_buffer_reads_in_log_order() {
    let events = sample_events();
    let plain = write_evt(&events, None);
    // Wrap after the first three records: they end the file, the rest follows the header.
    let three: usize = (0..3)
        .map(|i| encode_record(&events[i], 10 + i as u32).len())
        .sum();
    let file = write_evt(&events, Some(three));
    assert_eq!(file.len(), plain.len());
    let (start, end) = (u32_at(&file, 16) as usize, u32_at(&file, 20) as usize);
    assert!(
        start > end,
        "the oldest record sits after the end-of-file record"
    );
    assert_eq!(&file[start + 4..start + 8], b"LfLe");
    assert_eq!(u32_at(&file, 36), FLAG_WRAPPED);
    let read = parse(&file);
    same(&read.export.events, &events);
    assert!(read.export.report.problems.is_empty());
}

#[test]
fn every_wrap_point_reads_the_same_including_records_and_the_eof_record_straddling_it() {
    let events = sample_events();
    let total = write_evt(&events, None).len() - 0x30;
    for wrap in 1..total {
        let read = parse(&write_evt(&events, Some(wrap)));
        same(&read.export.events, &events);
        let r = &read.export.report;
        assert!(
            r.problems.is_empty() && r.records_skipped == 0,
            "wrap {wrap}: {:?}",
            r.problems
        );
        assert_eq!(read.slack, SlackCounts::default(), "wrap {wrap}");
    }
}

#[test]
fn slack_records_are_recovered_apart_and_duplicates_and_remnants_counted() {
    let events = sample_events();
    let older = vec![
        event(7, "Tcpip", 4199, Level::WARNING, &["10.0.0.5"]),
        event(8, "EventLog", 6006, Level::INFORMATION, &[]),
        event(
            12,
            "Srv",
            2019,
            Level::ERROR,
            &["a stale copy of a live record"],
        ),
        event(9, "disk", 11, Level::ERROR, &["\\Device\\Harddisk0\\DR0"]),
    ];
    for wrap in [None, Some(200)] {
        let mut file = write_evt_with(
            &events,
            &EvtLayout {
                wrap_at: wrap,
                slack: &older,
            },
        );
        // Break the closing size of the last slack record (number 9): a remnant, not a record.
        let nine = encode_record(&older[3], 9);
        let nine_at = memchr::memmem::find_iter(&file, &nine[..12])
            .next()
            .expect("slack record 9");
        let closing = nine_at + nine.len() - 4;
        file[closing] ^= 0xFF;
        let read = parse(&file);
        same(read.live_events(), &events);
        same(read.recovered_events(), &older[..2]);
        assert_eq!(
            read.slack,
            SlackCounts {
                recovered: 2,
                duplicates: 1,
                fragments: 1
            },
            "{wrap:?}"
        );
        let r = &read.export.report;
        assert_eq!((r.records_read, r.records_skipped), (8, 0));
        assert!(
            r.problems.is_empty(),
            "slack does not count as damage: {:?}",
            r.problems
        );
        let notes = read.export.notes.join("\n");
        assert!(
            notes.contains(
                "2 records recovered from slack space (not in the live log), record numbers 7 to 8"
            ),
            "{notes}"
        );
        assert!(notes.contains("1 records in slack space repeat"), "{notes}");
        assert!(
            notes.contains(&format!("first at offset 0x{nine_at:x}")),
            "{notes}"
        );
        assert_eq!(
            r.first,
            Some(older[0].time),
            "recovered events widen the time range"
        );
    }
}

#[test]
fn a_damaged_record_in_the_live_log_is_skipped_by_offset_and_the_rest_read() {
    let events = sample_events();
    let mut file = write_evt(&events, None);
    let third = 0x30 + encode_record(&events[0], 10).len() + encode_record(&events[1], 11).len();
    file[third + 4] = b'X'; // signature
    let read = parse(&file);
    let numbers: Vec<u64> = read
        .export
        .events
        .iter()
        .filter_map(|e| e.record_id)
        .collect();
    assert_eq!(
        numbers,
        [10, 11, 13, 14, 15],
        "{:?}",
        read.export.report.problems
    );
    let r = &read.export.report;
    assert_eq!(r.records_skipped, 1);
    assert!(
        r.problems
            .iter()
            .any(|p| p.starts_with(&format!("offset 0x{third:x}: "))),
        "{:?}",
        r.problems
    );
    assert!(r
        .problems
        .iter()
        .any(|p| p.contains("1 of the log's records 10 to 15 were not read")));
}

#[test]
fn unused_bytes_before_the_wrap_are_noted_not_counted_as_damage() {
    let events = sample_events();
    let two: usize = (0..2)
        .map(|i| encode_record(&events[i], 10 + i as u32).len())
        .sum();
    let mut file = write_evt(&events, Some(two));
    // The two oldest records no longer reach the end of the file: 24 unused bytes follow them.
    file.extend([0u8; 24]);
    let read = parse(&file);
    same(&read.export.events, &events);
    let r = &read.export.report;
    assert!(
        r.problems.is_empty() && r.records_skipped == 0,
        "{:?}",
        r.problems
    );
    let at = file.len() - 24;
    let note = format!("24 bytes of trailing data before the wrap at offset 0x{at:x} ignored");
    assert!(read.export.notes.contains(&note), "{:?}", read.export.notes);
}

#[test]
fn a_dirty_header_with_a_stale_end_is_overruled_by_the_end_of_file_record() {
    let events = sample_events();
    let mut file = write_evt(&events, None);
    // As if the header was last written after record 12: end offset and next number stale.
    let stale_end = 0x30
        + (0..3)
            .map(|i| encode_record(&events[i], 10 + i as u32).len())
            .sum::<usize>();
    file[20..24].copy_from_slice(&(stale_end as u32).to_le_bytes());
    file[24..28].copy_from_slice(&13u32.to_le_bytes());
    file[36..40].copy_from_slice(&FLAG_DIRTY.to_le_bytes());
    let read = parse(&file);
    same(&read.export.events, &events);
    assert_eq!(read.slack, SlackCounts::default());
    assert!(
        read.export.notes.iter().any(|n| n.contains("dirty")),
        "{:?}",
        read.export.notes
    );
}

#[test]
fn every_truncation_point_is_handled_and_read_plus_skipped_is_the_whole_log() {
    let events = sample_events();
    let plain = write_evt(&events, None);
    let wrapped = write_evt(&events, Some(300));
    for (name, file) in [("plain", &plain), ("wrapped", &wrapped)] {
        for cut in 0..=file.len() {
            let result = parse_evt(Path::new("t.evt"), &file[..cut], &ExportOptions::default());
            if cut < 0x30 {
                assert!(
                    matches!(result, Err(Error::BadInput { .. })),
                    "{name} {cut}"
                );
                continue;
            }
            let read = result.expect("a cut file with a header is read");
            let r = &read.export.report;
            assert_eq!(read.slack.recovered, 0, "{name} {cut}");
            assert_eq!(
                r.records_read + r.records_skipped,
                6,
                "{name} cut at {cut}: {:?}",
                r.problems
            );
            let live = read.live_events();
            for e in live {
                let w = &events[(e.record_id.unwrap() - 10) as usize];
                assert_eq!(
                    (&e.provider, &e.data, e.time),
                    (&w.provider, &w.data, w.time),
                    "{name} {cut}"
                );
            }
            if name == "plain" {
                // Records wholly inside the cut file are read; the one cut through is not.
                let mut end = 0x30;
                let whole = events.iter().zip(10..).take_while(|(e, n)| {
                    end += encode_record(e, *n).len();
                    end <= cut
                });
                assert_eq!(live.len(), whole.count(), "plain cut at {cut}");
            }
            if cut < file.len() - 0x28 {
                assert!(
                    !r.problems.is_empty() || live.len() == 6,
                    "{name} {cut}: a loss is reported"
                );
            }
        }
    }
}

#[test]
fn unusable_files_are_errors_not_panics() {
    assert!(matches!(
        parse_evt(Path::new("x"), b"ElfFile\0....", &ExportOptions::default()),
        Err(Error::BadInput { .. })
    ));
    assert!(matches!(
        read_evt(Path::new("/nonexistent/x.evt"), &ExportOptions::default()),
        Err(Error::Io { .. })
    ));
    // Absurd offsets and counts in an otherwise valid header: read nothing, no panic.
    let mut file = write_evt(&sample_events(), None);
    for (o, v) in [(16, u32::MAX), (20, 3), (24, u32::MAX), (28, 1)] {
        file[o..o + 4].copy_from_slice(&v.to_le_bytes());
    }
    let _ = parse(&file);
}

#[test]
fn no_damaged_byte_anywhere_panics_and_the_counts_stay_whole() {
    let events = sample_events();
    let slack = [event(3, "disk", 11, Level::ERROR, &["x"])];
    let file = write_evt_with(
        &events,
        &EvtLayout {
            wrap_at: Some(250),
            slack: &slack,
        },
    );
    for at in 0..file.len() {
        for value in [0x00, 0xFF, 0x30, b'L'] {
            let mut bad = file.clone();
            bad[at] = value;
            let Ok(read) = parse_evt(Path::new("t.evt"), &bad, &ExportOptions::default()) else {
                assert!(
                    at < 8,
                    "only a broken signature makes the file unusable ({at})"
                );
                continue;
            };
            let r = &read.export.report;
            assert_eq!(r.records_read as usize, read.export.events.len(), "{at}");
            assert!(r.problems.len() <= 20);
        }
    }
}

#[test]
fn read_evt_reads_a_file_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("AppEvent.Evt");
    std::fs::write(&path, write_evt(&sample_events(), Some(123))).unwrap();
    let read = read_evt(&path, &ExportOptions::default()).unwrap();
    same(&read.events, &sample_events());
    assert_eq!(read.report.path, path.display().to_string());
    assert!(read.notes.iter().any(|n| n.contains("Application log")));
}

/// The real XP System log from plaso's test data. The facts come from libevt-python (pyevt
/// 20260705), not from this reader:
///
/// ```text
/// pip install libevt-python
/// python -c "import pyevt; f=pyevt.file(); f.open('SysEvent.Evt');
///   print(f.number_of_records, f.number_of_recovered_records)"      # 6063 438
/// r=f.get_record(i): r.identifier, r.get_creation_time_as_integer(), r.event_identifier & 0xffff,
///   r.event_type, r.source_name, r.computer_name,
///   [r.get_string(k) for k in range(r.number_of_strings)],
///   r.get_data().hex().upper(), r.offset
///   # i=0: 1392 1311748907 40961 2 LSASRV WKS-WINXP32BIT
///   #      ['cifs/CONTROLLER', '"The system detected ...']
///   # i=7: 1399 1311761831 5719 1 NETLOGON ['SHIELDBASE', '%%1311'] data 5E0000C0
///   # i=180: 1572 1312045186 40960 2 LSASRV, 3 strings, offset 0x1eff10 (straddles the wrap at
///   #        0x1f0000; record 1573 follows at 0x98)
///   # i=1000: 2392 1314121430 7035 4 'Service Control Manager'
///   #         ['Remote Access Connection Manager', 'start']
///   # i=6062: 7454 1333774681 7036 4 'Service Control Manager'
///   #         ['Google Update Service (gupdate)', 'stopped']
///   # over all records: types {4: 4706, 2: 937, 1: 420}, 811 with data,
///   # numbers 1392..7454 contiguous
/// f.get_recovered_record(i) for i in range(438): numbers 1135..1572, 181 of them also live;
///   # i=0: offset 0x1b9718, 1135 1311328906 40961 2 LSASRV
///   # the copy of 1572 at 0x1dff10 has garbage strings: python struct shows its closing size
///   # is 0x720065, not its size 0x158, so a validating reader keeps 437 (180 repeat live ones).
/// struct.unpack_from('<10I', data, 0x1b9674): the end-of-file record (first 0x1e0130, end
///   0x1b9674, next 7455, oldest 1392); the dirty header (flags 0xb) still says end 0x1b81f0.
/// ```
/// A one-off comparison of all 6063 live and the 257 new slack records (number, times, id, type,
/// source, computer, strings, data) against a pyevt dump found no difference.
#[test]
fn the_real_xp_system_log_matches_libevt() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/samples/SysEvent.Evt"
    );
    if !Path::new(path).exists() {
        println!("skipped: {path} is missing");
        return;
    }
    let read = read_evt_detailed(Path::new(path), &ExportOptions::default()).unwrap();
    let r = &read.export.report;
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    assert_eq!((read.live, r.records_skipped), (6063, 0));
    let live = read.live_events();
    let numbers: Vec<u64> = live.iter().filter_map(|e| e.record_id).collect();
    assert_eq!(numbers, (1392..=7454).collect::<Vec<u64>>());
    assert_eq!(
        (live[0].time, live[6062].time),
        (at(1_311_748_907), at(1_333_774_681))
    );

    let by_number = |n: u64| live.iter().find(|e| e.record_id == Some(n)).unwrap();
    let strings = |e: &Event| e.data.unnamed().map(str::to_string).collect::<Vec<_>>();
    let first = by_number(1392);
    assert_eq!(
        (
            first.provider.as_str(),
            first.computer.as_str(),
            first.event_id,
            first.level
        ),
        ("LSASRV", "WKS-WINXP32BIT", 40961, Level::WARNING)
    );
    assert_eq!(strings(first)[0], "cifs/CONTROLLER");
    let netlogon = by_number(1399);
    assert_eq!(
        (
            netlogon.provider.as_str(),
            netlogon.event_id,
            netlogon.level,
            netlogon.time
        ),
        ("NETLOGON", 5719, Level::ERROR, at(1_311_761_831))
    );
    assert_eq!(strings(netlogon), ["SHIELDBASE", "%%1311"]);
    assert_eq!(netlogon.data.get("Binary"), Some("5E0000C0"));
    let straddler = by_number(1572);
    assert_eq!(
        (straddler.event_id, straddler.time, strings(straddler).len()),
        (40960, at(1_312_045_186), 3)
    );
    assert!(strings(straddler)[2].contains("no logon servers available"));
    let scm = by_number(2392);
    assert_eq!(
        (scm.provider.as_str(), scm.event_id, scm.level),
        ("Service Control Manager", 7035, Level::INFORMATION)
    );
    assert_eq!(strings(scm), ["Remote Access Connection Manager", "start"]);
    assert_eq!(
        strings(by_number(7454)),
        ["Google Update Service (gupdate)", "stopped"]
    );

    let count = |level| live.iter().filter(|e| e.level == level).count();
    assert_eq!(
        (
            count(Level::INFORMATION),
            count(Level::WARNING),
            count(Level::ERROR)
        ),
        (4706, 937, 420)
    );
    assert_eq!(
        live.iter()
            .filter(|e| e.data.get("Binary").is_some())
            .count(),
        811
    );

    assert_eq!(
        read.slack,
        SlackCounts {
            recovered: 257,
            duplicates: 180,
            fragments: 1
        }
    );
    let recovered = read.recovered_events();
    let numbers: Vec<u64> = recovered.iter().filter_map(|e| e.record_id).collect();
    assert_eq!(numbers, (1135..=1391).collect::<Vec<u64>>());
    assert_eq!(
        (
            recovered[0].time,
            recovered[0].event_id,
            recovered[0].provider.as_str()
        ),
        (at(1_311_328_906), 40961, "LSASRV")
    );
    assert_eq!(r.records_read, 6063 + 257);
    assert_eq!(r.first, Some(at(1_311_328_906)));
    assert!(
        read.export
            .notes
            .iter()
            .any(|n| n.contains("first at offset 0x1dff10")),
        "{:?}",
        read.export.notes
    );
}

#[test]
fn a_count_of_live_and_slack_records_is_the_count_of_the_written_events() {
    use crate::filter::EventFilter;
    use crate::source::events::export::Tally;
    use std::collections::BTreeMap;
    let events = sample_events();
    let older = vec![
        event(7, "Tcpip", 4199, Level::WARNING, &["10.0.0.5"]),
        event(8, "EventLog", 6006, Level::INFORMATION, &[]),
        event(12, "Srv", 2019, Level::ERROR, &["a stale copy"]),
    ];
    // The live log and the two slack records whose numbers it does not hold.
    let mut expected = BTreeMap::new();
    for e in events.iter().chain(&older[..2]) {
        let c = expected
            .entry((e.provider.clone(), e.event_id))
            .or_insert((0u64, e.time, e.time));
        *c = (c.0 + 1, c.1.min(e.time), c.2.max(e.time));
    }
    let filter = EventFilter::default();
    for wrap in [None, Some(200)] {
        let file = write_evt_with(
            &events,
            &EvtLayout {
                wrap_at: wrap,
                slack: &older,
            },
        );
        let path = Path::new("t.evt");
        let opts = ExportOptions::default();
        let keep = Keep::Counts(Tally::new(&filter));
        let (counted, live, slack) = parse_evt_keep(path, &file, &opts, keep).expect("readable");
        let whole = parse(&file);
        assert_eq!((live, slack), (whole.live, whole.slack), "{wrap:?}");
        assert_eq!(counted.notes, whole.export.notes, "{wrap:?}");
        let counts: BTreeMap<_, _> = counted
            .into_counts(&filter)
            .events
            .into_iter()
            .map(|c| ((c.provider, c.event_id), (c.count, c.first, c.last)))
            .collect();
        assert_eq!(counts, expected, "{wrap:?}");
    }
}
