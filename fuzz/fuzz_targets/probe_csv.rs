//! cargo-fuzz target: see `bodies/probe_csv.rs` (the same body runs in `tests/e2e/fuzz_loops.rs`).
#![no_main]
#[path = "../bodies/probe_csv.rs"]
mod body;
#[path = "../bodies/scratch.rs"]
mod scratch;

libfuzzer_sys::fuzz_target!(|data: &[u8]| body::run(data));
