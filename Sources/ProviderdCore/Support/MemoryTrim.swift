/// glibc's `malloc_trim` (malloc.h is not part of Swift's Glibc module).
@_silgen_name("malloc_trim")
private func glibcMallocTrim(_ pad: Int) -> Int32

/// Gives free heap pages back to the system after a burst of usage: glibc keeps
/// them in its per-thread arenas otherwise, and the idle daemon looks large.
public enum MemoryTrim {
    public static func now() {
        _ = glibcMallocTrim(0)
    }
}
