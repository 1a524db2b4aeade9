import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

/// The dashboard as a real client of the sidecar: a change made through the API
/// reaches the files a running `providerd run` keeps, through the database alone.
@Suite("providerd dashboard with a running sidecar", .enabled(if: TestEnvironment.databaseTestsEnabled))
struct DashboardSidecarTests {
    @Test("a model set and a key stored through the API are rewritten into models.json and the env file; a block budget set there blocks on the socket")
    func changeReachesSidecar() throws {
        let fixture = try DaemonFixture()
        try fixture.start()
        _ = try fixture.waitReady()
        let dashboard = try DashboardProcess(database: fixture.database, encryptionKey: fixture.key.base64)
        let admin = try dashboard.login(dashboard.adminToken)
        let browser = ["Cookie": admin.cookie, "X-CSRF-Token": admin.csrf, "Origin": dashboard.base, "Sec-Fetch-Site": "same-origin"]
        let set = try dashboard.call("PUT", "/api/v1/models/rag_agent", headers: browser, body: #"{"model":"groq:llama-3.1-8b-instant","temperature":0.1}"#)
        #expect(set.status == 200, "\(set.body)")
        #expect(DaemonProcess.eventually { fixture.mapText().contains("\"model\" : \"groq:llama-3.1-8b-instant\"") }, "\(fixture.mapText())")
        let secret = "gsk-\(UUID().uuidString)"
        let key = try dashboard.call("PUT", "/api/v1/keys/groq", token: dashboard.adminToken, body: #"{"key":"\#(secret)"}"#)
        #expect(key.status == 200, "\(key.body)")
        #expect(fixture.envFileEventually(contains: "GROQ_API_KEY=\(secret)"), "the sidecar decrypts what the dashboard encrypted")
        let budget = try dashboard.call(
            "PUT", "/api/v1/budgets/tiny", token: dashboard.adminToken,
            body: #"{"scope":"service:rag_agent","period":"day","limit_usd":"0.000001","action":"block"}"#)
        #expect(budget.status == 200, "\(budget.body)")
        try fixture.cli.succeed(["usage", "push", "--service", "rag_agent", "--model", "openai:gpt-4o", "--input", "100000", "--socket", fixture.socket])
        let blocked = DaemonProcess.eventually(timeout: 15) {
            let client = try? UnixSocketClient(path: fixture.socket)
            let reply = (try? client?.request(#"{"op":"budget","service_name":"rag_agent","model_string":"openai:gpt-4o"}"#)) ?? ""
            return reply.contains(#""allowed":false"#)
        }
        #expect(blocked)
        #expect(!dashboard.log.contains(secret))
    }

    @Test(
        "the usage deltas every write appends are moved into the rollups by the sidecar's flusher, and by the dashboard when only others write; the reports stay exact"
    )
    func rollupsCompacted() throws {
        let fixture = try DaemonFixture()
        let daemon = try fixture.start()
        _ = try fixture.waitReady()
        let connection = try PostgresConnection(ConnectionOptions(conninfo: fixture.url))
        func deltas() -> Int? { try? connection.query("SELECT count(*)::int AS n FROM providerd_usage_delta").rows[0].int("n") }
        let acked = try DaemonUsageTests.send(path: fixture.socket, prefix: "rollup", range: 0..<500)
        #expect(acked.count == 500)
        #expect(DaemonProcess.eventually(timeout: 30) { (try? DaemonUsageTests.totals(fixture.url).requests) == 500 })
        #expect(DaemonProcess.eventually(timeout: 15) { deltas() == 0 }, "the flusher compacts after a pass that committed")
        #expect(daemon.stop() == 0)

        // Written by another client (the replaced Python library): no flusher commits.
        for day in 0..<3 {
            try connection.query(
                "SELECT increment_usage('other', 'openai:gpt-4o', 10, 0.5, date_trunc('day', now()) - $1::int * interval '1 day')", [day])
        }
        #expect(deltas() == 3)
        let dashboard = try DashboardProcess(database: fixture.database, encryptionKey: fixture.key.base64)
        #expect(DaemonProcess.eventually(timeout: 15) { deltas() == 0 }, "the dashboard compacts every 5 s")
        let summary = try dashboard.call(
            "GET", "/api/v1/usage/summary?since=\(UsageStore.today(offsetDays: -2))&until=\(UsageStore.today())", token: dashboard.viewerToken)
        #expect(summary.status == 200)
        #expect(summary.body.contains(#""total_requests":503"#), "\(summary.body)")
    }
}
