//! A metric series' samples at 8 bytes each: one `f64` per sample time (NaN = missing), the
//! times sorted and shared by the series of one file.
//!
//! Why this shape: a perfmon file of 50 counters x 86,400 rows is 4.3 M samples. As
//! `Option<f64>` beside a `DateTime` they took 16 bytes a value (69 MB) plus the times; as `f64`
//! with NaN for a missing sample they take 8 (35 MB). The readers never give NaN as a value
//! (`numbers::parse_localized` refuses it and infinities), so NaN can only mean "missing". The
//! times of one file are one shared list (`Arc`), 12 bytes per row whatever the number of
//! counters, so compressing them further by a regular step would save about 1 MB on that file
//! and would rarely apply: typeperf's sample times drift by milliseconds from row to row. They
//! stay chrono's `DateTime` rather than an `i64`: nanoseconds (every fraction a generic CSV may
//! carry) only reach 1677-2262 and milliseconds drop fractions, while damaged files hold times
//! like 1601-01-01 (a zero FILETIME) that the readers keep and report.
use chrono::{DateTime, Utc};
use std::ops::Range;
use std::sync::Arc;

/// Sample times and values; `values[i]` was taken at `times[i]`.
#[derive(Debug, Clone)]
pub struct Samples {
    times: Arc<[DateTime<Utc>]>,
    values: Vec<f64>,
}

impl Default for Samples {
    fn default() -> Self {
        Samples {
            times: Arc::from([]),
            values: Vec::new(),
        }
    }
}

impl PartialEq for Samples {
    /// Same times, and the same value or both missing at each.
    fn eq(&self, other: &Samples) -> bool {
        self.times == other.times
            && self.values.len() == other.values.len()
            && self
                .values
                .iter()
                .zip(&other.values)
                .all(|(a, b)| a == b || (a.is_nan() && b.is_nan()))
    }
}

impl Samples {
    /// `times` sorted, one value each (NaN = missing).
    ///
    /// # Panics
    /// When the lengths differ or the times are out of order: a reader's bug, never input's.
    pub fn new(times: Arc<[DateTime<Utc>]>, values: Vec<f64>) -> Samples {
        assert_eq!(times.len(), values.len(), "one value per sample time");
        debug_assert!(times.windows(2).all(|w| w[0] <= w[1]), "times sorted");
        Samples { times, values }
    }

    /// Samples from `(time, value)` pairs in time order, `None` = missing.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (DateTime<Utc>, Option<f64>)>) -> Samples {
        let (times, values): (Vec<DateTime<Utc>>, Vec<f64>) =
            pairs.into_iter().map(|(t, v)| (t, to_stored(v))).unzip();
        Samples::new(times.into(), values)
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The time of sample `i`.
    pub fn time(&self, i: usize) -> DateTime<Utc> {
        self.times[i]
    }

    /// The value of sample `i`, `None` when it is missing.
    pub fn value(&self, i: usize) -> Option<f64> {
        from_stored(self.values[i])
    }

    /// The sample times, in order.
    pub fn times(&self) -> impl DoubleEndedIterator<Item = DateTime<Utc>> + ExactSizeIterator + '_ {
        self.times.iter().copied()
    }

    /// The sample times as a slice (shared with the other series of the file).
    pub fn time_slice(&self) -> &[DateTime<Utc>] {
        &self.times
    }

    /// The values, `None` for a missing sample.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = Option<f64>> + ExactSizeIterator + '_ {
        self.values.iter().map(|&v| from_stored(v))
    }

    /// `(time, value)` of every sample, in time order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (DateTime<Utc>, Option<f64>)> + '_ {
        self.times().zip(self.values())
    }

    pub fn first_time(&self) -> Option<DateTime<Utc>> {
        self.times.first().copied()
    }

    pub fn last_time(&self) -> Option<DateTime<Utc>> {
        self.times.last().copied()
    }

    /// The indices of the samples at or after `from` and before `to` (either open).
    pub fn between(&self, from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> Range<usize> {
        let lo = from.map_or(0, |f| self.times.partition_point(|t| *t < f));
        let hi = to.map_or(self.len(), |e| self.times.partition_point(|t| *t < e));
        lo..hi.max(lo)
    }

    /// The indices of the samples within `[from, to]` (both inclusive, either open).
    pub fn within(&self, from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> Range<usize> {
        let lo = from.map_or(0, |f| self.times.partition_point(|t| *t < f));
        let hi = to.map_or(self.len(), |e| self.times.partition_point(|t| *t <= e));
        lo..hi.max(lo)
    }
}

/// A value as stored: NaN for a missing one.
pub fn to_stored(v: Option<f64>) -> f64 {
    v.unwrap_or(f64::NAN)
}

fn from_stored(v: f64) -> Option<f64> {
    (!v.is_nan()).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn missing_values_and_exact_times_come_back_as_given() {
        let t0 = Utc.with_ymd_and_hms(2011, 8, 15, 16, 0, 0).unwrap();
        let t1 = t0 + chrono::Duration::nanoseconds(123_456_789);
        let s = Samples::from_pairs([(t0, Some(2.5)), (t1, None)]);
        assert_eq!(
            s.iter().collect::<Vec<_>>(),
            vec![(t0, Some(2.5)), (t1, None)]
        );
        assert_eq!(s, s.clone());
        assert_eq!((s.first_time(), s.last_time()), (Some(t0), Some(t1)));
    }

    #[test]
    fn ranges_keep_their_inclusive_and_exclusive_ends() {
        let t = |m| Utc.with_ymd_and_hms(2011, 8, 15, 16, m, 0).unwrap();
        let s = Samples::from_pairs((0..5).map(|m| (t(m), Some(f64::from(m)))));
        assert_eq!(s.within(Some(t(1)), Some(t(3))), 1..4);
        assert_eq!(s.between(Some(t(1)), Some(t(3))), 1..3);
        assert_eq!(s.within(None, None), 0..5);
        assert_eq!(s.within(Some(t(4)), Some(t(1))), 4..4);
        let far = Utc.with_ymd_and_hms(3000, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(s.within(Some(far), None), 5..5);
    }
}
