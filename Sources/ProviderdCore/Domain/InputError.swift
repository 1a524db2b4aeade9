/// A value given by a user (flag, stdin, row) that breaks a rule. The message names
/// the field and the rule; it never repeats a secret.
package struct InputError: Error, Equatable, Sendable, CustomStringConvertible {
    package let field: String
    package let rule: String

    package init(_ field: String, _ rule: String) {
        self.field = field
        self.rule = rule
    }

    package var description: String { "\(field): \(rule)" }
}
