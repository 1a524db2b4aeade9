#if canImport(Glibc)
    import Glibc
#endif

/// The names in a directory (`readdir`), for the spool's segments, kept copies of
/// a damaged id table and temporary files left by a killed write.
package enum DirectoryListing {
    /// Every name in `directory` but `.` and `..` that starts with `prefix`, sorted.
    package static func names(in directory: String, prefix: String = "") throws(SystemError) -> [String] {
        guard let handle = opendir(directory) else { throw SystemError("list", path: directory) }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." && name.hasPrefix(prefix) { names.append(name) }
        }
        return names.sorted()
    }

    /// The last component of `path` (the whole of it when it has no `/`).
    package static func name(of path: String) -> String {
        path.lastIndex(of: "/").map { String(path[path.index(after: $0)...]) } ?? path
    }
}
