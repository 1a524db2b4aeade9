import ArgumentParser
import ProviderdCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The options every command that loads the full configuration takes (`run`,
/// `render`, `check`, `exec`): where the configuration, the database, the keys
/// and the state are. Flags win over environment variables, which win over the file.
struct SettingsOptions: ParsableArguments {
    @Option(help: "YAML config file (default /etc/providerd/providerd.yaml; a missing default is fine).")
    var config: String?

    @Option(name: .customLong("database-url"), help: "PostgreSQL URL or conninfo, without a password.")
    var databaseURL: String?

    @Option(name: .customLong("listen-url"), help: "Direct (session) connection for LISTEN, when database-url is a pooler.")
    var listenURL: String?

    @Option(name: .customLong("key-file"), help: "Fernet key file, one key per line, first is primary (mode 0600).")
    var keyFile: String?

    @Option(name: .customLong("state-dir"), help: "State directory (default /var/lib/providerd).")
    var stateDir: String?

    @Option(name: .customLong("poll-interval"), help: "Seconds between polls, ±10% jitter (default 30).")
    var pollInterval: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String?

    var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// The settings these flags set, by key; `extra` are a command's own.
    func loader(extra: [String: String] = [:]) throws -> SettingsLoader {
        var flags: [String: String] = extra
        flags["database.url"] = try databaseURL.map { try DatabaseSettings.checkedFlag($0, name: "--database-url") }
        flags["database.listen_url"] = try listenURL.map { try DatabaseSettings.checkedFlag($0, name: "--listen-url") }
        flags["keys.file"] = keyFile
        flags["state.dir"] = stateDir
        flags["poll.interval"] = pollInterval
        flags["log.level"] = logLevel
        return SettingsLoader(flags: flags, environment: environment, configFile: config)
    }
}
