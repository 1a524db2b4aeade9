import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

@Suite("Settings: flags over environment over the YAML file")
struct SettingsLoaderTests {
    @Test("defaults when nothing is set and the default file is missing")
    func defaults() async throws {
        let settings = try await SettingsLoader(environment: [:], configFile: nil).load()
        #expect(settings == ProviderdSettings())
        #expect(settings.envFile == "/run/providerd/providers.env")
        #expect(settings.pollInterval == 30)
    }

    @Test("the commented example etc/providerd.yaml parses and states the defaults")
    func example() async throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("etc/providerd.yaml").path
        let settings = try await SettingsLoader(environment: [:], configFile: path).load()
        #expect(settings == ProviderdSettings())
    }

    @Test("budgets and metrics from the YAML file: a YAML boolean, an enum, seconds, the hook's words; bad values named")
    func budgetsAndMetrics() async throws {
        let directory = try TemporaryDirectory()
        let file = directory.file("providerd.yaml")
        try """
        budgets:
          fail_closed: true
          unpriced: block
          refresh_interval: 0.5
          stale_after: 3
          on_event: /usr/local/bin/alert --channel ops
          on_event_timeout: 4
        metrics:
          textfile: /var/lib/providerd/metrics/providerd.prom
          interval: 2
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let settings = try await SettingsLoader(environment: [:], configFile: file).load()
        #expect(settings.budgetsFailClosed && settings.budgetsBlockUnpriced)
        #expect(settings.budgetsRefreshInterval == 0.5 && settings.budgetsStaleAfter == 3)
        #expect(settings.budgetsOnEvent == BudgetHook(argv: ["/usr/local/bin/alert", "--channel", "ops"], timeout: 4))
        #expect(settings.metricsTextfile == "/var/lib/providerd/metrics/providerd.prom" && settings.metricsInterval == 2)
        for (name, value, message) in [
            ("PROVIDERD_BUDGETS_FAIL_CLOSED", "yes", "budgets.fail_closed (PROVIDERD_BUDGETS_FAIL_CLOSED): 'yes' must be true or false"),
            ("PROVIDERD_BUDGETS_UNPRICED", "deny", "budgets.unpriced (PROVIDERD_BUDGETS_UNPRICED): 'deny' must be count or block"),
            ("PROVIDERD_BUDGETS_ON_EVENT", "curl x", "'curl' must be an absolute path"),
            ("PROVIDERD_METRICS_TEXTFILE", "/tmp/metrics.txt", "must end in .prom"),
        ] {
            await #expect(throws: ConfigurationError.self) { try await SettingsLoader(environment: [name: value]).load() }
            do {
                _ = try await SettingsLoader(environment: [name: value]).load()
            } catch {
                #expect("\(error)".contains(message), "\(error)")
            }
        }
    }

    @Test("precedence: flag, then environment, then file")
    func precedence() async throws {
        let directory = try TemporaryDirectory()
        let file = directory.file("providerd.yaml")
        try """
        # comments are fine
        database:
          url: postgresql://file-host/db
        poll:
          interval: 45
        output:
          env_file: /file/providers.env
          model_map_mode: "0640"
          env_names:
            - acme=ACME_TOKEN
        usage:
          allow_uids: "0,1"
        memory:
          release_interval: 0   # read by older versions; ignored now
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let settings = try await SettingsLoader(
            flags: ["output.env_file": "/flag/providers.env"],
            environment: ["PROVIDERD_POLL_INTERVAL": "12.5", "PROVIDERD_ENV_FILE": "/env/providers.env"],
            configFile: file
        ).load()
        #expect(settings.envFile == "/flag/providers.env")
        #expect(settings.pollInterval == 12.5)
        #expect(settings.databaseURL == "postgresql://file-host/db")
        #expect(settings.modelMapMode == 0o640)
        #expect(settings.envNameOverrides == ["acme": "ACME_TOKEN"])
        #expect(settings.allowUIDs == [0, 1])
        let envWins = try await SettingsLoader(environment: ["PROVIDERD_ENV_FILE": "/env/providers.env"], configFile: file).load()
        #expect(envWins.envFile == "/env/providers.env")
    }

    @Test("bad values are errors naming the key and its variable")
    func badValues() async throws {
        let cases: [([String: String], String)] = [
            (["PROVIDERD_POLL_INTERVAL": "soon"], "poll.interval (PROVIDERD_POLL_INTERVAL): 'soon'"),
            (["PROVIDERD_POLL_INTERVAL": "-1"], "poll.interval"),
            (["PROVIDERD_MODEL_MAP_MODE": "0999"], "output.model_map_mode"),
            (["PROVIDERD_ENV_FILE": "relative.env"], "must be an absolute path"),
            (["PROVIDERD_UNKNOWN_PRICE": "free"], "prices.unknown"),
            (["PROVIDERD_LOG_LEVEL": "loud"], "log.level"),
            (["PROVIDERD_OUTPUT_OWNER": "no-such-user-here"], "no user named"),
            (["PROVIDERD_SPOOL_MAX_BYTES": "12"], "usage.spool_max_bytes"),
        ]
        for (environment, message) in cases {
            do {
                _ = try await SettingsLoader(environment: environment).load()
                Issue.record("accepted \(environment)")
            } catch {
                #expect("\(error)".contains(message), "\(error)")
            }
        }
        await #expect(throws: ConfigurationError.self) {
            try await SettingsLoader(environment: [:], configFile: "/nonexistent/providerd.yaml").load()
        }
    }
}
