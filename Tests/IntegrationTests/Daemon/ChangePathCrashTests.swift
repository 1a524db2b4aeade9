import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

/// The change path writes the model map, then the env file, and only then makes
/// them durable and records the generation (`ConfigPublisher.write`). A SIGKILL can
/// land anywhere in that: these rounds kill the daemon at staggered moments after
/// a commit, with 400 providers so that a render is long enough to be hit in its
/// middle.
@Suite("a SIGKILL on the change path", .enabled(if: TestEnvironment.databaseTestsEnabled), .serialized)
struct ChangePathCrashTests {
    /// The env file's content without its generation line, and the generation.
    static func parseEnv(_ text: String) -> (content: String, generation: Int)? {
        guard text.hasSuffix("\n") else { return nil }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        guard let last = lines.popLast(), last.hasPrefix("PROVIDERD_GENERATION="),
            let generation = Int(last.dropFirst("PROVIDERD_GENERATION=".count)),
            lines.allSatisfy({ $0.contains("=") })
        else { return nil }
        return (lines.joined(separator: "\n"), generation)
    }

    static func mapGeneration(_ text: String) -> Int? {
        guard text.hasSuffix("}\n"), let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
            object["services"] is [String: Any]
        else { return nil }
        return object["generation"] as? Int
    }

    @Test(
        "a SIGKILL anywhere in a change leaves both files whole, the map never behind the env file; the restart makes them agree on a generation no lower, with the last committed key; no generation ever names two contents"
    )
    func killDuringChanges() throws {
        let fixture = try DaemonFixture()
        let connection = try PostgresConnection(ConnectionOptions(conninfo: fixture.url))
        for index in 0..<400 {
            try connection.query(
                "INSERT INTO api_keys (provider, encrypted_key) VALUES ($1, $2)",
                ["bulk\(index)", try Fernet.encrypt(Array("sk-bulk-\(index)".utf8), key: fixture.key)])
        }
        try connection.query(
            "INSERT INTO api_keys (provider, encrypted_key) VALUES ('openai', $1)",
            [try Fernet.encrypt(Array("sk-round-0".utf8), key: fixture.key)])

        var named: [Int: String] = [:]  // generation → content, across the whole run
        var highest = 0
        var killedBetween = 0
        func record(_ generation: Int, _ content: String) {
            if let earlier = named[generation] {
                #expect(earlier == content, "generation \(generation) named two contents")
            }
            named[generation] = content
            highest = max(highest, generation)
        }

        var daemon = try fixture.start()
        _ = try fixture.waitReady()
        for round in 1...24 {
            let secret = "sk-round-\(round)"
            try connection.query(
                "UPDATE api_keys SET encrypted_key = $1 WHERE provider = 'openai'",
                [try Fernet.encrypt(Array(secret.utf8), key: fixture.key)])
            // 0 to 12 ms after the commit: before the read, in the render, between
            // the renames, in the fsyncs, the counter or the seal, or after all.
            usleep(useconds_t((round / 2) * 1000))
            daemon.signal(SIGKILL)
            #expect(daemon.waitForExit() != nil)

            let env = Self.parseEnv(fixture.envText())
            let mapGeneration = Self.mapGeneration(fixture.mapText())
            #expect(env != nil, "round \(round): the env file is not whole")
            #expect(mapGeneration != nil, "round \(round): the model map is not whole")
            guard let env, let mapGeneration else { return }
            #expect(mapGeneration >= env.generation, "round \(round): map \(mapGeneration) behind env \(env.generation)")
            #expect(env.generation >= highest, "round \(round): the env file went back from \(highest) to \(env.generation)")
            if mapGeneration > env.generation { killedBetween += 1 }
            record(env.generation, env.content)

            // Every other round the key changes again while the daemon is down: the
            // restart must give that content a generation of its own.
            var expected = secret
            if round % 2 == 0 {
                expected = "sk-round-\(round)-while-down"
                try connection.query(
                    "UPDATE api_keys SET encrypted_key = $1 WHERE provider = 'openai'",
                    [try Fernet.encrypt(Array(expected.utf8), key: fixture.key)])
            }
            let before = fixture.notify.all.count
            daemon = try fixture.start()
            _ = try fixture.waitReady(after: before)
            let restarted = Self.parseEnv(fixture.envText())
            #expect(
                restarted?.content.split(separator: "\n").contains("OPENAI_API_KEY=\(expected)") == true, "round \(round): the restart lost the committed key")
            #expect(Self.mapGeneration(fixture.mapText()) == restarted?.generation, "round \(round): the files disagree after the restart")
            if let restarted {
                #expect(restarted.generation >= mapGeneration)
                record(restarted.generation, restarted.content)
            }
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: fixture.directory.file("run")).filter { $0.contains(".tmp-") }
            #expect(leftovers.isEmpty, "round \(round): \(leftovers)")
        }
        #expect(daemon.stop() == 0)
        // How many kills landed between the two renames (for the record; timing decides).
        print("ChangePathCrashTests: \(killedBetween) of 24 kills left the map one generation ahead")
    }
}
