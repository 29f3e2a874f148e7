//! The shared result of the monitoring-store readers (Uptime Kuma's database, Prometheus
//! `query_range` JSON) and the bookkeeping they share: series per (target, vantage), duplicates
//! counted, maintenance turned into planned spans, problems and unknown values named.
use crate::model::{Check, InputReport, ProbeSeries, ProbeState, StateInterval};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// One monitoring store, read: probe series with what each one checked, from where, and the
/// planned downtime the store recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeStoreRead {
    /// One per (target, vantage); the name is the target, or `target @ vantage` when the file has
    /// several vantages for one target (and ` [detail]` when two series still share a name).
    pub probes: Vec<ProbeSeries>,
    /// What `probes[i]` checked and from where (same order as `probes`).
    pub targets: Vec<ProbeTarget>,
    /// Maintenance periods: planned downtime, never an outage.
    pub planned: Vec<PlannedSpan>,
    /// Where every row of the store went.
    pub tally: RowTally,
    pub report: InputReport,
    /// What was assumed or read, one human line each: schema version, units, vocabulary, and every
    /// value or word the reader did not know (counted and named).
    pub notes: Vec<String>,
}

/// What one probe series checked and where it ran from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProbeTarget {
    /// What was checked: a URL, `host:port`, a Kuma monitor name.
    pub target: String,
    /// Where the check ran from (a Prometheus `location` label); `None` when the store does not say.
    pub vantage: Option<String>,
    /// The host name of the target (from its URL or host field), when known.
    pub host: Option<String>,
    /// What tells this series from another of the same target and vantage (other labels, a Kuma
    /// monitor id); the series name carries it only when two series would share a name.
    pub detail: Option<String>,
}

/// A stretch of maintenance heartbeats of one probe, with no check between them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedSpan {
    /// Index into `probes` / `targets`.
    pub probe: usize,
    /// First maintenance row.
    pub start: DateTime<Utc>,
    /// Last maintenance row.
    pub end: DateTime<Utc>,
    /// The probe's first check after `end`: maintenance ended between `end` and this (`None`: no
    /// check followed).
    pub next_check: Option<DateTime<Utc>>,
    /// Maintenance rows in the span.
    pub rows: u64,
}

impl PlannedSpan {
    /// The span as a maintenance interval: from its first row to the next check (maintenance
    /// ended between its last row and that check), or to its last row when no check followed.
    pub fn interval(&self) -> StateInterval {
        StateInterval {
            start: self.start,
            end: self.next_check.unwrap_or(self.end),
            state: ProbeState::Maintenance,
            failures: 0,
        }
    }
}

impl PlannedSpan {
    /// The notes' line for the span, its times in `zone`: from its first row to where its
    /// interval ends (the next check), as `maintenance[]` lists it.
    pub fn note(&self, name: &str, zone: crate::timefmt::Zone, rows: &str) -> String {
        let iv = self.interval();
        let end = match self.next_check {
            Some(_) => format!("to {} (the first check after it)", zone.format(&iv.end)),
            None => format!(
                "to {} (its last row; no check after it)",
                zone.format(&iv.end)
            ),
        };
        format!(
            "{name}: maintenance (planned downtime, not an outage) from {} {end} ({} {rows})",
            zone.format(&iv.start),
            self.rows
        )
    }
}

/// Where every row (heartbeat, status sample) went; the fields add up to all rows seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RowTally {
    /// Became checks in `probes`.
    pub checks: u64,
    /// Checks at the same time as an earlier check of the same probe: dropped (the first is kept).
    pub duplicates: u64,
    /// Duplicates whose answer differed from the kept check.
    pub duplicates_disagreeing: u64,
    /// Maintenance rows, in `planned`.
    pub planned: u64,
    /// Neither up nor down (Kuma's pending): not a check.
    pub pending: u64,
    /// Values outside the vocabulary (a status 7, NaN, 0.5): skipped, named in `notes`.
    pub unknown: u64,
    /// Rows that could not be read (bad time, wrong type): skipped, named in `report.problems`.
    pub damaged: u64,
    /// Rows of series that are not probe results (other metrics): not read, named in `notes`.
    pub ignored: u64,
}

impl RowTally {
    /// Every row seen.
    pub fn total(&self) -> u64 {
        self.checks
            + self.duplicates
            + self.planned
            + self.pending
            + self.unknown
            + self.damaged
            + self.ignored
    }
}

/// Problems shown in the report (the count in the tally is complete).
pub const SHOWN_PROBLEMS: usize = 20;

/// The host name in a URL or `host:port`: scheme, user, path, query and port removed, IPv6
/// brackets dropped, lower-cased. `None` when nothing host-like is left.
pub fn host_of(target: &str) -> Option<String> {
    let s = target.trim();
    let s = s.split_once("://").map_or(s, |(_, rest)| rest);
    // `;` ends a Nagios `host;service`.
    let s = s.split(['/', '?', '#', ';']).next().unwrap_or("");
    let s = s.rsplit_once('@').map_or(s, |(_, host)| host);
    let host = if let Some(rest) = s.strip_prefix('[') {
        rest.split_once(']').map_or(rest, |(h, _)| h)
    } else if s.matches(':').count() > 1 {
        // A bare IPv6 address has no port to strip.
        s
    } else {
        s.split_once(':').map_or(s, |(h, _)| h)
    };
    let host = host.trim().trim_end_matches('.');
    (!host.is_empty() && !host.contains(char::is_whitespace)).then(|| host.to_ascii_lowercase())
}

/// Words or values counted by kind, for one note line (`NaN ×2, 0.5 ×1`).
#[derive(Debug, Default)]
pub struct Counted(BTreeMap<String, u64>);

impl Counted {
    pub fn add(&mut self, word: &str) {
        self.add_n(word, 1);
    }

    pub fn add_n(&mut self, word: &str, n: u64) {
        *self.0.entry(word.to_string()).or_default() += n;
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds every count of `other`.
    pub fn merge(&mut self, other: Counted) {
        for (word, n) in other.0 {
            *self.0.entry(word).or_default() += n;
        }
    }

    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }

    /// `a ×2, b ×1`, most frequent first, at most 12 named.
    pub fn render(&self) -> String {
        let mut items: Vec<(&String, &u64)> = self.0.iter().collect();
        items.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let mut out: Vec<String> = items
            .iter()
            .take(12)
            .map(|(w, n)| format!("{w:?} ×{n}"))
            .collect();
        if items.len() > 12 {
            out.push(format!("and {} more kinds", items.len() - 12));
        }
        out.join(", ")
    }
}

/// One probe's rows while the store is read.
#[derive(Default)]
struct Pending {
    checks: Vec<Check>,
    maintenance: Vec<DateTime<Utc>>,
}

/// Collects checks and maintenance rows per target, then sorts, drops and counts duplicates,
/// names the series and builds the planned spans.
pub struct StoreBuilder {
    kind: super::StoreKind,
    path: String,
    index: HashMap<ProbeTarget, usize>,
    targets: Vec<ProbeTarget>,
    rows: Vec<Pending>,
    pub tally: RowTally,
    problems: Vec<String>,
    pub notes: Vec<String>,
}

impl StoreBuilder {
    pub fn new(path: &std::path::Path, kind: super::StoreKind) -> StoreBuilder {
        StoreBuilder {
            kind,
            path: path.display().to_string(),
            index: HashMap::new(),
            targets: Vec::new(),
            rows: Vec::new(),
            tally: RowTally::default(),
            problems: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// The probe of `target`, created on first use.
    pub fn probe(&mut self, target: &ProbeTarget) -> usize {
        if let Some(&i) = self.index.get(target) {
            return i;
        }
        let i = self.targets.len();
        self.index.insert(target.clone(), i);
        self.targets.push(target.clone());
        self.rows.push(Pending::default());
        i
    }

    /// Probes so far.
    pub fn probe_count(&self) -> usize {
        self.targets.len()
    }

    pub fn check(&mut self, probe: usize, check: Check) {
        if let Some(p) = self.rows.get_mut(probe) {
            p.checks.push(check);
            self.tally.checks += 1;
        }
    }

    pub fn maintenance(&mut self, probe: usize, time: DateTime<Utc>) {
        if let Some(p) = self.rows.get_mut(probe) {
            p.maintenance.push(time);
            self.tally.planned += 1;
        }
    }

    /// A row that could not be read: counted, and named while few have been.
    pub fn damaged(&mut self, why: String) {
        self.tally.damaged += 1;
        self.problem(why);
    }

    /// A value outside the vocabulary: counted, and named while few have been.
    pub fn unknown(&mut self, why: String) {
        self.tally.unknown += 1;
        self.problem(why);
    }

    /// A problem line without a row count of its own (rows already counted elsewhere).
    pub fn problem(&mut self, why: String) {
        if self.problems.len() < SHOWN_PROBLEMS {
            self.problems.push(why);
        }
    }

    pub fn note(&mut self, line: impl Into<String>) {
        self.notes.push(line.into());
    }

    /// Sorted, deduplicated, named series and the report.
    pub fn finish(mut self) -> ProbeStoreRead {
        let source: Arc<str> = Arc::from(self.path.as_str());
        let names = series_names(&self.targets);
        let mut probes = Vec::with_capacity(self.rows.len());
        let mut planned = Vec::new();
        let mut unsorted = 0usize;
        for (i, (pending, name)) in self.rows.into_iter().zip(names).enumerate() {
            let Pending {
                mut checks,
                mut maintenance,
            } = pending;
            if checks.windows(2).any(|w| w[1].time < w[0].time) {
                unsorted += 1;
                // Stable: the first of equal times stays first, as the store had it.
                checks.sort_by_key(|c| c.time);
            }
            let before = checks.len();
            let mut disagreeing = 0u64;
            checks.dedup_by(|later, kept| {
                let same = later.time == kept.time;
                if same && later.ok() != kept.ok() {
                    disagreeing += 1;
                }
                same
            });
            let dropped = (before - checks.len()) as u64;
            self.tally.duplicates += dropped;
            self.tally.checks -= dropped;
            self.tally.duplicates_disagreeing += disagreeing;
            maintenance.sort();
            let spans = planned_spans(i, &maintenance, &checks);
            let intervals = spans.iter().map(PlannedSpan::interval).collect();
            planned.extend(spans);
            checks.shrink_to_fit();
            let target = self.targets.get(i);
            probes.push(ProbeSeries {
                name,
                target: target.map(|t| t.target.clone()),
                vantage: target.and_then(|t| t.vantage.clone()),
                host: target.and_then(|t| t.host.clone()),
                checks,
                intervals,
                source_file: source.clone(),
            });
        }
        if unsorted > 0 {
            self.notes.push(format!(
                "{unsorted} series were not in time order in the file: sorted"
            ));
        }
        if self.tally.duplicates > 0 {
            self.notes.push(format!(
                "{} checks at the same time as an earlier check of the same probe were dropped \
                 (the first kept; {} of them disagreed with it)",
                self.tally.duplicates, self.tally.duplicates_disagreeing
            ));
        }
        let times = probes
            .iter()
            .flat_map(|p| [p.checks.first(), p.checks.last()])
            .flatten()
            .map(|c| c.time)
            .chain(planned.iter().flat_map(|s| [s.start, s.end]));
        let (first, last) = times.fold((None, None), |(lo, hi), t| {
            (
                Some(lo.map_or(t, |lo: DateTime<Utc>| lo.min(t))),
                Some(hi.map_or(t, |hi: DateTime<Utc>| hi.max(t))),
            )
        });
        let report = InputReport {
            path: self.path,
            kind: crate::model::InputKind::ProbeStore(self.kind),
            // A duplicate is a row not used: skipped, as in every reader (docs/DAMAGED_INPUT.md).
            records_read: self.tally.checks + self.tally.planned,
            records_skipped: self.tally.damaged + self.tally.unknown + self.tally.duplicates,
            copies_merged: 0,
            problems: self.problems,
            first,
            last,
            failed: false,
        };
        ProbeStoreRead {
            probes,
            targets: self.targets,
            planned,
            tally: self.tally,
            report,
            notes: self.notes,
        }
    }
}

/// `target`, `target @ vantage` when the target has several vantages, and ` [detail]` when two
/// series would still share a name.
pub(crate) fn series_names(targets: &[ProbeTarget]) -> Vec<String> {
    let mut vantages: HashMap<&str, Vec<Option<&str>>> = HashMap::new();
    for t in targets {
        let seen = vantages.entry(t.target.as_str()).or_default();
        if !seen.contains(&t.vantage.as_deref()) {
            seen.push(t.vantage.as_deref());
        }
    }
    let base: Vec<String> = targets
        .iter()
        .map(|t| {
            let several = vantages.get(t.target.as_str()).is_some_and(|v| v.len() > 1);
            match (&t.vantage, several) {
                (Some(v), true) => format!("{} @ {v}", t.target),
                _ => t.target.clone(),
            }
        })
        .collect();
    let mut uses: HashMap<&str, usize> = HashMap::new();
    for name in &base {
        *uses.entry(name.as_str()).or_default() += 1;
    }
    base.iter()
        .zip(targets)
        .map(|(name, t)| match (&t.detail, uses.get(name.as_str())) {
            (Some(detail), Some(n)) if *n > 1 => format!("{name} [{detail}]"),
            _ => name.clone(),
        })
        .collect()
}

/// Contiguous maintenance rows (no check between them) of one probe as spans; `maintenance` and
/// `checks` sorted.
pub(crate) fn planned_spans(
    probe: usize,
    maintenance: &[DateTime<Utc>],
    checks: &[Check],
) -> Vec<PlannedSpan> {
    let mut spans: Vec<PlannedSpan> = Vec::new();
    for &t in maintenance {
        // The first check at or after t: a check between two maintenance rows splits them.
        let next = checks.partition_point(|c| c.time < t);
        let next_check = checks.get(next).map(|c| c.time);
        match spans.last_mut() {
            Some(span) if span.next_check == next_check => {
                span.end = t;
                span.rows += 1;
            }
            _ => spans.push(PlannedSpan {
                probe,
                start: t,
                end: t,
                next_check,
                rows: 1,
            }),
        }
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 3, 1, 10, 0, 0).unwrap() + chrono::Duration::seconds(s as i64)
    }

    fn target(name: &str, vantage: Option<&str>, detail: Option<&str>) -> ProbeTarget {
        ProbeTarget {
            target: name.to_string(),
            vantage: vantage.map(str::to_string),
            host: None,
            detail: detail.map(str::to_string),
        }
    }

    #[test]
    fn host_of_strips_scheme_user_port_path_and_brackets() {
        let cases = [
            ("https://app.example/health?x=1", Some("app.example")),
            ("http://user:pw@App.Example:8080/", Some("app.example")),
            ("db.internal:5432", Some("db.internal")),
            ("[2001:db8::1]:443", Some("2001:db8::1")),
            ("2001:db8::1", Some("2001:db8::1")),
            ("tcp://10.0.0.5:22", Some("10.0.0.5")),
            ("https://", None),
            ("", None),
            ("My Website", None),
        ];
        for (input, want) in cases {
            assert_eq!(host_of(input).as_deref(), want, "{input}");
        }
    }

    #[test]
    fn duplicates_are_counted_and_spans_split_at_checks() {
        let mut b = StoreBuilder::new(
            std::path::Path::new("x"),
            crate::model::StoreKind::PrometheusJson,
        );
        let p = b.probe(&target("a", None, None));
        b.check(p, Check::new(t(20), true, None));
        b.check(p, Check::new(t(0), true, None));
        b.check(p, Check::new(t(0), false, None));
        b.maintenance(p, t(40));
        b.maintenance(p, t(60));
        b.check(p, Check::new(t(80), true, None));
        b.maintenance(p, t(100));
        let read = b.finish();
        assert_eq!(read.probes[0].checks.len(), 3);
        assert!(
            read.probes[0].checks[0].ok(),
            "the first of equal times is kept"
        );
        assert_eq!(read.tally.duplicates, 1);
        assert_eq!(read.tally.duplicates_disagreeing, 1);
        assert_eq!(read.tally.total(), 7);
        // Three checks and three maintenance rows used; the duplicate is a row not used: skipped.
        assert_eq!(
            (read.report.records_read, read.report.records_skipped),
            (6, 1)
        );
        assert_eq!(read.planned.len(), 2);
        assert_eq!(
            (
                read.planned[0].start,
                read.planned[0].end,
                read.planned[0].next_check
            ),
            (t(40), t(60), Some(t(80)))
        );
        assert_eq!(
            (read.planned[1].rows, read.planned[1].next_check),
            (1, None)
        );
        // The spans ride on the series as maintenance intervals (to the next check, if any).
        let ivs: Vec<(DateTime<Utc>, DateTime<Utc>, ProbeState)> = read.probes[0]
            .intervals
            .iter()
            .map(|iv| (iv.start, iv.end, iv.state))
            .collect();
        assert_eq!(
            ivs,
            [
                (t(40), t(80), ProbeState::Maintenance),
                (t(100), t(100), ProbeState::Maintenance)
            ]
        );
        assert_eq!(
            (read.report.first, read.report.last),
            (Some(t(0)), Some(t(100)))
        );
        assert!(read.notes.iter().any(|n| n.contains("not in time order")));
    }

    #[test]
    fn names_carry_vantage_and_detail_only_when_needed() {
        let targets = [
            target("a", Some("eu"), None),
            target("a", Some("us"), None),
            target("b", Some("eu"), None),
            target("c", None, Some("monitor 1")),
            target("c", None, Some("monitor 2")),
        ];
        assert_eq!(
            series_names(&targets),
            ["a @ eu", "a @ us", "b", "c [monitor 1]", "c [monitor 2]"]
        );
    }
}
