import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

/// `budgets.on_event` run for real: bash scripts, process groups, time limits.
@Suite("budgets.on_event")
struct BudgetHookTests {
    static let event = ClaimedBudgetEvent(
        event: BudgetEvent(
            budget: "team-month", periodStart: 1_796_083_200, threshold: Decimal(string: "0.8")!, spent: Decimal(string: "80.5")!,
            limit: 100, crossedAt: "2026-12-06T19:00:00Z", announcedBy: nil),
        scope: "provider:openai", action: "block", resetsAt: 1_798_761_600)

    func script(_ directory: TemporaryDirectory, _ body: String) throws -> String {
        let path = directory.file("hook.sh")
        try ("#!/bin/bash\n" + body + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }

    @Test("it gets the event, and nothing of providerd's environment: no database URL, no key")
    func environment() async throws {
        let directory = try TemporaryDirectory()
        let out = directory.file("env.txt")
        let hook = BudgetHook(argv: [try script(directory, "env > \"$1\""), out], timeout: 10)
        #expect(await hook.run(Self.event) == .succeeded)
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").map(String.init)
        let names = Set(lines.compactMap { $0.split(separator: "=", maxSplits: 1).first.map(String.init) })
        // bash adds PWD, SHLVL and _ of its own; nothing else may come from providerd.
        #expect(
            names.subtracting(["PWD", "SHLVL", "_"])
                == Set(BudgetHook.environment(for: Self.event).keys), "\(names.sorted())")
        for expected in [
            "PROVIDERD_BUDGET_NAME=team-month", "PROVIDERD_BUDGET_THRESHOLD=0.8", "PROVIDERD_BUDGET_PERCENT=80.5",
            "PROVIDERD_BUDGET_SPENT_USD=80.5", "PROVIDERD_BUDGET_LIMIT_USD=100", "PROVIDERD_BUDGET_PERIOD_START=2026-12-01T00:00:00Z",
            "PROVIDERD_BUDGET_RESETS_AT=2027-01-01T00:00:00Z", "PROVIDERD_BUDGET_SCOPE=provider:openai",
        ] {
            #expect(lines.contains(expected), "\(expected)")
        }
    }

    @Test("a failure is reported with its status and the end of its standard error; a missing command cannot start")
    func failures() async throws {
        let directory = try TemporaryDirectory()
        let hook = BudgetHook(argv: [try script(directory, "echo 'webhook refused: 403' >&2; exit 3")], timeout: 10)
        #expect(await hook.run(Self.event) == .failed(status: "exited(3)", stderr: "webhook refused: 403\n"))
        let missing = BudgetHook(argv: ["/nonexistent/hook"], timeout: 10)
        guard case .couldNotStart = await missing.run(Self.event) else {
            Issue.record("a missing command started")
            return
        }
    }

    @Test("past its time limit the whole process group goes: SIGTERM, then SIGKILL for what ignores it")
    func timeLimit() async throws {
        let directory = try TemporaryDirectory()
        let pids = directory.file("pids")
        // A child that ignores SIGTERM, in the background, as `curl &` would be.
        let hook = BudgetHook(
            argv: [try script(directory, "bash -c 'trap \"\" TERM; sleep 3600' & echo $! > \"$1\"; sleep 3600"), pids], timeout: 1)
        let start = ContinuousClock.now
        guard case .timedOut = await hook.run(Self.event) else {
            Issue.record("not timed out")
            return
        }
        // 1 s, then 2 s from SIGTERM to SIGKILL. The hook sleeps an hour: ending in far
        // less proves the kill. The bound is loose on purpose: the hook's timer and wait
        // run on the shared cooperative pool, which this test process's blocking tests
        // (two threads on a 2-core machine) can hold for minutes: a run under load took 125 s.
        #expect(ContinuousClock.now - start < .seconds(900))
        let child = Int32(try String(contentsOfFile: pids, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))!
        #expect(DaemonProcess.eventually(timeout: 3) { kill(child, 0) != 0 }, "the background child survived")
    }

    @Test("the setting: split at spaces, an absolute path first, no shell")
    func parse() throws {
        #expect(
            try BudgetHook.parse("/usr/share/providerd/examples/budget-alert-slack /etc/providerd/slack.url", timeout: 5)
                == BudgetHook(argv: ["/usr/share/providerd/examples/budget-alert-slack", "/etc/providerd/slack.url"], timeout: 5))
        #expect(throws: ConfigurationError.self) { try BudgetHook.parse("curl https://hooks.example", timeout: 5) }
        #expect(try BudgetHook.parse("  ", timeout: 5) == nil)
    }
}

@Suite("etc/examples/budget-alert-slack")
struct BudgetAlertSlackTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("etc/examples/budget-alert-slack").path

    @Test("posts the event as Slack's {\"text\"} JSON to the URL in the file, never on its command line; a file without a URL is refused")
    func posts() async throws {
        let directory = try TemporaryDirectory()
        let received = directory.file("received.json")
        let port = directory.file("port")
        // A loopback stand-in for the webhook: records one POST body, answers 200.
        let server = try ChildProcess(
            "/usr/bin/python3",
            [
                "-c",
                """
                import http.server, sys
                class H(http.server.BaseHTTPRequestHandler):
                    def do_POST(self):
                        body = self.rfile.read(int(self.headers['Content-Length']))
                        open(sys.argv[1], 'wb').write(self.path.encode() + b'\\n' + body)
                        self.send_response(200); self.end_headers(); self.wfile.write(b'ok')
                    def log_message(self, *a): pass
                s = http.server.HTTPServer(('127.0.0.1', 0), H)
                open(sys.argv[2], 'w').write(str(s.server_port))
                s.handle_request()
                """,
                received, port,
            ], environment: [:], stdin: "/dev/null", stdout: "/dev/null", stderr: directory.file("server.log"))
        defer {
            kill(server.pid, SIGKILL)
            _ = server.wait()
        }
        #expect(DaemonProcess.eventually(timeout: 10) { FileManager.default.fileExists(atPath: port) })
        let urlFile = directory.file("slack.url")
        let portNumber = try String(contentsOfFile: port, encoding: .utf8)
        try "http://127.0.0.1:\(portNumber)/services/T000/B000/secret-part\n".write(toFile: urlFile, atomically: true, encoding: .utf8)
        let hook = BudgetHook(argv: [Self.script, urlFile], timeout: 10)
        var event = BudgetHookTests.event
        event.event.budget = #"team "a\b""#
        #expect(await hook.run(event) == .succeeded)
        let lines = try String(contentsOfFile: received, encoding: .utf8).split(separator: "\n", maxSplits: 1).map(String.init)
        #expect(lines[0] == "/services/T000/B000/secret-part")
        let body = try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: String]
        #expect(
            body?["text"]
                == #"Budget *team "a\b"* (provider:openai) reached 80.5% of $100: $80.5 spent since 2026-12-01T00:00:00Z (threshold 0.8, action block); resets 2027-01-01T00:00:00Z."#
        )
        try "not a url\n".write(toFile: urlFile, atomically: true, encoding: .utf8)
        guard case .failed(let status, let stderr) = await hook.run(event) else {
            Issue.record("a file without a URL was accepted")
            return
        }
        #expect(status == "exited(2)" && stderr.contains("does not hold an https:// URL"))
    }
}
