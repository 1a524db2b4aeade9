import Logging
import ProviderdAPI
import ProviderdCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The management API's handlers: the protocol swift-openapi-generator makes from
/// `Sources/ProviderdAPI/openapi.json`, implemented over the CLI's own stores and
/// validation (`ModelConfigStore`, `APIKeyStore`, `UsageStore`, `BudgetStore`,
/// `ModelRecommender`), never a second implementation. One file per concern:
/// `ManagementAPI+Models.swift`, `+Keys`, `+Usage`, `+Budgets`, `+Session`, `+Insights`.
///
/// Handlers throw the stores' errors; `APIErrorMiddleware` turns them into the
/// one error shape. `AccessMiddleware` has already checked the caller, who is in
/// `DashboardCaller.current`.
package struct ManagementAPI: APIProtocol {
    let database: DashboardDatabase
    let tokens: TokenRegistry
    let throttle: LoginThrottleBoard
    let settings: ProviderdSettings
    /// Nil when no encryption key is configured: keys can be listed (without key
    /// ids) but not written.
    let keyring: FernetKeyring?
    let prices: PriceTable
    /// Every priced model string resolved against `prices` once, at start, for
    /// recommendations.
    let resolutions: [String: PriceTable.Resolution]
    /// The priced model strings, each once: every recommendation's candidates.
    let candidateModels: [String]
    let logger: Logger

    package init(
        database: DashboardDatabase, tokens: TokenRegistry, throttle: LoginThrottleBoard, settings: ProviderdSettings,
        keyring: FernetKeyring?, prices: PriceTable, logger: Logger
    ) {
        self.database = database
        self.tokens = tokens
        self.throttle = throttle
        self.settings = settings
        self.keyring = keyring
        self.prices = prices
        let unknown: UsagePricer.UnknownPolicy = settings.unknownPrice == .zero ? .zero : .seedFallback
        self.resolutions = ModelRecommender(table: prices, unknown: unknown).resolutions()
        self.candidateModels = ModelRecommender(table: prices, unknown: unknown).candidateModels()
        self.logger = logger
    }

    /// The caller `AccessMiddleware` checked. Its absence is a wiring fault, not
    /// a client's: refuse rather than serve anonymously.
    var caller: DashboardCaller {
        get throws {
            guard let caller = DashboardCaller.current else { throw APIError.unauthorized }
            return caller
        }
    }

    /// Logs a write: who, what, on what. Never a value (a key, a header).
    func logWrite(_ operation: String, _ target: String) throws {
        let caller = try caller
        logger.notice(
            "dashboard write",
            metadata: ["user": "\(caller.user)", "role": "\(caller.role.rawValue)", "operation": "\(operation)", "target": "\(target.prefix(300))"])
    }
}

extension ManagementAPI {
    /// Runs `body`, renaming the fields of its `InputError`s from the CLI's names
    /// (`secret`, `base URL`) to the API's (`key`, `base_url`); the rule stays the CLI's.
    func renamingFields<T>(_ names: [String: String], _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as InputError {
            throw InputError(names[error.field] ?? error.field, error.rule)
        }
    }
}

/// Store values into the generated types through their shared JSON: the API
/// answers with the very JSON the CLI's `--json` prints, and the generated
/// decoder checks it against the document's schema.
enum GeneratedValue {
    static func convert<T: Decodable>(_ value: some Encodable, to type: T.Type = T.self) throws -> T {
        try JSONDecoder().decode(T.self, from: try JSONEncoder().encode(value))
    }
}
