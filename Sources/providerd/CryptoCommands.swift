import ArgumentParser
import ProviderdCore

struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Print a new Fernet key (the form ARCHON_ENCRYPTION_KEY and key files hold).")

    func run() throws {
        let key = try FernetKey.generate()
        print(key.base64)
    }
}

struct EncryptCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encrypt",
        abstract: "Encrypt stdin (exact bytes) with the primary key; print the Fernet token.")

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        let context = try await options.resolve()
        let keyring = try context.keyring()
        var plaintext = try StandardInput.readAll()
        defer { plaintext.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
        print(try keyring.encrypt(plaintext))
    }
}

struct DecryptCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decrypt",
        abstract: "Decrypt a Fernet token from stdin (surrounding whitespace ignored); write the exact bytes.")

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        let context = try await options.resolve()
        let keyring = try context.keyring()
        let input = try StandardInput.readAll(limit: 64 << 20)
        guard let token = String(validating: input, as: UTF8.self) else {
            throw FernetError.malformedToken("not URL-safe base64")
        }
        var opened = try keyring.decrypt(token)
        StandardInput.writeStdout(opened.plaintext)
        opened.plaintext.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }
}

struct ReencryptCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reencrypt",
        abstract: "Re-encrypt every stored key, active or not, under the primary key, in one transaction.")

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        let context = try await options.resolve()
        let keyring = try context.keyring()
        let report = try APIKeyStore(connection: try context.connect()).reencrypt(keyring: keyring)
        if options.json {
            try options.printJSON(report)
        } else {
            print("re-encrypted \(report.rows) key(s) under key id \(report.primaryKeyID) (\(report.fromOlderKeys) were under older keys)")
        }
    }
}
