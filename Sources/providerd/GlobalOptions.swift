import ArgumentParser
import Foundation
import Logging
import ProviderdCore
import Synchronization

/// Options every command that touches the database or the keys shares.
struct GlobalOptions: ParsableArguments {
    @Option(name: .customLong("database-url"),
            help: "PostgreSQL URL or conninfo (no password: use DATABASE_URL, ~/.pgpass or PG* variables).")
    var databaseURL: String?

    @Option(name: .customLong("key-file"),
            help: "File with Fernet keys, one per line, first is primary (mode 0600).")
    var keyFile: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String?

    @Flag(name: .customLong("json"), help: "Print one JSON document instead of a table.")
    var json = false

    var environment: [String: String] { ProcessInfo.processInfo.environment }

    func logger() throws -> Logger {
        let text = logLevel ?? environment["PROVIDERD_LOG_LEVEL"] ?? "info"
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            throw ConfigurationError("log level '\(text)' is not one of trace, debug, info, notice, warning, error, critical")
        }
        return LoggerBootstrap.logger(level: level)
    }

    func connect() throws -> PostgresConnection {
        try PostgresConnection(DatabaseSettings.connectionOptions(flag: databaseURL, environment: environment))
    }

    /// The keyring, for commands that encrypt or decrypt: none found is an error.
    func keyring(logger: Logger) throws -> FernetKeyring {
        let (keyring, source) = try KeyringLoader(keyFile: keyFile, environment: environment).load()
        logger.debug("loaded encryption keys", metadata: ["source": "\(source)", "key_ids": "\(keyring.keyIDs.joined(separator: ","))"])
        return keyring
    }

    /// The keyring if one is configured, for commands that only use it to show
    /// fingerprints; a configured but broken source is still an error.
    func optionalKeyring(logger: Logger) throws -> FernetKeyring? {
        do {
            return try keyring(logger: logger)
        } catch KeySourceError.notFound {
            return nil
        }
    }

    func printJSON<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
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
