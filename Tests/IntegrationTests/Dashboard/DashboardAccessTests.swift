import Foundation
import ProviderdCore
import TestSupport
import Testing

/// Who may do what, checked on every endpoint the served document lists (so a new
/// endpoint is covered the day it is added), and the attacks the issue names.
@Suite("providerd dashboard: access", .enabled(if: TestEnvironment.databaseTestsEnabled), .serialized)
struct DashboardAccessTests {
    /// Every operation in the served document, with its path parameters filled in
    /// and a body that is valid for it.
    static func operations(_ dashboard: DashboardProcess) throws -> [(method: String, path: String, body: String?)] {
        let reply = try HTTPCall.run("GET", dashboard.base + "/api/v1/openapi.json")
        let document = try #require(reply.json)
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        let bodies = [
            "/session": #"{"token":"x"}"#, "/models/{service}": #"{"model":"openai:gpt-4o"}"#,
            "/models/bulk-update": #"{"from":"openai","to":"anthropic"}"#, "/keys/{provider}": #"{"key":"sk-a"}"#,
            "/keys/{provider}/rotate": #"{"key":"sk-b"}"#, "/budgets/{name}": #"{"scope":"global","period":"day","limit_usd":"1"}"#,
        ]
        var operations: [(String, String, String?)] = []
        for (path, methods) in paths.sorted(by: { $0.key < $1.key }) {
            for method in methods.keys.sorted() {
                let filled = path.replacingOccurrences(of: "{service}", with: "rag_agent").replacingOccurrences(of: "{provider}", with: "openai")
                    .replacingOccurrences(of: "{name}", with: "b1")
                var query = ""
                if path == "/recommendations" { query = "?service=rag_agent" }
                operations.append((method.uppercased(), "/api/v1" + filled + query, ["post", "put"].contains(method) ? bodies[path] : nil))
            }
        }
        #expect(operations.count >= 21, "the document lists every endpoint")
        return operations
    }

    @Test("every endpoint: 401 without a session; writes: 403 as a viewer, 403 without CSRF, 403 when writes are off")
    func everyEndpoint() throws {
        let dashboard = try DashboardProcess()
        let operations = try Self.operations(dashboard)
        let viewer = try dashboard.login(dashboard.viewerToken)
        let admin = try dashboard.login(dashboard.adminToken)
        for (method, path, body) in operations where !(method == "POST" && path == "/api/v1/session") {
            let anonymous = try dashboard.call(method, path, body: body)
            #expect(anonymous.status == 401 && anonymous.errorCode == "unauthorized", "\(method) \(path): \(anonymous.status)")
            let forged = try dashboard.call(method, path, headers: ["Cookie": "providerd_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"], body: body)
            #expect(forged.status == 401, "\(method) \(path) with a made-up session id")
            guard method != "GET" else {
                let read = try dashboard.call(method, path, token: dashboard.viewerToken)
                #expect(read.status != 401 && read.status != 403, "\(method) \(path): a viewer reads")
                continue
            }
            let isLogout = method == "DELETE" && path == "/api/v1/session"
            if !isLogout {
                let asViewer = try dashboard.call(method, path, token: dashboard.viewerToken, body: body)
                #expect(asViewer.status == 403 && asViewer.errorCode == "read_only", "\(method) \(path) as a viewer: \(asViewer.status)")
                let viewerCookie = try dashboard.call(method, path, headers: ["Cookie": viewer.cookie, "X-CSRF-Token": viewer.csrf], body: body)
                #expect(viewerCookie.status == 403 && viewerCookie.errorCode == "read_only")
            }
            let noCSRF = try dashboard.call(method, path, headers: ["Cookie": admin.cookie], body: body)
            #expect(noCSRF.status == 403 && noCSRF.errorCode == "csrf", "\(method) \(path) with a cookie and no CSRF token: \(noCSRF.status)")
            let wrongCSRF = try dashboard.call(method, path, headers: ["Cookie": admin.cookie, "X-CSRF-Token": viewer.csrf], body: body)
            #expect(wrongCSRF.status == 403 && wrongCSRF.errorCode == "csrf", "another session's CSRF token")
        }
        // Last, since each counts as a failed login: a wrong Bearer token is refused everywhere.
        for (method, path, body) in operations where !(method == "POST" && path == "/api/v1/session") {
            let wrongBearer = try dashboard.call(method, path, token: "pdt_wrongwrongwrongwrongwrongwrongwrongwrongwro", body: body)
            #expect(wrongBearer.status == 401 || wrongBearer.status == 429, "\(method) \(path) with a wrong Bearer")
        }
        let readOnly = try DashboardProcess(allowWrites: false)
        for (method, path, body) in try Self.operations(readOnly) where method != "GET" && !path.hasSuffix("/session") {
            let refused = try readOnly.call(method, path, token: readOnly.adminToken, body: body)
            #expect(refused.status == 403 && refused.body.contains("dashboard.allow_writes"), "\(method) \(path) with writes off")
        }
    }

    @Test("a foreign Host header is refused on every path, before authentication; the listen address and localhost work")
    func foreignHost() throws {
        let dashboard = try DashboardProcess()
        for (method, path, body) in try Self.operations(dashboard) {
            for host in ["evil.example", "evil.example:\(dashboard.port)", "127.0.0.1:\(dashboard.port).evil.example", "127.0.0.2:\(dashboard.port)"] {
                let reply = try dashboard.call(method, path, token: dashboard.adminToken, headers: ["Host": host], body: body)
                #expect(reply.status == 421 && reply.errorCode == "host_not_allowed", "\(method) \(path) Host \(host): \(reply.status)")
            }
        }
        #expect(try dashboard.call("GET", "/api/v1/models", token: dashboard.adminToken, headers: ["Host": "localhost:\(dashboard.port)"]).status == 200)
        #expect(try dashboard.call("GET", "/api/v1/models", token: dashboard.adminToken).status == 200)
        #expect(try dashboard.call("GET", "/nowhere", headers: ["Host": "evil.example"]).status == 421)
    }

    @Test("session fixation and reuse: an id from a URL or made up is never adopted; logout kills the id; a restart keeps live sessions")
    func sessions() throws {
        let dashboard = try DashboardProcess()
        let planted = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        // A token or session id in the URL is ignored: nothing secret is read from a URL.
        #expect(try dashboard.call("GET", "/api/v1/models?token=\(dashboard.adminToken)").status == 401)
        #expect(try dashboard.call("GET", "/api/v1/models?providerd_session=\(planted)").status == 401)
        // Login with a planted cookie: a new id is issued, the planted one stays worthless.
        let login = try dashboard.call(
            "POST", "/api/v1/session", headers: ["Cookie": "providerd_session=\(planted)"], body: #"{"token":"\#(dashboard.adminToken)"}"#)
        let setCookie = try #require(login.header("set-cookie"))
        #expect(!setCookie.contains(planted) && setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && !setCookie.contains("Secure"))
        #expect(try dashboard.call("GET", "/api/v1/models", headers: ["Cookie": "providerd_session=\(planted)"]).status == 401)
        let cookie = String(setCookie.split(separator: ";")[0])
        let csrf = try #require(login.json?["csrf_token"] as? String)
        #expect(try dashboard.call("GET", "/api/v1/models", headers: ["Cookie": cookie]).status == 200)
        // The table holds a hash of the id, never the id.
        let rows = try dashboard.database.connect().query("SELECT id_sha256 FROM providerd_dashboard_sessions").rows
        #expect(!rows.isEmpty && rows.allSatisfy { !cookie.contains($0["id_sha256"] ?? "") })
        // Logout, then the same cookie is refused.
        let logout = try dashboard.call("DELETE", "/api/v1/session", headers: ["Cookie": cookie, "X-CSRF-Token": csrf])
        #expect(logout.status == 204 && logout.header("set-cookie")?.contains("Max-Age=0") == true)
        let reused = try dashboard.call("GET", "/api/v1/models", headers: ["Cookie": cookie])
        #expect(reused.status == 401 && reused.errorCode == "unauthorized")
        // A live session survives a restart of the dashboard (sessions live in PostgreSQL).
        let live = try dashboard.login(dashboard.adminToken)
        try dashboard.restart()
        let restarted = dashboard
        #expect(try restarted.call("GET", "/api/v1/models", headers: ["Cookie": live.cookie]).status == 200)
        // An expired session is refused.
        try dashboard.database.connect().query("UPDATE providerd_dashboard_sessions SET expires_at = now() - interval '1 second'")
        #expect(try restarted.call("GET", "/api/v1/models", headers: ["Cookie": live.cookie]).status == 401)
        #expect(!restarted.log.contains(live.cookie.dropFirst(18)) && !restarted.log.contains(dashboard.adminToken))
    }

    @Test("a cross-site POST with the victim's cookie changes nothing: Origin or Sec-Fetch-Site from elsewhere is refused, even with the CSRF token")
    func crossSite() throws {
        let dashboard = try DashboardProcess()
        let admin = try dashboard.login(dashboard.adminToken)
        let body = #"{"model":"openai:gpt-4o-mini"}"#
        for headers in [["Origin": "https://evil.example"], ["Sec-Fetch-Site": "cross-site"], ["Origin": "null"], ["Sec-Fetch-Site": "same-site"]] {
            var all = headers
            all["Cookie"] = admin.cookie
            all["X-CSRF-Token"] = admin.csrf
            let reply = try dashboard.call("PUT", "/api/v1/models/victim_service", headers: all, body: body)
            #expect(reply.status == 403 && reply.errorCode == "cross_site", "\(headers): \(reply.status)")
            // A form post from another site cannot log a browser in either.
            let login = try dashboard.call("POST", "/api/v1/session", headers: headers, body: #"{"token":"\#(dashboard.adminToken)"}"#)
            #expect(login.status == 403)
        }
        let rows = try dashboard.database.connect().query("SELECT 1 FROM model_config WHERE service_name = 'victim_service'").rows
        #expect(rows.isEmpty, "nothing was written")
        let sameOrigin = try dashboard.call(
            "PUT", "/api/v1/models/victim_service",
            headers: ["Cookie": admin.cookie, "X-CSRF-Token": admin.csrf, "Origin": dashboard.base, "Sec-Fetch-Site": "same-origin"], body: body)
        #expect(sameOrigin.status == 200)
    }

    @Test("1,000 failed logins: the first few get 401, then 429 with Retry-After, the right token too; no token in the log")
    func failedLogins() throws {
        let dashboard = try DashboardProcess()
        let python = try TestEnvironment.requirePython()
        // The right token, as a login and as a Bearer token, goes right after a refused
        // guess: the bucket (LoginThrottle.Limits: 10, one more per 6 s) is then empty.
        let script = """
            import http.client, json, sys, time
            port, right = int(sys.argv[1]), sys.argv[2]
            statuses = {}
            connection = http.client.HTTPConnection("127.0.0.1", port)
            began = time.monotonic()
            for i in range(1000):
                connection.request("POST", "/api/v1/session", json.dumps({"token": "pdt_guess%040d" % i}), {"Content-Type": "application/json"})
                response = connection.getresponse(); response.read()
                statuses[response.status] = statuses.get(response.status, 0) + 1
                retry = response.getheader("Retry-After")
            elapsed = time.monotonic() - began
            connection.request("POST", "/api/v1/session", json.dumps({"token": right}), {"Content-Type": "application/json"})
            response = connection.getresponse(); response.read()
            connection.request("GET", "/api/v1/models", headers={"Authorization": "Bearer " + right})
            bearer = connection.getresponse(); bearer.read()
            print(json.dumps({"statuses": statuses, "retry_after": retry, "right_token": response.status,
                              "bearer": bearer.status, "elapsed": elapsed}))
            """
        let output = try ProcessRunner.run(python, ["-c", script, String(dashboard.port), dashboard.adminToken])
        let result = try JSONSerialization.jsonObject(with: Data(output.stdout)) as? [String: Any]
        let statuses = result?["statuses"] as? [String: Int] ?? [:]
        // Ten at once, then one per 6 s the guesses took (a loaded machine takes seconds).
        let refills = Int(((result?["elapsed"] as? Double) ?? 0) / 6) + 1
        let checked = statuses["401"] ?? 0
        #expect(
            (10...10 + refills).contains(checked) && checked + (statuses["429"] ?? 0) == 1_000, "\(output.stdoutText) \(output.stderrText)")
        #expect(Int(result?["retry_after"] as? String ?? "") ?? 0 >= 1)
        #expect(result?["right_token"] as? Int == 429, "while limited, even the right token is not checked")
        // A wrong Bearer token counts too, and a Bearer token from the limited client is refused unchecked.
        #expect(result?["bearer"] as? Int == 429, "\(output.stdoutText)")
        #expect(!dashboard.log.contains(dashboard.adminToken) && !dashboard.log.contains("pdt_guess"))
        #expect(dashboard.process.isRunning)
    }

    @Test("a 100 MB body is refused with 413 without being read whole, and the server keeps serving")
    func hugeBody() throws {
        let dashboard = try DashboardProcess()
        let directory = try TemporaryDirectory()
        let path = directory.path + "/big.json"
        let handle = try #require(
            FileHandle(
                forWritingAtPath: {
                    FileManager.default.createFile(atPath: path, contents: nil)
                    return path
                }()))
        let chunk = Data(repeating: UInt8(ascii: "a"), count: 1 << 20)
        try handle.write(contentsOf: Data(#"{"key":""#.utf8))
        for _ in 0..<100 { try handle.write(contentsOf: chunk) }
        try handle.write(contentsOf: Data(#""}"#.utf8))
        try handle.close()
        let reply = try HTTPCall.run(
            "PUT", dashboard.base + "/api/v1/keys/openai", headers: ["Authorization": "Bearer \(dashboard.adminToken)"], bodyFile: path)
        #expect(reply.status == 413 && reply.errorCode == "too_large")
        let chunked = try HTTPCall.run(
            "PUT", dashboard.base + "/api/v1/keys/openai",
            headers: ["Authorization": "Bearer \(dashboard.adminToken)", "Transfer-Encoding": "chunked"], bodyFile: path)
        #expect(chunked.status == 413)
        #expect(try dashboard.call("GET", "/api/v1/models", token: dashboard.adminToken).status == 200)
        let rows = try dashboard.database.connect().query("SELECT 1 FROM api_keys").rows
        #expect(rows.isEmpty)
    }
}
