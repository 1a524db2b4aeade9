import ArgumentParser
import ProviderdCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Options of the commands that use the full configuration (`run`, `render`,
/// `check`). Flags win over environment variables, which win over the file.
struct DaemonOptions: ParsableArguments {
    @Option(help: "YAML config file (default /etc/providerd/providerd.yaml; a missing default is fine).")
    var config: String?

    @Option(name: .customLong("database-url"), help: "PostgreSQL URL or conninfo, without a password.")
    var databaseURL: String?

    @Option(name: .customLong("listen-url"), help: "Direct (session) connection for LISTEN, when database-url is a pooler.")
    var listenURL: String?

    @Option(name: .customLong("key-file"), help: "Fernet key file, one key per line, first is primary (mode 0600).")
    var keyFile: String?

    @Option(name: .customLong("env-file"), help: "Env file to write (default /run/providerd/providers.env).")
    var envFile: String?

    @Option(name: .customLong("model-map"), help: "Model map to write (default /run/providerd/models.json).")
    var modelMap: String?

    @Option(name: .customLong("state-dir"), help: "State directory (default /var/lib/providerd).")
    var stateDir: String?

    @Option(name: .customLong("poll-interval"), help: "Seconds between polls, ±10% jitter (default 30).")
    var pollInterval: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String?

    @Flag(name: .customLong("json"), help: "Print one JSON document instead of a table (check).")
    var json = false

    var environment: [String: String] { ProcessInfo.processInfo.environment }

    func loader() throws -> SettingsLoader {
        var flags: [String: String] = [:]
        flags["database.url"] = try databaseURL.map { try DatabaseSettings.checkedFlag($0, name: "--database-url") }
        flags["database.listen_url"] = try listenURL.map { try DatabaseSettings.checkedFlag($0, name: "--listen-url") }
        flags["keys.file"] = keyFile
        flags["output.env_file"] = envFile
        flags["output.model_map"] = modelMap
        flags["state.dir"] = stateDir
        flags["poll.interval"] = pollInterval
        flags["log.level"] = logLevel
        return SettingsLoader(flags: flags, environment: environment, configFile: config)
    }
}
