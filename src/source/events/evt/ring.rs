//! An `.evt` file as the log sees it: the bytes past the header as a circular buffer, the
//! end-of-file record that says where the live part of it lies, and where records could start.
use super::{le32, EOF_SIGNATURE, EOF_SIZE, HEADER_SIZE, MAGIC};
use std::borrow::Cow;

/// The end-of-file record: where the live log ends, and its bounds as last written.
pub(super) struct EofRecord {
    pub(super) at: usize,
    pub(super) start: u32,
    pub(super) next: u32,
    pub(super) oldest: u32,
    /// Its own end-of-file offset field names where it sits.
    names_itself: bool,
}

/// The end-of-file record at the header's end offset, else one found by its signature: among
/// several, one that names its own offset, with the highest next record number.
pub(super) fn find_eof(ring: &Ring, header_end: usize) -> Option<EofRecord> {
    eof_at(ring, header_end).or_else(|| {
        memchr::memmem::find_iter(ring.buf, &EOF_SIGNATURE)
            .filter_map(|hit| eof_at(ring, hit.checked_sub(4)?))
            .max_by_key(|eof| (eof.names_itself, eof.next))
    })
}

fn eof_at(ring: &Ring, at: usize) -> Option<EofRecord> {
    let b = ring.bytes(at, EOF_SIZE)?;
    let word = |o| le32(&b, o).unwrap_or(0);
    let sized = word(0) as usize == EOF_SIZE && word(36) as usize == EOF_SIZE;
    (sized && b.get(4..20) == Some(EOF_SIGNATURE.as_slice())).then(|| EofRecord {
        at,
        start: word(20),
        next: word(28),
        oldest: word(32),
        names_itself: word(24) as usize == at,
    })
}

/// Offsets where a record could start: four bytes before each `LfLe` past the header.
pub(super) fn magic_hits(buf: &[u8]) -> Vec<usize> {
    magic_hits_in(buf, HEADER_SIZE, buf.len()).collect()
}

/// The offsets in `from..to` (`from` past the header) where a record could start.
pub(super) fn magic_hits_in(
    buf: &[u8],
    from: usize,
    to: usize,
) -> impl Iterator<Item = usize> + '_ {
    let window = buf.get(from + 4..to.saturating_add(8).min(buf.len()));
    memchr::memmem::find_iter(window.unwrap_or_default(), MAGIC)
        .map(move |m| from + m)
        .filter(move |&at| at < to)
}

/// The file past its header as a circular buffer: after the last byte comes offset 0x30.
pub(super) struct Ring<'a> {
    pub(super) buf: &'a [u8],
}

impl<'a> Ring<'a> {
    pub(super) fn circumference(&self) -> usize {
        self.buf.len().saturating_sub(HEADER_SIZE)
    }

    pub(super) fn contains(&self, pos: usize) -> bool {
        (HEADER_SIZE..self.buf.len()).contains(&pos)
    }

    pub(super) fn advance(&self, pos: usize, n: usize) -> usize {
        let c = self.circumference().max(1);
        HEADER_SIZE + (pos.saturating_sub(HEADER_SIZE) + n) % c
    }

    /// Bytes from `from` forward to `to`, both inside the buffer.
    pub(super) fn distance(&self, from: usize, to: usize) -> usize {
        let c = self.circumference().max(1);
        (to + c - from) % c
    }

    /// `n` bytes from `pos`, continuing after the header when they run past the end of the file.
    pub(super) fn bytes(&self, pos: usize, n: usize) -> Option<Cow<'a, [u8]>> {
        if !self.contains(pos) || n > self.circumference() {
            return None;
        }
        if let Some(whole) = self.buf.get(pos..pos + n) {
            return Some(Cow::Borrowed(whole));
        }
        let mut joined = self.buf.get(pos..)?.to_vec();
        let rest = n - joined.len();
        joined.extend_from_slice(self.buf.get(HEADER_SIZE..HEADER_SIZE + rest)?);
        Some(Cow::Owned(joined))
    }
}
