//! Small helpers for the end-to-end tests: run the built `faultline` binary and find fixtures.
#![allow(dead_code)]
use assert_cmd::Command;
use std::path::{Path, PathBuf};

/// The built binary, ready for arguments.
pub fn faultline() -> Command {
    Command::cargo_bin("faultline").expect("the faultline binary is built")
}

/// `fixtures/aug15` (or a file in it).
pub fn aug15(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/aug15");
    if name.is_empty() {
        dir
    } else {
        dir.join(name)
    }
}

/// What one run printed, and how it ended.
#[derive(Debug)]
pub struct Run {
    pub stdout: String,
    pub stderr: String,
    /// `None` when killed by a signal.
    pub code: Option<i32>,
}

/// Runs `faultline ARGS` and returns its output, whatever the exit code.
pub fn run<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let output = faultline().args(args).output().expect("faultline runs");
    Run {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        code: output.status.code(),
    }
}

/// Runs `faultline ARGS`, asserts exit code 0, returns stdout.
pub fn run_ok<I, S>(args: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let r = run(args);
    assert_eq!(r.code, Some(0), "faultline failed:\n{}", r.stderr);
    r.stdout
}

/// Parses JSON Lines output, one value per line.
pub fn jsonl(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
        .collect()
}

/// `p` as a `&str` argument.
pub fn arg(p: &Path) -> String {
    p.display().to_string()
}

/// A folder of `../shared/` beside the project (real samples). Missing, it is a visible skip on a
/// developer's machine and a failure in CI (`CI=true`), where a test that checks nothing must
/// not pass.
pub fn shared(sub: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(sub);
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "CI needs {} (the real samples), and it is missing",
            dir.display()
        );
    }
    eprintln!(
        "SKIPPED: {} is missing, so the real-sample checks did not run",
        dir.display()
    );
    None
}
