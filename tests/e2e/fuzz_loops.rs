//! The cargo-fuzz targets' bodies (`fuzz/bodies/`) as plain, deterministic `cargo test` loops, so
//! the same properties (never panic on any bytes) are checked on every CI run without nightly
//! Rust or libFuzzer: seeds from the bad-input corpus and fixtures, mutated by a fixed-seed
//! generator, plus every input the fuzzer ever crashed on (`fuzz/regressions/<target>/`).
#[path = "../../fuzz/bodies/evtx.rs"]
mod evtx;
#[path = "../../fuzz/bodies/pdh_csv.rs"]
mod pdh_csv;
#[path = "../../fuzz/bodies/probe_csv.rs"]
mod probe_csv;
#[path = "../../fuzz/bodies/scratch.rs"]
mod scratch;
#[path = "../../fuzz/bodies/timefmt.rs"]
mod timefmt;

use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Files directly in `dir` (sorted), or none when it does not exist.
fn files_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

fn read_all(paths: &[PathBuf]) -> Vec<Vec<u8>> {
    paths.iter().filter_map(|p| std::fs::read(p).ok()).collect()
}

/// A small fixed-seed generator (xorshift64*): the same mutations on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Bytes that break parsers: quotes, separators, line ends, NUL, invalid UTF-8, digits, signs.
const TOKENS: &[&[u8]] = &[
    b"\"",
    b",",
    b";",
    b"\n",
    b"\r",
    b"\r\n",
    b"\0",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"\xe9",
    b"\x80",
    b"9999",
    b"1601",
    b"-",
    b"+",
    b"=",
    b"@",
    b":",
    b".",
    b"(",
    b")",
    b"\\",
    b"T",
    b"Z",
    b" ",
    b"99999999999999999999",
    b"-0",
    b"NaN",
    b"inf",
    b"1e308",
    b"PM",
    b"24:00:00",
    b"02/30/2011",
];

/// One mutation of `seed`: flip, insert a token, delete a range, duplicate a range, or truncate.
fn mutate(rng: &mut Rng, seed: &[u8], max_len: usize) -> Vec<u8> {
    let mut data = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(data.len() + 1);
        match rng.below(6) {
            0 if !data.is_empty() => {
                let i = at.min(data.len() - 1);
                data[i] ^= 1 << rng.below(8);
            }
            1 => {
                let token = TOKENS[rng.below(TOKENS.len())];
                data.splice(at..at, token.iter().copied());
            }
            2 => {
                let end = (at + rng.below(64)).min(data.len());
                data.drain(at..end);
            }
            3 => {
                let end = (at + rng.below(256)).min(data.len());
                let copy = data[at..end].to_vec();
                data.splice(at..at, copy);
            }
            4 => data.truncate(at),
            _ => {
                let i = at.min(data.len().saturating_sub(1));
                if let Some(b) = data.get_mut(i) {
                    *b = rng.next() as u8;
                }
            }
        }
    }
    data.truncate(max_len);
    data
}

/// Most corpus inputs replayed per target on each test run.
const MAX_CORPUS_REPLAY: usize = 150;

/// Runs `body` on every seed, every regression input, and `rounds` mutations.
fn property_loop(
    target: &str,
    seeds: Vec<Vec<u8>>,
    rounds: usize,
    max_len: usize,
    body: fn(&[u8]),
) {
    assert!(!seeds.is_empty(), "{target}: no seeds");
    let regressions = read_all(&files_in(&root().join("fuzz/regressions").join(target)));
    // The committed fuzz corpus, a bounded sample of it (it is replayed in debug builds).
    let corpus_files = files_in(&root().join("fuzz/corpus").join(target));
    let step = corpus_files.len().div_ceil(MAX_CORPUS_REPLAY).max(1);
    let sample: Vec<PathBuf> = corpus_files.into_iter().step_by(step).collect();
    let corpus = read_all(&sample);
    for input in seeds.iter().chain(&regressions).chain(&corpus) {
        body(input);
    }
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ target.len() as u64);
    for _ in 0..rounds {
        let seed = &seeds[rng.below(seeds.len())];
        body(&mutate(&mut rng, seed, max_len));
    }
}

fn csv_seeds() -> Vec<Vec<u8>> {
    let mut paths = Vec::new();
    for dir in ["tests/bad/probes", "tests/bad/metrics", "tests/bad/pdh"] {
        paths.extend(files_in(&root().join(dir)));
    }
    let mut seeds = read_all(&paths);
    for name in [
        "probes_remote.csv",
        "local-sipsvr01.csv",
        "sip_traffic.csv",
        "perfmon_SIPSVR01.csv",
    ] {
        let bytes = std::fs::read(root().join("fixtures/aug15").join(name)).expect("fixture");
        // The head only: enough rows to detect columns, small enough to mutate many times.
        let cut = bytes
            .iter()
            .take(4096)
            .rposition(|b| *b == b'\n')
            .map_or(bytes.len(), |i| i + 1);
        seeds.push(bytes[..cut].to_vec());
    }
    seeds
}

#[test]
fn probe_csv_never_panics() {
    property_loop("probe_csv", csv_seeds(), 400, 8192, probe_csv::run);
}

#[test]
fn pdh_csv_never_panics() {
    property_loop("pdh_csv", csv_seeds(), 300, 8192, pdh_csv::run);
}

#[test]
fn timefmt_never_panics() {
    let seeds: Vec<Vec<u8>> = [
        "2011-08-15T23:47:12Z",
        "2011-08-15 16:47:12.123-07:00",
        "08/15/2011 04:47:12 PM",
        "2011/08/15 16:47",
        "1313452032",
        "1313452032123",
        "2011-11-06 01:30:00",
        "2011-03-13 02:30:00",
        "1601-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "5m",
        "1h30m",
        "America/Los_Angeles",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    property_loop("timefmt", seeds, 20_000, 256, timefmt::run);
}

#[test]
fn evtx_never_panics() {
    let system = std::fs::read(root().join("fixtures/aug15/System.evtx")).expect("fixture");
    // One chunk of the fixture: mutations land in headers, templates and records alike.
    let one_chunk = {
        let mut b = system[..4096 + 0x1_0000].to_vec();
        b[42] = 1; // the header's chunk count
        b
    };
    let seeds = vec![system[..4096].to_vec(), one_chunk];
    property_loop("evtx", seeds, 120, 4096 + 0x1_0000 + 512, evtx::run);
}
