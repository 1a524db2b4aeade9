/// A setting given in a way providerd refuses (wrong value, unsafe place).
package struct ConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    package let message: String
    package init(_ message: String) { self.message = message }
    package var description: String { message }
}
