//! The CSV records of an export, parsed on a thread of their own: the reader's thread takes them
//! in batches, in file order, while the next batches are parsed (the parse is about half the
//! work of counting an Event Viewer or Get-WinEvent CSV), and hands the records it is done with
//! back for reuse; or, with one thread, on the reader's own thread.
use crate::error::Result;
use crate::source::events::export_text::{Input, LineCounting};
use std::sync::mpsc::{self, Receiver, SyncSender};

/// A record with its line, or why the parser could not read one (the line named).
pub(super) enum Parsed {
    Record(csv::ByteRecord, u64),
    Failed(String),
}

/// Records sent at a time.
const BATCH: usize = 256;

/// Hands every record of `input` (from the first byte of its text) to `take`, in file order;
/// `take` gives back a record it is done with, or an error that stops the read. Gives whether the
/// text from the start of the last record on holds an odd number of quotes (`None`: no record).
/// With `own_thread` the records are parsed on a thread of their own, else on the caller's.
pub(super) fn each_record(
    input: Input,
    delimiter: u8,
    text_start: u64,
    own_thread: bool,
    mut take: impl FnMut(Parsed) -> Result<Option<csv::ByteRecord>>,
) -> Result<Option<bool>> {
    if !own_thread {
        let mut inline = Inline {
            take,
            done: Vec::new(),
            result: Ok(()),
        };
        let open_quote = parse(input, delimiter, text_start, &mut inline);
        return inline.result.map(|()| open_quote);
    }
    let (to_reader, batches) = mpsc::sync_channel::<Vec<Parsed>>(8);
    let (give_back, returned) = mpsc::channel::<Vec<csv::ByteRecord>>();
    std::thread::scope(|scope| {
        let parser = scope.spawn(move || {
            let mut handover = Threaded {
                out: to_reader,
                returned,
            };
            parse(input, delimiter, text_start, &mut handover)
        });
        let mut result = Ok(());
        'batches: for batch in &batches {
            let mut done = Vec::with_capacity(batch.len());
            for parsed in batch {
                match take(parsed) {
                    Ok(Some(record)) => done.push(record),
                    Ok(None) => {}
                    Err(e) => {
                        result = Err(e);
                        break 'batches;
                    }
                }
            }
            // The parser may have finished: then nothing is reused.
            let _ = give_back.send(done);
        }
        // A parser still running stops at its next send.
        drop(batches);
        let open_quote = parser.join().unwrap_or(None);
        result.map(|()| open_quote)
    })
}

/// Where the parser's batches go, and where the records it may reuse come from.
trait Handover {
    /// Hands a batch on; `false` stops the parse.
    fn send(&mut self, batch: Vec<Parsed>) -> bool;
    /// Adds the records handed back so far to `pool`.
    fn refill(&mut self, pool: &mut Vec<csv::ByteRecord>);
}

/// To the reader's thread, over channels.
struct Threaded {
    out: SyncSender<Vec<Parsed>>,
    returned: Receiver<Vec<csv::ByteRecord>>,
}

impl Handover for Threaded {
    fn send(&mut self, batch: Vec<Parsed>) -> bool {
        self.out.send(batch).is_ok()
    }

    fn refill(&mut self, pool: &mut Vec<csv::ByteRecord>) {
        while let Ok(mut back) = self.returned.try_recv() {
            pool.append(&mut back);
        }
    }
}

/// Straight to `take`, on the parser's own thread (`--threads 1`).
struct Inline<F> {
    take: F,
    done: Vec<csv::ByteRecord>,
    result: Result<()>,
}

impl<F: FnMut(Parsed) -> Result<Option<csv::ByteRecord>>> Handover for Inline<F> {
    fn send(&mut self, batch: Vec<Parsed>) -> bool {
        for parsed in batch {
            match (self.take)(parsed) {
                Ok(Some(record)) => self.done.push(record),
                Ok(None) => {}
                Err(e) => {
                    self.result = Err(e);
                    return false;
                }
            }
        }
        true
    }

    fn refill(&mut self, pool: &mut Vec<csv::ByteRecord>) {
        pool.append(&mut self.done);
    }
}

fn parse(
    input: Input,
    delimiter: u8,
    text_start: u64,
    handover: &mut impl Handover,
) -> Option<bool> {
    let (counting, lines) = LineCounting::new(input);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(counting);
    let mut pool: Vec<csv::ByteRecord> = Vec::new();
    let mut batch = Vec::with_capacity(BATCH);
    let mut last = None;
    loop {
        if pool.is_empty() {
            handover.refill(&mut pool);
        }
        let mut record = pool.pop().unwrap_or_default();
        match reader.read_byte_record(&mut record) {
            Ok(true) => {
                let byte = record.position().map_or(0, |p| p.byte());
                let line = lines.borrow_mut().line_at(byte);
                last = Some(byte);
                batch.push(Parsed::Record(record, line));
            }
            Ok(false) => break,
            Err(e) => {
                let byte = e.position().map_or(0, |p| p.byte());
                let line = lines.borrow_mut().line_at(byte);
                batch.push(Parsed::Failed(format!("line {line}: {e}")));
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    break;
                }
            }
        }
        if batch.len() >= BATCH {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
            if !handover.send(full) {
                return None;
            }
        }
    }
    if !batch.is_empty() && !handover.send(batch) {
        return None;
    }
    let byte = last?;
    let mut input = reader.into_inner().into_inner();
    let tail = input.tail_from(text_start, byte);
    Some(tail.iter().filter(|&&b| b == b'"').count() % 2 == 1)
}
