import ProviderdCore

#if canImport(Glibc)
    import Glibc
#endif

/// The dashboard's login tokens, read from `dashboard.token_file` (admin) and
/// `dashboard.viewer_token_file` (viewer), or from the systemd credentials
/// `providerd.dashboard-token` and `providerd.dashboard-viewer-token`.
///
/// Only SHA-256 digests are kept in memory. A presented token is hashed and
/// compared with every entry in constant time (`CRYPTO_memcmp`, no early exit), so
/// neither the time nor the order of the file tells a guesser anything.
package struct TokenRegistry: Sendable {
    package struct Entry: Sendable, Equatable {
        package var user: String
        package var role: DashboardRole
        package var digest: [UInt8]
        /// The first 16 hex digits of the digest: which token a session came from
        /// (its sessions end when the token leaves the file). Safe to log.
        package var fingerprint: String { Hex.encode(digest.prefix(8)) }
    }

    package struct Match: Sendable, Equatable {
        package var user: String
        package var role: DashboardRole
        package var fingerprint: String
    }

    package private(set) var entries: [Entry]
    /// Where each role's tokens came from, for the start-up log line.
    package private(set) var sources: [DashboardRole: String]

    package init(entries: [Entry], sources: [DashboardRole: String] = [:]) {
        self.entries = entries
        self.sources = sources
    }

    package static let adminCredential = "providerd.dashboard-token"
    package static let viewerCredential = "providerd.dashboard-viewer-token"

    /// Reads both roles' files (a configured file must exist; a credential is used
    /// when no file is configured). At least one token must be found.
    package static func load(settings: DashboardSettings, environment: [String: String]) throws(DashboardError) -> TokenRegistry {
        var registry = TokenRegistry(entries: [])
        let roles: [(DashboardRole, String?, String)] = [
            (.admin, settings.adminTokenFile, adminCredential), (.viewer, settings.viewerTokenFile, viewerCredential),
        ]
        for (role, file, credential) in roles {
            var path = file
            var source = file.map { "file \($0)" }
            if path == nil, let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty,
                access(directory + "/" + credential, F_OK) == 0
            {
                path = directory + "/" + credential
                source = "credential \(credential)"
            }
            guard let path, let source else { continue }
            registry.entries += try readFile(path, role: role, source: source)
            registry.sources[role] = source
        }
        guard !registry.entries.isEmpty else {
            throw DashboardError(
                .noTokens,
                "no dashboard token found: set dashboard.token_file (admin) or dashboard.viewer_token_file, or load the credential \(adminCredential); make one with `providerd dashboard token --user NAME`"
            )
        }
        return registry
    }

    /// The entry a presented token matches, if any. Every entry is compared.
    package func match(_ presented: String) -> Match? {
        var token = Substring(presented)
        // A whole file line pasted (NAME:TOKEN) works too: the token is after the last colon.
        if let colon = token.lastIndex(of: ":") { token = token[token.index(after: colon)...] }
        var bytes = Array(token.utf8)
        defer { OpenSSL.cleanse(&bytes) }
        let digest = OpenSSL.sha256(bytes)
        var found: Entry?
        for entry in entries {
            if OpenSSL.constantTimeEqual(entry.digest[...], digest[...]) && found == nil { found = entry }
        }
        return found.map { Match(user: $0.user, role: $0.role, fingerprint: $0.fingerprint) }
    }

    /// True while a token with this fingerprint and role is in the files: a
    /// session from a removed token is no longer honoured.
    package func contains(fingerprint: String, role: DashboardRole) -> Bool {
        entries.contains { $0.fingerprint == fingerprint && $0.role == role }
    }

    static func readFile(_ path: String, role: DashboardRole, source: String) throws(DashboardError) -> [Entry] {
        func bad(_ rule: String) -> DashboardError { DashboardError(.badTokenFile, "dashboard tokens (\(source)): \(rule)") }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw bad(String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { throw bad("not a regular file") }
        guard info.st_mode & 0o077 == 0 else {
            throw bad("mode 0\(String(info.st_mode & 0o777, radix: 8)) lets others read it; chmod 600 \(path)")
        }
        var bytes: [UInt8]
        do {
            bytes = try DescriptorIO.readAll(fd, limit: 1 << 20, path: path, secret: true)
        } catch {
            throw bad(error.code == EFBIG ? "larger than 1 MiB" : String(cString: strerror(error.code)))
        }
        defer { OpenSSL.cleanse(&bytes) }
        var entries: [Entry] = []
        for (index, line) in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            guard let text = String(validating: line, as: UTF8.self) else { throw bad("line \(index + 1) is not UTF-8") }
            let trimmed = text.trimmingWhitespace()
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            var user = role.rawValue
            var token = trimmed
            if let colon = trimmed.lastIndex(of: ":") {
                user = String(trimmed[..<colon])
                token = trimmed[trimmed.index(after: colon)...]
                guard DashboardToken.isValidUser(user) else {
                    throw bad("line \(index + 1): the name before ':' must be 1 to 64 of A-Z a-z 0-9 _ . @ -")
                }
            }
            // Never echo the token; say only what is wrong with it.
            guard token.utf8.count >= DashboardToken.minimumLength else {
                throw bad("line \(index + 1): the token is shorter than \(DashboardToken.minimumLength) characters; make one with `providerd dashboard token`")
            }
            var tokenBytes = Array(token.utf8)
            entries.append(Entry(user: user, role: role, digest: OpenSSL.sha256(tokenBytes)))
            OpenSSL.cleanse(&tokenBytes)
        }
        return entries
    }
}
