//! Outage windows from probe checks and recorded states: per-probe up/down/unknown states,
//! failure runs, blips, merged windows classified as service, network, partial or unclassified,
//! and maintenance (planned downtime, never an outage).
mod checks;
mod states;

use self::checks::{impact, summary, transitions_of, Timeline};
use crate::model::{OutageKind, ProbeSeries};
use chrono::{DateTime, Duration, Utc};
use rayon::prelude::*;
use serde::Serialize;

/// A stretch with no check for more than this many median intervals is unknown.
pub const GAP_FACTOR: f64 = 2.5;
/// Name parts that mark a probe running on the server itself.
const LOCAL_WORDS: &[&str] = &["local", "onbox", "self"];

/// How checks become windows.
#[derive(Debug, Clone)]
pub struct OutageOptions {
    /// Runs of fewer consecutive failed checks are blips.
    pub min_failures: usize,
    /// Windows closer than this are merged.
    pub merge_gap: Duration,
    /// The probe on the server itself, by name.
    pub local: Option<String>,
    /// The server's host name: a probe named after it is local.
    pub host: Option<String>,
    /// A degraded state (Nagios WARNING) is down, not only shown.
    pub warning_is_down: bool,
}

impl Default for OutageOptions {
    fn default() -> Self {
        OutageOptions {
            min_failures: 2,
            merge_gap: Duration::minutes(5),
            local: None,
            host: None,
            warning_is_down: false,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct OutageAnalysis {
    pub probes: Vec<ProbeSummary>,
    pub outages: Vec<Outage>,
    pub blips: Vec<Blip>,
    pub transitions: Vec<Transition>,
    /// Planned downtime the monitors recorded (Kuma status 3, Nagios downtime): never an outage.
    pub maintenance: Vec<Maintenance>,
}

/// One stretch of planned downtime of one probe, as the monitor recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Maintenance {
    pub probe: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(with = "crate::model::ser_time")]
    pub start: DateTime<Utc>,
    #[serde(with = "crate::model::ser_time")]
    pub end: DateTime<Utc>,
    pub seconds: i64,
}

/// One probe over the whole data.
#[derive(Debug, Clone, Serialize)]
pub struct ProbeSummary {
    pub name: String,
    /// What the probe checked, when the input says (see `ProbeSeries::target`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Where it checked from, when the input says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vantage: Option<String>,
    /// The target's host, when the input says it apart from the target (`ProbeSeries::host`);
    /// not in the JSON: windows say it as `shared_host.host`.
    #[serde(skip)]
    pub host: Option<String>,
    pub local: bool,
    pub source_file: String,
    pub checks: u64,
    pub failures: u64,
    #[serde(with = "crate::model::ser_time::option")]
    pub first_check: Option<DateTime<Utc>>,
    #[serde(with = "crate::model::ser_time::option")]
    pub last_check: Option<DateTime<Utc>>,
    /// Median seconds between checks (null with fewer than two checks).
    pub median_interval_seconds: Option<f64>,
    pub up_seconds: i64,
    pub down_seconds: i64,
    pub unknown_seconds: i64,
    /// up / (up + down) in percent; unknown time counts as neither.
    pub availability_percent: Option<f64>,
    /// The stretches without checks (state series: that no interval covers, or unknown ones).
    pub unknown: Vec<Span>,
    /// State series: the intervals the monitor recorded (absent for checks).
    #[serde(skip_serializing_if = "is_zero")]
    pub state_changes: u64,
    /// Seconds in a degraded state (counted as up unless `--warning-is-down`).
    #[serde(skip_serializing_if = "is_zero_i64")]
    pub degraded_seconds: i64,
    /// Seconds of planned downtime (counted as neither up nor down).
    #[serde(skip_serializing_if = "is_zero_i64")]
    pub maintenance_seconds: i64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn is_zero_i64(n: &i64) -> bool {
    *n == 0
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Span {
    #[serde(with = "crate::model::ser_time")]
    pub start: DateTime<Utc>,
    #[serde(with = "crate::model::ser_time")]
    pub end: DateTime<Utc>,
    pub seconds: i64,
}

/// A window in which at least one probe was down.
#[derive(Debug, Clone, Serialize)]
pub struct Outage {
    pub kind: OutageKind,
    /// The target whose vantages this window compares (`None`: the input's one implicit target).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// First failed check.
    #[serde(with = "crate::model::ser_time")]
    pub start: DateTime<Utc>,
    #[serde(with = "crate::model::ser_time")]
    pub last_failure: DateTime<Utc>,
    /// First good check after it, of the last probe to recover (null: not recovered in the data).
    #[serde(with = "crate::model::ser_time::option")]
    pub recovered_at: Option<DateTime<Utc>>,
    /// start .. recovered_at
    pub duration_seconds: Option<i64>,
    pub probes: Vec<ProbeImpact>,
    /// Stretches inside the window in which every probe that had failed answered again, before
    /// one failed anew within `--merge-gap`: outages minutes apart, told as one window.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub answered: Vec<Answered>,
}

/// A stretch of a window in which its probes answered again (see `Outage::answered`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Answered {
    #[serde(with = "crate::model::ser_time")]
    pub from: DateTime<Utc>,
    #[serde(with = "crate::model::ser_time")]
    pub to: DateTime<Utc>,
}

/// Where the runs of a window (sorted by their first failure) leave a stretch with none down.
fn answered_between(runs: &[Run]) -> Vec<Answered> {
    let mut answered = Vec::new();
    let mut until: Option<DateTime<Utc>> = None;
    for r in runs {
        if let Some(u) = until.filter(|&u| r.first > u) {
            answered.push(Answered {
                from: u,
                to: r.first,
            });
        }
        until = Some(until.map_or(r.down_until, |u| u.max(r.down_until)));
    }
    answered
}

/// One probe inside one window (every probe is listed, failed or not).
#[derive(Debug, Clone, Serialize)]
pub struct ProbeImpact {
    pub probe: String,
    pub local: bool,
    /// Checks inside the window (start .. recovered_at, recovery excluded).
    pub checks: u64,
    pub failures: u64,
    #[serde(with = "crate::model::ser_time::option")]
    pub first_failure: Option<DateTime<Utc>>,
    #[serde(with = "crate::model::ser_time::option")]
    pub last_failure: Option<DateTime<Utc>>,
    /// This probe's first good check after its last failure in the window.
    #[serde(with = "crate::model::ser_time::option")]
    pub recovered_at: Option<DateTime<Utc>>,
    /// Seconds inside the window without checks from this probe.
    pub unknown_seconds: i64,
    /// The probe's evidence is a state-change export (intervals, not checks): `checks` counts
    /// its known intervals in the window, `failures` the down ones, the times are its edges.
    #[serde(skip)]
    pub states: bool,
}

/// A run of fewer than `min_failures` failed checks outside any window.
#[derive(Debug, Clone, Serialize)]
pub struct Blip {
    pub probe: String,
    #[serde(with = "crate::model::ser_time")]
    pub start: DateTime<Utc>,
    #[serde(with = "crate::model::ser_time")]
    pub last_failure: DateTime<Utc>,
    pub failures: u64,
    #[serde(with = "crate::model::ser_time::option")]
    pub recovered_at: Option<DateTime<Utc>>,
}

/// A probe changed state: `down`, `up` or `unknown` (no checks from here on, for a while).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Transition {
    #[serde(with = "crate::model::ser_time")]
    pub time: DateTime<Utc>,
    pub probe: String,
    pub state: String,
}

/// The local probe: `--local` (matched case-insensitively), a series marked local, else the first
/// whose name contains local/onbox/self or the host name.
pub fn local_probe(probes: &[ProbeSeries], opts: &OutageOptions) -> Option<String> {
    if let Some(want) = &opts.local {
        return probes
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(want))
            .map(|p| p.name.clone());
    }
    let host = opts
        .host
        .as_deref()
        .map(str::to_lowercase)
        .filter(|h| !h.is_empty());
    probes
        .iter()
        .find(|p| {
            let name = p.name.to_lowercase();
            LOCAL_WORDS.iter().any(|w| name.contains(w))
                || host.as_deref().is_some_and(|h| name.contains(h))
        })
        .map(|p| p.name.clone())
}

fn span(start: DateTime<Utc>, end: DateTime<Utc>) -> Span {
    Span {
        start,
        end,
        seconds: (end - start).num_seconds(),
    }
}

fn overlap(a: DateTime<Utc>, b: DateTime<Utc>, c: DateTime<Utc>, d: DateTime<Utc>) -> i64 {
    (b.min(d) - a.max(c)).num_seconds().max(0)
}

/// A run of failures of one probe, with the stretch it was down.
#[derive(Debug, Clone)]
struct Run {
    probe: usize,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
    failures: u64,
    /// The next check, when good (also after a gap).
    recovered_at: Option<DateTime<Utc>>,
    /// End of the down stretch: the next good check, or where unknown begins.
    down_until: DateTime<Utc>,
    /// Window (true) or blip (false) as the monitor decided it (state series); `None`: by the
    /// number of failures.
    verdict: Option<bool>,
}

/// The names of every series run from the server itself: the local probe, and where it names a
/// vantage (`--local onbox`, or the series found by name has one), every target's series from
/// that vantage, so that each target's window can compare its own local check.
pub fn local_series(probes: &[ProbeSeries], opts: &OutageOptions) -> Vec<String> {
    let by_vantage = |vantage: &str| -> Vec<String> {
        probes
            .iter()
            .filter(|p| {
                p.vantage
                    .as_deref()
                    .is_some_and(|v| v.eq_ignore_ascii_case(vantage))
            })
            .map(|p| p.name.clone())
            .collect()
    };
    if let Some(want) = &opts.local {
        let named = by_vantage(want);
        if !named.is_empty() {
            return named;
        }
    }
    let Some(name) = local_probe(probes, opts) else {
        return Vec::new();
    };
    match probes
        .iter()
        .find(|p| p.name == name)
        .and_then(|p| p.vantage.as_deref())
    {
        Some(vantage) => by_vantage(vantage),
        None => vec![name],
    }
}

/// Finds the windows, blips, per-probe summaries and state transitions.
pub fn find_outages(probes: &[ProbeSeries], opts: &OutageOptions) -> OutageAnalysis {
    let local_names = local_series(probes, opts);
    let local = |name: &str| local_names.iter().any(|n| n == name);
    let is_local = |p: &ProbeSeries| local(&p.name);
    // Probes are independent until their runs are grouped: each is walked on its own core.
    let timelines: Vec<Timeline> = probes.par_iter().map(Timeline::new).collect();
    let mut runs: Vec<Run> = Vec::new();
    for (pi, tl) in timelines.iter().enumerate() {
        if tl.series.is_states() {
            runs.extend(states::runs(pi, tl.series, opts.warning_is_down));
            continue;
        }
        let checks = &tl.series.checks;
        for (a, b) in tl.runs() {
            let recovered_at = checks.get(b + 1).filter(|c| c.ok()).map(|c| c.time);
            runs.push(Run {
                probe: pi,
                first: checks[a].time,
                last: checks[b].time,
                failures: (b - a + 1) as u64,
                recovered_at,
                down_until: tl.end_of(b),
                verdict: None,
            });
        }
    }
    let min = opts.min_failures.max(1) as u64;
    let (mut long, short): (Vec<Run>, Vec<Run>) = runs
        .into_iter()
        .partition(|r| r.verdict.unwrap_or(r.failures >= min));
    // Windows are found per target: the runs of one target's probes (its vantages) are grouped,
    // never those of two targets (one service down alone is not a partial outage of another).
    let target_of = |pi: usize| probes[pi].target.as_deref();
    long.sort_by(|a, b| {
        target_of(a.probe)
            .cmp(&target_of(b.probe))
            .then(a.first.cmp(&b.first))
    });
    let mut groups: Vec<Vec<Run>> = Vec::new();
    // The latest `down_until` of the last group, kept as runs join it (a group can hold hundreds
    // of thousands of runs: taking the maximum again for each run was quadratic).
    let mut group_until: Option<DateTime<Utc>> = None;
    for run in long {
        match (groups.last_mut(), group_until) {
            (Some(g), Some(until))
                if target_of(g[0].probe) == target_of(run.probe)
                    && run.first - until < opts.merge_gap =>
            {
                group_until = Some(until.max(run.down_until));
                g.push(run)
            }
            _ => {
                group_until = Some(run.down_until);
                groups.push(vec![run])
            }
        }
    }
    let mut outages: Vec<Outage> = groups
        .iter()
        .map(|g| {
            let target = target_of(g[0].probe);
            let mine: Vec<&Timeline> = timelines
                .iter()
                .filter(|tl| tl.series.target.as_deref() == target)
                .collect();
            let mut o = window(g, &mine, &local, opts.warning_is_down);
            o.target = target.map(str::to_string);
            o
        })
        .collect();
    outages.sort_by(|a, b| a.start.cmp(&b.start).then_with(|| a.target.cmp(&b.target)));
    let blips = short
        .iter()
        .filter(|r| !inside_window(&outages, target_of(r.probe), r.first))
        .map(|r| Blip {
            probe: probes[r.probe].name.clone(),
            start: r.first,
            last_failure: r.last,
            failures: r.failures,
            recovered_at: r.recovered_at,
        })
        .collect();
    let summaries = timelines
        .par_iter()
        .map(|tl| match tl.series.is_states() {
            true => states::summary(tl.series, is_local(tl.series), opts.warning_is_down),
            false => summary(tl, is_local(tl.series)),
        })
        .collect();
    let mut transitions: Vec<Transition> = timelines
        .par_iter()
        .map(|tl| match tl.series.is_states() {
            true => states::transitions(tl.series),
            false => transitions_of(tl),
        })
        .collect::<Vec<_>>()
        .into_iter()
        .flatten()
        .collect();
    transitions.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.probe.cmp(&b.probe)));
    let mut maintenance: Vec<Maintenance> = probes.iter().flat_map(states::maintenance).collect();
    maintenance.sort_by(|a, b| a.start.cmp(&b.start).then_with(|| a.probe.cmp(&b.probe)));
    OutageAnalysis {
        probes: summaries,
        outages,
        blips,
        transitions,
        maintenance,
    }
}

/// Whether `t` falls in one of the windows of `target` (windows of several targets may overlap).
fn inside_window(outages: &[Outage], target: Option<&str>, t: DateTime<Utc>) -> bool {
    outages
        .iter()
        .take_while(|o| o.start <= t)
        .any(|o| o.target.as_deref() == target && inside(o, t))
}

/// `t` is inside window `o`: from its start up to `window_end`, the recovering check itself
/// excluded (it is up), the last failure included when there is no recovery.
fn inside(o: &Outage, t: DateTime<Utc>) -> bool {
    o.start <= t
        && match o.recovered_at {
            Some(r) => t < r,
            None => t <= window_end(o),
        }
}

fn window(
    runs: &[Run],
    timelines: &[&Timeline],
    local: &dyn Fn(&str) -> bool,
    warning_is_down: bool,
) -> Outage {
    let start = runs.iter().map(|r| r.first).min().unwrap_or_default();
    let last_failure = runs.iter().map(|r| r.last).max().unwrap_or(start);
    let recovered_at = if runs.iter().all(|r| r.recovered_at.is_some()) {
        runs.iter().filter_map(|r| r.recovered_at).max()
    } else {
        None
    };
    let end = recovered_at.unwrap_or_else(|| {
        runs.iter()
            .map(|r| r.down_until)
            .max()
            .unwrap_or(last_failure)
            .max(last_failure + Duration::seconds(1))
    });
    let probes: Vec<ProbeImpact> = timelines
        .iter()
        .map(|tl| match tl.series.is_states() {
            true => {
                let is_local = local(&tl.series.name);
                states::impact(tl.series, start, end, is_local, warning_is_down)
            }
            false => impact(tl, start, end, local(&tl.series.name)),
        })
        .collect();
    Outage {
        kind: classify(&probes),
        target: None,
        start,
        last_failure,
        recovered_at,
        duration_seconds: recovered_at.map(|r| (r - start).num_seconds()),
        probes,
        answered: answered_between(runs),
    }
}

/// service: the local probe failed too; partial: one probe failed while another answered;
/// network: two or more remote probes failed while the local one answered; else unclassified
/// (no local probe known, or it had no checks in the window).
fn classify(probes: &[ProbeImpact]) -> OutageKind {
    let failed: Vec<&ProbeImpact> = probes.iter().filter(|p| p.failures > 0).collect();
    let answered = probes.iter().any(|p| p.checks > 0 && p.failures == 0);
    let local = probes.iter().find(|p| p.local);
    if failed.len() == 1 && answered {
        return OutageKind::Partial;
    }
    match local {
        Some(l) if l.failures > 0 => OutageKind::Service,
        Some(l) if l.checks > 0 && failed.iter().filter(|p| !p.local).count() >= 2 => {
            OutageKind::Network
        }
        _ => OutageKind::Unclassified,
    }
}

#[cfg(test)]
#[path = "outages_tests.rs"]
mod tests;

/// The window's evidence is state changes only (every probe's is a state-change export): its
/// edges are the monitors' down and up edges, not failed and good checks.
pub fn from_states(o: &Outage) -> bool {
    !o.probes.is_empty() && o.probes.iter().all(|p| p.states)
}

/// The end of a window for correlation: its recovery, else its last failure.
pub fn window_end(o: &Outage) -> DateTime<Utc> {
    o.recovered_at.unwrap_or(o.last_failure)
}
