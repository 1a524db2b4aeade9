import Logging
import Subprocess
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// `budgets.on_event`: a command run at each threshold event this providerd
/// announces, with the event in its environment. Run without a shell (the
/// setting is split at spaces, the first word an absolute path), in a process
/// group of its own, with nothing of providerd's environment (which holds the
/// database URL and the encryption keys): only `PATH`, `LANG` and the
/// `PROVIDERD_BUDGET_*` variables. Past `budgets.on_event_timeout` the whole group
/// gets SIGTERM, and SIGKILL two seconds later; a failure is logged with the end
/// of its standard error.
package struct BudgetHook: Sendable, Equatable {
    package var argv: [String]
    package var timeout: Double

    /// Seconds between SIGTERM and SIGKILL to the hook's process group.
    static let killGrace = 2.0
    /// The end of standard error kept for the log.
    static let stderrTail = 2_048

    package init(argv: [String], timeout: Double) {
        self.argv = argv
        self.timeout = timeout
    }

    /// Parses the setting: words split at spaces and tabs; the first an absolute path.
    package static func parse(_ text: String, timeout: Double) throws(ConfigurationError) -> BudgetHook? {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard let first = words.first else { return nil }
        guard first.hasPrefix("/") else {
            throw ConfigurationError("budgets.on_event (PROVIDERD_BUDGETS_ON_EVENT): '\(first)' must be an absolute path (no shell, no PATH search)")
        }
        return BudgetHook(argv: words, timeout: timeout)
    }

    /// The hook's whole environment for `event`.
    package static func environment(for claimed: ClaimedBudgetEvent) -> [String: String] {
        let event = claimed.event
        return [
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "PROVIDERD_BUDGET_NAME": event.budget,
            "PROVIDERD_BUDGET_SCOPE": claimed.scope,
            "PROVIDERD_BUDGET_ACTION": claimed.action,
            "PROVIDERD_BUDGET_THRESHOLD": "\(event.threshold)",
            "PROVIDERD_BUDGET_PERCENT": "\(claimed.percent)",
            "PROVIDERD_BUDGET_SPENT_USD": "\(event.spent)",
            "PROVIDERD_BUDGET_LIMIT_USD": "\(event.limit)",
            "PROVIDERD_BUDGET_PERIOD_START": UTCTimestamp.iso8601(Double(event.periodStart)),
            "PROVIDERD_BUDGET_RESETS_AT": UTCTimestamp.iso8601(Double(claimed.resetsAt)),
        ]
    }

    package enum Outcome: Sendable, Equatable {
        case succeeded
        case failed(status: String, stderr: String)
        case timedOut(stderr: String)
        case couldNotStart(String)
    }

    /// Runs the hook for one event and waits for it (bounded by `timeout` plus the kill grace).
    package func run(_ claimed: ClaimedBudgetEvent) async -> Outcome {
        var environment: [Environment.Key: String] = [:]
        for (key, value) in Self.environment(for: claimed) { environment[Environment.Key(stringLiteral: key)] = value }
        var options = PlatformOptions()
        options.processGroupID = 0
        let timeout = self.timeout
        do {
            // Registered, so that `providerd exec` as PID 1 never reaps it (`OrphanReaper`).
            let result = try await SpawnRegistry.shared.tracking { started in
                try await Subprocess.run(
                    .path(FilePath(argv[0])), arguments: Arguments(Array(argv.dropFirst())), environment: .custom(environment),
                    platformOptions: options, input: .none, output: .discarded, error: .sequence
                ) { execution in
                    started(execution.processIdentifier.value)
                    return try await withThrowingTaskGroup(of: (timedOut: Bool, stderr: [UInt8]).self) { group in
                        group.addTask {
                            var tail: [UInt8] = []
                            for try await chunk in execution.standardError {
                                chunk.withUnsafeBytes { tail += $0 }
                                if tail.count > Self.stderrTail { tail.removeFirst(tail.count - Self.stderrTail) }
                            }
                            return (false, tail)
                        }
                        group.addTask {
                            try await Task.sleep(for: .milliseconds(Int64(timeout * 1000)))
                            return (true, [])
                        }
                        let first = try await group.next()!
                        if first.timedOut {
                            try? execution.send(signal: .terminate, toProcessGroup: true)
                            try? await Task.sleep(for: .milliseconds(Int64(Self.killGrace * 1000)))
                            try? execution.send(signal: .kill, toProcessGroup: true)
                        }
                        group.cancelAll()
                        return first
                    }
                }
            }
            let stderr = String(decoding: result.closureResult.stderr, as: UTF8.self)
            if result.closureResult.timedOut { return .timedOut(stderr: stderr) }
            if result.terminationStatus.isSuccess { return .succeeded }
            return .failed(status: "\(result.terminationStatus)", stderr: stderr)
        } catch {
            return .couldNotStart("\(error)")
        }
    }
}
