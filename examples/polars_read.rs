//! bench/run's reference for probe CSV ingest: polars' own CSV read of a file (schema inferred, the
//! default options), timed; prints `rows seconds`.
use polars::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args_os()
        .nth(1)
        .ok_or("usage: polars_read FILE.csv")?;
    let started = std::time::Instant::now();
    let frame = CsvReadOptions::default()
        .with_has_header(true)
        .try_into_reader_with_file_path(Some(path.into()))?
        .finish()?;
    println!("{} {:.3}", frame.height(), started.elapsed().as_secs_f64());
    Ok(())
}
