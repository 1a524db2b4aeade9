/// Says a failure once per run of failures: `failed()` is true only for the first
/// failure since the last success, so that a failure repeated at every pass (a
/// full disk, a missing grant) is logged when it starts, not at every pass.
package struct FailureLatch: Sendable {
    private var failing = false

    package init() {}

    /// True for the first failure of a run: log it.
    package mutating func failed() -> Bool {
        defer { failing = true }
        return !failing
    }

    package mutating func succeeded() { failing = false }
}
