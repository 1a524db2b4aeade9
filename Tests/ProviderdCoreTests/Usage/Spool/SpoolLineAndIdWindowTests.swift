import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

@Suite("Spool lines and the idempotency window")
struct SpoolLineAndIdWindowTests {
    @Test("a spooled record reads back exactly, odd strings included; a torn line is no record")
    func roundTrip() throws {
        var record = UsageRecord(serviceName: "svc \"quoted\" \\ é🔑 \u{2028}", modelString: "ollama:llama3:8b")
        record.inputTokens = 1_000_000_000
        record.outputTokens = 7
        record.cacheReadTokens = 3
        record.cacheWriteTokens = 4
        record.requestCount = 0
        record.id = "id-\u{2028}-x"
        let line = SpoolLine.encode(record, timestamp: 1_795_600_000)
        #expect(line.last == UInt8(ascii: "\n"))
        #expect(line.dropLast().allSatisfy { $0 != UInt8(ascii: "\n") })
        let decoded = try #require(SpoolLine.decode(line.dropLast()))
        var expected = record
        expected.timestamp = 1_795_600_000
        #expect(decoded.record == expected)
        #expect(decoded.timestamp == 1_795_600_000)
        #expect(SpoolLine.decode(line.prefix(line.count / 2)) == nil)
        // The parser reads a spool line as valid JSON too.
        #expect((try? JSONSerialization.jsonObject(with: Data(line))) != nil)
    }

    @Test("spool lines read back as Foundation's JSONSerialization reads them, for 2,000 generated records and every truncation of some")
    func decoderAgainstFoundation() throws {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [String] = ["a", "Z", "0", "-", ":", "\"", "\\", "/", "é", "🔑", "\u{1}", "\u{1f}", "\u{2028}", " ", "\n", "\t"]
        func text(_ maxLength: Int) -> String {
            (0..<Int.random(in: 1...maxLength, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }.joined()
        }
        for n in 0..<2_000 {
            var record = UsageRecord(serviceName: text(20), modelString: "p:" + text(30))
            record.inputTokens = Int64.random(in: 0...1_000_000_000, using: &generator)
            record.outputTokens = Int64.random(in: 0...1_000_000_000, using: &generator)
            record.cacheReadTokens = Int64.random(in: 0...record.inputTokens, using: &generator)
            record.cacheWriteTokens = Int64.random(in: 0...(record.inputTokens - record.cacheReadTokens), using: &generator)
            record.requestCount = Int64.random(in: 0...1_000_000, using: &generator)
            record.id = n % 3 == 0 ? nil : text(40)
            let timestamp = Int64.random(in: 0...4_000_000_000, using: &generator)
            let accepted = timestamp + Int64.random(in: 0...1_000, using: &generator)
            let line = Array(SpoolLine.encode(record, timestamp: timestamp, acceptedAt: accepted).dropLast())
            // A record the socket would refuse (a control character in a name or id)
            // is a damaged line when read back from disk.
            guard UsageRecordRule.violation(of: record) == nil else {
                #expect(SpoolLine.decodeWithAcceptance(line) == nil, "a record breaking the socket's rules read back from the spool")
                continue
            }
            let decoded = try #require(SpoolLine.decodeWithAcceptance(line))
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
            #expect(decoded.record.serviceName == object["s"] as? String)
            #expect(decoded.record.modelString == object["m"] as? String)
            #expect(decoded.record.id == object["id"] as? String)
            #expect(decoded.record.inputTokens == (object["i"] as? NSNumber)?.int64Value)
            #expect(decoded.record.outputTokens == (object["o"] as? NSNumber)?.int64Value)
            #expect(decoded.record.cacheReadTokens == (object["cr"] as? NSNumber)?.int64Value)
            #expect(decoded.record.cacheWriteTokens == (object["cw"] as? NSNumber)?.int64Value)
            #expect(decoded.record.requestCount == (object["n"] as? NSNumber)?.int64Value)
            #expect(decoded.timestamp == (object["t"] as? NSNumber)?.int64Value)
            #expect(decoded.acceptedAt == (record.id == nil ? timestamp : accepted))
            var expected = record
            expected.timestamp = timestamp
            #expect(decoded.record == expected)
            if n % 50 == 0 {
                for cut in 1..<line.count {
                    #expect(SpoolLine.decode(line.prefix(cut)) == nil, "a torn line of \(cut) bytes read as a record")
                }
            }
        }
        #expect(SpoolLine.decode(Array(#"{"s":"a","m":"p:m","i":1,"o":1,"cr":0,"cw":0,"n":1}"#.utf8)) == nil)  // no t
        // Values out of the socket's ranges, as a damaged file holds them.
        for damaged in [
            #"{"s":"a","m":"p:m","i":9223372036854775807,"o":1,"cr":0,"cw":0,"n":1,"t":1}"#,
            #"{"s":"a","m":"p:m","i":-1,"o":1,"cr":0,"cw":0,"n":1,"t":1}"#,
            #"{"s":"a","m":"p:m","i":1,"o":1,"cr":0,"cw":0,"n":-1,"t":1}"#,
            #"{"s":"a","m":"p:m","i":1,"o":1,"cr":0,"cw":0,"n":1000001,"t":1}"#,
            #"{"s":"a","m":"p:m","i":1,"o":1,"cr":1,"cw":1,"n":1,"t":1}"#,
            #"{"s":"a","m":"p:m","i":1,"o":1,"cr":0,"cw":0,"n":1,"t":253402300800}"#,
            #"{"s":"a","m":"p:m","i":1,"o":1,"cr":0,"cw":0,"n":1,"t":-1}"#,
            #"{"s":"a","m":"p:m","i":1,"o":1,"cr":0,"cw":0,"n":1,"t":1,"id":"x","a":9223372036854775807}"#,
            #"{"s":"","m":"p:m","i":1,"o":1,"cr":0,"cw":0,"n":1,"t":1}"#,
            #"{"s":"a","m":"nocolon","i":1,"o":1,"cr":0,"cw":0,"n":1,"t":1}"#,
        ] {
            #expect(SpoolLine.decode(Array(damaged.utf8)) == nil, "\(damaged) read as a record")
        }
        #expect(SpoolLine.decode(Array(#"{"s":"a","m":"p:m","i":1,"o":1,"cr":0,"cw":0,"n":1,"t":253402300799}"#.utf8)) != nil)
        #expect(SpoolLine.decode(Array(#"{"s":"a","m":"p:m","i":1.5,"o":1,"cr":0,"cw":0,"n":1,"t":1}"#.utf8)) == nil)
    }

    @Test("ids are duplicates within the window, forgotten after it, and capped")
    func window() {
        let ids = IdWindow(window: 100, capacity: 3)
        #expect(ids.insert("a", acceptedAt: 0, now: 0))
        #expect(!ids.insert("a", acceptedAt: 50, now: 50))
        #expect(ids.contains("a", now: 99))
        #expect(!ids.contains("a", now: 100))
        #expect(ids.insert("a", acceptedAt: 100, now: 100))
        #expect(ids.insert("b", acceptedAt: 101, now: 101))
        #expect(ids.insert("c", acceptedAt: 102, now: 102))
        #expect(ids.insert("d", acceptedAt: 103, now: 103))
        #expect(ids.liveCount(now: 103) == 4)
        #expect(ids.contains("a", now: 103) && ids.contains("b", now: 103) && ids.contains("c", now: 103) && ids.contains("d", now: 103))
        // Capped: a full neighbourhood gives up the id that expires first.
        let full = IdWindow(window: 1_000, capacity: 3)
        #expect(full.slotCount == 64)
        for n in 0..<64 { full.insert("n\(n)", acceptedAt: Int64(n), now: 64) }
        #expect(full.liveCount(now: 64) == 64)
        #expect(full.insert("extra", acceptedAt: 64, now: 64))
        #expect(full.evictions == 1)
        #expect(!full.contains("n0", now: 64) && full.contains("n1", now: 64) && full.contains("extra", now: 64))
        #expect(!ids.contains("b", now: 201) && ids.contains("c", now: 201))  // b expires at 101 + 100
        // Ids are compared by their bytes: canonically equivalent spellings are different ids.
        #expect(ids.insert("\u{e9}", acceptedAt: 103, now: 103))
        #expect(ids.insert("e\u{301}", acceptedAt: 103, now: 103))
        // An id accepted long ago (replayed from disk) that has already expired is not kept.
        #expect(ids.insert("old", acceptedAt: 0, now: 500))
        #expect(!ids.contains("old", now: 500))
    }

    @Test("the id table is a file: reopened with its ids, its own key; a damaged header is refused; its blocks reserved")
    func tableFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("ids.table")
        do {
            let table = try IdWindow(window: 1_000, capacity: 100_000, path: path)
            for n in 0..<100 { table.insert("id-\(n)", acceptedAt: 10, now: 10) }
            try table.syncer.sync()
            // Every block reserved up front (no SIGBUS on a full disk): 4 MiB of slots.
            #expect(table.diskBytes >= 4 << 20, "\(table.diskBytes)")
            for n in 100..<10_000 { table.insert("id-\(n)", acceptedAt: 10, now: 10) }
            try table.syncer.sync()
        }
        let reopened = try IdWindow(window: 1_000, capacity: 100_000, path: path)
        #expect((0..<10_000).allSatisfy { reopened.contains("id-\($0)", now: 500) })
        #expect(!reopened.contains("id-10000", now: 500))
        #expect(!reopened.contains("id-1", now: 1_010))
        let other = IdWindow(window: 1_000, capacity: 100_000)
        #expect(other.digest("same") != reopened.digest("same"))
        #expect(reopened.digest("same") == reopened.digest("same"))

        let fd = open(path, O_WRONLY)
        var byte: UInt8 = 0x55
        pwrite(fd, &byte, 1, 20)
        close(fd)
        #expect(throws: IdWindow.Damaged.self) { try IdWindow(window: 1_000, capacity: 100_000, path: path) }
        try Data("short".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: IdWindow.Damaged.self) { try IdWindow(window: 1_000, capacity: 100_000, path: path) }
    }

    @Test(
        "the id table is advised MADV_RANDOM: a burst of ids maps at most a page each (no read-ahead around them); they stay found after a write-out and a reopen"
    )
    func tableWithoutReadAhead() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("ids.table")
        let pageKB = Int(sysconf(Int32(_SC_PAGESIZE))) / 1024
        let table = try IdWindow(window: 1_000, capacity: 1_000_000, path: path)  // 32 MiB of slots
        let cachedFromStart = try Self.cachedFraction(of: path) > 0.5
        for n in 0..<2_000 { table.insert("burst-\(n)", acceptedAt: 10, now: 10) }
        if !cachedFromStart {
            // (On tmpfs every page is in the page cache from the start, and the kernel maps neighbours.)
            let burst = try Self.residentKB(of: path)
            #expect(burst <= (2_000 + 1) * pageKB, "\(burst) KiB resident after 2,000 ids")
        }
        try table.syncer.sync()
        #expect((0..<2_000).allSatisfy { table.contains("burst-\($0)", now: 500) })
        let reopened = try IdWindow(window: 1_000, capacity: 1_000_000, path: path)
        #expect((0..<2_000).allSatisfy { reopened.contains("burst-\($0)", now: 500) })
    }

    /// The share of `path`'s pages in the page cache (`mincore` on a mapping of its
    /// own, which faults nothing in).
    static func cachedFraction(of path: String) throws -> Double {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        try #require(fd >= 0)
        defer { close(fd) }
        let size = Int(lseek(fd, 0, SEEK_END))
        let map = try #require(mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0))
        try #require(map != MAP_FAILED)
        defer { munmap(map, size) }
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        var pages = [UInt8](repeating: 0, count: (size + pageSize - 1) / pageSize)
        try #require(mincore(map, size, &pages) == 0)
        return Double(pages.filter { $0 & 1 != 0 }.count) / Double(pages.count)
    }

    /// Resident KiB of this process's mappings of `path`, from `/proc/self/smaps`.
    static func residentKB(of path: String) throws -> Int {
        // smaps names the file by its canonical path (NSTemporaryDirectory's ends in "/").
        let resolved = try #require(realpath(path, nil))
        defer { free(resolved) }
        let canonical = String(cString: resolved)
        // Each mapping's header line ends with its path; its `Rss:` line follows.
        var total = 0, inTable = false
        for line in try String(contentsOfFile: "/proc/self/smaps", encoding: .utf8).split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if let first = fields.first, first.contains("-"), first.first?.isHexDigit == true {
                inTable = fields.last.map(String.init) == canonical
            } else if inTable, fields.first == "Rss:", fields.count >= 2, let kb = Int(fields[1]) {
                total += kb
            }
        }
        return total
    }

    @Test("SipHash-2-4 matches the reference vectors")
    func sipHash() {
        // The paper's key 00 01 .. 0f; vector 0 is the empty message, vector 15 bytes 00..0e.
        let hash = SipHash24(k0: 0x0706_0504_0302_0100, k1: 0x0f0e_0d0c_0b0a_0908)
        #expect([UInt8]().withUnsafeBytes { hash.hash($0) } == 0x726f_db47_dd0e_0e31)
        #expect(Array(UInt8(0)..<15).withUnsafeBytes { hash.hash($0) } == 0xa129_ca61_49be_45e5)
    }
}
