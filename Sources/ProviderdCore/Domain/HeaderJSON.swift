#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The one spelling of a provider's extra headers, in `api_keys.headers` and in
/// the env file: compact JSON, keys sorted, slashes bare. `providerd keys set`
/// writes it and the renderer re-spells what the database returns, so the env
/// file's bytes do not depend on who stored the row.
package enum HeaderJSON {
    package static func encode(_ headers: [String: String]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(headers), as: UTF8.self)
    }
}
