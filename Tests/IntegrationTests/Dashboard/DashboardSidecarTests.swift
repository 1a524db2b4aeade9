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
}
