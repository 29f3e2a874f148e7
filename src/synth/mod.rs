//! The scenario generator and the EVTX writer behind the fixtures and benchmarks.
pub mod evtx_writer;
pub mod exports;
pub mod hosts;
pub mod metrics;
pub mod probe_exports;
pub mod probes;
pub mod scale;
pub mod scale_csv;
pub mod scenario;
pub mod story;
pub mod targets;
