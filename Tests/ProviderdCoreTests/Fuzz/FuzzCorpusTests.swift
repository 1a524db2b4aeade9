import Foundation
import ProviderdFuzzChecks
import Testing

/// Every seed input and every input a fuzz run ever saved as a crash
/// (`Fuzz/Crashes/`), replayed through the same property checks `scripts/fuzz`
/// runs: a fixed crash stays fixed.
@Suite("Fuzz corpora replayed through the fuzz checks")
struct FuzzCorpusTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fuzz")

    static func inputs(_ target: FuzzTarget) -> [URL] {
        ["Corpus", "Crashes"].flatMap { folder -> [URL] in
            let directory = root.appendingPathComponent(folder).appendingPathComponent(target.rawValue)
            return ((try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)) ?? [])
                .filter { !$0.lastPathComponent.hasPrefix(".") }
        }
    }

    @Test("each target's seeds and saved crashes pass its checks", arguments: FuzzTarget.allCases)
    func replay(_ target: FuzzTarget) throws {
        let files = Self.inputs(target)
        #expect(!files.isEmpty, "no seed corpus for \(target.rawValue)")
        for file in files { FuzzChecks.run(target, [UInt8](try Data(contentsOf: file))) }
    }
}
