//! evtx_dump records parsed a batch at a time on worker threads: the JSON parse is nine tenths of
//! reading an evtx_dump export, and one record does not depend on another. While the workers
//! parse one batch, this thread reads the next; each batch is handed to the collector in file
//! order, so every count, problem and note is what one thread gives.
use super::{dump_event, record_in};
use crate::source::events::export_xml::{Collector, RawEvent};
use rayon::prelude::*;
use serde_json::Value;
use std::ops::Range;
use std::sync::mpsc;

/// Records per batch: enough to keep both workers busy between two hand-overs (about 2 MB of
/// evtx_dump's JSON Lines).
const BATCH_RECORDS: usize = 4096;

/// Records gathered for the workers: their text side by side, each with its first line's
/// number and the record number of the `Record N` line before it.
#[derive(Default)]
struct Batch {
    text: String,
    records: Vec<(u64, Range<usize>, Option<u64>)>,
}

/// A record's event, or the record number to name it by and why it is skipped.
type Parsed = Result<RawEvent, (Option<u64>, String)>;

/// The batch being filled, and the one the workers are parsing.
pub(super) struct DumpBatches<'p> {
    pool: Option<&'p rayon::ThreadPool>,
    filling: Batch,
    parsing: Option<mpsc::Receiver<(Batch, Vec<Parsed>)>>,
}

impl<'p> DumpBatches<'p> {
    /// Batches parsed on `pool`, or on this thread when there is none.
    pub(super) fn new(pool: Option<&'p rayon::ThreadPool>) -> Self {
        DumpBatches {
            pool,
            filling: Batch::default(),
            parsing: None,
        }
    }

    /// Adds a record; a full batch goes to the workers (once the one before is handed on).
    pub(super) fn push(&mut self, line: u64, text: &str, hint: Option<u64>, out: &mut Collector) {
        let batch = &mut self.filling;
        let start = batch.text.len();
        batch.text.push_str(text);
        batch.records.push((line, start..batch.text.len(), hint));
        if batch.records.len() >= BATCH_RECORDS {
            self.send(out);
        }
    }

    /// Hands every record gathered so far to `out`: before anything else is said of the file.
    pub(super) fn drain(&mut self, out: &mut Collector) {
        self.send(out);
        self.receive(out);
    }

    /// The batch being filled goes to the workers; the one they had is handed on meanwhile.
    fn send(&mut self, out: &mut Collector) {
        let batch = std::mem::take(&mut self.filling);
        let full = !out.counts_only();
        let Some(pool) = self.pool else {
            let parsed = (batch.records.iter())
                .map(|(_, range, hint)| parse_record(&batch.text[range.clone()], *hint, full))
                .collect();
            hand_on(&batch, parsed, out);
            return;
        };
        let (done, parsing) = mpsc::channel();
        pool.spawn(move || {
            let parsed = parse(&batch, full);
            // The receiver waits for it; it is gone only if the read stopped early.
            let _ = done.send((batch, parsed));
        });
        self.receive(out);
        self.parsing = Some(parsing);
    }

    /// Waits for the batch the workers are parsing and hands it on.
    fn receive(&mut self, out: &mut Collector) {
        if let Some((batch, parsed)) = self.parsing.take().and_then(|p| p.recv().ok()) {
            hand_on(&batch, parsed, out);
            if self.filling.records.is_empty() {
                // Its memory serves the next batch.
                let mut batch = batch;
                batch.text.clear();
                batch.records.clear();
                self.filling = batch;
            }
        }
    }
}

/// On the pool it runs on.
fn parse(batch: &Batch, full: bool) -> Vec<Parsed> {
    (batch.records.par_iter())
        .map(|(_, range, hint)| parse_record(&batch.text[range.clone()], *hint, full))
        .collect()
}

fn hand_on(batch: &Batch, parsed: Vec<Parsed>, out: &mut Collector) {
    for ((line, _, _), parsed) in batch.records.iter().zip(parsed) {
        let place = || format!("line {line}");
        match parsed {
            Ok(raw) => out.accept_with(raw, place),
            Err((record, why)) => out.skip(&place(), record, &why),
        }
    }
}

fn parse_record(text: &str, hint: Option<u64>, full: bool) -> Parsed {
    let skipped = |why: String| (record_in(text).or(hint), why);
    let value = serde_json::from_str::<Value>(text)
        .map_err(|e| skipped(format!("JSON does not parse: {e}")))?;
    dump_event(&value, full).map_err(skipped)
}
