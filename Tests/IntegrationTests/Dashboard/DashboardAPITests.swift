import Foundation
import ProviderdCore
import TestSupport
import Testing

/// The endpoints against the CLI: the same stores, the same validation, the same JSON.
@Suite("providerd dashboard: the API mirrors the CLI", .enabled(if: TestEnvironment.databaseTestsEnabled))
struct DashboardAPITests {
    func json(_ reply: HTTPReply, _ status: Int = 200, sourceLocation: SourceLocation = #_sourceLocation) -> [String: Any] {
        #expect(reply.status == status, "\(reply.status) \(reply.body)", sourceLocation: sourceLocation)
        return reply.json ?? [:]
    }

    @Test("models: list equals `models list --json`; set records the user; bulk update; 422 names the field and writes nothing")
    func models() throws {
        let dashboard = try DashboardProcess()
        let token = dashboard.adminToken
        let set = json(
            try dashboard.call("PUT", "/api/v1/models/rag_agent", token: token, body: #"{"model":"openai:gpt-4o","temperature":0.2,"max_tokens":512}"#))
        #expect(set["service"] as? String == "rag_agent" && set["model"] as? String == "openai:gpt-4o")
        let listed = json(try dashboard.call("GET", "/api/v1/models", token: dashboard.viewerToken))
        let cli = try dashboard.cli.json(["models", "list"]) as? [String: Any]
        #expect(NSDictionary(dictionary: listed).isEqual(to: cli ?? [:]), "the API's JSON is the CLI's")
        let rag = (listed["services"] as? [[String: Any]])?.first { $0["service"] as? String == "rag_agent" }
        #expect(rag?["updated_by"] as? String == "alice" && rag?["max_tokens"] as? Int == 512 && rag?["temperature"] as? Double == 0.2)
        let bulk = json(
            try dashboard.call(
                "POST", "/api/v1/models/bulk-update", token: token, body: #"{"from":"openai","to":"openrouter","map":{"gpt-4o":"openai/gpt-4o"}}"#))
        #expect(bulk["updated"] as? Int ?? 0 >= 3)
        #expect((bulk["services"] as? [[String: Any]])?.contains { $0["model"] as? String == "openrouter:openai/gpt-4o" } == true)
        let bad: [(String, String, String)] = [
            ("/api/v1/models/rag_agent", #"{"model":"openai:gpt-4o","temperature":2.5}"#, "temperature"),
            ("/api/v1/models/rag_agent", #"{"model":"openai:gpt-4o","max_tokens":0}"#, "max_tokens"),
            ("/api/v1/models/rag_agent", #"{"model":"openai:gpt-4o","max_tokens":99999999999}"#, "max_tokens"),
            ("/api/v1/models/rag_agent", #"{"model":"no-colon"}"#, "model"),
            ("/api/v1/models/rag_agent", #"{"model":5}"#, "model"),
            ("/api/v1/models/rag_agent", #"{"temperature":1}"#, "model"),
            ("/api/v1/models/" + String(repeating: "s", count: 300), #"{"model":"openai:gpt-4o"}"#, "service"),
            ("/api/v1/models/bad%01name", #"{"model":"openai:gpt-4o"}"#, "service"),
        ]
        for (path, body, field) in bad {
            let reply = try dashboard.call("PUT", path, token: token, body: body)
            let fields = (reply.json?["fields"] as? [[String: String]])?.map { $0["field"] ?? "" } ?? []
            #expect(reply.status == 422 && reply.errorCode == "invalid" && fields.contains(field), "\(path) \(body): \(reply.status) \(reply.body)")
        }
        let after = try dashboard.database.connect().query("SELECT temperature::text AS t FROM model_config WHERE service_name = 'rag_agent'").rows
        #expect(after.first?["t"] == "0.2", "no bad request wrote anything")
        #expect(dashboard.log.contains("dashboard write") && dashboard.log.contains("models.set"))
    }

    @Test("keys: write-only; set, rotate and deactivate record the user; no key in any response or log; bad input named")
    func keys() throws {
        let dashboard = try DashboardProcess()
        let token = dashboard.adminToken
        let secret = "sk-live-\(UUID().uuidString)", rotated = "sk-rot-\(UUID().uuidString)"
        let stored = json(
            try dashboard.call(
                "PUT", "/api/v1/keys/openai", token: token,
                body: #"{"key":"\#(secret)","base_url":"https://proxy.example/v1","headers":{"X-Org":"acme"}}"#))
        #expect(stored["action"] as? String == "created" && stored["fingerprint"] as? String == Fingerprint.hex(of: secret))
        #expect(stored["key_id"] as? String != nil)
        let rotate = json(try dashboard.call("POST", "/api/v1/keys/openai/rotate", token: token, body: #"{"key":"\#(rotated)"}"#))
        #expect(rotate["action"] as? String == "rotated")
        let list = json(try dashboard.call("GET", "/api/v1/keys", token: dashboard.viewerToken))
        let row = (list["keys"] as? [[String: Any]])?.first
        #expect(row?["fingerprint"] as? String == Fingerprint.hex(of: rotated) && row?["updated_by"] as? String == "alice")
        #expect(row?["header_names"] as? [String] == ["X-Org"] && row?["base_url"] as? String == "https://proxy.example/v1")
        // The key decrypts to what was sent: the CLI's own decryption.
        let cliList = try dashboard.cli.json(["keys", "list"]) as? [String: Any]
        #expect((cliList?["keys"] as? [[String: Any]])?.first?["fingerprint"] as? String == Fingerprint.hex(of: rotated))
        #expect(json(try dashboard.call("POST", "/api/v1/keys/openai/deactivate", token: token))["action"] as? String == "deactivated")
        #expect(try dashboard.call("POST", "/api/v1/keys/nosuch/deactivate", token: token).status == 404)
        #expect(try dashboard.call("POST", "/api/v1/keys/nosuch/rotate", token: token, body: #"{"key":"sk-x"}"#).status == 404)
        let bad: [(String, String, String)] = [
            ("/api/v1/keys/openai", #"{"key":"sk-a","base_url":"file:///etc/passwd"}"#, "base_url"),
            ("/api/v1/keys/openai", #"{"key":"sk-a","base_url":"gopher://x"}"#, "base_url"),
            ("/api/v1/keys/openai", #"{"key":""}"#, "key"),
            ("/api/v1/keys/openai", #"{"key":"sk-a\nINJECTED=1"}"#, "key"),
            ("/api/v1/keys/openai", #"{"key":"sk-a","headers":{"Bad Name":"x"}}"#, "headers"),
            ("/api/v1/keys/openai", #"{"key":"sk-a","headers":{"A=B":"x"}}"#, "headers"),
            ("/api/v1/keys/openai", #"{"key":"sk-a","base_url":"https://x","clear_base_url":true}"#, "base_url"),
            ("/api/v1/keys/Open%20AI", #"{"key":"sk-a"}"#, "provider"),
        ]
        for (path, body, field) in bad {
            let reply = try dashboard.call("PUT", path, token: token, body: body)
            let fields = (reply.json?["fields"] as? [[String: String]])?.map { $0["field"] ?? "" } ?? []
            #expect(reply.status == 422 && fields.contains(field), "\(path) \(body): \(reply.status) \(reply.body)")
            #expect(!reply.body.contains("sk-a"), "an error never repeats the key")
        }
        // No stored key in any response of any read endpoint, nor in the log.
        for path in ["/api/v1/keys", "/api/v1/models", "/api/v1/session", "/api/v1/budgets", "/api/v1/sidecars", "/api/v1/usage/summary"] {
            let body = try dashboard.call("GET", path, token: token).body
            #expect(!body.contains(secret) && !body.contains(rotated), "\(path)")
        }
        #expect(!dashboard.log.contains(secret) && !dashboard.log.contains(rotated) && dashboard.log.contains("keys.rotate"))
    }

    @Test("usage: summary, daily and estimate equal the CLI's; the CSV holds the rows with formulas defused; ranges are bounded")
    func usage() throws {
        let dashboard = try DashboardProcess()
        let connection = try dashboard.database.connect()
        for (day, service, model, cost) in [
            (0, "rag", "openai:gpt-4o", "1.25"), (1, "rag", "openai:gpt-4o-mini", "0.5"), (2, "=cmd|' /C calc'!A0", "openai:gpt-4o", "2"),
            (40, "old", "openai:gpt-4o", "9"),
        ] {
            try connection.query(
                """
                INSERT INTO model_usage (service_name, model_string, period_start, period_end, request_count, total_tokens, estimated_cost,
                                         input_tokens, output_tokens)
                VALUES ($1, $2, date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - $3::int * interval '1 day',
                        date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - ($3::int - 1) * interval '1 day', 10, 300, $4::numeric, 200, 100)
                """, [service, model, day, cost])
        }
        let token = dashboard.viewerToken
        let summary = json(try dashboard.call("GET", "/api/v1/usage/summary", token: token))
        let cliSummary = try dashboard.cli.json(["usage", "summary"]) as? [String: Any]
        #expect(NSDictionary(dictionary: summary).isEqual(to: cliSummary ?? [:]))
        #expect(summary["total_cost"] as? String == "3.75")
        let daily = json(try dashboard.call("GET", "/api/v1/usage/daily", token: token))
        let cliDaily = try dashboard.cli.json(["usage", "daily", "--days", "7"]) as? [String: Any]
        let apiDays = (daily["days"] as? [[String: Any]])?.map { [$0["date"] as? String ?? "", $0["cost"] as? String ?? ""] }
        let cliDays = (cliDaily?["days"] as? [[String: Any]])?.map { [$0["date"] as? String ?? "", $0["cost"] as? String ?? ""] }
        #expect(apiDays != nil && apiDays == cliDays)
        let byModel = json(try dashboard.call("GET", "/api/v1/usage/daily?group_by=model", token: token))
        // A series per model, aligned with the days: yesterday is the second to last.
        let series = byModel["series"] as? [[String: Any]]
        #expect(series?.map { $0["key"] as? String } == ["openai:gpt-4o", "openai:gpt-4o-mini"])
        #expect(series?.last?["costs"] as? [String] == ["0", "0", "0", "0", "0", "0.5", "0"])
        #expect(series?.first?["costs"] as? [String] == ["0", "0", "0", "0", "2", "0", "1.25"])
        #expect(json(try dashboard.call("GET", "/api/v1/usage/daily", token: token))["series"] == nil, "no grouping, no series")
        let estimate = json(try dashboard.call("GET", "/api/v1/usage/estimate", token: token))
        let cliEstimate = try dashboard.cli.json(["usage", "estimate"]) as? [String: Any]
        #expect(NSDictionary(dictionary: estimate).isEqual(to: cliEstimate ?? [:]))
        let csv = try dashboard.call("GET", "/api/v1/usage/export?since=\(UsageStore.today(offsetDays: -60))", token: token)
        #expect(csv.status == 200 && csv.header("content-type")?.hasPrefix("text/csv") == true)
        let lines = csv.body.split(separator: "\n")
        #expect(lines.count == 5 && lines[0].hasPrefix("date,service,model,requests"))
        #expect(csv.body.contains(#""'=cmd|' /C calc'!A0""#), "a formula is defused")
        for (query, field) in [
            ("since=2020-01-01&until=2026-01-01", "since"), ("since=2026-13-01", "since"), ("until=yesterday", "until"),
            ("since=2026-02-01&until=2026-01-01", "since"),
        ] {
            let reply = try dashboard.call("GET", "/api/v1/usage/summary?\(query)", token: token)
            let fields = (reply.json?["fields"] as? [[String: String]])?.map { $0["field"] ?? "" } ?? []
            #expect(reply.status == 422 && fields.contains(field), "\(query): \(reply.body)")
        }
        #expect(try dashboard.call("GET", "/api/v1/usage/daily?group_by=provider", token: token).status == 422)
    }

    @Test("budgets: set, list, status, events, delete as the CLI; updated_by; every bad field named; recommendations equal the CLI's")
    func budgetsAndRecommendations() throws {
        let dashboard = try DashboardProcess()
        let token = dashboard.adminToken
        let set = json(
            try dashboard.call(
                "PUT", "/api/v1/budgets/monthly", token: token,
                body: #"{"scope":"global","period":"month","limit_usd":"100","thresholds":["0.5","1"],"action":"block"}"#))
        #expect(set["created"] as? Bool == true && (set["budget"] as? [String: Any])?["state"] as? String == "ok")
        let list = json(try dashboard.call("GET", "/api/v1/budgets", token: dashboard.viewerToken))
        let cliList = try dashboard.cli.json(["budgets", "list"]) as? [String: Any]
        #expect(NSDictionary(dictionary: list).isEqual(to: cliList ?? [:]))
        #expect((list["budgets"] as? [[String: Any]])?.first?["updated_by"] as? String == "alice")
        let status = json(try dashboard.call("GET", "/api/v1/budgets/status", token: token))
        #expect((status["budgets"] as? [[String: Any]])?.first?["limit_usd"] as? String == "100")
        #expect(json(try dashboard.call("GET", "/api/v1/budgets/events?name=monthly&limit=5", token: token))["events"] as? [Any] != nil)
        let bad: [(String, String)] = [
            (#"{"scope":"global","period":"year","limit_usd":"1"}"#, "period"),
            (#"{"scope":"global","period":"day","limit_usd":"-1"}"#, "limit_usd"),
            (#"{"scope":"global","period":"day","limit_usd":"1e3"}"#, "limit_usd"),
            (#"{"scope":"team:x","period":"day","limit_usd":"1"}"#, "scope"),
            (#"{"scope":"global","period":"day","limit_usd":"1","thresholds":["0.5,0.8"]}"#, "thresholds"),
            (#"{"scope":"global","period":"day","limit_usd":"1","thresholds":["11"]}"#, "thresholds"),
            (#"{"scope":"service:rag","period":"day","limit_usd":"1","action":"withhold_key"}"#, "action"),
            (#"{"scope":"global","period":"day"}"#, "limit_usd"),
        ]
        for (body, field) in bad {
            let reply = try dashboard.call("PUT", "/api/v1/budgets/b2", token: token, body: body)
            let fields = (reply.json?["fields"] as? [[String: String]])?.map { $0["field"] ?? "" } ?? []
            #expect(reply.status == 422 && fields.contains(field), "\(body): \(reply.status) \(reply.body)")
        }
        #expect(try dashboard.call("PUT", "/api/v1/budgets/bad%20name", token: token, body: bad[0].0).status == 422)
        #expect(try dashboard.call("DELETE", "/api/v1/budgets/monthly", token: token).status == 204)
        #expect(try dashboard.call("DELETE", "/api/v1/budgets/monthly", token: token).errorCode == "not_found")
        #expect(try dashboard.database.connect().query("SELECT 1 FROM budgets").rows.isEmpty)

        try dashboard.database.connect().query(
            """
            INSERT INTO model_usage (service_name, model_string, period_start, period_end, request_count, total_tokens, estimated_cost,
                                     input_tokens, output_tokens, cache_read_tokens)
            VALUES ('rag_agent', 'openai:gpt-4o-mini', date_trunc('day', now()), date_trunc('day', now()) + interval '1 day', 50, 0, 1, 200000, 20000, 5000)
            """)
        let recommended = json(try dashboard.call("GET", "/api/v1/recommendations?service=rag_agent&days=30", token: token))
        let cliRecommended = try dashboard.cli.json(["models", "recommend", "rag_agent", "--days", "30"]) as? [String: Any]
        #expect(NSDictionary(dictionary: recommended).isEqual(to: cliRecommended ?? [:]), "the API's report is the CLI's, from the same ModelRecommender")
        #expect((recommended["candidates"] as? [Any])?.isEmpty == false)
        // top: the first candidates of the same report, the rest whole.
        let top = json(try dashboard.call("GET", "/api/v1/recommendations?service=rag_agent&days=30&top=3", token: token))
        let first3 = ((recommended["candidates"] as? [[String: Any]]) ?? []).prefix(3).map { NSDictionary(dictionary: $0) }
        #expect(((top["candidates"] as? [[String: Any]]) ?? []).map { NSDictionary(dictionary: $0) } == Array(first3))
        #expect(NSArray(array: top["excluded"] as? [Any] ?? []).isEqual(to: recommended["excluded"] as? [Any] ?? ["?"]))
        let zero = try dashboard.call("GET", "/api/v1/recommendations?service=rag_agent&top=0", token: token)
        #expect(zero.status == 422 && (zero.json?["fields"] as? [[String: String]])?.first?["field"] == "top")
        #expect(try dashboard.call("GET", "/api/v1/recommendations?service=nosuch", token: token).status == 404)
        #expect(try dashboard.call("GET", "/api/v1/recommendations?service=rag_agent&days=0", token: token).status == 422)
        let missing = try dashboard.call("GET", "/api/v1/recommendations", token: token)
        #expect(missing.status == 422 && (missing.json?["fields"] as? [[String: String]])?.first?["field"] == "service")
    }

    @Test("sidecars: every providerd_instances row, stale ones flagged")
    func sidecars() throws {
        let dashboard = try DashboardProcess()
        try dashboard.database.connect().query(
            """
            INSERT INTO providerd_instances (instance_id, hostname, first_seen, last_seen) VALUES
              ('11111111-1111-1111-1111-111111111111', 'web-1', now() - interval '2 days', now()),
              ('22222222-2222-2222-2222-222222222222', 'web-2', now() - interval '2 days', now() - interval '1 hour')
            """)
        let sidecars = json(try dashboard.call("GET", "/api/v1/sidecars", token: dashboard.viewerToken))["sidecars"] as? [[String: Any]] ?? []
        #expect(sidecars.map { $0["hostname"] as? String } == ["web-1", "web-2"])
        #expect(sidecars.map { $0["stale"] as? Bool } == [false, true])
    }

    @Test("SQL metacharacters in every string field are data: stored and read back as sent, or refused by the CLI's rule; no table is harmed")
    func sqlMetacharacters() throws {
        let dashboard = try DashboardProcess()
        let token = dashboard.adminToken
        let hostile = ["'; DROP TABLE api_keys; --", "\" OR 1=1 --", "x' OR 'a'='a", "\\'; SELECT pg_sleep(5); --", "$1 $$ %s %", "rag'/*", "O'Brien"]
        for (index, value) in hostile.enumerated() {
            let service = value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            let set = try dashboard.call("PUT", "/api/v1/models/\(service)", token: token, body: #"{"model":"openai:\#(escaped)"}"#)
            #expect(set.status == 200, "\(value): \(set.body)")
            let reads: [String] = [
                "/api/v1/usage/summary?service=\(service)", "/api/v1/usage/export?service=\(service)", "/api/v1/recommendations?service=\(service)",
                "/api/v1/budgets/events?name=\(service)",
            ]
            for path in reads {
                let reply = try dashboard.call("GET", path, token: token)
                #expect([200, 404, 422].contains(reply.status), "\(path): \(reply.status)")
            }
            for (path, body) in [
                ("/api/v1/keys/\(service)", #"{"key":"k\#(index)","base_url":"https://x/\#(service)"}"#),
                ("/api/v1/budgets/\(service)", #"{"scope":"service:\#(escaped)","period":"day","limit_usd":"1"}"#),
                ("/api/v1/budgets/b\(index)", #"{"scope":"model:openai:\#(escaped)","period":"day","limit_usd":"1"}"#),
                ("/api/v1/models/bulk-update", #"{"from":"\#(escaped)","to":"openai"}"#),
                ("/api/v1/session", #"{"token":"\#(escaped)"}"#),
            ] {
                let reply = try dashboard.call(path.hasSuffix("bulk-update") || path.hasSuffix("session") ? "POST" : "PUT", path, token: token, body: body)
                #expect([200, 401, 404, 422].contains(reply.status), "\(path) \(body): \(reply.status) \(reply.body)")
            }
        }
        let models = json(try dashboard.call("GET", "/api/v1/models", token: token))["services"] as? [[String: Any]] ?? []
        for value in hostile {
            #expect(models.contains { $0["service"] as? String == value && $0["model"] as? String == "openai:\(value)" }, "\(value) read back as sent")
        }
        let tables = try dashboard.database.connect().query(
            "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN ('api_keys', 'model_config', 'model_usage', 'budgets')"
        ).rows
        #expect(tables.first?["n"] == "4")
    }
}
