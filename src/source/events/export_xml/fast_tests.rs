//! The quick path held equal to quick-xml's parse: whatever it takes, it reads as quick-xml does.
use super::count_keys;
use crate::source::events::export_xml::parse::{parse_event, Need};

/// Checks `fragment` both ways; true when the quick path took it.
fn agrees(fragment: &str) -> bool {
    let slow = parse_event(fragment, Need::CountKeys);
    match count_keys(fragment) {
        Some(quick) => {
            assert_eq!(
                Ok(&quick),
                slow.as_ref(),
                "taken by the quick path: {fragment}"
            );
            true
        }
        None => false,
    }
}

const SYSTEM: &str = "<System><Provider Name='Service Control Manager'/><EventID>7036</EventID><Level>4</Level><TimeCreated SystemTime='2011-08-01T07:00:00.0000000Z'/><EventRecordID>1</EventRecordID><Channel>System</Channel><Computer>SIPSVR01</Computer></System>";

fn event(inner: &str) -> String {
    format!("<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>{inner}</Event>")
}

/// Events as exporters write them, and legal variations: all taken by the quick path.
fn plain_events() -> Vec<String> {
    vec![
        event(&format!("{SYSTEM}<EventData><Data Name='param1'>Windows Modules Installer</Data><Data Name='param2'>running</Data></EventData>")),
        // Qualifiers, a GUID, the rendered section, unnamed and empty data, CR LF between tags.
        event("<System><Provider Name='Microsoft-Windows-Kernel-General' Guid='{A68CA8B7-004F-D7B6-A698-07E2DE0F1F5D}'/>\r\n<EventID Qualifiers='32768'>6008</EventID><TimeCreated SystemTime='2011-08-16T01:28:45.5Z'/><EventRecordID>1234</EventRecordID><Correlation/><Execution ProcessID='0' ThreadID='0'/><Channel>System</Channel><Security/></System><EventData><Data>1:34:44 AM</Data><Data></Data><Binary>0A0B</Binary></EventData><RenderingInfo Culture='en-US'><Message>was &lt;unexpected&gt; &amp; &quot;odd&quot; &apos;</Message><Level>Error</Level><Provider>EventLog</Provider><Channel>Rendered</Channel></RenderingInfo>"),
        // Double quotes, spaces before `>` and `/>`, attributes in another order, an end tag
        // with a space, the provider named by EventSourceName only.
        "<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\" >\n  <System >\n    <Provider EventSourceName=\"Old\" Guid=\"{x}\" />\n    <EventID>41</EventID >\n    <TimeCreated SystemTime=\"2011-08-01T11:05:19.0000000Z\"></TimeCreated>\n    <EventRecordID>7</EventRecordID>\n    <Channel> Sys </Channel>\n  </System>\n</Event >".to_string(),
        // Both names of the provider; the rendered provider is not needed then.
        event("<System><Provider Guid='{x}' EventSourceName='Src' Name='Nm'/><EventID>1</EventID><TimeCreated SystemTime='2011-08-01T11:05:19Z'/></System><RenderingInfo><Provider>R</Provider></RenderingInfo>"),
        // No provider in System: the rendered one; no channel in System: the rendered one.
        event("<System><EventID>2</EventID><TimeCreated SystemTime='2011-08-01T11:05:19Z'/></System><RenderingInfo Culture='en-US'><Channel>Rendered</Channel><Provider>From rendering</Provider></RenderingInfo>"),
        // UserData with its own namespace, nested leaves, `>` and quotes in text and values.
        event(&format!("{SYSTEM}<UserData><TimeChange xmlns='http://manifests.microsoft.com/win/2004/08/windows/kernel'><NewTime>a > b \"q\" 'x'</NewTime><Flag Id='x&gt;y' Note='say \"hi\"'/><Empty></Empty></TimeChange></UserData>")),
        // A time that does not parse, a time without a zone, a record id that is no number.
        event("<System><Provider Name='P'/><EventID>5</EventID><TimeCreated SystemTime='yesterday'/><EventRecordID>x</EventRecordID></System>"),
        event("<System><Provider Name='P'/><EventID>65541</EventID><TimeCreated SystemTime='2011-08-01 11:05:19.25'/></System>"),
        // No id, no time (the collector skips these, as it does quick-xml's).
        event("<System><Provider Name='P'/></System>"),
        // Two of a field: the last one wins, as in quick-xml's parse.
        event("<System><EventID>1</EventID><EventID>2</EventID><Channel>A</Channel><Channel>B</Channel><TimeCreated SystemTime='2011-08-01T11:05:19Z'/><TimeCreated/></System>"),
        // Non-ASCII text and values.
        event("<System><Provider Name='Dienst \u{e9}t\u{e9}'/><EventID>3</EventID><TimeCreated SystemTime='2011-08-01T11:05:19Z'/><Channel>Syst\u{e8}me</Channel></System><EventData><Data>\u{200E}8/16</Data></EventData>"),
    ]
}

#[test]
fn plain_events_read_the_same_on_the_quick_path() {
    for e in plain_events() {
        assert!(agrees(&e), "declined: {e}");
    }
}

/// Shapes the quick path must leave to quick-xml: malformed ones (quick-xml words their error)
/// and legal ones it does not read itself.
#[test]
fn other_shapes_go_to_quick_xml() {
    let base = event(&format!(
        "{SYSTEM}<EventData><Data Name='p'>v</Data></EventData>"
    ));
    let variants = [
        // Malformed: unclosed and mismatched tags, a cut, text after the end.
        base.replace("</Level>", ""),
        base.replace("</Level>", "</Lvel>"),
        base.replace("</EventData>", "</Data></EventData>"),
        base[..base.len() - 3].to_string(),
        format!("{base} "),
        format!("{base}<Event/>"),
        "<Event/>".to_string(),
        "<Events><Event></Event></Events>".to_string(),
        // Malformed attributes: duplicated, unquoted, unclosed, no space between.
        base.replace("Name='p'", "Name='p' Name='q'"),
        base.replace("Name='p'", "Name=p"),
        base.replace("Name='p'", "Name='p"),
        base.replace("Name='p'", "Name='p'Id='q'"),
        base.replace("Name='p'", "Name"),
        // References: unknown, numeric (also a bad one), unclosed, in read text and values.
        base.replace(">v<", ">&bogus;<"),
        base.replace(">v<", ">&#x41;<"),
        base.replace(">v<", ">&#xZZ;<"),
        base.replace(">v<", ">a & b<"),
        base.replace(">7036<", ">70&#51;6<"),
        base.replace(">System</Channel>", ">Sys&amp;tem</Channel>"),
        base.replace("Name='Service", "Name='&amp;Service"),
        base.replace("Name='p'", "Name='&#1;'"),
        // Markup the quick path does not read: CDATA, comments, instructions, prefixes.
        base.replace(">v<", "><![CDATA[v]]><"),
        base.replace("<EventData>", "<EventData><!-- c -->"),
        base.replace("<EventData>", "<EventData><?pi x?>"),
        base.replace("<Data ", "<e:Data xmlns:e='urn:x' ")
            .replace("</Data>", "</e:Data>"),
        // Whitespace the counted values would have normalized, spaces around `=`.
        base.replace("SystemTime='2011", "SystemTime='\t2011"),
        base.replace("Name='Service Control", "Name='Service\nControl"),
        base.replace("Name='p'", "Name = 'p'"),
        // A child inside a counted element; a bad event id.
        base.replace(">7036<", ">70<b/>36<"),
        base.replace(">7036<", ">seven<"),
    ];
    for v in &variants {
        assert!(!agrees(v), "taken: {v}");
    }
}

/// A small deterministic generator (xorshift), so a failure repeats.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

#[test]
fn damaged_events_are_taken_only_when_quick_xml_reads_them_alike() {
    const PIECES: [&str; 24] = [
        "<", ">", "/", "'", "\"", "=", " ", "&", ";", "!", "?", ":", "\r\n", "\t", "amp;", "gt",
        "#x4", "<!--", "-->", "]]>", "Event", "Data", "a", "7",
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let bases = plain_events();
    let (mut taken, mut declined) = (0, 0);
    for _ in 0..20_000 {
        let mut e = bases[rng.below(bases.len())].clone().into_bytes();
        for _ in 0..1 + rng.below(3) {
            let at = rng.below(e.len() + 1);
            let piece = PIECES[rng.below(PIECES.len())].as_bytes();
            let end = (at + rng.below(3)).min(e.len());
            match rng.below(3) {
                0 => drop(e.splice(at..at, piece.iter().copied())),
                1 => drop(e.splice(at..end, piece.iter().copied())),
                _ => drop(e.drain(at..end)),
            }
        }
        // Only whole characters are cut or replaced when the text stays UTF-8.
        let Ok(e) = String::from_utf8(e) else {
            continue;
        };
        if agrees(&e) {
            taken += 1;
        } else {
            declined += 1;
        }
    }
    assert!(
        taken > 2_000 && declined > 2_000,
        "{taken} taken, {declined} declined"
    );
}
