import Foundation
import Testing

@testable import ProviderdCore

@Suite("Embedded migrations")
struct EmbeddedMigrationTests {
    /// The binary must carry exactly what is in the top-level migrations/ folder.
    @Test("the embedded copies equal the files in migrations/")
    func matchesSource() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let folder = root.appendingPathComponent("migrations")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }.sorted()
        #expect(names.count >= 2)
        #expect(Migration.all.map(\.name) == names)
        for migration in Migration.all {
            let text = try String(contentsOf: folder.appendingPathComponent(migration.name), encoding: .utf8)
            #expect(migration.sql == text, "\(migration.name) differs from its embedded copy")
        }
        #expect(Migration.all.map(\.version) == names.map { String($0.prefix(3)) })
    }

    @Test("001 drops nothing: the legacy provider tables are not providerd's")
    func dropsNothing() throws {
        let first = try #require(Migration.all.first)
        #expect(first.name == "001_simplified_schema.sql")
        #expect(!first.sql.uppercased().contains("DROP TABLE"))
    }
}
