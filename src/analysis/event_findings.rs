//! Events around an outage window, grouped by (channel, provider, id) and tagged from the knowledge base.
use crate::knowledge::events::{self as kb, EventClass};
use crate::model::{Event, Level};
use crate::timefmt::Zone;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::Serialize;

/// How long after recovery events are still looked at (boot and service-start sequences).
pub const AFTER_RECOVERY: i64 = 30 * 60;

/// One group of like events around a window.
#[derive(Debug, Clone, Serialize)]
pub struct EventGroup {
    pub channel: String,
    pub provider: String,
    pub event_id: u32,
    pub count: u64,
    #[serde(with = "crate::model::ser_time")]
    pub first: DateTime<Utc>,
    #[serde(with = "crate::model::ser_time")]
    pub last: DateTime<Utc>,
    /// First occurrence minus the window's start; negative = it came before the window.
    pub lead_seconds: i64,
    /// Knowledge-base class, or "unclassified".
    pub class: String,
    pub title: Option<String>,
    pub meaning: Option<String>,
    pub check_next: Option<String>,
    pub trap: Option<String>,
    /// Worst level seen in the group.
    pub level: String,
    /// The first event's data, as one line (for the reader to see what it said).
    pub sample: String,
    #[serde(skip)]
    pub rank: u8,
    /// The knowledge base's roles for this event (not in the JSON: `class` says it there).
    #[serde(skip)]
    pub roles: Vec<crate::knowledge::schema::EventRole>,
}

/// A crash time stated inside a 6008 event (written at the next boot, naming the earlier crash).
#[derive(Debug, Clone, Serialize)]
pub struct StatedCrash {
    #[serde(with = "crate::model::ser_time")]
    pub logged_at: DateTime<Utc>,
    #[serde(with = "crate::model::ser_time::option")]
    pub stated_time: Option<DateTime<Utc>>,
    pub stated_text: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct EventFindings {
    /// Most telling first: class rank, then first occurrence.
    pub groups: Vec<EventGroup>,
    /// Events of noise classes (e.g. DCOM 10016), counted and folded away.
    pub noise_folded: u64,
    pub stated_crashes: Vec<StatedCrash>,
}

/// Where a class sorts in findings (smaller = more telling).
pub fn class_rank(class: Option<EventClass>, level: Level) -> u8 {
    match class {
        Some(EventClass::ResourceExhaustion) => 0,
        Some(EventClass::Crash) => 1,
        Some(EventClass::Storage) => 2,
        Some(EventClass::Service) => 3,
        Some(EventClass::PlannedRestart) => 4,
        Some(EventClass::Boot) => 5,
        Some(EventClass::Change) => 6,
        None if level.severity() <= 3 => 7,
        Some(EventClass::Info) => 8,
        None => 9,
        Some(EventClass::Noise) => 10,
    }
}

/// Groups a window's events (those attributed to it, time-sorted); lead times count from `start`.
/// `server_zone` is the zone 6008's stated local time is read in.
pub fn find_events(events: &[&Event], start: DateTime<Utc>, server_zone: Zone) -> EventFindings {
    let mut findings = EventFindings::default();
    let mut index: std::collections::HashMap<(&str, &str, u32), usize> = Default::default();
    for &e in events {
        let info = kb::lookup(&e.provider, e.event_id);
        let class = info.map(|i| i.class);
        if class == Some(EventClass::Noise) {
            findings.noise_folded += 1;
            continue;
        }
        if info.is_some_and(|i| i.roles.contains(&kb::EventRole::UnexpectedShutdown)) {
            findings.stated_crashes.push(stated_crash(e, server_zone));
        }
        let key = (e.channel.as_str(), e.provider.as_str(), e.event_id);
        match index.get(&key) {
            Some(&i) => {
                let g = &mut findings.groups[i];
                g.count += 1;
                g.first = g.first.min(e.time);
                g.last = g.last.max(e.time);
                if Level::parse(&g.level).is_some_and(|l| e.level.severity() < l.severity()) {
                    g.level = e.level.name().to_string();
                }
            }
            None => {
                index.insert(key, findings.groups.len());
                findings.groups.push(EventGroup {
                    channel: e.channel.clone(),
                    provider: e.provider.clone(),
                    event_id: e.event_id,
                    count: 1,
                    first: e.time,
                    last: e.time,
                    lead_seconds: 0,
                    class: class.map_or("unclassified", EventClass::as_str).to_string(),
                    title: info.map(|i| i.title.clone()),
                    meaning: info.map(|i| i.meaning.clone()),
                    check_next: info.map(|i| i.check_next.clone()),
                    trap: info.and_then(|i| i.trap.clone()),
                    level: e.level.name().to_string(),
                    sample: sample_text(e),
                    rank: class_rank(class, e.level),
                    roles: info.map(|i| i.roles.clone()).unwrap_or_default(),
                });
            }
        }
    }
    for g in &mut findings.groups {
        g.lead_seconds = (g.first - start).num_seconds();
    }
    findings
        .groups
        .sort_by(|a, b| a.rank.cmp(&b.rank).then(a.first.cmp(&b.first)));
    findings
}

/// The event's data as one line; an export's rendered message where the data is empty (Event
/// Viewer CSV carries the message and no data).
fn sample_text(e: &Event) -> String {
    let mut text = e.data.render();
    if text.is_empty() {
        text = e
            .message
            .as_deref()
            .unwrap_or_default()
            .replace(['\r', '\n'], " ");
    }
    if text.chars().count() > 300 {
        let mut cut: String = text.chars().take(299).collect();
        cut.push('…');
        cut
    } else {
        text
    }
}

fn stated_crash(e: &Event, zone: Zone) -> StatedCrash {
    let values: Vec<&str> = e.data.unnamed().collect();
    let stated_text = values.iter().take(2).copied().collect::<Vec<_>>().join(" ");
    StatedCrash {
        logged_at: e.time,
        stated_time: stated_crash_time(e, zone).map(|(t, _)| t),
        stated_text,
    }
}

/// The crash time a 6008 states: the UTC SYSTEMTIME in its binary data (exact, no zone needed),
/// else its localized text read in the server's zone.
pub fn stated_crash_time(e: &Event, zone: Zone) -> Option<(DateTime<Utc>, &'static str)> {
    if let Some(t) = e.data.get("Binary").and_then(utc_systemtime) {
        return Some((t, "the UTC time in its binary data"));
    }
    let values: Vec<&str> = e.data.unnamed().collect();
    parse_stated_time(&values, zone).map(|t| (t, "its local date and time text"))
}

/// The second SYSTEMTIME (UTC) of a 6008's binary data, given as hex.
fn utc_systemtime(hex: &str) -> Option<DateTime<Utc>> {
    let bytes: Vec<u8> = (0..hex.len() / 2)
        .map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect::<Option<_>>()?;
    let word = |i: usize| -> Option<u32> {
        let at = 16 + 2 * i;
        Some(u16::from_le_bytes([*bytes.get(at)?, *bytes.get(at + 1)?]) as u32)
    };
    let (y, mo, d) = (word(0)?, word(1)?, word(3)?);
    let (h, mi, s, ms) = (word(4)?, word(5)?, word(6)?, word(7)?);
    NaiveDate::from_ymd_opt(y as i32, mo, d)?
        .and_hms_milli_opt(h, mi, s, ms)
        .map(|n| n.and_utc())
}

/// 6008 carries the earlier shutdown's local time and date as two localized strings, sometimes with
/// invisible left-to-right marks. Try the common shapes; `None` when unreadable.
pub fn parse_stated_time(values: &[&str], zone: Zone) -> Option<DateTime<Utc>> {
    let clean = |s: &str| -> String {
        s.chars()
            .filter(|c| !matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}'))
            .collect::<String>()
            .trim()
            .to_string()
    };
    let parts: Vec<String> = values.iter().take(2).map(|s| clean(s)).collect();
    if parts.len() < 2 {
        return None;
    }
    let time = ["%I:%M:%S %p", "%H:%M:%S", "%I:%M %p", "%H:%M"]
        .iter()
        .find_map(|f| NaiveTime::parse_from_str(&parts[0], f).ok())?;
    let date = stated_date(&parts[1])?;
    zone.to_utc(date.and_time(time))
}

/// The 6008's date in the writer's culture: ISO and dotted (de-DE) orders are fixed; a slashed
/// or dashed date is day-first when its first part is over 12 (en-GB `25/08/2015`), else
/// month-first (en-US `8/25/2015`, and Windows' own order when both parts fit either).
fn stated_date(text: &str) -> Option<NaiveDate> {
    if let Some(d) = ["%Y-%m-%d", "%Y/%m/%d", "%d.%m.%Y"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(text, f).ok())
    {
        return Some(d);
    }
    let parts: Vec<u32> = text
        .split(['/', '-'])
        .map(|p| p.trim().parse().ok())
        .collect::<Option<_>>()?;
    let [a, b, year] = parts[..] else {
        return None;
    };
    let (month, day) = if a > 12 { (b, a) } else { (a, b) };
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_utc_systemtime_of_a_6008_is_read_from_its_binary() {
        // From a real 6008 (python-evtx's system.evtx, record 13388): local 09:59:13, UTC 13:59:13.
        let hex =
            "DC0704000500060009003B000D001D00DC070400050006000D003B000D001D00600900003C000000";
        let t = super::utc_systemtime(hex).unwrap();
        assert_eq!(t.to_rfc3339(), "2012-04-06T13:59:13.029+00:00");
        assert_eq!(super::utc_systemtime("DC07"), None);
    }

    use super::*;

    #[test]
    fn stated_time_survives_invisible_marks() {
        let la = Zone::parse("America/Los_Angeles").unwrap();
        let t = parse_stated_time(
            &["\u{200E}6:58:03 PM", "\u{200E}8/\u{200E}15/\u{200E}2011"],
            la,
        );
        assert_eq!(
            t.map(|t| crate::model::rfc3339(&t)).as_deref(),
            Some("2011-08-16T01:58:03Z")
        );
        assert_eq!(parse_stated_time(&["garbage", "8/15/2011"], la), None);
        // en-GB writes day first and a 24-hour clock; the day over 12 tells the order.
        let gb = parse_stated_time(
            &["\u{200E}18:58:03", "\u{200E}15/\u{200E}08/\u{200E}2011"],
            la,
        );
        assert_eq!(
            gb.map(|t| crate::model::rfc3339(&t)).as_deref(),
            Some("2011-08-16T01:58:03Z")
        );
        let de = parse_stated_time(&["18:58:03", "15.08.2011"], la);
        assert_eq!(de, gb);
        assert_eq!(parse_stated_time(&["18:58:03", "31/31/2011"], la), None);
        assert_eq!(parse_stated_time(&["6:58:03 PM"], la), None);
    }
}
