//! Analysis over the shared model: outage windows, event and metric correlation, changes.
