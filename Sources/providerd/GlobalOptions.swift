import ArgumentParser
import Logging
import ProviderdCore
import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Options every command that touches the database or the keys shares. They read
/// the same settings as `providerd run`, with the same precedence: flags, then the
/// environment, then the config file (`--config`, default
/// /etc/providerd/providerd.yaml), so that after editing that file `migrate`,
/// `keys`, `models` and `usage` reach the same database with the same keys.
struct GlobalOptions: ParsableArguments {
    @Option(help: "YAML config file (default /etc/providerd/providerd.yaml; a missing default is fine).")
    var config: String?

    @Option(
        name: .customLong("database-url"),
        help: "PostgreSQL URL or conninfo (no password: use DATABASE_URL, ~/.pgpass or PG* variables).")
    var databaseURL: String?

    @Option(
        name: .customLong("key-file"),
        help: "File with Fernet keys, one per line, first is primary (mode 0600).")
    var keyFile: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String?

    @Flag(name: .customLong("json"), help: "Print one JSON document instead of a table.")
    var json = false

    var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// Loads the settings and bootstraps logging: the first thing a command does.
    func resolve() async throws -> AdminContext {
        var flags: [String: String] = [:]
        flags["database.url"] = try databaseURL.map { try DatabaseSettings.checkedFlag($0, name: "--database-url") }
        flags["keys.file"] = keyFile
        flags["log.level"] = logLevel
        let settings = try await SettingsLoader(flags: flags, environment: environment, configFile: config).load()
        return AdminContext(settings: settings, environment: environment, logger: LoggerBootstrap.logger(level: settings.logLevel))
    }

    func printJSON<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }
}

/// What an admin command works with once its settings are read.
struct AdminContext {
    let settings: ProviderdSettings
    let environment: [String: String]
    let logger: Logger

    func connect() throws -> PostgresConnection {
        try PostgresConnection(ConnectionOptions(conninfo: settings.databaseURL))
    }

    var envNames: EnvNameTable { EnvNameTable(overrides: settings.envNameOverrides) }

    /// The keyring, for commands that encrypt or decrypt: none found is an error.
    /// Without a configured source, the file the unit's `LoadCredential=` reads.
    func keyring() throws -> FernetKeyring {
        let (keyring, source) = try KeyringLoader(
            keyFile: settings.keyFile, environment: environment,
            fallbackFile: KeyringLoader.installedKeyFile
        ).load()
        logger.debug("loaded encryption keys", metadata: ["source": "\(source)", "key_ids": "\(keyring.keyIDs.joined(separator: ","))"])
        return keyring
    }

    /// The keyring if one is configured, for commands that only use it to show
    /// fingerprints; a configured but broken source is still an error.
    func optionalKeyring() throws -> FernetKeyring? {
        do {
            return try keyring()
        } catch KeySourceError.notFound {
            return nil
        }
    }
}

/// `LoggingSystem.bootstrap` may run once per process.
enum LoggerBootstrap {
    private static let done = Mutex(false)

    static func logger(level: Logger.Level) -> Logger {
        once(level: level)
        var logger = Logger(label: "providerd")
        logger.logLevel = level
        return logger
    }

    static func once(level: Logger.Level) {
        done.withLock { done in
            guard !done else { return }
            done = true
            let journal = ProcessInfo.processInfo.environment["JOURNAL_STREAM"]?.isEmpty == false
            LoggingSystem.bootstrap { label in
                var handler = JournalLogHandler(label: label, journal: journal)
                handler.logLevel = level
                return handler
            }
        }
    }
}
