import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

@Suite("keygen, encrypt, decrypt and key configuration through the binary")
struct CryptoCommandTests {
    @Test("keygen prints a key Python's Fernet accepts; --version prints the version")
    func keygen() throws {
        let output = try ProviderdCLI().succeed(["keygen"])
        let key = try FernetKey(base64: output.stdoutText)
        #expect(output.stdoutText == key.base64 + "\n")
        #expect(try ProviderdCLI().succeed(["--version"]).stdoutText == ProviderdVersion.current + "\n")
    }

    @Test("--help prints the usage and exits 0, for providerd and every subcommand (it printed an error and exited 1)")
    func help() throws {
        for arguments in [["--help"], ["budgets", "--help"], ["budgets", "set", "--help"], ["models", "set", "--help"], ["help", "keys"]] {
            let output = try ProviderdCLI().run(arguments)
            #expect(output.status == 0, "\(arguments): \(output.stderrText)")
            #expect(output.stdoutText.contains("USAGE:") || output.stdoutText.contains("Usage:"), "\(arguments): \(output.stdoutText)")
            #expect(!output.stderrText.contains("CommandError"), "\(arguments): \(output.stderrText)")
        }
        #expect(try ProviderdCLI().run(["budgets", "set", "--help"]).stdoutText.contains("--scope"))
    }

    @Test("encrypt then decrypt returns exact bytes, trailing newline and all")
    func roundTrip() throws {
        let key = try FernetKey.generate()
        let cli = ProviderdCLI(encryptionKey: key.base64)
        for plaintext in ["", "line\n", "two\nlines\n\n", "ünïcode $HOME 'q' \"d\""] {
            let token = try cli.succeed(["encrypt"], stdin: plaintext).stdoutText
            #expect(try Fernet.decrypt(token, key: key) == Array(plaintext.utf8))
            #expect(try cli.succeed(["decrypt"], stdin: "  \n" + token).stdoutText == plaintext)
        }
    }

    @Test("decrypt of a bad token: an error on stderr, nothing on stdout, non-zero exit")
    func badToken() throws {
        let key = try FernetKey.generate()
        let cli = ProviderdCLI(encryptionKey: key.base64)
        let other = ProviderdCLI(encryptionKey: try FernetKey.generate().base64)
        let token = try other.succeed(["encrypt"], stdin: "top-secret").stdoutText
        for bad in [token, "garbage!!", "", String(token.dropLast(10))] {
            let output = try cli.run(["decrypt"], stdin: bad)
            #expect(output.status == 1)
            #expect(output.stdout.isEmpty)
            #expect(output.stderrText.contains("invalid Fernet token"))
            #expect(!output.stderrText.contains("top-secret"))
        }
    }

    @Test("commands that need a key refuse to start without one; the others work")
    func keyRequirement() throws {
        let cli = ProviderdCLI()
        for arguments in [["encrypt"], ["decrypt"], ["keys", "set", "openai"], ["keys", "rotate", "openai"], ["reencrypt"]] {
            let output = try cli.run(arguments, stdin: "sk-x")
            #expect(output.status == 2, "\(arguments)")
            #expect(output.stderrText.contains("no encryption key configured"), "\(arguments): \(output.stderrText)")
        }
        #expect(try cli.run(["keygen"]).status == 0)
    }

    @Test("key file: used before ARCHON_ENCRYPTION_KEY; refused when group-readable")
    func keyFile() throws {
        let key = try FernetKey.generate()
        let directory = try TemporaryDirectory()
        let path = directory.file("providerd.keys")
        _ = FileManager.default.createFile(atPath: path, contents: Data((key.base64 + "\n").utf8))
        chmod(path, 0o600)
        let cli = ProviderdCLI(encryptionKey: try FernetKey.generate().base64)
        let token = try cli.succeed(["encrypt", "--key-file", path], stdin: "x").stdoutText
        #expect(try Fernet.decrypt(token, key: key) == Array("x".utf8))
        chmod(path, 0o644)
        let loose = try cli.run(["encrypt", "--key-file", path], stdin: "x")
        #expect(loose.status == 2)
        #expect(loose.stderrText.contains("chmod 600"))
        #expect(!loose.stderrText.contains(key.base64))
    }

    @Test("a password in --database-url is refused (argv is public); DATABASE_URL may hold one")
    func passwordInFlag() throws {
        let output = try ProviderdCLI().run(["models", "list", "--database-url", "postgresql://u:hunter2@127.0.0.1:1/db"])
        #expect(output.status == 2)
        #expect(output.stderrText.contains("must not contain a password"))
        #expect(!output.stderrText.contains("hunter2"))
        let conninfo = try ProviderdCLI().run(["models", "list", "--database-url", "host=127.0.0.1 password=hunter2"])
        #expect(conninfo.status == 2)
        #expect(!conninfo.stderrText.contains("hunter2"))
    }

    @Test("an unreachable database is exit status 1 with libpq's reason")
    func unreachable() throws {
        let output = try ProviderdCLI(databaseURL: "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2").run(["models", "list"])
        #expect(output.status == 1)
        #expect(output.stderrText.contains("cannot connect to PostgreSQL"))
    }
}
