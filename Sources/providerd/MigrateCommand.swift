import ArgumentParser
import ProviderdCore

struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply the embedded migrations that are not yet applied, under an advisory lock.")

    @OptionGroup var options: GlobalOptions

    func run() throws {
        let logger = try options.logger()
        let connection = try options.connect()
        let outcomes = try MigrationRunner(logger: logger).run(on: connection)
        if options.json {
            struct Report: Encodable { let migration: String; let action: String }
            try options.printJSON(["migrations": outcomes.map { Report(migration: $0.migration, action: $0.action.rawValue) }])
            return
        }
        var table = TextTable(["MIGRATION", "RESULT"])
        for outcome in outcomes { table.append([outcome.migration, outcome.action.rawValue]) }
        print(table.render(), terminator: "")
    }
}
