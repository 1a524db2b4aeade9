import Foundation
import Testing

/// `docs/ARCHITECTURE.md` names files by path so that the next engineer can follow
/// a record through the code: every path it names must exist.
@Suite("docs/ARCHITECTURE.md names only files that exist")
struct ArchitectureDocTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    @Test("every `….swift` path in backticks is a file of the repository (from the root, Sources/ProviderdCore or a test target)")
    func pathsExist() throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent("docs/ARCHITECTURE.md"), encoding: .utf8)
        let paths = text.split(separator: "`").enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
            .filter { $0.hasSuffix(".swift") || $0.hasPrefix("scripts/") }
        #expect(paths.count > 20, "found only \(paths.count) paths: the doc's format changed?")
        let bases = ["", "Sources/ProviderdCore/", "Tests/ProviderdCoreTests/", "Tests/IntegrationTests/"]
        for path in paths {
            let found = bases.contains { FileManager.default.fileExists(atPath: Self.root.appendingPathComponent($0 + path).path) }
            #expect(found, "docs/ARCHITECTURE.md names \(path), which does not exist")
        }
    }
}
