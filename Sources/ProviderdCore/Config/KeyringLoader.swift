#if canImport(Glibc)
    import Glibc
#endif

/// Finds the encryption keys, first source that exists wins:
/// 1. the key file (`--key-file` / `PROVIDERD_KEY_FILE`): one key per line, first is primary;
/// 2. the systemd credential `providerd.keys` in `$CREDENTIALS_DIRECTORY`;
/// 3. `ARCHON_ENCRYPTION_KEY`: one key, or a comma-separated list, first is primary;
/// 4. `fallbackFile`, when it exists: the commands pass `installedKeyFile`, the file
///    the unit's `LoadCredential=` reads, so that `sudo providerd keys set` on an
///    installed host uses the daemon's keys without being told where they are.
///
/// Never generates a key: the seed's throwaway key made stored rows unreadable later.
package struct KeyringLoader: Sendable {
    package var keyFile: String?
    package var environment: [String: String]
    package var fallbackFile: String?

    /// Where the package's unit loads the keys from (`LoadCredential=providerd.keys:...`).
    package static let installedKeyFile = "/etc/providerd/providerd.keys"

    package init(keyFile: String?, environment: [String: String], fallbackFile: String? = nil) {
        self.keyFile = keyFile
        self.environment = environment
        self.fallbackFile = fallbackFile
    }

    /// The keyring and a description of where it came from (safe to log).
    package func load() throws(KeySourceError) -> (keyring: FernetKeyring, source: String) {
        if let path = keyFile ?? environment["PROVIDERD_KEY_FILE"].flatMap({ $0.isEmpty ? nil : $0 }) {
            return try fromFile(path, source: "key file \(path)")
        }
        if let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty {
            let path = directory + "/providerd.keys"
            if access(path, F_OK) == 0 {
                return try fromFile(path, source: "credential providerd.keys")
            }
        }
        if let value = environment["ARCHON_ENCRYPTION_KEY"] {
            let keys = value.split(separator: ",").map { String($0.trimmingWhitespace()) }.filter { !$0.isEmpty }
            return try parse(keys, source: "ARCHON_ENCRYPTION_KEY")
        }
        if let path = fallbackFile, access(path, F_OK) == 0 {
            return try fromFile(path, source: "key file \(path)")
        }
        throw .notFound
    }

    func fromFile(_ path: String, source: String) throws(KeySourceError) -> (keyring: FernetKeyring, source: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw .unreadable(path: path, reason: "not a regular file") }
        if info.st_mode & 0o077 != 0 {
            throw .tooOpen(path: path, mode: "0" + String(info.st_mode & 0o777, radix: 8))
        }
        var bytes: [UInt8]
        do {
            bytes = try DescriptorIO.readAll(fd, limit: 1 << 20, path: path, secret: true)
        } catch {
            throw .unreadable(path: path, reason: error.code == EFBIG ? "larger than 1 MiB" : String(cString: strerror(error.code)))
        }
        defer { OpenSSL.cleanse(&bytes) }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .invalid(source: source, detail: "not UTF-8 text")
        }
        // One key per line; blank lines and # comments are allowed.
        var keys: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingWhitespace()
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            keys.append(String(trimmed))
        }
        return try parse(keys, source: source)
    }

    func parse(_ keys: [String], source: String) throws(KeySourceError) -> (keyring: FernetKeyring, source: String) {
        guard !keys.isEmpty else { throw .empty(source: source) }
        do {
            return (try FernetKeyring(base64Keys: keys), source)
        } catch {
            throw .invalid(source: source, detail: error.description)
        }
    }
}
