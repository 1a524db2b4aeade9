#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Checks on what `keys set` stores, done before anything is encrypted, so that a
/// value the env file could never carry is refused at the door, not at render time.
package enum ProviderKeyInput {
    /// An API key: non-empty UTF-8 text without control characters (no NUL, no
    /// newline). The error never includes the secret.
    package static func validateSecret(_ secret: String) throws(InputError) {
        guard !secret.isEmpty else { throw InputError("secret", "is empty; pass the key on stdin") }
        guard secret.utf8.count <= 16_384 else { throw InputError("secret", "longer than 16 KiB") }
        if let bad = ControlCharacters.first(inUTF8: secret.utf8) {
            throw InputError("secret", "contains control character \(ControlCharacters.codePoint(bad)); keys are one line of text")
        }
    }

    /// The secret as read from stdin: exact bytes, with one trailing newline
    /// (`\n` or `\r\n`) dropped, as `echo key | providerd keys set` produces.
    package static func secret(fromStdin bytes: [UInt8]) throws(InputError) -> String {
        var bytes = bytes
        defer { OpenSSL.cleanse(&bytes) }
        if bytes.last == UInt8(ascii: "\n") {
            bytes.removeLast()
            if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw InputError("secret", "is not valid UTF-8")
        }
        return text
    }

    /// A base URL: an absolute http(s) URL without spaces or control characters.
    package static func validateBaseURL(_ url: String) throws(InputError) {
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw InputError("base URL", "'\(url.prefix(200))' must start with http:// or https://")
        }
        guard url.utf8.count <= 2048 else { throw InputError("base URL", "longer than 2048 bytes") }
        guard !url.utf8.contains(UInt8(ascii: " ")), !ControlCharacters.contains(url),
            URL(string: url)?.host != nil
        else {
            throw InputError("base URL", "'\(url.prefix(200))' is not a valid URL")
        }
    }

    /// `--header NAME=VALUE` values as the JSON object stored in the headers column
    /// (compact, keys sorted).
    package static func headersJSON(_ arguments: [String]) throws(InputError) -> String? {
        guard !arguments.isEmpty else { return nil }
        var headers: [String: String] = [:]
        for argument in arguments {
            guard let equals = argument.firstIndex(of: "="), equals != argument.startIndex else {
                throw InputError("header", "'\(argument.prefix(100))' must be NAME=VALUE")
            }
            let name = String(argument[..<equals])
            let value = String(argument[argument.index(after: equals)...])
            let tchar = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
            guard name.allSatisfy({ tchar.contains($0) }) else {
                throw InputError("header", "'\(name.prefix(100))' is not a valid HTTP header name")
            }
            guard !ControlCharacters.contains(value) else {
                throw InputError("header", "value of \(name) contains control characters")
            }
            guard headers[name] == nil else { throw InputError("header", "\(name) given twice") }
            headers[name] = value
        }
        do {
            return try HeaderJSON.encode(headers)
        } catch {
            throw InputError("header", "cannot be encoded as JSON")
        }
    }
}
