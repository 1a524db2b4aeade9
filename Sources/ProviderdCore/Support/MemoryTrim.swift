/// glibc's `malloc_trim` and `mallopt` (malloc.h is not part of Swift's Glibc module).
@_silgen_name("malloc_trim")
private func glibcMallocTrim(_ pad: Int) -> Int32
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32

/// How the daemon keeps its heap small after a burst of usage.
///
/// glibc raises its mmap and trim thresholds every time a large block is freed
/// (up to 32 MiB and 64 MiB): after the id window and a spool segment's buffers
/// have grown and been freed a few times, freed memory at the top of a thread's
/// arena is never given back, and `malloc_trim` cannot reach it either. Fixed
/// thresholds stop that: blocks of 1 MiB and more are mapped and unmapped on
/// their own, and an arena's free top beyond 1 MiB is returned.
public enum MemoryTrim {
    static let mmapThreshold: Int32 = -3  // M_MMAP_THRESHOLD
    static let trimThreshold: Int32 = -1  // M_TRIM_THRESHOLD

    /// Process-wide allocator policy: the executable calls it once, at start.
    public static func configure() {
        _ = glibcMallopt(mmapThreshold, 1 << 20)
        _ = glibcMallopt(trimThreshold, 1 << 20)
    }

    /// Gives free pages inside the arenas back to the system (after a flushed burst).
    public static func now() {
        _ = glibcMallocTrim(0)
    }
}
