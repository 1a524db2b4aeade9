import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

/// The metrics as a host's Prometheus gets them: node_exporter's textfile
/// collector reading `metrics.textfile`, `promtool check metrics`, the socket op.
@Suite(
    "Metrics through node_exporter and promtool",
    .enabled(if: TestEnvironment.databaseTestsEnabled && (NodeExporter.available || TestEnvironment.isCI)))
struct MetricsTests {
    /// The samples of `name` in a scrape, as (labels text, value).
    static func samples(_ text: String, _ name: String) -> [(labels: String, value: Double)] {
        text.split(separator: "\n").compactMap { line -> (String, Double)? in
            guard line.hasPrefix(name + "{") || line.hasPrefix(name + " ") else { return nil }
            let parts = line.split(separator: " ")
            guard let value = Double(parts.last ?? "") else { return nil }
            let labels = line.hasPrefix(name + "{") ? String(line.dropFirst(name.count).prefix { $0 != " " }) : ""
            return (labels, value)
        }
    }

    @Test(
        "node_exporter serves providerd's metrics; the cost metric equals the sum in model_usage; promtool accepts the file; unknown models are 'other'"
    )
    func throughNodeExporter() async throws {
        try await onThread {
            let fixture = try DaemonFixture()
            let textfiles = fixture.directory.file("textfile")
            try FileManager.default.createDirectory(atPath: textfiles, withIntermediateDirectories: true)
            let file = textfiles + "/providerd.prom"
            fixture.extraEnvironment["PROVIDERD_METRICS_TEXTFILE"] = file
            fixture.extraEnvironment["PROVIDERD_METRICS_INTERVAL"] = "1"
            // What a write killed before its rename leaves behind: removed at start.
            let stale = file + ".tmp-AbC123"
            try "providerd_half_written".write(toFile: stale, atomically: false, encoding: .utf8)
            try fixture.cli.succeed(["budgets", "set", "rag-month", "--scope", "service:rag", "--period", "month", "--limit", "50"])
            let daemon = try fixture.start()
            _ = try fixture.waitReady()
            let client = try UnixSocketClient(path: fixture.socket)
            let records = [
                #"{"service_name":"rag","model_string":"openai:gpt-4o","input_tokens":120000,"output_tokens":3000,"cache_read_tokens":20000,"id":"m1"}"#,
                #"{"service_name":"rag","model_string":"anthropic:claude-3-5-haiku-latest","input_tokens":5000,"output_tokens":700,"id":"m2"}"#,
                #"{"service_name":"docs","model_string":"acme:secret-internal-model","input_tokens":1000,"output_tokens":10,"id":"m3"}"#,
                #"{"service_name":"docs","model_string":"openai:gpt-4o-mini","input_tokens":10,"output_tokens":10,"id":"m4"}"#,
            ]
            for record in records { #expect(try client.request(record) == #"{"ok":true}"#) }
            #expect(try client.request("not json")?.contains(#""ok":false"#) == true)
            #expect(try client.request(records[0]) == #"{"ok":true,"duplicate":true}"#)
            let connection = try PostgresConnection(ConnectionOptions(conninfo: fixture.url))
            #expect(
                DaemonProcess.eventually(timeout: 10) {
                    (try? connection.query("SELECT sum(request_count)::text AS n FROM model_usage").rows[0]["n"]) == "4"
                })
            #expect(!FileManager.default.fileExists(atPath: stale), "a killed write's temporary file stays")
            let exporter = try NodeExporter(textfileDirectory: textfiles)
            let expected = Double(try connection.query("SELECT sum(estimated_cost)::text AS c FROM model_usage").rows[0]["c"]! ?? "")!
            var scrape = ""
            #expect(
                DaemonProcess.eventually(timeout: 10) {
                    scrape = (try? exporter.scrape()) ?? ""
                    let cost = Self.samples(scrape, "providerd_usage_cost_usd_total").reduce(0) { $0 + $1.value }
                    return abs(cost - expected) < 1e-9 * max(1, expected)
                }, "\(scrape.suffix(3_000))")
            let records_ = Self.samples(scrape, "providerd_usage_records_total")
            #expect(records_.first { $0.labels == #"{outcome="accepted"}"# }?.value == 4)
            #expect(records_.first { $0.labels == #"{outcome="refused"}"# }?.value == 1)
            #expect(records_.first { $0.labels == #"{outcome="duplicate"}"# }?.value == 1)
            let tokens = Self.samples(scrape, "providerd_usage_tokens_total")
            #expect(
                tokens.first { $0.labels.contains(#"model="openai:gpt-4o""#) && $0.labels.contains(#"token_type="cache_read""#) }?.value == 20_000)
            #expect(tokens.first { $0.labels.contains(#"model="openai:gpt-4o""#) && $0.labels.contains(#"token_type="input""#) }?.value == 100_000)
            #expect(!scrape.contains("secret-internal-model"), "an unpriced model's name is not a label")
            #expect(Self.samples(scrape, "providerd_usage_unpriced_requests_total").first?.labels.contains(#"model="other""#) == true)
            #expect(scrape.contains(#"provider="gcp.gemini""#) == false && scrape.contains(#"provider="anthropic""#))
            #expect(Self.samples(scrape, "providerd_budget_limit_usd").first { $0.labels == #"{budget="rag-month"}"# }?.value == 50)
            #expect(Self.samples(scrape, "providerd_config_generation").first?.value ?? 0 >= 1)
            #expect((Self.samples(scrape, "providerd_last_flush_timestamp_seconds").first?.value ?? 0) > 1_700_000_000)

            // promtool lints the file as written.
            let lint = try ProcessRunner.run("/usr/bin/promtool", ["check", "metrics"], stdin: Array(try String(contentsOfFile: file, encoding: .utf8).utf8))
            #expect(lint.status == 0, "\(lint.stdoutText)\(lint.stderrText)")

            // The socket's op answers the same text, made now.
            let reply = try client.request(#"{"op":"metrics"}"#) ?? ""
            let document = try JSONSerialization.jsonObject(with: Data(reply.utf8)) as? [String: Any]
            #expect(document?["ok"] as? Bool == true)
            #expect((document?["metrics"] as? String)?.contains(#"providerd_usage_records_total{outcome="accepted"} 4"#) == true)
            #expect(daemon.stop() == 0)
            withExtendedLifetime(exporter) {}
        }
    }
}
