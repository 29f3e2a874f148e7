//! Fuzz body: the input sniffer and the probe-CSV reader on arbitrary bytes; must never panic.
use faultline::source::probes::csv::{read_probe_csv, ProbeReadOptions};
use faultline::source::sniff::sniff_bytes;
use std::path::Path;

pub fn run(data: &[u8]) {
    let _ = sniff_bytes(Path::new("input.csv"), data);
    let path = super::scratch::write("probes.csv", data);
    if let Ok(file) = read_probe_csv(&path, &ProbeReadOptions::default()) {
        for probe in &file.probes {
            assert!(probe.checks.windows(2).all(|w| w[0].time <= w[1].time));
        }
    }
}
