import ArgumentParser
import Logging
import ProviderdCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "Manage which model each service uses (model_config).",
        subcommands: [Set.self, List.self, BulkUpdate.self, Recommend.self])

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a service's model (provider:model).")

        @Argument(help: "Service name, e.g. rag_agent.") var service: String
        @Argument(help: "Model string, provider:model, e.g. openai:gpt-4o.") var model: String
        @Option(parsing: .unconditional, help: "Sampling temperature, 0.0 to 2.0.") var temperature: String?
        @Option(name: .customLong("max-tokens"), parsing: .unconditional, help: "Maximum tokens per response, > 0.") var maxTokens: Int?
        @Option(name: .customLong("updated-by"), help: "Who made the change.") var updatedBy: String?
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let context = try await options.resolve()
            // The seed lets any provider through `set`; say so when `check` would object.
            switch try ModelString(model).finding {
            case .ok: break
            case .warning(let text), .error(let text):
                context.logger.warning("model string accepted, but \(text)", metadata: ["service": "\(service)"])
            }
            let temperature = try self.temperature.map { text throws in
                guard let value = DecimalText.double(text) else { throw InputError("--temperature", "'\(text.prefix(40))' is not a decimal number") }
                return value
            }
            try ModelConfigStore(connection: try context.connect())
                .set(service: service, model: model, temperature: temperature, maxTokens: maxTokens, updatedBy: updatedBy)
            if options.json {
                try options.printJSON(["service": service, "model": model])
            } else {
                print("\(service) -> \(model)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List configured services and the seed's default services (marked as defaults).")

        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let context = try await options.resolve()
            let models = try ModelConfigStore(connection: try context.connect()).all()
            if options.json {
                try options.printJSON(["services": models])
                return
            }
            var table = TextTable(["SERVICE", "MODEL", "TEMPERATURE", "MAX TOKENS", "SOURCE", "UPDATED", "BY"])
            for entry in models {
                table.append([
                    entry.service, entry.model, String(entry.temperature), entry.maxTokens.map(String.init) ?? "-",
                    entry.isDefault ? "default" : "table", entry.updatedAt ?? "-", entry.updatedBy ?? "-",
                ])
            }
            print(table.render(), terminator: "")
        }
    }

    struct BulkUpdate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bulk-update",
            abstract: "Move every service using provider P to provider Q, mapping model names with --map.")

        @Option(name: .customLong("from"), help: "Current provider.") var from: String
        @Option(name: .customLong("to"), help: "New provider.") var to: String
        @Option(name: .customLong("map"), help: "OLD=NEW model name mapping (repeatable).") var map: [String] = []
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let context = try await options.resolve()
            var modelMap: [String: String] = [:]
            for entry in map {
                guard let equals = entry.firstIndex(of: "="), equals != entry.startIndex,
                    entry.index(after: equals) != entry.endIndex
                else {
                    throw InputError("map", "'\(entry)' must be OLD=NEW")
                }
                modelMap[String(entry[..<equals])] = String(entry[entry.index(after: equals)...])
            }
            let changed = try ModelConfigStore(connection: try context.connect())
                .bulkUpdate(from: from, to: to, modelMap: modelMap)
            if options.json {
                struct Change: Encodable {
                    let service: String
                    let model: String
                }
                struct Report: Encodable {
                    let updated: Int
                    let services: [Change]
                }
                try options.printJSON(Report(updated: changed.count, services: changed.map { Change(service: $0.service, model: $0.model) }))
                return
            }
            print("updated \(changed.count) service(s)")
            for change in changed { print("  \(change.service) -> \(change.model)") }
        }
    }

    struct Recommend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cheaper models for the tokens a service used: its usage repriced under every priced model.",
            discussion: "List prices only, not quality; another provider's tokenizer counts differently, so its costs are estimates.")

        @Argument(help: "Service name.") var service: String
        @Option(parsing: .unconditional, help: "UTC days back, today included (1 to 366).") var days = 30
        @Option(help: "How many candidates to show (the table; --json gives all).") var top = 10
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            guard (1...366).contains(days) else { throw InputError("--days", "must be 1 to 366 (got \(days))") }
            let context = try await options.resolve()
            let connection = try context.connect()
            let models = try ModelConfigStore(connection: connection).all()
            guard let current = models.first(where: { $0.service == service }) else {
                throw StoreError.notFound("no service '\(service.prefix(80))' in model_config or the defaults")
            }
            let rows = try UsageStore(connection: connection).serviceTokens(service: service, days: days)
            let table = try PriceTable.load(file: context.settings.pricesFile)
            let unknown: UsagePricer.UnknownPolicy = context.settings.unknownPrice == .zero ? .zero : .seedFallback
            let report = ModelRecommender(table: table, unknown: unknown).recommend(service: service, currentModel: current.model, rows: rows)
            if options.json {
                try options.printJSON(report)
                return
            }
            print("\(service): \(current.model), $\(report.currentCostUSD) over \(days) days (\(report.tokens.requests) requests)")
            var table_ = TextTable(["MODEL", "COST USD", "SAVING USD", "NOTE"])
            for candidate in report.candidates.prefix(top) {
                let note = [candidate.sameProvider ? "same provider" : "other tokenizer: estimate", candidate.tieredEstimate ? "tiered: estimate" : ""]
                    .filter { !$0.isEmpty }.joined(separator: "; ")
                table_.append([candidate.model, candidate.costText, "\(candidate.savingUSD)", note])
            }
            print(table_.render(), terminator: "")
            if !report.excluded.isEmpty { print("\(report.excluded.count) models left out (no price for a token kind used; --json lists them)") }
            for caveat in report.caveats { print("note: \(caveat)") }
        }
    }
}
