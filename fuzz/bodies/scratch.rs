//! A scratch file per process and thread for the fuzz bodies whose readers take a path.
#![allow(dead_code)] // the timefmt target needs no file
use std::path::PathBuf;

/// Writes `data` to this thread's scratch file named `name` and returns its path.
pub fn write(name: &str, data: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("faultline-fuzz-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let thread = format!("{:?}", std::thread::current().id());
    let thread: String = thread.chars().filter(char::is_ascii_digit).collect();
    let path = dir.join(format!("{thread}-{name}"));
    std::fs::write(&path, data).expect("scratch file");
    path
}
