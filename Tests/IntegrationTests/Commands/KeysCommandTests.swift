import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

@Suite(
    "keys and reencrypt against PostgreSQL, interoperating with Python",
    .enabled(if: TestEnvironment.databaseTestsEnabled && TestEnvironment.pythonTestsEnabled))
struct KeysCommandTests {
    /// Writes a row the way the seed's APIKeyManager did: Python Fernet, psycopg.
    static let pythonSetKey = """
        import sys, psycopg
        from cryptography.fernet import Fernet
        token = Fernet(sys.argv[2].encode()).encrypt(sys.stdin.read().encode()).decode()
        with psycopg.connect(sys.argv[1], autocommit=True) as conn:
            conn.execute(
                "INSERT INTO api_keys (provider, encrypted_key, is_active) VALUES (%s, %s, true) "
                "ON CONFLICT (provider) DO UPDATE SET encrypted_key = EXCLUDED.encrypted_key, is_active = true",
                (sys.argv[3], token))
        """

    static let pythonGetKey = """
        import sys, psycopg
        from cryptography.fernet import Fernet
        with psycopg.connect(sys.argv[1]) as conn:
            token, active, base_url, headers = conn.execute(
                "SELECT encrypted_key, is_active, base_url, headers FROM api_keys WHERE provider = %s", (sys.argv[3],)).fetchone()
        sys.stdout.write(Fernet(sys.argv[2].encode()).decrypt(token.encode()).decode())
        sys.stderr.write(f"{active}|{base_url}|{headers}")
        """

    func listed(_ cli: ProviderdCLI) throws -> [String: [String: Any]] {
        let document = try cli.json(["keys", "list"]) as? [String: Any]
        let rows = document?["keys"] as? [[String: Any]] ?? []
        return Dictionary(uniqueKeysWithValues: rows.map { ($0["provider"] as! String, $0) })
    }

    @Test("a row the seed's Python wrote is listed with its fingerprint and decrypts")
    func pythonRowReadable() throws {
        let database = try TestDatabase()
        let key = try FernetKey.generate()
        let cli = ProviderdCLI(databaseURL: database.url, encryptionKey: key.base64)
        try cli.succeed(["migrate"])
        let secret = "sk-python-written-\(UUID().uuidString)"
        _ = try ProcessRunner.python(Self.pythonSetKey, [database.url, key.base64, "anthropic"], stdin: Array(secret.utf8))

        let row = try #require(try listed(cli)["anthropic"])
        #expect(row["fingerprint"] as? String == Fingerprint.hex(of: secret))
        #expect(row["key_id"] as? String == key.id)
        #expect(row["active"] as? Bool == true)

        let token = try database.connect().query("SELECT encrypted_key FROM api_keys WHERE provider = 'anthropic'").rows[0]["encrypted_key"]!
        let decrypted = try cli.succeed(["decrypt"], stdin: token + "\n")
        #expect(decrypted.stdoutText == secret)

        // Without any key configured, list still works and shows no fingerprint.
        let keyless = ProviderdCLI(databaseURL: database.url)
        #expect(try listed(keyless)["anthropic"]?["fingerprint"] as? String == "-")
    }

    @Test("a row written by keys set decrypts in Python; base URL and headers as the seed stores them")
    func setReadableByPython() throws {
        let database = try TestDatabase()
        let key = try FernetKey.generate()
        let cli = ProviderdCLI(databaseURL: database.url, encryptionKey: key.base64)
        try cli.succeed(["migrate"])
        // Odd but renderable (a `$` with a `'` is refused at the door; see below).
        let secret = "sk-proj-'quoted\" it's #1 = \\ ok"
        try cli.succeed(
            ["keys", "set", "openai", "--base-url", "https://proxy.example/v1", "--header", "X-Org=acme"],
            stdin: secret + "\n")
        let output = try ProcessRunner.python(Self.pythonGetKey, [database.url, key.base64, "openai"])
        #expect(output.stdoutText == secret)
        #expect(output.stderrText == "True|https://proxy.example/v1|{'X-Org': 'acme'}")

        // Set again without --base-url keeps it (the seed's rule); --clear-base-url removes it.
        try cli.succeed(["keys", "set", "openai"], stdin: "sk-second")
        #expect(
            try ProcessRunner.python(Self.pythonGetKey, [database.url, key.base64, "openai"]).stderrText
                == "True|https://proxy.example/v1|{'X-Org': 'acme'}")
        try cli.succeed(["keys", "set", "openai", "--clear-base-url"], stdin: "sk-third")
        let cleared = try ProcessRunner.python(Self.pythonGetKey, [database.url, key.base64, "openai"])
        #expect(cleared.stdoutText == "sk-third")
        #expect(cleared.stderrText == "True|None|{'X-Org': 'acme'}")
    }

    @Test("deactivate and rotate behave as the seed's APIKeyManager")
    func deactivateAndRotate() throws {
        let database = try TestDatabase()
        let key = try FernetKey.generate()
        let cli = ProviderdCLI(databaseURL: database.url, encryptionKey: key.base64)
        try cli.succeed(["migrate"])
        try cli.succeed(["keys", "set", "groq"], stdin: "gsk-one")
        try cli.succeed(["keys", "deactivate", "groq"])
        #expect(try listed(cli)["groq"]?["active"] as? Bool == false)
        let missing = try cli.run(["keys", "deactivate", "mistral"])
        #expect(missing.status == 1)
        #expect(missing.stderrText.contains("no key stored for provider mistral"))

        try cli.succeed(["keys", "rotate", "groq"], stdin: "gsk-two\n")
        let row = try #require(try listed(cli)["groq"])
        #expect(row["active"] as? Bool == true)
        #expect(row["fingerprint"] as? String == Fingerprint.hex(of: "gsk-two"))
        #expect(try ProcessRunner.python(Self.pythonGetKey, [database.url, key.base64, "groq"]).stdoutText == "gsk-two")
    }

    @Test("reencrypt moves every row, active or not, to the primary key in one go")
    func reencrypt() throws {
        let database = try TestDatabase()
        let old = try FernetKey.generate()
        let new = try FernetKey.generate()
        try ProviderdCLI(databaseURL: database.url).succeed(["migrate"])
        _ = try ProcessRunner.python(Self.pythonSetKey, [database.url, old.base64, "openai"], stdin: Array("sk-a".utf8))
        _ = try ProcessRunner.python(Self.pythonSetKey, [database.url, old.base64, "cohere"], stdin: Array("co-b".utf8))
        let both = ProviderdCLI(databaseURL: database.url, encryptionKey: "\(new.base64),\(old.base64)")
        try both.succeed(["keys", "deactivate", "cohere"])

        let report = try both.json(["reencrypt"]) as? [String: Any]
        #expect(report?["rows"] as? Int == 2)
        #expect(report?["from_older_keys"] as? Int == 2)
        #expect(report?["primary_key_id"] as? String == new.id)
        // The new key alone (and Python with it) now reads both rows.
        let newOnly = ProviderdCLI(databaseURL: database.url, encryptionKey: new.base64)
        let rows = try listed(newOnly)
        #expect(rows["openai"]?["fingerprint"] as? String == Fingerprint.hex(of: "sk-a"))
        #expect(rows["cohere"]?["fingerprint"] as? String == Fingerprint.hex(of: "co-b"))
        #expect(rows["cohere"]?["active"] as? Bool == false)
        #expect(try ProcessRunner.python(Self.pythonGetKey, [database.url, new.base64, "cohere"]).stdoutText == "co-b")
    }

    @Test("reencrypt changes nothing when one row does not decrypt")
    func reencryptAllOrNothing() throws {
        let database = try TestDatabase()
        let key = try FernetKey.generate()
        let stranger = try FernetKey.generate()
        let cli = ProviderdCLI(databaseURL: database.url, encryptionKey: key.base64)
        try cli.succeed(["migrate"])
        try cli.succeed(["keys", "set", "openai"], stdin: "sk-mine")
        _ = try ProcessRunner.python(Self.pythonSetKey, [database.url, stranger.base64, "mistral"], stdin: Array("m-x".utf8))
        let before = try database.connect().query("SELECT provider, encrypted_key FROM api_keys ORDER BY 1").rows.map(\.values)
        let output = try cli.run(["reencrypt"])
        #expect(output.status == 1)
        #expect(output.stderrText.contains("provider mistral does not decrypt"))
        #expect(output.stderrText.contains(key.id))
        let after = try database.connect().query("SELECT provider, encrypted_key FROM api_keys ORDER BY 1").rows.map(\.values)
        #expect(before == after)
    }

    @Test("on a seed-only schema a new provider name gets advice to migrate")
    func seedConstraintAdvice() throws {
        let database = try TestDatabase()
        #expect(try database.psqlFile(MigrationTests.migration001).status == 0)
        let cli = ProviderdCLI(databaseURL: database.url, encryptionKey: try FernetKey.generate().base64)
        let output = try cli.run(["keys", "set", "deepseek"], stdin: "sk-ds")
        #expect(output.status == 1)
        #expect(output.stderrText.contains("providerd migrate"))
        try cli.succeed(["migrate"])
        try cli.succeed(["keys", "set", "deepseek"], stdin: "sk-ds")
    }

    @Test("bad input is refused with a clear error and exit status 2")
    func badInput() throws {
        let database = try TestDatabase()
        let cli = ProviderdCLI(databaseURL: database.url, encryptionKey: try FernetKey.generate().base64)
        try cli.succeed(["migrate"])
        let cases: [([String], String, String)] = [
            (["keys", "set", "OpenAI"], "sk-x", "is not a provider name"),
            (["keys", "set", "openai"], "", "secret: is empty"),
            (["keys", "set", "openai"], "sk-1\nsk-2\n", "control character U+000A"),
            (["keys", "set", "openai", "--base-url", "ftp://x"], "sk-x", "must start with http:// or https://"),
            (["keys", "set", "openai", "--header", "nope"], "sk-x", "must be NAME=VALUE"),
            (["keys", "set", "openai", "--base-url", "https://a", "--clear-base-url"], "sk-x", "cannot be used together"),
        ]
        for (arguments, stdin, message) in cases {
            let output = try cli.run(arguments, stdin: stdin)
            #expect(output.status == 2, "\(arguments): \(output.stderrText)")
            #expect(output.stderrText.contains(message), "\(arguments): \(output.stderrText)")
            #expect(output.stdout.isEmpty)
        }
        #expect(try database.connect().query("SELECT count(*) AS n FROM api_keys").rows[0]["n"] == "0")
    }

    @Test("keys set refuses what rendering would refuse, says why, and stores nothing; rotate of an unknown provider creates nothing")
    func refusedAtTheDoor() throws {
        let database = try TestDatabase()
        let key = try FernetKey.generate()
        let cli = ProviderdCLI(databaseURL: database.url, encryptionKey: key.base64)
        try cli.succeed(["migrate"])
        try cli.succeed(["keys", "set", "foo-bar"], stdin: "fb-working")
        let cases: [(provider: String, secret: String, reason: String)] = [
            ("openai", "sk-$both'quotes", "no quoting carries both"),
            ("anthropic", "sk-${HOME}", "python-dotenv expands"),
            ("co", "co-key", "CO_API_KEY"),
            ("foo_bar", "fb-other", "also claimed by foo-bar"),
        ]
        for item in cases {
            let output = try cli.run(["keys", "set", item.provider], stdin: item.secret)
            #expect(output.status == 2, "\(item.provider): \(output.stderrText)")
            #expect(output.stderrText.contains(item.reason) && output.stderrText.contains("nothing was stored"), "\(output.stderrText)")
            #expect(!output.stderrText.contains(item.secret))
        }
        #expect(Set(try listed(cli).keys) == ["foo-bar"])
        let rotate = try cli.run(["keys", "rotate", "mistral"], stdin: "mi-new")
        #expect(rotate.status != 0 && rotate.stderrText.contains("no key is stored for provider mistral"), "\(rotate.stderrText)")
        #expect(Set(try listed(cli).keys) == ["foo-bar"])
        try cli.succeed(["keys", "rotate", "foo-bar"], stdin: "fb-rotated")
    }
}
