import ArgumentParser
import Logging
import ProviderdCore

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the daemon: keep the env file and model map in step with PostgreSQL.")

    @OptionGroup var options: DaemonOptions

    func run() async throws {
        // Before anything of the daemon's own is open.
        let inherited = InheritedDescriptors.atStart(listenDescriptors: UsageServer.listenDescriptorCount())
        MemoryTrim.configure()
        let loader = try options.loader()
        let settings = try await loader.load()
        let logger = LoggerBootstrap.logger(level: settings.logLevel)
        let environment = options.environment
        let keyring = try KeyringLoader(keyFile: settings.keyFile, environment: environment, fallbackFile: KeyringLoader.installedKeyFile).load().keyring
        // A price file of the operator's is checked before anything starts (a bad one
        // is exit 2); the built-in table is known good and loads at the first flush.
        let prices = try settings.pricesFile.map { try PriceTable.load(file: $0) }
        try await ProviderdDaemon.run(
            settings: settings, keyring: keyring, prices: prices, loader: loader, environment: environment,
            inherited: inherited, logger: logger)
    }
}
