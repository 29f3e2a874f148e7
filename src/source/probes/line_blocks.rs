//! A state log's text cut into blocks of whole lines, parsed on worker threads and handed back in
//! file order, so that a reader parses in parallel and still meets its rows one by one as before
//! (its state machine and `StatesBuilder` see the same calls in the same order).
use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
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

/// `text` (a BOM already left out) cut after line breaks into blocks of about `block_bytes`,
/// the first numbered `first_line`; with `quoted`, only after a line break with an even number of
/// quotes before it (outside quotes, for CSV that quotes plainly: see `quotes_plain`). The counts
/// of quotes and lines run on `workers` threads.
fn blocks(
    text: &str,
    block_bytes: usize,
    first_line: usize,
    quoted: bool,
    workers: usize,
) -> Vec<Block<'_>> {
    let bytes = text.as_bytes();
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
        ends.push(end);
        start = end;
    }
    if start < bytes.len() {
        ends.push(bytes.len());
    }
    let mut from = 0;
    let texts: Vec<&str> = ends
        .iter()
        .map(|&end| {
            let block = &text[from..end];
            from = end;
            block
        })
        .collect();
    let lines = count_each(
        &texts.iter().map(|t| t.as_bytes()).collect::<Vec<_>>(),
        b'\n',
        workers,
    );
    let mut line = first_line;
    texts
        .into_iter()
        .zip(lines)
        .map(|(text, n)| {
            let block = Block {
                first_line: line,
                text,
            };
            line += n;
            block
        })
        .collect()
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
    let blocks = blocks(text, split.block_bytes, 1, false, split.workers);
    run(blocks, split.workers, parse, replay);
}

/// CSV records from `text` on (the file's line `first_line`), cut into blocks at line breaks
/// outside quotes and parsed as [`parse_in_order`] parses lines. The cut is right only when the
/// CSV quotes plainly: each block's parse checks it with [`quotes_plain`].
pub fn parse_records_in_order<'a, T: Send>(
    text: &'a str,
    first_line: usize,
    split: Split,
    parse: impl Fn(Block<'a>) -> T + Sync,
    replay: impl FnMut(T),
) {
    let blocks = blocks(text, split.block_bytes, first_line, true, split.workers);
    run(blocks, split.workers, parse, replay);
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
    let text = text.trim_start_matches('\u{feff}');
    run(
        blocks(text, block_bytes, 1, false, workers),
        workers,
        parse,
        replay,
    );
}

fn run<'a, T: Send>(
    blocks: Vec<Block<'a>>,
    workers: usize,
    parse: impl Fn(Block<'a>) -> T + Sync,
    mut replay: impl FnMut(T),
) {
    if workers <= 1 || blocks.len() <= 1 {
        blocks.into_iter().for_each(|b| replay(parse(b)));
        return;
    }
    // Workers take blocks in file order (one counter), so results arrive nearly in order and few
    // wait in `early` for the ones before them.
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let (sender, results) = mpsc::channel::<(usize, T)>();
        for _ in 0..workers.min(blocks.len()) {
            let sender = sender.clone();
            let (next, blocks, parse) = (&next, &blocks, &parse);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&block) = blocks.get(i) else { break };
                if sender.send((i, parse(block))).is_err() {
                    break;
                }
            });
        }
        drop(sender);
        let mut early: std::collections::BTreeMap<usize, T> = Default::default();
        let mut wanted = 0;
        for (i, parsed) in results {
            early.insert(i, parsed);
            while let Some(parsed) = early.remove(&wanted) {
                replay(parsed);
                wanted += 1;
            }
        }
    });
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
                parse_records_in_order(text, 7, split, |b| b, |b| got.push(b));
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
