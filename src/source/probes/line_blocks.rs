//! A state log's text cut into blocks of whole lines, parsed on worker threads and handed back in
//! file order, so that a reader parses in parallel and still meets its rows one by one as before
//! (its state machine and `StatesBuilder` see the same calls in the same order).
use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

/// Bytes per block: small enough that the first results come early and the workers stay even,
/// large enough that a block's setup is nothing beside its lines.
const BLOCK_BYTES: usize = 1 << 20;

/// The file's text as `decode_head` gives it, borrowed when the file is UTF-8 already (a 90 MB
/// log is not copied; a UTF-8 BOM is left out as `decode_head` leaves it out).
pub fn file_text(bytes: &[u8]) -> Cow<'_, str> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Cow::Owned(crate::source::text::decode_head(bytes));
    }
    let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    // simdutf8's check: std's took 4% of a Nagios read, on the thread that replays.
    match simdutf8::basic::from_utf8(body) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => Cow::Owned(crate::source::text::decode_head(bytes)),
    }
}

/// One block of whole lines and the 1-based number of its first line.
#[derive(Debug, Clone, Copy)]
pub struct Block<'a> {
    pub first_line: usize,
    pub text: &'a str,
}

impl<'a> Block<'a> {
    /// The block's lines with their numbers, as `states::text_lines` gives them (the line end and
    /// any CR before it removed).
    pub fn lines(self) -> impl Iterator<Item = (usize, &'a str)> {
        self.text
            .lines()
            .enumerate()
            .map(move |(i, l)| (self.first_line + i, l.trim_end_matches('\r')))
    }
}

/// Where `bytes` (a BOM already left out) is cut: after line breaks into blocks of about
/// `block_bytes`; with `quoted`, only after a line break with an even number of quotes before it
/// (outside quotes, for CSV that quotes plainly: see `quotes_plain`). The quotes are counted on
/// `workers` threads; the blocks' lines are counted by the workers that parse them (see `run`).
fn cuts(bytes: &[u8], block_bytes: usize, quoted: bool, workers: usize) -> Vec<(usize, usize)> {
    let block_bytes = block_bytes.max(1);
    // Where each cut is looked for, and (quoted) whether the quotes before it are odd.
    let targets: Vec<usize> = (1..=bytes.len() / block_bytes)
        .map(|k| k * block_bytes)
        .filter(|&t| t < bytes.len())
        .collect();
    let odd_before: Vec<bool> = if quoted {
        let stretches: Vec<&[u8]> = bytes.chunks(block_bytes).collect();
        let quotes = count_each(&stretches, b'"', workers);
        let mut odd = false;
        quotes
            .iter()
            .map(|n| {
                odd ^= n % 2 == 1;
                odd
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut ends = Vec::with_capacity(targets.len() + 1);
    let mut start = 0;
    for (k, &target) in targets.iter().enumerate() {
        if target < start {
            continue;
        }
        let end = if quoted {
            let mut odd = odd_before[k];
            memchr::memchr2_iter(b'"', b'\n', &bytes[target..]).find_map(|i| {
                if bytes[target + i] == b'"' {
                    odd = !odd;
                    None
                } else {
                    (!odd).then_some(target + i + 1)
                }
            })
        } else {
            memchr::memchr(b'\n', &bytes[target..]).map(|i| target + i + 1)
        };
        let Some(end) = end else { break };
        ends.push((start, end));
        start = end;
    }
    if start < bytes.len() {
        ends.push((start, bytes.len()));
    }
    ends
}

/// How many times `byte` occurs in each part, on `workers` threads of rayon's pool.
fn count_each(parts: &[&[u8]], byte: u8, workers: usize) -> Vec<usize> {
    let count = |part: &&[u8]| memchr::memchr_iter(byte, part).count();
    if workers > 1 {
        use rayon::prelude::*;
        parts.par_iter().map(count).collect()
    } else {
        parts.iter().map(count).collect()
    }
}

/// The text the blocks are cut from: UTF-8 already, or bytes whose UTF-8 each block's worker
/// checks (a file that is not UTF-8 is then decoded whole and read again: see [`NotUtf8`]).
#[derive(Debug, Clone, Copy)]
enum Source<'a> {
    Text(&'a str),
    Bytes(&'a [u8]),
}

impl<'a> Source<'a> {
    fn bytes(self) -> &'a [u8] {
        match self {
            Source::Text(t) => t.as_bytes(),
            Source::Bytes(b) => b,
        }
    }

    /// The block `from..to` as text; `None` if its bytes are not UTF-8. A block ends after a
    /// line break (or at the end), which no UTF-8 character spans: the file is UTF-8 exactly
    /// when each of its blocks is.
    fn text(self, from: usize, to: usize) -> Option<&'a str> {
        match self {
            Source::Text(t) => t.get(from..to),
            Source::Bytes(b) => simdutf8::basic::from_utf8(&b[from..to]).ok(),
        }
    }
}

/// Some block of a file read as bytes was not UTF-8: the reader decodes the file whole (as
/// `file_text` does) and reads it again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotUtf8;

/// How a text is cut and parsed: block size and worker threads.
#[derive(Debug, Clone, Copy)]
pub struct Split {
    pub block_bytes: usize,
    pub workers: usize,
}

impl Split {
    /// 1 MiB blocks on as many workers as rayon's pool has threads (the core count, or
    /// `RAYON_NUM_THREADS`); with one, everything runs on the calling thread.
    pub fn of_pool() -> Split {
        Split {
            block_bytes: BLOCK_BYTES,
            workers: rayon::current_num_threads(),
        }
    }

    /// Test support: `read` of one whole block on one worker, after holding every other cut of
    /// a text of `len` bytes (blocks of 1 to `len` bytes, on 1 to 3 workers) to give the same.
    #[cfg(test)]
    pub fn every_cut_reads_as_one_block(len: usize, read: impl Fn(Split) -> String) -> String {
        let once = read(Split {
            block_bytes: usize::MAX / 2,
            workers: 1,
        });
        for block_bytes in 1..=len {
            for workers in [1, 2, 3] {
                let split = Split {
                    block_bytes,
                    workers,
                };
                assert_eq!(read(split), once, "{split:?}");
            }
        }
        once
    }
}

/// Parses each block of `text` with `parse` and gives the results to `replay` in file order:
/// the workers parse while this thread replays.
pub fn parse_in_order<'a, T: Send>(
    text: &'a str,
    split: Split,
    parse: impl Fn(Block<'a>) -> T + Sync,
    replay: impl FnMut(T),
) {
    let text = text.trim_start_matches('\u{feff}');
    let cuts = cuts(text.as_bytes(), split.block_bytes, false, split.workers);
    // Text is UTF-8 already: no block can fail the check.
    let _ = run(Source::Text(text), cuts, 1, split.workers, parse, replay);
}

/// How a file's bytes are cut into blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// After any line break.
    Lines,
    /// After a line break outside quotes, the quotes counted first (right only when the CSV
    /// quotes plainly: each block's parse checks it with [`quotes_plain`]).
    Records,
}

/// The lines or CSV records of `bytes` (a file's from its line `first_line` on, any BOM left
/// out: see [`file_body`]), cut as `cut` says and parsed as [`parse_in_order`] parses lines,
/// each block's UTF-8 checked on its worker. `Err(NotUtf8)` as soon as a block is not UTF-8,
/// some blocks possibly replayed already: the caller starts again from the decoded text.
pub fn parse_bytes_in_order<'a, T: Send>(
    bytes: &'a [u8],
    first_line: usize,
    cut: Cut,
    split: Split,
    parse: impl Fn(Block<'a>) -> T + Sync,
    replay: impl FnMut(T),
) -> Result<(), NotUtf8> {
    let quoted = cut == Cut::Records;
    let cuts = cuts(bytes, split.block_bytes, quoted, split.workers);
    run(
        Source::Bytes(bytes),
        cuts,
        first_line,
        split.workers,
        parse,
        replay,
    )
}

/// A file's bytes for [`parse_bytes_in_order`]: after any UTF-8 BOMs (as `file_text` and a
/// text's `trim_start_matches('\u{feff}')` leave them out), borrowed; a UTF-16 file (by its
/// BOM) decoded whole as `file_text` decodes it.
pub fn file_body(bytes: &[u8]) -> Cow<'_, [u8]> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return match file_text(bytes) {
            Cow::Owned(text) => Cow::Owned(without_boms(text.as_bytes()).to_vec()),
            Cow::Borrowed(text) => Cow::Borrowed(without_boms(text.as_bytes())),
        };
    }
    Cow::Borrowed(without_boms(bytes))
}

/// The text of a file that is not UTF-8, decoded whole as `file_text` decodes it, its BOMs left
/// out (the read after [`NotUtf8`]).
fn decoded_body(bytes: &[u8]) -> Vec<u8> {
    let text = file_text(bytes);
    without_boms(text.as_bytes()).to_vec()
}

/// `read` of the file's bytes (see [`file_body`]), or, if they are not UTF-8, of its text decoded
/// whole as `file_text` decodes it (then `NotUtf8` cannot come back).
pub fn utf8_or_decoded<R>(
    bytes: &[u8],
    read: impl Fn(&[u8]) -> Result<R, NotUtf8>,
) -> Result<R, NotUtf8> {
    match read(&file_body(bytes)) {
        Err(NotUtf8) => read(&decoded_body(bytes)),
        read => read,
    }
}

fn without_boms(mut bytes: &[u8]) -> &[u8] {
    while let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        bytes = rest;
    }
    bytes
}

/// Whether a file's rows run newest first: the first row's time (in the first block with rows)
/// is later than the last row's (one row is neither newer nor older). `ends` gives each block's
/// first and last time as read, in file order.
pub fn newest_first<I>(ends: I) -> bool
where
    I: DoubleEndedIterator<Item = Option<(chrono::NaiveDateTime, chrono::NaiveDateTime)>> + Clone,
{
    let first = ends.clone().find_map(|e| e).map(|e| e.0);
    let last = ends.rev().find_map(|e| e).map(|e| e.1);
    first.zip(last).is_some_and(|(f, l)| f > l)
}

/// Whether every quote of `block` (which starts at a record's start) opens a field, closes one
/// before a comma, a line end or the block's end, or is a doubled quote inside one: then a CSV
/// reader is outside quotes exactly where the count of quotes before is even, and a block cut
/// there reads as the whole file reads. (A quote inside an unquoted field is kept as text by the
/// reader and would fool the count.)
pub fn quotes_plain(block: &[u8]) -> bool {
    let mut quoted = false;
    let mut closed_at = None;
    for i in memchr::memchr_iter(b'"', block) {
        if quoted {
            quoted = false;
            closed_at = Some(i);
            if !matches!(block.get(i + 1), None | Some(b',' | b'\r' | b'\n' | b'"')) {
                return false;
            }
        } else {
            let field_start = i == 0 || matches!(block[i - 1], b',' | b'\n' | b'\r');
            let doubled = i > 0 && closed_at == Some(i - 1);
            if !(field_start || doubled) {
                return false;
            }
            quoted = true;
        }
    }
    !quoted
}

/// The cells of a line that quotes plainly, as the CSV reader reads them: each cell quoted
/// with no quote inside, or bare with none at all, and no CR or BOM. `false` (and the reader's
/// turn) for any other line. UptimeRobot's and Zabbix's rows are all plain, and the reader
/// cost more than the rest of a row.
pub fn plain_cells<'a>(line: &'a str, cells: &mut Vec<&'a str>) -> bool {
    cells.clear();
    let b = line.as_bytes();
    if b.starts_with(&[0xEF, 0xBB, 0xBF]) || memchr::memchr(b'\r', b).is_some() {
        return false;
    }
    let mut i = 0;
    loop {
        if b.get(i) == Some(&b'"') {
            let Some(close) = memchr::memchr(b'"', &b[i + 1..]).map(|k| i + 1 + k) else {
                return false;
            };
            cells.push(&line[i + 1..close]);
            i = close + 1;
            match b.get(i) {
                None => return true,
                Some(b',') => i += 1,
                Some(_) => return false,
            }
        } else {
            let end = memchr::memchr(b',', &b[i..]).map_or(b.len(), |k| i + k);
            if b[i..end].contains(&b'"') {
                return false;
            }
            cells.push(&line[i..end]);
            if end == b.len() {
                return true;
            }
            i = end + 1;
        }
    }
}

#[cfg(test)]
fn parse_blocks<'a, T: Send>(
    text: &'a str,
    block_bytes: usize,
    workers: usize,
    parse: impl Fn(Block<'a>) -> T + Sync,
    replay: impl FnMut(T),
) {
    let split = Split {
        block_bytes,
        workers,
    };
    parse_in_order(text, split, parse, replay);
}

/// Parses the blocks `cuts` of `source` on `workers` threads and replays them here in file
/// order. Each worker counts its block's lines first and publishes where the next block starts
/// (block `i` waits only for that count of block `i - 1`, taken earlier by another worker and
/// counted before its parse), checks its UTF-8, then parses it: no pass over the whole file
/// runs before the parse.
fn run<'a, T: Send>(
    source: Source<'a>,
    cuts: Vec<(usize, usize)>,
    first_line: usize,
    workers: usize,
    parse: impl Fn(Block<'a>) -> T + Sync,
    mut replay: impl FnMut(T),
) -> Result<(), NotUtf8> {
    let lines_in =
        |(from, to): (usize, usize)| memchr::memchr_iter(b'\n', &source.bytes()[from..to]).count();
    if workers <= 1 || cuts.len() <= 1 {
        let mut line = first_line;
        for &(from, to) in &cuts {
            let text = source.text(from, to).ok_or(NotUtf8)?;
            let block = Block {
                first_line: line,
                text,
            };
            line += lines_in((from, to));
            replay(parse(block));
        }
        return Ok(());
    }
    // Workers take blocks in file order (one counter), so results arrive nearly in order and few
    // wait in `early` for the ones before them. `next_line[i]`: the first line after block `i`,
    // `usize::MAX` until counted.
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let next_line: Vec<AtomicUsize> = cuts.iter().map(|_| AtomicUsize::new(usize::MAX)).collect();
    std::thread::scope(|scope| {
        let (sender, results) = mpsc::channel::<(usize, Option<T>)>();
        for _ in 0..workers.min(cuts.len()) {
            let sender = sender.clone();
            let (next, stop, next_line, cuts, parse) = (&next, &stop, &next_line, &cuts, &parse);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&(from, to)) = cuts.get(i) else {
                    break;
                };
                let n = lines_in((from, to));
                let line = match i.checked_sub(1) {
                    None => first_line,
                    Some(before) => loop {
                        let line = next_line[before].load(Ordering::Acquire);
                        if line != usize::MAX {
                            break line;
                        }
                        std::thread::yield_now();
                    },
                };
                next_line[i].store(line + n, Ordering::Release);
                if stop.load(Ordering::Relaxed) {
                    continue; // the blocks after still need their lines counted
                }
                let parsed = source.text(from, to).map(|text| {
                    parse(Block {
                        first_line: line,
                        text,
                    })
                });
                if parsed.is_none() {
                    stop.store(true, Ordering::Relaxed);
                }
                if sender.send((i, parsed)).is_err() {
                    stop.store(true, Ordering::Relaxed);
                }
            });
        }
        drop(sender);
        let mut early: std::collections::BTreeMap<usize, T> = Default::default();
        let mut wanted = 0;
        for (i, parsed) in results {
            let Some(parsed) = parsed else {
                return Err(NotUtf8);
            };
            early.insert(i, parsed);
            while let Some(parsed) = early.remove(&wanted) {
                replay(parsed);
                wanted += 1;
            }
        }
        Ok(())
    })
}

/// The distinct names (or words, or pairs of them) of one block, numbered from 0 in order of
/// first use: a log repeats a handful of them a million times, and the replay turns each number
/// into the builder's series once per block.
pub struct Interned<K> {
    pub list: Vec<K>,
    index: HashMap<K, u32, BuildHasherDefault<WordHasher>>,
}

/// A block's names.
pub type Names<'a> = Interned<&'a str>;

impl<K> Default for Interned<K> {
    fn default() -> Self {
        Interned {
            list: Vec::new(),
            index: HashMap::default(),
        }
    }
}

impl<K: std::hash::Hash + Eq + Copy> Interned<K> {
    pub fn id(&mut self, key: K) -> u32 {
        // A handful of keys: a few comparisons beat a hash (as in `id_of`).
        if self.list.len() <= 8 {
            if let Some(i) = self.list.iter().position(|k| *k == key) {
                return i as u32;
            }
        }
        let list = &mut self.list;
        *self.index.entry(key).or_insert_with(|| {
            list.push(key);
            (list.len() - 1) as u32
        })
    }
}

impl Interned<String> {
    /// The number of `key`, copied only when first met (for text that does not outlive a line).
    pub fn id_of(&mut self, key: &str) -> u32 {
        // A block has a handful of words and monitors: a few short comparisons beat a hash.
        if self.list.len() <= 8 {
            if let Some(i) = self.list.iter().position(|k| k == key) {
                return i as u32;
            }
        } else if let Some(&i) = self.index.get(key) {
            return i;
        }
        let i = self.list.len() as u32;
        self.list.push(key.to_string());
        self.index.insert(key.to_string(), i);
        i
    }
}

/// A hash of short names eight bytes at a time (SipHash cost more than the rest of a line; these
/// keys come from the file, but a block's map only ever holds its own names).
#[derive(Default)]
struct WordHasher(u64);

impl WordHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            let mut b = [0u8; 8];
            b.copy_from_slice(w);
            self.add(u64::from_le_bytes(b));
        }
        let rest = words.remainder();
        let mut b = [0u8; 8];
        b[..rest.len()].copy_from_slice(rest);
        self.add(u64::from_le_bytes(b) ^ ((rest.len() as u64) << 59));
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn write_isize(&mut self, i: isize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every block size and worker count gives the lines `text_lines` gives, in order.
    #[test]
    fn blocks_give_the_lines_of_the_whole_text_in_order() {
        let text = "\u{feff}a\r\nbb\n\n c \r\r\nlast";
        let whole: Vec<(usize, String)> = super::super::states::text_lines(text)
            .map(|(n, l)| (n, l.to_string()))
            .collect();
        for size in 1..=text.len() + 1 {
            for workers in [1, 2, 3] {
                let mut got = Vec::new();
                parse_blocks(
                    text,
                    size,
                    workers,
                    |b| {
                        b.lines()
                            .map(|(n, l)| (n, l.to_string()))
                            .collect::<Vec<_>>()
                    },
                    |lines| got.extend(lines),
                );
                assert_eq!(got, whole, "block size {size}, {workers} workers");
            }
        }
    }

    /// Records are cut only outside quotes, every byte kept once, each block numbered with the
    /// line it starts on.
    #[test]
    fn records_are_cut_outside_quotes_with_their_line_numbers() {
        let text = "a,\"b\nc\"\n\"\"\"d\n\",e\n\nf,g\n\"h\"";
        for size in 1..=text.len() + 1 {
            for workers in [1, 2] {
                let mut got = Vec::new();
                let split = Split {
                    block_bytes: size,
                    workers,
                };
                let bytes = text.as_bytes();
                let read =
                    parse_bytes_in_order(bytes, 7, Cut::Records, split, |b| b, |b| got.push(b));
                assert_eq!(read, Ok(()));
                assert_eq!(got.iter().map(|b| b.text).collect::<String>(), text);
                let mut line = 7;
                for b in &got {
                    assert_eq!(b.first_line, line, "block size {size}");
                    assert_eq!(b.text.matches('"').count() % 2, 0, "{:?}", b.text);
                    line += b.text.matches('\n').count();
                }
            }
        }
    }

    /// Cut at every size, a text with characters of 2-4 bytes (a block's target falling inside
    /// them) gives its lines as the whole text does; with one byte that is not UTF-8 anywhere,
    /// every cut says so, whichever block holds it.
    #[test]
    fn each_blocks_utf8_check_is_the_whole_files() {
        let text = "é,ü\n\nñ😀x,€\r\nab\n😀😀\nlast é";
        let whole: Vec<(usize, String)> = super::super::states::text_lines(text)
            .map(|(n, l)| (n, l.to_string()))
            .collect();
        let bytes = text.as_bytes();
        for block_bytes in 1..=bytes.len() + 1 {
            for workers in [1, 2, 3] {
                let split = Split {
                    block_bytes,
                    workers,
                };
                let mut got = Vec::new();
                let lines = |b: Block<'_>| {
                    b.lines()
                        .map(|(n, l)| (n, l.to_string()))
                        .collect::<Vec<_>>()
                };
                let read =
                    parse_bytes_in_order(bytes, 1, Cut::Lines, split, lines, |l| got.extend(l));
                assert_eq!(read, Ok(()), "{split:?}");
                assert_eq!(got, whole, "{split:?}");
                for bad in [0, 3, 12, bytes.len() - 1] {
                    let mut broken = bytes.to_vec();
                    broken[bad] = 0xFF;
                    let read = parse_bytes_in_order(&broken, 1, Cut::Lines, split, lines, drop);
                    assert_eq!(read, Err(NotUtf8), "byte {bad}, {split:?}");
                }
            }
        }
    }

    /// A file that is not UTF-8 is read as `file_text` decodes it, after its UTF-8 was tried.
    #[test]
    fn a_file_not_utf8_is_read_decoded() {
        let read = |body: &[u8]| match std::str::from_utf8(body) {
            Ok(text) => Ok(text.to_string()),
            Err(_) => Err(NotUtf8),
        };
        let latin = b"\xEF\xBB\xBF\xEF\xBB\xBFcaf\xE9\nok\n";
        assert_eq!(utf8_or_decoded(latin, read), Ok("caf\u{fffd}\nok\n".into()));
        let utf8 = "\u{feff}\u{feff}café\n";
        assert_eq!(utf8_or_decoded(utf8.as_bytes(), read), Ok("café\n".into()));
        let utf16: Vec<u8> = [0xFF, 0xFE, b'o', 0, b'k', 0].to_vec();
        assert_eq!(utf8_or_decoded(&utf16, read), Ok("ok".into()));
    }

    #[test]
    fn plain_quotes_are_told_from_quotes_a_count_would_misread() {
        for plain in [
            &b"a,b\n"[..],
            b"\"a\",\"b\"\n",
            b"\"a\"\"b\",\"\"\n\"x\ny\",z",
            b"\"\"\"\",1\r\n",
        ] {
            assert!(quotes_plain(plain), "{:?}", String::from_utf8_lossy(plain));
        }
        for odd in [&b"ab\"c,d\n"[..], b"\"a\"b,c\n", b"\"open\n"] {
            assert!(!quotes_plain(odd), "{:?}", String::from_utf8_lossy(odd));
        }
    }

    #[test]
    fn names_are_numbered_in_order_of_first_use() {
        let mut names = Names::default();
        let ids: Vec<u32> = ["b", "a", "b", "", "a;x", "a"]
            .iter()
            .map(|n| names.id(n))
            .collect();
        assert_eq!(ids, [0, 1, 0, 2, 3, 1]);
        assert_eq!(names.list, ["b", "a", "", "a;x"]);
    }

    #[test]
    fn utf8_is_borrowed_and_other_encodings_decoded_as_before() {
        let utf8 = b"\xEF\xBB\xBFok\n";
        assert!(matches!(file_text(utf8), Cow::Borrowed("ok\n")));
        for bytes in [&b"\xFF\xFEo\0k\0"[..], b"caf\xE9\n", b"plain"] {
            assert_eq!(
                file_text(bytes),
                crate::source::text::decode_head(bytes),
                "{bytes:?}"
            );
        }
    }
}
