//! Finds the time, probe (or target and vantage), status and latency columns of a probe export: by
//! name first, then by content, or as the user pinned them with `--columns`; and the latency unit.
use super::vocab::{is_status_word, parse_latency, parse_said};
use crate::timefmt::{parse_timestamp, Zone};

mod labels;

/// What a column is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Time,
    Probe,
    Status,
    Latency,
    /// What was checked (a URL, `host:port`, a monitor), in a file that also says where from.
    Target,
    /// Where the check ran from (a location, a prober), in a file that also says what was checked.
    Vantage,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Time => "time",
            Role::Probe => "probe",
            Role::Status => "status",
            Role::Latency => "latency",
            Role::Target => "target",
            Role::Vantage => "vantage",
        }
    }
}

/// Whole column names (normalized: lowercase, runs of other characters as `_`) for each role.
const TIME_NAMES: &[&str] = &[
    "time",
    "timestamp",
    "datetime",
    "date_time",
    "date",
    "ts",
    "checked_at",
    "check_time",
    "checktime",
    "time_utc",
    "utc_time",
    "timestamp_utc",
    "created_at",
    "started_at",
    "start_time",
    "timefrom",
    "time_from",
    "when",
    "local_time",
    "localtime",
    "event_time",
    "_time",
];
const PROBE_NAMES: &[&str] = &[
    "probe",
    "probe_name",
    "monitor",
    "monitor_name",
    "location",
    "check",
    "check_name",
    "name",
    "friendly_name",
    "site",
    "region",
    "agent",
    "node",
    "source",
];
const STATUS_NAMES: &[&str] = &[
    "status",
    "result",
    "state",
    "success",
    "up",
    "probe_success",
    "ok",
    "outcome",
    "is_up",
    "available",
    "passed",
    "healthy",
    "status_code",
    "http_status",
    "response_code",
    "code",
];
const LATENCY_NAMES: &[&str] = &[
    "latency",
    "response_time",
    "responsetime",
    "ping",
    "rtt",
    "duration",
    "elapsed",
    "probe_duration_seconds",
    "time_taken",
    "response",
];
/// Words inside a name that point to a role (after the whole-name lists above).
const LATENCY_WORDS: &[&str] = &[
    "latency",
    "ping",
    "rtt",
    "elapsed",
    "duration",
    "responsetime",
];
const STATUS_WORDS: &[&str] = &[
    "status", "result", "state", "success", "outcome", "up", "ok",
];
const TIME_WORDS: &[&str] = &["time", "timestamp", "datetime", "date", "ts", "when"];
const PROBE_WORDS: &[&str] = &[
    "probe", "monitor", "location", "check", "name", "site", "region", "agent",
];
/// Weaker probe names: the thing checked, used when nothing better is there.
const TARGET_WORDS: &[&str] = &["url", "target", "host", "instance", "endpoint", "job"];
/// Unit words in latency names.
const MS_WORDS: &[&str] = &["ms", "msec", "millis", "milliseconds", "millisecond"];
const S_WORDS: &[&str] = &["s", "sec", "secs", "second", "seconds"];
const US_WORDS: &[&str] = &["us", "usec", "micros", "microseconds"];

/// `Response Time (ms)` -> `response_time_ms`.
pub fn normalize(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().trim_start_matches('\u{feff}').chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_string()
}

fn words(norm: &str) -> Vec<&str> {
    norm.split('_').filter(|w| !w.is_empty()).collect()
}

/// The role a column name suggests and how strongly (3 whole name, 2 a word in it, 1 weak).
pub fn role_from_name(name: &str) -> Option<(Role, u8)> {
    let norm = normalize(name);
    let has = |list: &[&str]| words(&norm).iter().any(|w| list.contains(w));
    let without_unit: String = {
        let ws: Vec<&str> = words(&norm)
            .into_iter()
            .filter(|w| !MS_WORDS.contains(w) && !S_WORDS.contains(w) && !US_WORDS.contains(w))
            .collect();
        ws.join("_")
    };
    for (role, list) in [
        (Role::Latency, LATENCY_NAMES),
        (Role::Status, STATUS_NAMES),
        (Role::Time, TIME_NAMES),
        (Role::Probe, PROBE_NAMES),
    ] {
        if list.contains(&norm.as_str()) || list.contains(&without_unit.as_str()) {
            return Some((role, 3));
        }
    }
    let ws = words(&norm);
    if has(LATENCY_WORDS) || (ws.contains(&"response") && ws.contains(&"time")) {
        return Some((Role::Latency, 2));
    }
    if has(STATUS_WORDS) {
        return Some((Role::Status, 2));
    }
    if has(TIME_WORDS) {
        return Some((Role::Time, 2));
    }
    if has(PROBE_WORDS) {
        // A monitor's id (`monitor_id`) names it less well than its name beside it.
        let id = ws.contains(&"id");
        return Some((Role::Probe, if id { 1 } else { 2 }));
    }
    if has(TARGET_WORDS) {
        return Some((Role::Probe, 1));
    }
    None
}

/// Unit of a latency column, in milliseconds per unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatencyUnit {
    pub ms_per_unit: f64,
    pub name: &'static str,
}

pub const MILLISECONDS: LatencyUnit = LatencyUnit {
    ms_per_unit: 1.0,
    name: "ms",
};
pub const SECONDS: LatencyUnit = LatencyUnit {
    ms_per_unit: 1000.0,
    name: "s",
};
pub const MICROSECONDS: LatencyUnit = LatencyUnit {
    ms_per_unit: 0.001,
    name: "us",
};

/// The unit a latency column's name states, if any.
pub fn unit_from_name(name: &str) -> Option<LatencyUnit> {
    let norm = normalize(name);
    let ws = words(&norm);
    if ws.iter().any(|w| MS_WORDS.contains(w)) {
        Some(MILLISECONDS)
    } else if ws.iter().any(|w| US_WORDS.contains(w)) {
        Some(MICROSECONDS)
    } else if ws.iter().any(|w| S_WORDS.contains(w)) {
        Some(SECONDS)
    } else {
        None
    }
}

/// Guesses the unit from values: fractional values with a median under 10 look like seconds,
/// anything else like milliseconds. Returns the unit and the reason.
pub fn unit_from_values(values: &[f64]) -> (LatencyUnit, String) {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| *x > 0.0).collect();
    if v.is_empty() {
        return (MILLISECONDS, "no values to judge by: assumed ms".into());
    }
    v.sort_by(f64::total_cmp);
    let median = v[v.len() / 2];
    let fractional = v.iter().any(|x| x.fract() != 0.0);
    if fractional && median < 10.0 {
        (
            SECONDS,
            format!("guessed s from the values (median {median})"),
        )
    } else {
        (
            MILLISECONDS,
            format!("guessed ms from the values (median {median})"),
        )
    }
}

/// Parses `--columns time=COL,probe=COL,status=COL,latency=COL,target=COL,vantage=COL` (COL: a
/// name or a 1-based number). `probe` names the one label column of a file of one implicit
/// target; `target` and `vantage` the two of a file of several targets: not both kinds.
pub fn parse_column_map(text: &str) -> Result<Vec<(Role, String)>, String> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, col) = part
            .split_once('=')
            .ok_or_else(|| format!("{part:?} is not ROLE=COLUMN (e.g. time=checked_at)"))?;
        let role = match key.trim().to_ascii_lowercase().as_str() {
            "time" => Role::Time,
            "probe" => Role::Probe,
            "status" => Role::Status,
            "latency" => Role::Latency,
            "target" => Role::Target,
            "vantage" => Role::Vantage,
            other => {
                return Err(format!(
                    "unknown role {other:?} (use time, probe, status, latency, target, vantage)"
                ));
            }
        };
        out.push((role, col.trim().to_string()));
    }
    let has = |r: Role| out.iter().any(|(role, _)| *role == r);
    if has(Role::Probe) && (has(Role::Target) || has(Role::Vantage)) {
        return Err(
            "probe= is the one label column of a file of one target; with target= or vantage= \
             name the labels as target= and vantage= only"
                .to_string(),
        );
    }
    Ok(out)
}

/// Finds the column a `--columns` entry names: exact, then case-insensitive, then a 1-based index.
pub fn find_column(names: &[String], wanted: &str) -> Option<usize> {
    names
        .iter()
        .position(|n| n == wanted)
        .or_else(|| names.iter().position(|n| n.eq_ignore_ascii_case(wanted)))
        .or_else(|| {
            let i: usize = wanted.parse().ok()?;
            (1..=names.len()).contains(&i).then(|| i - 1)
        })
}

/// Which column plays which role, and why (for `--explain`).
#[derive(Debug, Default, Clone)]
pub struct Detected {
    pub time: Option<usize>,
    pub probe: Option<usize>,
    pub status: Option<usize>,
    pub latency: Option<usize>,
    /// What was checked, when the file says it beside where from (then `probe` is `None`).
    pub target: Option<usize>,
    /// Where the checks ran from, beside the target (or pinned alone).
    pub vantage: Option<usize>,
    pub why: Vec<(Role, usize, &'static str)>,
}

impl Detected {
    pub fn get(&self, role: Role) -> Option<usize> {
        match role {
            Role::Time => self.time,
            Role::Probe => self.probe,
            Role::Status => self.status,
            Role::Latency => self.latency,
            Role::Target => self.target,
            Role::Vantage => self.vantage,
        }
    }

    pub(super) fn set(&mut self, role: Role, col: usize, why: &'static str) {
        match role {
            Role::Time => self.time = Some(col),
            Role::Probe => self.probe = Some(col),
            Role::Status => self.status = Some(col),
            Role::Latency => self.latency = Some(col),
            Role::Target => self.target = Some(col),
            Role::Vantage => self.vantage = Some(col),
        }
        self.why.push((role, col, why));
    }

    pub(super) fn used(&self, col: usize) -> bool {
        [
            self.time,
            self.probe,
            self.status,
            self.latency,
            self.target,
            self.vantage,
        ]
        .contains(&Some(col))
    }

    /// The file names targets (a target column, found or pinned): series per (target, vantage).
    pub fn has_targets(&self) -> bool {
        self.target.is_some()
    }
}

/// Share of non-empty values satisfying `pred` (0 when all are empty).
pub(super) fn share(values: &[Option<&str>], pred: impl Fn(&str) -> bool) -> f64 {
    let filled: Vec<&str> = values
        .iter()
        .flatten()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    if filled.is_empty() {
        return 0.0;
    }
    filled.iter().filter(|s| pred(s)).count() as f64 / filled.len() as f64
}

/// Whether the values do not contradict a name's role (no values at all never do).
fn content_fits(role: Role, values: &[Option<&str>], zone: Zone) -> bool {
    if values.iter().flatten().all(|s| s.trim().is_empty()) {
        return true;
    }
    match role {
        Role::Time => share(values, |s| parse_timestamp(s, zone).is_some()) >= 0.5,
        // Maintenance and pending are status words too (of no check).
        Role::Status => share(values, |s| parse_said(s).is_some()) >= 0.5,
        Role::Latency => share(values, |s| parse_latency(Some(s)).is_ok()) >= 0.5,
        Role::Probe | Role::Target | Role::Vantage => true,
    }
}

/// Detects the roles of `names` from the names, checked against sample `columns` (one value
/// vector per column), then fills what is missing from the content. `pinned` wins over both.
/// The probe column is taken by content only in a file without header (with a header, a text
/// column with an unhelpful name is more likely a message than a probe name). A file with a
/// target column and a vantage column (by name, by content without a header, or pinned) has
/// those instead of a probe column (see `labels`).
pub fn detect(
    names: &[String],
    columns: &[Vec<Option<&str>>],
    pinned: &[(Role, usize)],
    zone: Zone,
    headerless: bool,
) -> Detected {
    let mut d = Detected::default();
    for (role, col) in pinned {
        d.set(*role, *col, "set with --columns");
    }
    for role in [Role::Latency, Role::Status, Role::Time, Role::Probe] {
        if d.get(role).is_some() {
            continue;
        }
        if role == Role::Probe && labels::by_name(&mut d, names, columns) {
            continue;
        }
        let mut best: Option<(usize, u8)> = None;
        for (i, name) in names.iter().enumerate() {
            if d.used(i) {
                continue;
            }
            if let Some((r, strength)) = role_from_name(name) {
                let sample = columns.get(i).map(Vec::as_slice).unwrap_or(&[]);
                let better = best.is_none_or(|(_, s)| strength > s);
                if r == role && better && content_fits(role, sample, zone) {
                    best = Some((i, strength));
                }
            }
        }
        if let Some((i, _)) = best {
            d.set(role, i, "by its name");
        }
    }
    fill_by_content(&mut d, columns, zone, headerless);
    // Each of Kuma's monitors checks its own thing from the one Kuma: targets, not vantages
    // (SIP down alone is this target alone, not a partial outage of one service).
    if is_kuma_heartbeats(names) && d.target.is_none() && d.vantage.is_none() {
        if let Some(col) = d.probe.take() {
            d.why.retain(|(role, _, _)| *role != Role::Probe);
            d.set(
                Role::Target,
                col,
                "by its name: Uptime Kuma's heartbeats, each monitor a target",
            );
        }
    }
    d
}

/// Uptime Kuma's heartbeat table exported as it is (`monitor_id` and `important` columns): its
/// status codes are Kuma's (2 pending, 3 maintenance) and its monitors are targets.
pub fn is_kuma_heartbeats(names: &[String]) -> bool {
    ["monitor_id", "important"]
        .iter()
        .all(|k| names.iter().any(|n| normalize(n) == *k))
}

fn fill_by_content(d: &mut Detected, columns: &[Vec<Option<&str>>], zone: Zone, headerless: bool) {
    let free = |d: &Detected| {
        (0..columns.len())
            .filter(|i| !d.used(*i))
            .collect::<Vec<_>>()
    };
    if d.time.is_none() {
        if let Some(i) = free(d)
            .into_iter()
            .find(|i| share(&columns[*i], |s| parse_timestamp(s, zone).is_some()) >= 0.8)
        {
            d.set(Role::Time, i, "its values read as times");
        }
    }
    if d.status.is_none() {
        let found = free(d).into_iter().find(|i| {
            share(&columns[*i], is_status_word) >= 0.95
                || share(&columns[*i], |s| s == "0" || s == "1") >= 1.0
        });
        if let Some(i) = found {
            d.set(Role::Status, i, "its values are status words");
        }
    }
    if d.latency.is_none() {
        let found = free(d).into_iter().find(|i| {
            let numeric = share(&columns[*i], |s| s.parse::<f64>().is_ok_and(|v| v >= 0.0));
            numeric >= 0.5 && share(&columns[*i], |s| parse_latency(Some(s)).is_ok()) >= 0.95
        });
        if let Some(i) = found {
            d.set(Role::Latency, i, "its values are numbers");
        }
    }
    let labelled = d.probe.is_some() || d.target.is_some() || d.vantage.is_some();
    if headerless && !labelled && !labels::by_content(d, columns) {
        let found = free(d)
            .into_iter()
            .find(|i| share(&columns[*i], |s| s.parse::<f64>().is_err()) >= 0.95);
        if let Some(i) = found {
            d.set(Role::Probe, i, "its values are names");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_point_to_roles() {
        let cases = [
            ("timestamp", Role::Time),
            ("checked_at", Role::Time),
            ("Date Time", Role::Time),
            ("monitor", Role::Probe),
            ("Monitor Name", Role::Probe),
            ("location", Role::Probe),
            ("status", Role::Status),
            ("probe_success", Role::Status),
            ("Result", Role::Status),
            ("response_time_ms", Role::Latency),
            ("Response Time (ms)", Role::Latency),
            ("latency_s", Role::Latency),
            ("ping", Role::Latency),
            ("probe_duration_seconds", Role::Latency),
            ("url", Role::Probe),
        ];
        for (name, role) in cases {
            assert_eq!(role_from_name(name).map(|r| r.0), Some(role), "{name}");
        }
        assert_eq!(role_from_name("Available MBytes").map(|r| r.0), None);
    }

    #[test]
    fn units_from_names_and_values() {
        assert_eq!(unit_from_name("response_time_ms"), Some(MILLISECONDS));
        assert_eq!(unit_from_name("Response Time (ms)"), Some(MILLISECONDS));
        assert_eq!(unit_from_name("latency_s"), Some(SECONDS));
        assert_eq!(unit_from_name("probe_duration_seconds"), Some(SECONDS));
        assert_eq!(unit_from_name("ping"), None);
        assert_eq!(unit_from_values(&[0.004, 0.012, 15.0]).0, SECONDS);
        assert_eq!(unit_from_values(&[42.0, 95.0, 15000.0]).0, MILLISECONDS);
    }

    #[test]
    fn column_map_is_parsed_and_checked() {
        let map = parse_column_map("time=When, probe=Where,status=3").unwrap();
        assert_eq!(map[0], (Role::Time, "When".to_string()));
        assert_eq!(map[2], (Role::Status, "3".to_string()));
        assert!(parse_column_map("colour=x").is_err());
        assert!(parse_column_map("time").is_err());
        let names: Vec<String> = ["When", "where", "ok"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(find_column(&names, "WHERE"), Some(1));
        assert_eq!(find_column(&names, "3"), Some(2));
        assert_eq!(find_column(&names, "9"), None);
    }

    #[test]
    fn headerless_columns_are_found_by_content() {
        let names: Vec<String> = (1..=4).map(|i| format!("column_{i}")).collect();
        let cols: Vec<Vec<Option<&str>>> = vec![
            vec![Some("2011-08-15 10:00"), Some("2011-08-15 10:01")],
            vec![Some("http://a"), Some("http://a")],
            vec![Some("True"), Some("False")],
            vec![Some("0.31"), Some("None")],
        ];
        let d = detect(&names, &cols, &[], Zone::UTC, true);
        assert_eq!(
            (d.time, d.probe, d.status, d.latency),
            (Some(0), Some(1), Some(2), Some(3))
        );
    }
}
