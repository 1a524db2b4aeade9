/// Why no usable keyring could be loaded. Messages name the source and line, never
/// key material.
package enum KeySourceError: Error, Equatable, Sendable, CustomStringConvertible {
    case notFound
    case unreadable(path: String, reason: String)
    case tooOpen(path: String, mode: String)
    case empty(source: String)
    case invalid(source: String, detail: String)

    package var description: String {
        switch self {
        case .notFound:
            return "no encryption key configured: set --key-file or PROVIDERD_KEY_FILE, provide the systemd "
                + "credential providerd.keys, set ARCHON_ENCRYPTION_KEY, or create \(KeyringLoader.installedKeyFile) (make a key with `providerd keygen`)"
        case .unreadable(let path, let reason):
            return "cannot read key file \(path): \(reason)"
        case .tooOpen(let path, let mode):
            return "key file \(path) has mode \(mode), readable by group or others; run `chmod 600 \(path)`"
        case .empty(let source):
            return "\(source) holds no key"
        case .invalid(let source, let detail):
            return "\(source): \(detail)"
        }
    }
}
