/// A price file providerd cannot use: which file, where in it, and what is wrong.
/// A bad file at start stops the daemon (exit 2); on SIGHUP the running table stays.
package struct PriceTableError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file's path, or "built-in prices".
    package let origin: String
    package let message: String

    package init(origin: String, _ message: String) {
        self.origin = origin
        self.message = message
    }

    package var description: String {
        "prices \(origin): \(message) (regenerate it with scripts/update-prices, or point prices.file elsewhere)"
    }
}
