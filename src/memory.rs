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

/// A whole file's bytes: mapped into memory, or read (an empty file, or where mapping fails).
pub enum FileBytes {
    Mapped(memmap2::Mmap),
    Read(Vec<u8>),
}

impl std::ops::Deref for FileBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            FileBytes::Mapped(map) => map,
            FileBytes::Read(bytes) => bytes,
        }
    }
}

/// The bytes of a file no one writes while it is read, mapped rather than copied: a legacy `.evt`
/// log walked at random (its ring wraps, damage is skipped by signature, slack is searched), for
/// which reading 260 MB into a buffer cost more than the walk (the kernel's copy and the page
/// faults of the buffer: half the CPU of a count).
pub fn map_file(file: &std::fs::File) -> std::io::Result<FileBytes> {
    if file.metadata()?.len() == 0 {
        return Ok(FileBytes::Read(Vec::new()));
    }
    // SAFETY: the map is only read. Its bytes may change if another process writes the file
    // while it is mapped (they are then read as any damaged record is), and if the file shrinks
    // the read of a page past its new end faults (SIGBUS). The files mapped here are evidence
    // copies of logs that only Windows XP/2003's own EventLog service writes, never on the
    // machine reading them.
    unsafe { memmap2::Mmap::map(file) }.map(FileBytes::Mapped)
}
