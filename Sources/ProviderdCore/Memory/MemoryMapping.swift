/// One mapping of the process's address space, as `/proc/self/smaps` lists it:
/// what the page release needs to know to decide whether its pages may go.
package struct MemoryMapping: Equatable, Sendable {
    package var start: UInt
    package var end: UInt
    /// `r-xp`, `rw-p`, `r--s`...: the last letter is `p` for a private (copy-on-write) mapping.
    package var permissions: String
    /// The mapped file (`/usr/lib/x86_64-linux-gnu/libc.so.6`), a kernel name
    /// (`[heap]`, `[vdso]`), or nil for an anonymous mapping.
    package var path: String?
    /// Pages of this mapping in memory now (smaps `Rss:`), in KiB.
    package var residentKB: Int
    /// Of those, pages that are the process's own (copied on write, or never from
    /// a file), in KiB: these hold data no file can give back.
    package var anonymousKB: Int

    package init(start: UInt, end: UInt, permissions: String, path: String?, residentKB: Int = 0, anonymousKB: Int = 0) {
        self.start = start
        self.end = end
        self.permissions = permissions
        self.path = path
        self.residentKB = residentKB
        self.anonymousKB = anonymousKB
    }

    package var isPrivate: Bool { permissions.hasSuffix("p") }
    package var isWritable: Bool { permissions.dropFirst().first == "w" }
    package var isExecutable: Bool { permissions.dropFirst(2).first == "x" }
    /// A file of the file system, not `[heap]`, `[stack]` or an anonymous mapping.
    package var isFile: Bool { path?.hasPrefix("/") == true }

    /// The mappings of `/proc/self/smaps`, in its order. A header line starts a
    /// mapping (`start-end perms offset dev inode [path]`, the path may hold spaces);
    /// the `Key: value kB` lines after it fill in its sizes. Lines of neither shape
    /// are skipped, so a kernel that adds fields changes nothing.
    package static func parse(smaps text: String) -> [MemoryMapping] {
        var mappings: [MemoryMapping] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if let mapping = header(line) {
                mappings.append(mapping)
            } else if !mappings.isEmpty, let (key, kilobytes) = field(line) {
                switch key {
                case "Rss": mappings[mappings.count - 1].residentKB = kilobytes
                case "Anonymous": mappings[mappings.count - 1].anonymousKB = kilobytes
                default: break
                }
            }
        }
        return mappings
    }

    private static func header(_ line: Substring) -> MemoryMapping? {
        let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
        guard fields.count >= 5, fields[1].count == 4 else { return nil }
        let bounds = fields[0].split(separator: "-")
        guard bounds.count == 2, let start = UInt(bounds[0], radix: 16), let end = UInt(bounds[1], radix: 16), start < end else {
            return nil
        }
        var path: String?
        if fields.count == 6 {
            let rest = fields[5].drop { $0 == " " }
            if !rest.isEmpty { path = String(rest) }
        }
        return MemoryMapping(start: start, end: end, permissions: String(fields[1]), path: path)
    }

    private static func field(_ line: Substring) -> (Substring, Int)? {
        guard let colon = line.firstIndex(of: ":") else { return nil }
        let value = line[line.index(after: colon)...].split(separator: " ")
        guard value.count == 2, value[1] == "kB", let kilobytes = Int(value[0]) else { return nil }
        return (line[..<colon], kilobytes)
    }
}
