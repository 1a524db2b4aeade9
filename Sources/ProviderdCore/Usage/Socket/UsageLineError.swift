/// Why a line was refused. The message names the field and the rule; it goes back
/// to the client as `{"ok":false,"error":...}`.
package struct UsageLineError: Error, Sendable, Equatable, CustomStringConvertible {
    package let message: String
    package init(_ message: String) { self.message = message }
    package var description: String { message }
}
