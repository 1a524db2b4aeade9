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

    /// `url` with this role as its user.
    package func url(from url: String) -> String {
        var components = URLComponents(string: url)!
        components.user = name
        return components.string!
    }
}
