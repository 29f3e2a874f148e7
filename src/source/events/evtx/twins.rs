//! Byte-identical EVTX files among one read's inputs (the same log collected twice, a copy beside
//! its shadow copy, hard links): each is decoded once, and its twins take that read's events and
//! report under their own names (`read_evtx_files_twinned`, `events::Twin`). What a twin holds
//! is still merged as a copy downstream, exactly as if it had been decoded.
use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::path::Path;

/// How much of a file's start is compared before it is compared whole: the file header and the
/// first chunk's header, whose checksums and record numbers differ between any two logs.
const HEAD: usize = 8192;

/// For each path, the index of an earlier path whose file holds exactly the same bytes (the first
/// of them), or `None`. A file that cannot be opened or read has no twin: its read says why.
pub(super) fn earlier_twins(paths: &[&Path]) -> Vec<Option<usize>> {
    let mut twins = vec![None; paths.len()];
    // Files of one length and start: only these are compared whole.
    let mut firsts: HashMap<(u64, Vec<u8>), Vec<usize>> = HashMap::new();
    let mut buffers = (Vec::new(), Vec::new());
    for (i, path) in paths.iter().enumerate() {
        let Some(key) = length_and_head(path) else {
            continue;
        };
        let same_start = firsts.entry(key).or_default();
        match same_start
            .iter()
            .find(|&&j| same_bytes(paths[j], path, &mut buffers))
        {
            Some(&j) => twins[i] = Some(j),
            None => same_start.push(i),
        }
    }
    twins
}

fn length_and_head(path: &Path) -> Option<(u64, Vec<u8>)> {
    let mut file = File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    let mut head = Vec::with_capacity(HEAD);
    file.by_ref()
        .take(HEAD as u64)
        .read_to_end(&mut head)
        .ok()?;
    Some((len, head))
}

/// Whether two files hold the same bytes, read side by side a block at a time into `buffers`
/// (kept from one comparison to the next: a folder of copies compares hundreds of files).
fn same_bytes(a: &Path, b: &Path, buffers: &mut (Vec<u8>, Vec<u8>)) -> bool {
    const BLOCK: usize = 256 << 10;
    let (Ok(mut a), Ok(mut b)) = (File::open(a), File::open(b)) else {
        return false;
    };
    let (block_a, block_b) = buffers;
    block_a.resize(BLOCK, 0);
    block_b.resize(BLOCK, 0);
    loop {
        let (Some(n), Some(m)) = (fill(&mut a, block_a), fill(&mut b, block_b)) else {
            return false;
        };
        if n != m || block_a[..n] != block_b[..m] {
            return false;
        }
        if n < BLOCK {
            return true;
        }
    }
}

/// Reads until `buf` is full or the file ends; how many bytes it holds, `None` on an error.
fn fill(file: &mut File, buf: &mut [u8]) -> Option<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    Some(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_files_of_the_same_bytes_are_twins() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, bytes: &[u8]| {
            let p = dir.path().join(name);
            std::fs::write(&p, bytes).unwrap();
            p
        };
        // Same length and same first 8 KiB, differing past them: not twins.
        let mut long = vec![7u8; HEAD + 100];
        let a = write("a", &long);
        *long.last_mut().unwrap() = 8;
        let b = write("b", &long);
        let c = write("c", &long);
        let d = write("d", &long[..HEAD + 99]);
        let missing = dir.path().join("missing");
        let e = write("e", &std::fs::read(&a).unwrap());
        let paths: Vec<&Path> = vec![&a, &b, &c, &d, &missing, &e];
        assert_eq!(
            earlier_twins(&paths),
            vec![None, None, Some(1), None, None, Some(0)]
        );
    }

    /// A copy of a log is not decoded again, yet reads as the log does under its own name.
    #[test]
    fn a_copy_reads_as_its_first_under_its_own_name() {
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/aug15/System.evtx");
        let dir = tempfile::tempdir().unwrap();
        let copy = dir.path().join("System-copy.evtx");
        std::fs::copy(&fixture, &copy).unwrap();
        let paths: Vec<&Path> = vec![&fixture, &copy];
        let filter = crate::filter::EventFilter::default();
        let twinned = super::super::read_evtx_files_twinned(&paths, &filter, 2, &|_| {});
        assert_eq!(twinned[1].2, Some(0));
        let reads = super::super::read_evtx_files_with(&paths, &filter, 2, &|_| {});
        let (first, second) = match (&reads[0].1, &reads[1].1) {
            (Ok(a), Ok(b)) => (a, b),
            other => panic!("{other:?}"),
        };
        assert!(first.events.len() > 100, "{}", first.events.len());
        assert_eq!(second.report.path, copy.display().to_string());
        assert_eq!(second.report.records_read, first.report.records_read);
        assert_eq!(second.events.len(), first.events.len());
        for (a, b) in first.events.iter().zip(&second.events) {
            assert_eq!(&*b.source_file, copy.display().to_string());
            assert_eq!(
                (a.time, a.record_id, a.event_id),
                (b.time, b.record_id, b.event_id)
            );
            assert_eq!(a.data, b.data);
        }
    }
}
