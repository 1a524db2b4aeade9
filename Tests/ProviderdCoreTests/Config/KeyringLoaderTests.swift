import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

@Suite("Key sources")
struct KeyringLoaderTests {
    let first = try! FernetKey.generate()
    let second = try! FernetKey.generate()

    func writeKeyFile(_ text: String, mode: mode_t = 0o600, in directory: TemporaryDirectory, name: String = "keys") -> String {
        let path = directory.file(name)
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        chmod(path, mode)
        return path
    }

    @Test("ARCHON_ENCRYPTION_KEY: one key, or a comma list with the first primary")
    func environmentKeys() throws {
        let single = try KeyringLoader(keyFile: nil, environment: ["ARCHON_ENCRYPTION_KEY": first.base64]).load()
        #expect(single.keyring.keyIDs == [first.id])
        let list = try KeyringLoader(keyFile: nil, environment: ["ARCHON_ENCRYPTION_KEY": "\(second.base64), \(first.base64)"]).load()
        #expect(list.keyring.keyIDs == [second.id, first.id])
        #expect(list.source == "ARCHON_ENCRYPTION_KEY")
    }

    @Test("a key file wins over the credential and the environment; comments and blanks are skipped")
    func keyFileFirst() throws {
        let directory = try TemporaryDirectory()
        let path = writeKeyFile("# rotated 2026-11\n\n\(second.base64)\n  \(first.base64)  \n", in: directory)
        let credentials = try TemporaryDirectory()
        _ = writeKeyFile(first.base64, in: credentials, name: "providerd.keys")
        let env = ["ARCHON_ENCRYPTION_KEY": first.base64, "CREDENTIALS_DIRECTORY": credentials.path]
        #expect(try KeyringLoader(keyFile: path, environment: env).load().keyring.keyIDs == [second.id, first.id])
        #expect(
            try KeyringLoader(keyFile: nil, environment: env.merging(["PROVIDERD_KEY_FILE": path]) { $1 }).load()
                .keyring.keyIDs == [second.id, first.id])
        let fromCredential = try KeyringLoader(keyFile: nil, environment: env).load()
        #expect(fromCredential.keyring.keyIDs == [first.id])
        #expect(fromCredential.source == "credential providerd.keys")
    }

    @Test("a key file readable by group or others is refused, as ssh refuses a loose key")
    func looseFile() throws {
        let directory = try TemporaryDirectory()
        let path = writeKeyFile(first.base64, mode: 0o640, in: directory)
        #expect(throws: KeySourceError.tooOpen(path: path, mode: "0640")) {
            try KeyringLoader(keyFile: path, environment: [:]).load()
        }
    }

    @Test("no source at all is an error that says how to make a key; nothing is generated")
    func nothing() throws {
        do {
            _ = try KeyringLoader(keyFile: nil, environment: [:]).load()
            Issue.record("loaded a keyring from nowhere")
        } catch {
            #expect(error == .notFound)
            #expect(error.description.contains("providerd keygen"))
        }
    }

    @Test("a bad key names its place in the list, never its text")
    func badKey() throws {
        let directory = try TemporaryDirectory()
        let bogus = "c2hvcnQtYnV0LXNlY3JldC1sb29raW5n"
        let path = writeKeyFile("\(first.base64)\n\(bogus)\n", in: directory)
        do {
            _ = try KeyringLoader(keyFile: path, environment: [:]).load()
            Issue.record("accepted a bad key")
        } catch {
            #expect(error.description.contains("key 2 of 2"))
            #expect(!error.description.contains(bogus))
        }
        let empty = writeKeyFile("# nothing yet\n", in: directory, name: "empty")
        #expect(throws: KeySourceError.empty(source: "key file \(empty)")) {
            try KeyringLoader(keyFile: empty, environment: [:]).load()
        }
        #expect(throws: KeySourceError.self) {
            try KeyringLoader(keyFile: directory.file("missing"), environment: [:]).load()
        }
    }
}
