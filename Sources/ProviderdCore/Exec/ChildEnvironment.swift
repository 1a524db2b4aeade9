/// The provider variables a child gets: what the env file holds, read the way
/// systemd, `sh`, bash and python-dotenv read it (`EnvValueQuoting.read`), so a
/// child of `providerd exec` sees exactly what an agent loading the file sees.
///
/// Two environments are the same when their variables are: the generation is
/// carried (`PROVIDERD_GENERATION`, so the child can tell) but never makes a
/// change by itself, and neither does a model row or an unchanged key rewritten.
package struct ChildEnvironment: Sendable, Equatable {
    /// Name → value, without `PROVIDERD_GENERATION`.
    package var variables: [String: String]
    /// The generation these values were rendered as; nil when the file had none.
    package var generation: Int?

    /// The most one `NAME=value` string can be for `execve` (Linux's MAX_ARG_STRLEN,
    /// 32 pages): a longer key would make every start fail, so it is refused here.
    package static let maxEntryBytes = 32 * 4096

    package static let generationName = "PROVIDERD_GENERATION"

    package init(variables: [String: String], generation: Int?) throws(ExecError) {
        for (name, value) in variables where name.utf8.count + 1 + value.utf8.count >= Self.maxEntryBytes {
            throw ExecError(
                .variableTooLong,
                "\(name) is \(value.utf8.count) bytes; a program's environment takes at most \(Self.maxEntryBytes - 1) bytes per variable")
        }
        self.variables = variables
        self.generation = generation
    }

    /// The environment of one render: its env lines, as the file carries them.
    package init(render: RenderResult, generation: Int) throws(ExecError) {
        var variables: [String: String] = [:]
        variables.reserveCapacity(render.envLines.count)
        for line in render.envLines {
            guard let equals = line.firstIndex(of: "="), let value = EnvValueQuoting.read(String(line[line.index(after: equals)...])) else {
                // The renderer writes only what `read` reads back (fuzzed); never seen.
                throw ExecError(.envFileUnreadable, "a rendered line does not read back; this is a bug in providerd")
            }
            variables[String(line[..<equals])] = value
        }
        try self.init(variables: variables, generation: generation)
    }

    package func sameValues(as other: ChildEnvironment) -> Bool { variables == other.variables }

    /// A short digest of the values, for the log (never a value).
    package var fingerprint: String {
        let text = variables.keys.sorted().map { "\($0)=\(variables[$0]!)" }.joined(separator: "\n")
        return String(Fingerprint.sha256Hex(of: Array(text.utf8)).prefix(12))
    }

    /// The child's whole environment: providerd's own (`base`) without the
    /// variables providerd manages (`managed`: provider names, so a withheld key
    /// cannot come back from the container's environment) and without those meant
    /// for providerd alone (`ownOnly`), then these variables, the generation, and
    /// `extra` (`PROVIDERD_SOCKET`, `PROVIDERD_MODEL_MAP`).
    package func merged(into base: [String: String], managed: Set<String>, extra: [String: String]) -> [String: String] {
        var environment = base.filter { !managed.contains($0.key) && !Self.ownOnly.contains($0.key) }
        environment.merge(variables) { $1 }
        environment[Self.generationName] = generation.map(String.init)
        environment.merge(extra) { $1 }
        return environment
    }

    /// Variables of providerd's environment a child must not inherit: the
    /// encryption keys (the child gets the decrypted provider keys, never what
    /// opens every row), and systemd's per-process protocol variables, which
    /// name providerd's pid and sockets.
    package static let ownOnly: Set<String> = [
        "ARCHON_ENCRYPTION_KEY", "NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES",
        "WATCHDOG_USEC", "WATCHDOG_PID",
    ]
}
