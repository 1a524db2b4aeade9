import Subprocess
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// Spawns `providerd exec`'s child through swift-subprocess, as the leader of a
/// process group of its own, with providerd's standard input, output and error,
/// every other descriptor closed and every signal at its default (an ignored
/// signal of providerd's is not inherited). swift-subprocess waits for it.
///
/// On a terminal where providerd is in the foreground, the child's group gets the
/// terminal, as a shell gives it to a job: the child can read it, and Ctrl-C
/// reaches the child's group. It is taken back when the child ends.
package struct ChildLauncher: Sendable {
    package enum Event: Sendable, Equatable {
        case started(pid: Int32)
        /// The child's status: its exit code, or 128 + the signal that killed it.
        case exited(status: Int32)
        /// It could not be spawned: 127 no such program, 126 not executable.
        case failed(status: Int32, reason: String)
    }

    package let argv: [String]

    package init(argv: [String]) {
        precondition(!argv.isEmpty)
        self.argv = argv
    }

    /// Starts the child on a task of its own (not a child of the caller's, so a
    /// cancelled service group cannot abandon it); `sink` gets its events in order.
    package func launch(environment: [String: String], sink: @escaping @Sendable (Event) -> Void) {
        let argv = self.argv
        Task.detached {
            var options = PlatformOptions()
            options.processGroupID = 0
            var variables: [Environment.Key: String] = [:]
            for (name, value) in environment { variables[Environment.Key(stringLiteral: name)] = value }
            let terminal = Terminal.foreground()
            let executable: Executable = argv[0].contains("/") ? .path(FilePath(argv[0])) : .name(argv[0])
            do {
                let record = try await SpawnRegistry.shared.tracking { registered in
                    try await Subprocess.run(
                        executable, arguments: Arguments(Array(argv.dropFirst())), environment: .custom(variables),
                        platformOptions: options, input: .currentStandardInput, output: .currentStandardOutput,
                        error: .currentStandardError
                    ) { execution in
                        let pid = execution.processIdentifier.value
                        registered(pid)
                        terminal?.give(to: pid)
                        sink(.started(pid: pid))
                    }
                }
                terminal?.takeBack()
                switch record.terminationStatus {
                case .exited(let code): sink(.exited(status: code))
                case .signaled(let signal): sink(.exited(status: ExecPolicy.status(forSignal: signal)))
                }
            } catch {
                sink(.failed(status: Self.startFailureStatus(argv[0], environment: environment), reason: "\(error)"))
            }
        }
    }

    /// A shell's statuses: 126 when the program exists but cannot be run, 127 when there is none.
    static func startFailureStatus(_ program: String, environment: [String: String]) -> Int32 {
        let candidates =
            program.contains("/")
            ? [program]
            : (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":").map { "\($0)/\(program)" }
        return candidates.contains { access($0, F_OK) == 0 } ? 126 : 127
    }

    /// The controlling terminal, when providerd's group is its foreground group.
    struct Terminal: Sendable {
        let descriptor: Int32 = STDIN_FILENO

        static func foreground() -> Terminal? {
            guard isatty(STDIN_FILENO) == 1, tcgetpgrp(STDIN_FILENO) == getpgrp() else { return nil }
            return Terminal()
        }

        /// The child's group gets the terminal; a child stopped by reading it
        /// before that (SIGTTIN) goes on.
        func give(to pid: Int32) {
            if tcsetpgrp(descriptor, pid) == 0 { _ = kill(-pid, SIGCONT) }
        }

        /// providerd ignores SIGTTOU (`ExecSupervisor`), so taking it back from
        /// the background does not stop it.
        func takeBack() { _ = tcsetpgrp(descriptor, getpgrp()) }
    }
}
