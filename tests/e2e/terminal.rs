//! What faultline draws only for a person at a terminal: progress bars and coloured table cells.
//! Run with pipes (as here), neither may leak escape codes into the output or the diagnostics.
use crate::common;

use common::{aug15, run};

#[test]
fn no_progress_bar_or_colour_when_piped() {
    let r = run([
        "events".as_ref(),
        aug15("").as_os_str(),
        "--level".as_ref(),
        "error".as_ref(),
        "--format".as_ref(),
        "table".as_ref(),
    ]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    // Error-level events are coloured on a terminal; piped, the table is plain text.
    assert!(r.stdout.contains("Error"));
    assert!(!r.stdout.contains('\u{1b}'), "escape codes in stdout");
    assert!(!r.stderr.contains('\u{1b}'), "escape codes in stderr");
    assert!(!r.stderr.contains(" files ["), "a progress bar on a pipe");
    // The per-file summary lines still come.
    assert!(r.stderr.contains("System.evtx: "), "{}", r.stderr);
}

#[test]
fn report_reading_is_quiet_when_piped_with_quiet() {
    let r = run(["report".as_ref(), aug15("").as_os_str(), "-q".as_ref()]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(r.stderr, "");
}
