import CLibPQ
import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#endif

/// Ends the statement one connection runs, from another thread: a stop, or a
/// statement past its bound.
///
/// `cancel()` is libpq's polite request (`PQcancel`): the server stops the
/// statement, which fails with SQLSTATE 57014. It opens a connection to the
/// server and waits for it, so against a frozen server (a SIGSTOPped postmaster,
/// a dead host behind a live TCP stack) it blocks for good. `abort()` therefore
/// sends that request from a detached thread and also shuts the connection's
/// socket down, which makes the blocked call return at once with a lost
/// connection; the server rolls back the transaction when it notices.
///
/// `@unchecked Sendable`: it owns a `PGcancel`, which libpq documents as safe to
/// use from any thread (`PQcancel` exists to be called from another thread or a
/// signal handler while the connection's own thread blocks), and a descriptor
/// number guarded by `closed`, so it is never shut down after the connection
/// closed it (the number may by then belong to another socket).
package final class PostgresCanceller: @unchecked Sendable {
    private let handle: OpaquePointer
    private let socket: Int32
    private let closed = Mutex(false)

    init?(_ connection: OpaquePointer) {
        guard let handle = PQgetCancel(connection) else { return nil }
        self.handle = handle
        self.socket = PQsocket(connection)
    }

    deinit {
        PQfreeCancel(handle)
    }

    /// Sends the request and waits for the server to take it; the blocked
    /// statement then fails with SQLSTATE 57014. Returns false when the request
    /// could not be sent (the server is gone). Blocks against a frozen server.
    @discardableResult
    package func cancel() -> Bool {
        var buffer = [CChar](repeating: 0, count: 256)
        return PQcancel(handle, &buffer, Int32(buffer.count)) == 1
    }

    /// Ends the statement now, whatever state the server is in: the cancel request
    /// on a thread of its own (it may never return), and the socket shut down.
    /// The connection is unusable afterwards.
    package func abort() {
        DetachedThread.start { [self] in _ = cancel() }
        closed.withLock { closed in
            if !closed, socket >= 0 { _ = shutdown(socket, Int32(SHUT_RDWR)) }
        }
    }

    /// The connection is about to close its descriptor.
    func connectionClosing() {
        closed.withLock { $0 = true }
    }
}
