import ArgumentParser
import ProviderdCore

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply the embedded migrations that are not yet applied, under an advisory lock.")

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        let context = try await options.resolve()
        let connection = try context.connect()
        let outcomes = try MigrationRunner(logger: context.logger).run(on: connection)
        if options.json {
            struct Report: Encodable {
                let migration: String
                let action: String
            }
            try options.printJSON(["migrations": outcomes.map { Report(migration: $0.migration, action: $0.action.rawValue) }])
            return
        }
        var table = TextTable(["MIGRATION", "RESULT"])
        for outcome in outcomes { table.append([outcome.migration, outcome.action.rawValue]) }
        print(table.render(), terminator: "")
    }
}
