/// A value passed as a statement parameter, in PostgreSQL's text format.
package protocol PostgresBindable: Sendable {
    var postgresText: String { get }
}

extension String: PostgresBindable { package var postgresText: String { self } }
extension Int: PostgresBindable { package var postgresText: String { String(self) } }
extension Int64: PostgresBindable { package var postgresText: String { String(self) } }
extension Double: PostgresBindable { package var postgresText: String { "\(self)" } }
extension Bool: PostgresBindable { package var postgresText: String { self ? "true" : "false" } }
