import ArgumentParser
import ProviderdCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

struct UsageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usage",
        abstract: "Report usage through the socket, and read usage and cost from model_usage.",
        subcommands: [Push.self, Summary.self, Daily.self, Estimate.self, Requeue.self])

    struct Push: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send one usage record to providerd's socket; print the reply.")

        @Option var service: String
        @Option var model: String
        @Option(parsing: .unconditional) var input: Int64 = 0
        @Option(parsing: .unconditional) var output: Int64 = 0
        @Option(name: .customLong("cache-read"), parsing: .unconditional) var cacheRead: Int64 = 0
        @Option(name: .customLong("cache-write"), parsing: .unconditional) var cacheWrite: Int64 = 0
        @Option(parsing: .unconditional) var requests: Int64 = 1
        @Option(help: "Idempotency key: a resend with the same id counts once.") var id: String?
        @Option(help: "RFC 3339 time of the usage (default: now).") var timestamp: String?
        @Option(help: "Usage socket (default: usage.socket of the config, PROVIDERD_SOCKET, else /run/providerd/usage.sock).")
        var socket: String?
        @Option(help: "YAML config file (default /etc/providerd/providerd.yaml; a missing default is fine).") var config: String?
        @Flag(name: .customLong("json"), help: "Print the reply as received.") var json = false

        func run() async throws {
            let record = UsageRecord(
                serviceName: service, modelString: model, inputTokens: input, outputTokens: output,
                cacheReadTokens: cacheRead, cacheWriteTokens: cacheWrite, requestCount: requests, id: id)
            let line = UsageClient.line(for: record, timestamp: timestamp)
            // The same rules as the daemon, before anything is sent.
            do {
                _ = try UsageLineParser(limits: UsageLimits(now: Int64(Date().timeIntervalSince1970), windowBack: 86_400 * 3_650)).parse(line)
            } catch {
                throw InputError("usage", error.message)
            }
            let settings = try await SettingsLoader(
                flags: socket.map { ["usage.socket": $0] } ?? [:],
                environment: ProcessInfo.processInfo.environment, configFile: config,
                skipUnreadableDefault: true
            ).load()
            let path = settings.socket
            let reply = try UsageClient.send(line: String(decoding: line, as: UTF8.self), socket: path)
            print(reply)
            if !reply.hasPrefix(#"{"ok":true"#) { throw ExitCode(ExitStatus.problem) }
        }
    }

    struct Requeue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put quarantined usage back into the spool once its cause is fixed; each record then counts once.",
            discussion:
                "Run it with providerd stopped (it takes the state directory's lock): systemctl stop providerd; providerd usage requeue; systemctl start providerd."
        )

        @OptionGroup var options: DaemonOptions

        func run() async throws {
            let settings = try await options.loader().load()
            _ = LoggerBootstrap.logger(level: settings.logLevel)
            let state = try StateDirectory(path: settings.stateDir)
            let lock = try StateDirectoryLock(directory: state)
            let summary = try QuarantineRequeue.requeue(state: state, instance: try state.instanceID().value)
            withExtendedLifetime(lock) {}
            if options.json {
                print(#"{"files":\#(summary.files),"lines":\#(summary.lines),"segments":[\#(summary.segments.map { "\"\($0)\"" }.joined(separator: ","))]}"#)
            } else if summary.files == 0 {
                print("nothing in quarantine")
            } else {
                print("requeued \(summary.lines) line(s) from \(summary.files) quarantine file(s); the next providerd run flushes them")
            }
        }
    }

    struct Summary: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Totals, by service and by model (default: the last 30 days).")

        @Option(help: "First day, YYYY-MM-DD (default: 29 days ago).") var since: String?
        @Option(help: "Last day, included, YYYY-MM-DD (default: today).") var until: String?
        @Option var service: String?
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let context = try await options.resolve()
            let (first, last) = try UsageStore.validateRange(
                since: since ?? UsageStore.today(offsetDays: -29),
                until: until ?? UsageStore.today())
            let summary = try UsageStore(connection: try context.connect()).summary(since: first, until: last, service: service)
            if options.json {
                try options.printJSON(summary)
                return
            }
            print("\(summary.since) to \(summary.until): \(summary.totalRequests) requests, \(summary.totalTokens) tokens, $\(summary.totalCost)\n")
            for (title, lines) in [("SERVICE", summary.byService), ("MODEL", summary.byModel)] {
                var table = TextTable([title, "REQUESTS", "TOKENS", "COST (USD)"])
                for line in lines { table.append([line.key, String(line.requests), String(line.tokens), line.cost]) }
                print(table.render())
            }
        }
    }

    struct Daily: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cost per day, with a bar chart.")

        @Option(parsing: .unconditional) var days: Int = 7
        @OptionGroup var options: GlobalOptions

        func validate() throws {
            guard (1...3_650).contains(days) else { throw ValidationError("--days must be from 1 to 3650") }
        }

        func run() async throws {
            let context = try await options.resolve()
            let rows = try UsageStore(connection: try context.connect()).daily(days: days)
            if options.json {
                struct Day: Encodable {
                    let date: String
                    let cost: String
                }
                try options.printJSON(["days": rows.map { Day(date: $0.day, cost: $0.cost) }])
                return
            }
            let maximum = rows.compactMap { Double($0.cost) }.max() ?? 0
            for row in rows {
                let value = Double(row.cost) ?? 0
                let width = maximum > 0 ? Int((value / maximum * 40).rounded()) : 0
                print("\(row.day)  \(String(repeating: "█", count: width))\(String(repeating: " ", count: 40 - width))  $\(row.cost)")
            }
        }
    }

    struct Estimate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The seed's monthly projection: average cost of the days with usage among the last 7, times 30.")

        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let context = try await options.resolve()
            let (estimate, days) = try UsageStore(connection: try context.connect()).monthlyEstimate()
            if options.json {
                struct Report: Encodable {
                    let monthly_estimate: String
                    let days_with_usage: Int
                }
                try options.printJSON(Report(monthly_estimate: estimate, days_with_usage: days))
            } else {
                print("monthly estimate: $\(estimate) (from \(days) day(s) with usage in the last 7)")
            }
        }
    }
}
