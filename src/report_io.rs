//! Writing output files safely: atomically (temp file + rename), never over an input.
use crate::error::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `target` through a temp file in the same folder, then renames it into place.
/// Refuses when `target` is one of `inputs` (or inside an input folder it would be read from).
pub fn write_atomic(target: &Path, bytes: &[u8], inputs: &[PathBuf]) -> Result<()> {
    refuse_input(target, inputs)?;
    replace_file(target, bytes).map_err(|e| Error::io(target, e))
}

/// Puts `bytes` at `path`: through a temp file and a rename when `path` is a regular file or
/// does not exist yet, so a reader never sees half a report; straight through the path when it
/// is anything else. A rename over `/dev/null`, a FIFO or `/dev/stdout` would replace the device
/// or the link with a plain file (as root it does: `-o /dev/null` once turned this machine's
/// /dev/null into a file, and every later `2> /dev/null` wrote into it).
pub fn replace_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if !renamed_into_place(path) {
        let mut file = std::fs::File::create(path)?;
        return file.write_all(bytes);
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name"))?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Whether `path` is written by temp file and rename: only a regular file itself (not a link to
/// one) or a path where nothing is yet.
fn renamed_into_place(path: &Path) -> bool {
    match std::fs::symlink_metadata(path) {
        Ok(meta) => meta.file_type().is_file(),
        Err(_) => true,
    }
}

fn refuse_input(target: &Path, inputs: &[PathBuf]) -> Result<()> {
    let target_abs = absolute(target);
    for input in inputs {
        let input_abs = absolute(input);
        if target_abs == input_abs {
            return Err(Error::arg(
                "-o",
                format!(
                    "{} is one of the inputs; refusing to overwrite it",
                    target.display()
                ),
            ));
        }
    }
    Ok(())
}

fn absolute(p: &Path) -> PathBuf {
    if let Ok(c) = p.canonicalize() {
        return c;
    }
    // A file that does not exist yet: canonicalize its folder.
    match (p.parent(), p.file_name()) {
        (Some(parent), Some(name)) if !parent.as_os_str().is_empty() => parent
            .canonicalize()
            .map(|d| d.join(name))
            .unwrap_or_else(|_| p.to_path_buf()),
        _ => std::env::current_dir()
            .map(|d| d.join(p))
            .unwrap_or_else(|_| p.to_path_buf()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn only_regular_files_and_new_paths_are_renamed_into_place() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("report.md");
        assert!(renamed_into_place(&file), "a new path");
        std::fs::write(&file, "old").unwrap();
        assert!(renamed_into_place(&file), "a regular file");
        let link = tmp.path().join("link.md");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert!(!renamed_into_place(&link), "a link is written through");
        // Only looked at, never written: a regression here must not cost the machine its /dev/null.
        assert!(!renamed_into_place(Path::new("/dev/null")), "a device");
        replace_file(&link, b"new").unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read(&file).unwrap(), b"new");
    }
}
