import CSystemd

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#endif

/// The systemd notify protocol through libsystemd's `sd_notify`. Without
/// `NOTIFY_SOCKET` every call is a no-op, so the daemon runs the same by hand.
package struct SystemdNotifier: Sendable {
    package init() {}

    /// Sends `state` (newline-separated `KEY=VALUE` assignments). Returns whether a
    /// notification socket received it.
    @discardableResult
    package func notify(_ state: String) -> Bool {
        providerd_sd_notify(0, state) > 0
    }

    package func ready(status: String) { notify("READY=1\nSTATUS=\(Self.oneLine(status))") }
    package func status(_ status: String) { notify("STATUS=\(Self.oneLine(status))") }
    package func stopping(status: String) { notify("STOPPING=1\nSTATUS=\(Self.oneLine(status))") }
    package func watchdog() { notify("WATCHDOG=1") }

    /// RELOADING=1 with MONOTONIC_USEC in the same message, as `Type=notify-reload`
    /// expects (systemd 253+), harmless under `Type=notify`.
    package func reloading() {
        notify("RELOADING=1\nMONOTONIC_USEC=\(Self.monotonicMicroseconds())")
    }

    /// Asks systemd to extend the start (or stop) timeout while waiting.
    package func extendTimeout(seconds: Int, status: String) {
        notify("EXTEND_TIMEOUT_USEC=\(seconds * 1_000_000)\nSTATUS=\(Self.oneLine(status))")
    }

    /// The watchdog interval systemd set (`WatchdogSec=`), if any.
    package func watchdogInterval() -> Duration? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return .microseconds(Int64(usec))
    }

    static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }

    static func oneLine(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0 == "\n" ? " " : $0 }))
    }
}
