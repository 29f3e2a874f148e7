//! One pass over an EVTX file: chunks are taken in large blocks straight from a map of the file
//! (or read into a reused buffer where it cannot be mapped), decoded in parallel, and handed back in the order the `evtx` crate walks them
//! (from the chunk holding the oldest records, wrapping around); the damage scan
//! (`file.rs`) is fed from the same bytes, so the file is read once.
use super::file::{scan_chunk, Scan, Scanner, Slot, CHUNK_SIZE, FILE_HEADER_BLOCK};
use chrono::{DateTime, Utc};
use evtx::err::ChunkError;
use evtx::EvtxChunkHeader;
use std::io::Read;

const CHUNK_HEADER_SIZE: usize = 512;

/// What one chunk gave: `out` made from its events on the worker thread, and one problem line
/// per record lost.
#[derive(Debug, Default)]
pub(crate) struct ChunkRead<R> {
    pub out: R,
    pub records_read: u64,
    pub first: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
    pub problems: Vec<String>,
    /// Facts about records read with a fallback (not counted as skipped).
    pub notes: Vec<String>,
}

impl<R> ChunkRead<R> {
    /// The same chunk's read with its output made into a `U`.
    pub fn map<U>(self, f: impl FnOnce(R) -> U) -> ChunkRead<U> {
        ChunkRead {
            out: f(self.out),
            records_read: self.records_read,
            first: self.first,
            last: self.last,
            problems: self.problems,
            notes: self.notes,
        }
    }
}

/// What one slot of the file gave the worker that looked at it.
struct SlotRead<R> {
    /// The damage scan's view of a full slot, with its notes.
    scan: Option<(Slot, Vec<String>)>,
    /// The chunk as the crate's walk would give it; `None` where the walk skips the slot
    /// (all zeros) or never reaches it.
    chunk: Option<ChunkRead<R>>,
    /// The first record id its header names, when the header is sane (to find the oldest).
    first_id: Option<u64>,
}

/// The chunks of the file, in walk order, and the damage scan.
pub(crate) struct Walked<R> {
    pub chunks: Vec<ChunkRead<R>>,
    pub scan: Scan,
}

/// Reads the file after its header in blocks of `block_chunks` chunks and calls `decode`
/// (on `pool`) with the number and bytes of every chunk the crate's walk would decode.
/// `head` is the file header block; `len` the file's length.
pub(crate) fn walk<R, F>(
    file: &mut std::fs::File,
    head: &[u8; 128],
    len: u64,
    pool: &rayon::ThreadPool,
    block_chunks: usize,
    decode: &F,
) -> std::io::Result<Walked<R>>
where
    R: Send + Default,
    F: Fn(u64, &[u8]) -> ChunkRead<R> + Sync,
{
    use rayon::prelude::*;
    // As the crate counts chunks: from the header's block size, whole chunks only.
    let block_size = u64::from(u16::from_le_bytes([head[40], head[41]]));
    let walk_count = len.saturating_sub(block_size) / CHUNK_SIZE as u64;
    let mut scanner = Scanner::default();
    let mut reads: Vec<Option<ChunkRead<R>>> = Vec::new();
    let mut first_ids: Vec<Option<u64>> = Vec::new();
    let body = len.saturating_sub(FILE_HEADER_BLOCK);
    // No bigger than the file: a buffer the heap hands out is zeroed in full, per file.
    let file_chunks = usize::try_from(body.div_ceil(CHUNK_SIZE as u64)).unwrap_or(usize::MAX);
    let buf_len = block_chunks.min(file_chunks).max(1) * CHUNK_SIZE;
    let chunks_per_block = (buf_len / CHUNK_SIZE) as u64;
    let work = |k: usize, data: &[u8]| -> Vec<SlotRead<R>> {
        let first = k as u64 * chunks_per_block;
        data.par_chunks(CHUNK_SIZE)
            .enumerate()
            .map(|(i, data)| read_slot(first + i as u64, data, walk_count, decode))
            .collect()
    };
    let mut done = |k: usize, slots: Vec<SlotRead<R>>| -> std::io::Result<()> {
        let first = k as u64 * chunks_per_block;
        for (i, slot) in slots.into_iter().enumerate() {
            let n = first + i as u64;
            match slot.scan {
                Some((slot, notes)) => scanner.push(slot, notes),
                None => {
                    let at = FILE_HEADER_BLOCK + n * CHUNK_SIZE as u64;
                    scanner.truncated(n, len - at);
                }
            }
            if n < walk_count {
                reads.push(slot.chunk);
                first_ids.push(slot.first_id);
            }
        }
        Ok(())
    };
    for_each_block(file, len, pool, buf_len, &work, &mut done)?;
    // Chunks the crate's count promises beyond the end of the file (a header block smaller
    // than 4 KiB): it reports each as cut off.
    while (reads.len() as u64) < walk_count {
        let n = reads.len() as u64;
        reads.push(Some(chunk_error(n, &ChunkError::IncompleteChunk)));
        first_ids.push(None);
    }
    let (before, from_oldest) = reads.split_at_mut(oldest_chunk(&first_ids));
    let chunks = from_oldest
        .iter_mut()
        .chain(before.iter_mut())
        .filter_map(Option::take)
        .collect();
    Ok(Walked {
        chunks,
        scan: scanner.finish(head),
    })
}

/// Hands the file after its header to `work` in blocks of `buf_len` bytes (on `pool`), and each
/// block's result to `done`, in file order. The file is mapped when it can be, and decoded
/// straight from the page cache (the kernel's copy into a buffer was a third of a count's
/// CPU), with one hand-over to the pool for the whole file; otherwise read into two buffers,
/// reading one block while the pool works on the other.
pub(super) fn for_each_block<T: Send>(
    file: &mut std::fs::File,
    len: u64,
    pool: &rayon::ThreadPool,
    buf_len: usize,
    work: &(dyn Fn(usize, &[u8]) -> T + Sync),
    done: &mut (dyn FnMut(usize, T) -> std::io::Result<()> + Send),
) -> std::io::Result<()> {
    let body = len.saturating_sub(FILE_HEADER_BLOCK);
    let count = body.div_ceil(buf_len as u64) as usize;
    let block_range = |k: usize| {
        let start = FILE_HEADER_BLOCK as usize + k * buf_len;
        let want = (body - k as u64 * buf_len as u64).min(buf_len as u64) as usize;
        start..start + want
    };
    match crate::memory::MappedFile::new(file).filter(|m| m.bytes().len() as u64 == len) {
        Some(map) => pool.install(|| {
            for k in 0..count {
                let range = block_range(k);
                let worked = work(k, &map.bytes()[range.clone()]);
                done(k, worked)?;
                map.done_with(range.start, range.len());
            }
            Ok(())
        }),
        None => {
            std::io::Seek::seek(file, std::io::SeekFrom::Start(FILE_HEADER_BLOCK))?;
            let mut read = |k: usize, buf: &mut [u8]| -> std::io::Result<usize> {
                let want = block_range(k).len();
                file.read_exact(&mut buf[..want])?;
                Ok(want)
            };
            pipeline(pool, count, buf_len, &mut read, work, done)
        }
    }
}

/// One slot: the damage scan, then what the crate's walk would make of it.
fn read_slot<R: Default, F>(number: u64, data: &[u8], walk_count: u64, decode: &F) -> SlotRead<R>
where
    F: Fn(u64, &[u8]) -> ChunkRead<R>,
{
    let full = data.len() == CHUNK_SIZE;
    let (scan, first_id) = scan_slot(number, data);
    let chunk = if number >= walk_count {
        None
    } else if !full {
        Some(chunk_error(number, &ChunkError::IncompleteChunk))
    } else if data.iter().all(|b| *b == 0) {
        None
    } else {
        match EvtxChunkHeader::from_bytes(data) {
            Ok(_) => Some(decode(number, data)),
            Err(e) => Some(chunk_error(
                number,
                &ChunkError::FailedToParseChunkHeader(e),
            )),
        }
    };
    SlotRead {
        scan,
        chunk,
        first_id,
    }
}

/// A slot's damage scan (when it is a whole chunk) and its first record id (when its header is
/// sane): what both the one-pass read and the streamed listing's first pass need of every slot.
pub(super) fn scan_slot(number: u64, data: &[u8]) -> (Option<(Slot, Vec<String>)>, Option<u64>) {
    let scan = (data.len() == CHUNK_SIZE).then(|| {
        let mut notes = Vec::new();
        let slot = scan_chunk(number, data, &mut notes);
        (slot, notes)
    });
    let first_id = data
        .get(..CHUNK_HEADER_SIZE)
        .and_then(|h| EvtxChunkHeader::from_bytes(h).ok())
        .filter(|h| h.first_event_record_id <= h.last_event_record_id)
        .map(|h| h.first_event_record_id);
    (scan, first_id)
}

/// Where the crate's walk starts: the chunk with the lowest first record id, the earliest chunk
/// on a tie (0 when no header is sane).
pub(super) fn oldest_chunk(first_ids: &[Option<u64>]) -> usize {
    let mut oldest: (u64, usize) = (u64::MAX, 0);
    for (i, id) in first_ids.iter().enumerate() {
        if let Some(id) = *id {
            if id < oldest.0 {
                oldest = (id, i);
            }
        }
    }
    oldest.1
}

/// A chunk the walk cannot read, said as the crate says it.
pub(super) fn chunk_error<R: Default>(number: u64, err: &ChunkError) -> ChunkRead<R> {
    ChunkRead {
        problems: vec![super::error_chain_under(
            format!("Failed to parse chunk number {number}"),
            err,
        )],
        ..Default::default()
    }
}

/// Fills a block's buffer; how many bytes it holds.
pub(super) type ReadBlock<'a, E> = dyn FnMut(usize, &mut [u8]) -> Result<usize, E> + 'a;

/// Runs blocks `0..count` through three steps: `read` fills a buffer (on this thread), `work`
/// turns it into a `T` (on `pool`), `done` takes the `T` (on this thread). While the pool works
/// on one block, this thread hands the block before to `done` and reads the block after, into a
/// second buffer: reading and writing overlap decoding.
pub(super) fn pipeline<T: Send, E>(
    pool: &rayon::ThreadPool,
    count: usize,
    buf_len: usize,
    read: &mut ReadBlock<'_, E>,
    work: &(dyn Fn(usize, &[u8]) -> T + Sync),
    done: &mut dyn FnMut(usize, T) -> Result<(), E>,
) -> Result<(), E> {
    if count == 0 {
        return Ok(());
    }
    let mut cur = vec![0u8; buf_len];
    // The second buffer only when there is a second block.
    let mut next = if count > 1 {
        vec![0u8; buf_len]
    } else {
        Vec::new()
    };
    let mut cur_len = read(0, &mut cur)?;
    let mut pending: Option<(usize, T)> = None;
    for k in 0..count {
        let mut next_len = 0;
        let data = &cur[..cur_len];
        let mut worked = None;
        // The block goes to the pool as one job while this thread does the side work, then
        // waits for it: two wake-ups a block. (A thread spawned per block to call `install`
        // made four, and on a loaded machine each wake-up waits for a time slice.)
        let side = pool.in_place_scope(|scope| {
            let worked = &mut worked;
            scope.spawn(move |_| *worked = Some(work(k, data)));
            if let Some((j, t)) = pending.take() {
                done(j, t)?;
            }
            if k + 1 < count {
                next_len = read(k + 1, &mut next)?;
            }
            Ok(())
        });
        side?;
        let Some(worked) = worked else {
            unreachable!("the scope waits for its job, which sets the block's result")
        };
        pending = Some((k, worked));
        std::mem::swap(&mut cur, &mut next);
        cur_len = next_len;
    }
    match pending {
        Some((j, t)) => done(j, t),
        None => Ok(()),
    }
}
