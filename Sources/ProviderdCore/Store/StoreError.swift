/// Store failures that are not plain database errors.
package enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    case undecryptable(provider: String, reason: String)
    case providerNotAllowed(provider: String)
    case notFound(String)
    /// A report the database cannot make from what it holds (sums past a bigint).
    case outOfRange(String)

    package var description: String {
        switch self {
        case .undecryptable(let provider, let reason):
            return "the stored key of provider \(provider) does not decrypt: \(reason); nothing was changed"
        case .providerNotAllowed(let provider):
            return
                "the database's valid_provider constraint refuses provider '\(provider)' (the seed allowed 8 providers); run `providerd migrate` to allow any provider name"
        case .notFound(let what), .outOfRange(let what):
            return what
        }
    }
}
