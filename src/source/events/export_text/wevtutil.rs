//! wevtutil's `qe /f:text` export: `Event[N]:` blocks of labelled lines read into events, and
//! the writer of the same for fixtures.
use super::{named, open, Collector, Decoder};
use crate::error::{Error, Result};
use crate::model::{Event, EventData, Level};
use crate::source::events::export::{ExportOptions, ExportRead, Keep};
use crate::source::events::export_csv::{self, level_from_word, AUDIT_KEYWORDS};
use std::io::{BufRead, BufReader};
use std::path::Path;

/// Reads `wevtutil qe LOG /f:text`: `Event[N]:` blocks of `  Label: value` lines, the
/// description on the lines after `Description:` up to the next block.
pub(crate) fn read_wevtutil<'a>(
    path: &Path,
    opts: &'a ExportOptions,
    keep: Keep<'a>,
) -> Result<ExportRead<Keep<'a>>> {
    let mut opened = open(path)?;
    let ends_with_newline = opened.ends_with_newline;
    let mut collector = Collector::new(path, crate::model::TextFormat::WevtutilText, opts, keep);
    collector.notes.append(&mut opened.notes);
    let mut reader = BufReader::new(&mut opened.input);
    let mut decoder = Decoder::default();
    let mut buf = Vec::new();
    let mut line_no = 0u64;
    let mut block: Option<Block> = None;
    let mut blocks = 0u64;
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let text = decoder.text(&buf, line_no);
        let line = text.trim_end_matches(['\r', '\n']);
        if let Some(index) = block_start(line) {
            if let Some(done) = block.take() {
                done.finish(&mut collector, opts);
            }
            blocks += 1;
            block = Some(Block::new(index, line_no));
            continue;
        }
        match block.as_mut() {
            Some(b) if b.description.is_some() => {
                if let Some(d) = b.description.as_mut() {
                    if !d.is_empty() {
                        d.push('\n');
                    }
                    d.push_str(line);
                }
            }
            Some(b) => b.label_line(line),
            None if line.trim().is_empty() => {}
            None => collector.skip(format!("line {line_no}: text before the first Event[N]:")),
        }
    }
    if blocks == 0 {
        return Err(Error::bad_input(
            path,
            "no `Event[N]:` blocks (not wevtutil /f:text)",
        ));
    }
    if let Some(last) = block.take() {
        if ends_with_newline {
            last.finish(&mut collector, opts);
        } else if last.description.is_none() {
            collector.skip(format!(
                "event {} (line {}): the file ends inside this event (truncated); skipped",
                last.index, last.line
            ));
        } else {
            collector.note(format!(
                "{}: the file ends without a line break: the last event's description may be cut",
                path.display()
            ));
            last.finish(&mut collector, opts);
        }
    }
    if let Some(note) = decoder.note() {
        collector.note(note);
    }
    collector.finish(None)
}

fn block_start(line: &str) -> Option<u64> {
    let inner = line.trim().strip_prefix("Event[")?.strip_suffix("]:")?;
    inner.parse().ok()
}

struct Block {
    index: u64,
    line: u64,
    labels: Vec<(String, String)>,
    description: Option<String>,
}

impl Block {
    fn new(index: u64, line: u64) -> Self {
        Block {
            index,
            line,
            labels: Vec::new(),
            description: None,
        }
    }

    fn label_line(&mut self, line: &str) {
        let Some((label, value)) = line.split_once(':') else {
            return;
        };
        let label = label.trim();
        if label == "Description" {
            self.description = Some(value.trim().to_string());
        } else {
            self.labels
                .push((label.to_string(), value.trim().to_string()));
        }
    }

    fn get(&self, label: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(l, _)| l == label)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty() && *v != "N/A")
    }

    fn finish(self, c: &mut Collector, opts: &ExportOptions) {
        let (Some(date), Some(id)) = (self.get("Date"), self.get("Event ID")) else {
            c.skip(format!(
                "event {} (line {}): no Date or Event ID line; skipped",
                self.index, self.line
            ));
            return;
        };
        let Ok(event_id) = id.parse::<u32>() else {
            c.skip(format!(
                "event {} (line {}): Event ID {id:?} is not a number",
                self.index, self.line
            ));
            return;
        };
        let mut e = c.event();
        e.event_id = event_id;
        e.provider = self.get("Source").unwrap_or_default().to_string();
        e.channel = self
            .get("Log Name")
            .map(str::to_string)
            .or_else(|| opts.channel.clone())
            .unwrap_or_default();
        e.computer = self
            .get("Computer")
            .map(str::to_string)
            .or_else(|| opts.host.clone())
            .unwrap_or_default();
        if let Some(word) = self.get("Level") {
            e.level = level_from_word(word).unwrap_or_else(|| {
                c.note(format!("level word {word:?} not known: read as unknown"));
                Level::UNKNOWN
            });
        }
        let mut data = Vec::new();
        if let Some(task) = self.get("Task") {
            data.push(named("Task", task));
        }
        if let Some(kw) = self.get("Keyword").filter(|k| AUDIT_KEYWORDS.contains(k)) {
            data.push(named("Keywords", kw));
            if e.level == Level::UNKNOWN {
                e.level = Level::INFORMATION;
            }
        }
        if let Some(user) = self.get("User Name") {
            data.push(named("User Name", user));
        }
        e.data = EventData(data);
        e.message = self
            .description
            .as_deref()
            .map(|d| d.trim_end().to_string())
            .filter(|d| !d.is_empty());
        c.push(self.line, date, e);
    }
}

/// Writes events as `wevtutil qe /f:text` does (oldest first, CRLF, local ISO times in `zone`).
pub(crate) fn write_wevtutil(events: &[&Event], zone: chrono_tz::Tz, out: &mut Vec<u8>) {
    for (i, e) in events.iter().enumerate() {
        let local = e.time.with_timezone(&zone).naive_local();
        let or_na = |s: &str| {
            if s.is_empty() {
                "N/A".to_string()
            } else {
                s.to_string()
            }
        };
        let keyword = e.data.get("Keywords").unwrap_or("N/A");
        let lines = [
            format!("Event[{i}]:"),
            format!("  Log Name: {}", e.channel),
            format!("  Source: {}", e.provider),
            format!("  Date: {}", local.format("%Y-%m-%dT%H:%M:%S%.3f")),
            format!("  Event ID: {}", e.event_id),
            format!("  Task: {}", e.data.get("Task").unwrap_or("N/A")),
            format!("  Level: {}", e.level.name()),
            "  Opcode: Info".to_string(),
            format!("  Keyword: {keyword}"),
            "  User: N/A".to_string(),
            format!(
                "  User Name: {}",
                or_na(e.data.get("User Name").unwrap_or(""))
            ),
            format!("  Computer: {}", e.computer),
            "  Description: ".to_string(),
        ];
        for line in lines {
            out.extend_from_slice(line.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        let message = export_csv::message_or_placeholder(e);
        out.extend_from_slice(message.replace('\n', "\r\n").as_bytes());
        out.extend_from_slice(b"\r\n\r\n");
    }
}
