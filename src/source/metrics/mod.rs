//! Everything that yields `MetricSeries`: perfmon PDH-CSV (`pdh`) and other CSVs of numbers over
//! time, wide or long (`csv`).
mod columns;
pub mod csv;
pub mod pdh;
mod pdh_rows;
