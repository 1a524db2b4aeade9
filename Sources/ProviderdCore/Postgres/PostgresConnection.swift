import CLibPQ

#if canImport(Glibc)
    import Glibc
#endif

/// One libpq connection. Statements are parameterised (`PQexecParams`) except
/// `runScript`, which only ever runs the migrations embedded in the binary.
///
/// Not `Sendable`: it owns a `PGconn`, which libpq allows on any thread but only
/// one at a time, and its calls block. So the compiler keeps each connection with
/// its one owner: an actor whose executor is a thread of its own
/// (`ConfigRenderService`, `UsageFlusher`), or a command's single task. Only its
/// `canceller` crosses threads.
package final class PostgresConnection {
    private let handle: OpaquePointer
    /// Asks the server to cancel the statement this connection is running, from
    /// any thread: the way to stop a blocking call that waits on a lock.
    package let canceller: PostgresCanceller?

    package init(_ options: ConnectionOptions) throws(PostgresError) {
        // Order matters: a later keyword overrides an earlier one, and `dbname` is
        // expanded into its parts, so values in the user's URL win over our defaults.
        var keywords = ["connect_timeout", "application_name", "client_encoding"]
        var values = [String(options.connectTimeout), options.applicationName, "UTF8"]
        if let conninfo = options.conninfo, !conninfo.isEmpty {
            keywords.append("dbname")
            values.append(conninfo)
        }
        let connection: OpaquePointer? = withCStrings(keywords) { keys in
            withCStrings(values) { vals in PQconnectdbParams(keys, vals, 1) }
        }
        guard let connection else {
            throw PostgresError(kind: .connection, message: "libpq could not allocate a connection")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            var message = Self.trimmed(PQerrorMessage(connection))
            PQfinish(connection)
            // A malformed conninfo is echoed back by libpq; never echo a password.
            if let conninfo = options.conninfo, conninfo.contains("password") || conninfo.contains("@") {
                if message.contains("connection info string") || message.contains("URI") {
                    message = "the connection string is malformed (not shown: it may hold a password)"
                }
            }
            throw PostgresError(kind: .connection, message: message)
        }
        handle = connection
        providerd_pq_silence_notices(connection)
        canceller = PostgresCanceller(connection)
        try query(
            "SELECT set_config('statement_timeout', $1, false), set_config('client_min_messages', 'warning', false), set_config('TimeZone', 'UTC', false)",
            [String(options.statementTimeoutMilliseconds)])
    }

    deinit {
        // Before the descriptor closes: an abort from another thread must never
        // shut down a socket that reuses its number.
        canceller?.connectionClosing()
        PQfinish(handle)
    }

    /// The role the session runs as (for `check` and RLS warnings).
    package var user: String { String(cString: PQuser(handle)) }

    /// Runs one parameterised statement. `nil` parameters are SQL NULL.
    @discardableResult
    package func query(_ sql: String, _ parameters: [(any PostgresBindable)?] = []) throws(PostgresError) -> PostgresResult {
        let texts = parameters.map { $0?.postgresText }
        let result: OpaquePointer? = withOptionalCStrings(texts) { pointers in
            PQexecParams(handle, sql, Int32(pointers.count), nil, pointers, nil, nil, 0)
        }
        return try consume(result)
    }

    /// Runs a multi-statement script with the simple query protocol. Only for SQL
    /// shipped inside the binary (migrations): it takes no parameters.
    package func runScript(_ sql: String) throws(PostgresError) {
        try consume(PQexec(handle, sql))
    }

    /// Runs fixed statements (no parameters), separated by `;`, in one round trip
    /// (the simple query protocol) and returns each one's result, in order. A
    /// failing statement ends the rest; its error is thrown once every result has
    /// been read, so the connection stays usable (a transaction the script opened
    /// is then aborted: roll it back).
    package func queries(_ script: String) throws(PostgresError) -> [PostgresResult] {
        guard PQsendQuery(handle, script) == 1 else {
            throw PostgresError(kind: .connection, message: Self.trimmed(PQerrorMessage(handle)))
        }
        var results: [PostgresResult] = []
        var failure: PostgresError?
        while let result = PQgetResult(handle) {
            guard failure == nil else {
                PQclear(result)
                continue
            }
            do { results.append(try consume(result)) } catch { failure = error }
        }
        if let failure { throw failure }
        if PQstatus(handle) != CONNECTION_OK {
            throw PostgresError(kind: .connection, message: Self.trimmed(PQerrorMessage(handle)))
        }
        return results
    }

    /// Runs `body` inside BEGIN/COMMIT; any error rolls back and is rethrown.
    package func transaction<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try query("BEGIN")
        do {
            let value = try body(self)
            try query("COMMIT")
            return value
        } catch {
            _ = try? query("ROLLBACK")
            throw error
        }
    }

    @discardableResult
    private func consume(_ result: OpaquePointer?) throws(PostgresError) -> PostgresResult {
        guard let result else {
            throw PostgresError(kind: .connection, message: Self.trimmed(PQerrorMessage(handle)))
        }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK || status == PGRES_EMPTY_QUERY else {
            let sqlState = providerd_pq_sqlstate(result).map { String(cString: $0) }
            let primary = providerd_pq_primary(result).map { String(cString: $0) }
            let message = primary.map(Self.oneLine) ?? Self.trimmed(PQresultErrorMessage(result))
            let broken = PQstatus(handle) != CONNECTION_OK
            throw PostgresError(
                kind: broken && sqlState == nil ? .connection : .statement,
                sqlState: sqlState,
                message: message.isEmpty ? Self.trimmed(PQerrorMessage(handle)) : message,
                hint: providerd_pq_hint(result).map { Self.oneLine(String(cString: $0)) },
                constraint: providerd_pq_constraint(result).map { String(cString: $0) })
        }
        let columnCount = Int(PQnfields(result))
        var columns: [String] = []
        var index: [String: Int] = [:]
        for column in 0..<columnCount {
            let name = String(cString: PQfname(result, Int32(column)))
            columns.append(name)
            if index[name] == nil { index[name] = column }
        }
        var rows: [PostgresRow] = []
        let rowCount = Int(PQntuples(result))
        rows.reserveCapacity(rowCount)
        for row in 0..<rowCount {
            var values: [String?] = []
            values.reserveCapacity(columnCount)
            for column in 0..<columnCount {
                if PQgetisnull(result, Int32(row), Int32(column)) == 1 {
                    values.append(nil)
                } else {
                    values.append(String(cString: PQgetvalue(result, Int32(row), Int32(column))))
                }
            }
            rows.append(PostgresRow(columnIndex: index, values: values))
        }
        let affected = Int(String(cString: PQcmdTuples(result))) ?? 0
        return PostgresResult(columns: columns, rows: rows, affectedRows: affected)
    }

    /// What ended a wait for notifications.
    package enum NotificationWait: Sendable, Equatable {
        /// NOTIFYs arrived on a channel this session LISTENs on (how many).
        case notified(Int)
        /// The wake-up descriptor became readable.
        case woken
        case timedOut
    }

    /// Blocks until a NOTIFY arrives, `wakeDescriptor` becomes readable, or the
    /// timeout passes, without holding any lock: `poll()` on the connection's
    /// socket. A broken connection throws `.connection`.
    package func waitForNotifications(timeout: Duration, wakeDescriptor: Int32) throws(PostgresError) -> NotificationWait {
        var count = try drainNotifications()
        if count > 0 { return .notified(count) }
        let socket = PQsocket(handle)
        guard socket >= 0 else { throw PostgresError(kind: .connection, message: "connection has no socket") }
        var fds = [
            pollfd(fd: socket, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wakeDescriptor, events: Int16(POLLIN), revents: 0),
        ]
        let (seconds, attoseconds) = timeout.components
        let milliseconds = Int32(clamping: max(0, seconds * 1_000 + attoseconds / 1_000_000_000_000_000))
        let ready = poll(&fds, nfds_t(fds.count), milliseconds)
        if ready < 0 {
            if errno == EINTR { return .timedOut }
            throw PostgresError(kind: .connection, message: "poll failed: \(String(cString: strerror(errno)))")
        }
        if fds[0].revents != 0 {
            guard PQconsumeInput(handle) == 1 else {
                throw PostgresError(kind: .connection, message: Self.trimmed(PQerrorMessage(handle)))
            }
            count = try drainNotifications()
            if count > 0 { return .notified(count) }
        }
        if fds[1].revents != 0 { return .woken }
        return .timedOut
    }

    private func drainNotifications() throws(PostgresError) -> Int {
        guard PQstatus(handle) == CONNECTION_OK else {
            throw PostgresError(kind: .connection, message: Self.trimmed(PQerrorMessage(handle)))
        }
        var count = 0
        while let notification = PQnotifies(handle) {
            PQfreemem(notification)
            count += 1
        }
        return count
    }

    /// Whether libpq still considers the connection usable.
    package var isHealthy: Bool { PQstatus(handle) == CONNECTION_OK }

    /// libpq's messages on one line: it ends them with a newline and puts a
    /// second line (after a newline and a tab) for details; a journal line or a
    /// STATUS text must not break.
    static func trimmed(_ message: UnsafePointer<CChar>?) -> String {
        guard let message else { return "unknown libpq error" }
        return oneLine(String(cString: message))
    }

    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" })
            .map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }.joined(separator: "; ")
    }

    /// A conninfo string or URL as it may be shown: libpq's own reading of it, as
    /// `key=value` pairs, with the password left out (a URL's `user:PASS@` part
    /// included). A string libpq cannot read is not shown at all.
    package static func redacted(_ conninfo: String?) -> String {
        guard let conninfo, !conninfo.isEmpty else { return "(libpq defaults)" }
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(conninfo, &errorMessage) else {
            if let errorMessage { PQfreemem(errorMessage) }
            return "(malformed; not shown)"
        }
        defer { PQconninfoFree(options) }
        var pairs: [String] = []
        var cursor = options
        while let keyword = cursor.pointee.keyword {
            let name = String(cString: keyword)
            if let value = cursor.pointee.val, value.pointee != 0 {
                pairs.append(name == "password" ? "password=(hidden)" : "\(name)=\(String(cString: value))")
            }
            cursor += 1
        }
        return pairs.joined(separator: " ")
    }

    /// Checks a conninfo string or URL with libpq's own parser; returns whether it
    /// carries a non-empty password (refused on the command line: argv is public).
    package static func conninfoHasPassword(_ conninfo: String) throws(PostgresError) -> Bool {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(conninfo, &errorMessage) else {
            if let errorMessage { PQfreemem(errorMessage) }
            throw PostgresError(kind: .connection, message: "the database URL is malformed (not shown: it may hold a password)")
        }
        defer { PQconninfoFree(options) }
        var cursor = options
        while let keyword = cursor.pointee.keyword {
            if String(cString: keyword) == "password", let value = cursor.pointee.val, value.pointee != 0 {
                return true
            }
            cursor += 1
        }
        return false
    }
}

private func withCStrings<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    withOptionalCStrings(strings.map { Optional($0) }) { pointers in
        body(pointers + [nil])
    }
}

/// Copies Swift strings into C strings that live for the duration of `body`.
private func withOptionalCStrings<R>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let copies: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0) } }
    defer { for copy in copies { free(copy) } }
    return body(copies.map { $0.map { UnsafePointer($0) } })
}
