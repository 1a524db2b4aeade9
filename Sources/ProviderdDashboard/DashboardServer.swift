import Hummingbird
import Logging
import OpenAPIHummingbird
import OpenAPIRuntime
import ProviderdAPI
import ProviderdCore
import ServiceLifecycle
import UnixSignals

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#endif

/// `providerd dashboard`, assembled in one place: the tokens, the keyring, the
/// price table, the database connections, the middleware chain and the
/// generated API's routes, served by Hummingbird until SIGTERM.
///
/// The middleware order is the security model, outermost first:
/// 1. `APIErrorMiddleware`: every failure becomes the one JSON error shape;
/// 2. `HostCheckMiddleware`: a `Host` not in `dashboard.allowed_hosts` stops here;
/// 3. `BodyLimitMiddleware`: no body past `dashboard.max_body_bytes` is read;
/// 4. `PageAccessMiddleware`: the pages' session, CSRF, cross-site and write
///    checks (paths outside `/api/`);
/// 5. `AccessMiddleware`: the API's caller, CSRF, cross-site and write checks.
/// Routes are registered after the middleware (Hummingbird binds a route to the
/// middleware added before it): the API's from its document, the pages'
/// (`DashboardPages`) from `dashboard/templates`.
package struct DashboardServer {
    package let settings: ProviderdSettings
    package let environment: [String: String]
    package let logger: Logger

    package init(settings: ProviderdSettings, environment: [String: String], logger: Logger) {
        self.settings = settings
        self.environment = environment
        self.logger = logger
    }

    /// The served document, byte for byte the repository's `openapi.json`.
    package static var openAPIDocument: String? { EmbeddedFile.text("Sources/ProviderdAPI/openapi.json") }

    package func run() async throws {
        let dashboard = settings.dashboard
        let tokens = try TokenRegistry.load(settings: dashboard, environment: environment)
        let keyring = try optionalKeyring()
        let prices = try PriceTable.load(file: settings.pricesFile)
        let database = DashboardDatabase(
            options: ConnectionOptions(conninfo: settings.databaseURL, statementTimeoutMilliseconds: 15_000, applicationName: "providerd-dashboard"),
            connections: dashboard.databaseConnections)
        try await checkSchema(database)

        let throttle = LoginThrottleBoard()
        let renderer = try PageRenderer(assets: DashboardAssets.load(chartPath: dashboard.chartJS, logger: logger))
        let access = AccessMiddleware(
            tokens: tokens, database: database, throttle: throttle, allowWrites: dashboard.allowWrites, allowList: dashboard.hostAllowList)
        let router = Router(context: DashboardRequestContext.self)
        router.middlewares.add(APIErrorMiddleware())
        router.middlewares.add(HostCheckMiddleware(allowList: dashboard.hostAllowList))
        router.middlewares.add(BodyLimitMiddleware(maxBytes: dashboard.maxBodyBytes))
        router.middlewares.add(PageAccessMiddleware(access: access, renderer: renderer))
        router.middlewares.add(access)
        let document = Self.openAPIDocument ?? "{}"
        router.get("/api/v1/openapi.json") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: document)))
        }
        let api = ManagementAPI(
            database: database, tokens: tokens, throttle: throttle, settings: settings, keyring: keyring, prices: prices, logger: logger)
        try api.registerHandlers(
            on: router, serverURL: URL(string: "/api/v1")!, configuration: Configuration(jsonEncodingOptions: [.sortedKeys]))
        DashboardPages(api: api, renderer: renderer, logger: logger).register(on: router)

        let address: BindAddress
        switch dashboard.listen {
        case .tcp(let host, let port): address = .hostname(host, port: port)
        case .unix(let path): address = .unixDomainSocket(path: path)
        }
        let listen = dashboard.listen
        let sources = tokens.sources.map { "\($0.key.rawValue): \($0.value)" }.sorted().joined(separator: ", ")
        let logger = self.logger
        let allowWrites = dashboard.allowWrites
        let app = Application(
            router: router, configuration: ApplicationConfiguration(address: address, serverName: nil),
            onServerRunning: { _ in
                if case .unix(let path) = listen { _ = chmod(path, 0o660) }
                logger.notice(
                    "dashboard listening", metadata: ["listen": "\(listen)", "tokens": "\(sources)", "writes": "\(allowWrites ? "allowed" : "off")"])
                SystemdNotifier().ready(status: "serving the dashboard and the management API on \(listen)")
            }, logger: logger)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    .init(service: app), .init(service: SessionPurgeService(database: database, logger: logger)),
                    .init(service: UsageRollupService(database: database, logger: logger)),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            await database.close()
            throw error
        }
        await database.close()
    }

    /// The keyring when one is configured; without one keys are listed, not
    /// written. A configured source that is broken stops the start.
    func optionalKeyring() throws -> FernetKeyring? {
        let loader = KeyringLoader(keyFile: settings.keyFile, environment: environment, fallbackFile: KeyringLoader.installedKeyFile)
        do {
            return try loader.load().keyring
        } catch {
            guard case .notFound = error else { throw error }
            logger.notice("no encryption key configured: keys can be listed but not written")
            return nil
        }
    }

    /// The sessions table is migration 004's: without it no login could work, so
    /// say what to run rather than fail at the first request. A database that is
    /// down is not fatal: requests answer 503 until it is back.
    func checkSchema(_ database: DashboardDatabase) async throws {
        do {
            let present = try await database.withConnection { connection in
                try connection.query("SELECT to_regclass('public.providerd_dashboard_sessions') IS NOT NULL AS present").rows.first?
                    .optionalBool("present") ?? false
            }
            guard present else {
                throw ConfigurationError("the database has no providerd_dashboard_sessions table (migration 004); run `providerd migrate`")
            }
        } catch let error as PostgresError where error.isRetryable {
            logger.warning("database not reachable at start; requests answer 503 until it is", metadata: ["error": "\(error)"])
        }
    }
}
