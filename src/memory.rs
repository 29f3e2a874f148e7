//! What faultline asks of the allocator, in one place: the rest of the code stays safe Rust.

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
