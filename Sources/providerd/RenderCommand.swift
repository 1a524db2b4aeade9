import ArgumentParser
import Logging
import ProviderdCore

struct RenderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Render the env file and model map once and exit (ExecStartPre, cron).")

    @OptionGroup var options: DaemonOptions

    func run() async throws {
        let settings = try await options.loader().load()
        let logger = LoggerBootstrap.logger(level: settings.logLevel)
        let keyring = try KeyringLoader(keyFile: settings.keyFile, environment: options.environment, fallbackFile: KeyringLoader.installedKeyFile).load()
            .keyring
        let state = try StateDirectory(path: settings.stateDir)
        let lock = try StateDirectoryLock(directory: state)
        let result = try ConfigPublisher.renderOnce(settings: settings, keyring: keyring, state: state, logger: logger)
        withExtendedLifetime(lock) {}
        if !result.problems.isEmpty || !result.serviceProblems.isEmpty {
            let refused = result.problems.map { "provider \($0.provider)" } + result.serviceProblems.map { "service \($0.service)" }
            throw CommandFailure(
                message: "rendered, but \(refused.count) row(s) were refused: " + refused.joined(separator: ", "),
                status: ExitStatus.problem)
        }
    }
}
