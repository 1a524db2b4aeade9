#if canImport(Glibc)
    import Glibc
#endif

/// A thread of its own for one call that may never return (a cancel request to a
/// frozen server): not a cooperative thread, and not a pool's, so nothing else
/// ever waits behind it. Nobody joins it; it ends when the call does.
package enum DetachedThread {
    /// Starts `body` on a new detached thread. Returns false when no thread can be
    /// made (the body is then not run).
    @discardableResult
    package static func start(_ body: @escaping @Sendable () -> Void) -> Bool {
        let box = Unmanaged.passRetained(Body(body))
        var thread = pthread_t()
        let rc = pthread_create(
            &thread, nil,
            { argument in
                let body = Unmanaged<Body>.fromOpaque(argument!).takeRetainedValue()
                body.run()
                return nil
            }, box.toOpaque())
        guard rc == 0 else {
            box.release()
            return false
        }
        pthread_detach(thread)
        return true
    }

    private final class Body: Sendable {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }
}
