//! Probe CSV exports -> `ProbeSeries` (placeholder until the probes issue lands).

/// Whether a CSV header names a status, latency or probe column (see the detection rules).
pub fn header_looks_like_probes(header: &[String]) -> bool {
    header.iter().any(|h| {
        let h = h.to_ascii_lowercase();
        ["status", "result", "success", "probe", "latency", "response_time", "ping"]
            .iter()
            .any(|w| h.contains(w))
    })
}
