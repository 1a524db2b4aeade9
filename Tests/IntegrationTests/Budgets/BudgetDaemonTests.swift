import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

/// Budgets as agents meet them: the socket's `budget` op and acks of daemons
/// sharing one database.
@Suite("Budgets across daemons", .enabled(if: TestEnvironment.databaseTestsEnabled))
struct BudgetDaemonTests {
    static let model = "openai:gpt-4o"

    /// What one record of `tokens` input tokens costs at the built-in prices.
    static func cost(tokens: Int64) throws -> Decimal {
        var pricer = UsagePricer(table: try PriceTable.builtIn(), unknown: .seedFallback)
        return pricer.price(UsageRecord(serviceName: "s", modelString: model, inputTokens: tokens), at: Int64(Date().timeIntervalSince1970)).cost
    }

    static func record(_ service: String, id: String, tokens: Int64) -> String {
        #"{"service_name":"\#(service)","model_string":"\#(model)","input_tokens":\#(tokens),"id":"\#(id)"}"#
    }

    static func budget(_ socket: String, service: String, model: String = model) throws -> [String: Any] {
        let client = try UnixSocketClient(path: socket)
        let reply = try client.request(#"{"op":"budget","service_name":"\#(service)","model_string":"\#(model)"}"#) ?? ""
        return try JSONSerialization.jsonObject(with: Data(reply.utf8)) as? [String: Any] ?? [:]
    }

    @Test(
        "two daemons, one database, $-limit a day with thresholds 0.5 and 1, block: each event recorded and announced once; both refuse within the flush interval plus 1 s; acks say exceeded"
    )
    func twoDaemons() async throws {
        try await onThread {
            let a = try DaemonFixture()
            let b = try DaemonFixture(sharingDatabaseOf: a)
            let tokens: Int64 = 100_000
            let unit = try Self.cost(tokens: tokens)
            try a.cli.succeed(["models", "set", "agent", Self.model])
            try a.cli.succeed([
                "budgets", "set", "agent-day", "--scope", "service:agent", "--period", "day", "--limit", "\(unit * 4)", "--thresholds", "0.5,1",
                "--action", "block",
            ])
            // Both hosts have the hook; each event must run it once in all.
            let runs = a.directory.file("hook-runs")
            let hook = a.directory.file("hook.sh")
            try "#!/bin/bash\necho \"$PROVIDERD_BUDGET_NAME $PROVIDERD_BUDGET_THRESHOLD\" >> \"$1\"\n".write(toFile: hook, atomically: true, encoding: .utf8)
            chmod(hook, 0o755)
            for fixture in [a, b] { fixture.extraEnvironment["PROVIDERD_BUDGETS_ON_EVENT"] = "\(hook) \(runs)" }
            let daemonA = try a.start()
            let daemonB = try b.start()
            _ = try a.waitReady()
            _ = try b.waitReady()
            let clientA = try UnixSocketClient(path: a.socket)
            let clientB = try UnixSocketClient(path: b.socket)
            #expect(try Self.budget(a.socket, service: "agent")["allowed"] as? Bool == true)
            // Half: one record through each daemon.
            #expect(try clientA.request(Self.record("agent", id: "a1", tokens: tokens)) == #"{"ok":true}"#)
            #expect(try clientB.request(Self.record("agent", id: "b1", tokens: tokens)) == #"{"ok":true}"#)
            // This host's acks count within a second, flushed or not (and at once once
            // the prices and the first read are in).
            let acked = ContinuousClock.now
            #expect(
                DaemonProcess.eventually(timeout: 5) {
                    ((try? Self.budget(a.socket, service: "agent")["budgets"] as? [[String: Any]])?.first?["spent_usd"] as? String)
                        .map { $0 != "0" } == true
                })
            #expect(ContinuousClock.now - acked < .seconds(1))
            // The limit: the last record is acknowledged, and then both refuse.
            #expect(try clientA.request(Self.record("agent", id: "a2", tokens: tokens)) == #"{"ok":true}"#)
            let last = try clientB.request(Self.record("agent", id: "b2", tokens: tokens)) ?? ""
            let over = ContinuousClock.now
            #expect(last == #"{"ok":true,"budget":"exceeded","budget_name":"agent-day"}"# || last == #"{"ok":true}"#)
            for socket in [a.socket, b.socket] {
                #expect(DaemonProcess.eventually(timeout: 10) { (try? Self.budget(socket, service: "agent")["allowed"] as? Bool) == false })
            }
            let took = ContinuousClock.now - over
            #expect(took < .milliseconds(200 + 1_000 + 500), "refused after \(took) (flush interval 0.2 s)")
            // STATUS names the exceeded budget, and the host that announced an event says which.
            for fixture in [a, b] {
                #expect((try? fixture.notify.wait { $0.fields["STATUS"]?.contains("budgets: exceeded agent-day") == true }) != nil)
            }
            let refusal = try Self.budget(b.socket, service: "agent")
            #expect(refusal["blocked_by"] as? [[String: String]] == [["name": "agent-day", "reason": "exceeded"]])
            let state = (refusal["budgets"] as? [[String: Any]])?.first
            #expect(state?["state"] as? String == "exceeded" && state?["remaining_usd"] as? String == "0")
            #expect(state?["stale"] as? Bool == false)
            // Acks after the limit say so, on both; the records still count.
            #expect(try clientA.request(Self.record("agent", id: "a3", tokens: 10)) == #"{"ok":true,"budget":"exceeded","budget_name":"agent-day"}"#)
            #expect(try clientB.request(Self.record("agent", id: "b3", tokens: 10)) == #"{"ok":true,"budget":"exceeded","budget_name":"agent-day"}"#)
            // The model map shows it, on both hosts.
            for fixture in [a, b] {
                #expect(
                    DaemonProcess.eventually(timeout: 5) {
                        let map = try? JSONSerialization.jsonObject(with: Data(fixture.mapText().utf8)) as? [String: Any]
                        let agent = (map?["services"] as? [String: Any])?["agent"] as? [String: Any]
                        let budget = agent?["budget"] as? [String: String]
                        return budget?["state"] == "exceeded" && budget?["budget"] == "agent-day"
                    }, "\(fixture.mapText())")
            }
            // Another service is not under this budget.
            #expect(try Self.budget(a.socket, service: "other")["allowed"] as? Bool == true)
            #expect(try clientA.request(Self.record("other", id: "o1", tokens: 10)) == #"{"ok":true}"#)

            // Each threshold: one row, announced by exactly one daemon, logged once in all.
            let connection = try PostgresConnection(ConnectionOptions(conninfo: a.url))
            #expect(
                DaemonProcess.eventually(timeout: 10) {
                    (try? connection.query("SELECT count(*) AS n FROM budget_events WHERE announced_by IS NOT NULL").rows[0]["n"]) == "2"
                })
            let rows = try connection.query("SELECT threshold::text AS t FROM budget_events ORDER BY threshold").rows.map { $0["t"] }
            #expect(rows == ["0.5", "1"])
            Thread.sleep(forTimeInterval: 1.5)  // a second refresh on each: nothing is announced again
            let logs = daemonA.log + daemonB.log
            #expect(logs.components(separatedBy: "budget threshold crossed").count - 1 == 1, "\(logs.suffix(2_000))")
            #expect(logs.components(separatedBy: "budget limit reached").count - 1 == 1)
            let ran = (try? String(contentsOfFile: runs, encoding: .utf8)) ?? ""
            #expect(ran.split(separator: "\n").sorted() == ["agent-day 0.5", "agent-day 1"], "\(ran)")
            #expect(daemonA.stop() == 0 && daemonB.stop() == 0)
            // Every acknowledged record counted once, in model_usage and in the ledger.
            let total = try connection.query("SELECT sum(request_count)::text AS n FROM model_usage").rows[0]["n"]
            #expect(total == "7")
            let ledger = try connection.query("SELECT spent_usd::text AS v FROM providerd_budget_spend").rows[0]["v"]
            let usage = try connection.query("SELECT sum(estimated_cost)::text AS v FROM model_usage WHERE service_name = 'agent'").rows[0]["v"]
            #expect(ledger == usage)
        }
    }

    @Test(
        "withhold_key: the provider's lines leave the env file when its budget is exceeded (STATUS, check and models.json say so), and come back when it is not"
    )
    func withholdKey() async throws {
        try await onThread {
            let fixture = try DaemonFixture()
            try fixture.cli.succeed(["keys", "set", "openai", "--base-url", "https://llm.example/v1"], stdin: "sk-openai-withheld")
            try fixture.cli.succeed(["keys", "set", "anthropic"], stdin: "sk-ant-stays")
            try fixture.cli.succeed(["models", "set", "agent", Self.model])
            let unit = try Self.cost(tokens: 100_000)
            try fixture.cli.succeed([
                "budgets", "set", "openai-cap", "--scope", "provider:openai", "--period", "month", "--limit", "\(unit * 2)", "--action",
                "withhold_key",
            ])
            let daemon = try fixture.start()
            _ = try fixture.waitReady()
            #expect(fixture.envFileEventually(contains: "OPENAI_API_KEY="))
            let client = try UnixSocketClient(path: fixture.socket)
            for id in ["w1", "w2"] { #expect(try client.request(Self.record("agent", id: id, tokens: 100_000)) == #"{"ok":true}"#) }
            #expect(DaemonProcess.eventually(timeout: 5) { !fixture.envText().contains("OPENAI") }, "\(fixture.envText())")
            #expect(fixture.envText().contains("ANTHROPIC_API_KEY="))
            let status = try fixture.notify.wait { $0.fields["STATUS"]?.contains("key withheld: openai (budget openai-cap)") == true }
            #expect(status.message.fields["STATUS"] != nil)
            #expect(daemon.log.contains("provider key withheld from the env file"))
            let map = try JSONSerialization.jsonObject(with: Data(fixture.mapText().utf8)) as? [String: Any]
            let agent = (map?["services"] as? [String: Any])?["agent"] as? [String: Any]
            #expect(agent?["api_key_configured"] as? Bool == false)
            #expect((agent?["budget"] as? [String: String])?["state"] == "exceeded")
            // check reads the database: once the records are flushed it says so too.
            #expect(
                DaemonProcess.eventually(timeout: 5) {
                    (try? fixture.renderCLI.run(["check"]).stdoutText.contains("openai's key is withheld from the env file until")) == true
                })
            // A raised limit: the key is back at once, with the same value.
            try fixture.cli.succeed([
                "budgets", "set", "openai-cap", "--scope", "provider:openai", "--period", "month", "--limit", "\(unit * 4)", "--action",
                "withhold_key",
            ])
            #expect(fixture.envFileEventually(contains: "OPENAI_API_KEY=sk-openai-withheld"), "\(fixture.envText())")
            #expect(fixture.envText().contains("OPENAI_BASE_URL=https://llm.example/v1"))
            #expect(DaemonProcess.eventually(timeout: 5) { daemon.log.contains("provider key back in the env file") })
            #expect(daemon.stop() == 0)
        }
    }

    @Test("with a flush a minute away, this host's acks are in its answer within a second, and its acks say exceeded")
    func acksBeforeFlush() async throws {
        try await onThread {
            let fixture = try DaemonFixture()
            fixture.extraEnvironment["PROVIDERD_FLUSH_INTERVAL"] = "60"
            let unit = try Self.cost(tokens: 100_000)
            try fixture.cli.succeed(["budgets", "set", "cap", "--scope", "service:agent", "--period", "day", "--limit", "\(unit * 2)", "--action", "block"])
            let daemon = try fixture.start()
            _ = try fixture.waitReady()
            let client = try UnixSocketClient(path: fixture.socket)
            #expect(DaemonProcess.eventually(timeout: 5) { (try? Self.budget(fixture.socket, service: "agent")["budgets"] as? [Any])?.count == 1 })
            #expect(try client.request(Self.record("agent", id: "r1", tokens: 100_000)) == #"{"ok":true}"#)
            let acked = ContinuousClock.now
            #expect(
                DaemonProcess.eventually(timeout: 5) {
                    ((try? Self.budget(fixture.socket, service: "agent")["budgets"] as? [[String: Any]])?.first?["spent_usd"] as? String)
                        == "\(unit)"
                })
            #expect(ContinuousClock.now - acked < .seconds(1))
            #expect(try client.request(Self.record("agent", id: "r2", tokens: 100_000))?.hasPrefix(#"{"ok":true"#) == true)
            // The budget op includes the ack just made; acks say exceeded from the next
            // settle on (within 0.2 s), without waiting for a flush.
            #expect(try Self.budget(fixture.socket, service: "agent")["allowed"] as? Bool == false)
            #expect(try client.request(Self.record("agent", id: "r3", tokens: 10)) == #"{"ok":true,"budget":"exceeded","budget_name":"cap"}"#)
            let connection = try PostgresConnection(ConnectionOptions(conninfo: fixture.url))
            #expect(try connection.query("SELECT count(*) AS n FROM model_usage").rows[0]["n"] == "0", "nothing flushed yet")
            #expect(daemon.stop() == 0)
            #expect(try connection.query("SELECT sum(request_count)::text AS n FROM model_usage").rows[0]["n"] == "3", "flushed at the stop")
        }
    }

    @Test("budgets.unpriced block: a block budget refuses a model the price table does not know, names the reason, and lets priced models through")
    func unpricedBlocks() async throws {
        try await onThread {
            let fixture = try DaemonFixture()
            fixture.extraEnvironment["PROVIDERD_BUDGETS_UNPRICED"] = "block"
            try fixture.cli.succeed(["budgets", "set", "cap", "--scope", "global", "--period", "month", "--limit", "100", "--action", "block"])
            let daemon = try fixture.start()
            _ = try fixture.waitReady()
            #expect(DaemonProcess.eventually(timeout: 5) { (try? Self.budget(fixture.socket, service: "s")["budgets"] as? [Any])?.count == 1 })
            let unknown = try Self.budget(fixture.socket, service: "s", model: "acme:secret-model")
            #expect(unknown["allowed"] as? Bool == false)
            #expect(unknown["blocked_by"] as? [[String: String]] == [["name": "cap", "reason": "unpriced"]])
            #expect(try Self.budget(fixture.socket, service: "s", model: "openai:gpt-4o")["allowed"] as? Bool == true)
            // An unpriced record still counts, at prices.unknown, and says so.
            let client = try UnixSocketClient(path: fixture.socket)
            #expect(
                try client.request(#"{"service_name":"s","model_string":"acme:secret-model","input_tokens":1000,"output_tokens":1000,"id":"u1"}"#)
                    == #"{"ok":true}"#)
            #expect(
                DaemonProcess.eventually(timeout: 5) {
                    ((try? Self.budget(fixture.socket, service: "s")["budgets"] as? [[String: Any]])?.first?["unpriced_requests"] as? Int) == 1
                })
            let state = (try Self.budget(fixture.socket, service: "s")["budgets"] as? [[String: Any]])?.first
            #expect(state?["spent_usd"] as? String == "0.003", "the seed's fallback: 0.001 + 0.002 per thousand tokens")
            #expect(daemon.stop() == 0)
        }
    }

    @Test("the database gone: answers say stale; with budgets.fail_closed a block budget refuses while stale, and allows again once it is back")
    func staleState() async throws {
        try await onThread {
            let fixture = try DaemonFixture(ownCluster: true)
            let cluster = try #require(fixture.cluster)
            try fixture.cli.succeed(["budgets", "set", "cap", "--scope", "global", "--period", "month", "--limit", "100", "--action", "block"])
            fixture.extraEnvironment["PROVIDERD_BUDGETS_STALE_AFTER"] = "2"
            let open = try fixture.start()
            _ = try fixture.waitReady()
            #expect(DaemonProcess.eventually(timeout: 5) { (try? Self.budget(fixture.socket, service: "s")["budgets"] as? [Any])?.count == 1 })
            try cluster.stop()
            #expect(
                DaemonProcess.eventually(timeout: 10) {
                    ((try? Self.budget(fixture.socket, service: "s")["budgets"] as? [[String: Any]])?.first?["stale"] as? Bool) == true
                })
            let stale = try Self.budget(fixture.socket, service: "s")
            #expect(stale["allowed"] as? Bool == true, "fail-open by default")
            #expect(open.stop() == 0)

            fixture.extraEnvironment["PROVIDERD_BUDGETS_FAIL_CLOSED"] = "true"
            try cluster.resume()
            let closed = try fixture.start()
            _ = try fixture.waitReady()
            #expect(DaemonProcess.eventually(timeout: 5) { (try? Self.budget(fixture.socket, service: "s")["budgets"] as? [Any])?.count == 1 })
            #expect(try Self.budget(fixture.socket, service: "s")["allowed"] as? Bool == true)
            try cluster.stop()
            #expect(DaemonProcess.eventually(timeout: 10) { (try? Self.budget(fixture.socket, service: "s")["allowed"] as? Bool) == false })
            let refused = try Self.budget(fixture.socket, service: "s")
            #expect(refused["blocked_by"] as? [[String: String]] == [["name": "cap", "reason": "stale"]])
            #expect(closed.stop() == 0)
            // Started with the database already gone (READY from the sealed state): no
            // budget has been read, and fail-closed refuses rather than allow blind.
            let blind = try fixture.start()
            _ = try fixture.waitReady()
            #expect(
                DaemonProcess.eventually(timeout: 10) {
                    (try? Self.budget(fixture.socket, service: "s")["blocked_by"] as? [[String: String]]) == [
                        ["name": BudgetVerdict.unknownBudgets, "reason": "stale"]
                    ]
                })
            try cluster.resume()
            #expect(DaemonProcess.eventually(timeout: 10) { (try? Self.budget(fixture.socket, service: "s")["allowed"] as? Bool) == true })
            #expect(blind.stop() == 0)
        }
    }
}
