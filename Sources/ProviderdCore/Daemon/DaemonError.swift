/// Why the daemon stopped on its own.
package struct DaemonError: Error, CustomStringConvertible, Sendable {
    package let description: String
}
