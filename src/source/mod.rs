//! Input sources: the registry (discover paths, sniff each file by content, `InputKind`) and one
//! wing per kind of evidence, each yielding the shared `model` types: `events/` (EVTX, exports,
//! `.evt`), `probes/` (probe CSVs, monitoring stores), `metrics/` (PDH-CSV, metric CSVs).
pub mod csv_text;
pub mod events;
pub mod evidence;
pub mod metrics;
pub mod numbers;
pub mod per_input;
pub mod probes;
pub mod sniff;
pub mod text;

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

pub use crate::model::InputKind;

/// One file to read and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    pub path: PathBuf,
    pub kind: InputKind,
}

/// Expands files and directories (recursively, `*.evtx` and `*.csv`, sorted) into input files whose
/// kind is sniffed from their content. Explicitly named files are always taken, whatever their
/// extension; `forced` pins the kind of files named there.
pub fn discover(paths: &[PathBuf], forced: &[(PathBuf, InputKind)]) -> Result<Vec<InputFile>> {
    let mut files = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        if meta.is_dir() {
            let mut found = Vec::new();
            walk_dir(path, &mut found)?;
            found.sort();
            files.extend(found.into_iter().map(|p| (p, true)));
        } else {
            files.push((path.clone(), false));
        }
    }
    let mut inputs = Vec::new();
    for (path, _) in forced {
        std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    }
    for (path, walked) in files {
        if forced.iter().any(|(p, _)| p == &path) {
            continue;
        }
        // In a folder, a file that no reader claims by its content is not evidence (a README.txt,
        // a config.json); a file named on the command line is always read, and says why not.
        let kind = match sniff::claim_file(&path)? {
            Some(InputKind::MetricCsv) | None if walked && !has_extension(&path, &["csv"]) => {
                continue
            }
            Some(kind) => kind,
            None => InputKind::MetricCsv,
        };
        inputs.push(InputFile { path, kind });
    }
    for (path, kind) in forced {
        inputs.push(InputFile {
            path: path.clone(),
            kind: *kind,
        });
    }
    inputs.dedup();
    Ok(inputs)
}

fn walk_dir(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let path = entry.path();
        let file_type = entry.file_type().map_err(|e| Error::io(&path, e))?;
        if file_type.is_dir() {
            walk_dir(&path, out)?;
        } else if has_input_extension(&path) {
            out.push(path);
        }
    }
    Ok(())
}

/// Extensions looked at in folders; the content decides what each file is.
const INPUT_EXTENSIONS: &[&str] = &[
    "evtx", "csv", "evt", "xml", "json", "jsonl", "ndjson", "txt", "log", "db", "sqlite", "sqlite3",
];

fn has_input_extension(path: &Path) -> bool {
    has_extension(path, INPUT_EXTENSIONS)
}

fn has_extension(path: &Path, wanted: &[&str]) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| wanted.iter().any(|w| e.eq_ignore_ascii_case(w)))
}

/// The host folders of a fleet folder: the sub-folders of the one folder given, when it holds two
/// or more and no evidence file of its own (a folder per host: `fleet/WEB01/`, `fleet/DB01/`).
/// `None`: the inputs are read as given. Whether the folders really are one host each shows only
/// once they are read (the caller checks).
pub fn host_folders(paths: &[PathBuf]) -> Option<Vec<PathBuf>> {
    let [folder] = paths else { return None };
    let entries: Vec<PathBuf> = std::fs::read_dir(folder)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
            !name.is_some_and(|n| n.starts_with('.'))
        })
        .collect();
    let own_evidence = entries.iter().filter(|p| p.is_file()).any(|p| {
        let ext = p.extension().map(|e| e.to_ascii_lowercase());
        let named = ext.is_some_and(|e| ["csv", "evtx", "evt"].iter().any(|x| e == *x));
        named || sniff::claim_file(p).is_ok_and(|kind| kind.is_some())
    });
    let mut subs: Vec<PathBuf> = entries.into_iter().filter(|p| p.is_dir()).collect();
    subs.sort();
    (!own_evidence && subs.len() >= 2).then_some(subs)
}
