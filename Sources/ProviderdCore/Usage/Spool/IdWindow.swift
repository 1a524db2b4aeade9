#if canImport(Glibc)
    import Glibc
#endif

/// Idempotency ids remembered for a window (default 24 h, up to 10 million): a
/// record whose id was already accepted is answered `duplicate` and not counted
/// again.
///
/// The ids live in a fixed-size hash table in a file (`ids.table` in the state
/// directory), mapped into memory: its pages are the page cache's, not the
/// process's private memory, and a start opens it instead of rebuilding it. Each
/// slot is 16 bytes: a 96-bit digest of the id's bytes (two SipHash-2-4 values
/// under a random key kept in the file's header) and the second it expires. A
/// lookup probes at most `probeLimit` slots from the digest's home; an expired
/// slot is reused; when all of them are live, the one expiring first gives way
/// (counted in `evictions`). Sized for `capacity` ids at 60% load, the file's
/// blocks are all reserved when it is made (`posix_fallocate`): a full disk never
/// meets a page of it that has no block.
///
/// The table itself is not made durable per record: every id in it is also in
/// the spool (unflushed segments) or in `ids.log` (flushed ones) until `sync()`
/// has written the table out, after which `ids.log` may be emptied.
///
/// Two different ids share a digest with a probability below one in 10^14 at
/// 10 million ids.
package final class IdWindow {
    package struct Digest: Hashable, Sendable {
        var a: UInt64
        var b: UInt32

        package func hash(into hasher: inout Hasher) {
            hasher.combine(a)  // already a keyed hash of the id
        }
    }

    /// The table's file is not one this version reads, or is damaged.
    package struct Damaged: Error, CustomStringConvertible, Sendable {
        package let path: String
        package let reason: String
        package var description: String { "id table \(path) \(reason)" }
    }

    struct Slot {
        var a: UInt64
        var b: UInt32
        var expiry: UInt32
    }

    package var window: Int64
    package let capacity: Int
    package let path: String?
    package let slotCount: Int
    /// Live ids pushed out early because every slot of their neighbourhood was live.
    package private(set) var evictions = 0

    static let probeLimit = 64
    static let headerBytes = 4_096
    static let magic: [UInt8] = Array("PVDIDWN1".utf8)
    static let headerCheck = SipHash24(k0: 0x7072_6f76_6964_6572, k1: 0x6964_7461_626c_6531)

    private let mask: Int
    private let mapping: UnsafeMutableRawPointer
    private let mappedBytes: Int
    private let slots: UnsafeMutablePointer<Slot>
    private let first: SipHash24
    private let second: SipHash24
    private let fd: Int32

    /// An in-memory table (tests, and `render`-style tools that need no file).
    package convenience init(window: Int64, capacity: Int = 10_000_000) {
        // An anonymous mapping cannot fail short of address space.
        try! self.init(window: window, capacity: capacity, path: nil)
    }

    /// The SipHash key of the digests, as the header holds it: a rebuilt table
    /// (`IdTableResize`) takes the same key, so that its digests carry over.
    package let key: [UInt8]
    /// The `usage.id_window` the table's expiry times were written for, from the
    /// header (nil in a table of the first version, which did not record it).
    package let storedWindow: Int64?

    /// Opens `path` (created when missing, with `key` if given) or, with nil, an
    /// anonymous table.
    package init(window: Int64, capacity: Int = 10_000_000, path: String?, key givenKey: [UInt8]? = nil) throws {
        self.window = window
        self.capacity = capacity
        self.path = path
        var wanted = Self.slots(forCapacity: capacity)
        let key: [UInt64]
        var keyBytes: [UInt8]
        var storedWindow: Int64? = nil
        if let path {
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw SystemError("open", path: path) }
            var info = stat()
            guard fstat(fd, &info) == 0 else {
                close(fd)
                throw SystemError("stat", path: path)
            }
            do {
                if info.st_size == 0 {
                    keyBytes = try givenKey ?? OpenSSL.randomBytes(32)
                    try Self.create(fd: fd, path: path, slots: wanted, key: keyBytes, window: window)
                    storedWindow = window
                } else {
                    let header = try Self.readHeader(fd: fd, path: path, size: Int(info.st_size))
                    (keyBytes, wanted, storedWindow) = (header.key, header.slots, header.window)
                }
                key = Self.words(keyBytes)
            } catch {
                close(fd)
                throw error
            }
            self.fd = fd
        } else {
            keyBytes = givenKey ?? (try? OpenSSL.randomBytes(32)) ?? Array(repeating: 7, count: 32)
            key = Self.words(keyBytes)
            self.fd = -1
        }
        self.key = keyBytes
        self.storedWindow = storedWindow
        slotCount = wanted
        mask = wanted - 1
        mappedBytes = Self.headerBytes + wanted * MemoryLayout<Slot>.stride
        let flags = fd >= 0 ? MAP_SHARED : (MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE)
        guard let pointer = mmap(nil, mappedBytes, PROT_READ | PROT_WRITE, flags, fd, 0), pointer != MAP_FAILED else {
            if fd >= 0 { close(fd) }
            throw SystemError("map", path: path ?? "anonymous id table")
        }
        if fd >= 0 {
            // Each lookup touches one page at random. Without this the kernel reads
            // ahead around it: up to 128 KiB from disk per record, all of it mapped
            // into the resident set. Advice only: a kernel that ignores it costs memory.
            _ = madvise(pointer, mappedBytes, MADV_RANDOM)
        }
        mapping = pointer
        slots = (pointer + Self.headerBytes).bindMemory(to: Slot.self, capacity: wanted)
        first = SipHash24(k0: key[0], k1: key[1])
        second = SipHash24(k0: key[2], k1: key[3])
    }

    /// Slots for `capacity` ids at 60% load, a power of two.
    package static func slots(forCapacity capacity: Int) -> Int {
        var wanted = 64
        while Double(wanted) * 0.6 < Double(capacity) { wanted <<= 1 }
        return wanted
    }

    deinit {
        munmap(mapping, mappedBytes)
        if fd >= 0 { close(fd) }
    }

    package func digest(_ id: String) -> Digest {
        var id = id
        return id.withUTF8 { bytes in
            let raw = UnsafeRawBufferPointer(bytes)
            let a = first.hash(raw)
            return Digest(a: a == 0 ? 1 : a, b: UInt32(truncatingIfNeeded: second.hash(raw)))
        }
    }

    package func contains(_ id: String, now: Int64) -> Bool { contains(digest(id), now: now) }

    package func contains(_ digest: Digest, now: Int64) -> Bool {
        let home = Int(truncatingIfNeeded: digest.a) & mask
        for step in 0..<Self.probeLimit {
            let slot = slots[(home + step) & mask]
            if slot.a == 0 { return false }
            if slot.a == digest.a && slot.b == digest.b { return Int64(slot.expiry) > now }
        }
        return false
    }

    /// Remembers an id as accepted at `acceptedAt`. Returns false when it was
    /// already there and live (a duplicate).
    @discardableResult
    package func insert(_ id: String, acceptedAt: Int64, now: Int64) -> Bool {
        insert(digest(id), acceptedAt: acceptedAt, now: now)
    }

    @discardableResult
    package func insert(_ digest: Digest, acceptedAt: Int64, now: Int64) -> Bool {
        let expires = acceptedAt + window
        guard expires > now else { return !contains(digest, now: now) }
        let home = Int(truncatingIfNeeded: digest.a) & mask
        var reusable: Int? = nil
        var soonest = (index: home, expiry: UInt32.max)
        for step in 0..<Self.probeLimit {
            let index = (home + step) & mask
            let slot = slots[index]
            if slot.a == 0 {
                if reusable == nil { reusable = index }
                break
            }
            if slot.a == digest.a && slot.b == digest.b {
                if Int64(slot.expiry) > now { return false }
                reusable = index
                break
            }
            if Int64(slot.expiry) <= now {
                if reusable == nil { reusable = index }
            } else if slot.expiry < soonest.expiry {
                soonest = (index, slot.expiry)
            }
        }
        if reusable == nil { evictions += 1 }
        slots[reusable ?? soonest.index] = Slot(a: digest.a, b: digest.b, expiry: UInt32(clamping: max(2, expires)))
        return true
    }

    /// Ids live at `now` (a scan of the whole table: for tests and `check`).
    package func liveCount(now: Int64) -> Int {
        var count = 0
        for index in 0..<slotCount where slots[index].a != 0 && Int64(slots[index].expiry) > now { count += 1 }
        return count
    }

    /// Bytes the table's file takes on disk (it is sparse), for the spool's bound.
    package var diskBytes: Int {
        guard fd >= 0 else { return 0 }
        var info = stat()
        return fstat(fd, &info) == 0 ? Int(info.st_blocks) * 512 : 0
    }

    /// A handle that writes the table out from another thread (`msync` on a shared
    /// mapping is safe beside writes to it).
    package var syncer: IdWindowSyncer { IdWindowSyncer(mapping: mapping, bytes: mappedBytes, path: path) }

    static func words(_ bytes: [UInt8]) -> [UInt64] {
        (0..<(bytes.count / 8)).map { word in bytes[(word * 8)..<(word * 8 + 8)].reversed().reduce(0) { $0 << 8 | UInt64($1) } }
    }

    /// Version 2: magic, version, log2 of the slot count, key, the id window the
    /// expiry times were written for, and a check over all of it.
    static func header(key: [UInt8], slots: Int, window: Int64) -> [UInt8] {
        var header = magic
        withUnsafeBytes(of: UInt32(2).littleEndian) { header += $0 }
        withUnsafeBytes(of: UInt32(slots.trailingZeroBitCount).littleEndian) { header += $0 }
        header += key
        withUnsafeBytes(of: window.littleEndian) { header += $0 }
        let check = header.withUnsafeBytes { headerCheck.hash($0) }
        withUnsafeBytes(of: check.littleEndian) { header += $0 }
        return header
    }

    private static func create(fd: Int32, path: String, slots: Int, key: [UInt8], window: Int64) throws {
        let header = Self.header(key: key, slots: slots, window: window)
        // Every block reserved now: a page of a shared mapping that the disk cannot
        // hold would be SIGBUS at the moment the disk is full.
        let size = headerBytes + slots * MemoryLayout<Slot>.stride
        let reserved = posix_fallocate(fd, 0, off_t(size))
        guard reserved == 0 else {
            _ = ftruncate(fd, 0)
            throw SystemError(
                "reserve \(size) bytes for the id table (free space, or lower usage.spool_max_bytes, a quarter of which it takes)",
                path: path, code: reserved)
        }
        let written = header.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        guard written == header.count, fsync(fd) == 0 else { throw SystemError("write header of", path: path) }
    }

    /// Rewrites the header for `window` (a table of the first version learns its
    /// window; nothing else changes).
    package func recordWindow(_ window: Int64) throws(SystemError) {
        guard fd >= 0, let path else { return }
        let header = Self.header(key: key, slots: slotCount, window: window)
        let written = header.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        guard written == header.count, fsync(fd) == 0 else { throw SystemError("write header of", path: path) }
    }

    /// Every occupied slot's digest and expiry second, live or not.
    func forEachSlot(_ body: (Digest, Int64) -> Void) {
        for index in 0..<slotCount where slots[index].a != 0 {
            body(Digest(a: slots[index].a, b: slots[index].b), Int64(slots[index].expiry))
        }
    }

    private static func readHeader(fd: Int32, path: String, size: Int) throws -> (key: [UInt8], slots: Int, window: Int64?) {
        var header = [UInt8](repeating: 0, count: 64)
        let count = header.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard count == 64, Array(header[0..<8]) == magic else { throw Damaged(path: path, reason: "has no valid header") }
        let version = header[8]
        let checked = version == 1 ? 48 : 56
        let check = header[0..<checked].withUnsafeBytes { headerCheck.hash($0) }
        guard words(Array(header[checked..<(checked + 8)])).first == check else {
            throw Damaged(path: path, reason: "has a damaged header")
        }
        let log2 = Int(header[12]) | Int(header[13]) << 8
        guard version == 1 || version == 2, (6...40).contains(log2) else { throw Damaged(path: path, reason: "is of another version") }
        let slots = 1 << log2
        guard size == headerBytes + slots * MemoryLayout<Slot>.stride else {
            throw Damaged(path: path, reason: "has the wrong size (\(size) bytes for \(slots) slots)")
        }
        let window = version == 2 ? Int64(bitPattern: words(Array(header[48..<56]))[0]) : nil
        return (Array(header[16..<48]), slots, window)
    }
}
