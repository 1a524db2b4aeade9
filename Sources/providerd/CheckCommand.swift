import ArgumentParser
import Logging
import ProviderdCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check configuration, keys, database, role, migrations, every key and model. Exit 1 on any problem.")

    @OptionGroup var options: DaemonOptions

    func run() async throws {
        let settings = try await options.loader().load()
        _ = LoggerBootstrap.logger(level: settings.logLevel)
        let path = options.config ?? SettingsLoader.defaultConfigFile
        let fileOnly = try await SettingsLoader(environment: [:], configFile: options.config).load()
        let items =
            [ConfigCheck.configFileItem(path: path, fileOnly: fileOnly)]
            + ConfigCheck(settings: settings, environment: options.environment).run()
        let failed = items.contains { $0.status == .error }
        if options.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            struct Report: Encodable {
                let ok: Bool
                let checks: [CheckItem]
            }
            print(String(decoding: try encoder.encode(Report(ok: !failed, checks: items)), as: UTF8.self))
        } else {
            var table = TextTable(["CHECK", "STATUS", "DETAIL"])
            for item in items { table.append([item.check, item.status.rawValue, item.detail]) }
            print(table.render(), terminator: "")
        }
        if failed { throw ExitCode(ExitStatus.problem) }
    }
}
