import ProviderdCore

/// providerd's exit statuses: 0 success, 1 a problem found or an operation that
/// failed (database down, key does not decrypt), 2 bad usage or configuration.
enum ExitStatus {
    static let success: Int32 = 0
    static let problem: Int32 = 1
    static let usage: Int32 = 2

    static func forError(_ error: any Error) -> Int32 {
        switch error {
        case let error as CommandFailure:
            return error.status
        case is InputError, is KeySourceError, is ConfigurationError, is PriceTableError, is DashboardError:
            return usage
        case let error as ExecError where error.code == .badOptions:
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
