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
}
