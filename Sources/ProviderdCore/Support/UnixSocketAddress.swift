#if canImport(Glibc)
    import Glibc
#endif

/// A filesystem `sockaddr_un` for the few raw socket calls NIO does not make for
/// us (the usage client's blocking `connect`, tests that bind a datagram socket or
/// leave a stale socket file). Owns the bytes, so no caller rebinds pointers.
package struct UnixSocketAddress {
    private var address = sockaddr_un()

    /// Refuses a path that does not fit `sun_path` with its NUL (108 bytes on Linux)
    /// with ENAMETOOLONG, instead of cutting it and reaching another file.
    package init(path: String) throws(SystemError) {
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw SystemError("socket address", path: path, code: ENAMETOOLONG)
        }
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
    }

    /// Calls `body` with the address as `bind`, `connect` and `sendto` take it.
    package func withSockaddr<Result>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
        withUnsafePointer(to: address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }
}
