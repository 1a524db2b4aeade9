#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A URL as it may be shown (`keys list`, logs): a password in its user-info part
/// (`https://user:PASS@host`) is replaced, never printed.
package enum URLRedaction {
    package static let mask = "REDACTED"

    package static func withoutPassword(_ url: String) -> String {
        guard url.contains("@") else { return url }
        guard var components = URLComponents(string: url) else { return "(a URL with credentials; not shown)" }
        if components.password != nil { components.percentEncodedPassword = mask }
        return components.string ?? "(a URL with credentials; not shown)"
    }
}
