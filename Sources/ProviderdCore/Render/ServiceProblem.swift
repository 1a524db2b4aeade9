/// A `model_config` row the model map cannot carry.
package struct ServiceProblem: Sendable, Equatable, Hashable, CustomStringConvertible {
    package var service: String
    package var reason: String
    package init(service: String, reason: String) {
        self.service = service
        self.reason = reason
    }
    package var description: String { "service \(service): \(reason)" }
}
