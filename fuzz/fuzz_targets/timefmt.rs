//! cargo-fuzz target: see `bodies/timefmt.rs` (the same body runs in `tests/e2e/fuzz_loops.rs`).
#![no_main]
#[path = "../bodies/timefmt.rs"]
mod body;
#[path = "../bodies/scratch.rs"]
mod scratch;

libfuzzer_sys::fuzz_target!(|data: &[u8]| body::run(data));
