import Foundation
import Testing

/// `docs/ARCHITECTURE.md` names files by path so that the next engineer can follow
/// a record through the code: every path it names must exist.
@Suite("docs/ARCHITECTURE.md names only files that exist")
struct ArchitectureDocTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    @Test("every `….swift` path in backticks is a file of the repository (from the root, a library target or a test target)")
    func pathsExist() throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent("docs/ARCHITECTURE.md"), encoding: .utf8)
        let paths = text.split(separator: "`").enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
            .filter { $0.hasSuffix(".swift") || $0.hasPrefix("scripts/") }
        #expect(paths.count > 20, "found only \(paths.count) paths: the doc's format changed?")
        let bases = [
            "", "Sources/ProviderdCore/", "Sources/ProviderdDashboard/", "Tests/ProviderdCoreTests/", "Tests/ProviderdDashboardTests/",
            "Tests/IntegrationTests/",
        ]
        for path in paths {
            let found = bases.contains { FileManager.default.fileExists(atPath: Self.root.appendingPathComponent($0 + path).path) }
            #expect(found, "docs/ARCHITECTURE.md names \(path), which does not exist")
        }
    }

    @Test("every test the invariants cite exists: its suite type, and each quoted test title (up to a closing …)")
    func citedTestsExist() throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent("docs/ARCHITECTURE.md"), encoding: .utf8)
        var sources = ""
        for folder in ["Tests/ProviderdCoreTests", "Tests/ProviderdDashboardTests", "Tests/IntegrationTests"] {
            let base = Self.root.appendingPathComponent(folder)
            for case let file as String in FileManager.default.enumerator(atPath: base.path) ?? FileManager.DirectoryEnumerator()
            where file.hasSuffix(".swift") {
                sources += (try? String(contentsOf: base.appendingPathComponent(file), encoding: .utf8)) ?? ""
            }
        }
        // swift format puts a long title on the line after `@Test(`.
        sources = sources.replacingOccurrences(of: #"@Test\(\s+""#, with: "@Test(\"", options: .regularExpression)
        let invariants = text.components(separatedBy: "## Invariants").dropFirst().first?.components(separatedBy: "\n## ").first ?? ""
        var suites = 0, titles = 0
        for row in invariants.split(separator: "\n") where row.hasPrefix("| ") {
            guard let proof = row.split(separator: "|").last(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty }) else { continue }
            let parts = proof.split(separator: "`")
            for (index, part) in parts.enumerated() where index % 2 == 1 && part.hasSuffix("Tests") {
                suites += 1
                #expect(sources.contains("struct \(part)"), "docs/ARCHITECTURE.md cites \(part), which no test file declares")
            }
            for (index, part) in proof.split(separator: "\"").enumerated() where index % 2 == 1 {
                let title = part.hasSuffix("…") ? String(part.dropLast()) : String(part)
                titles += 1
                #expect(sources.contains("@Test(\"" + title), "docs/ARCHITECTURE.md cites the test \"\(title)\", which does not exist")
            }
        }
        #expect(suites > 10 && titles > 5, "found \(suites) suites and \(titles) titles: the doc's format changed?")
    }
}
