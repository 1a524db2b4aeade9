/// Why a provider's current row could not be used.
package struct ProviderProblem: Error, Sendable, Equatable, Hashable, CustomStringConvertible {
    package var provider: String
    package var reason: String
    package init(provider: String, reason: String) {
        self.provider = provider
        self.reason = reason
    }
    package var description: String { "provider \(provider): \(reason)" }
}
