/// A value given by a user (flag, stdin, row) that breaks a rule. The message names
/// the field and the rule; it never repeats a secret.
public struct InputError: Error, Equatable, Sendable, CustomStringConvertible {
    public let field: String
    public let rule: String

    public init(_ field: String, _ rule: String) {
        self.field = field
        self.rule = rule
    }

    public var description: String { "\(field): \(rule)" }
}
