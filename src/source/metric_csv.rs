//! Generic metric CSVs (wide or long) -> `MetricSeries` (placeholder until the metrics issue lands).
