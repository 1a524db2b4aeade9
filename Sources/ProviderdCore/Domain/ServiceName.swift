/// `model_config.service_name` and a usage record's `service_name`: 1 to 256 bytes
/// of UTF-8 without control characters. One rule; the admin commands and the usage
/// socket word their errors each in their own way (both are part of their output).
package enum ServiceName {
    package enum Violation: Sendable, Equatable {
        case length
        case controlCharacter
    }

    package static let maxBytes = 256

    @inlinable
    package static func violation(_ name: some StringProtocol) -> Violation? {
        let count = name.utf8.count
        guard count > 0, count <= maxBytes else { return .length }
        return ControlCharacters.contains(name) ? .controlCharacter : nil
    }
}
