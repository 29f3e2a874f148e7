//! Validated settings: the command-line flags over `faultline.toml` (beside the inputs, or
//! `--config FILE`) over the defaults. Commands build `Flags` from clap; nothing below sees clap.
use crate::error::{Error, Result};
use crate::source::per_input::{parse_date_order, split_rule, InputRule, InputRules};
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
    /// `--input-tz`, `--date-order`, `--log-name`, `--host`: `VALUE` or `PATTERN=VALUE` each.
    pub input_tz: Vec<String>,
    pub date_order: Vec<String>,
    pub log_name: Vec<String>,
    pub host: Vec<String>,
    pub tz: Option<String>,
    pub local: Option<String>,
    pub timeout: Option<String>,
    pub lookback: Option<String>,
    pub merge_gap: Option<String>,
    pub min_failures: Option<usize>,
    pub columns: Option<String>,
    /// `--warning-is-down`.
    pub warning_is_down: bool,
    /// `--vantage-label`.
    pub vantage_label: Option<String>,
    /// `--target`, repeated.
    pub targets: Vec<String>,
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
    /// A degraded probe state (Nagios WARNING) is down.
    pub warning_is_down: Option<bool>,
    /// Probe CSV columns: a table `{ time = "checked_at", latency = "latency_s" }` or the
    /// `--columns` text `time=checked_at,latency=latency_s`.
    pub columns: Option<Columns>,
    /// The Prometheus label that says where a check ran from.
    pub vantage_label: Option<String>,
    /// Keep only the probes whose target, name or host contains one of these.
    pub targets: Option<Vec<String>>,
    /// What some inputs cannot say about themselves: `[[inputs]] path = "web01/*", tz = "..."`.
    #[serde(default)]
    pub inputs: Vec<FileInput>,
}

/// One `[[inputs]]` table: a glob over input paths and what holds for them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileInput {
    pub path: String,
    pub tz: Option<String>,
    pub date_order: Option<String>,
    pub channel: Option<String>,
    pub host: Option<String>,
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
    /// The zone of zone-less times for inputs no rule names.
    pub input_tz: Zone,
    /// Per-input zones, date orders, log names and hosts (with the rule for all first).
    pub inputs: InputRules,
    pub tz: Zone,
    pub local: Option<String>,
    pub timeout: Duration,
    pub lookback: Duration,
    pub merge_gap: Duration,
    pub min_failures: usize,
    pub columns: Option<String>,
    /// A degraded probe state (Nagios WARNING) counts as down.
    pub warning_is_down: bool,
    /// The Prometheus label that says where a check ran from (else the first known one).
    pub vantage_label: Option<String>,
    /// Keep only the probes whose target, name or host contains one of these (`--target`).
    pub targets: Vec<String>,
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
    let inputs = input_rules(flags, &cfg, path.as_deref())?;
    Ok(Settings {
        input_tz: inputs.default_tz(),
        inputs,
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
        warning_is_down: flags.warning_is_down || cfg.warning_is_down.unwrap_or(false),
        vantage_label: flags
            .vantage_label
            .clone()
            .or_else(|| cfg.vantage_label.clone()),
        targets: if flags.targets.is_empty() {
            cfg.targets.clone().unwrap_or_default()
        } else {
            flags.targets.clone()
        },
        file: path,
    })
}

/// The per-input rules: the file's `input_tz` and `[[inputs]]`, then the flags (later wins).
fn input_rules(flags: &Flags, cfg: &FileConfig, path: Option<&Path>) -> Result<InputRules> {
    let origin = |key: &str| match path {
        Some(p) => format!("{}: {key}", p.display()),
        None => key.to_string(),
    };
    let zone = |v: &str, from: String| Zone::parse(v).map_err(|m| Error::arg(from, m));
    let order = |v: &str, from: String| parse_date_order(v).map_err(|m| Error::arg(from, m));
    let mut rules = Vec::new();
    if let Some(tz) = &cfg.input_tz {
        rules.push(InputRule {
            tz: Some(zone(tz, origin("input_tz"))?),
            ..Default::default()
        });
    }
    for entry in &cfg.inputs {
        rules.push(InputRule {
            pattern: Some(entry.path.clone()),
            tz: entry
                .tz
                .as_deref()
                .map(|v| zone(v, origin("inputs.tz")))
                .transpose()?,
            date_order: entry
                .date_order
                .as_deref()
                .map(|v| order(v, origin("inputs.date_order")))
                .transpose()?,
            channel: entry.channel.clone(),
            host: entry.host.clone(),
        });
    }
    let flag_rules = |values: &[String], set: &dyn Fn(&str, &mut InputRule) -> Result<()>| {
        values
            .iter()
            .map(|text| {
                let (pattern, value) = split_rule(text);
                let mut rule = InputRule {
                    pattern: pattern.map(str::to_string),
                    ..Default::default()
                };
                set(value, &mut rule)?;
                Ok(rule)
            })
            .collect::<Result<Vec<_>>>()
    };
    rules.extend(flag_rules(&flags.input_tz, &|v, r| {
        r.tz = Some(zone(v, "--input-tz".into())?);
        Ok(())
    })?);
    rules.extend(flag_rules(&flags.date_order, &|v, r| {
        r.date_order = Some(order(v, "--date-order".into())?);
        Ok(())
    })?);
    rules.extend(flag_rules(&flags.log_name, &|v, r| {
        r.channel = Some(v.to_string());
        Ok(())
    })?);
    rules.extend(flag_rules(&flags.host, &|v, r| {
        r.host = Some(v.to_string());
        Ok(())
    })?);
    Ok(InputRules(rules))
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
    fn warning_is_down_from_the_flag_or_the_file() {
        assert!(!resolve(&Flags::default(), None).unwrap().warning_is_down);
        let file = parse("warning_is_down = true\n");
        let s = resolve(
            &Flags::default(),
            Some((Path::new("faultline.toml"), &file)),
        )
        .unwrap();
        assert!(s.warning_is_down);
        let flags = Flags {
            warning_is_down: true,
            ..Default::default()
        };
        assert!(resolve(&flags, None).unwrap().warning_is_down);
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
