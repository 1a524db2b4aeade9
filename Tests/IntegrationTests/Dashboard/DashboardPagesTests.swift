import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

/// The pages as an attacker and an operator meet them over HTTP: who may see
/// and post what, from where, with which headers; and the API endpoint the
/// overview reads. The browser itself is `DashboardBrowserTests`.
@Suite("providerd dashboard's pages over HTTP", .enabled(if: TestEnvironment.databaseTestsEnabled))
struct DashboardPagesTests {
    static let form = ["Content-Type": "application/x-www-form-urlencoded"]

    /// Logs in through the login form, as a browser does: the session cookie,
    /// and the CSRF token the pages' forms carry.
    func pageLogin(_ dashboard: DashboardProcess, _ token: String) throws -> (cookie: String, csrf: String) {
        let reply = try dashboard.call(
            "POST", "/login", headers: Self.form.merging(["Origin": dashboard.base, "Sec-Fetch-Site": "same-origin"]) { $1 },
            body: "token=\(token)&next=models")
        guard reply.status == 303, reply.header("location") == "/models", let setCookie = reply.header("set-cookie") else {
            throw TestSupportError("page login failed: \(reply.status) \(reply.body.prefix(300))")
        }
        let cookie = String(setCookie.split(separator: ";")[0])
        let page = try dashboard.call("GET", "/models", headers: ["Cookie": cookie])
        guard let range = page.body.range(of: #"name="csrf_token" value=""#) else { throw TestSupportError("no csrf_token on /models") }
        let csrf = String(page.body[range.upperBound...].prefix { $0 != "\"" })
        return (cookie, csrf)
    }

    func model(_ dashboard: DashboardProcess, _ service: String) throws -> String? {
        let list = try dashboard.cli.succeed(["models", "list", "--json"]).stdoutText
        let rows = ((try JSONSerialization.jsonObject(with: Data(list.utf8)) as? [String: Any])?["services"] as? [[String: Any]]) ?? []
        return rows.first { $0["service"] as? String == service }?["model"] as? String
    }

    @Test("a page without a session goes to the login form (never a Bearer token: pages are the browser's); the form's cookie opens every page")
    func sessionRequired() throws {
        let dashboard = try DashboardProcess()
        for path in ["/", "/usage", "/models", "/providers", "/budgets", "/recommendations", "/nope"] {
            let reply = try dashboard.call("GET", path, token: dashboard.adminToken)
            #expect(reply.status == 303 && reply.header("location")?.hasPrefix("/login") == true, "\(path): \(reply.status)")
        }
        #expect(try dashboard.call("GET", "/models").header("location") == "/login?next=models")
        let admin = try pageLogin(dashboard, dashboard.adminToken)
        for path in ["/", "/usage", "/models", "/providers", "/budgets", "/recommendations", "/recommendations?service=rag_agent&days=7"] {
            let reply = try dashboard.call("GET", path, headers: ["Cookie": admin.cookie])
            #expect(reply.status == 200 && reply.header("content-type") == "text/html; charset=utf-8", "\(path): \(reply.status)")
            #expect(reply.body.contains("<h1>"), "\(path)")
        }
        let missing = try dashboard.call("GET", "/nope", headers: ["Cookie": admin.cookie])
        #expect(missing.status == 404 && missing.body.contains("There is no such page."))
        // The page login's session is the API's too (one session table).
        #expect(try dashboard.call("GET", "/api/v1/session", headers: ["Cookie": admin.cookie]).status == 200)
    }

    @Test("a form posted from another site, without the session's CSRF token, or by a viewer is refused as a page, and nothing changes")
    func refusedPosts() throws {
        let dashboard = try DashboardProcess()
        let admin = try pageLogin(dashboard, dashboard.adminToken)
        let before = try model(dashboard, "rag_agent")
        #expect(before == "openai:gpt-4o-mini")
        let body = "csrf_token=\(admin.csrf)&service=rag_agent&model=groq%3Allama-3.1-8b-instant"
        let cases: [(String, [String: String], String)] = [
            ("Sec-Fetch-Site: cross-site", ["Sec-Fetch-Site": "cross-site"], body),
            ("Origin elsewhere", ["Origin": "http://evil.example"], body),
            ("Origin null", ["Origin": "null"], body),
            ("no CSRF token", ["Origin": dashboard.base], "service=rag_agent&model=groq%3Allama-3.1-8b-instant"),
            ("a wrong CSRF token", ["Origin": dashboard.base], "csrf_token=\(String(repeating: "A", count: admin.csrf.count))&service=rag_agent&model=x%3Ay"),
        ]
        for (name, headers, body) in cases {
            let reply = try dashboard.call("POST", "/models", headers: Self.form.merging(headers) { $1 }.merging(["Cookie": admin.cookie]) { $1 }, body: body)
            #expect(reply.status == 403 && reply.body.contains("<h1>Refused</h1>"), "\(name): \(reply.status) \(reply.body.prefix(200))")
        }
        // Another site cannot log a browser in either.
        let login = try dashboard.call(
            "POST", "/login", headers: Self.form.merging(["Origin": "http://evil.example"]) { $1 }, body: "token=\(dashboard.adminToken)")
        #expect(login.status == 403 && login.header("set-cookie") == nil)
        // A viewer sees no forms that change anything, and its posts are refused.
        let viewer = try pageLogin(dashboard, dashboard.viewerToken)
        let page = try dashboard.call("GET", "/models", headers: ["Cookie": viewer.cookie])
        #expect(page.body.contains("is a viewer") && !page.body.contains(#"action="/models""#))
        let viewerPost = try dashboard.call(
            "POST", "/models", headers: Self.form.merging(["Cookie": viewer.cookie, "Origin": dashboard.base]) { $1 },
            body: "csrf_token=\(viewer.csrf)&service=rag_agent&model=groq%3Allama-3.1-8b-instant")
        #expect(viewerPost.status == 403 && viewerPost.body.contains("viewer"))
        #expect(try model(dashboard, "rag_agent") == before)
        // The same form from this site with the token is accepted: the refusals above were the checks.
        let accepted = try dashboard.call(
            "POST", "/models", headers: Self.form.merging(["Cookie": admin.cookie, "Origin": dashboard.base, "Sec-Fetch-Site": "same-origin"]) { $1 },
            body: body)
        #expect(accepted.status == 303 && accepted.header("location") == "/models?saved=rag_agent", "\(accepted.status) \(accepted.body.prefix(300))")
        #expect(try model(dashboard, "rag_agent") == "groq:llama-3.1-8b-instant")
    }

    @Test("pages carry a CSP of 'self' only, no framing, same-origin referrers and no caching; static files are cached only when versioned")
    func headers() throws {
        let dashboard = try DashboardProcess()
        let admin = try pageLogin(dashboard, dashboard.adminToken)
        let page = try dashboard.call("GET", "/usage", headers: ["Cookie": admin.cookie])
        #expect(
            page.header("content-security-policy")
                == "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
        )
        #expect(page.header("x-frame-options") == "DENY" && page.header("referrer-policy") == "same-origin" && page.header("cache-control") == "no-store")
        guard let range = page.body.range(of: "/static/app.css?v=") else {
            Issue.record("no versioned stylesheet link")
            return
        }
        let version = String(page.body[range.upperBound...].prefix { $0 != "\"" })
        let css = try dashboard.call("GET", "/static/app.css?v=\(version)")
        #expect(css.status == 200 && css.header("content-type") == "text/css; charset=utf-8")
        #expect(css.header("cache-control") == "public, max-age=31536000, immutable")
        #expect(try dashboard.call("GET", "/static/app.css").header("cache-control") == "no-cache")
        // Gzipped for a browser that takes it (Vary says so), the same bytes once unzipped; never a page.
        let plain = try dashboard.call("GET", "/static/usage.js?v=\(version)")
        let zipped = try ProcessRunner.run(
            "/usr/bin/curl", ["-sS", "-i", "--compressed", dashboard.base + "/static/usage.js?v=\(version)"])
        #expect(zipped.stdoutText.lowercased().contains("content-encoding: gzip") && zipped.stdoutText.hasSuffix(plain.body))
        #expect(plain.header("content-encoding") == nil && plain.header("vary") == "Accept-Encoding")
        let gzipPage = try dashboard.call("GET", "/usage", headers: ["Cookie": admin.cookie, "Accept-Encoding": "gzip"])
        #expect(gzipPage.header("content-encoding") == nil && gzipPage.body.contains("<h1>Usage</h1>"))
        #expect(try dashboard.call("GET", "/static/usage.js?v=\(version)").header("content-type") == "text/javascript; charset=utf-8")
        #expect(try dashboard.call("GET", "/static/..%2Fapi").status == 404)
        #expect(try dashboard.call("GET", "/static/nope.js").status == 404)
        // The API keeps its own, stricter policy and referrer rule.
        let api = try dashboard.call("GET", "/api/v1/models", token: dashboard.adminToken)
        #expect(api.header("content-security-policy") == "default-src 'none'; frame-ancestors 'none'" && api.header("referrer-policy") == "no-referrer")
        // A forged Host is refused before any page.
        #expect(try dashboard.call("GET", "/login", headers: ["Host": "evil.example"]).status == 421)
    }

    @Test("a page with a hostile service name shows it as text; a bad date range is said on the page, with the default range")
    func hostileValues() throws {
        let dashboard = try DashboardProcess()
        let hostile = #"<script>alert(1)</script>"'"#
        try dashboard.cli.succeed(["models", "set", hostile, "openai:gpt-4o"])
        let connection = try PostgresConnection(ConnectionOptions(conninfo: dashboard.database.url))
        try connection.query("SELECT increment_usage($1, 'openai:gpt-4o', 10, 0.5, date_trunc('day', now()))", [hostile])
        let admin = try pageLogin(dashboard, dashboard.adminToken)
        for path in ["/models", "/usage", "/recommendations"] {
            let page = try dashboard.call("GET", path, headers: ["Cookie": admin.cookie])
            #expect(page.status == 200 && !page.body.contains("<script>alert") && page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "\(path)")
        }
        let bad = try dashboard.call("GET", "/usage?since=2026-13-01&until=x", headers: ["Cookie": admin.cookie])
        #expect(bad.status == 200 && bad.body.contains(#"class="alert""#) && bad.body.contains("showing the last 30 days"))
        // A crafted link cannot make the "stored" notice name another fingerprint, or a key that is not stored.
        try dashboard.cli.succeed(["keys", "set", "openai"], stdin: "sk-notice-0123456789")
        let notice = try dashboard.call("GET", "/providers?saved=openai&fingerprint=deadbeef", headers: ["Cookie": admin.cookie])
        #expect(notice.body.contains("(fingerprint \(Fingerprint.hex(of: "sk-notice-0123456789")))") && !notice.body.contains("deadbeef"))
        #expect(!(try dashboard.call("GET", "/providers?saved=nope", headers: ["Cookie": admin.cookie]).body.contains("Stored the key")))
    }

    @Test("GET /api/v1/usage/unpriced lists the models without a price, the most requests first, with their services")
    func unpriced() throws {
        let dashboard = try DashboardProcess()
        let connection = try PostgresConnection(ConnectionOptions(conninfo: dashboard.database.url))
        try connection.query(
            """
            INSERT INTO model_usage (service_name, model_string, period_start, period_end, request_count, total_tokens, estimated_cost,
                unpriced_requests)
            VALUES ('b', 'acme:one', date_trunc('day', now()), date_trunc('day', now()) + interval '1 day', 5, 10, 0.1, 5),
                   ('a', 'acme:one', date_trunc('day', now()) - interval '1 day', date_trunc('day', now()), 2, 10, 0.1, 2),
                   ('a', 'acme:two', date_trunc('day', now()), date_trunc('day', now()) + interval '1 day', 3, 10, 0.1, 3),
                   ('a', 'openai:gpt-4o', date_trunc('day', now()), date_trunc('day', now()) + interval '1 day', 9, 10, 0.1, 0),
                   ('c', 'acme:old', date_trunc('day', now()) - interval '40 days', date_trunc('day', now()) - interval '39 days', 1, 1, 0, 1)
            """)
        let reply = try dashboard.call("GET", "/api/v1/usage/unpriced", token: dashboard.viewerToken)
        #expect(reply.status == 200, "\(reply.body)")
        let models = reply.json?["models"] as? [[String: Any]] ?? []
        #expect(models.map { $0["model"] as? String } == ["acme:one", "acme:two"])
        #expect(models.first?["requests"] as? Int == 7 && models.first?["services"] as? [String] == ["a", "b"])
        // Migration 006's partial index holds only unpriced rows (scripts/bench-dashboard
        // shows the planner taking it at a year of rows; on five rows it would not).
        let index = try connection.query("SELECT indexdef FROM pg_indexes WHERE indexname = 'idx_model_usage_unpriced'").rows.first?["indexdef"]
        #expect(index?.hasSuffix("WHERE (unpriced_requests > 0)") == true, "\(String(describing: index))")
        #expect(try dashboard.call("GET", "/api/v1/usage/unpriced?since=2026-02-30", token: dashboard.viewerToken).status == 422)
    }
}
