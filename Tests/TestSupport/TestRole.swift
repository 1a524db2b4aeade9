import Foundation

@testable import ProviderdCore

/// A login role of a test's own, dropped (with what it owns) when the test ends:
/// roles are the cluster's, not the test database's, so none may be left behind.
package final class TestRole {
    package let name: String
    private let admin: PostgresConnection

    /// `attributes`: what follows `CREATE ROLE name LOGIN` (e.g. `BYPASSRLS CONNECTION LIMIT 1`).
    package init(prefix: String, attributes: String = "", admin: PostgresConnection) throws {
        name = prefix + "_" + UUID().uuidString.prefix(8).lowercased()
        self.admin = admin
        try admin.query("CREATE ROLE \(name) LOGIN \(attributes)")
    }

    deinit {
        _ = try? admin.query("DROP OWNED BY \(name)")
        _ = try? admin.query("DROP ROLE \(name)")
    }

    /// Whether no backend of this role is left in the cluster. A client's close
    /// returns before its backend has exited, and until it has, the backend still
    /// counts against a `CONNECTION LIMIT`.
    package func hasNoBackends() -> Bool {
        let rows = try? admin.query("SELECT 1 FROM pg_stat_activity WHERE usename = $1", [name]).rows
        return rows?.isEmpty == true
    }

    /// Sessions ever established to the admin connection's database (every role's),
    /// from the statistics each backend reports when it exits.
    package func sessionsEstablished() throws -> Int {
        let row = try admin.query("SELECT sessions FROM pg_stat_database WHERE datname = current_database()").rows[0]
        return Int(try row.string("sessions")) ?? -1
    }

    /// `url` with this role as its user.
    package func url(from url: String) -> String {
        var components = URLComponents(string: url)!
        components.user = name
        return components.string!
    }
}
