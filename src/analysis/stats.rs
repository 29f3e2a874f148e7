//! Robust statistics for "was this unusual?": median, MAD, robust z, percentile, Sen's slope and
//! Mann-Kendall. Each is computed here and only here.

/// Median of finite values; `None` when there are none.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len().is_multiple_of(2) {
        (v[mid - 1] + v[mid]) / 2.0
    } else {
        v[mid]
    })
}

/// Median absolute deviation from the median (unscaled).
pub fn mad(values: &[f64]) -> Option<f64> {
    let m = median(values)?;
    let deviations: Vec<f64> = values
        .iter()
        .filter(|x| x.is_finite())
        .map(|x| (x - m).abs())
        .collect();
    median(&deviations)
}

/// Robust z-score of `x` against a baseline: 0.6745 (x - median) / MAD (Iglewicz and Hoaglin's
/// modified z). When the MAD is zero (more than half the baseline is one value) the mean absolute
/// deviation is used instead, as (x - median) / (1.2533 MeanAD); when that is zero too the baseline
/// is constant and no z-score exists (`None`).
pub fn robust_z(x: f64, baseline: &[f64]) -> Option<f64> {
    let median = median(baseline)?;
    let mad = mad(baseline)?;
    if mad > 0.0 {
        return Some(0.6745 * (x - median) / mad);
    }
    let finite: Vec<f64> = baseline.iter().copied().filter(|v| v.is_finite()).collect();
    let mean_ad = finite.iter().map(|v| (v - median).abs()).sum::<f64>() / finite.len() as f64;
    (mean_ad > 0.0).then(|| (x - median) / (1.253_314 * mean_ad))
}

/// The median of integer `values()` by the same rule as [`median`] (the mean of the middle two for
/// an even count, here rounded down; 0 when empty) in two passes over the values and fixed memory, without collecting them: a probe can
/// have millions of checks. Pass one counts values by their high 16 bits, which names the bucket
/// each middle value falls in; pass two counts the low 16 bits inside those buckets.
pub fn median_of<I: Iterator<Item = u32>>(values: impl Fn() -> I) -> u32 {
    const BUCKETS: usize = 1 << 16;
    let mut high = vec![0u64; BUCKETS];
    let mut n = 0u64;
    for v in values() {
        high[(v >> 16) as usize] += 1;
        n += 1;
    }
    if n == 0 {
        return 0;
    }
    // (bucket, rank inside it) of the k-th smallest value.
    let locate = |k: u64| {
        let mut below = 0u64;
        for (bucket, &count) in high.iter().enumerate() {
            if below + count > k {
                return (bucket, k - below);
            }
            below += count;
        }
        (BUCKETS - 1, 0)
    };
    let middle = [locate((n - 1) / 2), locate(n / 2)];
    let mut low = [vec![0u64; BUCKETS], vec![0u64; BUCKETS]];
    for v in values() {
        for (counts, &(bucket, _)) in low.iter_mut().zip(&middle) {
            if (v >> 16) as usize == bucket {
                counts[(v & 0xFFFF) as usize] += 1;
            }
        }
    }
    let value = |(bucket, mut rank): (usize, u64), counts: &[u64]| {
        for (low_bits, &count) in counts.iter().enumerate() {
            if rank < count {
                return ((bucket as u32) << 16) | low_bits as u32;
            }
            rank -= count;
        }
        (bucket as u32) << 16
    };
    let (lower, upper) = (value(middle[0], &low[0]), value(middle[1], &low[1]));
    lower + (upper - lower) / 2
}

/// Nearest-rank percentile (0..=100) of finite values: the value at rank ceil(pct/100 * n) of the
/// sorted values (at least rank 1), so it is always one of the values.
pub fn percentile(values: &[f64], pct: f64) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    let rank = ((pct.clamp(0.0, 100.0) / 100.0 * v.len() as f64).ceil() as usize).clamp(1, v.len());
    // The value a sort would put at that rank, found without sorting (linear, not n log n).
    let (_, at_rank, _) = v.select_nth_unstable_by(rank - 1, f64::total_cmp);
    Some(*at_rank)
}

/// Result of a trend test over (time in hours, value) points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trend {
    /// Sen's slope: the median of pairwise slopes, in value units per hour.
    pub slope_per_hour: f64,
    /// Mann-Kendall two-sided p-value (normal approximation, ties corrected).
    pub p_value: f64,
    pub points: usize,
}

impl Trend {
    /// "rising" / "falling" only when significant at `alpha`; "flat" otherwise.
    pub fn word(&self, alpha: f64) -> &'static str {
        if self.p_value < alpha && self.slope_per_hour > 0.0 {
            "rising"
        } else if self.p_value < alpha && self.slope_per_hour < 0.0 {
            "falling"
        } else {
            "flat"
        }
    }
}

/// Sen's slope with a Mann-Kendall test; needs at least 4 points. Points must be time-ordered.
pub fn trend(points: &[(f64, f64)]) -> Option<Trend> {
    let n = points.len();
    if n < 4 {
        return None;
    }
    let mut s: i64 = 0;
    for i in 0..n {
        for j in i + 1..n {
            s += match (points[j].1 - points[i].1).partial_cmp(&0.0) {
                Some(std::cmp::Ordering::Greater) => 1,
                Some(std::cmp::Ordering::Less) => -1,
                _ => 0,
            };
        }
    }
    let slope_per_hour = sens_slope(points)?;
    // Variance with the tie correction: ties of equal values reduce it.
    let mut values: Vec<f64> = points.iter().map(|p| p.1).collect();
    values.sort_by(f64::total_cmp);
    let mut tie_term = 0.0;
    let mut run = 1usize;
    for i in 1..=values.len() {
        if i < values.len() && values[i] == values[i - 1] {
            run += 1;
        } else {
            if run > 1 {
                let t = run as f64;
                tie_term += t * (t - 1.0) * (2.0 * t + 5.0);
            }
            run = 1;
        }
    }
    let nf = n as f64;
    let var_s = (nf * (nf - 1.0) * (2.0 * nf + 5.0) - tie_term) / 18.0;
    let p_value = if var_s <= 0.0 {
        1.0
    } else {
        let z = if s > 0 {
            (s as f64 - 1.0) / var_s.sqrt()
        } else if s < 0 {
            (s as f64 + 1.0) / var_s.sqrt()
        } else {
            0.0
        };
        2.0 * (1.0 - standard_normal_cdf(z.abs()))
    };
    Some(Trend {
        slope_per_hour,
        p_value,
        points: n,
    })
}

/// Sen's slope of (time, value) points: the median of the slopes between every pair of points
/// whose times differ (in value units per time unit); `None` when no pair does.
pub fn sens_slope(points: &[(f64, f64)]) -> Option<f64> {
    let mut slopes = Vec::with_capacity(points.len() * points.len().saturating_sub(1) / 2);
    for (i, a) in points.iter().enumerate() {
        for b in &points[i + 1..] {
            let dt = b.0 - a.0;
            if dt > 0.0 {
                slopes.push((b.1 - a.1) / dt);
            }
        }
    }
    median(&slopes)
}

/// Φ(x) via the complementary error function (Abramowitz-Stegun 7.1.26, error < 1.5e-7).
fn standard_normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * z);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let r = poly * (-z * z).exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_mad() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
        assert_eq!(mad(&[1.0, 1.0, 2.0, 2.0, 4.0, 6.0, 9.0]), Some(1.0));
    }

    #[test]
    fn robust_z_of_an_outlier() {
        // median 2, MAD 1
        let z = robust_z(10.0, &[1.0, 2.0, 3.0]).unwrap();
        assert!((z - 5.396).abs() < 1e-3, "{z}");
        // MAD 0 (mostly zeros): falls back to the mean absolute deviation, 0.25 here.
        let z = robust_z(26.0, &[0.0, 0.0, 0.0, 1.0]).unwrap();
        assert!((z - 26.0 / (1.253_314 * 0.25)).abs() < 1e-6, "{z}");
        // A constant baseline has no z-score.
        assert_eq!(robust_z(6.0, &[5.0, 5.0, 5.0]), None);
    }

    #[test]
    fn percentile_interpolates() {
        let v: Vec<f64> = (1..=101).map(f64::from).collect();
        assert_eq!(percentile(&v, 95.0), Some(96.0));
        assert_eq!(percentile(&[5.0], 95.0), Some(5.0));
    }

    #[test]
    fn percentile_is_the_value_a_sort_puts_at_its_rank() {
        // Repeats, signed zeros, non-finite values (left out) and many sizes, against a sort.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for n in [1usize, 2, 3, 7, 20, 101, 1000] {
            let values: Vec<f64> = (0..n)
                .map(|_| match next() % 23 {
                    0 => -0.0,
                    1 => 0.0,
                    2 => f64::INFINITY,
                    3 => f64::NAN,
                    r => (r % 7) as f64 * 1.5 - (next() % 1000) as f64 / 8.0,
                })
                .collect();
            let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
            sorted.sort_by(f64::total_cmp);
            for pct in [0.0, 1.0, 25.0, 50.0, 95.0, 99.9, 100.0] {
                let want = (!sorted.is_empty()).then(|| {
                    let rank = ((pct / 100.0 * sorted.len() as f64).ceil() as usize)
                        .clamp(1, sorted.len());
                    sorted[rank - 1]
                });
                let got = percentile(&values, pct);
                assert_eq!(
                    got.map(f64::to_bits),
                    want.map(f64::to_bits),
                    "n {n} pct {pct}"
                );
            }
        }
    }

    #[test]
    fn percentile_is_nearest_rank_and_the_integer_median_follows_the_median_rule() {
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 95.0), Some(4.0));
        assert_eq!(percentile(&[4.0, 3.0, 2.0, 1.0], 50.0), Some(2.0));
        assert_eq!(percentile(&[], 50.0), None);
        let ints = [9u32, 1, 5, 2];
        let floats: Vec<f64> = ints.iter().map(|v| f64::from(*v)).collect();
        assert_eq!(
            f64::from(median_of(|| ints.iter().copied())),
            median(&floats).unwrap().floor()
        );
    }

    #[test]
    fn a_steady_rise_is_significant_and_noise_is_not() {
        let rising: Vec<(f64, f64)> = (0..24)
            .map(|i| {
                (
                    i as f64 / 12.0,
                    100.0 + i as f64 * 5.0 + if i % 2 == 0 { 1.0 } else { -1.0 },
                )
            })
            .collect();
        let t = trend(&rising).unwrap();
        assert_eq!(t.word(0.05), "rising");
        assert!((t.slope_per_hour - 60.0).abs() < 5.0, "{t:?}");
        let noise: Vec<(f64, f64)> = (0..24)
            .map(|i| (i as f64, [3.0, 7.0, 1.0, 9.0, 4.0, 6.0][i % 6]))
            .collect();
        assert_eq!(trend(&noise).unwrap().word(0.05), "flat");
        assert!(trend(&rising[..3]).is_none());
    }

    #[test]
    fn mann_kendall_p_value_matches_a_known_case() {
        // Strictly increasing, n = 10: S = 45, Var = 125, z = 44/sqrt(125) = 3.935, p ~ 8.3e-5.
        let pts: Vec<(f64, f64)> = (0..10).map(|i| (i as f64, i as f64)).collect();
        let t = trend(&pts).unwrap();
        assert!((t.p_value - 8.3e-5).abs() < 1e-5, "{}", t.p_value);
        let flat: Vec<(f64, f64)> = (0..10).map(|i| (i as f64, 1.0)).collect();
        assert_eq!(trend(&flat).unwrap().word(0.05), "flat");
    }
}
