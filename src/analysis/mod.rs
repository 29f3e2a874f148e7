//! Analysis over the shared model: outage windows, event and metric correlation, changes.
pub mod changes;
pub mod event_findings;
pub mod metric_correlation;
pub mod outages;
pub mod report;
pub mod scope;
pub mod series_stats;
pub mod stats;
pub mod timeline;
