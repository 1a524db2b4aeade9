import ArgumentParser
import Logging
import ProviderdCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#endif

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
            BudgetsCommand.self,
            DashboardCommand.self,
            ExecCommand.self,
        ]
    )

    /// Parses, runs, and maps every failure to one line on stderr and providerd's
    /// exit statuses (1 problem, 2 bad usage or configuration). A failure to parse
    /// (or a `--help`, `--version`) is told apart from a command's failure by where
    /// it is caught, not by the error's type.
    static func main() async {
        let command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exitAfterParsing(error)
        }
        do {
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                var command = command
                try command.run()
            }
        } catch let error as ExitCode {
            Glibc.exit(error.rawValue)
        } catch let error where error is ValidationError || error is CleanExit || exitCode(for: error) == .success {
            // ArgumentParser's own errors, thrown by a command's `run`: usage, as at parse time.
            // `--help` is one of them: parsed as ArgumentParser's help command, whose
            // `run` throws the help request (exit code success).
            exitAfterParsing(error)
        } catch {
            try? DescriptorIO.writeAll(STDERR_FILENO, Array("providerd: error: \(error)\n".utf8), path: "standard error")
            Glibc.exit(ExitStatus.forError(error))
        }
    }

    /// ArgumentParser's message for a parse error, help or version: exit 0 for the
    /// latter two (on stdout), 2 for the rest.
    private static func exitAfterParsing(_ error: any Error) -> Never {
        let message = fullMessage(for: error)
        if exitCode(for: error) == .success {
            print(message)
            Glibc.exit(0)
        }
        try? DescriptorIO.writeAll(STDERR_FILENO, Array((message + "\n").utf8), path: "standard error")
        Glibc.exit(ExitStatus.usage)
    }
}
