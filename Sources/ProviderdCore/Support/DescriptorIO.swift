import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// Whole reads and writes on an open descriptor, through swift-system, which
/// retries EINTR and short transfers. Errors name the operation and the path.
/// (Durability stays with the caller: `fsync`/`fdatasync` after the write.)
package enum DescriptorIO {
    /// Writes every byte of `bytes`.
    package static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(SystemError) {
        do {
            _ = try FileDescriptor(rawValue: fd).writeAll(bytes)
        } catch let error as Errno {
            throw SystemError("write", path: path, code: error.rawValue)
        } catch {
            throw SystemError("write", path: path, code: EIO)
        }
    }

    /// Reads to end of file; more than `limit` bytes is EFBIG. `secret`: the bytes
    /// are read into one buffer reserved up front, so no copy is left in freed
    /// memory, and the read buffer is wiped (the caller wipes what it gets).
    package static func readAll(_ fd: Int32, limit: Int, path: String, secret: Bool = false) throws(SystemError) -> [UInt8] {
        let descriptor = FileDescriptor(rawValue: fd)
        var bytes: [UInt8] = []
        if secret { bytes.reserveCapacity(limit + 65_536) }
        var buffer = [UInt8](repeating: 0, count: secret ? 4096 : 65_536)
        defer { if secret { OpenSSL.cleanse(&buffer) } }
        while true {
            let count: Int
            do {
                count = try buffer.withUnsafeMutableBytes { try descriptor.read(into: $0) }
            } catch let error as Errno {
                throw SystemError("read", path: path, code: error.rawValue)
            } catch {
                throw SystemError("read", path: path, code: EIO)
            }
            if count == 0 { return bytes }
            bytes += buffer[0..<count]
            if bytes.count > limit {
                if secret { OpenSSL.cleanse(&bytes) }
                throw SystemError("read", path: path, code: EFBIG)
            }
        }
    }
}
