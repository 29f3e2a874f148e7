//! A count's quick path through one `<Event>`: our own well-formedness check over the event's
//! bytes, reading only what a count is keyed on. It takes the plain shapes exporters write and
//! declines anything else (comments, CDATA, prefixes, unusual spacing or references), which then
//! goes to quick-xml's parse: a declined event's result and error stay exactly quick-xml's.
use super::parse::{counted_attr, counted_text, system_field, Need};
use super::RawEvent;

/// Deeper nesting goes to quick-xml (exports nest four or five levels).
const MAX_DEPTH: usize = 16;
/// More attributes on one element go to quick-xml (whose duplicate check this one mirrors).
const MAX_ATTRS: usize = 8;

/// `parse_event(fragment, Need::CountKeys)`'s result for an event this path is sure is well
/// formed (quick-xml would take it without error); `None` for any other, to be parsed by
/// quick-xml.
pub(super) fn count_keys(fragment: &str) -> Option<RawEvent> {
    let b = fragment.as_bytes();
    // The open elements' names, as ranges of `b`.
    let mut stack = [(0usize, 0usize); MAX_DEPTH];
    let mut depth = 0;
    let mut raw = RawEvent::default();
    let mut rendered_provider = None;
    let mut leaf = Leaf::default();
    let mut at = 0;
    loop {
        let lt = at + memchr::memchr(b'<', b.get(at..)?)?;
        let text = b.get(at..lt)?;
        if depth == 0 && !text.is_empty() || !references_ok(text) {
            return None;
        }
        let p = lt + 1;
        match *b.get(p)? {
            b'/' => {
                let name_end = name_end(b, p + 1)?;
                let close = skip_space(b, name_end);
                if b.get(close) != Some(&b'>') || depth == 0 {
                    return None;
                }
                depth -= 1;
                let (s, e) = stack[depth];
                if b.get(p + 1..name_end)? != b.get(s..e)? {
                    return None;
                }
                if depth == 2 {
                    let name = fragment.get(s..e)?;
                    let text = fragment.get(leaf.text_start..lt)?;
                    closed_leaf(
                        fragment,
                        &stack,
                        name,
                        text,
                        &leaf,
                        &mut raw,
                        &mut rendered_provider,
                    )?;
                }
                at = close + 1;
                if depth == 0 {
                    break;
                }
            }
            b'!' | b'?' => return None,
            _ => {
                let name_end = name_end(b, p)?;
                let name = fragment.get(p..name_end)?;
                if depth == 2 {
                    leaf = Leaf::default();
                } else if depth == 3 {
                    leaf.has_child = true;
                }
                let counts_attrs = depth == 2 && section(fragment, &stack) == Some("System");
                let (end, empty) = attributes(fragment, name_end, name, counts_attrs, &mut leaf)?;
                at = end;
                match (depth, empty) {
                    (0, true) => return None,
                    (0, false) if name != "Event" => return None,
                    (2, true) => closed_leaf(
                        fragment,
                        &stack,
                        name,
                        "",
                        &leaf,
                        &mut raw,
                        &mut rendered_provider,
                    )?,
                    (_, true) => {}
                    (_, false) => {
                        *stack.get_mut(depth)? = (p, name_end);
                        if depth == 2 {
                            leaf.text_start = end;
                        }
                        depth += 1;
                    }
                }
            }
        }
    }
    // Nothing may follow the root's end tag (the fragment ends there when the event is whole).
    if at != b.len() {
        return None;
    }
    if raw.provider.is_none() {
        raw.provider = rendered_provider;
    }
    Some(raw)
}

/// The element right inside a section (`System/EventID`) that is open or just closed.
#[derive(Default)]
struct Leaf<'a> {
    /// The attributes a count reads (`counted_attr`), at most two per element.
    attrs: [Option<(&'a str, &'a str)>; 2],
    /// Where its text starts.
    text_start: usize,
    has_child: bool,
}

/// The section (`System`, `RenderingInfo`...) the open elements are in, when two are open.
fn section<'a>(fragment: &'a str, stack: &[(usize, usize)]) -> Option<&'a str> {
    let (s, e) = *stack.get(1)?;
    fragment.get(s..e)
}

/// Takes what a closed element right inside a section says, as `parse::close` does for a count;
/// `None` sends the event to quick-xml (a child under a counted element, a reference in its
/// text, an EventID that is no number: rare, and quick-xml words the error).
fn closed_leaf(
    fragment: &str,
    stack: &[(usize, usize)],
    name: &str,
    text: &str,
    leaf: &Leaf<'_>,
    raw: &mut RawEvent,
    rendered_provider: &mut Option<String>,
) -> Option<()> {
    let section = section(fragment, stack)?;
    let counted = counted_text(section, name);
    if counted && (leaf.has_child || text.contains('&')) {
        return None;
    }
    let text = if counted { text } else { "" };
    match section {
        "System" => {
            let attr = |key: &str| {
                leaf.attrs
                    .iter()
                    .flatten()
                    .find(|(k, _)| *k == key)
                    .map(|(_, v)| *v)
            };
            system_field(name, text, attr, raw, Need::CountKeys).ok()?;
        }
        "RenderingInfo" => match name {
            "Provider" => *rendered_provider = Some(text.to_string()),
            "Channel" if raw.channel.is_none() => raw.channel = Some(text.to_string()),
            _ => {}
        },
        _ => {}
    }
    Some(())
}

/// Reads a start tag's attributes from `from` (just after its name) to its `>`: where the tag
/// ends and whether it is empty (`/>`). Each attribute is `name='value'` or `name="value"` after
/// whitespace, no two with one name; the values a count reads are kept in `leaf`.
fn attributes<'a>(
    fragment: &'a str,
    from: usize,
    element: &str,
    counts_attrs: bool,
    leaf: &mut Leaf<'a>,
) -> Option<(usize, bool)> {
    let b = fragment.as_bytes();
    let mut keys = [(0usize, 0usize); MAX_ATTRS];
    let mut n = 0;
    let mut at = from;
    loop {
        let after_space = skip_space(b, at);
        match *b.get(after_space)? {
            b'>' => return Some((after_space + 1, false)),
            b'/' if b.get(after_space + 1) == Some(&b'>') => return Some((after_space + 2, true)),
            _ if after_space == at => return None,
            _ => {}
        }
        let key_start = after_space;
        let key_end = name_end(b, key_start)?;
        let quote = *b.get(key_end + 1)?;
        if b.get(key_end) != Some(&b'=') || !matches!(quote, b'\'' | b'"') {
            return None;
        }
        let value_start = key_end + 2;
        let value_end = value_start + memchr::memchr(quote, b.get(value_start..)?)?;
        let key = b.get(key_start..key_end)?;
        if keys[..n].iter().any(|&(s, e)| b.get(s..e) == Some(key)) {
            return None;
        }
        *keys.get_mut(n)? = (key_start, key_end);
        n += 1;
        let value = b.get(value_start..value_end)?;
        let key = fragment.get(key_start..key_end)?;
        if counts_attrs && counted_attr(element, key) {
            // Kept as written only where quick-xml's normalization would change nothing.
            if value
                .iter()
                .any(|c| matches!(c, b'\t' | b'\r' | b'\n' | b'&' | b'<'))
            {
                return None;
            }
            let slot = leaf.attrs.iter_mut().find(|a| a.is_none())?;
            *slot = Some((key, fragment.get(value_start..value_end)?));
        } else if memchr::memchr(b'<', value).is_some() || !references_ok(value) {
            return None;
        }
        at = value_end + 1;
    }
}

/// Where the name starting at `from` ends; `None` for no name or one that runs to the end.
/// Names are taken in ASCII letters, digits, `_`, `-` and `.` only (no prefixes).
fn name_end(b: &[u8], from: usize) -> Option<usize> {
    let rest = b.get(from..)?;
    let len = rest
        .iter()
        .position(|c| !(c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.')))?;
    (len > 0).then_some(from + len)
}

/// `at` moved past XML whitespace (quick-xml's: space, tab, CR, LF).
fn skip_space(b: &[u8], at: usize) -> usize {
    let rest = b.get(at..).unwrap_or_default();
    at + rest
        .iter()
        .take_while(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
        .count()
}

/// Every `&` in text not kept (or a value not read) starts one of the five predefined entity
/// references, which quick-xml resolves without error; any other reference goes to quick-xml.
fn references_ok(text: &[u8]) -> bool {
    let mut at = 0;
    while let Some(i) = text.get(at..).and_then(|t| memchr::memchr(b'&', t)) {
        let rest = text.get(at + i + 1..).unwrap_or_default();
        let Some(len) = [&b"amp;"[..], b"lt;", b"gt;", b"quot;", b"apos;"]
            .iter()
            .find(|r| rest.starts_with(r))
            .map(|r| r.len())
        else {
            return false;
        };
        at += i + 1 + len;
    }
    true
}

#[cfg(test)]
#[path = "fast_tests.rs"]
mod tests;
