//! Fuzz body: the PDH-CSV header, counter-path and file readers (and the generic metric CSV
//! reader) on arbitrary bytes; must never panic.
use faultline::source::metrics::csv::{read_metric_csv, MetricReadOptions};
use faultline::source::metrics::pdh::{parse_counter_path, parse_pdh_header, read_pdh_csv};
use faultline::timefmt::Zone;

pub fn run(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = parse_pdh_header(&text);
    let _ = parse_counter_path(&text);
    let path = super::scratch::write("perfmon.csv", data);
    let la = Zone::parse("America/Los_Angeles").expect("zone");
    for opts in [
        MetricReadOptions::default(),
        MetricReadOptions { input_tz: la },
    ] {
        let _ = read_pdh_csv(&path, &opts);
    }
    let _ = read_metric_csv(&path, &MetricReadOptions::default());
}
