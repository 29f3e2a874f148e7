//! Which spans overlap a given one, without scanning them all: spans sorted by start, with a tree
//! of the latest end under each node, so a query costs its answer plus a logarithm. The report's
//! per-window lookups (windows down together, downtime inside a window, a target's windows) use it
//! where they once scanned every span for every window.
use chrono::{DateTime, Utc};

/// A span from its start to its end, both included.
pub type Span = (DateTime<Utc>, DateTime<Utc>);

/// Spans `[start, end]` (an end before its start is kept as given: it overlaps nothing after it).
#[derive(Debug, Clone)]
pub struct Intervals {
    /// (start, end, index given) sorted by start, then index.
    spans: Vec<(DateTime<Utc>, DateTime<Utc>, usize)>,
    /// The latest end under each node of a complete binary tree over `spans` (leaves at `leaves..`).
    latest: Vec<DateTime<Utc>>,
    leaves: usize,
}

impl Intervals {
    /// Indexes `spans`, each known by its place in the iterator.
    pub fn new(spans: impl IntoIterator<Item = Span>) -> Self {
        let mut spans: Vec<_> = spans
            .into_iter()
            .enumerate()
            .map(|(i, (s, e))| (s, e, i))
            .collect();
        spans.sort_by_key(|&(s, _, i)| (s, i));
        let leaves = spans.len().next_power_of_two();
        let mut latest = vec![DateTime::<Utc>::MIN_UTC; 2 * leaves];
        for (k, &(_, e, _)) in spans.iter().enumerate() {
            latest[leaves + k] = e;
        }
        for node in (1..leaves).rev() {
            latest[node] = latest[2 * node].max(latest[2 * node + 1]);
        }
        Intervals {
            spans,
            latest,
            leaves,
        }
    }

    /// The given indices of the spans with `start <= to` and `end >= from`, ascending.
    pub fn overlapping(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<usize> {
        let mut out = Vec::new();
        self.visit(from, to, &mut |i| {
            out.push(i);
            false
        });
        out.sort_unstable();
        out
    }

    /// The first span in start order (ties: the lower index) with `start <= to` and
    /// `end >= from`.
    pub fn first_overlapping(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Option<usize> {
        let mut found = None;
        self.visit(from, to, &mut |i| {
            found = Some(i);
            true
        });
        found
    }

    /// Calls `f` on each match in start order until it returns true.
    fn visit(&self, from: DateTime<Utc>, to: DateTime<Utc>, f: &mut dyn FnMut(usize) -> bool) {
        // Spans starting after `to` are a suffix: only the prefix before it is searched.
        let upto = self.spans.partition_point(|&(s, _, _)| s <= to);
        if upto > 0 {
            self.descend(1, 0, self.leaves, upto, from, f);
        }
    }

    /// Visits the leaves under `node` (covering `lo..hi`) below `upto` whose end reaches `from`;
    /// true once `f` asked to stop.
    fn descend(
        &self,
        node: usize,
        lo: usize,
        hi: usize,
        upto: usize,
        from: DateTime<Utc>,
        f: &mut dyn FnMut(usize) -> bool,
    ) -> bool {
        if lo >= upto || self.latest[node] < from {
            return false;
        }
        if hi - lo == 1 {
            return f(self.spans[lo].2);
        }
        let mid = (lo + hi) / 2;
        self.descend(2 * node, lo, mid, upto, from, f)
            || self.descend(2 * node + 1, mid, hi, upto, from, f)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    /// A small deterministic generator (xorshift) for the random cases.
    pub(crate) struct Rng(pub u64);
    impl Rng {
        pub fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n.max(1)
        }
    }

    fn at(m: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap() + Duration::minutes(m)
    }

    #[test]
    fn overlapping_spans_match_a_scan_of_every_span() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for case in 0..400 {
            let n = rng.below(40) as usize + (case % 3);
            let spans: Vec<(DateTime<Utc>, DateTime<Utc>)> = (0..n)
                .map(|_| {
                    let s = rng.below(100) as i64;
                    // Mostly forward, some zero-length, a few ending before they start.
                    let len = rng.below(30) as i64 - 3;
                    (at(s), at(s + len))
                })
                .collect();
            let index = Intervals::new(spans.iter().copied());
            for _ in 0..20 {
                let from = at(rng.below(120) as i64 - 10);
                let to = from + Duration::minutes(rng.below(20) as i64 - 2);
                let want: Vec<usize> = (0..n)
                    .filter(|&i| spans[i].0 <= to && spans[i].1 >= from)
                    .collect();
                assert_eq!(index.overlapping(from, to), want, "case {case}");
                let first = want.iter().copied().min_by_key(|&i| (spans[i].0, i));
                assert_eq!(index.first_overlapping(from, to), first, "case {case}");
            }
        }
    }
}
