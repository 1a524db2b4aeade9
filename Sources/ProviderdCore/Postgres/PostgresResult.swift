/// Rows of one statement, in libpq's text format, copied out of the `PGresult` so
/// that no C memory outlives the call.
package struct PostgresResult: Sendable {
    package let columns: [String]
    package let rows: [PostgresRow]
    /// Rows changed by INSERT/UPDATE/DELETE (`PQcmdTuples`), 0 otherwise.
    package let affectedRows: Int
}
