import ArgumentParser
import ProviderdCore
import ProviderdDashboard

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

struct DashboardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "The management API (and later the browser pages): a long-running server, separate from `run`.",
        subcommands: [Serve.self, Token.self],
        defaultSubcommand: Serve.self)

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve the management API on dashboard.listen (default 127.0.0.1:8787) until SIGTERM.")

        @OptionGroup var options: DaemonOptions
        @Option(help: "HOST:PORT or unix:/PATH (default: dashboard.listen, else 127.0.0.1:8787).") var listen: String?

        func run() async throws {
            var loader = try options.loader()
            if let listen { loader.flags["dashboard.listen"] = listen }
            let settings = try await loader.load()
            let logger = LoggerBootstrap.logger(level: settings.logLevel)
            try await DashboardServer(settings: settings, environment: options.environment, logger: logger).run()
        }
    }

    struct Token: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a new login token as a line for a token file: NAME:TOKEN.",
            discussion: """
                Append it to dashboard.token_file (admin) or dashboard.viewer_token_file (viewer), mode 0600, \
                and restart providerd-dashboard. NAME is recorded as updated_by on writes.
                  providerd dashboard token --user alice >> /etc/providerd/dashboard-admin.tokens
                """)

        @Option(help: "Who uses the token (1 to 64 of A-Z a-z 0-9 _ . @ -).") var user = "admin"

        func validate() throws {
            guard DashboardToken.isValidUser(user) else { throw ValidationError("--user must be 1 to 64 of A-Z a-z 0-9 _ . @ -") }
        }

        func run() throws {
            print(DashboardToken.line(user: user, token: try DashboardToken.generate()))
        }
    }
}
