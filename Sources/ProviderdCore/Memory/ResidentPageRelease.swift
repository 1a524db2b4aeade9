import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// Lets go of the resident pages `PageReleasePlan` chooses, in this process.
///
/// Tens of milliseconds (60 ms measured) of `/proc` reads and `madvise` calls, with no disk I/O
/// (the pages given up are clean): callers run it on any thread. A range the
/// kernel refuses (a kernel before 5.4 has no `MADV_PAGEOUT`; a library unloaded
/// between the scan and the call) is counted, not thrown: the pages just stay.
package enum ResidentPageRelease {
    package struct Outcome: Equatable, Sendable {
        /// VmRSS before and after, in KiB.
        package var residentBeforeKB: Int
        package var residentAfterKB: Int
        /// Ranges given to `madvise`, and how many of those it refused.
        package var ranges: Int
        package var refused: Int
    }

    package static func run() throws(SystemError) -> Outcome {
        let before = try residentKB()
        let plan = PageReleasePlan(mappings: try mappings())
        let pageSize = UInt(sysconf(Int32(_SC_PAGESIZE)))
        var ranges = 0
        var refused = 0
        for range in plan.drop {
            ranges += 1
            if !advise(range, MADV_DONTNEED) { refused += 1 }
        }
        if !plan.scan.isEmpty {
            let pagemap = try open("/proc/self/pagemap")
            defer { try? pagemap.close() }
            for range in plan.scan {
                for run in PageReleasePlan.cleanFileRuns(in: range, entries: try entries(of: range, in: pagemap, pageSize: pageSize), pageSize: pageSize) {
                    ranges += 1
                    if !advise(run, MADV_PAGEOUT) { refused += 1 }
                }
            }
        }
        return Outcome(residentBeforeKB: before, residentAfterKB: try residentKB(), ranges: ranges, refused: refused)
    }

    /// This process's mappings with their resident sizes, from `/proc/self/smaps`.
    package static func mappings() throws(SystemError) -> [MemoryMapping] {
        MemoryMapping.parse(smaps: try readText("/proc/self/smaps"))
    }

    /// VmRSS of this process, in KiB, from `/proc/self/status`.
    package static func residentKB() throws(SystemError) -> Int {
        let status = try readText("/proc/self/status")
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 2, let kilobytes = Int(fields[1]) { return kilobytes }
        }
        throw SystemError("read VmRSS from", path: "/proc/self/status", code: EINVAL)
    }

    private static func advise(_ range: Range<UInt>, _ advice: Int32) -> Bool {
        guard let start = UnsafeMutableRawPointer(bitPattern: range.lowerBound) else { return false }
        return madvise(start, Int(range.upperBound - range.lowerBound), advice) == 0
    }

    private static func open(_ path: String) throws(SystemError) -> FileDescriptor {
        do {
            return try FileDescriptor.open(FilePath(path), .readOnly, options: .closeOnExec)
        } catch let error as Errno {
            throw SystemError("open", path: path, code: error.rawValue)
        } catch {
            throw SystemError("open", path: path, code: EIO)
        }
    }

    private static func readText(_ path: String) throws(SystemError) -> String {
        let descriptor = try open(path)
        defer { try? descriptor.close() }
        return String(decoding: try DescriptorIO.readAll(descriptor.rawValue, limit: 64 << 20, path: path), as: UTF8.self)
    }

    /// The pagemap words of `range`: one per page, read at the range's own offset.
    private static func entries(of range: Range<UInt>, in pagemap: FileDescriptor, pageSize: UInt) throws(SystemError) -> [UInt64] {
        let count = Int((range.upperBound - range.lowerBound) / pageSize)
        var words = [UInt64](repeating: 0, count: count)
        let offset = Int64(range.lowerBound / pageSize) * 8
        do {
            let read = try words.withUnsafeMutableBytes { buffer in
                var done = 0
                while done < buffer.count {
                    let n = try pagemap.read(fromAbsoluteOffset: offset + Int64(done), into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]))
                    if n == 0 { break }
                    done += n
                }
                return done
            }
            return Array(words.prefix(read / 8))
        } catch let error as Errno {
            throw SystemError("read", path: "/proc/self/pagemap", code: error.rawValue)
        } catch {
            throw SystemError("read", path: "/proc/self/pagemap", code: EIO)
        }
    }
}
