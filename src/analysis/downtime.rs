//! When each host was down, from its System log alone: every boot is the end of a downtime, and
//! the records before it say how that downtime began (a clean shutdown someone asked for, or a
//! crash stated by the 6008 written at the boot), with the record ids of the evidence.
use super::event_findings::stated_crash_time;
use crate::knowledge::events::{self as kb, EventRole};
use crate::model::Event;
use crate::timefmt::{parse_event_time, Zone};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::collections::HashMap;

/// Boot records further apart than this are two boots, even of different kinds.
const BOOT_CLUSTER: Duration = Duration::minutes(10);
/// How long after a boot its 6008, 41 and bugcheck records are looked for.
const BOOT_RECORDS: Duration = Duration::minutes(30);
/// How long before the clean stop the shutdown request (1074) may be.
const REQUEST_BEFORE_STOP: Duration = Duration::minutes(30);
/// How long after a boot the reason typed in for an unexpected shutdown (1076) may come.
const REASON_AFTER_BOOT: Duration = Duration::hours(12);

/// planned, crash or unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DowntimeNature {
    /// A clean shutdown whose reason is flagged planned.
    Planned,
    /// Unexpected: a 6008 or a Kernel-Power 41 at the next boot.
    Crash,
    /// A clean shutdown without a planned reason, or no record of how it went down.
    Unknown,
}

impl DowntimeNature {
    pub fn as_str(self) -> &'static str {
        match self {
            DowntimeNature::Planned => "planned",
            DowntimeNature::Crash => "crash",
            DowntimeNature::Unknown => "unknown",
        }
    }
}

/// One record that decided an edge or the nature of a downtime.
#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    #[serde(with = "crate::model::ser_time")]
    pub time: DateTime<Utc>,
    pub record_id: Option<u64>,
    pub provider: String,
    pub event_id: u32,
    /// What it says, in a few words.
    pub says: String,
}

/// Who asked for a shutdown, and why (1074).
#[derive(Debug, Clone, Serialize)]
pub struct ShutdownRequest {
    pub process: String,
    pub user: String,
    /// restart or power off
    pub action: String,
    pub reason: String,
    pub reason_code: String,
    /// The reason code has the planned flag (0x80000000).
    pub planned: bool,
    pub comment: String,
}

/// A period a host was down.
#[derive(Debug, Clone, Serialize)]
pub struct Downtime {
    pub host: String,
    pub nature: DowntimeNature,
    /// The shutdown was clean (6006 or Kernel-General 13 before the boot).
    pub clean: bool,
    /// Best estimate of when it went down.
    #[serde(with = "crate::model::ser_time")]
    pub down_at: DateTime<Utc>,
    /// Which record dated the going down.
    pub down_basis: String,
    /// The boot.
    #[serde(with = "crate::model::ser_time")]
    pub up_at: DateTime<Utc>,
    pub up_basis: String,
    /// `None` when the shutdown is stamped after the boot: the clock was set back across the
    /// restart, and the two times come from two different clocks.
    pub duration_seconds: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<ShutdownRequest>,
    /// Bugcheck code from Kernel-Power 41 or the bugcheck report, e.g. 0x00010001.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bugcheck: Option<String>,
    /// One line for the report.
    pub summary: String,
    pub evidence: Vec<Evidence>,
}

#[derive(Debug, Default, Serialize)]
pub struct DowntimeAnalysis {
    pub periods: Vec<Downtime>,
    /// Boots with nothing before them in the log (the log begins there): no downtime to size.
    pub boots_without_history: u64,
    /// Events dated before `EARLIEST_PLAUSIBLE` (a zero timestamp, an unset clock), left out.
    pub implausible_times: u64,
}

/// Events dated before 1990 (FILETIME zero is 1601) carry no usable time for a downtime.
pub const EARLIEST_PLAUSIBLE: DateTime<Utc> =
    DateTime::from_timestamp_nanos(631_152_000_000_000_000);

fn role(e: &Event, r: EventRole) -> bool {
    kb::has_role(&e.provider, e.event_id, r)
}

#[path = "downtime_boots.rs"]
mod boots;
use boots::{boots, written_before, Boot};

/// "Kernel-General 12 (#180)".
pub fn cite(e: &Event) -> String {
    let provider = e
        .provider
        .strip_prefix("Microsoft-Windows-")
        .unwrap_or(&e.provider);
    match e.record_id {
        Some(id) => format!("{provider} {} (#{id})", e.event_id),
        None => format!("{provider} {}", e.event_id),
    }
}

fn evidence(e: &Event, says: impl Into<String>) -> Evidence {
    Evidence {
        time: e.time,
        record_id: e.record_id,
        provider: e.provider.clone(),
        event_id: e.event_id,
        says: says.into(),
    }
}

/// A value by name, else by position among the unnamed values (older logs and exports), else
/// by position among the insertion strings an export's message lists when Windows had no
/// description for the event ("The following information was included with the event:").
fn value(e: &Event, name: &str, position: usize) -> String {
    let from_message = || {
        let message = e.message.as_deref()?;
        let (_, rest) = message.split_once("included with the event:")?;
        let rest = rest.trim_start_matches([' ', '\r']);
        let rest = rest.strip_prefix('\n').unwrap_or(rest);
        let rest = rest.strip_prefix("\r\n").unwrap_or(rest);
        let rest = rest.strip_prefix('\n').unwrap_or(rest);
        rest.lines().nth(position)
    };
    e.data
        .get(name)
        .or_else(|| e.data.unnamed().nth(position))
        .or_else(from_message)
        .unwrap_or_default()
        .trim()
        .to_string()
}

fn shutdown_request(e: &Event) -> ShutdownRequest {
    let reason_code = value(e, "param4", 3);
    let code = u32::from_str_radix(reason_code.trim_start_matches("0x"), 16).ok();
    ShutdownRequest {
        process: value(e, "param1", 0),
        user: value(e, "param7", 6),
        action: value(e, "param5", 4),
        reason: value(e, "param3", 2),
        planned: code.is_some_and(|c| c & 0x8000_0000 != 0),
        reason_code,
        comment: value(e, "param6", 5),
    }
}

/// Downtime periods of every host; `events` time-sorted (clock-corrected), `host_of` maps a
/// Computer name to its host (renames joined).
pub fn find_downtime(
    events: &[Event],
    host_of: &dyn Fn(&str) -> String,
    zone: Zone,
) -> DowntimeAnalysis {
    let mut analysis = DowntimeAnalysis {
        implausible_times: events
            .iter()
            .filter(|e| e.time < EARLIEST_PLAUSIBLE)
            .count() as u64,
        ..Default::default()
    };
    // Each event's host, asked once per Computer name (not once per event and host).
    let mut by_computer: HashMap<&str, usize> = HashMap::new();
    let mut hosts: Vec<String> = Vec::new();
    let host_index: Vec<usize> = events
        .iter()
        .map(|e| {
            *by_computer.entry(e.computer.as_str()).or_insert_with(|| {
                hosts.push(host_of(&e.computer));
                hosts.len() - 1
            })
        })
        .collect();
    let mut names: Vec<&String> = hosts.iter().collect();
    names.sort();
    names.dedup();
    for host in names {
        let mine: Vec<&Event> = events
            .iter()
            .zip(&host_index)
            .filter(|(e, &h)| e.time >= EARLIEST_PLAUSIBLE && hosts[h] == *host)
            .map(|(e, _)| e)
            .collect();
        let boots = boots(&mine);
        for (k, boot) in boots.iter().enumerate() {
            let previous = k.checked_sub(1).map(|p| &boots[p]);
            // Written before this boot and after the previous one, by record order in the boot's
            // log, yet stamped after it: the clock was set back across the restart.
            let stamped_after = |e: &Event| {
                e.time >= boot.at
                    && written_before(e, boot) == Some(true)
                    && previous.is_none_or(|p| written_before(e, p) == Some(false))
            };
            // Without a kernel start, what the boot's log wrote after it is the boot's.
            let no_kernel_start = boot
                .records
                .iter()
                .all(|r| !role(r, EventRole::KernelStart));
            let before: Vec<&Event> = mine
                .iter()
                .copied()
                .filter(|e| {
                    let by_time = e.time < boot.at && previous.is_none_or(|p| e.time >= p.at);
                    let logged_after = no_kernel_start && written_before(e, boot) == Some(false);
                    (by_time && !logged_after) || stamped_after(e)
                })
                .collect();
            if before.is_empty() {
                analysis.boots_without_history += 1;
                continue;
            }
            let after: Vec<&Event> = mine
                .iter()
                .copied()
                .filter(|e| e.time >= boot.at && e.time <= boot.at + BOOT_RECORDS)
                .filter(|e| !stamped_after(e))
                .collect();
            let later: Vec<&Event> = mine
                .iter()
                .copied()
                .filter(|e| e.time >= boot.at && e.time <= boot.at + REASON_AFTER_BOOT)
                .filter(|e| !stamped_after(e))
                .collect();
            analysis
                .periods
                .push(one_downtime(host, boot, &before, &after, &later, zone));
        }
    }
    analysis.periods.sort_by_key(|d| d.down_at);
    analysis
}

fn one_downtime(
    host: &str,
    boot: &Boot,
    before: &[&Event],
    after: &[&Event],
    later: &[&Event],
    zone: Zone,
) -> Downtime {
    let last = before.last().expect("a downtime has a record before it");
    let mut ev = Vec::new();
    let unexpected = after
        .iter()
        .find(|e| role(e, EventRole::UnexpectedShutdown));
    let power_loss = after.iter().find(|e| role(e, EventRole::PowerLoss));
    let bugcheck_report = after.iter().find(|e| role(e, EventRole::Bugcheck));
    // The clean stop is the end of the previous run: nothing but other stop records after it.
    let stop = before
        .iter()
        .rev()
        .take_while(|e| {
            role(e, EventRole::LogStop)
                || role(e, EventRole::KernelStop)
                || role(e, EventRole::ShutdownRequest)
                || last.time - e.time <= Duration::minutes(2)
        })
        .filter(|e| role(e, EventRole::LogStop) || role(e, EventRole::KernelStop))
        .max_by_key(|e| e.time)
        .copied();
    let mut request = None;
    let mut bugcheck = None;
    let (nature, clean, down_at, down_basis);
    if unexpected.is_some() || power_loss.is_some() {
        nature = DowntimeNature::Crash;
        clean = false;
        let stated = unexpected.and_then(|e| stated_crash_time(e, zone).map(|t| (e, t)));
        (down_at, down_basis) = match stated {
            Some((e, (t, how))) if t <= boot.at => {
                ev.push(evidence(
                    e,
                    format!("the previous shutdown was unexpected (time from {how})"),
                ));
                (t, format!("the time stated by {}", cite(e)))
            }
            // A crash after the boot it preceded: the stated local time was read in the wrong
            // zone (or the text misread), not a clock set back. The record times stand.
            Some((e, (t, how))) => {
                ev.push(evidence(
                    e,
                    format!(
                        "the previous shutdown was unexpected; the time from {how}, {}, is after the boot (read in {}: is --input-tz the server's zone?)",
                        t.format("%Y-%m-%d %H:%M:%S UTC"),
                        zone.name()
                    ),
                ));
                (
                    last.time,
                    format!("the last record before the boot, {}", cite(last)),
                )
            }
            None => {
                if let Some(e) = unexpected {
                    ev.push(evidence(e, "the previous shutdown was unexpected"));
                }
                (
                    last.time,
                    format!("the last record before the boot, {}", cite(last)),
                )
            }
        };
        if let Some(e) = power_loss {
            let code = e
                .data
                .get("BugcheckCode")
                .and_then(|c| c.trim().parse::<u64>().ok())
                .filter(|&c| c != 0);
            bugcheck = code.map(|c| format!("0x{c:08x}"));
            let button = e
                .data
                .get("PowerButtonTimestamp")
                .is_some_and(|t| !t.trim().is_empty() && t.trim() != "0");
            let says = match (&bugcheck, button) {
                (Some(c), _) => format!("rebooted without a clean shutdown; bugcheck {c}"),
                (None, true) => {
                    "rebooted without a clean shutdown; the power button was pressed".into()
                }
                (None, false) => {
                    "rebooted without a clean shutdown; no bugcheck: power lost or hard reset"
                        .into()
                }
            };
            ev.push(evidence(e, says));
        }
        if let Some(e) = bugcheck_report {
            let first = value(e, "param1", 0);
            let code = first
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_string();
            let dump = value(e, "param2", 1);
            if bugcheck.is_none() && !code.is_empty() {
                bugcheck = Some(code.clone());
            }
            ev.push(evidence(e, format!("bugcheck {code}, dump {dump}")));
        }
        if let Some(e) = later
            .iter()
            .find(|e| role(e, EventRole::UnexpectedShutdownReason))
        {
            let reason = value(e, "param2", 1);
            let comment = value(e, "param6", 5);
            ev.push(evidence(
                e,
                format!("reason given afterwards: {reason} {comment}")
                    .trim()
                    .to_string(),
            ));
        }
    } else if let Some(stop) = stop {
        clean = true;
        let req = request_before(before, stop.time);
        if let Some(e) = req {
            let r = shutdown_request(e);
            ev.push(evidence(
                e,
                format!(
                    "{} requested by {} ({}): {} [{}]",
                    if r.action.is_empty() {
                        "shutdown"
                    } else {
                        &r.action
                    },
                    r.user,
                    r.process,
                    r.reason,
                    r.reason_code
                ),
            ));
            request = Some(r);
        }
        nature = nature_of(&request);
        // The kernel's stop time is the last moment of the run; the 6006 the log's last one.
        let kernel_stop = before
            .iter()
            .rev()
            .filter(|e| e.time >= stop.time - Duration::minutes(5))
            .find(|e| role(e, EventRole::KernelStop) && e.data.get("StopTime").is_some());
        let stopped = kernel_stop.and_then(|e| {
            e.data
                .get("StopTime")
                .and_then(parse_event_time)
                .map(|t| (e, t))
        });
        (down_at, down_basis) = match stopped {
            Some((e, t)) => (t, format!("StopTime of {}", cite(e))),
            None => (stop.time, cite(stop)),
        };
        ev.push(evidence(stop, "clean shutdown"));
    } else {
        clean = false;
        down_at = last.time;
        down_basis = format!("the last record before the boot, {}", cite(last));
        // A shutdown asked for, with no clean stop after it: it went down some other way.
        let req = request_before(before, last.time);
        if let Some(e) = req {
            let r = shutdown_request(e);
            ev.push(evidence(e, "shutdown requested; no clean stop followed"));
            request = Some(r);
        }
        nature = nature_of(&request);
        if req.is_none_or(|e| e.record_id != last.record_id || e.time != last.time) {
            ev.push(evidence(
                last,
                "the last record before the boot; no shutdown or crash record (the log may miss them)",
            ));
        }
    }
    for e in &boot.records {
        ev.push(evidence(e, "boot"));
    }
    ev.sort_by_key(|e| (e.time, e.record_id));
    let mut summary = summary_line(nature, clean, &request, &bugcheck);
    let duration_seconds = if down_at > boot.at {
        summary.push_str(&format!(
            "; the clock was set back across the restart (the going down is stamped {} after the boot), so how long it was down is not known",
            crate::timefmt::human_duration((down_at - boot.at).num_seconds())
        ));
        None
    } else {
        Some((boot.at - down_at).num_seconds())
    };
    Downtime {
        host: host.to_string(),
        nature,
        clean,
        down_at,
        down_basis,
        up_at: boot.at,
        up_basis: boot.basis.clone(),
        duration_seconds,
        request,
        bugcheck,
        summary,
        evidence: ev,
    }
}

/// The shutdown request (1074) among the records before `t`, at most `REQUEST_BEFORE_STOP` earlier.
fn request_before<'a>(before: &[&'a Event], t: DateTime<Utc>) -> Option<&'a Event> {
    before
        .iter()
        .rev()
        .filter(|e| e.time >= t - REQUEST_BEFORE_STOP)
        .find(|e| role(e, EventRole::ShutdownRequest))
        .copied()
}

/// Planned when the request's reason code has the planned flag; else not known.
fn nature_of(request: &Option<ShutdownRequest>) -> DowntimeNature {
    match request {
        Some(r) if r.planned => DowntimeNature::Planned,
        _ => DowntimeNature::Unknown,
    }
}

fn summary_line(
    nature: DowntimeNature,
    clean: bool,
    request: &Option<ShutdownRequest>,
    bugcheck: &Option<String>,
) -> String {
    match (nature, request, bugcheck) {
        (DowntimeNature::Crash, _, Some(code)) => {
            format!("an unexpected shutdown (bugcheck {code})")
        }
        (DowntimeNature::Crash, _, None) => {
            "an unexpected shutdown (no bugcheck recorded: power lost, a hang or a hard reset)"
                .into()
        }
        (_, Some(r), _) if r.user.is_empty() && r.reason.is_empty() => {
            "a shutdown was requested (Event 1074; this export carries none of its details)".into()
        }
        (_, Some(_), _) if !clean => format!(
            "{}; no clean stop followed",
            summary_line(nature, true, request, bugcheck)
        ),
        (_, Some(r), _) => format!(
            "a {}{} {} by {}{}, reason \"{}\" ({})",
            if r.planned { "planned " } else { "" },
            if r.action.is_empty() {
                "shutdown"
            } else {
                &r.action
            },
            "requested",
            if r.user.is_empty() { "?" } else { &r.user },
            if r.process.is_empty() {
                String::new()
            } else {
                format!(" ({})", r.process)
            },
            r.reason,
            if r.planned {
                format!("{}, flagged planned", r.reason_code)
            } else {
                format!("{}, not flagged planned", r.reason_code)
            }
        ),
        _ if clean => "a clean shutdown with no request recorded".into(),
        _ => "down with no shutdown or crash record before the boot".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_planned_flag_is_read_from_the_reason_code() {
        use crate::model::{DataField, EventData, Level};
        let e = |code: &str| Event {
            time: Utc::now(),
            record_id: None,
            channel: "System".into(),
            provider: "User32".into(),
            event_id: 1074,
            level: Level::INFORMATION,
            computer: String::new(),
            message: None,
            data: EventData(
                ["p.exe", "HOST", "Other", code, "restart", "", "DOM\\admin"]
                    .iter()
                    .map(|v| DataField {
                        name: None,
                        value: v.to_string(),
                    })
                    .collect(),
            ),
            source_file: std::sync::Arc::from("x"),
        };
        assert!(shutdown_request(&e("0x80020002")).planned);
        assert!(!shutdown_request(&e("0x500ff")).planned);
        assert_eq!(shutdown_request(&e("0x500ff")).user, "DOM\\admin");
    }
}
