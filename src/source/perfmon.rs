//! typeperf / relog "PDH-CSV 4.0" files -> `MetricSeries` (placeholder until the metrics issue lands).
