#if canImport(Glibc)
    import Glibc
#endif

/// Writes an id table's pages to disk (`msync`), from any thread.
///
/// `@unchecked Sendable`: it holds the table's mapping address; `msync` reads the
/// kernel's page state, never the memory through Swift, so it is safe beside the
/// owner's writes. It must not outlive the table (the flusher that holds one
/// lives no longer than the intake that owns the table).
package struct IdWindowSyncer: @unchecked Sendable {
    let mapping: UnsafeMutableRawPointer
    let bytes: Int
    let path: String?

    package func sync() throws(SystemError) {
        guard path != nil else { return }
        guard msync(mapping, bytes, MS_SYNC) == 0 else { throw SystemError("msync", path: path ?? "") }
    }
}
