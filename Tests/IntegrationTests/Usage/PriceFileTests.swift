import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

/// `prices.file`: another price file at start, a new one on SIGHUP, a bad one
/// refused (at start: exit 2; on SIGHUP: the running prices stay); unknown models
/// counted unpriced and warned about once; `check` reports the table.
@Suite("providerd run with a price file", .enabled(if: TestEnvironment.databaseTestsEnabled), .serialized)
struct PriceFileTests {
    static func priceFile(inputPerMillion: String) -> String {
        """
        {"source":{"package":"genai-prices","version":"test","generated":"2026-11-26"},"aliases":{"acme-chat":"acme"},
         "providers":[{"id":"acme","models":[{"id":"widget","match":{"starts_with":"widget"},"prices":{"input_mtok":"\(inputPerMillion)"}}]}]}
        """
    }

    static func costAndUnpriced(_ url: String, model: String) throws -> (cost: String, unpriced: Int, requests: Int)? {
        let connection = try PostgresConnection(ConnectionOptions(conninfo: url))
        let rows = try connection.query(
            """
            SELECT SUM(estimated_cost)::text AS cost, SUM(unpriced_requests)::bigint AS unpriced, SUM(request_count)::bigint AS requests
            FROM model_usage WHERE model_string = $1 HAVING COUNT(*) > 0
            """, [model]
        ).rows
        guard let row = rows.first else { return nil }
        return (try row.string("cost"), try row.int("unpriced"), try row.int("requests"))
    }

    /// Writes a price file and points the fixture's daemon at it (`PROVIDERD_PRICES`).
    static func usePriceFile(_ fixture: DaemonFixture, inputPerMillion: String) throws -> String {
        let file = fixture.directory.file("prices.json")
        try priceFile(inputPerMillion: inputPerMillion).write(toFile: file, atomically: true, encoding: .utf8)
        fixture.extraEnvironment["PROVIDERD_PRICES"] = file
        return file
    }

    @Test("prices from prices.file; SIGHUP loads a new file; a bad one is refused and the running prices stay")
    func reloadPrices() throws {
        let fixture = try DaemonFixture()
        let file = try Self.usePriceFile(fixture, inputPerMillion: "1")
        let daemon = try fixture.start()
        _ = try fixture.waitReady()
        #expect(daemon.log.contains("\(file): genai-prices test (generated 2026-11-26), 1 models"))
        var cli = fixture.cli
        cli.environment["PROVIDERD_SOCKET"] = fixture.socket
        func push(_ model: String) throws {
            try cli.succeed(["usage", "push", "--service", "s", "--model", model, "--input", "1000000", "--output", "7"])
        }
        func settled(_ model: String, requests: Int) -> (cost: String, unpriced: Int, requests: Int)? {
            var last: (cost: String, unpriced: Int, requests: Int)?
            _ = DaemonProcess.eventually(timeout: 20) {
                last = try? Self.costAndUnpriced(fixture.url, model: model)
                return last?.requests == requests
            }
            return last
        }
        try push("acme:widget-1")
        #expect(settled("acme:widget-1", requests: 1)?.cost == "1")

        try Self.priceFile(inputPerMillion: "2.5").write(toFile: file, atomically: true, encoding: .utf8)
        var mark = fixture.notify.all.count
        daemon.signal(SIGHUP)
        var reloading = try fixture.notify.wait(after: mark) { $0.fields["RELOADING"] == "1" }
        _ = try fixture.notify.wait(after: reloading.index) { $0.fields["READY"] == "1" }
        try push("acme-chat:widget-1")  // the alias
        #expect(settled("acme-chat:widget-1", requests: 1)?.cost == "2.5")

        try "{\"source\":".write(toFile: file, atomically: true, encoding: .utf8)
        mark = fixture.notify.all.count
        daemon.signal(SIGHUP)
        reloading = try fixture.notify.wait(after: mark) { $0.fields["RELOADING"] == "1" }
        _ = try fixture.notify.wait(after: reloading.index) { $0.fields["READY"] == "1" }
        #expect(daemon.isRunning)
        #expect(daemon.log.contains("reload refused"))
        #expect(daemon.log.contains("prices \(file): not valid JSON"))
        try push("acme:widget-2")
        #expect(settled("acme:widget-2", requests: 1)?.cost == "2.5")

        // An unknown model: counted, unpriced, the seed's fallback (0.001 / 0.002 per 1K), one warning.
        try push("acme:gadget")
        try push("acme:gadget")
        let unknown = settled("acme:gadget", requests: 2)
        #expect(unknown?.unpriced == 2)
        #expect(unknown?.cost == "2.000028")
        // The rows commit a moment before the flusher logs and counts them.
        let socket = fixture.socket
        #expect(
            DaemonProcess.eventually(timeout: 10) {
                let stats = try? UnixSocketClient(path: socket).request(#"{"op":"stats"}"#)
                return stats?.contains(#""unpriced":2"#) == true
            })
        #expect(daemon.log.components(separatedBy: "no price for model").count - 1 == 1)

        #expect(daemon.stop() == 0)
    }

    @Test("prices.unknown: zero prices unknown models at 0, still counted unpriced")
    func unknownAtZero() throws {
        let fixture = try DaemonFixture()
        fixture.extraEnvironment["PROVIDERD_UNKNOWN_PRICE"] = "zero"
        let daemon = try fixture.start()
        _ = try fixture.waitReady()
        var cli = fixture.cli
        cli.environment["PROVIDERD_SOCKET"] = fixture.socket
        try cli.succeed(["usage", "push", "--service", "s", "--model", "openai:no-such-model-xyz", "--input", "1000", "--output", "1000"])
        try cli.succeed(["usage", "push", "--service", "s", "--model", "ollama:llama3", "--input", "1000", "--output", "1000"])
        #expect(
            DaemonProcess.eventually(timeout: 20) {
                (try? Self.costAndUnpriced(fixture.url, model: "openai:no-such-model-xyz"))?.requests == 1
                    && (try? Self.costAndUnpriced(fixture.url, model: "ollama:llama3"))?.requests == 1
            })
        let unknown = try Self.costAndUnpriced(fixture.url, model: "openai:no-such-model-xyz")
        #expect(unknown?.cost == "0" && unknown?.unpriced == 1)
        let local = try Self.costAndUnpriced(fixture.url, model: "ollama:llama3")
        #expect(local?.cost == "0" && local?.unpriced == 0)
        #expect(daemon.stop() == 0)
    }

    @Test("a bad price file stops the start with exit 2, naming the file and the place; check reports it")
    func badFileAtStart() throws {
        let fixture = try DaemonFixture()
        let file = try Self.usePriceFile(fixture, inputPerMillion: "cheap")
        let daemon = try fixture.start()
        #expect(daemon.waitForExit() == 2)
        #expect(daemon.log.contains("prices \(file): providers[0] (acme).models[0] (widget).prices.input_mtok: 'cheap' is not a non-negative decimal"))

        var cli = fixture.cli
        cli.environment.merge(fixture.environment) { $1 }
        let bad = try cli.run(["check"])
        #expect(bad.status == 1)
        #expect(bad.stdoutText.contains("prices") && bad.stdoutText.contains("'cheap' is not a non-negative decimal"))

        cli.environment["PROVIDERD_PRICES"] = nil
        try cli.succeed(["models", "set", "odd_agent", "openai:no-such-model-xyz"])
        let good = try cli.run(["check"])
        #expect(good.stdoutText.contains("genai-prices 0.2.3"))
        #expect(good.stdoutText.contains("no price in genai-prices 0.2.3"))
    }
}
