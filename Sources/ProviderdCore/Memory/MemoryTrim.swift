import CGlibcMalloc

/// How the daemon keeps its heap small after a burst of usage.
///
/// glibc raises its mmap and trim thresholds every time a large block is freed
/// (up to 32 MiB and 64 MiB): after the id window and a spool segment's buffers
/// have grown and been freed a few times, freed memory at the top of a thread's
/// arena is never given back, and `malloc_trim` cannot reach it either. Fixed
/// thresholds stop that: blocks of 1 MiB and more are mapped and unmapped on
/// their own, and an arena's free top beyond 1 MiB is returned.
package enum MemoryTrim {
    /// Process-wide allocator policy: the executable calls it once, at start.
    package static func configure() {
        _ = mallopt(M_MMAP_THRESHOLD, 1 << 20)
        _ = mallopt(M_TRIM_THRESHOLD, 1 << 20)
    }

    /// Gives free pages inside the arenas back to the system (after a flushed burst).
    package static func now() {
        _ = malloc_trim(0)
    }
}
