//! The streaming `events` listing (JSON Lines, CSV): each chunk's events are rendered to output
//! lines on the worker thread that decoded them, as a run sorted by time; the runs are then
//! merged as they are written. The order is the listing's sort: time, then source file, then
//! record id, and for equal keys the order the files were given and their chunks read in.
use super::events::{push_jsonl_line, write_csv_record};
use crate::model::Event;
use crate::source::events::evtx::lines::ChunkLines;
use crate::timefmt::Zone;
use chrono::{DateTime, Utc};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::Write;
use std::sync::{Arc, Mutex};

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

    /// Lines `from..to`, side by side.
    fn lines(&self, from: usize, to: usize) -> &[u8] {
        let start = if from == 0 { 0 } else { self.ends[from - 1] };
        let end = if to == 0 { 0 } else { self.ends[to - 1] };
        &self.bytes[start..end]
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
        keys: events
            .iter()
            .map(|e| (e.time, e.record_id.unwrap_or(0)))
            .collect(),
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

/// Buffers of runs already written, kept for the lines of chunks still to be decoded: a long
/// listing reuses the same memory instead of asking the kernel for fresh (zeroed) pages for
/// every chunk's lines.
#[derive(Debug, Default)]
pub struct SpareRuns(Mutex<Vec<Run>>);

/// Runs kept at most: about two blocks of chunks in flight (see `evtx::CHUNKS_PER_THREAD`), at
/// about 100 KB a run.
const SPARE_MAX: usize = 256;

impl SpareRuns {
    /// A spare run's buffers (empty ones when none is left), to write a chunk's lines into.
    pub(crate) fn take(&self) -> ChunkLines {
        let run = self.0.lock().ok().and_then(|mut spare| spare.pop());
        run.map_or_else(ChunkLines::default, |run| ChunkLines {
            keys: run.keys,
            ends: run.ends,
            bytes: run.bytes,
            records_read: 0,
        })
    }

    fn give(&self, mut run: Run) {
        if run.bytes.capacity() == 0 {
            return;
        }
        if let Ok(mut spare) = self.0.lock() {
            if spare.len() < SPARE_MAX {
                run.keys.clear();
                run.ends.clear();
                run.bytes.clear();
                run.error = None;
                spare.push(run);
            }
        }
    }
}

/// Merges runs as they come (any number per file, in file order then chunk order) and writes
/// their lines in the listing's order, as far as the caller says nothing earlier is to come.
pub struct Merger {
    /// Rank of each file's name among all the names.
    ranks: Vec<usize>,
    /// Every run pushed, with its file's rank and the next line to write; emptied once written.
    runs: Vec<(Run, usize, usize)>,
    /// The next line of each run that has lines left.
    heap: BinaryHeap<Reverse<(Key, usize)>>,
    buf: Vec<u8>,
    written: u64,
    /// Where written runs go, for their buffers to be used again.
    spare: Arc<SpareRuns>,
}

/// Time, file name rank, record id, then the run's place in the order runs were pushed.
type Key = (DateTime<Utc>, usize, u64, usize);

const BLOCK: usize = 1 << 16;

impl Merger {
    /// A merger for runs of files with these names (the names events carry), in this order.
    pub fn new(names: &[String]) -> Merger {
        let mut sorted: Vec<&str> = names.iter().map(String::as_str).collect();
        sorted.sort_unstable();
        sorted.dedup();
        Merger {
            ranks: names
                .iter()
                .map(|n| sorted.binary_search(&n.as_str()).unwrap_or(0))
                .collect(),
            runs: Vec::new(),
            heap: BinaryHeap::new(),
            buf: Vec::with_capacity(BLOCK + 4096),
            written: 0,
            spare: Arc::default(),
        }
    }

    /// Where the runs this merger has written go: the buffers to write the next runs into.
    pub fn spare_runs(&self) -> Arc<SpareRuns> {
        Arc::clone(&self.spare)
    }

    /// Adds the next run of file `file`; a run whose rendering failed is an error.
    pub fn push(&mut self, file: usize, run: Run) -> std::io::Result<()> {
        if let Some(error) = &run.error {
            return Err(std::io::Error::other(error.clone()));
        }
        if run.is_empty() {
            return Ok(());
        }
        let rank = self.ranks.get(file).copied().unwrap_or(0);
        let i = self.runs.len();
        self.runs.push((run, rank, 0));
        if let Some(key) = self.key(i) {
            self.heap.push(Reverse((key, i)));
        }
        Ok(())
    }

    fn key(&self, i: usize) -> Option<Key> {
        let (run, rank, line) = &self.runs[i];
        let (time, record) = *run.keys.get(*line)?;
        Some((time, *rank, record, i))
    }

    /// Writes every line earlier than `before` (`None`: every line) that has been pushed.
    pub fn flush(
        &mut self,
        out: &mut dyn Write,
        before: Option<DateTime<Utc>>,
    ) -> std::io::Result<()> {
        let due = |key: &Key| before.is_none_or(|b| key.0 < b);
        while let Some(Reverse((key, i))) = self.heap.peek().copied() {
            if !due(&key) {
                break;
            }
            self.heap.pop();
            let next = self.heap.peek().map(|Reverse((k, _))| *k);
            // Lines of this run for as long as they come before every other run's: they sit
            // side by side in the run, and go out in one piece.
            let from = self.runs[i].2;
            loop {
                let (_, _, line) = &mut self.runs[i];
                *line += 1;
                self.written += 1;
                match self.key(i) {
                    None => break,
                    Some(key) if !due(&key) || next.is_some_and(|n| key > n) => {
                        self.heap.push(Reverse((key, i)));
                        break;
                    }
                    Some(_) => {}
                }
            }
            let (run, _, to) = &mut self.runs[i];
            let bytes = run.lines(from, *to);
            if bytes.len() >= BLOCK / 4 {
                // Large enough to go out as it is, without a copy.
                out.write_all(&self.buf)?;
                self.buf.clear();
                out.write_all(bytes)?;
            } else {
                self.buf.extend_from_slice(bytes);
                if self.buf.len() >= BLOCK {
                    out.write_all(&self.buf)?;
                    self.buf.clear();
                }
            }
            if *to >= run.len() {
                // Written: its buffers go to the spares.
                self.spare.give(std::mem::take(run));
            }
        }
        Ok(())
    }

    /// Writes every line left; how many lines were written in all.
    pub fn finish(mut self, out: &mut dyn Write) -> std::io::Result<u64> {
        self.flush(out, None)?;
        out.write_all(&self.buf)?;
        Ok(self.written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::EventFilter;
    use crate::render::events::{write_csv, write_jsonl};
    use crate::source::events::evtx::{read_evtx_files, read_evtx_files_chunks, sample_files};
    use std::path::{Path, PathBuf};

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

    /// What `events` writes now: runs per chunk, merged as the files are read.
    fn streamed_listing(paths: &[&Path], format: LineFormat, direct: bool) -> Vec<u8> {
        let mut out = Vec::new();
        if direct {
            crate::render::event_listing::write_streamed(
                paths,
                &EventFilter::default(),
                2,
                format,
                &|_| {},
                &mut out,
            )
            .unwrap();
            return out;
        }
        // Every chunk through `Event`s: a filter that keeps everything but is not on id and
        // time alone.
        let filter = EventFilter {
            max_severity: Some(crate::model::Level(255)),
            ..Default::default()
        };
        crate::render::event_listing::write_streamed(paths, &filter, 2, format, &|_| {}, &mut out)
            .unwrap();
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
