//! Which events to keep: ids and ranges, provider, channel, level, time bounds, regex.
use crate::model::{Event, Level};
use chrono::{DateTime, Utc};
use regex::Regex;

/// A parsed event filter; an empty filter keeps everything.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Inclusive ranges of event ids.
    pub ids: Vec<(u32, u32)>,
    /// Case-insensitive substring of the provider name.
    pub provider: Option<String>,
    /// Case-insensitive channel name.
    pub channel: Option<String>,
    /// Keep this level and worse.
    pub max_severity: Option<Level>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub grep: Option<Regex>,
    /// Only events in these spans or with these ids (the report's need), when set.
    pub scope: Option<EventScope>,
}

/// The events a report looks at: those near its windows, and a few ids from anywhere in the
/// log (installs, boots). Everything else can be skipped before its data is decoded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventScope {
    /// Every event in these spans. Sorted, not overlapping, inclusive.
    pub spans: Vec<Span>,
    /// These ids wherever they are.
    pub ids_anywhere: Vec<u32>,
    /// These ids, but only in their own spans (a service's state changes after it crashed).
    pub ids_in_spans: Option<IdsInSpans>,
    /// Never these ids: a first pass has read them already (sorted).
    pub skip_ids: Vec<u32>,
}

/// A time span, inclusive at both ends.
pub type Span = (DateTime<Utc>, DateTime<Utc>);

#[derive(Debug, Clone, Default, PartialEq)]
pub struct IdsInSpans {
    /// Sorted.
    pub ids: Vec<u32>,
    /// Sorted, not overlapping, inclusive.
    pub spans: Vec<Span>,
}

/// Whether `time` falls in one of `spans` (sorted, not overlapping).
fn in_spans(spans: &[Span], time: &DateTime<Utc>) -> bool {
    let i = spans.partition_point(|(_, end)| end < time);
    spans.get(i).is_some_and(|(start, _)| start <= time)
}

/// Sorts `spans` and joins those that overlap or touch.
pub fn merge_spans(mut spans: Vec<Span>) -> Vec<Span> {
    spans.sort_unstable();
    let mut merged: Vec<Span> = Vec::with_capacity(spans.len());
    for (start, end) in spans {
        match merged.last_mut() {
            Some((_, last_end)) if start <= *last_end => *last_end = (*last_end).max(end),
            _ => merged.push((start, end)),
        }
    }
    merged
}

impl EventScope {
    pub fn contains(&self, event_id: u32, time: &DateTime<Utc>) -> bool {
        if self.skip_ids.binary_search(&event_id).is_ok() {
            return false;
        }
        self.ids_anywhere.contains(&event_id)
            || in_spans(&self.spans, time)
            || self.ids_in_spans.as_ref().is_some_and(|narrow| {
                narrow.ids.binary_search(&event_id).is_ok() && in_spans(&narrow.spans, time)
            })
    }
}

impl EventFilter {
    /// Parses `333,6008,7000-7011`.
    pub fn parse_ids(text: &str) -> Result<Vec<(u32, u32)>, String> {
        let mut ids = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let bad = || format!("{part:?} is not an event id or a range like 7000-7011");
            let range = match part.split_once('-') {
                Some((a, b)) => {
                    let (a, b) = (
                        a.trim().parse::<u32>().map_err(|_| bad())?,
                        b.trim().parse::<u32>().map_err(|_| bad())?,
                    );
                    if a > b {
                        return Err(format!("range {part:?} runs backwards"));
                    }
                    (a, b)
                }
                None => {
                    let id = part.parse::<u32>().map_err(|_| bad())?;
                    (id, id)
                }
            };
            ids.push(range);
        }
        if ids.is_empty() {
            return Err("no event id given".into());
        }
        Ok(ids)
    }

    /// Whether the cheap header fields pass (id and time), before the data is looked at.
    pub fn wants_id_and_time(&self, event_id: u32, time: &DateTime<Utc>) -> bool {
        if !self.ids.is_empty() && !self.ids.iter().any(|&(a, b)| (a..=b).contains(&event_id)) {
            return false;
        }
        if self.from.is_some_and(|from| *time < from) || self.to.is_some_and(|to| *time > to) {
            return false;
        }
        self.scope
            .as_ref()
            .is_none_or(|scope| scope.contains(event_id, time))
    }

    /// Whether the event id alone already fails the filter (whatever the time).
    pub fn rejects_id(&self, event_id: u32) -> bool {
        !self.ids.is_empty() && !self.ids.iter().any(|&(a, b)| (a..=b).contains(&event_id))
    }

    /// Whether event id and time alone decide (no provider, channel, level or regex).
    pub fn by_id_and_time_only(&self) -> bool {
        self.provider.is_none()
            && self.channel.is_none()
            && self.max_severity.is_none()
            && self.grep.is_none()
    }

    pub fn matches(&self, event: &Event) -> bool {
        if !self.wants_id_and_time(event.event_id, &event.time) {
            return false;
        }
        if let Some(p) = &self.provider {
            if !event.provider.to_lowercase().contains(&p.to_lowercase()) {
                return false;
            }
        }
        if let Some(c) = &self.channel {
            if !event.channel.eq_ignore_ascii_case(c) {
                return false;
            }
        }
        if let Some(level) = self.max_severity {
            if event.level.severity() > level.severity() {
                return false;
            }
        }
        if let Some(re) = &self.grep {
            let in_message = event.message.as_deref().is_some_and(|m| re.is_match(m));
            if !re.is_match(&event.provider) && !re.is_match(&event.data.render()) && !in_message {
                return false;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_ranges() {
        assert_eq!(
            EventFilter::parse_ids("333, 6008,7000-7011").unwrap(),
            vec![(333, 333), (6008, 6008), (7000, 7011)]
        );
        assert!(EventFilter::parse_ids("7011-7000").is_err());
        assert!(EventFilter::parse_ids("abc").is_err());
        assert!(EventFilter::parse_ids("").is_err());
    }
}
