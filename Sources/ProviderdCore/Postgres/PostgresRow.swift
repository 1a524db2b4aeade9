/// One row; values are looked up by column name and converted with clear errors.
package struct PostgresRow: Sendable {
    let columnIndex: [String: Int]
    package let values: [String?]

    /// The raw text of a column, nil for SQL NULL.
    package subscript(_ column: String) -> String? {
        guard let index = columnIndex[column] else { return nil }
        return values[index]
    }

    func raw(_ column: String) throws(PostgresError) -> String? {
        guard let index = columnIndex[column] else {
            throw PostgresError(kind: .decoding, message: "no column \(column) in the result")
        }
        return values[index]
    }

    func required(_ column: String) throws(PostgresError) -> String {
        guard let value = try raw(column) else {
            throw PostgresError(kind: .decoding, message: "column \(column) is NULL")
        }
        return value
    }

    package func string(_ column: String) throws(PostgresError) -> String { try required(column) }
    package func optionalString(_ column: String) throws(PostgresError) -> String? { try raw(column) }

    package func int(_ column: String) throws(PostgresError) -> Int {
        let text = try required(column)
        guard let value = Int(text) else {
            throw PostgresError(kind: .decoding, message: "column \(column) is not an integer")
        }
        return value
    }

    package func optionalInt(_ column: String) throws(PostgresError) -> Int? {
        guard let text = try raw(column) else { return nil }
        guard let value = Int(text) else {
            throw PostgresError(kind: .decoding, message: "column \(column) is not an integer")
        }
        return value
    }

    package func optionalDouble(_ column: String) throws(PostgresError) -> Double? {
        guard let text = try raw(column) else { return nil }
        guard let value = Double(text) else {
            throw PostgresError(kind: .decoding, message: "column \(column) is not a number")
        }
        return value
    }

    /// Booleans come back as `t` / `f` in text format.
    package func optionalBool(_ column: String) throws(PostgresError) -> Bool? {
        switch try raw(column) {
        case nil: return nil
        case "t"?: return true
        case "f"?: return false
        default: throw PostgresError(kind: .decoding, message: "column \(column) is not a boolean")
        }
    }
}
