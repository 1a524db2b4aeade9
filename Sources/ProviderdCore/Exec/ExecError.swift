/// Why `providerd exec` refused a set of values or could not go on: a code to
/// match on, and a message that says what to do. Messages name variables, lines
/// and files, never a value.
package struct ExecError: Error, Equatable, Sendable, CustomStringConvertible {
    package enum Code: String, Sendable {
        /// `--from-env-file`'s file cannot be read as providerd writes it.
        case envFileUnreadable
        /// A variable no program can be given (too long for `execve`).
        case variableTooLong
        /// Options that do not go together.
        case badOptions
    }

    package let code: Code
    package let message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { message }
}
