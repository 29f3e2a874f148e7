//! The CSV records of an export, parsed on a thread of their own: the reader's thread takes them
//! in batches, in file order, while the next batches are parsed (the parse is about half the
//! work of counting an Event Viewer or Get-WinEvent CSV), and hands the records it is done with
//! back for reuse.
use crate::error::Result;
use crate::source::events::export_text::{Input, LineCounting};
use std::sync::mpsc::{self, Receiver, SyncSender};

/// A record with its line and byte offset, or why the parser could not read one (the line named).
pub(super) enum Parsed {
    Record(csv::ByteRecord, u64, u64),
    Failed(String),
}

/// Records sent at a time.
const BATCH: usize = 256;

/// Hands every record of `input` (from the first byte of its text) to `take`, in file order;
/// `take` gives back a record it is done with, or an error that stops the read. Gives whether the
/// text from the start of the last record on holds an odd number of quotes (`None`: no record).
pub(super) fn each_record(
    input: Input,
    delimiter: u8,
    text_start: u64,
    mut take: impl FnMut(Parsed) -> Result<Option<csv::ByteRecord>>,
) -> Result<Option<bool>> {
    let (to_reader, batches) = mpsc::sync_channel::<Vec<Parsed>>(8);
    let (give_back, returned) = mpsc::channel::<Vec<csv::ByteRecord>>();
    std::thread::scope(|scope| {
        let parser =
            scope.spawn(move || parse(input, delimiter, text_start, &to_reader, &returned));
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

fn parse(
    input: Input,
    delimiter: u8,
    text_start: u64,
    out: &SyncSender<Vec<Parsed>>,
    returned: &Receiver<Vec<csv::ByteRecord>>,
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
            while let Ok(mut back) = returned.try_recv() {
                pool.append(&mut back);
            }
        }
        let mut record = pool.pop().unwrap_or_default();
        match reader.read_byte_record(&mut record) {
            Ok(true) => {
                let byte = record.position().map_or(0, |p| p.byte());
                let line = lines.borrow_mut().line_at(byte);
                last = Some(byte);
                batch.push(Parsed::Record(record, line, byte));
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
            if out.send(full).is_err() {
                return None;
            }
        }
    }
    if !batch.is_empty() && out.send(batch).is_err() {
        return None;
    }
    let byte = last?;
    let mut input = reader.into_inner().into_inner();
    let tail = input.tail_from(text_start, byte);
    Some(tail.iter().filter(|&&b| b == b'"').count() % 2 == 1)
}
