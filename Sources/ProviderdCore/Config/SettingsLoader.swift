import Configuration
import Logging
import SystemPackage

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#endif

/// Reads `ProviderdSettings` with swift-configuration: command-line flags first,
/// then environment variables (`PROVIDERD_*`, `DATABASE_URL`), then the YAML file
/// (`--config`, default `/etc/providerd/providerd.yaml`; a missing default file is
/// fine, a file named with `--config` must exist). Called at start and on SIGHUP;
/// a bad value throws, so a bad reload leaves the running settings in place.
package struct SettingsLoader: Sendable {
    /// Dotted key → environment variable.
    package static let environmentNames: [String: String] = [
        "database.url": "DATABASE_URL",
        "database.listen_url": "PROVIDERD_LISTEN_URL",
        "keys.file": "PROVIDERD_KEY_FILE",
        "output.env_file": "PROVIDERD_ENV_FILE",
        "output.model_map": "PROVIDERD_MODEL_MAP",
        "output.model_map_mode": "PROVIDERD_MODEL_MAP_MODE",
        "output.owner": "PROVIDERD_OUTPUT_OWNER",
        "output.group": "PROVIDERD_OUTPUT_GROUP",
        "state.dir": "PROVIDERD_STATE_DIR",
        "poll.interval": "PROVIDERD_POLL_INTERVAL",
        "startup.wait": "PROVIDERD_STARTUP_WAIT",
        "usage.socket": "PROVIDERD_SOCKET",
        "usage.socket_mode": "PROVIDERD_SOCKET_MODE",
        "usage.socket_group": "PROVIDERD_SOCKET_GROUP",
        "usage.allow_uids": "PROVIDERD_ALLOW_UIDS",
        "usage.allow_gids": "PROVIDERD_ALLOW_GIDS",
        "usage.flush_interval": "PROVIDERD_FLUSH_INTERVAL",
        "usage.spool_max_bytes": "PROVIDERD_SPOOL_MAX_BYTES",
        "usage.id_window": "PROVIDERD_ID_WINDOW",
        "usage.timestamp_window": "PROVIDERD_TIMESTAMP_WINDOW",
        "usage.max_line_bytes": "PROVIDERD_MAX_LINE_BYTES",
        "usage.stop_flush_timeout": "PROVIDERD_STOP_FLUSH_TIMEOUT",
        "usage.max_connections": "PROVIDERD_MAX_CONNECTIONS",
        "usage.idle_timeout": "PROVIDERD_IDLE_TIMEOUT",
        "prices.file": "PROVIDERD_PRICES",
        "prices.unknown": "PROVIDERD_UNKNOWN_PRICE",
        "log.level": "PROVIDERD_LOG_LEVEL",
        "budgets.fail_closed": "PROVIDERD_BUDGETS_FAIL_CLOSED",
        "budgets.unpriced": "PROVIDERD_BUDGETS_UNPRICED",
        "budgets.refresh_interval": "PROVIDERD_BUDGETS_REFRESH_INTERVAL",
        "budgets.stale_after": "PROVIDERD_BUDGETS_STALE_AFTER",
        "budgets.on_event": "PROVIDERD_BUDGETS_ON_EVENT",
        "budgets.on_event_timeout": "PROVIDERD_BUDGETS_ON_EVENT_TIMEOUT",
        "metrics.textfile": "PROVIDERD_METRICS_TEXTFILE",
        "metrics.interval": "PROVIDERD_METRICS_INTERVAL",
        "dashboard.listen": "PROVIDERD_DASHBOARD_LISTEN",
        "dashboard.token_file": "PROVIDERD_DASHBOARD_TOKEN_FILE",
        "dashboard.viewer_token_file": "PROVIDERD_DASHBOARD_VIEWER_TOKEN_FILE",
        "dashboard.allow_writes": "PROVIDERD_DASHBOARD_ALLOW_WRITES",
        "dashboard.secure_cookies": "PROVIDERD_DASHBOARD_SECURE_COOKIES",
        "dashboard.allowed_hosts": "PROVIDERD_DASHBOARD_ALLOWED_HOSTS",
        "dashboard.session_ttl": "PROVIDERD_DASHBOARD_SESSION_TTL",
        "dashboard.max_body_bytes": "PROVIDERD_DASHBOARD_MAX_BODY_BYTES",
        "dashboard.db_connections": "PROVIDERD_DASHBOARD_DB_CONNECTIONS",
        "dashboard.chart_js": "PROVIDERD_DASHBOARD_CHART_JS",
    ]

    package static let defaultConfigFile = "/etc/providerd/providerd.yaml"

    /// Dotted key → value given on the command line.
    package var flags: [String: String]
    package var environment: [String: String]
    /// `--config`, when given (it must then exist).
    package var configFile: String?
    /// For commands any user runs (`usage push` from an agent): the default file,
    /// root's and providerd's only, is skipped when this user cannot read it.
    package var skipUnreadableDefault: Bool

    package init(
        flags: [String: String] = [:], environment: [String: String], configFile: String? = nil,
        skipUnreadableDefault: Bool = false
    ) {
        self.flags = flags
        self.environment = environment
        self.configFile = configFile
        self.skipUnreadableDefault = skipUnreadableDefault
    }

    package func load() async throws -> ProviderdSettings {
        let path = configFile ?? Self.defaultConfigFile
        let skip = configFile == nil && skipUnreadableDefault && access(path, F_OK) == 0 && access(path, R_OK) != 0
        var file: (any ConfigProvider)?
        // A file of comments only (every line of the shipped example commented out)
        // is an empty document, which the YAML provider refuses as "not a mapping".
        if !skip && !Self.holdsOnlyComments(path) {
            #if YAML
                do {
                    file = try await FileProvider<YAMLSnapshot>(filePath: FilePath(path), allowMissing: configFile == nil)
                } catch {
                    throw ConfigurationError("config file \(path): \(error)")
                }
            #else
                // A build without the YAML trait (scripts/bench-memory's comparison)
                // reads flags and the environment only.
                if configFile != nil || access(path, F_OK) == 0 {
                    throw ConfigurationError("config file \(path): this build has no YAML support (the YAML trait is off)")
                }
            #endif
        }
        var flagValues: [AbsoluteConfigKey: ConfigValue] = [:]
        for (key, value) in flags {
            flagValues[AbsoluteConfigKey(key.split(separator: ".").map(String.init))] = ConfigValue(.string(value), isSecret: false)
        }
        let names = Self.environmentNames
        let environmentProvider = KeyMappingProvider(
            upstream: EnvironmentVariablesProvider(environmentVariables: environment),
            keyMapper: { key in AbsoluteConfigKey([names[key.components.joined(separator: ".")] ?? "PROVIDERD_UNMAPPED"]) })
        var providers: [any ConfigProvider] = [InMemoryProvider(name: "flags", values: flagValues), environmentProvider]
        if let file { providers.append(file) }
        let reader = ConfigReader(providers: providers)
        return try Self.settings(from: reader, configPath: path)
    }

    /// True for an existing file whose lines are all blank or `#` comments.
    static func holdsOnlyComments(_ path: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: path) else { return false }
        return data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true).allSatisfy { line in
            let text = line.drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }
            return text.isEmpty || text.first == UInt8(ascii: "#")
        }
    }

    static func settings(from reader: ConfigReader, configPath: String) throws -> ProviderdSettings {
        var settings = ProviderdSettings()
        func text(_ key: String) -> String? {
            guard let value = reader.string(forKey: ConfigKey(key.split(separator: ".").map(String.init))) else { return nil }
            return value.isEmpty ? nil : value
        }
        func bad(_ key: String, _ rule: String) -> ConfigurationError {
            ConfigurationError("\(key) (\(environmentNames[key] ?? key)): \(rule)")
        }
        func seconds(_ key: String, _ range: ClosedRange<Double>) throws -> Double? {
            guard let value = text(key) else { return nil }
            guard let number = DecimalText.double(value), range.contains(number) else {
                throw bad(key, "'\(value)' is not a number of seconds from \(range.lowerBound) to \(range.upperBound)")
            }
            return number
        }
        func integer(_ key: String, _ range: ClosedRange<Int>) throws -> Int? {
            guard let value = text(key) else { return nil }
            guard let number = Int(value), range.contains(number) else {
                throw bad(key, "'\(value)' is not an integer from \(range.lowerBound) to \(range.upperBound)")
            }
            return number
        }
        func mode(_ key: String) throws -> mode_t? {
            guard let value = text(key) else { return nil }
            guard let number = mode_t(value, radix: 8), number <= 0o777 else {
                throw bad(key, "'\(value)' is not an octal file mode such as 0644")
            }
            return number
        }
        func path(_ key: String) throws -> String? {
            guard let value = text(key) else { return nil }
            guard value.hasPrefix("/") else { throw bad(key, "'\(value)' must be an absolute path") }
            return value
        }

        settings.databaseURL = text("database.url")
        settings.listenURL = text("database.listen_url")
        settings.keyFile = try path("keys.file")
        settings.envFile = try path("output.env_file") ?? settings.envFile
        settings.modelMap = try path("output.model_map") ?? settings.modelMap
        settings.modelMapMode = try mode("output.model_map_mode") ?? settings.modelMapMode
        if let owner = text("output.owner") { settings.outputOwner = try UserDatabase.uid(owner, key: "output.owner") }
        if let group = text("output.group") { settings.outputGroup = try UserDatabase.gid(group, key: "output.group") }
        if let entries = reader.stringArray(forKey: ConfigKey(["output", "env_names"])) {
            settings.envNameOverrides = try EnvNameTable.parseOverrides(entries)
        }
        settings.stateDir = try path("state.dir") ?? settings.stateDir
        settings.pollInterval = try seconds("poll.interval", 0.1...86_400) ?? settings.pollInterval
        settings.startupWait = try seconds("startup.wait", 0...86_400) ?? settings.startupWait
        settings.socket = try path("usage.socket") ?? settings.socket
        settings.socketMode = try mode("usage.socket_mode") ?? settings.socketMode
        if let group = text("usage.socket_group") { settings.socketGroup = try UserDatabase.gid(group, key: "usage.socket_group") }
        if let list = text("usage.allow_uids") {
            settings.allowUIDs = try list.split(separator: ",").map { try UserDatabase.uid(String($0.trimmingWhitespace()), key: "usage.allow_uids") }
        }
        if let list = text("usage.allow_gids") {
            settings.allowGIDs = try list.split(separator: ",").map { try UserDatabase.gid(String($0.trimmingWhitespace()), key: "usage.allow_gids") }
        }
        settings.flushInterval = try seconds("usage.flush_interval", 0.01...3_600) ?? settings.flushInterval
        settings.spoolMaxBytes = try integer("usage.spool_max_bytes", 1 << 20...(1 << 50)) ?? settings.spoolMaxBytes
        settings.idWindow = try seconds("usage.id_window", 0...(86_400 * 365)) ?? settings.idWindow
        settings.timestampWindow = try seconds("usage.timestamp_window", 0...(86_400 * 3_650)) ?? settings.timestampWindow
        settings.maxLineBytes = try integer("usage.max_line_bytes", 1_024...(1 << 30)) ?? settings.maxLineBytes
        settings.stopFlushTimeout = try seconds("usage.stop_flush_timeout", 0...600) ?? settings.stopFlushTimeout
        settings.maxConnections = try integer("usage.max_connections", 1...1_000_000) ?? settings.maxConnections
        settings.idleTimeout = try seconds("usage.idle_timeout", 1...(86_400 * 7)) ?? settings.idleTimeout
        settings.pricesFile = try path("prices.file")
        if let policy = text("prices.unknown") {
            guard let value = ProviderdSettings.UnknownPricePolicy(rawValue: policy) else {
                throw bad("prices.unknown", "'\(policy)' must be seed-fallback or zero")
            }
            settings.unknownPrice = value
        }
        if let level = text("log.level") {
            guard let value = Logger.Level(rawValue: level.lowercased()) else {
                throw bad("log.level", "'\(level)' must be trace, debug, info, notice, warning, error or critical")
            }
            settings.logLevel = value
        }
        func flag(_ key: String) throws -> Bool? {
            guard let value = text(key) else { return nil }
            guard let flag = ["true": true, "false": false][value.lowercased()] else { throw bad(key, "'\(value)' must be true or false") }
            return flag
        }
        settings.budgetsFailClosed = try flag("budgets.fail_closed") ?? settings.budgetsFailClosed
        if let value = text("budgets.unpriced") {
            guard let block = ["count": false, "block": true][value] else {
                throw bad("budgets.unpriced", "'\(value)' must be count or block")
            }
            settings.budgetsBlockUnpriced = block
        }
        settings.budgetsRefreshInterval = try seconds("budgets.refresh_interval", 0.1...60) ?? settings.budgetsRefreshInterval
        settings.budgetsStaleAfter = try seconds("budgets.stale_after", 1...86_400) ?? settings.budgetsStaleAfter
        let hookTimeout = try seconds("budgets.on_event_timeout", 1...3_600) ?? 10
        if let command = text("budgets.on_event") { settings.budgetsOnEvent = try BudgetHook.parse(command, timeout: hookTimeout) }
        if let file = try path("metrics.textfile") {
            guard file.hasSuffix(".prom") else {
                throw bad("metrics.textfile", "'\(file)' must end in .prom (node_exporter's textfile collector reads only those)")
            }
            settings.metricsTextfile = file
        }
        settings.metricsInterval = try seconds("metrics.interval", 1...3_600) ?? settings.metricsInterval
        if let listen = text("dashboard.listen") { settings.dashboard.listen = try DashboardListenAddress(parsing: listen) }
        settings.dashboard.adminTokenFile = try path("dashboard.token_file")
        settings.dashboard.viewerTokenFile = try path("dashboard.viewer_token_file")
        settings.dashboard.allowWrites = try flag("dashboard.allow_writes") ?? false
        settings.dashboard.secureCookies = try flag("dashboard.secure_cookies") ?? false
        let hosts =
            reader.stringArray(forKey: ConfigKey(["dashboard", "allowed_hosts"]))
            ?? text("dashboard.allowed_hosts").map { $0.split(separator: ",").map { String($0.trimmingWhitespace()) } }
        if let hosts {
            for host in hosts { try HostAllowList.validate(host) }
            settings.dashboard.allowedHosts = hosts
        }
        settings.dashboard.sessionTTL = try seconds("dashboard.session_ttl", 60...(86_400 * 30)) ?? settings.dashboard.sessionTTL
        settings.dashboard.maxBodyBytes = try integer("dashboard.max_body_bytes", 1_024...(64 << 20)) ?? settings.dashboard.maxBodyBytes
        settings.dashboard.databaseConnections = try integer("dashboard.db_connections", 1...64) ?? settings.dashboard.databaseConnections
        settings.dashboard.chartJS = try path("dashboard.chart_js") ?? settings.dashboard.chartJS
        return settings
    }
}
