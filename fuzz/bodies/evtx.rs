//! Fuzz body: the EVTX path (magic check, the `evtx` crate, the fast decoder, the damage
//! accounting, the streamed listing) on arbitrary bytes; must never panic.
use faultline::filter::EventFilter;
use faultline::render::event_listing::write_streamed;
use faultline::render::event_runs::LineFormat;
use faultline::source::events::evtx::file::scan_file;
use faultline::source::events::evtx::read_evtx;

pub fn run(data: &[u8]) {
    let _ = scan_file(&mut std::io::Cursor::new(data));
    let path = super::scratch::write("log.evtx", data);
    if let Ok(read) = read_evtx(&path, &EventFilter::default(), 1) {
        assert!(read.report.records_read >= read.events.len() as u64);
    }
    let mut out = Vec::new();
    let filter = EventFilter::default();
    if let Ok((reports, lines)) =
        write_streamed(&[&path], &filter, 1, LineFormat::Jsonl, &|_| {}, &mut out)
    {
        let read: u64 = reports.iter().flatten().map(|r| r.records_read).sum();
        assert!(read >= lines);
        assert_eq!(out.iter().filter(|b| **b == b'\n').count() as u64, lines);
    }
}
