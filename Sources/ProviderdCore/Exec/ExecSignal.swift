#if canImport(Glibc)
    import Glibc
#endif

/// Signal names as `--stop-signal` and `--on-change signal:NAME` take them, and
/// the signals `providerd exec` forwards to its child.
package enum ExecSignal {
    /// Forwarded to the child's process group, and nothing else: not SIGCHLD,
    /// SIGPIPE, SIGURG or any signal a runtime uses for itself (envconsul #254).
    /// SIGTERM and SIGINT also stop providerd once the child has exited.
    package static let forwarded: [Int32] = [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH]

    /// The signals that end `providerd exec` (after the child).
    package static let stopping: Set<Int32> = [SIGTERM, SIGINT]

    private static let table: [(name: String, number: Int32)] = [
        ("HUP", SIGHUP), ("INT", SIGINT), ("QUIT", SIGQUIT), ("KILL", SIGKILL), ("USR1", SIGUSR1),
        ("USR2", SIGUSR2), ("TERM", SIGTERM), ("WINCH", SIGWINCH), ("CONT", SIGCONT), ("STOP", SIGSTOP),
        ("ABRT", SIGABRT), ("ALRM", SIGALRM), ("PWR", SIGPWR),
    ]

    /// `SIGHUP`, `HUP`, `hup` or `1`; nil for anything else.
    package static func named(_ text: String) -> Int32? {
        var name = text.uppercased()
        if name.hasPrefix("SIG") { name.removeFirst(3) }
        if let number = Int32(name), number > 0, number < 65 { return number }
        return table.first { $0.name == name }?.number
    }

    /// `SIGTERM` for 15; `signal 40` for one without a name here.
    package static func name(_ number: Int32) -> String {
        table.first { $0.number == number }.map { "SIG" + $0.name } ?? "signal \(number)"
    }

    /// Parses a flag's signal, or says which names are accepted.
    package static func parse(_ text: String, flag: String) throws(ConfigurationError) -> Int32 {
        guard let number = named(text) else {
            let names = table.map { "SIG" + $0.name }.joined(separator: ", ")
            throw ConfigurationError("\(flag): '\(text)' is not a signal (one of \(names), or a number 1-64)")
        }
        return number
    }

    /// `--on-change`: `restart`, `signal:NAME` or `none`.
    package static func parseOnChange(_ text: String) throws(ConfigurationError) -> ExecPolicy.OnChange {
        switch text {
        case "restart": return .restart
        case "none": return .none
        default:
            guard text.hasPrefix("signal:") else {
                throw ConfigurationError("--on-change: '\(text)' must be restart, signal:NAME (e.g. signal:SIGHUP) or none")
            }
            return .signal(try parse(String(text.dropFirst("signal:".count)), flag: "--on-change"))
        }
    }
}
