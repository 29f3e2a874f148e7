//! `faultline.toml` beside the inputs or `--config FILE`: what it sets, and that flags win.
use crate::common;

use common::{aug15, run};
use faultline::synth::story;
use std::path::Path;

/// A folder with the story's probe exports, the local probe's file renamed so that its name no
/// longer says it is local ("server").
fn probe_folder(config: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        aug15(&format!("{}.csv", story::LOCAL_PROBE)),
        dir.path().join("server.csv"),
    )
    .unwrap();
    std::fs::copy(
        aug15("probes_remote.csv"),
        dir.path().join("probes_remote.csv"),
    )
    .unwrap();
    if let Some(text) = config {
        std::fs::write(dir.path().join("faultline.toml"), text).unwrap();
    }
    dir
}

fn windows(dir: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["probes", "--format", "json", "-q"];
    args.extend_from_slice(extra);
    let r = run(args
        .iter()
        .map(|a| a.to_string())
        .chain([dir.display().to_string()]));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    serde_json::from_str(&r.stdout).unwrap()
}

fn kind_of_aug15(json: &serde_json::Value) -> String {
    kind_of(json, story::outage_aug15().first_failure)
}

fn kind_of(json: &serde_json::Value, start: chrono::DateTime<chrono::Utc>) -> String {
    json["outages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["start"] == faultline::model::rfc3339(&start))
        .map(|o| o["kind"].as_str().unwrap().to_string())
        .expect("the window is found")
}

#[test]
fn the_file_names_the_local_probe() {
    // Without it, nothing says "server" runs on the server: all probes failed, kind unknown.
    let plain = probe_folder(None);
    assert_eq!(kind_of_aug15(&windows(plain.path(), &[])), "unclassified");
    let configured = probe_folder(Some("local_probe = \"server\"\n"));
    assert_eq!(kind_of_aug15(&windows(configured.path(), &[])), "service");
    // The flag wins over the file: on 11 Aug two remote probes failed while the server's own
    // probe answered (network), but it is a service outage if one of them is the local probe.
    let aug11 = story::network_aug11().first_failure;
    assert_eq!(kind_of(&windows(configured.path(), &[]), aug11), "network");
    assert_eq!(
        kind_of(
            &windows(configured.path(), &["--local", story::NETWORK_PROBES[0]]),
            aug11
        ),
        "service"
    );
}

#[test]
fn the_display_zone_comes_from_the_file_unless_given() {
    let dir = probe_folder(Some(&format!("tz = \"{}\"\n", story::ZONE)));
    let table = |extra: &[&str]| {
        let mut args: Vec<String> = vec!["probes".into(), "-q".into()];
        args.extend(extra.iter().map(|s| s.to_string()));
        args.push(dir.path().display().to_string());
        let r = run(args);
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        r.stdout
    };
    // The aug15 outage began at 16:58 PDT, 23:58 UTC.
    assert!(table(&[]).contains("2011-08-15 16:58:00 PDT"));
    let flagged = table(&["--tz", "UTC"]);
    assert!(flagged.contains("2011-08-15 23:58:00 UTC"));
    assert!(!flagged.contains("PDT"));
}

#[test]
fn the_report_reads_it_and_says_so() {
    let dir = probe_folder(Some("local_probe = \"server\"\nlookback = \"1h\"\n"));
    let r = run([
        "report".to_string(),
        "--format".into(),
        "json".into(),
        dir.path().display().to_string(),
    ]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stderr.contains("settings from"), "{}", r.stderr);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(json["lookback_seconds"], 3600);
    // --lookback on the command line wins.
    let r = run([
        "report".to_string(),
        "--format".into(),
        "json".into(),
        "--lookback".into(),
        "3h".into(),
        dir.path().display().to_string(),
    ]);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(json["lookback_seconds"], 3 * 3600);
}

#[test]
fn config_flag_reads_a_file_elsewhere() {
    let dir = probe_folder(None);
    let cfg = tempfile::tempdir().unwrap();
    let file = cfg.path().join("team.toml");
    std::fs::write(&file, "local_probe = \"server\"\n").unwrap();
    let json = windows(dir.path(), &["--config", file.to_str().unwrap()]);
    assert_eq!(kind_of_aug15(&json), "service");
}

#[test]
fn column_mappings_from_the_file_are_applied() {
    let dir = probe_folder(Some("[columns]\ntime = \"no_such_column\"\n"));
    let r = run(["probes".to_string(), dir.path().display().to_string()]);
    assert_ne!(r.code, Some(0));
    assert!(r.stderr.contains("no_such_column"), "{}", r.stderr);
}

#[test]
fn bad_files_are_named_with_the_line_or_key() {
    let dir = probe_folder(Some("local_probe = \"server\"\ntimeout = [\n"));
    let r = run(["probes".to_string(), dir.path().display().to_string()]);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(r.stderr.contains("faultline.toml"), "{}", r.stderr);
    assert!(r.stderr.contains("line 2"), "{}", r.stderr);

    let dir = probe_folder(Some("input_tz = \"Mars/Olympus\"\n"));
    let r = run(["probes".to_string(), dir.path().display().to_string()]);
    assert!(
        r.stderr.contains("faultline.toml: input_tz"),
        "{}",
        r.stderr
    );

    let dir = probe_folder(Some("locall_probe = \"server\"\n"));
    let r = run(["probes".to_string(), dir.path().display().to_string()]);
    assert!(r.stderr.contains("locall_probe"), "{}", r.stderr);

    let r = run(["probes", "--config", "/no/such/faultline.toml"]);
    assert!(r.stderr.contains("/no/such/faultline.toml"), "{}", r.stderr);
}
