//! The label columns of a probe export that says both what was checked and where from: a target
//! column (a URL, `host:port`, a monitor) and a vantage column (a location, a prober). Found by
//! name, by content in a file without header, or pinned with `--columns target=COL,vantage=COL`.
//! A file with one label column keeps it as its probe column, as `detect` finds it.
use super::super::vocab::is_status_word;
use super::{normalize, role_from_name, share, Detected, Role};

/// Whole column names (normalized) of what was checked.
const TARGET_NAMES: &[&str] = &[
    "target",
    "target_name",
    "url",
    "uri",
    "host",
    "hostname",
    "host_name",
    "instance",
    "endpoint",
    "monitor",
    "monitor_name",
    "monitor_url",
    "monitor_id",
    "service",
    "service_name",
    "check",
    "check_name",
    "name",
    "friendly_name",
    "address",
    "domain",
];
/// Whole column names (normalized) of where the check ran from.
const VANTAGE_NAMES: &[&str] = &[
    "vantage",
    "vantage_point",
    "location",
    "probe",
    "probe_name",
    "probe_location",
    "probe_dc",
    "region",
    "prober",
    "agent",
    "site",
    "datacenter",
    "data_center",
    "dc",
    "source",
    "node",
    "pop",
    "from",
    "checked_from",
];
/// Words inside a name that say what was checked.
const TARGET_WORDS: &[&str] = &[
    "target", "url", "uri", "host", "hostname", "instance", "endpoint", "monitor", "service",
    "check", "address", "domain",
];
/// Words inside a name that say where from.
const VANTAGE_WORDS: &[&str] = &[
    "vantage",
    "location",
    "probe",
    "region",
    "prober",
    "agent",
    "site",
    "datacenter",
    "dc",
    "node",
    "pop",
    "source",
];

/// The label role a column name suggests and how strongly (2 whole name, 1 a word in it). With
/// words of both, the last one decides: `monitor_location` is where from, `probe_target` what.
pub fn label_from_name(name: &str) -> Option<(Role, u8)> {
    let norm = normalize(name);
    if TARGET_NAMES.contains(&norm.as_str()) {
        return Some((Role::Target, 2));
    }
    if VANTAGE_NAMES.contains(&norm.as_str()) {
        return Some((Role::Vantage, 2));
    }
    let role = norm.split('_').rev().find_map(|w| {
        if TARGET_WORDS.contains(&w) {
            Some(Role::Target)
        } else if VANTAGE_WORDS.contains(&w) {
            Some(Role::Vantage)
        } else {
            None
        }
    })?;
    Some((role, 1))
}

/// At least half the sample rows have a value (or there are no rows to judge by): a label
/// column that is mostly empty would leave most rows without their series.
fn mostly_filled(values: &[Option<&str>]) -> bool {
    let filled = values
        .iter()
        .filter(|v| v.is_some_and(|s| !s.trim().is_empty()))
        .count();
    values.is_empty() || filled * 2 >= values.len()
}

/// Finds a target and a vantage column by name (or the one missing beside a pinned one). Returns
/// whether the file's labels are settled here: both found, or either pinned (a pinned role stays
/// alone when its partner is not found). `false` leaves the file to its one probe column.
pub fn by_name(d: &mut Detected, names: &[String], columns: &[Vec<Option<&str>>]) -> bool {
    let pinned = d.target.is_some() || d.vantage.is_some();
    let best = |d: &Detected, role: Role| -> Option<usize> {
        let mut best: Option<(usize, u8)> = None;
        for (i, name) in names.iter().enumerate() {
            // A name that says time, status or latency is not a label, whichever column won.
            if d.used(i) || role_from_name(name).is_some_and(|(r, _)| r != Role::Probe) {
                continue;
            }
            let sample = columns.get(i).map(Vec::as_slice).unwrap_or(&[]);
            if let Some((r, strength)) = label_from_name(name) {
                if r == role && best.is_none_or(|(_, s)| strength > s) && mostly_filled(sample) {
                    best = Some((i, strength));
                }
            }
        }
        best.map(|(i, _)| i)
    };
    let target = d.target.or_else(|| best(d, Role::Target));
    let vantage = d.vantage.or_else(|| best(d, Role::Vantage));
    match (target, vantage) {
        (Some(t), Some(v)) => {
            if d.target.is_none() {
                d.set(Role::Target, t, "by its name: what was checked");
            }
            if d.vantage.is_none() {
                d.set(Role::Vantage, v, "by its name: where the checks ran from");
            }
            true
        }
        _ => pinned,
    }
}

/// A value that names something checked: a URL, `host:port`, a dotted host name or address.
fn looks_like_target(s: &str) -> bool {
    let s = s.trim();
    if s.is_empty() || s.contains(char::is_whitespace) {
        return false;
    }
    if s.contains("://") {
        return true;
    }
    let port = s.rsplit_once(':').is_some_and(|(h, p)| {
        !h.is_empty() && !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())
    });
    port || (s.contains('.') && s.parse::<f64>().is_err())
}

/// In a file without header: a column of URLs or host names beside a column of short names
/// (`mon01`, `us-west`: no spaces, not a status word, not a number) are the target and the
/// vantage. Returns whether both were found (and set).
pub fn by_content(d: &mut Detected, columns: &[Vec<Option<&str>>]) -> bool {
    let free: Vec<usize> = (0..columns.len()).filter(|i| !d.used(*i)).collect();
    let Some(target) = free
        .iter()
        .copied()
        .find(|&i| share(&columns[i], looks_like_target) >= 0.95)
    else {
        return false;
    };
    let short_name = |s: &str| {
        !looks_like_target(s)
            && !s.contains(char::is_whitespace)
            && s.parse::<f64>().is_err()
            && !is_status_word(s)
    };
    let Some(vantage) = free
        .iter()
        .copied()
        .find(|&i| i != target && share(&columns[i], short_name) >= 0.95)
    else {
        return false;
    };
    d.set(
        Role::Target,
        target,
        "its values are URLs or host names: what was checked",
    );
    d.set(
        Role::Vantage,
        vantage,
        "its values are names beside the targets: where the checks ran from",
    );
    true
}

#[cfg(test)]
mod tests {
    use super::super::detect;
    use super::*;
    use crate::timefmt::Zone;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn label_names_say_what_or_where_from() {
        for (name, role) in [
            ("target", Role::Target),
            ("URL", Role::Target),
            ("Monitor Name", Role::Target),
            ("service", Role::Target),
            ("vantage", Role::Vantage),
            ("Location", Role::Vantage),
            ("probe", Role::Vantage),
            ("Data Center", Role::Vantage),
            ("monitor_location", Role::Vantage),
            ("probe_target", Role::Target),
        ] {
            assert_eq!(label_from_name(name).map(|r| r.0), Some(role), "{name}");
        }
        assert_eq!(label_from_name("status"), None);
    }

    #[test]
    fn a_target_and_a_vantage_column_replace_the_probe_column() {
        let cols = vec![
            vec![Some("2011-08-15T10:00:00Z")],
            vec![Some("https://a.example/")],
            vec![Some("mon01")],
            vec![Some("up")],
        ];
        let d = detect(
            &names(&["time", "url", "location", "status"]),
            &cols,
            &[],
            Zone::UTC,
            false,
        );
        assert_eq!((d.target, d.vantage, d.probe), (Some(1), Some(2), None));
        // One label column: the probe column, as before.
        let d = detect(
            &names(&["time", "url", "status"]),
            &[cols[0].clone(), cols[1].clone(), cols[3].clone()],
            &[],
            Zone::UTC,
            false,
        );
        assert_eq!((d.target, d.vantage, d.probe), (None, None, Some(1)));
        // Two names of what was checked (a monitor's id and name): still one probe column.
        let d = detect(
            &names(&["monitor_id", "monitor_name", "status", "time"]),
            &[
                vec![Some("1")],
                vec![Some("SIP")],
                cols[3].clone(),
                cols[0].clone(),
            ],
            &[],
            Zone::UTC,
            false,
        );
        assert_eq!((d.target, d.vantage), (None, None));
        assert!(d.probe.is_some());
    }

    #[test]
    fn an_empty_vantage_column_does_not_split_the_file() {
        let cols = vec![
            vec![Some("2011-08-15T10:00:00Z"), Some("2011-08-15T10:01:00Z")],
            vec![Some("https://a.example/"), Some("https://a.example/")],
            vec![None, None],
            vec![Some("up"), Some("up")],
        ];
        let d = detect(
            &names(&["time", "url", "region", "status"]),
            &cols,
            &[],
            Zone::UTC,
            false,
        );
        assert_eq!((d.target, d.vantage), (None, None));
    }

    #[test]
    fn headerless_targets_and_vantages_are_found_by_content() {
        let cols = vec![
            vec![Some("2011-08-15 10:00"), Some("2011-08-15 10:01")],
            vec![Some("mon01"), Some("mon02")],
            vec![Some("https://a.example/"), Some("db.example:3306")],
            vec![Some("up"), Some("down")],
        ];
        let n = names(&["column_1", "column_2", "column_3", "column_4"]);
        let d = detect(&n, &cols, &[], Zone::UTC, true);
        assert_eq!((d.target, d.vantage, d.probe), (Some(2), Some(1), None));
        // A message with spaces beside the URL is no vantage: one probe column, as before.
        let msg = vec![Some("connection refused"), Some("read timed out")];
        let d = detect(
            &n,
            &[cols[0].clone(), msg, cols[2].clone(), cols[3].clone()],
            &[],
            Zone::UTC,
            true,
        );
        assert_eq!((d.target, d.vantage), (None, None));
        assert!(d.probe.is_some());
    }

    #[test]
    fn a_pinned_target_finds_its_vantage_by_name_or_stays_alone() {
        let cols = vec![
            vec![Some("2011-08-15T10:00:00Z")],
            vec![Some("SIP")],
            vec![Some("mon01")],
            vec![Some("up")],
        ];
        let n = names(&["time", "what", "region", "status"]);
        let d = detect(&n, &cols, &[(Role::Target, 1)], Zone::UTC, false);
        assert_eq!((d.target, d.vantage, d.probe), (Some(1), Some(2), None));
        let n = names(&["time", "what", "where", "status"]);
        let d = detect(&n, &cols, &[(Role::Target, 1)], Zone::UTC, false);
        assert_eq!((d.target, d.vantage, d.probe), (Some(1), None, None));
    }
}
