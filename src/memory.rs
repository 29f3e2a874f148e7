//! What faultline asks of the allocator and of memory maps, in one place: the rest of the code
//! stays safe Rust.

/// Hands the memory freed so far back to the system. glibc keeps freed heap pages for reuse, so
/// after a large read (the 10 M-row probe export's blocks and column buffers) the process went on
/// holding tens of MB it no longer used: the peak of a later stage stacked on top of them.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn give_back_freed() {
    // SAFETY: malloc_trim only returns free pages of the heap to the kernel; no live allocation
    // moves or changes.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn give_back_freed() {}

/// Frees `dropped` on another thread: the caller need not wait for the memory of many small
/// allocations (a folder's events are hundreds of thousands of Strings), and when the process
/// ends first the system takes the pages back whole.
pub fn free_elsewhere<T: Send + 'static>(dropped: Vec<T>) {
    if !dropped.is_empty() {
        std::thread::spawn(move || drop(dropped));
    }
}

/// A file's bytes, mapped read-only: the EVTX walk decodes chunks straight from the page cache
/// instead of copying each block into a buffer first (the kernel's copy was a third of
/// `events --count`'s CPU). `None` when the file cannot be mapped (a pipe, a special file):
/// the caller reads it instead.
pub struct MappedFile(memmap2::Mmap);

impl MappedFile {
    pub fn new(file: &std::fs::File) -> Option<MappedFile> {
        Self::map(file).ok()
    }

    fn map(file: &std::fs::File) -> std::io::Result<MappedFile> {
        // SAFETY: the map is only read. Its bytes could change under us only if another
        // process wrote to the file while it is read (they are then read as any damaged record
        // is), and a read past a new end, if it shrank, faults (SIGBUS). faultline reads
        // evidence, copies of logs, not files being written (the assumption `evtx_dump` and
        // ripgrep make).
        unsafe { memmap2::Mmap::map(file) }.map(MappedFile)
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// Tells the kernel that `len` bytes from `offset` are done with: their pages leave this
    /// process's resident set (they stay in the page cache), so memory stays flat with the
    /// file as it did with a reused buffer.
    pub fn done_with(&self, offset: usize, len: usize) {
        #[cfg(unix)]
        // SAFETY: DONTNEED on a read-only file mapping drops only the page table entries; a
        // later access faults the same file bytes back in. No reference into the range is
        // used after this call by the walk, and none would see different bytes if it were.
        unsafe {
            let _ = self
                .0
                .unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, offset, len);
        }
        #[cfg(not(unix))]
        let _ = (offset, len);
    }
}

/// A whole file's bytes: mapped into memory, or read (an empty file, or where mapping fails).
pub enum FileBytes {
    Mapped(MappedFile),
    Read(Vec<u8>),
}

impl std::ops::Deref for FileBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            FileBytes::Mapped(map) => map.bytes(),
            FileBytes::Read(bytes) => bytes,
        }
    }
}

/// The bytes of a file, mapped rather than copied: a legacy `.evt` log walked at random (its
/// ring wraps, damage is skipped by signature, slack is searched), for which reading 260 MB into
/// a buffer cost more than the walk (the kernel's copy and the page faults of the buffer: half
/// the CPU of a count), and the state logs cut into line blocks (`probes/line_blocks.rs`).
/// Read instead where the file cannot be mapped (empty, or a pipe or special file).
pub fn file_bytes(path: &std::path::Path) -> std::io::Result<FileBytes> {
    let file = std::fs::File::open(path)?;
    if file.metadata()?.len() == 0 {
        return Ok(FileBytes::Read(Vec::new()));
    }
    // A `.evt` file is only ever a copy: only Windows XP/2003's own EventLog service writes
    // one, never on the machine reading it. A state log may still be appended to, which leaves
    // the mapped length as it was, and a rotated one is renamed, not cut (see `MappedFile::map`).
    match MappedFile::map(&file) {
        Ok(map) => Ok(FileBytes::Mapped(map)),
        Err(_) => std::fs::read(path).map(FileBytes::Read),
    }
}
