import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

@Suite("Daemon bookkeeping: generation, sealed state, backoff, repeated failures, status")
struct DaemonBookkeepingTests {
    @Test("the generation rises only when the content digest changes, and survives a restart; it is recorded after the files, and files one ahead raise it")
    func generation() throws {
        let directory = try TemporaryDirectory()
        let state = try StateDirectory(path: directory.file("state"))
        var store = try GenerationStore(directory: state)
        #expect(try store.generation(for: "a") == 1)
        #expect(try store.generation(for: "a") == 1)
        #expect(try store.generation(for: "b") == 2)
        var reopened = try GenerationStore(directory: state)
        #expect(reopened.generation == 2)
        #expect(try reopened.generation(for: "b") == 2)
        #expect(try reopened.generation(for: "a") == 3)

        // The number is chosen before the files are written and recorded after them.
        #expect(reopened.next(for: "b") == 4)
        #expect(try GenerationStore(directory: state).generation == 3, "nothing written before persist")
        try reopened.persist(4, digest: "b")
        #expect(try GenerationStore(directory: state).generation == 4)

        // Killed after the env file showed 5 for "c", before the counter: the start
        // sees 5 in the files; whatever it renders next is 6, even "c" again.
        var restarted = try GenerationStore(directory: state)
        restarted.raise(toAtLeast: 5)
        #expect(restarted.next(for: "c") == 6)
        #expect(restarted.next(for: "b") == 6)
        restarted.raise(toAtLeast: 1)
        #expect(restarted.generation == 5, "never lowered")
    }

    @Test("the generation the files carry: the env file's last line, the map's member; junk and absent files give 0")
    func outputGeneration() throws {
        #expect(OutputGeneration.inEnvFile(Array("A=1\nPROVIDERD_GENERATION=42\n".utf8)) == 42)
        #expect(OutputGeneration.inEnvFile(Array("A=1\n".utf8)) == nil)
        #expect(OutputGeneration.inModelMap(Array("{\n  \"generation\" : 7,\n  \"services\" : {}\n}\n".utf8)) == 7)
        #expect(OutputGeneration.inModelMap(Array("{\"servi".utf8)) == nil)
        let directory = try TemporaryDirectory()
        let env = directory.file("providers.env"), map = directory.file("models.json")
        #expect(OutputGeneration.highest(envFile: env, modelMap: map) == 0)
        try "PROVIDERD_GENERATION=5\n".write(toFile: env, atomically: true, encoding: .utf8)
        try "{\"generation\": 6, \"services\": {}}".write(toFile: map, atomically: true, encoding: .utf8)
        #expect(OutputGeneration.highest(envFile: env, modelMap: map) == 6)
        // A FIFO at the map's path is not opened (it would block the start).
        try FileManager.default.removeItem(atPath: map)
        #expect(mkfifo(map, 0o600) == 0)
        #expect(OutputGeneration.highest(envFile: env, modelMap: map) == 5)
    }

    @Test("the sealed state opens with the key that sealed it, never holds clear text, and refuses another key")
    func sealed() throws {
        let directory = try TemporaryDirectory()
        let state = try StateDirectory(path: directory.file("state"))
        let keyring = FernetKeyring(keys: [try FernetKey.generate()])
        let sealed = SealedState(
            providers: [ProviderSecrets(provider: "openai", apiKey: "sk-sealed-secret")],
            services: [ServiceConfig(service: "a", model: "openai:gpt-4o", temperature: nil, maxTokens: nil)],
            lastContact: 1_700_000_000)
        #expect(try SealedState.unseal(with: keyring, from: state) == nil)
        try sealed.seal(with: keyring, into: state)
        #expect(try SealedState.unseal(with: keyring, from: state) == sealed)
        let raw = try String(contentsOfFile: state.file(SealedState.fileName), encoding: .utf8)
        #expect(!raw.contains("sk-sealed-secret"))
        #expect(throws: FernetError.self) {
            try SealedState.unseal(with: FernetKeyring(keys: [try FernetKey.generate()]), from: state)
        }
    }

    @Test("backoff grows, is capped, and jitters; the poll interval jitters by ±10%")
    func backoff() {
        var backoff = Backoff(base: 1, cap: 8)
        let delays = (0..<8).map { _ in backoff.next() }
        #expect(delays.allSatisfy { $0 <= 8 && $0 >= 0.5 })
        #expect(delays.suffix(3).allSatisfy { $0 >= 4 })
        backoff.reset()
        #expect(backoff.next() <= 1)
        for _ in 0..<100 {
            let value = Backoff.jittered(30)
            #expect(value >= 27 && value <= 33)
        }
    }

    @Test("a repeating failure logs when it starts, then once a minute, and when it ends")
    func repeatingFailure() {
        var log = RepeatingFailureLog(interval: 60)
        #expect(log.failed(at: 0) == (true, 0))
        #expect(log.failed(at: 10).log == false)
        #expect(log.failed(at: 59).log == false)
        #expect(log.failed(at: 61) == (true, 2))
        #expect(log.recovered(at: 70) == 70)
        #expect(log.recovered(at: 80) == nil)
        #expect(log.failed(at: 81).log)
    }

    @Test("STATUS says generation, counts, database contact, staleness and degraded providers on one line")
    func status() {
        var status = DaemonStatus()
        status.generation = 7
        status.providers = 2
        status.services = 10
        status.lastContact = 0
        #expect(status.line == "generation 7: 2 providers, 10 services; database ok at 1970-01-01T00:00:00Z")
        status.staleSince = 0
        status.databaseError = "connection refused"
        status.degradedProviders = ["openai"]
        #expect(
            status.line
                == "generation 7: 2 providers, 10 services; STALE since 1970-01-01T00:00:00Z; database unreachable: connection refused; degraded: openai")
        #expect(!status.line.contains("\n"))
    }
}
