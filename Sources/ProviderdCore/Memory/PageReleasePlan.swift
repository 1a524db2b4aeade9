/// Which resident pages of loaded code the daemon can let go of once it is
/// running, and how, so that its resident size is what it touches while it runs
/// rather than everything start-up once read.
///
/// Start-up reads far more of the executable and its libraries than a running
/// daemon needs: argument parsing, the settings file, the first render, the built-in
/// price table, the dynamic loader's relocations, and the kernel's read-around of
/// each. Those pages stay mapped, and counted in VmRSS, until memory runs short.
/// Only pages a file can give back exactly are chosen:
///
/// - `drop`: private mappings of loaded code (a file that also has an executable
///   mapping: the executable or a shared library) that are not writable and hold
///   no page of the process's own (`Anonymous: 0`). Nothing can have written to
///   them, so `MADV_DONTNEED` only unmaps: the pages stay in the page cache and
///   the next use maps them again with a minor fault. Other files are left alone:
///   a data file truncated after it was mapped would fault with SIGBUS.
/// - `scan`: writable private mappings of loaded code (`.data`, `.bss`, and the
///   executable's `.rodata`, which Swift's toolchain links writable). They mix
///   the process's own pages with clean file pages; `/proc/self/pagemap` tells
///   which is which, and only runs of clean file pages are given to
///   `MADV_PAGEOUT`, which the kernel applies page by page and which skips any
///   page written in the meantime. Dropping these with `MADV_DONTNEED` could
///   lose a write made between the scan and the call.
package struct PageReleasePlan: Equatable, Sendable {
    package var drop: [Range<UInt>] = []
    package var scan: [Range<UInt>] = []

    package init(mappings: [MemoryMapping]) {
        var code = Set<String>()
        for mapping in mappings where mapping.isFile && mapping.isExecutable {
            if let path = mapping.path { code.insert(path) }
        }
        for mapping in mappings where mapping.isPrivate && mapping.residentKB > 0 {
            guard let path = mapping.path, code.contains(path) else { continue }
            let range = mapping.start..<mapping.end
            if !mapping.isWritable && mapping.anonymousKB == 0 {
                drop.append(range)
            } else if mapping.isWritable && mapping.residentKB > mapping.anonymousKB {
                scan.append(range)
            }
        }
    }

    /// Bits of a `/proc/PID/pagemap` entry (one 64-bit word per page).
    package enum PagemapBit {
        package static let present: UInt64 = 1 << 63
        /// A page of a file (or shared memory), not one the process copied on write.
        package static let fileOrShared: UInt64 = 1 << 61
    }

    /// Runs of pages in `range` that are resident and still the file's own,
    /// from that range's pagemap entries (one per page, in order), coalesced.
    package static func cleanFileRuns(in range: Range<UInt>, entries: [UInt64], pageSize: UInt) -> [Range<UInt>] {
        var runs: [Range<UInt>] = []
        var runStart: UInt?
        let wanted = PagemapBit.present | PagemapBit.fileOrShared
        for (index, entry) in entries.enumerated() {
            let address = range.lowerBound + UInt(index) * pageSize
            guard address < range.upperBound else { break }
            if entry & wanted == wanted {
                if runStart == nil { runStart = address }
            } else if let start = runStart {
                runs.append(start..<address)
                runStart = nil
            }
        }
        if let start = runStart {
            runs.append(start..<min(range.upperBound, range.lowerBound + UInt(entries.count) * pageSize))
        }
        return runs
    }
}
