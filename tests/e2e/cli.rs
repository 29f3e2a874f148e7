//! The command line itself: clap's own consistency check, every `--help` example runs on the
//! fixtures, `--version` names the commit, completions and the man page generate.
use crate::common;

use clap::CommandFactory;
use common::{run, run_ok};
use faultline::cli::Cli;
use std::path::Path;

#[test]
fn clap_definition_is_consistent() {
    Cli::command().debug_assert();
}

/// Every line `  faultline ...` under "Examples:" of the top level and of each subcommand.
fn help_examples() -> Vec<String> {
    let cmd = Cli::command();
    let mut helps: Vec<String> = vec![cmd
        .get_after_help()
        .map(|h| h.to_string())
        .unwrap_or_default()];
    helps.extend(cmd.get_subcommands().map(|s| {
        s.get_after_help()
            .map(|h| h.to_string())
            .unwrap_or_default()
    }));
    helps
        .iter()
        .flat_map(|h| {
            h.lines()
                .map(str::trim)
                .filter(|l| l.starts_with("faultline "))
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn every_help_example_runs_on_the_fixtures() {
    let examples = help_examples();
    assert!(examples.len() >= 20, "{examples:?}");
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
        dir.path().join("fixtures"),
    )
    .unwrap();
    let bin = assert_cmd::cargo::cargo_bin("faultline");
    for example in examples {
        let script = example.replacen("faultline", &format!("'{}'", bin.display()), 1);
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(if script.contains('>') {
                script.clone()
            } else {
                format!("{script} > /dev/null")
            })
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "example failed: {example}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The examples that write files wrote them.
    for written in [
        "outage.md",
        "timeline.csv",
        "series.csv",
        "faultline.1",
        "faultline.bash",
    ] {
        let path = dir.path().join(written);
        assert!(
            std::fs::metadata(&path)
                .map(|m| m.len() > 0)
                .unwrap_or(false),
            "{written} not written"
        );
    }
    assert!(dir.path().join("aug15-copy/System.evtx").exists());
}

#[test]
fn version_names_the_commit() {
    let out = run_ok(["--version"]);
    assert!(out.starts_with("faultline 0."), "{out}");
    assert!(out.contains("commit "), "{out}");
}

#[test]
fn completions_and_man_page_generate() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = run_ok(["completions", shell]);
        assert!(out.contains("faultline"), "{shell}");
        assert!(out.contains("report"), "{shell}: subcommands missing");
    }
    let man = run_ok(["man"]);
    assert!(man.contains(".TH faultline 1"));
    assert!(
        man.contains("faultline\\-report"),
        "subcommand pages missing"
    );
}

#[test]
fn bad_arguments_exit_2_with_a_message() {
    let r = run(["events", "fixtures/aug15", "--tz", "Mars/Olympus"]);
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("Mars/Olympus"), "{}", r.stderr);
    let r = run(["events", "fixtures/aug15", "--id", "7011-7000"]);
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("--id"), "{}", r.stderr);
    let r = run(["report", "no/such/folder"]);
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("no/such/folder"), "{}", r.stderr);
}
