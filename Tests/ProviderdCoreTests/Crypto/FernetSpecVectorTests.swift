import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

/// The Fernet spec's own test vectors, as shipped in the `cryptography-vectors`
/// PyPI package (`cryptography_vectors/fernet/*.json`).
@Suite("Fernet spec vectors", .enabled(if: TestEnvironment.pythonTestsEnabled))
struct FernetSpecVectorTests {
    struct Vector: Decodable {
        let token: String
        let now: String
        let iv: [UInt8]?
        let src: String?
        let secret: String
        let ttl_sec: Int64?
        let desc: String?
    }

    static func load(_ name: String) throws -> [Vector] {
        let output = try ProcessRunner.python(
            "import cryptography_vectors, os; print(os.path.dirname(cryptography_vectors.__file__))")
        let directory = output.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(directory)/fernet/\(name).json"))
        return try JSONDecoder().decode([Vector].self, from: data)
    }

    static func unixTime(_ text: String) throws -> Int64 {
        guard let date = ISO8601DateFormatter().date(from: text) else { throw TestSupportError("bad date \(text)") }
        return Int64(date.timeIntervalSince1970)
    }

    @Test("generate.json: same IV and time give the same token")
    func generate() throws {
        let vectors = try Self.load("generate")
        #expect(!vectors.isEmpty)
        for vector in vectors {
            let key = try FernetKey(base64: vector.secret)
            let token = try Fernet.encrypt(
                Array(vector.src!.utf8), key: key,
                timestamp: try Self.unixTime(vector.now), iv: vector.iv!)
            #expect(token == vector.token)
        }
    }

    @Test("verify.json: tokens decrypt within their TTL")
    func verify() throws {
        let vectors = try Self.load("verify")
        #expect(!vectors.isEmpty)
        for vector in vectors {
            let key = try FernetKey(base64: vector.secret)
            let ttl = Fernet.TTL(seconds: vector.ttl_sec!, now: try Self.unixTime(vector.now))
            #expect(try Fernet.decrypt(vector.token, key: key, ttl: ttl) == Array(vector.src!.utf8))
        }
    }

    @Test("invalid.json: every invalid token is refused")
    func invalid() throws {
        let vectors = try Self.load("invalid")
        #expect(vectors.count >= 8)
        for vector in vectors {
            let key = try FernetKey(base64: vector.secret)
            let ttl = Fernet.TTL(seconds: vector.ttl_sec!, now: try Self.unixTime(vector.now))
            #expect(throws: FernetError.self, "\(vector.desc ?? "?")") {
                try Fernet.decrypt(vector.token, key: key, ttl: ttl)
            }
        }
    }
}
