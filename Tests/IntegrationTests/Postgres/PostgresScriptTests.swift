import Logging
import TestSupport
import Testing

@testable import ProviderdCore

/// `PostgresConnection.queries`: the config snapshot's one round trip.
@Suite("Several statements in one round trip", .enabled(if: TestEnvironment.databaseTestsEnabled), .serialized)
struct PostgresScriptTests {
    /// A database of its own per test (swift-testing makes a suite value per test).
    let database: TestDatabase
    let connection: PostgresConnection

    init() throws {
        database = try TestDatabase()
        connection = try database.connect()
    }

    @Test("each statement's result, in order; a failing statement ends the rest, is thrown, and leaves the connection usable")
    func results() throws {
        let results = try connection.queries("SELECT 1 AS a; SELECT 'x' AS b, NULL AS c; CREATE TEMP TABLE t (n int); SELECT 2 AS d")
        #expect(results.count == 4)
        #expect(try results[0].rows.first?.string("a") == "1")
        #expect(try results[1].rows.first?.optionalString("c") == nil)
        #expect(try results[3].rows.first?.string("d") == "2")

        #expect(throws: PostgresError.self) {
            try connection.queries("BEGIN; INSERT INTO t VALUES (1); SELECT 1/0; INSERT INTO t VALUES (2); COMMIT")
        }
        try connection.query("ROLLBACK")
        #expect(try connection.query("SELECT count(*) AS n FROM t").rows.first?.string("n") == "0")
    }

    @Test("the snapshot read in one round trip: a missing table fails the read, rolls back, and the next read works")
    func snapshotRead() throws {
        #expect(throws: PostgresError.self) { try ConfigSnapshotQuery.read(on: connection) }
        #expect(try connection.query("SELECT 1 AS one").rows.first?.string("one") == "1", "not left in an aborted transaction")
        _ = try MigrationRunner(logger: Logger(label: "test")).run(on: connection)
        let (snapshot, version) = try ConfigSnapshotQuery.read(on: connection)
        #expect(snapshot.keys.isEmpty)
        #expect(version != nil)
    }
}
