import Foundation

/// A value in a link's query string, percent-encoded by Foundation: every byte
/// but the unreserved ones (RFC 3986), so a name with `&`, `#` or spaces stays
/// one value.
package enum PageQuery {
    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    package static func escape(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }
}
