//! Fuzz body: the shared time parsers on arbitrary text, in UTC and in a zone with DST.
use faultline::timefmt::{parse_duration, parse_timestamp, parse_user_time, Zone};

pub fn run(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let la = Zone::parse("America/Los_Angeles").expect("zone");
    for zone in [Zone::UTC, la] {
        if let Some(t) = parse_timestamp(&text, zone) {
            // Whatever parses must display without panicking.
            let _ = zone.format(&t);
        }
        let _ = parse_user_time(&text, zone);
    }
    let _ = parse_duration(&text);
    let _ = Zone::parse(&text);
}
