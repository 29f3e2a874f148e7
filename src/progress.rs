//! Progress on stderr while input files are read: files done of total, bytes, throughput and ETA.
//! Drawn only when stderr is a terminal and `--quiet` is off; otherwise every call does nothing.
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// A progress bar over a set of files, advanced by whole files (safe to share across threads).
#[derive(Debug)]
pub struct Progress {
    bar: Option<ProgressBar>,
    total_files: usize,
    done_files: AtomicUsize,
    sizes: Mutex<Vec<(PathBuf, u64)>>,
}

impl Progress {
    /// Does nothing.
    pub fn hidden() -> Self {
        Progress {
            bar: None,
            total_files: 0,
            done_files: AtomicUsize::new(0),
            sizes: Mutex::new(Vec::new()),
        }
    }

    /// A bar over `paths` when `wanted` and stderr is a terminal.
    pub fn files(paths: &[PathBuf], wanted: bool) -> Self {
        if !wanted || !std::io::stderr().is_terminal() || paths.is_empty() {
            return Self::hidden();
        }
        let sizes: Vec<(PathBuf, u64)> = paths
            .iter()
            .map(|p| {
                (
                    p.clone(),
                    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0),
                )
            })
            .collect();
        let total: u64 = sizes.iter().map(|(_, s)| s).sum();
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{spinner} {msg} [{wide_bar}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        bar.set_message(format!("0/{} files", paths.len()));
        bar.enable_steady_tick(Duration::from_millis(120));
        Progress {
            bar: Some(bar),
            total_files: paths.len(),
            done_files: AtomicUsize::new(0),
            sizes: Mutex::new(sizes),
        }
    }

    /// One file is read: advance by its size.
    pub fn file_done(&self, path: &Path) {
        let Some(bar) = &self.bar else { return };
        let size = self
            .sizes
            .lock()
            .ok()
            .and_then(|s| s.iter().find(|(p, _)| p == path).map(|(_, n)| *n))
            .unwrap_or(0);
        let done = self.done_files.fetch_add(1, Ordering::Relaxed) + 1;
        bar.inc(size);
        bar.set_message(format!("{done}/{} files", self.total_files));
    }

    /// Removes the bar, so that the summary lines that follow start on a clean line.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}
