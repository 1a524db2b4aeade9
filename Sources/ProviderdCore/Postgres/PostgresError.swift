/// A PostgreSQL failure: the SQLSTATE (when the server sent one) and the server's
/// primary message. The DETAIL field is left out on purpose: for a failing row it
/// repeats the row's values, which for `api_keys` would include a Fernet token.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Could not connect (or the connection broke).
        case connection
        /// The server refused a statement.
        case statement
        /// A result did not have the expected shape (a bug or a schema mismatch).
        case decoding
    }

    public let kind: Kind
    /// Five-character SQLSTATE, e.g. `23514` (check violation), `40001` (serialization).
    public let sqlState: String?
    public let message: String
    public let hint: String?
    public let constraint: String?

    public init(kind: Kind, sqlState: String? = nil, message: String, hint: String? = nil, constraint: String? = nil) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
        self.hint = hint
        self.constraint = constraint
    }

    /// Errors that a retry can fix: connection loss, serialization failure, deadlock.
    public var isRetryable: Bool {
        if kind == .connection { return true }
        guard let sqlState else { return false }
        return sqlState == "40001" || sqlState == "40P01" || sqlState.hasPrefix("08") || sqlState == "57P01"
    }

    public var description: String {
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
