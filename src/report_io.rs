//! Writing output files safely: atomically (temp file + rename), never over an input.
use crate::error::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `target` through a temp file in the same folder, then renames it into place.
/// Refuses when `target` is one of `inputs` (or inside an input folder it would be read from).
pub fn write_atomic(target: &Path, bytes: &[u8], inputs: &[PathBuf]) -> Result<()> {
    refuse_input(target, inputs)?;
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = target
        .file_name()
        .ok_or_else(|| Error::arg("-o", format!("{} is not a file name", target.display())))?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, target)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io(target, e));
    }
    Ok(())
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
