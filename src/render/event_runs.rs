//! The streaming `events` listing (JSON Lines, CSV): each chunk's events are rendered to output
//! lines on the worker thread that decoded them, as a run sorted by time; the runs are then
//! merged as they are written. The order is the listing's sort: time, then source file, then
//! record id, and for equal keys the order the files were given and their chunks read in.
use super::events::{push_jsonl_line, write_csv_record};
use crate::model::Event;
use crate::timefmt::Zone;
use chrono::{DateTime, Utc};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::Write;

/// Which lines a run holds.
#[derive(Debug, Clone, Copy)]
pub enum LineFormat {
    Jsonl,
    /// CSV rows (no header), times in this zone.
    Csv(Zone),
}

/// One chunk's events as rendered lines, sorted by (time, record id), chunk order kept for
/// equal keys.
#[derive(Debug, Default)]
pub struct Run {
    keys: Vec<(DateTime<Utc>, u64)>,
    /// Where each line ends in `bytes`.
    ends: Vec<usize>,
    bytes: Vec<u8>,
    /// Why rendering failed, if it did (said when the run is written).
    error: Option<String>,
}

impl Run {
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    fn line(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[start..self.ends[i]]
    }
}

/// A run from lines already rendered in record order, with their (time, record id) keys and
/// where each ends in `bytes`; sorted here (stably) if they are not in order.
pub fn run_of_lines(keys: Vec<(DateTime<Utc>, u64)>, ends: Vec<usize>, bytes: Vec<u8>) -> Run {
    if keys.is_sorted() {
        return Run {
            keys,
            ends,
            bytes,
            error: None,
        };
    }
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by_key(|&i| keys[i]);
    let mut run = Run {
        keys: Vec::with_capacity(keys.len()),
        ends: Vec::with_capacity(keys.len()),
        bytes: Vec::with_capacity(bytes.len()),
        error: None,
    };
    for i in order {
        let start = if i == 0 { 0 } else { ends[i - 1] };
        run.bytes.extend_from_slice(&bytes[start..ends[i]]);
        run.keys.push(keys[i]);
        run.ends.push(run.bytes.len());
    }
    run
}

/// Sorts one chunk's events and renders each as a line.
pub fn render_run(mut events: Vec<Event>, format: LineFormat) -> Run {
    events.sort_by(|a, b| a.time.cmp(&b.time).then(a.record_id.cmp(&b.record_id)));
    let mut run = Run {
        keys: events.iter().map(|e| (e.time, e.record_id)).collect(),
        ends: Vec::with_capacity(events.len()),
        ..Default::default()
    };
    let rendered = match format {
        LineFormat::Jsonl => {
            let mut bytes = Vec::with_capacity(events.len() * 512);
            let mut result = Ok(());
            for e in &events {
                result = push_jsonl_line(&mut bytes, e);
                if result.is_err() {
                    break;
                }
                run.ends.push(bytes.len());
            }
            result.map(|()| bytes).map_err(|e| e.to_string())
        }
        LineFormat::Csv(zone) => csv_lines(&events, zone, &mut run.ends),
    };
    match rendered {
        Ok(bytes) => run.bytes = bytes,
        Err(e) => {
            run.error = Some(e);
            run.keys.clear();
            run.ends.clear();
        }
    }
    run
}

fn csv_lines(events: &[Event], zone: Zone, ends: &mut Vec<usize>) -> Result<Vec<u8>, String> {
    let mut w = csv::Writer::from_writer(Vec::with_capacity(events.len() * 512));
    for e in events {
        write_csv_record(&mut w, e, zone).map_err(|e| e.to_string())?;
        w.flush().map_err(|e| e.to_string())?;
        ends.push(w.get_ref().len());
    }
    w.into_inner().map_err(|e| e.to_string())
}

/// Runs in a row whose keys never go back: read one after the other.
struct Chain {
    runs: std::vec::IntoIter<Run>,
    run: Run,
    line: usize,
    /// The source file's rank among the files' names.
    rank: usize,
    /// Position of this chain among all chains, in file order then chunk order.
    seq: usize,
}

type Key = (DateTime<Utc>, usize, u64, usize);

impl Chain {
    fn key(&self) -> Option<Key> {
        let (time, record) = *self.run.keys.get(self.line)?;
        Some((time, self.rank, record, self.seq))
    }

    /// Moves past the current line, on to the next run when this one is done (its memory
    /// goes as it is written).
    fn advance(&mut self) {
        self.line += 1;
        while self.line >= self.run.len() {
            match self.runs.next() {
                Some(run) => {
                    self.run = run;
                    self.line = 0;
                }
                None => {
                    self.run = Run::default();
                    return;
                }
            }
        }
    }
}

/// Writes every line of `files` (each: its source file name as events carry it, and its runs
/// in chunk order) in the listing's order. Returns how many lines were written.
pub fn write_merged(out: &mut dyn Write, files: Vec<(String, Vec<Run>)>) -> std::io::Result<u64> {
    const BLOCK: usize = 1 << 16;
    let mut names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let ranks: Vec<usize> = files
        .iter()
        .map(|(name, _)| names.binary_search(&name.as_str()).unwrap_or(0))
        .collect();
    // Chunks are nearly always in time order: consecutive runs that do not overlap form one
    // chain, so there is little to merge.
    let mut chains: Vec<Chain> = Vec::new();
    for ((_, runs), rank) in files.into_iter().zip(ranks) {
        let mut current: Vec<Run> = Vec::new();
        for run in runs {
            if let Some(error) = &run.error {
                return Err(std::io::Error::other(error.clone()));
            }
            if run.is_empty() {
                continue;
            }
            let follows = current
                .last()
                .and_then(|last| last.keys.last())
                .is_none_or(|last| *last <= run.keys[0]);
            if !follows {
                chains.push(new_chain(std::mem::take(&mut current), rank, chains.len()));
            }
            current.push(run);
        }
        if !current.is_empty() {
            chains.push(new_chain(current, rank, chains.len()));
        }
    }
    let mut heap: BinaryHeap<Reverse<(Key, usize)>> = chains
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.key().map(|k| Reverse((k, i))))
        .collect();
    let mut buf = Vec::with_capacity(BLOCK + 4096);
    let mut written = 0u64;
    while let Some(Reverse((_, i))) = heap.pop() {
        let next = heap.peek().map(|Reverse((k, _))| *k);
        let chain = &mut chains[i];
        // Take lines from this chain for as long as they come before every other chain's.
        while let Some(key) = chain.key() {
            if next.is_some_and(|next| key > next) {
                heap.push(Reverse((key, i)));
                break;
            }
            buf.extend_from_slice(chain.run.line(chain.line));
            written += 1;
            if buf.len() >= BLOCK {
                out.write_all(&buf)?;
                buf.clear();
            }
            chain.advance();
        }
    }
    out.write_all(&buf)?;
    Ok(written)
}

fn new_chain(runs: Vec<Run>, rank: usize, seq: usize) -> Chain {
    let mut runs = runs.into_iter();
    let run = runs.next().unwrap_or_default();
    Chain {
        runs,
        run,
        line: 0,
        rank,
        seq,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::EventFilter;
    use crate::render::events::{write_csv, write_jsonl, CSV_HEADER};
    use crate::source::evtx::{read_evtx_files, read_evtx_files_chunks};
    use std::path::{Path, PathBuf};

    /// The aug15 fixtures and the real samples beside the project, when present.
    fn sample_files() -> Vec<PathBuf> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for dir in [
            root.join("fixtures/aug15"),
            root.join("../shared/evtx-samples/omerbenamram-evtx"),
            root.join("../shared/evtx-samples/python-evtx"),
        ] {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            files.extend(
                entries
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "evtx")),
            );
        }
        files.sort();
        files
    }

    /// What `events` wrote before streaming: every event read, stably sorted, then rendered.
    fn old_listing(paths: &[&Path], format: LineFormat) -> Vec<u8> {
        let mut events: Vec<Event> = read_evtx_files(paths, &EventFilter::default(), 2)
            .into_iter()
            .filter_map(|(_, read)| read.ok())
            .flat_map(|read| read.events)
            .collect();
        events.sort_by(|a, b| {
            a.time
                .cmp(&b.time)
                .then_with(|| a.source_file.cmp(&b.source_file))
                .then_with(|| a.record_id.cmp(&b.record_id))
        });
        let mut out = Vec::new();
        match format {
            LineFormat::Jsonl => write_jsonl(&mut out, &events).unwrap(),
            LineFormat::Csv(zone) => write_csv(&mut out, &events, zone).unwrap(),
        }
        out
    }

    fn streamed_listing(paths: &[&Path], format: LineFormat, direct: bool) -> Vec<u8> {
        let render = crate::cmd::events::Lines { format, direct };
        let files = read_evtx_files_chunks(paths, &EventFilter::default(), 2, &|_| {}, &render)
            .into_iter()
            .filter_map(|(path, read)| Some((path.display().to_string(), read.ok()?.chunks)))
            .collect();
        let mut out = Vec::new();
        if let LineFormat::Csv(_) = format {
            let mut w = csv::Writer::from_writer(&mut out);
            w.write_record(CSV_HEADER).unwrap();
            w.flush().unwrap();
        }
        write_merged(&mut out, files).unwrap();
        out
    }

    /// The merge of per-chunk runs gives byte for byte what sorting every event gave, file by
    /// file and for all the files at once (given in an order that is not name order, and with
    /// one file twice), in both streamed formats.
    #[test]
    fn merged_runs_equal_the_old_sort() {
        let files = sample_files();
        assert!(!files.is_empty());
        let zone = Zone(chrono_tz::America::Los_Angeles);
        let mut out_of_order_chunks = 0;
        for path in &files {
            let paths = [path.as_path()];
            let old = old_listing(&paths, LineFormat::Jsonl);
            for direct in [false, true] {
                assert_eq!(
                    String::from_utf8_lossy(&old),
                    String::from_utf8_lossy(&streamed_listing(&paths, LineFormat::Jsonl, direct)),
                    "{} (straight from the chunk bytes: {direct})",
                    path.display()
                );
            }
            let render = |events: Vec<Event>| render_run(events, LineFormat::Jsonl);
            for (_, read) in
                read_evtx_files_chunks(&paths, &EventFilter::default(), 1, &|_| {}, &render)
            {
                let Ok(read) = read else { continue };
                let runs: Vec<&Run> = read.chunks.iter().filter(|r| !r.is_empty()).collect();
                out_of_order_chunks += runs
                    .windows(2)
                    .filter(|w| w[0].keys.last() > w[1].keys.first())
                    .count();
            }
        }
        // The samples must exercise the merge, not only the concatenation.
        assert!(out_of_order_chunks > 0);
        let mut all: Vec<&Path> = files.iter().rev().map(PathBuf::as_path).collect();
        all.push(files[0].as_path());
        for (format, direct) in [
            (LineFormat::Jsonl, true),
            (LineFormat::Jsonl, false),
            (LineFormat::Csv(zone), false),
        ] {
            assert_eq!(
                String::from_utf8_lossy(&old_listing(&all, format)),
                String::from_utf8_lossy(&streamed_listing(&all, format, direct))
            );
        }
    }
}
