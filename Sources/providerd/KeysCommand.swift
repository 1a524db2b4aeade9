import ArgumentParser
import ProviderdCore

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Manage provider API keys in api_keys (encrypted; secrets only from stdin or a prompt).",
        subcommands: [Set.self, List.self, Deactivate.self, Rotate.self])

    /// The secret from stdin, or from a no-echo prompt on a terminal; never argv.
    static func readSecret(provider: String) throws -> String {
        let bytes =
            StandardInput.isTerminal
            ? try StandardInput.readHidden(prompt: "API key for \(provider): ")
            : try StandardInput.readAll(limit: 1 << 20)
        return try ProviderKeyInput.secret(fromStdin: bytes)
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Store a provider's key, read from stdin (one trailing newline dropped) or a prompt.")

        @Argument(help: "Provider name, e.g. openai, anthropic, openrouter.") var provider: String
        @Option(name: .customLong("base-url"), help: "Base URL (proxies, Ollama, custom endpoints).") var baseURL: String?
        @Flag(name: .customLong("clear-base-url"), help: "Remove the stored base URL.") var clearBaseURL = false
        @Option(name: .customLong("header"), help: "Extra HTTP header NAME=VALUE (repeatable).") var headers: [String] = []
        @OptionGroup var options: GlobalOptions

        func validate() throws {
            if baseURL != nil && clearBaseURL {
                throw ValidationError("--base-url and --clear-base-url cannot be used together")
            }
        }

        func run() async throws {
            let context = try await options.resolve()
            try ProviderName.validate(provider)
            let headersJSON = try ProviderKeyInput.headersJSON(headers)
            if let baseURL { try ProviderKeyInput.validateBaseURL(baseURL) }
            let keyring = try context.keyring()
            let secret = try KeysCommand.readSecret(provider: provider)
            try ProviderKeyInput.validateSecret(secret)
            let change: APIKeyStore.BaseURLChange = clearBaseURL ? .clear : baseURL.map { .set($0) } ?? .keep
            let created = try APIKeyStore(connection: try context.connect(), envNames: context.envNames)
                .set(provider: provider, secret: secret, baseURL: change, headersJSON: headersJSON, keyring: keyring)
            let fingerprint = Fingerprint.hex(of: secret)
            if options.json {
                try options.printJSON([
                    "provider": provider, "action": created ? "created" : "updated",
                    "fingerprint": fingerprint, "key_id": keyring.primary?.id ?? "-",
                ])
            } else {
                print("\(created ? "stored" : "updated") key for \(provider) (fingerprint \(fingerprint), key id \(keyring.primary?.id ?? "-"))")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List stored keys: provider, active, base URL, fingerprint; never the key.")

        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let context = try await options.resolve()
            let keyring = try context.optionalKeyring()
            let rows = try APIKeyStore(connection: try context.connect(), envNames: context.envNames).list(keyring: keyring)
            if options.json {
                try options.printJSON(["keys": rows])
                return
            }
            var table = TextTable(["PROVIDER", "ACTIVE", "FINGERPRINT", "KEY ID", "BASE URL", "HEADERS", "UPDATED"])
            for row in rows {
                table.append([
                    row.provider, row.active ? "yes" : "no", row.fingerprint, row.keyID ?? "-",
                    row.baseURL ?? "-", row.headerNames.isEmpty ? "-" : row.headerNames.joined(separator: ","),
                    row.updatedAt ?? "-",
                ])
            }
            print(table.render(), terminator: "")
        }
    }

    struct Deactivate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark a provider's key inactive.")

        @Argument var provider: String
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let context = try await options.resolve()
            guard try APIKeyStore(connection: try context.connect(), envNames: context.envNames).deactivate(provider: provider) else {
                throw CommandFailure(message: "no key stored for provider \(provider)", status: ExitStatus.problem)
            }
            if options.json {
                try options.printJSON(["provider": provider, "action": "deactivated"])
            } else {
                print("deactivated key for \(provider)")
            }
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace a provider's key with a new one from stdin or a prompt (deactivate, then set).")

        @Argument var provider: String
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let context = try await options.resolve()
            try ProviderName.validate(provider)
            let keyring = try context.keyring()
            let secret = try KeysCommand.readSecret(provider: provider)
            try ProviderKeyInput.validateSecret(secret)
            try APIKeyStore(connection: try context.connect(), envNames: context.envNames).rotate(provider: provider, secret: secret, keyring: keyring)
            let fingerprint = Fingerprint.hex(of: secret)
            if options.json {
                try options.printJSON(["provider": provider, "action": "rotated", "fingerprint": fingerprint])
            } else {
                print("rotated key for \(provider) (fingerprint \(fingerprint))")
            }
        }
    }
}
