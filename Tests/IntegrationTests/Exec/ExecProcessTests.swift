import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

/// `providerd exec` as a supervisor of processes, on a sidecar's env file
/// (`--from-env-file`, no database): signals, exit statuses, process groups, PID 1.
@Suite("providerd exec: processes and signals", .serialized)
struct ExecProcessTests {
    static let values = "OPENAI_API_KEY=sk-one\nPROVIDERD_GENERATION=1\n"

    @Test("no child before the env file exists; the child sees exactly its values, never providerd's own secrets")
    func waitsForFile() throws {
        let fixture = try ExecFixture()
        let exec = try fixture.start(
            ["--from-env-file", fixture.envFile],
            environment: ["ARCHON_ENCRYPTION_KEY": "fernet-key-of-the-host", "NOTIFY_SOCKET": "/run/x", "OPENAI_API_KEY": "sk-stale"])
        Thread.sleep(forTimeInterval: 1.5)
        #expect(fixture.starts.isEmpty, "started before any value")
        #expect(exec.log.contains("waiting for the env file"))
        try fixture.writeEnvFile("OPENAI_API_KEY=sk-one\nWEIRD='a $b `c` #d'\nQUOTED=\"it's \\\"q\\\"\"\nPROVIDERD_GENERATION=4\n")
        try #require(fixture.waitForStarts(1))
        let environment = try fixture.environment(of: fixture.starts[0])
        #expect(environment["OPENAI_API_KEY"] == "sk-one")
        #expect(environment["WEIRD"] == "a $b `c` #d")
        #expect(environment["QUOTED"] == "it's \"q\"")
        #expect(environment["PROVIDERD_GENERATION"] == "4")
        #expect(environment["ARCHON_ENCRYPTION_KEY"] == nil)
        #expect(environment["NOTIFY_SOCKET"] == nil)
        #expect(environment["PATH"] == "/usr/local/bin:/usr/bin:/bin", "providerd's own environment is passed on")
        #expect(exec.stop() == 0, "\(fixture.events)")
        #expect(!exec.log.contains("sk-one"))
        #expect(!exec.log.contains("fernet-key-of-the-host"))
    }

    @Test("the values are what bash, dash and python-dotenv read from the same file")
    func sameAsReaders() throws {
        let python = try TestEnvironment.requirePython()
        let fixture = try ExecFixture()
        // As `providerd run` quotes them (EnvValueQuoting): bare, single and double quotes.
        let file = "A_API_KEY=sk-plain/+=:,.@%-\nB_API_KEY='$HOME `x` \"q\" #h !x'\nC_API_KEY=\"it's a\\\\b \\\"q\\\"\"\nD_API_KEY=\nPROVIDERD_GENERATION=2\n"
        try fixture.writeEnvFile(file)
        let exec = try fixture.start(["--from-env-file", fixture.envFile])
        try #require(fixture.waitForStarts(1))
        let environment = try fixture.environment(of: fixture.starts[0])
        let names = ["A_API_KEY", "B_API_KEY", "C_API_KEY", "D_API_KEY"]
        let script = "set -a; . \"$1\"; for n in \(names.joined(separator: " ")); do eval \"printf '%s\\n' \\\"\\$$n\\\"\"; done"
        for shell in ["/bin/bash", "/bin/dash"] {
            let output = try ProcessRunner.run(shell, ["-c", script, "sh", fixture.envFile], environment: ["PATH": "/usr/bin:/bin"])
            #expect(output.stdoutText == names.map { environment[$0]! + "\n" }.joined(), "\(shell)")
        }
        let dotenv = try ProcessRunner.run(
            python,
            [
                "-c", "import dotenv, json, sys; print(json.dumps(dotenv.dotenv_values(sys.argv[1])))", fixture.envFile,
            ])
        let read = try JSONSerialization.jsonObject(with: Data(dotenv.stdoutText.utf8)) as? [String: String] ?? [:]
        for name in names { #expect(read[name] == environment[name], "\(name)") }
        #expect(environment["B_API_KEY"] == "$HOME `x` \"q\" #h !x")
        #expect(environment["C_API_KEY"] == "it's a\\b \"q\"")
        #expect(exec.stop() == 0, "\(fixture.events)")
    }

    @Test("a damaged env file is refused with its line named; the child keeps running with its values")
    func damagedFile() throws {
        let fixture = try ExecFixture()
        try fixture.writeEnvFile(Self.values)
        let exec = try fixture.start(["--from-env-file", fixture.envFile, "--debounce", "0.2", "--min-restart-interval", "0"])
        try #require(fixture.waitForStarts(1))
        try fixture.writeEnvFile("OPENAI_API_KEY=sk-two\nBROKEN='sk-secret-half\nPROVIDERD_GENERATION=2\n")
        #expect(DaemonProcess.eventually { exec.log.contains("line 2: the value of BROKEN") })
        Thread.sleep(forTimeInterval: 1)
        #expect(fixture.starts.count == 1, "no restart on a refused file")
        #expect(!exec.log.contains("sk-secret-half"))
        try fixture.writeEnvFile("OPENAI_API_KEY=sk-two\nPROVIDERD_GENERATION=3\n")
        try #require(fixture.waitForStarts(2))
        #expect(try fixture.environment(of: fixture.starts[1])["OPENAI_API_KEY"] == "sk-two")
        #expect(exec.stop() == 0, "\(fixture.events)")
    }

    @Test("signal mode delivers the signal and does not restart")
    func signalMode() throws {
        let fixture = try ExecFixture()
        try fixture.writeEnvFile(Self.values)
        let exec = try fixture.start([
            "--from-env-file", fixture.envFile, "--on-change", "signal:SIGHUP", "--debounce", "0.2", "--min-restart-interval", "0",
        ])
        try #require(fixture.waitForStarts(1))
        let pid = fixture.starts[0]
        try fixture.writeEnvFile("OPENAI_API_KEY=sk-two\nPROVIDERD_GENERATION=2\n")
        #expect(DaemonProcess.eventually { fixture.signals(of: pid) == ["SIGHUP"] })
        Thread.sleep(forTimeInterval: 1)
        #expect(fixture.starts == [pid])
        #expect(fixture.signals(of: pid) == ["SIGHUP"])
        #expect(exec.stop() == 0, "\(fixture.events)")
    }

    @Test("each forwarded signal reaches the child; SIGTERM stops the child, then providerd, within the kill timeout")
    func forwarding() throws {
        let fixture = try ExecFixture()
        try fixture.writeEnvFile(Self.values)
        let exec = try fixture.start(["--from-env-file", fixture.envFile, "--kill-timeout", "5"])
        try #require(fixture.waitForStarts(1))
        let pid = fixture.starts[0]
        let forwarded = [("SIGHUP", SIGHUP), ("SIGQUIT", SIGQUIT), ("SIGUSR1", SIGUSR1), ("SIGUSR2", SIGUSR2), ("SIGWINCH", SIGWINCH)]
        for (index, (_, number)) in forwarded.enumerated() {
            exec.signal(number)
            #expect(DaemonProcess.eventually { fixture.signals(of: pid).count == index + 1 })
        }
        #expect(fixture.signals(of: pid) == forwarded.map(\.0))
        // Not forwarded: SIGURG (a runtime's own), SIGCHLD.
        exec.signal(SIGURG)
        Thread.sleep(forTimeInterval: 0.3)
        #expect(fixture.signals(of: pid).count == forwarded.count)
        let stopped = Date()
        #expect(exec.stop() == 0, "\(fixture.events)")
        #expect(Date().timeIntervalSince(stopped) < 5)
        #expect(fixture.signals(of: pid).last == "SIGTERM")
        #expect(fixture.events.last == "exit \(pid)", "the child ended before providerd")
        #expect(!ExecFixture.isAlive(pid))
        let log = exec.log
        #expect(log.range(of: "child exited")!.lowerBound > log.range(of: "signal=SIGTERM")!.lowerBound)
    }

    @Test("SIGINT (Ctrl-C) reaches the child and ends both")
    func interrupt() throws {
        let fixture = try ExecFixture()
        try fixture.writeEnvFile(Self.values)
        let exec = try fixture.start(["--from-env-file", fixture.envFile])
        try #require(fixture.waitForStarts(1))
        exec.signal(SIGINT)
        #expect(exec.waitForExit(timeout: 5) == 0)
        #expect(fixture.signals(of: fixture.starts[0]) == ["SIGINT"])
    }

    @Test("providerd exits with the child's status: 3 as 3, SIGSEGV as 139; a missing program as 127")
    func exitStatus() throws {
        let fixture = try ExecFixture()
        try fixture.writeEnvFile(Self.values)
        #expect(try fixture.start(["--from-env-file", fixture.envFile], child: ["--exit", "3"]).waitForExit() == 3)
        #expect(try fixture.start(["--from-env-file", fixture.envFile], child: ["--segv"]).waitForExit() == 139)
        let missing = try fixture.start(["--from-env-file", fixture.envFile], program: ["/nonexistent/agent"])
        #expect(missing.waitForExit() == 127)
        #expect(missing.log.contains("cannot start the child"))
        let usage = try fixture.start(["--from-env-file", fixture.envFile], program: [])
        #expect(usage.waitForExit() == 64 || usage.waitForExit() == 2)
        #expect(usage.log.contains("name the program to run after --"))
    }

    @Test("a child started through sh -c: after the kill timeout no process of its group survives")
    func shellWrapper() throws {
        let fixture = try ExecFixture()
        try fixture.writeEnvFile(Self.values)
        // sh dies of SIGTERM; the real program, its child, ignores it.
        let program = ["/bin/sh", "-c", "/usr/bin/python3 \"$0\" \"$1\" --ignore-term & wait", ExecFixture.script, fixture.childDirectory]
        let exec = try fixture.start(["--from-env-file", fixture.envFile, "--kill-timeout", "1"], program: program)
        try #require(fixture.waitForStarts(1))
        let real = fixture.starts[0]
        let stopped = Date()
        #expect(exec.stop(timeout: 10) == 143, "the child (sh) died of SIGTERM")
        #expect(Date().timeIntervalSince(stopped) < 4)
        #expect(fixture.signals(of: real) == ["SIGTERM"], "the real program got the stop signal too")
        #expect(!ExecFixture.isAlive(real), "SIGKILL reached the whole group")
        #expect(exec.log.contains("SIGKILL"))
        #expect(!exec.log.contains("outlived SIGKILL"), "a zombie left for a slow init does not hold the stop")
    }

    @Test("a restarted child that binds a port finds it free: the old one had exited first")
    func portIsFree() throws {
        let fixture = try ExecFixture()
        try fixture.writeEnvFile(Self.values)
        let port = 20_000 + Int(getpid() % 20_000)
        let exec = try fixture.start(
            ["--from-env-file", fixture.envFile, "--debounce", "0.1", "--min-restart-interval", "0"],
            child: ["--bind", "\(port)", "--linger", "0.7"])
        try #require(fixture.waitForStarts(1))
        for generation in 2...3 {
            try fixture.writeEnvFile("OPENAI_API_KEY=sk-\(generation)\nPROVIDERD_GENERATION=\(generation)\n")
            try #require(fixture.waitForStarts(generation), "\(fixture.events)")
        }
        #expect(!fixture.events.contains { $0.hasPrefix("bind-failed") }, "\(fixture.events)")
        #expect(fixture.events.filter { $0.hasPrefix("bound ") }.count == 3)
        // Each start follows the previous child's exit.
        let events = fixture.events
        for (previous, next) in zip(fixture.starts, fixture.starts.dropFirst()) {
            #expect(events.firstIndex(of: "exit \(previous)")! < events.firstIndex(of: "bound \(next) \(port)")!)
        }
        #expect(exec.stop() == 0, "\(fixture.events)")
    }

    @Test("as PID 1 in a fresh PID namespace an orphaned grandchild is reaped: no zombie remains", .enabled(if: getuid() == 0))
    func reapsOrphans() throws {
        let fixture = try ExecFixture()
        try fixture.writeEnvFile(Self.values)
        // The inner sh leaves a short sleep behind, orphaned to PID 1 (providerd), and exits.
        let program = ["/bin/sh", "-c", "/bin/sh -c '/bin/sleep 0.3 &'; exec /bin/sleep 600"]
        let exec = try fixture.start(
            ["--from-env-file", fixture.envFile], program: program, launcher: ["/usr/bin/unshare", "--pid", "--fork", "--mount-proc", "--kill-child"])
        // unshare's child is providerd, PID 1 in the namespace.
        var found: Int32?
        #expect(
            DaemonProcess.eventually {
                found = ExecFixture.children(of: exec.pid).first?.pid
                return found != nil
            })
        let providerd = try #require(found)
        #expect(DaemonProcess.eventually { exec.log.contains("child started") })
        #expect(DaemonProcess.eventually(timeout: 5) { exec.log.contains("reaped orphans") }, "\(exec.log)")
        Thread.sleep(forTimeInterval: 1.5)
        let zombies = ExecFixture.children(of: providerd).filter { $0.state == "Z" }
        #expect(zombies.isEmpty, "zombies: \(zombies.map(\.pid))")
        // unshare does not forward signals: the stop goes to providerd itself.
        kill(providerd, SIGTERM)
        #expect(exec.waitForExit() == 143, "the child (sleep) died of SIGTERM; unshare passes providerd's status on")
    }

    @Test("on a terminal the child's group gets it: the child reads the terminal (no SIGTTIN stop), and it is taken back after")
    func terminal() throws {
        let fixture = try ExecFixture()
        try fixture.writeEnvFile(Self.values)
        // script(1) runs providerd on a new pseudo-terminal, in its foreground group.
        let command =
            [TestEnvironment.providerdBinary, "exec", "--from-env-file", fixture.envFile, "--log-level", "warning", "--"]
            .map { "'\($0)'" }.joined(separator: " ") + " /usr/bin/python3 -c 'print(\"got\", input())'"
        let output = try ProcessRunner.run(
            "/usr/bin/timeout", ["10", "/usr/bin/script", "-qefc", command, "/dev/null"], stdin: Array("hello\n".utf8),
            environment: ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"])
        #expect(output.status == 0, "\(output.stdoutText) \(output.stderrText)")
        #expect(output.stdoutText.contains("got hello"))
    }

    @Test("--restart-on-exit starts the child again after a backoff instead of exiting")
    func restartOnExit() throws {
        let fixture = try ExecFixture()
        try fixture.writeEnvFile(Self.values)
        let exec = try fixture.start(["--from-env-file", fixture.envFile, "--restart-on-exit"], child: ["--exit", "1"])
        try #require(fixture.waitForStarts(2, timeout: 10))
        // The second child has exited too: providerd waits out a 2 s backoff, running.
        #expect(DaemonProcess.eventually { exec.log.components(separatedBy: "child exited").count - 1 == 2 })
        #expect(exec.isRunning)
        #expect(exec.log.components(separatedBy: "child started").count - 1 == 2)
        #expect(exec.stop() == 143, "stopped during the backoff: 128 + SIGTERM, no third start")
    }
}
