//! Analysis over the shared model: outage windows, event and metric correlation, changes.
pub mod attribution;
pub mod changes;
pub mod clock;
pub mod data_quality;
pub mod downtime;
pub mod event_findings;
pub mod hosts;
pub mod metric_correlation;
pub mod nature;
pub mod outages;
pub mod report;
pub mod scope;
pub mod series_stats;
pub mod service_downtime;
pub mod shared_host;
pub mod stats;
pub mod timeline;
