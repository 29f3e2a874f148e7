//! Template definitions of the fast decoder: a definition's BinXML read into an element tree,
//! and what is made of a template remembered per thread, keyed by what the template is (its
//! tokens and names), not where it sits in the chunk.
use super::{read_u16, read_u32, utf16};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// A piece of text in the template: literal, or substitution number `n`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Piece {
    Text(String),
    Sub(u16),
}

/// An element of a template definition.
#[derive(Debug, Default)]
pub(crate) struct Element {
    pub(crate) name: String,
    /// The substitution this element depends on: the crate leaves the element out when that
    /// value is null (MS-EVEN6 2.2.12).
    pub(crate) dependency: Option<u16>,
    pub(crate) attrs: Vec<(String, Vec<Piece>)>,
    /// Text directly inside the element.
    pub(crate) text: Vec<Piece>,
    pub(crate) children: Vec<Element>,
}

impl Element {
    /// The dependencies of this element and every element inside it.
    pub(crate) fn dependencies(&self, out: &mut Vec<u16>) {
        out.extend(self.dependency);
        for child in &self.children {
            child.dependencies(out);
        }
    }

    pub(crate) fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    pub(crate) fn attr(&self, name: &str) -> Option<&[Piece]> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }
}

/// Plans by `template_key` (`None`: a template this decoder leaves to the crate). Looked up for
/// every template of every chunk with a key of a few hundred bytes: foldhash reads it 16 bytes
/// a step where SipHash took 3% of a count; its seed is random per process, so a crafted log
/// cannot aim keys at one bucket.
pub(crate) type PlanCache<T> =
    RefCell<HashMap<Vec<u8>, Option<Rc<T>>, foldhash::quality::RandomState>>;

/// Templates remembered per thread before the cache starts again.
const MAX_CACHED_PLANS: usize = 4096;

/// The plan of the template at `def`, from `cache` when the same template (same BinXML, same
/// names) has been met before in any chunk; made by `make` and remembered otherwise.
pub(crate) fn cached<T>(
    cache: &'static std::thread::LocalKey<PlanCache<T>>,
    data: &[u8],
    def: u32,
    make: fn(&[u8], u32) -> Option<T>,
) -> Option<Rc<T>> {
    let Some(key) = template_key(data, def) else {
        return make(data, def).map(Rc::new);
    };
    cache.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some(plan) = cache.get(&key) {
            return plan.clone();
        }
        let plan = make(data, def).map(Rc::new);
        if cache.len() >= MAX_CACHED_PLANS {
            cache.clear();
        }
        cache.insert(key, plan.clone());
        plan
    })
}

/// What the template defined at `def` is, wherever it sits: its size and every token
/// `TemplateParser` reads up to the end of the fragment, with each name reference replaced by
/// the name itself and names stored inline left out (their offsets differ from chunk to chunk;
/// nothing else does). Two templates with the same key parse the same. `None` for a token the
/// parser does not take (the template is then parsed on its own, uncached).
fn template_key(data: &[u8], def: u32) -> Option<Vec<u8>> {
    let def = def as usize;
    let size = read_u32(data, def + 20)?;
    let start = def + 24;
    if start.checked_add(size as usize)? > data.len() {
        // Cut off by the end of the chunk: how far it reads depends on where it sits.
        return None;
    }
    let mut key = Vec::with_capacity(256);
    key.extend_from_slice(&size.to_le_bytes());
    let mut pos = start;
    // A name reference: the name's length and UTF-16; one stored here is stepped over.
    let name = |pos: usize, key: &mut Vec<u8>| -> Option<usize> {
        let offset = read_u32(data, pos)? as usize;
        let count = read_u16(data, offset + 6)? as usize;
        let text = data.get(offset + 8..offset + 8 + count * 2)?;
        key.extend_from_slice(&(count as u16).to_le_bytes());
        key.extend_from_slice(text);
        let after = pos + 4;
        // Whether it is stored here: it moves what follows.
        key.push(u8::from(offset == after));
        Some(if offset == after {
            after + 8 + count * 2 + 2
        } else {
            after
        })
    };
    if *data.get(pos)? != 0x0f {
        return None;
    }
    key.extend_from_slice(data.get(pos..pos + 4)?);
    pos += 4;
    loop {
        let token = *data.get(pos)?;
        match token {
            0x00 => {
                key.push(0);
                return Some(key);
            }
            0x01 | 0x41 => {
                key.extend_from_slice(data.get(pos..pos + 7)?);
                pos = name(pos + 7, &mut key)?;
                if token == 0x41 {
                    key.extend_from_slice(data.get(pos..pos + 4)?);
                    pos += 4;
                }
            }
            0x06 | 0x46 => {
                key.push(token);
                pos = name(pos + 1, &mut key)?;
            }
            0x02..=0x04 => {
                key.push(token);
                pos += 1;
            }
            0x05 | 0x45 => {
                let count = read_u16(data, pos + 2)? as usize;
                let end = pos + 4 + count * 2;
                key.extend_from_slice(data.get(pos..end)?);
                pos = end;
            }
            0x0d | 0x0e => {
                key.extend_from_slice(data.get(pos..pos + 4)?);
                pos += 4;
            }
            _ => return None,
        }
    }
}

/// Reads a template definition's BinXML into an element tree.
pub(crate) struct TemplateParser<'a> {
    data: &'a [u8],
    pos: usize,
    end: usize,
}

impl<'a> TemplateParser<'a> {
    /// A parser over the template definition at `def` (its 24-byte header, then BinXML).
    pub(crate) fn at(data: &'a [u8], def: u32) -> Option<Self> {
        let def = def as usize;
        let size = read_u32(data, def + 20)? as usize;
        let start = def + 24;
        Some(TemplateParser {
            data,
            pos: start,
            end: start.checked_add(size)?.min(data.len()),
        })
    }

    fn u8(&mut self) -> Option<u8> {
        let v = *self.data.get(self.pos)?;
        self.pos += 1;
        Some(v)
    }

    fn u16(&mut self) -> Option<u16> {
        let v = read_u16(self.data, self.pos)?;
        self.pos += 2;
        Some(v)
    }

    fn u32(&mut self) -> Option<u32> {
        let v = read_u32(self.data, self.pos)?;
        self.pos += 4;
        Some(v)
    }

    /// The root element: fragment header, one element, end of fragment.
    pub(crate) fn document(&mut self) -> Option<Element> {
        if self.u8()? != 0x0f {
            return None;
        }
        self.pos += 3;
        let token = self.u8()?;
        let root = self.element(token)?;
        (self.u8()? == 0x00 && self.pos <= self.end).then_some(root)
    }

    /// A name reference; a name stored right here (its first use) is skipped over.
    fn name(&mut self) -> Option<String> {
        let offset = self.u32()? as usize;
        let count = read_u16(self.data, offset + 6)? as usize;
        if offset == self.pos {
            self.pos += 8 + count * 2 + 2;
        }
        utf16(self.data.get(offset + 8..offset + 8 + count * 2)?)
    }

    fn element(&mut self, token: u8) -> Option<Element> {
        if token & 0xbf != 0x01 || self.pos >= self.end {
            return None;
        }
        let dependency = Some(self.u16()?).filter(|&d| d != 0xFFFF);
        self.pos += 4; // data size
        let mut element = Element {
            name: self.name()?,
            dependency,
            ..Default::default()
        };
        if token & 0x40 != 0 {
            self.pos += 4; // attribute list size
        }
        loop {
            match self.u8()? {
                0x06 | 0x46 => {
                    let name = self.name()?;
                    let mut value = Vec::new();
                    // An attribute's value runs until the next attribute or the element's close.
                    while let Some(piece) = self.piece_if_any()? {
                        value.push(piece);
                    }
                    element.attrs.push((name, value));
                }
                0x02 => break,
                0x03 => return Some(element),
                _ => return None,
            }
        }
        loop {
            if let Some(piece) = self.piece_if_any()? {
                element.text.push(piece);
                continue;
            }
            match self.u8()? {
                0x04 => return Some(element),
                t @ (0x01 | 0x41) => element.children.push(self.element(t)?),
                _ => return None,
            }
        }
    }

    /// A literal value or substitution at the cursor, if that is what comes next.
    /// `Some(None)`: something else comes next; `None`: a token this decoder does not handle.
    fn piece_if_any(&mut self) -> Option<Option<Piece>> {
        match *self.data.get(self.pos)? {
            0x05 | 0x45 => {
                self.pos += 1;
                if self.u8()? != 0x01 {
                    return None;
                }
                let count = self.u16()? as usize;
                let text = utf16(self.data.get(self.pos..self.pos + count * 2)?)?;
                self.pos += count * 2;
                Some(Some(Piece::Text(text)))
            }
            0x0d | 0x0e => {
                self.pos += 1;
                let id = self.u16()?;
                self.pos += 1; // declared type
                Some(Some(Piece::Sub(id)))
            }
            0x07 | 0x47 | 0x08 | 0x48 | 0x09 | 0x49 | 0x0a | 0x0b => None,
            _ => Some(None),
        }
    }
}
