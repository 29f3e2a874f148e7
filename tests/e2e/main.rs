//! End-to-end tests: the built `faultline` binary run on the fixtures, damaged copies and the real
//! samples in `../shared/evtx-samples`. One test binary rather than one per file, so that the
//! polars-sized link happens once (faster builds, a fraction of the disk).
mod common;

mod bad_input;
mod chart;
mod cli;
mod config;
mod downtime;
mod events;
mod export_counts;
mod exports;
mod fuzz_loops;
mod grafana;
mod hosts;
mod html;
mod metrics;
mod output_integrity;
mod probe_blocks;
mod probe_exports;
mod probes;
mod report;
mod synth;
mod targets;
mod terminal;
mod timeline;
mod timesketch;
