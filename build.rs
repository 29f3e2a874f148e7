//! Embeds the git commit in `faultline --version` (or "unknown" outside a git checkout), and
//! checks the knowledge files under data/ against their schema: a broken file fails the build
//! with its line rather than leaving a table empty at run time.
use std::process::Command;

#[allow(dead_code)]
#[path = "src/knowledge/schema.rs"]
mod schema;

fn check<T: serde::de::DeserializeOwned>(path: &str) {
    println!("cargo:rerun-if-changed={path}");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    if let Err(e) = toml::from_str::<T>(&text) {
        panic!("{path}: {e}");
    }
}

fn main() {
    check::<schema::EventFile>("data/events.toml");
    check::<schema::RuleFile>("data/counters.toml");
    let commit = Command::new("git")
        .args(["rev-parse", "--short=10", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=FAULTLINE_GIT_COMMIT={commit}");
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/refs/heads");
    fixed_address_on_linux();
}

/// Links the binary at a fixed address on Linux (glibc). As a position-independent executable
/// the loader first patched some 75,000 pointers in 1.6 MB of tables (clap's, the knowledge
/// base's, the crates' vtables): about 420 copy-on-write page faults and a millisecond of CPU
/// before `main`, paid by every run, where `evtx_dump`'s whole run on a small log is 2 ms. At a
/// fixed address those pointers are written by the linker and the pages are read only when
/// used. The price is that the binary's own code and tables are not placed at a random
/// address (libraries, heap and stack still are); the code is memory-safe Rust reading files.
fn fixed_address_on_linux() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
