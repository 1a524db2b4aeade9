import ArgumentParser
import ProviderdCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

struct BudgetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "budgets",
        abstract: "Spending limits per UTC day, week or month, and the alerts at their thresholds.",
        subcommands: [Set.self, List.self, Status.self, Delete.self])

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create or replace a budget. A budget set mid-period counts what the period has already spent.")

        @Argument(help: "Budget name: 1 to 64 of A-Z a-z 0-9 _ . -") var name: String
        @Option(help: "global, service:NAME, provider:NAME or model:PROVIDER:MODEL.") var scope: String
        @Option(help: "day, week (from Monday) or month, in UTC.") var period: String
        @Option(parsing: .unconditional, help: "Limit in USD, e.g. 100 or 2.50.") var limit: String
        @Option(parsing: .unconditional, help: "Fractions of the limit that record an event (default 0.5,0.8,0.9,1).")
        var thresholds: String?
        @Option(help: "alert (default), block (agents are refused) or withhold_key (provider or global scope).") var action: String?
        @Flag(name: .customLong("disable"), help: "Keep the budget and its spend, but neither alert nor enforce it (set again without it to enable).")
        var disabled = false
        @Option(name: .customLong("updated-by"), help: "Who made the change.") var updatedBy: String?
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let context = try await options.resolve()
            let input = try BudgetInput(
                name: name, scope: scope, period: period, limit: limit, thresholds: thresholds, action: action, isActive: !disabled)
            let outcome = try BudgetStore(connection: try context.connect())
                .set(input, updatedBy: updatedBy, now: Int64(UTCTimestamp.now()))
            if options.json {
                struct Report: Encodable {
                    let created: Bool
                    let rearmed: [Decimal]
                    let budget: BudgetStatus
                }
                try options.printJSON(Report(created: outcome.created, rearmed: outcome.rearmed, budget: outcome.status))
                return
            }
            let status = outcome.status
            print(
                "\(outcome.created ? "created" : "updated") budget \(name): \(status.budget.scope), \(status.budget.period.rawValue), "
                    + "limit $\(status.budget.limit), \(status.budget.action.rawValue); spent $\(status.spent) this period "
                    + "(\(status.percent)%, \(status.state.rawValue)), resets \(UTCTimestamp.iso8601(Double(status.resetsAt)))")
            if !outcome.rearmed.isEmpty {
                print("thresholds \(outcome.rearmed.map { "\($0)" }.joined(separator: ", ")) will alert again at the new limit")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List budgets.")

        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let context = try await options.resolve()
            let budgets = try BudgetStore(connection: try context.connect()).all()
            if options.json {
                try options.printJSON(["budgets": budgets])
                return
            }
            var table = TextTable(["NAME", "SCOPE", "PERIOD", "LIMIT USD", "THRESHOLDS", "ACTION", "ACTIVE", "UPDATED", "BY"])
            for budget in budgets {
                table.append([
                    budget.name, "\(budget.scope)", budget.period.rawValue, "\(budget.limit)",
                    budget.thresholds.map { "\($0)" }.joined(separator: ","), budget.action.rawValue, budget.isActive ? "yes" : "no",
                    budget.updatedAt ?? "-", budget.updatedBy ?? "-",
                ])
            }
            print(table.render(), terminator: "")
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every budget's spend this period, what remains, when it resets, and what blocks.",
            discussion: """
                With --service and --model, only the budgets that apply to that service calling that model, and \
                whether they allow it (exit 1 when they do not). The spend is what the database holds: a running \
                providerd adds its own records not flushed yet (the socket's budget op).
                """)

        @Option(help: "A service name: show the budgets that apply to it.") var service: String?
        @Option(help: "A model string (provider:model): show the budgets that apply to it.") var model: String?
        @Option(help: "Also list this many of the latest threshold events.") var events = 0
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            if (service == nil) != (model == nil) {
                throw ValidationError("give both --service and --model, or neither")
            }
            let context = try await options.resolve()
            let store = BudgetStore(connection: try context.connect())
            let statuses = try store.statuses(now: Int64(UTCTimestamp.now()))
            var priced = true
            if let model, context.settings.budgetsBlockUnpriced {
                var pricer = UsagePricer(table: try PriceTable.load(file: context.settings.pricesFile), unknown: .seedFallback)
                if case .unknown = pricer.resolution(of: model) { priced = false }
            }
            let verdict = BudgetVerdict(
                statuses: statuses, service: service, model: model, policy: context.settings.budgetPolicy, modelPriced: priced)
            let events = self.events > 0 ? try store.events(limit: self.events) : []
            if options.json {
                struct Refusal: Encodable {
                    let name: String
                    let reason: String
                }
                struct Report: Encodable {
                    let allowed: Bool
                    let blockedBy: [Refusal]
                    let budgets: [BudgetStatus]
                    let events: [BudgetEvent]
                    enum CodingKeys: String, CodingKey {
                        case allowed, budgets, events
                        case blockedBy = "blocked_by"
                    }
                }
                try options.printJSON(
                    Report(
                        allowed: verdict.allowed, blockedBy: verdict.refusals.map { Refusal(name: $0.budget, reason: $0.reason.rawValue) },
                        budgets: verdict.budgets, events: events))
            } else {
                var table = TextTable(["NAME", "SCOPE", "PERIOD", "ACTION", "LIMIT USD", "SPENT USD", "REMAINING USD", "%", "STATE", "RESETS"])
                for status in verdict.budgets {
                    table.append([
                        status.budget.name, "\(status.budget.scope)", status.budget.period.rawValue, status.budget.action.rawValue,
                        "\(status.budget.limit)", "\(status.spent)", "\(status.remaining)", String(status.percent), status.state.rawValue,
                        UTCTimestamp.iso8601(Double(status.resetsAt)),
                    ])
                }
                print(table.render(), terminator: "")
                for refusal in verdict.refusals {
                    print("blocked by \(refusal.budget) (\(refusal.reason.rawValue))")
                }
                if !events.isEmpty {
                    var log = TextTable(["CROSSED", "BUDGET", "THRESHOLD", "SPENT USD", "LIMIT USD"])
                    for event in events {
                        log.append([event.crossedAt, event.budget, "\(event.threshold)", "\(event.spent)", "\(event.limit)"])
                    }
                    print(log.render(), terminator: "")
                }
            }
            if !verdict.allowed { throw ExitCode(1) }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a budget, with its spend ledger and events.")

        @Argument(help: "Budget name.") var name: String
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let context = try await options.resolve()
            try BudgetStore(connection: try context.connect()).delete(name: name)
            if options.json {
                try options.printJSON(["deleted": name])
            } else {
                print("deleted budget \(name)")
            }
        }
    }
}
