//! Two passes over an EVTX file for output that streams in time order. The first reads every
//! slot (the damage scan, which chunks the walk reaches and in what order) and the earliest time
//! in each chunk, cheaply, from the template instances; the second reads the chunks again in
//! walk order, decodes them in parallel, and hands them on block by block, each block with the
//! time before which nothing is left to come, so that output can be written as it goes and
//! memory does not grow with the file.
use super::binxml::earliest_time;
use super::file::{Scan, Scanner, CHUNK_SIZE, FILE_HEADER_BLOCK};
use super::walk::{chunk_error, for_each_block, oldest_chunk, pipeline, scan_slot, ChunkRead};
use chrono::{DateTime, Duration, Utc};
use evtx::err::ChunkError;
use evtx::EvtxChunkHeader;
use std::io::{Read, Seek, SeekFrom};

/// What the first pass learned about a slot the walk reaches.
#[derive(Debug, Clone)]
enum Planned {
    /// All zeros: the walk skips it.
    Zero,
    /// The walk reports it unreadable, with this line.
    Error(String),
    /// A chunk to decode; no record in it is earlier than this (`None`: unknown).
    Chunk(Option<DateTime<Utc>>),
}

/// The first pass's findings for one file.
#[derive(Debug)]
pub(crate) struct Prescan {
    pub scan: Scan,
    /// Chunk numbers in walk order (slots the walk skips left out), with what to do.
    order: Vec<(u64, Planned)>,
}

/// How far output can go: every line earlier than this time has been handed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Flush {
    Nothing,
    Before(DateTime<Utc>),
    All,
}

impl Flush {
    fn of_earliest(t: Option<DateTime<Utc>>) -> Flush {
        match t {
            None => Flush::Nothing,
            Some(t) if t == DateTime::<Utc>::MAX_UTC => Flush::All,
            // A second's margin: the crate, reading a chunk the fast decoder gives up on, could
            // round a time down.
            Some(t) => t
                .checked_sub_signed(Duration::seconds(1))
                .map_or(Flush::Nothing, Flush::Before),
        }
    }
}

impl Prescan {
    /// For each walk position, how far output can go once every chunk before it has been read
    /// (the earliest time of the chunks from there on); one more entry for the end.
    pub(crate) fn flush_after(&self) -> Vec<Flush> {
        let mut out = vec![Flush::All; self.order.len() + 1];
        for (i, (_, planned)) in self.order.iter().enumerate().rev() {
            let here = match planned {
                Planned::Chunk(t) => Flush::of_earliest(*t),
                Planned::Zero | Planned::Error(_) => Flush::All,
            };
            out[i] = here.min(out[i + 1]);
        }
        out
    }

    /// How many chunks the second pass hands on.
    pub(crate) fn len(&self) -> usize {
        self.order.len()
    }
}

/// The first pass: every slot, in blocks of `block_chunks`, on `pool`.
pub(crate) fn prescan(
    file: &mut std::fs::File,
    head: &[u8; 128],
    len: u64,
    pool: &rayon::ThreadPool,
    block_chunks: usize,
) -> std::io::Result<Prescan> {
    use rayon::prelude::*;
    let block_size = u64::from(u16::from_le_bytes([head[40], head[41]]));
    let walk_count = len.saturating_sub(block_size) / CHUNK_SIZE as u64;
    let mut scanner = Scanner::default();
    let mut planned: Vec<Planned> = Vec::new();
    let mut first_ids: Vec<Option<u64>> = Vec::new();
    let body = len.saturating_sub(FILE_HEADER_BLOCK);
    // No bigger than the file: a buffer the heap hands out is zeroed in full, per file.
    let file_chunks = usize::try_from(body.div_ceil(CHUNK_SIZE as u64)).unwrap_or(usize::MAX);
    let buf_len = block_chunks.min(file_chunks).max(1) * CHUNK_SIZE;
    let chunks_per_block = (buf_len / CHUNK_SIZE) as u64;
    let work = |k: usize, data: &[u8]| -> Vec<_> {
        let first = k as u64 * chunks_per_block;
        data.par_chunks(CHUNK_SIZE)
            .enumerate()
            .map(|(i, data)| look_at(first + i as u64, data))
            .collect()
    };
    let mut done = |k: usize, slots: Vec<_>| -> std::io::Result<()> {
        let first = k as u64 * chunks_per_block;
        for (i, (scan, first_id, plan)) in slots.into_iter().enumerate() {
            let n = first + i as u64;
            match scan {
                Some((slot, notes)) => scanner.push(slot, notes),
                None => {
                    let at = FILE_HEADER_BLOCK + n * CHUNK_SIZE as u64;
                    scanner.truncated(n, len - at);
                }
            }
            if n < walk_count {
                planned.push(plan);
                first_ids.push(first_id);
            }
        }
        Ok(())
    };
    for_each_block(file, len, pool, buf_len, &work, &mut done)?;
    while (planned.len() as u64) < walk_count {
        let n = planned.len() as u64;
        planned.push(error_line(n, &ChunkError::IncompleteChunk));
        first_ids.push(None);
    }
    let numbered: Vec<(u64, Planned)> = planned
        .into_iter()
        .enumerate()
        .map(|(i, p)| (i as u64, p))
        .collect();
    let (before, from_oldest) = numbered.split_at(oldest_chunk(&first_ids));
    let order = from_oldest
        .iter()
        .chain(before)
        .filter(|(_, p)| !matches!(p, Planned::Zero))
        .cloned()
        .collect();
    Ok(Prescan {
        scan: scanner.finish(head),
        order,
    })
}

/// One slot: the damage scan, its first record id when its header is sane, and what the walk
/// does with it.
#[allow(clippy::type_complexity)]
fn look_at(
    number: u64,
    data: &[u8],
) -> (
    Option<(super::file::Slot, Vec<String>)>,
    Option<u64>,
    Planned,
) {
    let full = data.len() == CHUNK_SIZE;
    let (scan, first_id) = scan_slot(number, data);
    let planned = if !full {
        error_line(number, &ChunkError::IncompleteChunk)
    } else if data.iter().all(|b| *b == 0) {
        Planned::Zero
    } else {
        match EvtxChunkHeader::from_bytes(data) {
            Ok(_) => Planned::Chunk(earliest_time(data)),
            Err(e) => error_line(number, &ChunkError::FailedToParseChunkHeader(e)),
        }
    };
    (scan, first_id, planned)
}

fn error_line(number: u64, err: &ChunkError) -> Planned {
    let read: ChunkRead<()> = chunk_error(number, err);
    Planned::Error(read.problems.concat())
}

/// The second pass: the chunks of `prescan` in walk order, `block_chunks` at a time, decoded
/// on `pool`; `sink` gets each block's walk position and chunks. A read error or an error from
/// `sink` stops it.
pub(crate) fn decode_in_order<R, F>(
    file: &mut std::fs::File,
    prescan: &Prescan,
    pool: &rayon::ThreadPool,
    block_chunks: usize,
    decode: &F,
    sink: &mut dyn FnMut(usize, Vec<ChunkRead<R>>) -> std::io::Result<()>,
) -> Result<(), Stop>
where
    R: Send + Default,
    F: Fn(u64, &[u8]) -> ChunkRead<R> + Sync,
{
    use rayon::prelude::*;
    let block_chunks = block_chunks.min(prescan.len()).max(1);
    let blocks: Vec<&[(u64, Planned)]> = prescan.order.chunks(block_chunks).collect();
    let at = |number: u64| (FILE_HEADER_BLOCK + number * CHUNK_SIZE as u64) as usize;
    // Mapped when the map holds every chunk to decode (a file that shrank since the first pass
    // is read instead: what it no longer holds reads as zeros).
    let to_decode_end = prescan
        .order
        .iter()
        .filter(|(_, planned)| matches!(planned, Planned::Chunk(_)))
        .map(|(number, _)| at(*number) + CHUNK_SIZE)
        .max()
        .unwrap_or(0);
    let map = crate::memory::MappedFile::new(file).filter(|m| m.bytes().len() >= to_decode_end);
    let mut read = |k: usize, buf: &mut [u8]| -> Result<usize, Stop> {
        let block = blocks[k];
        if map.is_some() {
            return Ok(0);
        }
        // One read per run of neighbours in the file.
        let mut i = 0;
        while i < block.len() {
            let mut j = i + 1;
            while j < block.len() && block[j].0 == block[j - 1].0 + 1 {
                j += 1;
            }
            let bytes = &mut buf[i * CHUNK_SIZE..j * CHUNK_SIZE];
            file.seek(SeekFrom::Start(at(block[i].0) as u64))
                .and_then(|_| read_what_is_there(file, bytes))
                .map_err(Stop::Read)?;
            i = j;
        }
        Ok(block.len() * CHUNK_SIZE)
    };
    let work = |k: usize, data: &[u8]| -> Vec<ChunkRead<R>> {
        blocks[k]
            .par_iter()
            .enumerate()
            .map(|(i, (number, planned))| match planned {
                Planned::Chunk(_) => {
                    let bytes = match &map {
                        Some(map) => &map.bytes()[at(*number)..at(*number) + CHUNK_SIZE],
                        None => &data[i * CHUNK_SIZE..(i + 1) * CHUNK_SIZE],
                    };
                    decode(*number, bytes)
                }
                Planned::Error(line) => ChunkRead {
                    problems: vec![line.clone()],
                    ..Default::default()
                },
                Planned::Zero => ChunkRead::default(),
            })
            .collect()
    };
    let mut done = |k: usize, reads: Vec<ChunkRead<R>>| -> Result<(), Stop> {
        if let Some(map) = &map {
            // One call per run of neighbours: each is a TLB flush on every core.
            for run in blocks[k].chunk_by(|a, b| b.0 == a.0 + 1) {
                map.done_with(at(run[0].0), run.len() * CHUNK_SIZE);
            }
        }
        sink(k * block_chunks, reads).map_err(Stop::Sink)
    };
    let buf_len = if map.is_some() {
        0
    } else {
        block_chunks * CHUNK_SIZE
    };
    pipeline(pool, blocks.len(), buf_len, &mut read, &work, &mut done)
}

/// Why the second pass stopped.
pub(crate) enum Stop {
    /// Reading the file failed.
    Read(std::io::Error),
    /// The sink failed (writing the output).
    Sink(std::io::Error),
}

/// Fills `bytes` from the file; what the file no longer holds (it shrank since the first pass)
/// is left zero, which the decoder reads as no records.
fn read_what_is_there(file: &mut std::fs::File, bytes: &mut [u8]) -> std::io::Result<()> {
    let mut filled = 0;
    while filled < bytes.len() {
        match file.read(&mut bytes[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    bytes[filled..].fill(0);
    Ok(())
}

/// A single file up to this size is read in one pass (as `--count` reads it) and its lines held
/// until the end, rather than read twice to stream them: below it the first pass costs more
/// than holding the lines (about 1.4 times the log's size, in fresh pages) does. Measured by
/// task-clock on logs of the synthetic scenario: one pass 8.1 / 17.5 / 37.7 / 72.3 ms for 4 / 10
/// / 19 / 38 MB, two passes (their line buffers reused) 8.3 / 18.9 / 29.0 / 66.4 ms.
pub(crate) const ONE_PASS_MAX: u64 = 12 << 20;

/// What `stream_evtx_files` hands on: the next chunks of one file, in walk order.
pub(crate) struct Block<R> {
    /// Index of the file in the paths given.
    pub file: usize,
    pub chunks: Vec<R>,
    /// Every line earlier than this, of every file, has now been handed on.
    pub flush: Flush,
}

/// Reads the files one after the other, each in two passes (see the module's head), handing
/// each block of chunks to `sink` as it is decoded; a single file of up to `ONE_PASS_MAX` in
/// one pass, handed on whole. Returns each file's report (or why it
/// could not be read), in the order of `paths`; an error from `sink` stops everything.
pub(crate) fn stream_evtx_files<M: super::ChunkMap>(
    paths: &[&std::path::Path],
    filter: &crate::filter::EventFilter,
    threads: usize,
    on_file: &(dyn Fn(&std::path::Path) + Sync),
    map: &M,
    sink: &mut dyn FnMut(Block<M::Out>) -> std::io::Result<()>,
) -> std::io::Result<Vec<crate::error::Result<crate::model::InputReport>>> {
    use super::{account, new_report, open_evtx, worker_pool, Decoder, CHUNKS_PER_THREAD};
    use crate::error::Error;
    if let [path] = paths {
        let small = std::fs::metadata(path).is_ok_and(|m| m.len() <= ONE_PASS_MAX);
        if small {
            // One pass, every chunk held, then handed on at once: output cannot start before
            // the chunk that holds the oldest records is read, and that may be the last.
            let read = super::read_evtx_chunks(path, filter, threads, map);
            on_file(path);
            let report = match read {
                Ok(read) => {
                    sink(Block {
                        file: 0,
                        chunks: read.chunks,
                        flush: Flush::All,
                    })?;
                    Ok(read.report)
                }
                Err(e) => Err(e),
            };
            return Ok(vec![report]);
        }
    }
    let mut firsts = Vec::new();
    for path in paths {
        let first = open_evtx(path).and_then(|(mut file, head, len)| {
            let pool = worker_pool(threads, path)?;
            let blocks = pool.current_num_threads().max(1) * CHUNKS_PER_THREAD;
            let prescan =
                prescan(&mut file, &head, len, &pool, blocks).map_err(|e| Error::io(path, e))?;
            Ok((file, pool, blocks, prescan))
        });
        firsts.push(first);
    }
    // How far output can go from what is left of the files after each one.
    let mut later = vec![Flush::All; paths.len() + 1];
    for (i, first) in firsts.iter().enumerate().rev() {
        let own = match first {
            Ok((_, _, _, prescan)) => prescan.flush_after()[0],
            Err(_) => Flush::All,
        };
        later[i] = own.min(later[i + 1]);
    }
    let mut reports = Vec::new();
    for (i, (path, first)) in paths.iter().zip(firsts).enumerate() {
        let (mut file, pool, blocks, prescan) = match first {
            Ok(first) => first,
            Err(e) => {
                on_file(path);
                reports.push(Err(e));
                continue;
            }
        };
        let flush_after = prescan.flush_after();
        let decoder = Decoder::new(path, filter, map);
        let mut report = new_report(path);
        let mut forward = |at: usize, reads: Vec<ChunkRead<M::Out>>| {
            let flush = flush_after[(at + reads.len()).min(prescan.len())].min(later[i + 1]);
            let chunks = reads
                .into_iter()
                .map(|chunk| account(&mut report, chunk))
                .collect();
            sink(Block {
                file: i,
                chunks,
                flush,
            })
        };
        let decode = |n: u64, data: &[u8]| decoder.decode(n, data);
        let done = decode_in_order(&mut file, &prescan, &pool, blocks, &decode, &mut forward);
        on_file(path);
        match done {
            Ok(()) => {
                super::file::apply(&prescan.scan, &mut report);
                reports.push(Ok(report));
            }
            Err(Stop::Read(read_error)) => reports.push(Err(Error::io(path, read_error))),
            Err(Stop::Sink(sink_error)) => return Err(sink_error),
        }
    }
    Ok(reports)
}
