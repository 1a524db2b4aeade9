/// A PostgreSQL failure: the SQLSTATE (when the server sent one) and the server's
/// primary message. The DETAIL field is left out on purpose: for a failing row it
/// repeats the row's values, which for `api_keys` would include a Fernet token.
package struct PostgresError: Error, Sendable, CustomStringConvertible {
    package enum Kind: Sendable, Equatable {
        /// Could not connect (or the connection broke).
        case connection
        /// The server refused a statement.
        case statement
        /// A result did not have the expected shape (a bug or a schema mismatch).
        case decoding
    }

    package let kind: Kind
    /// Five-character SQLSTATE, e.g. `23514` (check violation), `40001` (serialization).
    package let sqlState: String?
    package let message: String
    package let hint: String?
    package let constraint: String?

    package init(kind: Kind, sqlState: String? = nil, message: String, hint: String? = nil, constraint: String? = nil) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
        self.hint = hint
        self.constraint = constraint
    }

    /// Errors that a retry can cure: the connection, the server's state or a
    /// wait, not the data. Usage rows are quarantined only when this is false, so
    /// anything that passes by itself (or when an operator fixes the server, not
    /// the rows) belongs here.
    package var isRetryable: Bool {
        if kind == .connection { return true }
        guard let sqlState else { return false }
        return Self.retryableStates.contains(sqlState) || Self.retryableClasses.contains(String(sqlState.prefix(2)))
    }

    /// Whole SQLSTATE classes that retrying cures: 08 connection exception,
    /// 40 transaction rollback (serialization failure, deadlock), 53 insufficient
    /// resources (disk full, out of memory, too many connections), 57 operator
    /// intervention (statement timeout or cancel, admin or crash shutdown, cannot
    /// connect now), 58 system error (I/O error).
    static let retryableClasses: Set<String> = ["08", "40", "53", "57", "58"]

    /// Single states that retrying cures: 55P03 lock not available (`lock_timeout`),
    /// 55006 object in use, 25006 read-only transaction (a standby, after a
    /// failover), 42P01/42703/42883 a table, column or function not there yet
    /// (`providerd migrate` has not run), 3D000 no such database yet.
    static let retryableStates: Set<String> = ["55P03", "55006", "25006", "42P01", "42703", "42883", "3D000"]

    package var description: String {
        var text: String
        switch kind {
        case .connection: text = "cannot connect to PostgreSQL: \(message)"
        case .statement: text = "PostgreSQL error\(sqlState.map { " \($0)" } ?? ""): \(message)"
        case .decoding: text = "unexpected result from PostgreSQL: \(message)"
        }
        if let hint { text += " (hint: \(hint))" }
        return text
    }
}
