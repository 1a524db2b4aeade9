import ArgumentParser
import Foundation
import Logging
import ProviderdCore

@main
struct Providerd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "providerd",
        abstract: "Keeps provider keys and model choices from PostgreSQL in files PydanticAI agents load.",
        version: ProviderdVersion.current,
        subcommands: [
            RunCommand.self,
            RenderCommand.self,
            CheckCommand.self,
            MigrateCommand.self,
            KeysCommand.self,
            ModelsCommand.self,
            KeygenCommand.self,
            EncryptCommand.self,
            DecryptCommand.self,
            ReencryptCommand.self,
            UsageCommand.self,
        ]
    )

    /// Parses, runs, and maps every failure to one line on stderr and providerd's
    /// exit statuses (1 problem, 2 bad usage or configuration).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let error as ExitCode {
            Foundation.exit(error.rawValue)
        } catch let error where isParserError(error) {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                print(message)
                Foundation.exit(0)
            }
            FileHandle.standardError.write(Data((message + "\n").utf8))
            Foundation.exit(ExitStatus.usage)
        } catch {
            FileHandle.standardError.write(Data("providerd: error: \(error)\n".utf8))
            Foundation.exit(ExitStatus.forError(error))
        }
    }

    private static func isParserError(_ error: any Error) -> Bool {
        !(error is InputError || error is KeySourceError || error is ConfigurationError || error is FernetError
            || error is PostgresError || error is StoreError || error is CommandFailure || error is SystemError
            || error is DaemonError || error is StateDirectoryLock.Held || error is PriceTableError)
    }
}

/// A command's own failure, with the exit status it should produce.
struct CommandFailure: Error, CustomStringConvertible {
    let message: String
    let status: Int32
    var description: String { message }
}
