import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

/// `providerd exec` reading PostgreSQL as `run` does: values, the first render,
/// the sealed state, changes and budgets, and the usage socket in the same process.
@Suite("providerd exec: the database as the source", .enabled(if: TestEnvironment.databaseTestsEnabled), .serialized)
struct ExecDatabaseTests {
    /// Options that put the state where the fixture keeps it.
    static func options(_ fixture: DaemonFixture, _ more: [String] = []) -> [String] {
        ["--state-dir", fixture.stateDir] + more
    }

    @Test("the child sees exactly the stored values; nothing is written unless --env-file is given; the encryption key stays out")
    func exactValues() throws {
        let python = try TestEnvironment.requirePython()
        let fixture = try DaemonFixture()
        let stored = [
            "openai": "sk-\"quoted\" it's #1 = x \\ ok", "anthropic": "sk-a$b `c` 'plain'".replacingOccurrences(of: "'", with: ""),
            "mistral": "mi-ключ-🔑", "groq": "gsk_plain-1.2/3+4=",
        ]
        for (provider, key) in stored { try fixture.cli.succeed(["keys", "set", provider], stdin: key) }
        try fixture.cli.succeed(["keys", "set", "ollama", "--base-url", "http://127.0.0.1:11434/v1"], stdin: "ollama")
        let exec = try ExecFixture()
        // Without --env-file: the configured output paths (PROVIDERD_ENV_FILE is set) stay untouched.
        let first = try exec.start(Self.options(fixture), environment: fixture.environment)
        try #require(exec.waitForStarts(1), "\(first.log)")
        let names = ["openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY", "mistral": "MISTRAL_API_KEY", "groq": "GROQ_API_KEY"]
        let environment = try exec.environment(of: exec.starts[0])
        for (provider, key) in stored { #expect(environment[names[provider]!] == key, "\(provider)") }
        #expect(environment["OLLAMA_BASE_URL"] == "http://127.0.0.1:11434/v1")
        #expect(environment["PROVIDERD_GENERATION"] == "1")
        #expect(environment["ARCHON_ENCRYPTION_KEY"] == nil, "the key that opens every row never reaches the agent")
        #expect(environment["PROVIDERD_MODEL_MAP"] == nil)
        #expect(!FileManager.default.fileExists(atPath: fixture.envFile))
        #expect(!FileManager.default.fileExists(atPath: fixture.modelMap))
        #expect(first.stop() == 0, "\(exec.events)")
        for key in stored.values { #expect(!first.log.contains(key)) }
        #expect(!first.log.contains(fixture.key.base64))

        // With --env-file and --model-map: the same values as readers take them from the file.
        // In directories nobody made yet (a container's /run/providerd): exec makes them.
        let envFile = exec.directory.file("fresh/env/written.env")
        let modelMap = exec.directory.file("fresh/map/written.json")
        let second = try exec.start(Self.options(fixture, ["--env-file", envFile, "--model-map", modelMap]), environment: fixture.environment)
        try #require(exec.waitForStarts(2))
        let written = try exec.environment(of: exec.starts[1])
        #expect(written["PROVIDERD_MODEL_MAP"] == modelMap)
        #expect(FileManager.default.fileExists(atPath: modelMap))
        #expect(DaemonFixture.mode(envFile) == 0o600)
        let dotenv = try ProcessRunner.run(
            python, ["-c", "import dotenv, json, sys; print(json.dumps(dotenv.dotenv_values(sys.argv[1])))", envFile])
        let read = try JSONSerialization.jsonObject(with: Data(dotenv.stdoutText.utf8)) as? [String: String] ?? [:]
        #expect(!read.isEmpty)
        for (name, value) in read { #expect(written[name] == value, "\(name)") }
        #expect(second.stop() == 0, "\(exec.events)")
    }

    @Test("no child before the first render; with PostgreSQL down and a sealed state it starts from the sealed state")
    func firstRenderAndSealedState() throws {
        let fixture = try DaemonFixture(ownCluster: true)
        try fixture.cli.succeed(["keys", "set", "anthropic"], stdin: "sk-ant-sealed")
        let exec = try ExecFixture()
        let first = try exec.start(Self.options(fixture), environment: fixture.environment)
        try #require(exec.waitForStarts(1), "\(first.log)")
        #expect(first.stop() == 0, "\(exec.events)")
        try fixture.cluster!.stop()

        let fromSealed = try exec.start(Self.options(fixture), environment: fixture.environment)
        try #require(exec.waitForStarts(2), "\(fromSealed.log)")
        #expect(try exec.environment(of: exec.starts[1])["ANTHROPIC_API_KEY"] == "sk-ant-sealed")
        #expect(fromSealed.stop() == 0, "\(exec.events)")

        // A state directory without a sealed state: nothing to start from until the database answers.
        let emptyState = exec.directory.file("state-empty")
        let waiting = try exec.start(["--state-dir", emptyState], environment: fixture.environment)
        #expect(DaemonProcess.eventually { waiting.log.contains("database unreachable") })
        Thread.sleep(forTimeInterval: 1.5)
        #expect(exec.starts.count == 2, "a child started before any render")
        try fixture.cluster!.resume()
        try #require(exec.waitForStarts(3, timeout: 30), "\(waiting.log)")
        #expect(try exec.environment(of: exec.starts[2])["ANTHROPIC_API_KEY"] == "sk-ant-sealed")
        #expect(waiting.stop() == 0, "\(exec.events)")
    }

    @Test("20 key updates in one second give one restart; an unchanged value or a model row gives none")
    func burst() throws {
        let fixture = try DaemonFixture()
        try fixture.cli.succeed(["keys", "set", "openai"], stdin: "sk-0")
        try fixture.cli.succeed(["keys", "set", "groq"], stdin: "gsk-same")
        let exec = try ExecFixture()
        // The defaults: --debounce 2, --min-restart-interval 5.
        let process = try exec.start(Self.options(fixture), environment: fixture.environment)
        try #require(exec.waitForStarts(1))
        let connection = try PostgresConnection(ConnectionOptions(conninfo: fixture.url))
        let began = Date()
        for n in 1...20 {
            let token = try Fernet.encrypt(Array("sk-\(n)".utf8), key: fixture.key)
            try connection.query("UPDATE api_keys SET encrypted_key = $1, updated_at = now() WHERE provider = 'openai'", [token])
            Thread.sleep(forTimeInterval: 0.045)
        }
        #expect(Date().timeIntervalSince(began) < 1.5)
        try #require(exec.waitForStarts(2, timeout: 15))
        #expect(try exec.environment(of: exec.starts[1])["OPENAI_API_KEY"] == "sk-20")
        Thread.sleep(forTimeInterval: 3)
        #expect(exec.starts.count == 2, "one restart for the burst")

        // The same value again (a new token and row version; the render is the same) and a model row
        // (a new generation: the map changed). Each is seen: a render is logged for the model row.
        let rendersBefore = process.log.components(separatedBy: " rendered ").count
        try fixture.cli.succeed(["keys", "set", "groq"], stdin: "gsk-same")
        try fixture.cli.succeed(["models", "set", "rag_agent", "groq:llama-3.1-8b-instant"])
        #expect(DaemonProcess.eventually { process.log.components(separatedBy: " rendered ").count > rendersBefore })
        Thread.sleep(forTimeInterval: 7)
        #expect(exec.starts.count == 2, "\(process.log)")
        #expect(process.stop() == 0, "\(exec.events)")
    }

    @Test("a key a withhold_key budget withholds: the child restarts without it (the container's copy stays out), and again when it returns")
    func withheldKey() async throws {
        try await onThread {
            let fixture = try DaemonFixture()
            try fixture.cli.succeed(["keys", "set", "openai"], stdin: "sk-openai-budgeted")
            try fixture.cli.succeed(["keys", "set", "anthropic"], stdin: "sk-ant-stays")
            let unit = try BudgetDaemonTests.cost(tokens: 100_000)
            let budget = ["budgets", "set", "cap", "--scope", "provider:openai", "--period", "month", "--action", "withhold_key", "--limit"]
            try fixture.cli.succeed(budget + ["\(unit * 2)"])
            let exec = try ExecFixture()
            let socket = exec.directory.file("run/usage.sock")
            var environment = fixture.environment
            environment["OPENAI_API_KEY"] = "sk-from-the-container"
            let process = try exec.start(
                Self.options(fixture, ["--usage-socket", socket, "--debounce", "0.2", "--min-restart-interval", "0"]),
                environment: environment)
            try #require(exec.waitForStarts(1))
            let started = try exec.environment(of: exec.starts[0])
            #expect(started["OPENAI_API_KEY"] == "sk-openai-budgeted")
            #expect(started["PROVIDERD_SOCKET"] == socket)
            let client = try UnixSocketClient(path: socket)
            for id in ["w1", "w2"] { #expect(try client.request(BudgetDaemonTests.record("agent", id: id, tokens: 100_000)) == #"{"ok":true}"#) }
            try #require(exec.waitForStarts(2), "\(process.log)")
            let withheld = try exec.environment(of: exec.starts[1])
            #expect(withheld["OPENAI_API_KEY"] == nil, "withheld, and not taken from providerd's own environment either")
            #expect(withheld["ANTHROPIC_API_KEY"] == "sk-ant-stays")
            // The child asks the socket for its budget, as the PydanticAI capability does.
            #expect(try BudgetDaemonTests.budget(socket, service: "agent")["allowed"] as? Bool == true)
            try fixture.cli.succeed(budget + ["\(unit * 4)"])
            try #require(exec.waitForStarts(3, timeout: 20), "\(process.log)")
            #expect(try exec.environment(of: exec.starts[2])["OPENAI_API_KEY"] == "sk-openai-budgeted")
            #expect(process.stop() == 0, "\(exec.events)")
            #expect(!process.log.contains("sk-openai-budgeted"))
            #expect(!process.log.contains("sk-from-the-container"))
        }
    }

    @Test("--usage-socket: records acknowledged there land exactly in model_usage, SIGKILL included")
    func usageSocket() async throws {
        let fixture = try DaemonFixture()
        try fixture.cli.succeed(["keys", "set", "openai"], stdin: "sk-usage")
        let exec = try ExecFixture()
        let socket = exec.directory.file("run/usage.sock")
        var environment = fixture.environment
        environment["PROVIDERD_FLUSH_INTERVAL"] = "60"  // nothing flushed before the kill
        let first = try exec.start(Self.options(fixture, ["--usage-socket", socket]), environment: environment)
        try #require(exec.waitForStarts(1))
        #expect(DaemonProcess.eventually { FileManager.default.fileExists(atPath: socket) })
        let total = 5_000
        let acked = try await onThread { try DaemonUsageTests.send(path: socket, prefix: "x", range: 0..<total) }
        #expect(acked.count == total)
        #expect(try DaemonUsageTests.totals(fixture.url).requests == 0, "nothing flushed yet")
        let child = exec.starts[0]
        first.signal(SIGKILL)
        _ = first.waitForExit()
        kill(-child, SIGKILL)  // the child's own group: a SIGKILL of providerd cannot forward
        #expect(DaemonProcess.eventually { !ExecFixture.isAlive(child) })

        let second = try exec.start(Self.options(fixture, ["--usage-socket", socket]), environment: fixture.environment)
        try #require(exec.waitForStarts(2))
        #expect(DaemonProcess.eventually(timeout: 30) { (try? DaemonUsageTests.totals(fixture.url).requests) == total }, "\(second.log)")
        // A resend of acknowledged ids counts nothing twice.
        _ = try await onThread { try DaemonUsageTests.send(path: socket, prefix: "x", range: 0..<100) }
        try await Task.sleep(for: .seconds(1))
        let totals = try DaemonUsageTests.totals(fixture.url)
        #expect(totals.requests == total)
        #expect(totals.input == DaemonUsageTests.expectedInput(0..<total))
        #expect(second.stop() == 0, "\(exec.events)")
    }

    @Test(
        "a full state disk: a changed key still reaches the child (only sealing waits for space), and the error is said",
        .enabled(if: SmallDisk.available))
    func fullStateDisk() throws {
        let fixture = try DaemonFixture()
        try fixture.cli.succeed(["keys", "set", "openai"], stdin: "sk-before")
        let disk = try SmallDisk(bytes: 4 << 20)
        let exec = try ExecFixture()
        let process = try exec.start(
            ["--state-dir", disk.path + "/state", "--debounce", "0.1", "--min-restart-interval", "0"], environment: fixture.environment)
        try #require(exec.waitForStarts(1), "\(process.log)")
        disk.fill()
        try fixture.cli.succeed(["keys", "set", "openai"], stdin: "sk-after-the-disk-filled")
        try #require(exec.waitForStarts(2), "\(process.log)")
        #expect(try exec.environment(of: exec.starts[1])["OPENAI_API_KEY"] == "sk-after-the-disk-filled")
        #expect(DaemonProcess.eventually { process.log.contains("No space left on device") })
        disk.free()
        #expect(process.stop() == 0, "\(exec.events)")
        #expect(!process.log.contains("sk-after-the-disk-filled"))
    }

    @Test("SIGTERM: the child's last report, sent while it stops, is acknowledged and lands in model_usage (the socket stops after the child)")
    func lastReport() async throws {
        let fixture = try DaemonFixture()
        let exec = try ExecFixture()
        let socket = exec.directory.file("fresh/providerd/usage.sock")  // a directory exec makes
        var environment = fixture.environment
        environment["PROVIDERD_FLUSH_INTERVAL"] = "60"  // only the final flush at the stop writes it
        let process = try exec.start(
            Self.options(fixture, ["--usage-socket", socket]), child: ["--report-on-term", "last-words", "--linger", "0.3"],
            environment: environment)
        try #require(exec.waitForStarts(1))
        #expect(DaemonProcess.eventually { FileManager.default.fileExists(atPath: socket) })
        #expect(process.stop() == 0, "\(exec.events)")
        #expect(exec.events.contains("reported \(exec.starts[0]) {\"ok\":true}"), "\(exec.events)")
        #expect(try DaemonUsageTests.totals(fixture.url).requests == 1)
        #expect(process.log.range(of: "child exited")!.lowerBound < process.log.range(of: "usage intake stopped")!.lowerBound)
    }
}
