#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The last-known-good input of the rendered files, sealed with the primary
/// Fernet key in `last-good.fernet`, so that providerd restarted (or the host
/// rebooted, wiping /run) while PostgreSQL is unreachable still renders the same
/// files and becomes ready, saying the values are stale.
package struct SealedState: Sendable, Equatable, Codable {
    package var providers: [ProviderSecrets]
    package var services: [ServiceConfig]
    /// When the database last answered, Unix seconds.
    package var lastContact: Int64

    package init(providers: [ProviderSecrets], services: [ServiceConfig], lastContact: Int64) {
        self.providers = providers
        self.services = services
        self.lastContact = lastContact
    }

    package static let fileName = "last-good.fernet"

    package func seal(with keyring: FernetKeyring, into directory: StateDirectory) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        var plaintext = [UInt8](try encoder.encode(self))
        defer { OpenSSL.cleanse(&plaintext) }
        let token = try keyring.encrypt(plaintext)
        try directory.fileWriter.write(Array((token + "\n").utf8), to: directory.file(Self.fileName))
    }

    /// The sealed state, or nil when there is none. A state no configured key opens
    /// is an error (the key changed), not silently ignored.
    package static func unseal(with keyring: FernetKeyring, from directory: StateDirectory) throws -> SealedState? {
        guard let bytes = try AtomicFileWriter.read(directory.file(fileName)) else { return nil }
        var opened = try keyring.decrypt(String(decoding: bytes, as: UTF8.self))
        defer { OpenSSL.cleanse(&opened.plaintext) }
        return try JSONDecoder().decode(SealedState.self, from: Data(opened.plaintext))
    }
}
