import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

// Each body runs on a thread of its own (`onThread`): it blocks on processes,
// sockets and waits, and a blocked cooperative thread would stall the suite's
// in-process servers.
@Suite(
    "LISTEN behind a transaction pooler: found out, warned once, polled",
    .enabled(if: TestEnvironment.databaseTestsEnabled && (PgBouncer.available || TestEnvironment.isCI)))
struct ListenProbeTests {
    @Test("through PgBouncer in transaction mode: one warning naming database.listen_url, STATUS says polling only, check warns")
    func poolerIsFoundOut() async throws {
        try await onThread {
            let fixture = try DaemonFixture()
            let pooler = try PgBouncer(upstream: fixture.url)
            let pooled = pooler.url(for: fixture.url)
            fixture.extraEnvironment["DATABASE_URL"] = pooled
            let daemon = try fixture.start()
            _ = try fixture.waitReady()
            let polling = try fixture.notify.wait { $0.fields["STATUS"]?.contains("polling only") == true }
            #expect(polling.message.fields["STATUS"]?.contains("database.listen_url") == true)
            // Warned once, in the log, by name.
            #expect(DaemonProcess.eventually(timeout: 5) { daemon.log.contains("LISTEN receives no notifications") })
            #expect(daemon.log.components(separatedBy: "LISTEN receives no notifications").count == 2, "\(daemon.log.suffix(3_000))")
            #expect(daemon.log.contains("database.listen_url"))

            let check = try ProviderdCLI(databaseURL: pooled, encryptionKey: fixture.key.base64).run(["check", "--json"])
            let report = try JSONSerialization.jsonObject(with: Data(check.stdout)) as? [String: Any]
            let line = ((report?["checks"] as? [[String: Any]]) ?? []).first { $0["check"] as? String == "notifications" }
            #expect(line?["status"] as? String == "warning", "\(check.stdoutText)")
            #expect(daemon.stop() == 0)
            withExtendedLifetime(pooler) {}
        }
    }

    @Test("with database.listen_url direct beside the pooler: no warning, a change is seen at once (the poll is a minute away)")
    func directListenURL() async throws {
        try await onThread {
            let fixture = try DaemonFixture()
            let pooler = try PgBouncer(upstream: fixture.url)
            fixture.extraEnvironment["DATABASE_URL"] = pooler.url(for: fixture.url)
            fixture.extraEnvironment["PROVIDERD_LISTEN_URL"] = fixture.url
            let daemon = try fixture.start()
            let ready = try fixture.waitReady()
            #expect(ready.fields["STATUS"]?.contains("polling only") == false)
            try fixture.cli.succeed(["models", "set", "listen_agent", "openai:gpt-4o"])
            #expect(DaemonProcess.eventually(timeout: 5) { fixture.mapText().contains("listen_agent") })
            #expect(!daemon.log.contains("LISTEN receives no notifications"))
            let check = try ProviderdCLI(
                databaseURL: pooler.url(for: fixture.url), encryptionKey: fixture.key.base64,
                extra: ["PROVIDERD_LISTEN_URL": fixture.url]
            ).run(["check", "--json"])
            #expect(
                check.stdoutText.contains(#""check":"notifications","detail":"LISTEN on database.listen_url receives notifications","status":"ok""#),
                "\(check.stdoutText)")
            #expect(daemon.stop() == 0)
            withExtendedLifetime(pooler) {}
        }
    }
}

@Suite("The LISTEN probe under a connection limit", .enabled(if: TestEnvironment.databaseTestsEnabled))
struct ListenProbeLimitTests {
    @Test("a role allowed one connection (no room for the probe's sender): READY from the database, no pooler warning, a change seen at once")
    func noRoomForTheProbe() async throws {
        try await onThread {
            let fixture = try DaemonFixture()
            let admin = try PostgresConnection(ConnectionOptions(conninfo: fixture.url))
            // A role (not a superuser, whom no limit binds) that may hold one connection;
            // it bypasses row-level security, as Supabase's service_role does.
            let role = try TestRole(prefix: "providerd_limited", attributes: "BYPASSRLS CONNECTION LIMIT 1", admin: admin)
            defer { withExtendedLifetime(role) {} }  // dropped only once the test is over
            try admin.query("GRANT SELECT ON ALL TABLES IN SCHEMA public TO \(role.name)")
            let limited = role.url(from: fixture.url)
            fixture.extraEnvironment["DATABASE_URL"] = limited
            let daemon = try fixture.start()
            let ready = try fixture.waitReady()
            #expect(!ready.fields["STATUS", default: ""].contains("polling only"), "\(ready.fields)")
            #expect(!ready.fields["STATUS", default: ""].contains("stale"), "\(ready.fields)")
            #expect(daemon.log.contains("cannot check that LISTEN receives notifications"))
            #expect(!daemon.log.contains("LISTEN receives no notifications"))
            #expect(!daemon.log.contains("database unreachable"), "\(daemon.log.suffix(2_000))")
            // LISTEN works all the same: a change is rendered long before the poll.
            try fixture.cli.succeed(["models", "set", "limited_agent", "openai:gpt-4o"])
            #expect(DaemonProcess.eventually(timeout: 5) { fixture.mapText().contains("limited_agent") }, "\(daemon.log.suffix(3_000))")
            #expect(daemon.stop() == 0)
            #expect(DaemonProcess.eventually(timeout: 10) { role.hasNoBackends() }, "the daemon's backend outlived it")
            // check says it could not look, and why, rather than calling it a pooler.
            let before = try role.sessionsEstablished()
            let check = try ProviderdCLI(databaseURL: limited, encryptionKey: fixture.key.base64).run(["check", "--json"])
            #expect(check.stdoutText.contains("could not be checked") && check.stdoutText.contains("too many connections"), "\(check.stdoutText.suffix(1_500))")
            // And it held one session, as the daemon does: its checks' connection goes on
            // to LISTEN. Closing it and opening another raced the closed backend's exit,
            // and lost under load ("too many connections" for the LISTEN connection).
            #expect(DaemonProcess.eventually(timeout: 10) { role.hasNoBackends() })
            #expect(try role.sessionsEstablished() - before == 1)
        }
    }
}
