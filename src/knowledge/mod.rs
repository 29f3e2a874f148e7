//! Event-id and counter knowledge, loaded from the data files under data/.
pub mod counters;
pub mod events;
pub mod schema;
