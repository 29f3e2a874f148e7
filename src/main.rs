//! The faultline binary: parse the command line, run, report errors, set the exit code.
use clap::Parser;
use faultline::{cli::Cli, Outcome};
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    limit_malloc_arenas();
    let cli = Cli::parse();
    let strict = cli.strict;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let result = faultline::run(cli, &mut out);
    let flushed = out.flush();
    match result {
        Ok(outcome) => {
            if let Err(err) = flushed {
                if err.kind() != std::io::ErrorKind::BrokenPipe {
                    eprintln!("faultline: error writing output: {err}");
                    return ExitCode::from(2);
                }
            }
            match outcome {
                Outcome::Clean => ExitCode::SUCCESS,
                Outcome::Skipped if strict => ExitCode::from(1),
                Outcome::Skipped => ExitCode::SUCCESS,
                Outcome::Unusable => ExitCode::from(2),
            }
        }
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            // One line: the error, then each cause its message does not already say.
            let mut line = err.to_string();
            for cause in err.chain().skip(1) {
                let text = cause.to_string();
                if !line.contains(&text) {
                    line.push_str(": ");
                    line.push_str(&text);
                }
            }
            eprintln!("faultline: error: {line}");
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    // csv::Error hides the io::Error it wraps (it has no source()), so look inside it too.
    let csv_pipe = |c: &csv::Error| matches!(c.kind(), csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe);
    err.chain().any(|cause| {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            return io.kind() == std::io::ErrorKind::BrokenPipe
                || io
                    .get_ref()
                    .and_then(|inner| inner.downcast_ref::<csv::Error>())
                    .is_some_and(csv_pipe);
        }
        cause.downcast_ref::<csv::Error>().is_some_and(csv_pipe)
    })
}

/// glibc gives every thread that allocates an arena of its own and keeps what is freed in each:
/// with polars' and rayon's threads all allocating, a report over a 10 M-row probe export held a
/// quarter more memory than it used (and paid page faults for it). Two arenas are enough here.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_malloc_arenas() {
    // SAFETY: mallopt only tunes the allocator; it runs first in main, before any thread starts.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}
