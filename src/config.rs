//! Validated settings: the command-line flags over `faultline.toml` (beside the inputs, or
//! `--config FILE`) over the defaults. Commands build `Flags` from clap; nothing below sees clap.
use crate::error::{Error, Result};
use crate::timefmt::{parse_duration, Zone};
use chrono::Duration;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The file looked for in the first input folder.
pub const FILE_NAME: &str = "faultline.toml";
pub const DEFAULT_TIMEOUT: &str = "15s";
pub const DEFAULT_LOOKBACK: &str = "2h";
pub const DEFAULT_MERGE_GAP: &str = "5m";
pub const DEFAULT_MIN_FAILURES: usize = 2;

/// What the user gave on the command line (`None` = not given), as plain values.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    pub input_tz: Option<String>,
    pub tz: Option<String>,
    pub local: Option<String>,
    pub timeout: Option<String>,
    pub lookback: Option<String>,
    pub merge_gap: Option<String>,
    pub min_failures: Option<usize>,
    pub columns: Option<String>,
}

/// `faultline.toml`, as written. Every key is optional; unknown keys are an error (a typo must
/// not be silently ignored).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// The probe that runs on the server itself.
    pub local_probe: Option<String>,
    /// Zone of timestamps without zone in the inputs.
    pub input_tz: Option<String>,
    /// Zone times are shown in.
    pub tz: Option<String>,
    pub timeout: Option<String>,
    pub lookback: Option<String>,
    pub merge_gap: Option<String>,
    pub min_failures: Option<usize>,
    /// Probe CSV columns: a table `{ time = "checked_at", latency = "latency_s" }` or the
    /// `--columns` text `time=checked_at,latency=latency_s`.
    pub columns: Option<Columns>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Columns {
    Text(String),
    Table(BTreeMap<String, String>),
}

impl Columns {
    /// The `--columns` form: `role=COL,role=COL`.
    fn as_map_text(&self) -> String {
        match self {
            Columns::Text(t) => t.clone(),
            Columns::Table(t) => t
                .iter()
                .map(|(role, col)| format!("{role}={col}"))
                .collect::<Vec<_>>()
                .join(","),
        }
    }
}

/// The settings every command draws from, validated.
#[derive(Debug, Clone)]
pub struct Settings {
    pub input_tz: Zone,
    pub tz: Zone,
    pub local: Option<String>,
    pub timeout: Duration,
    pub lookback: Duration,
    pub merge_gap: Duration,
    pub min_failures: usize,
    pub columns: Option<String>,
    /// The config file that was read, if any.
    pub file: Option<PathBuf>,
}

/// Finds the config file: `--config FILE` (must exist), else `faultline.toml` in the first input
/// folder (or beside the first input file), else none.
pub fn locate(explicit: Option<&Path>, inputs: &[PathBuf]) -> Result<Option<PathBuf>> {
    if let Some(path) = explicit {
        if !path.is_file() {
            return Err(Error::arg(
                "--config",
                format!("{}: no such file", path.display()),
            ));
        }
        return Ok(Some(path.to_path_buf()));
    }
    let Some(first) = inputs.first() else {
        return Ok(None);
    };
    let folder = if first.is_dir() {
        first.as_path()
    } else {
        first.parent().unwrap_or(Path::new(""))
    };
    let candidate = if folder.as_os_str().is_empty() {
        PathBuf::from(FILE_NAME)
    } else {
        folder.join(FILE_NAME)
    };
    Ok(candidate.is_file().then_some(candidate))
}

/// Reads and parses a config file; errors name the file, and the line for syntax errors.
pub fn read(path: &Path) -> Result<FileConfig> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    toml::from_str(&text).map_err(|e| Error::bad_input(path, e.to_string().trim_end().to_string()))
}

/// Flags over the file over the defaults, each value checked; a bad value names where it came
/// from (`--tz` or `faultline.toml: tz`).
pub fn resolve(flags: &Flags, file: Option<(&Path, &FileConfig)>) -> Result<Settings> {
    let cfg = file.map(|(_, c)| c.clone()).unwrap_or_default();
    let path = file.map(|(p, _)| p.to_path_buf());
    let pick = |flag: &str, given: &Option<String>, key: &str, from_file: &Option<String>| match (
        given, from_file, &path,
    ) {
        (Some(v), _, _) => Some((v.clone(), flag.to_string())),
        (None, Some(v), Some(p)) => Some((v.clone(), format!("{}: {key}", p.display()))),
        _ => None,
    };
    let zone =
        |flag: &str, given: &Option<String>, key: &str, from_file: &Option<String>| match pick(
            flag, given, key, from_file,
        ) {
            Some((v, origin)) => Zone::parse(&v).map_err(|m| Error::arg(origin, m)),
            None => Ok(Zone::UTC),
        };
    let duration = |flag: &str,
                    given: &Option<String>,
                    key: &str,
                    from_file: &Option<String>,
                    default: &str| {
        let (v, origin) =
            pick(flag, given, key, from_file).unwrap_or((default.to_string(), flag.to_string()));
        parse_duration(&v).map_err(|m| Error::arg(origin, m))
    };
    // One failed check is the least a window can hold: 0 means 1.
    let min_failures = flags
        .min_failures
        .or(cfg.min_failures)
        .unwrap_or(DEFAULT_MIN_FAILURES)
        .max(1);
    Ok(Settings {
        input_tz: zone("--input-tz", &flags.input_tz, "input_tz", &cfg.input_tz)?,
        tz: zone("--tz", &flags.tz, "tz", &cfg.tz)?,
        local: flags.local.clone().or(cfg.local_probe.clone()),
        timeout: duration(
            "--timeout",
            &flags.timeout,
            "timeout",
            &cfg.timeout,
            DEFAULT_TIMEOUT,
        )?,
        lookback: duration(
            "--lookback",
            &flags.lookback,
            "lookback",
            &cfg.lookback,
            DEFAULT_LOOKBACK,
        )?,
        merge_gap: duration(
            "--merge-gap",
            &flags.merge_gap,
            "merge_gap",
            &cfg.merge_gap,
            DEFAULT_MERGE_GAP,
        )?,
        min_failures,
        columns: flags
            .columns
            .clone()
            .or_else(|| cfg.columns.as_ref().map(Columns::as_map_text)),
        file: path,
    })
}

/// Locates, reads and resolves in one step.
pub fn load(explicit: Option<&Path>, inputs: &[PathBuf], flags: &Flags) -> Result<Settings> {
    match locate(explicit, inputs)? {
        Some(path) => {
            let file = read(&path)?;
            resolve(flags, Some((&path, &file)))
        }
        None => resolve(flags, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> FileConfig {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn defaults_without_flags_or_file() {
        let s = resolve(&Flags::default(), None).unwrap();
        assert!(s.tz.is_utc() && s.input_tz.is_utc());
        assert_eq!(s.timeout, Duration::seconds(15));
        assert_eq!(s.lookback, Duration::hours(2));
        assert_eq!(s.merge_gap, Duration::minutes(5));
        assert_eq!(s.min_failures, 2);
        assert!(s.local.is_none() && s.columns.is_none());
    }

    #[test]
    fn flags_win_over_the_file() {
        let file = parse(
            "local_probe = \"onbox\"\ntz = \"America/Los_Angeles\"\ntimeout = \"10s\"\n[columns]\ntime = \"checked_at\"\nlatency = \"latency_s\"\n",
        );
        let flags = Flags {
            tz: Some("Europe/Berlin".into()),
            ..Default::default()
        };
        let s = resolve(&flags, Some((Path::new("faultline.toml"), &file))).unwrap();
        assert_eq!(s.tz.name(), "Europe/Berlin");
        assert_eq!(s.local.as_deref(), Some("onbox"));
        assert_eq!(s.timeout, Duration::seconds(10));
        assert_eq!(
            s.columns.as_deref(),
            Some("latency=latency_s,time=checked_at")
        );
    }

    #[test]
    fn a_bad_value_names_the_file_and_key() {
        let file = parse("input_tz = \"Mars/Olympus\"\n");
        let err = resolve(
            &Flags::default(),
            Some((Path::new("cfg/faultline.toml"), &file)),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("cfg/faultline.toml: input_tz"), "{err}");
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(toml::from_str::<FileConfig>("locale_probe = \"x\"\n").is_err());
    }
}
