import Foundation
import ProviderdCore

/// A fresh database on the test cluster, dropped when released, so that tests run
/// in parallel without seeing each other's rows.
package final class TestDatabase: @unchecked Sendable {
    // @unchecked: immutable after init.
    package let name: String
    /// URL of the new database (no password: the test cluster trusts loopback).
    package let url: String
    private let adminURL: String

    package init() throws {
        adminURL = try TestEnvironment.requireDatabaseURL()
        name = "providerd_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let admin = try PostgresConnection(ConnectionOptions(conninfo: adminURL))
        try admin.query("CREATE DATABASE \(name)")
        guard var components = URLComponents(string: adminURL) else {
            throw TestSupportError("PROVIDERD_TEST_DATABASE_URL is not a URL")
        }
        components.path = "/" + name
        url = components.string!
    }

    deinit {
        if let admin = try? PostgresConnection(ConnectionOptions(conninfo: adminURL)) {
            _ = try? admin.query("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        }
    }

    package func connect() throws -> PostgresConnection {
        try PostgresConnection(ConnectionOptions(conninfo: url))
    }

    /// Runs a SQL file with psql, as an operator following the seed's README would.
    package func psqlFile(_ path: String) throws -> ProcessOutput {
        try ProcessRunner.run("/usr/bin/psql", [url, "-v", "ON_ERROR_STOP=1", "-q", "-f", path])
    }
}
