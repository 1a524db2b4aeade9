import ProviderdCore

/// A login token: `pdt_` and 43 base64url characters (256 random bits), so that a
/// guess is hopeless and a token found in a log or a paste is recognisable.
///
/// A token file holds one token per line, `NAME:TOKEN` (NAME is who the writes are
/// recorded as: `updated_by`) or a bare `TOKEN` (recorded as the role's name).
/// Blank lines and `#` comments are allowed. `providerd dashboard token` prints a
/// line to append.
package enum DashboardToken {
    package static let prefix = "pdt_"
    /// Tokens shorter than this are refused when the file is read: a token is a
    /// password that cannot be rate-limited across every host that might try it.
    package static let minimumLength = 32

    /// A new token, from OpenSSL's CSPRNG.
    package static func generate() throws -> String {
        prefix + String(Base64URL.encode(try OpenSSL.randomBytes(32)).filter { $0 != "=" })
    }

    /// The line for a token file.
    package static func line(user: String, token: String) -> String { "\(user):\(token)" }

    /// A user name for `updated_by` and the logs: 1 to 64 of `A-Z a-z 0-9 _ . @ -`.
    package static func isValidUser(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...64).contains(bytes.count) else { return false }
        return bytes.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == UInt8(ascii: "_")
                || b == UInt8(ascii: ".") || b == UInt8(ascii: "@") || b == UInt8(ascii: "-")
        }
    }
}
