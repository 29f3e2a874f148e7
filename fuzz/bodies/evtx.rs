//! Fuzz body: the EVTX path (magic check, the `evtx` crate, the fast decoder, the damage
//! accounting) on arbitrary bytes; must never panic.
use faultline::filter::EventFilter;
use faultline::source::evtx::read_evtx;
use faultline::source::evtx_integrity::scan_file;

pub fn run(data: &[u8]) {
    let _ = scan_file(&mut std::io::Cursor::new(data));
    let path = super::scratch::write("log.evtx", data);
    if let Ok(read) = read_evtx(&path, &EventFilter::default(), 1) {
        assert!(read.report.records_read >= read.events.len() as u64);
    }
}
