/// providerd's exit statuses: 0 success, 1 a problem found or an operation that
/// failed (database down, key does not decrypt), 2 bad usage or configuration.
package enum ExitStatus {
    package static let success: Int32 = 0
    package static let problem: Int32 = 1
    package static let usage: Int32 = 2

    package static func forError(_ error: any Error) -> Int32 {
        switch error {
        case is InputError, is KeySourceError, is ConfigurationError, is PriceTableError:
            return usage
        case let error as FernetError:
            if case .invalidKey = error { return usage }
            if case .noKeys = error { return usage }
            return problem
        default:
            return problem
        }
    }
}
