/// Why `providerd dashboard` cannot start or serve: a code to match on and a
/// message that says what to do (after swift-service-lifecycle's `ServiceGroupError`).
package struct DashboardError: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Code: String, Sendable, Equatable {
        case noTokens
        case badTokenFile
        case badListenAddress
        case badAllowedHost
    }

    package let code: Code
    package let message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { message }
}
