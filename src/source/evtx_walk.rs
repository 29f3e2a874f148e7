//! One pass over an EVTX file: chunks are read in large blocks into a reused buffer, decoded in
//! parallel straight from that buffer, and handed back in the order the `evtx` crate walks them
//! (from the chunk holding the oldest records, wrapping around); the damage scan
//! (`evtx_integrity`) is fed from the same bytes, so the file is read once.
use super::evtx_integrity::{scan_chunk, Scan, Scanner, Slot, CHUNK_SIZE, FILE_HEADER_BLOCK};
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
    let mut buf = vec![0u8; block_chunks.max(1) * CHUNK_SIZE];
    let mut number = 0u64;
    let mut offset = FILE_HEADER_BLOCK;
    std::io::Seek::seek(file, std::io::SeekFrom::Start(offset))?;
    while offset < len {
        let want = (len - offset).min(buf.len() as u64) as usize;
        file.read_exact(&mut buf[..want])?;
        let first_number = number;
        let slots: Vec<SlotRead<R>> = pool.install(|| {
            buf[..want]
                .par_chunks(CHUNK_SIZE)
                .enumerate()
                .map(|(i, data)| read_slot(first_number + i as u64, data, walk_count, decode))
                .collect()
        });
        for (i, slot) in slots.into_iter().enumerate() {
            let n = first_number + i as u64;
            match slot.scan {
                Some((slot, notes)) => scanner.push(slot, notes),
                None => scanner.truncated(n, (want - i * CHUNK_SIZE) as u64),
            }
            if n < walk_count {
                reads.push(slot.chunk);
                first_ids.push(slot.first_id);
            }
        }
        number += want.div_ceil(CHUNK_SIZE) as u64;
        offset += want as u64;
    }
    // Chunks the crate's count promises beyond the end of the file (a header block smaller
    // than 4 KiB): it reports each as cut off.
    while (reads.len() as u64) < walk_count {
        let n = reads.len() as u64;
        reads.push(Some(chunk_error(n, &ChunkError::IncompleteChunk)));
        first_ids.push(None);
    }
    // The oldest chunk: the lowest first record id, the earliest chunk on a tie.
    let mut oldest: (u64, usize) = (u64::MAX, 0);
    for (i, id) in first_ids.iter().enumerate() {
        if let Some(id) = *id {
            if id < oldest.0 {
                oldest = (id, i);
            }
        }
    }
    let (before, from_oldest) = reads.split_at_mut(oldest.1);
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

/// One slot: the damage scan, then what the crate's walk would make of it.
fn read_slot<R: Default, F>(number: u64, data: &[u8], walk_count: u64, decode: &F) -> SlotRead<R>
where
    F: Fn(u64, &[u8]) -> ChunkRead<R>,
{
    let full = data.len() == CHUNK_SIZE;
    let scan = full.then(|| {
        let mut notes = Vec::new();
        let slot = scan_chunk(number, data, &mut notes);
        (slot, notes)
    });
    let header = data
        .get(..CHUNK_HEADER_SIZE)
        .and_then(|h| EvtxChunkHeader::from_bytes(h).ok());
    let first_id = header
        .as_ref()
        .filter(|h| h.first_event_record_id <= h.last_event_record_id)
        .map(|h| h.first_event_record_id);
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

/// A chunk the walk cannot read, said as the crate says it.
pub(super) fn chunk_error<R: Default>(number: u64, err: &ChunkError) -> ChunkRead<R> {
    ChunkRead {
        problems: vec![super::evtx::error_chain_under(
            format!("Failed to parse chunk number {number}"),
            err,
        )],
        ..Default::default()
    }
}
