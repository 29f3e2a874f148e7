//! Event logs exported as CSV or text: Event Viewer "Save All Events As" (CSV and tab-separated
//! TXT, localized headers), PowerShell `Get-WinEvent`/`Get-EventLog | Export-Csv`, EvtxECmd CSV
//! and `wevtutil qe /f:text`: one sniff and one reader for all, and writers for fixtures.
use super::export::{DateOrder, ExportOptions, ExportRead, Keep};
use super::export_text::{self, parse_stamp, strip_marks, Collector, Input};
use crate::error::{Error, Result};
use crate::memory::MappedFile;
use crate::model::Level;
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

mod counted;
mod reading;
mod records;
mod rows;
mod scan;
mod write;

use self::reading::Rows;
pub(crate) use self::write::message_or_placeholder;
pub use self::write::write;

/// The Security log's Keywords words, as kept in the `Keywords` data field whatever the language.
pub(crate) const AUDIT_KEYWORDS: [&str; 2] = ["Audit Success", "Audit Failure"];

/// Which export a file is (the names live with the model: `InputReport.kind`).
pub use crate::model::TextFormat as ExportFormat;

/// The words of one Event Viewer UI language (see `data/event_export_locales.toml`).
#[derive(Debug, Deserialize)]
struct Language {
    code: String,
    name: String,
    date_order: Option<String>,
    level: String,
    keywords: String,
    date_and_time: String,
    source: String,
    event_id: String,
    task_category: String,
    none: String,
    critical: Vec<String>,
    error: Vec<String>,
    warning: Vec<String>,
    information: Vec<String>,
    verbose: Vec<String>,
    audit_success: String,
    audit_failure: String,
}

#[derive(Debug, Deserialize)]
struct Culture {
    name: String,
    language: String,
    date_time: String,
}

#[derive(Debug, Deserialize)]
struct Locales {
    language: Vec<Language>,
    culture: Vec<Culture>,
}

static LOCALES: OnceLock<std::result::Result<Locales, String>> = OnceLock::new();

/// The table, parsed at first use (a test parses it, so a broken table fails the build's tests).
fn locales() -> Result<&'static Locales> {
    LOCALES
        .get_or_init(|| {
            toml::from_str(include_str!("../../../data/event_export_locales.toml"))
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| Error::Other(format!("data/event_export_locales.toml: {e}")))
}

impl Language {
    fn order(&self) -> Option<DateOrder> {
        match self.date_order.as_deref() {
            Some("dmy") => Some(DateOrder::Dmy),
            Some("mdy") => Some(DateOrder::Mdy),
            Some("ymd") => Some(DateOrder::Ymd),
            _ => None,
        }
    }

    fn levels(&self) -> [(&[String], Level); 5] {
        [
            (&self.critical, Level::CRITICAL),
            (&self.error, Level::ERROR),
            (&self.warning, Level::WARNING),
            (&self.information, Level::INFORMATION),
            (&self.verbose, Level::VERBOSE),
        ]
    }

    fn level_word(&self, level: Level) -> &str {
        let words = match level.0 {
            1 => &self.critical,
            2 => &self.error,
            3 => &self.warning,
            0 | 4 => &self.information,
            5 => &self.verbose,
            _ => return "",
        };
        words.first().map_or("", String::as_str)
    }

    /// How many of the five header cells are this language's (level or keywords first).
    fn header_matches(&self, cells: &[String]) -> (usize, bool) {
        let eq = |cell: Option<&String>, word: &str| {
            cell.is_some_and(|c| c.trim().to_lowercase() == word.to_lowercase())
        };
        let security = eq(cells.first(), &self.keywords);
        let first = security || eq(cells.first(), &self.level);
        let rest = [
            &self.date_and_time,
            &self.source,
            &self.event_id,
            &self.task_category,
        ];
        let hits = rest
            .iter()
            .enumerate()
            .filter(|(i, w)| eq(cells.get(i + 1), w))
            .count();
        (hits + usize::from(first), security)
    }
}

/// The locale table's words, lower-cased once, for the lookups made on every row: a row's word
/// is lower-cased once and looked up, instead of lower-casing every word of every language.
struct Words {
    /// Level words; the first language (then level) in the table that has a word wins.
    levels: HashMap<String, Level>,
    /// Audit words to `Audit Success`/`Audit Failure`, the first language in the table winning.
    audit: HashMap<String, &'static str>,
    /// Each language's word for no task category.
    none: std::collections::HashSet<String>,
}

static WORDS: OnceLock<Option<Words>> = OnceLock::new();

/// The lower-cased words, `None` when the locale table does not parse.
fn words() -> Option<&'static Words> {
    WORDS
        .get_or_init(|| {
            let table = locales().ok()?;
            let mut w = Words {
                levels: HashMap::new(),
                audit: HashMap::new(),
                none: std::collections::HashSet::new(),
            };
            for lang in &table.language {
                for (words, level) in lang.levels() {
                    for word in words {
                        w.levels.entry(word.to_lowercase()).or_insert(level);
                    }
                }
                w.audit
                    .entry(lang.audit_success.to_lowercase())
                    .or_insert(AUDIT_KEYWORDS[0]);
                w.audit
                    .entry(lang.audit_failure.to_lowercase())
                    .or_insert(AUDIT_KEYWORDS[1]);
                w.none.insert(lang.none.to_lowercase());
            }
            Some(w)
        })
        .as_ref()
}

/// A level word of any known language (or English, a number, `Info`, `LogAlways`).
pub(crate) fn level_from_word(word: &str) -> Option<Level> {
    let word = strip_marks(word);
    let word = word.trim();
    if let Some(level) = Level::parse(word) {
        return Some(level);
    }
    let lower = word.to_lowercase();
    if lower == "logalways" || lower == "0" {
        return Some(Level(0));
    }
    words()?.levels.get(&lower).copied()
}

/// `Audit Success`/`Audit Failure` for an audit word of any known language.
fn audit_keyword(word: &str) -> Option<&'static str> {
    let lower = word.trim().to_lowercase();
    words()?.audit.get(&lower).copied()
}

fn is_none_word(word: &str) -> bool {
    let lower = word.trim().to_lowercase();
    lower.is_empty() || words().is_some_and(|w| w.none.contains(&lower))
}

/// The best-matching language of an Event Viewer header (at least three of five cells).
fn viewer_language(cells: &[String]) -> Option<(&'static Language, bool)> {
    let table = locales().ok()?;
    table
        .language
        .iter()
        .map(|lang| (lang, lang.header_matches(cells)))
        .filter(|(_, (hits, _))| *hits >= 3)
        .max_by_key(|(_, (hits, _))| *hits)
        .map(|(lang, (_, security))| (lang, security))
}

/// Head bytes as text: UTF-16 (BOM, or LE without one) or UTF-8 (lossy), BOM removed.
fn decode_head(head: &[u8]) -> String {
    match head {
        [0xFF, 0xFE, rest @ ..] => export_text::decode_utf16(rest, true).0,
        [0xFE, 0xFF, rest @ ..] => export_text::decode_utf16(rest, false).0,
        [a, 0, b, 0, ..] if *a != 0 && *b != 0 => export_text::decode_utf16(head, true).0,
        _ => {
            let body = head.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(head);
            String::from_utf8_lossy(body).into_owned()
        }
    }
}

/// The cells of the first CSV records of `text`.
fn head_records(text: &str, delimiter: u8, n: usize) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes())
        .records()
        .take(n)
        .map_while(std::result::Result::ok)
        .map(|r| r.iter().map(|c| c.trim().to_string()).collect())
        .collect()
}

/// Tells which export a file is from its first bytes; `None` for anything else (probe, perfmon
/// and metric CSVs among them).
pub fn sniff(head: &[u8]) -> Option<ExportFormat> {
    let text = decode_head(head);
    let start = text.find(|c: char| !c.is_whitespace())?;
    let text = text.get(start..)?;
    let first = text.lines().next()?.trim();
    if first.starts_with("Event[") && first.ends_with("]:") {
        return Some(ExportFormat::WevtutilText);
    }
    if first.contains("(PDH-CSV") {
        return None;
    }
    if let Some(ty) = first.strip_prefix("#TYPE") {
        return if ty.contains("System.Diagnostics.Eventing.Reader.EventLogRecord") {
            Some(ExportFormat::WinEventCsv)
        } else if ty.contains("System.Diagnostics.EventLogEntry") {
            Some(ExportFormat::EventLogCsv)
        } else {
            None
        };
    }
    let tabbed = first.split('\t').count() == 5;
    let delimiter = if tabbed { b'\t' } else { b',' };
    let records = head_records(text, delimiter, 2);
    let header = records.first()?;
    let has = |name: &str| header.iter().any(|c| c.eq_ignore_ascii_case(name));
    if has("EventRecordId") && has("EventId") && (has("PayloadData1") || has("MapDescription")) {
        return Some(ExportFormat::EvtxEcmdCsv);
    }
    if has("TimeCreated") && (has("Id") || has("ProviderName") || has("LevelDisplayName")) {
        return Some(ExportFormat::WinEventCsv);
    }
    if has("TimeGenerated") && (has("EventID") || has("InstanceId") || has("EntryType")) {
        return Some(ExportFormat::EventLogCsv);
    }
    if header.len() != 5 {
        return None;
    }
    let format = if tabbed {
        ExportFormat::EventViewerTxt
    } else {
        ExportFormat::EventViewerCsv
    };
    if viewer_language(header).is_some() {
        return Some(format);
    }
    // An unknown UI language: a row of six fields with a date second and a number fourth.
    let row = records.get(1)?;
    let looks_like_row = row.len() == 6
        && row.get(1).is_some_and(|d| parse_stamp(d).is_ok())
        && row.get(3).is_some_and(|id| id.parse::<u32>().is_ok());
    looks_like_row.then_some(format)
}

/// Reads one export. Rows that cannot be used are skipped and counted; a file that cannot be
/// used at all (no header, required columns missing, dates in both orders) is an error.
pub fn read(path: &Path, format: ExportFormat, opts: &ExportOptions) -> Result<ExportRead> {
    read_into(path, format, opts, Keep::Events(Vec::new())).map(ExportRead::into_events)
}

/// `read`, each event handed to `keep` (kept, or only counted) as soon as its time is known.
pub fn read_into<'a>(
    path: &Path,
    format: ExportFormat,
    opts: &'a ExportOptions,
    keep: Keep<'a>,
) -> Result<ExportRead<Keep<'a>>> {
    locales()?;
    match format {
        ExportFormat::WevtutilText => export_text::read_wevtutil(path, opts, keep),
        _ => read_csv(path, format, opts, keep, true),
    }
}

/// Reads a CSV export: for a count of a file that maps, its records found by `scan`; else
/// parsed by the csv crate. `may_scan: false` keeps to the csv crate (the tests' reference).
fn read_csv<'a>(
    path: &Path,
    format: ExportFormat,
    opts: &'a ExportOptions,
    keep: Keep<'a>,
    may_scan: bool,
) -> Result<ExportRead<Keep<'a>>> {
    let opened = export_text::open(path)?;
    let (text_start, ends_with_newline) = (opened.text_start, opened.ends_with_newline);
    let mut c = Collector::new(path, format, opts, keep);
    c.notes.extend(opened.notes);
    let rows = Rows::new(path, format, opts, c);
    let delimiter = if format == ExportFormat::EventViewerTxt {
        b'\t'
    } else {
        b','
    };
    // One thread asked for: the parse stays on this one.
    let own_thread = opts.threads != 1;
    let map = match &opened.input {
        Input::File(file) if may_scan && rows.c.counts_only() => MappedFile::new(file),
        _ => None,
    };
    let (rows, ending) = match map {
        Some(map) => {
            let start = usize::try_from(text_start).unwrap_or(usize::MAX);
            counted::read(rows, &map, start, delimiter, own_thread)?
        }
        None => reading::each_row(rows, opened.input, delimiter, text_start, own_thread)?,
    };
    rows.finish(ending, ends_with_newline)
}

/// Where the columns of a named-column export are.
struct Columns {
    map: HashMap<String, usize>,
    /// Answers already given, by the name's address: the readers ask with the same literal
    /// names a dozen times a row, and a pointer compare is cheaper than hashing the name.
    asked: std::cell::RefCell<Vec<(&'static str, Option<usize>)>>,
}

impl Columns {
    fn new(header: &[String]) -> Self {
        let mut map = HashMap::new();
        for (i, name) in header.iter().enumerate() {
            map.entry(name.trim().to_ascii_lowercase()).or_insert(i);
        }
        Columns {
            map,
            asked: Default::default(),
        }
    }

    /// The column of `name` (any case): a name asked before is found by its address.
    fn index(&self, name: &'static str) -> Option<usize> {
        let mut asked = self.asked.borrow_mut();
        if let Some((_, i)) = asked.iter().find(|(n, _)| std::ptr::eq(*n, name)) {
            return *i;
        }
        let i = self.lookup(name);
        asked.push((name, i));
        i
    }

    /// The column of `name` (any case), looked up without allocating for names of up to 32
    /// bytes.
    fn lookup(&self, name: &str) -> Option<usize> {
        let mut buf = [0u8; 32];
        match buf.get_mut(..name.len()) {
            Some(lower) => {
                lower.copy_from_slice(name.as_bytes());
                lower.make_ascii_lowercase();
                let key = std::str::from_utf8(lower).ok()?;
                self.map.get(key).copied()
            }
            None => self.map.get(&name.to_ascii_lowercase()).copied(),
        }
    }

    fn has(&self, name: &'static str) -> bool {
        self.index(name).is_some()
    }

    /// The trimmed cell, `None` when the column is missing or the cell empty.
    fn get<'a>(&self, row: &'a [Cow<'_, str>], name: &'static str) -> Option<&'a str> {
        let i = self.index(name)?;
        row.get(i).map(|c| c.trim()).filter(|c| !c.is_empty())
    }

    fn require(&self, path: &Path, names: &[&'static str]) -> Result<()> {
        match names.iter().find(|n| !self.has(n)) {
            Some(missing) => Err(Error::bad_input(path, format!("no {missing} column"))),
            None => Ok(()),
        }
    }
}

enum Layout {
    Viewer {
        lang: Option<&'static Language>,
        security: bool,
    },
    Named(Columns),
}

fn make_layout(
    path: &Path,
    format: ExportFormat,
    header: &[String],
    c: &mut Collector,
) -> Result<Layout> {
    let columns = Columns::new(header);
    match format {
        ExportFormat::EventViewerCsv | ExportFormat::EventViewerTxt => {
            let found = viewer_language(header);
            if found.is_none() {
                c.note(format!(
                    "{}: header {:?} is not in the locale table: columns read by position",
                    path.display(),
                    header.join(",")
                ));
            }
            Ok(Layout::Viewer {
                lang: found.map(|(l, _)| l),
                security: found.is_some_and(|(_, s)| s),
            })
        }
        ExportFormat::WinEventCsv => {
            columns.require(path, &["TimeCreated", "Id"])?;
            Ok(Layout::Named(columns))
        }
        ExportFormat::EventLogCsv => {
            columns.require(path, &["TimeGenerated"])?;
            if !columns.has("EventID") && !columns.has("InstanceId") {
                return Err(Error::bad_input(path, "no EventID or InstanceId column"));
            }
            Ok(Layout::Named(columns))
        }
        ExportFormat::EvtxEcmdCsv => {
            columns.require(path, &["TimeCreated", "EventId"])?;
            Ok(Layout::Named(columns))
        }
        ExportFormat::WevtutilText => Err(Error::bad_input(path, "not a CSV export")),
    }
}

const EVTXECMD_DATA: [&str; 11] = [
    "MapDescription",
    "UserName",
    "RemoteHost",
    "PayloadData1",
    "PayloadData2",
    "PayloadData3",
    "PayloadData4",
    "PayloadData5",
    "PayloadData6",
    "ExecutableInfo",
    "Payload",
];

#[cfg(test)]
mod tests {
    use super::reading::decode_row;
    use super::write::EVTXECMD_HEADER;
    use super::*;
    use crate::model::{DataField, Event, EventData};
    use crate::source::events::export_text::named;
    use crate::source::events::export_text::Decoder;
    use chrono::{DateTime, TimeZone, Utc};
    use chrono_tz::Tz;
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;

    fn tmp(name: &str, bytes: &[u8]) -> PathBuf {
        static N: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!("faultline-export-csv-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{}-{name}", N.fetch_add(1, Ordering::SeqCst)));
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn opts(zone: Tz) -> ExportOptions {
        ExportOptions {
            input_tz: zone,
            channel: Some("OPTCHAN".into()),
            host: Some("OPTHOST".into()),
            date_order: None,
            threads: 0,
        }
    }

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
    }

    fn read_bytes(name: &str, bytes: &[u8], format: ExportFormat, o: &ExportOptions) -> ExportRead {
        read(&tmp(name, bytes), format, o).unwrap()
    }

    fn bom(text: &str) -> Vec<u8> {
        let mut b = vec![0xEF, 0xBB, 0xBF];
        b.extend_from_slice(text.as_bytes());
        b
    }

    const EN_GB: &str = "Level,Date and Time,Source,Event ID,Task Category\r\n\
        Error,20/05/2026 21:31:47,Service Control Manager,7031,None,\"The MySQL service terminated unexpectedly.\r\nIt has done this 1 time(s). The \"\"restart\"\" action follows, in 60000 ms.\"\r\n\
        Information,20/05/2026 21:30:00,EventLog,6005,None,The Event log service was started.\r\n";

    #[test]
    fn cells_are_decoded_one_by_one_even_when_the_whole_record_is_utf8() {
        // "\xC3" and "\xA9x" are each not UTF-8, though together they are ("éx"): each cell is
        // read as Windows-1252, as a cell-by-cell check reads them.
        let record = csv::ByteRecord::from(vec![&b"ok"[..], b"\xC3", b"\xA9x", "é".as_bytes()]);
        let mut decoder = Decoder::default();
        let row = decode_row(&mut decoder, &record, 7);
        assert_eq!(row, ["ok", "Ã", "©x", "é"]);
        assert_eq!(decoder.first_1252_line, Some(7));
        let mut decoder = Decoder::default();
        let plain = csv::ByteRecord::from(vec!["a", "é", ""]);
        assert_eq!(decode_row(&mut decoder, &plain, 1), ["a", "é", ""]);
        assert_eq!(decoder.first_1252_line, None);
    }

    #[test]
    fn the_locale_table_parses_and_every_language_names_all_levels() {
        let table = locales().unwrap();
        assert!(table.language.len() >= 7);
        for code in ["en", "de", "fr", "es", "it", "pt-BR", "nl"] {
            let lang = table.language.iter().find(|l| l.code == code).unwrap();
            assert!(lang.levels().iter().all(|(w, _)| !w.is_empty()), "{code}");
        }
        for c in &table.culture {
            assert!(
                table.language.iter().any(|l| l.code == c.language),
                "{}",
                c.name
            );
        }
        assert_eq!(level_from_word("Ausführlich"), Some(Level::VERBOSE));
        assert_eq!(level_from_word("Waarschuwing"), Some(Level::WARNING));
        assert_eq!(level_from_word("nonsense"), None);
    }

    #[test]
    fn event_viewer_csv_reads_the_unnamed_sixth_field_with_line_breaks_and_quotes() {
        let r = read_bytes(
            "gb.csv",
            &bom(EN_GB),
            ExportFormat::EventViewerCsv,
            &opts(Tz::Europe__London),
        );
        assert_eq!((r.report.records_read, r.report.records_skipped), (2, 0));
        let e = &r.events[0];
        assert_eq!(e.event_id, 7031);
        assert_eq!(e.level, Level::ERROR);
        assert_eq!(e.provider, "Service Control Manager");
        assert_eq!(
            e.message.as_deref(),
            Some("The MySQL service terminated unexpectedly.\nIt has done this 1 time(s). The \"restart\" action follows, in 60000 ms.")
        );
        // 21:31:47 BST is 20:31:47 UTC; 20 > 12 decides day-first without a note.
        assert_eq!(e.time, utc(2026, 5, 20, 20, 31, 47));
        assert!(
            !r.notes.iter().any(|n| n.contains("ambiguous")),
            "{:?}",
            r.notes
        );
        assert_eq!(
            (e.channel.as_str(), e.computer.as_str(), e.record_id),
            ("OPTCHAN", "OPTHOST", None)
        );
        assert!(e.data.0.is_empty(), "Task Category None is not data");
        assert_eq!(r.events[1].level, Level::INFORMATION);
        assert_eq!(r.report.kind.as_str(), "eventviewer_csv");
        assert_eq!(r.report.first, Some(utc(2026, 5, 20, 20, 30, 0)));
        assert_eq!(r.report.last, Some(utc(2026, 5, 20, 20, 31, 47)));
    }

    // The first two rows are from a real German export (EVTX-to-MITRE-Attack, PrintService).
    const DE: &str = "Ebene,Datum und Uhrzeit,Quelle,Ereignis-ID,Aufgabenkategorie\r\n\
        Informationen,27.10.2021 12:28:26,Microsoft-Windows-PrintService,317,Ein Druckertreiber wird gelöscht,Der Druckertreiber Generic / Text Only wurde gelöscht. Es ist keine Benutzeraktion erforderlich.\r\n\
        Warnung,27.10.2021 12:28:20,Microsoft-Windows-PrintService,301,Ein Drucker wird gelöscht,\"Der Drucker wurde gelöscht, und die Warteschlange ist leer.\"\r\n\
        Ausführlich,27.10.2021 12:28:19,Microsoft-Windows-PrintService,842,Keine,Druckauftrag.\r\n";

    #[test]
    fn a_german_export_reads_its_header_levels_and_task_categories() {
        let r = read_bytes(
            "de.csv",
            &bom(DE),
            ExportFormat::EventViewerCsv,
            &opts(Tz::Europe__Berlin),
        );
        assert_eq!(r.report.records_read, 3);
        let levels: Vec<Level> = r.events.iter().map(|e| e.level).collect();
        assert_eq!(levels, [Level::INFORMATION, Level::WARNING, Level::VERBOSE]);
        assert_eq!(
            r.events[0].data.get("Task Category"),
            Some("Ein Druckertreiber wird gelöscht")
        );
        assert!(
            r.events[2].data.get("Task Category").is_none(),
            "Keine is none"
        );
        // CEST is UTC+2.
        assert_eq!(r.events[0].time, utc(2021, 10, 27, 10, 28, 26));
        assert_eq!(sniff(&bom(DE)), Some(ExportFormat::EventViewerCsv));
    }

    #[test]
    fn ambiguous_dates_follow_the_german_header_and_say_so() {
        let text = "Ebene,Datum und Uhrzeit,Quelle,Ereignis-ID,Aufgabenkategorie\r\n\
            Fehler,05.07.2024 14:53:21,Disk,7,Keine,Fehlerhafter Block.\r\n\
            Fehler,04.07.2024 10:00:00,Disk,7,Keine,Fehlerhafter Block.\r\n";
        let r = read_bytes(
            "de-amb.csv",
            &bom(text),
            ExportFormat::EventViewerCsv,
            &opts(Tz::UTC),
        );
        assert_eq!(r.events[0].time, utc(2024, 7, 5, 14, 53, 21));
        let note = r.notes.iter().find(|n| n.contains("ambiguous")).unwrap();
        assert!(note.contains("all 2 dates"), "{note}");
        assert!(
            note.contains("05.07.2024 14:53:21 could be 5 July or 7 May"),
            "{note}"
        );
        assert!(
            note.contains("German header") && note.contains("--date-order mdy"),
            "{note}"
        );
        assert!(note.contains("de-amb.csv"), "{note}");
    }

    #[test]
    fn ambiguous_english_dates_go_by_am_pm_and_date_order_overrides() {
        let h24 = "Level,Date and Time,Source,Event ID,Task Category\r\n\
            Error,05/07/2024 14:53:21,Disk,7,None,Bad block.\r\n";
        let r = read_bytes(
            "en24.csv",
            h24.as_bytes(),
            ExportFormat::EventViewerCsv,
            &opts(Tz::UTC),
        );
        assert_eq!(
            r.events[0].time,
            utc(2024, 7, 5, 14, 53, 21),
            "24-hour: day first"
        );
        assert!(r
            .notes
            .iter()
            .any(|n| n.contains("ambiguous") && n.contains("day-first")));
        let ampm = "Level,Date and Time,Source,Event ID,Task Category\r\n\
            Error,10/7/2016 06:38:24 PM,Disk,7,None,Bad block.\r\n";
        let r = read_bytes(
            "en12.csv",
            ampm.as_bytes(),
            ExportFormat::EventViewerCsv,
            &opts(Tz::UTC),
        );
        assert_eq!(
            r.events[0].time,
            utc(2016, 10, 7, 18, 38, 24),
            "AM/PM: month first"
        );
        assert!(r
            .notes
            .iter()
            .any(|n| n.contains("AM/PM") && n.contains("--date-order dmy")));
        let mut o = opts(Tz::UTC);
        o.date_order = Some(DateOrder::Mdy);
        let r = read_bytes(
            "en24b.csv",
            h24.as_bytes(),
            ExportFormat::EventViewerCsv,
            &o,
        );
        assert_eq!(
            r.events[0].time,
            utc(2024, 5, 7, 14, 53, 21),
            "--date-order mdy"
        );
        assert!(r.notes.iter().any(|n| n.contains("as --date-order says")));
    }

    #[test]
    fn a_value_over_twelve_decides_and_both_orders_are_an_error_naming_both_lines() {
        let text = "Level,Date and Time,Source,Event ID,Task Category\r\n\
            Error,05/07/2024 14:53:21,Disk,7,None,a\r\n\
            Error,8/15/2011 4:58:03 PM,Disk,7,None,b\r\n";
        let r = read_bytes(
            "mdy.csv",
            text.as_bytes(),
            ExportFormat::EventViewerCsv,
            &opts(Tz::UTC),
        );
        assert_eq!(
            r.events[0].time,
            utc(2024, 5, 7, 14, 53, 21),
            "8/15 decides month first"
        );
        assert!(!r.notes.iter().any(|n| n.contains("ambiguous")));
        let both = format!("{text}Error,25/08/2015 13:34:44,Disk,7,None,c\r\n");
        let err = read(
            &tmp("both.csv", both.as_bytes()),
            ExportFormat::EventViewerCsv,
            &opts(Tz::UTC),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("line 4") && err.contains("line 3"), "{err}");
    }

    #[test]
    fn the_security_log_keeps_its_audit_keywords_as_data_at_level_information() {
        let text = "Keywords,Date and Time,Source,Event ID,Task Category\r\n\
            Audit Failure,20/05/2026 21:31:47,Microsoft-Windows-Security-Auditing,4625,Logon,An account failed to log on.\r\n\
            Audit Success,20/05/2026 21:31:40,Microsoft-Windows-Security-Auditing,4624,Logon,An account was successfully logged on.\r\n";
        let r = read_bytes(
            "sec.csv",
            &bom(text),
            ExportFormat::EventViewerCsv,
            &opts(Tz::UTC),
        );
        assert_eq!(r.events[0].data.get("Keywords"), Some("Audit Failure"));
        assert_eq!(r.events[1].data.get("Keywords"), Some("Audit Success"));
        assert!(r.events.iter().all(|e| e.level == Level::INFORMATION));
        assert_eq!(r.events[0].data.get("Task Category"), Some("Logon"));
        let de = "Schlüsselwörter,Datum und Uhrzeit,Quelle,Ereignis-ID,Aufgabenkategorie\r\n\
            Überwachung erfolgreich,27.10.2021 12:28:26,Microsoft-Windows-Security-Auditing,4624,Anmelden,Ein Konto wurde erfolgreich angemeldet.\r\n";
        let r = read_bytes(
            "sec-de.csv",
            &bom(de),
            ExportFormat::EventViewerCsv,
            &opts(Tz::UTC),
        );
        assert_eq!(r.events[0].data.get("Keywords"), Some("Audit Success"));
    }

    #[test]
    fn the_text_export_is_the_same_tab_separated() {
        let text = "Level\tDate and Time\tSource\tEvent ID\tTask Category\r\n\
            Warning\t20/05/2026 21:31:47\tDisk\t153\tNone\tThe IO operation at logical block address 0x1 was retried.\r\n";
        assert_eq!(sniff(&bom(text)), Some(ExportFormat::EventViewerTxt));
        let r = read_bytes(
            "ev.txt",
            &bom(text),
            ExportFormat::EventViewerTxt,
            &opts(Tz::UTC),
        );
        assert_eq!(
            (r.events[0].event_id, r.events[0].level),
            (153, Level::WARNING)
        );
        assert_eq!(r.events[0].time, utc(2026, 5, 20, 21, 31, 47));
    }

    #[test]
    fn an_unknown_ui_language_is_sniffed_by_its_rows_and_read_by_position() {
        let text = "Nivå,Datum och tid,Källa,Händelse-ID,Aktivitetskategori\r\n\
            Fel,2021-10-27 12:28:26,Disk,7,Ingen,Ett fel.\r\n";
        assert_eq!(sniff(&bom(text)), Some(ExportFormat::EventViewerCsv));
        let r = read_bytes(
            "sv.csv",
            &bom(text),
            ExportFormat::EventViewerCsv,
            &opts(Tz::UTC),
        );
        assert_eq!(
            (r.events[0].event_id, r.events[0].level),
            (7, Level::UNKNOWN)
        );
        assert!(r.notes.iter().any(|n| n.contains("read by position")));
        assert!(r.notes.iter().any(|n| n.contains("\"Fel\" not known")));
    }

    #[test]
    fn a_selected_get_winevent_subset_is_read_by_column_name() {
        let text = "#TYPE System.Diagnostics.Eventing.Reader.EventLogRecord\r\n\
            \"TimeCreated\",\"Id\",\"LevelDisplayName\",\"Message\"\r\n\
            \"05-07-2024 14:53:21\",\"6008\",\"Error\",\"The previous system shutdown at 1:34:44 PM on \u{200e}8/25/2015 was unexpected.\"\r\n\
            \"05-07-2024 14:53:20\",\"41\",\"Critical\",\"The system has rebooted without cleanly shutting down first.\"\r\n";
        assert_eq!(sniff(text.as_bytes()), Some(ExportFormat::WinEventCsv));
        let r = read_bytes(
            "wev.csv",
            text.as_bytes(),
            ExportFormat::WinEventCsv,
            &opts(Tz::Asia__Kolkata),
        );
        assert_eq!(r.report.records_read, 2);
        let e = &r.events[0];
        assert_eq!(
            (e.event_id, e.level, e.record_id),
            (6008, Level::ERROR, None)
        );
        assert_eq!((e.channel.as_str(), e.provider.as_str()), ("OPTCHAN", ""));
        // en-IN dd-MM-yyyy, 24-hour: day first; IST is UTC+5:30.
        assert_eq!(e.time, utc(2024, 7, 5, 9, 23, 21));
        assert!(e.message.as_deref().unwrap().contains("8/25/2015"));
        let no_id = "\"TimeCreated\",\"Message\"\r\n\"05-07-2024 14:53:21\",\"x\"\r\n";
        assert!(read(
            &tmp("noid.csv", no_id.as_bytes()),
            ExportFormat::WinEventCsv,
            &opts(Tz::UTC)
        )
        .is_err());
    }

    #[test]
    fn get_eventlog_reads_index_entry_type_and_audits() {
        let text = "#TYPE System.Diagnostics.EventLogEntry#Security/Microsoft-Windows-Security-Auditing/4625\r\n\
            \"EventID\",\"MachineName\",\"Data\",\"Index\",\"Category\",\"CategoryNumber\",\"EntryType\",\"Message\",\"Source\",\"ReplacementStrings\",\"InstanceId\",\"TimeGenerated\",\"TimeWritten\",\"UserName\",\"Site\",\"Container\"\r\n\
            \"4625\",\"SRV01.corp\",\"System.Byte[]\",\"88213\",\"(12544)\",\"12544\",\"FailureAudit\",\"An account failed to log on.\",\"Microsoft-Windows-Security-Auditing\",\"System.String[]\",\"4625\",\"8/15/2011 4:58:03 PM\",\"8/15/2011 4:58:03 PM\",,,\r\n\
            \"7036\",\"SRV01.corp\",\"System.Byte[]\",\"88212\",\"(0)\",\"0\",\"Information\",\"The MySQL service entered the stopped state.\",\"Service Control Manager\",\"{MySQL, stopped}\",\"1073748860\",\"8/15/2011 4:58:01 PM\",\"8/15/2011 4:58:01 PM\",,,\r\n";
        assert_eq!(sniff(text.as_bytes()), Some(ExportFormat::EventLogCsv));
        let r = read_bytes(
            "gel.csv",
            text.as_bytes(),
            ExportFormat::EventLogCsv,
            &opts(Tz::America__Los_Angeles),
        );
        let (a, b) = (&r.events[0], &r.events[1]);
        assert_eq!(
            (a.event_id, a.record_id, a.level),
            (4625, Some(88213), Level::INFORMATION)
        );
        assert_eq!(a.data.get("Keywords"), Some("Audit Failure"));
        assert_eq!(a.data.get("Category"), Some("(12544)"));
        assert_eq!(a.computer, "SRV01.corp");
        assert_eq!(
            a.channel, "OPTCHAN",
            "Get-EventLog does not export the log name"
        );
        assert_eq!(a.time, utc(2011, 8, 15, 23, 58, 3));
        assert_eq!(b.data.unnamed().collect::<Vec<_>>(), ["MySQL", "stopped"]);
        assert_eq!(
            a.data.unnamed().count(),
            0,
            "System.String[] is a type name, not data"
        );
    }

    #[test]
    fn evtxecmd_times_are_utc_and_its_payload_is_kept_whole() {
        let payload =
            r##"{""EventData"":{""Data"":[{""@Name"":""TargetUserName"",""#text"":""bob""}]}}"##;
        let text = format!(
            "{EVTXECMD_HEADER}\r\n1,9001,2021-10-27 10:28:26.1234567,4625,Info,Microsoft-Windows-Security-Auditing,Security,636,1400,DC01.corp,0,,Failed logon,CORP\\bob,10.0.0.5,Target: CORP\\bob,LogonType 3,,,,,,False,C:\\logs\\Security.evtx,Audit Failure,0,\"{payload}\"\r\n"
        );
        assert_eq!(sniff(text.as_bytes()), Some(ExportFormat::EvtxEcmdCsv));
        let r = read_bytes(
            "ecmd.csv",
            text.as_bytes(),
            ExportFormat::EvtxEcmdCsv,
            &opts(Tz::America__Los_Angeles),
        );
        let e = &r.events[0];
        assert_eq!(
            e.time,
            utc(2021, 10, 27, 10, 28, 26) + chrono::Duration::nanoseconds(123_456_700)
        );
        assert_eq!(
            (e.record_id, e.event_id, e.level),
            (Some(9001), 4625, Level::INFORMATION)
        );
        assert_eq!(
            (e.channel.as_str(), e.computer.as_str()),
            ("Security", "DC01.corp")
        );
        assert_eq!(e.data.get("PayloadData1"), Some("Target: CORP\\bob"));
        assert_eq!(
            e.data.get("Payload"),
            Some(payload.replace("\"\"", "\"").as_str())
        );
        assert_eq!(e.message, None);
        assert!(!r.notes.iter().any(|n| n.contains("carry no zone")));
    }

    const WEVTUTIL: &str = "Event[0]:\r\n  Log Name: System\r\n  Source: Microsoft-Windows-Kernel-General\r\n  Date: 2011-08-15T16:58:03.123\r\n  Event ID: 12\r\n  Task: N/A\r\n  Level: Information\r\n  Opcode: Info\r\n  Keyword: N/A\r\n  User: S-1-5-18\r\n  User Name: NT AUTHORITY\\SYSTEM\r\n  Computer: SRV01\r\n  Description: \r\nThe operating system started at system time 2011-08-15T23:58:03Z.\r\nSecond line.\r\n\r\nEvent[1]:\r\n  Log Name: Security\r\n  Source: Microsoft-Windows-Security-Auditing\r\n  Date: 2011-08-15T16:59:00.000\r\n  Event ID: 4624\r\n  Task: Logon\r\n  Level: Information\r\n  Opcode: Info\r\n  Keyword: Audit Success\r\n  User: N/A\r\n  User Name: N/A\r\n  Computer: SRV01\r\n  Description: \r\nAn account was successfully logged on.\r\n\r\n";

    #[test]
    fn wevtutil_text_blocks_read_labels_and_multi_line_descriptions() {
        assert_eq!(sniff(WEVTUTIL.as_bytes()), Some(ExportFormat::WevtutilText));
        let r = read_bytes(
            "wev.txt",
            WEVTUTIL.as_bytes(),
            ExportFormat::WevtutilText,
            &opts(Tz::America__Los_Angeles),
        );
        assert_eq!(r.report.records_read, 2);
        let e = &r.events[0];
        assert_eq!(
            (e.channel.as_str(), e.event_id, e.level),
            ("System", 12, Level::INFORMATION)
        );
        assert_eq!(
            e.time,
            utc(2011, 8, 15, 23, 58, 3) + chrono::Duration::milliseconds(123)
        );
        assert_eq!(
            e.message.as_deref(),
            Some("The operating system started at system time 2011-08-15T23:58:03Z.\nSecond line.")
        );
        assert_eq!(e.data.get("User Name"), Some("NT AUTHORITY\\SYSTEM"));
        assert_eq!(r.events[1].data.get("Keywords"), Some("Audit Success"));
        assert_eq!(r.events[1].data.get("Task"), Some("Logon"));
    }

    #[test]
    fn utf16le_with_bom_reads_like_utf8() {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in DE.encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        assert_eq!(sniff(&bytes), Some(ExportFormat::EventViewerCsv));
        let a = read_bytes(
            "u16.csv",
            &bytes,
            ExportFormat::EventViewerCsv,
            &opts(Tz::UTC),
        );
        let b = read_bytes(
            "u8.csv",
            &bom(DE),
            ExportFormat::EventViewerCsv,
            &opts(Tz::UTC),
        );
        assert_eq!(a.events.len(), 3);
        for (x, y) in a.events.iter().zip(&b.events) {
            assert_eq!((x.time, &x.message, x.level), (y.time, &y.message, y.level));
        }
        assert!(a.notes.iter().any(|n| n.contains("UTF-16LE")));
    }

    #[test]
    fn invalid_utf8_falls_back_to_windows_1252() {
        let text = "Ebene,Datum und Uhrzeit,Quelle,Ereignis-ID,Aufgabenkategorie\r\n\
            Ausf\u{fc}hrlich,27.10.2021 12:28:26,Disk,7,Keine,Gr\u{fc}\u{df}e \u{20ac}.\r\n";
        let bytes: Vec<u8> = text
            .chars()
            .map(|c| match c {
                '\u{20ac}' => 0x80,
                c => u8::try_from(u32::from(c)).unwrap(),
            })
            .collect();
        let r = read_bytes(
            "1252.csv",
            &bytes,
            ExportFormat::EventViewerCsv,
            &opts(Tz::UTC),
        );
        assert_eq!(r.events[0].level, Level::VERBOSE);
        assert_eq!(r.events[0].message.as_deref(), Some("Grüße €."));
        assert!(r
            .notes
            .iter()
            .any(|n| n.contains("Windows-1252") && n.contains("line 2")));
    }

    #[test]
    fn the_repeated_dst_hour_in_los_angeles_keeps_every_row_in_order() {
        // Newest first, as Event Viewer writes; 1:40 and 1:10 happen twice on 2011-11-06.
        let text = "Level,Date and Time,Source,Event ID,Task Category\r\n\
            Information,11/6/2011 2:30:00 AM,A,1,None,a\r\n\
            Information,11/6/2011 1:40:00 AM,A,1,None,b\r\n\
            Information,11/6/2011 1:10:00 AM,A,1,None,c\r\n\
            Information,11/6/2011 1:40:00 AM,A,1,None,d\r\n\
            Information,11/6/2011 1:10:00 AM,A,1,None,e\r\n\
            Information,11/6/2011 12:50:00 AM,A,1,None,f\r\n";
        let r = read_bytes(
            "dst.csv",
            text.as_bytes(),
            ExportFormat::EventViewerCsv,
            &opts(Tz::America__Los_Angeles),
        );
        let times: Vec<_> = r.events.iter().map(|e| e.time).collect();
        assert_eq!(
            times,
            [
                utc(2011, 11, 6, 10, 30, 0),
                utc(2011, 11, 6, 9, 40, 0),
                utc(2011, 11, 6, 9, 10, 0),
                utc(2011, 11, 6, 8, 40, 0),
                utc(2011, 11, 6, 8, 10, 0),
                utc(2011, 11, 6, 7, 50, 0),
            ]
        );
        assert!(r.notes.iter().any(|n| n.contains("repeated DST hour")));
        let spring = "Level,Date and Time,Source,Event ID,Task Category\r\n\
            Information,3/13/2011 3:10:00 AM,A,1,None,a\r\n\
            Information,3/13/2011 2:30:00 AM,A,1,None,b\r\n";
        let r = read_bytes(
            "spring.csv",
            spring.as_bytes(),
            ExportFormat::EventViewerCsv,
            &opts(Tz::America__Los_Angeles),
        );
        assert_eq!((r.report.records_read, r.report.records_skipped), (1, 1));
        assert!(
            r.report.problems[0].contains("line 3")
                && r.report.problems[0].contains("does not exist")
        );
    }

    #[test]
    fn sniff_leaves_probe_perfmon_and_metric_csvs_alone() {
        for head in [
            "time,probe,status,latency_ms\n2011-08-15T23:50:00Z,web,up,15\n",
            "\"(PDH-CSV 4.0) (Eastern Daylight Time)(240)\",\"\\\\SRV01\\Memory\\Available MBytes\",\"\\\\SRV01\\System\\Processor Queue Length\",\"\\\\SRV01\\Memory\\Pool Paged Bytes\",\"\\\\SRV01\\Process(_Total)\\Handle Count\"\r\n\"08/15/2011 16:58:03.123\",\"812\",\"1\",\"2\",\"3\"\r\n",
            "timestamp,cpu,mem\n2011-08-15 16:58:03,12,80\n",
            "a,b,c,d,e\n1,2,3,4,5,6\n",
            "",
        ] {
            assert_eq!(sniff(head.as_bytes()), None, "{head}");
        }
    }

    fn sample() -> Vec<Event> {
        let src: Arc<str> = Arc::from("sample");
        let ev = |t, id, level, provider: &str, msg: Option<&str>, data: Vec<DataField>| Event {
            time: t,
            record_id: Some(100 + u64::from(id % 97)),
            channel: "System".into(),
            provider: provider.into(),
            event_id: id,
            level,
            computer: "SRV01".into(),
            message: msg.map(str::to_string),
            data: EventData(data),
            source_file: src.clone(),
        };
        vec![
            ev(utc(2011, 8, 15, 23, 58, 3), 7031, Level::ERROR, "Service Control Manager",
               Some("The MySQL service terminated unexpectedly.\nIt has done this 1 time(s), \"restart\" follows."), vec![]),
            ev(utc(2011, 8, 16, 0, 5, 10), 6005, Level::INFORMATION, "EventLog", Some("The Event log service was started."), vec![]),
            ev(utc(2011, 8, 16, 0, 5, 12), 41, Level::CRITICAL, "Microsoft-Windows-Kernel-Power", None,
               vec![named("BugcheckCode", "0"), named("SleepInProgress", "false")]),
            ev(utc(2011, 8, 16, 1, 0, 0), 2004, Level::WARNING, "Microsoft-Windows-Resource-Exhaustion-Detector",
               Some("Windows successfully diagnosed a low virtual memory condition.\tsqlservr.exe, mysqld.exe"),
               vec![named("Payload", "{\"a\":\"b, c\"}")]),
        ]
    }

    fn carried(format: ExportFormat) -> (bool, bool, bool) {
        // (record id, channel, computer) carried by the format.
        match format {
            ExportFormat::EventViewerCsv | ExportFormat::EventViewerTxt => (false, false, false),
            ExportFormat::EventLogCsv => (true, false, true),
            ExportFormat::WevtutilText => (false, true, true),
            ExportFormat::WinEventCsv | ExportFormat::EvtxEcmdCsv => (true, true, true),
        }
    }

    #[test]
    fn every_writer_round_trips_through_its_reader_and_sniff() {
        let events = sample();
        let zone = Tz::America__Los_Angeles;
        for format in ExportFormat::ALL {
            for culture in ["en-US", "en-GB", "de-DE"] {
                let bytes = write(&events, format, culture, zone);
                assert_eq!(
                    bytes,
                    write(&events, format, culture, zone),
                    "deterministic"
                );
                assert_eq!(sniff(&bytes), Some(format), "{format:?} {culture}");
                let r = read_bytes("rt", &bytes, format, &opts(zone));
                let what = format!("{format:?} {culture}: {:?}", r.report.problems);
                assert_eq!(
                    (r.report.records_read, r.report.records_skipped),
                    (4, 0),
                    "{what}"
                );
                let mut got = r.events;
                got.sort_by_key(|e| e.time);
                let (rec, chan, comp) = carried(format);
                for (g, w) in got.iter().zip(&events) {
                    // Get-EventLog's EntryType has no Critical: Windows reports level 1 as Error.
                    let level = match (format, w.level) {
                        (ExportFormat::EventLogCsv, Level::CRITICAL) => Level::ERROR,
                        (_, level) => level,
                    };
                    assert_eq!(
                        (g.time, g.event_id, &g.provider, g.level),
                        (w.time, w.event_id, &w.provider, level),
                        "{what}"
                    );
                    let message =
                        (format != ExportFormat::EvtxEcmdCsv).then(|| message_or_placeholder(w));
                    assert_eq!(g.message, message, "{what}");
                    assert_eq!(g.record_id, if rec { w.record_id } else { None }, "{what}");
                    assert_eq!(g.channel, if chan { "System" } else { "OPTCHAN" }, "{what}");
                    assert_eq!(g.computer, if comp { "SRV01" } else { "OPTHOST" }, "{what}");
                }
                if format == ExportFormat::EvtxEcmdCsv {
                    assert_eq!(got[3].data.get("Payload"), Some("{\"a\":\"b, c\"}"));
                }
            }
        }
    }

    #[test]
    fn the_event_viewer_writer_writes_bom_crlf_newest_first_and_a_placeholder_message() {
        let bytes = write(
            &sample(),
            ExportFormat::EventViewerCsv,
            "de-DE",
            Tz::Europe__Berlin,
        );
        assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]));
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        assert!(text.starts_with("Ebene,Datum und Uhrzeit,Quelle,Ereignis-ID,Aufgabenkategorie\r\nWarnung,16.08.2011 03:00:00,"));
        assert!(
            !text.replace("\r\n", "").contains('\n'),
            "every line break is CRLF"
        );
        assert!(text.contains("The description for Event ID 41 from source Microsoft-Windows-Kernel-Power cannot be found. The following information was included with the event:\r\n\r\n0\r\nfalse"));
    }

    #[test]
    fn a_truncated_file_keeps_what_was_read_and_counts_the_rest() {
        let events = sample();
        for format in ExportFormat::ALL {
            let bytes = write(&events, format, "en-US", Tz::UTC);
            let cut = if format == ExportFormat::WevtutilText {
                let text = String::from_utf8(bytes.clone()).unwrap();
                text.rfind("Event[").unwrap() + 40
            } else {
                bytes.len() - 10
            };
            let r = read_bytes("cut", &bytes[..cut], format, &opts(Tz::UTC));
            let what = format!("{format:?}: {:?}", r.report.problems);
            assert_eq!(
                (r.report.records_read, r.report.records_skipped),
                (3, 1),
                "{what}"
            );
            assert!(r.report.problems[0].contains("truncated"), "{what}");
        }
    }
}
