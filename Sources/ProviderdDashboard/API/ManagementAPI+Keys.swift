import HTTPTypes
import Logging
import ProviderdAPI
import ProviderdCore

extension ManagementAPI {
    package func listKeys(_ input: Operations.listKeys.Input) async throws -> Operations.listKeys.Output {
        let keyring = self.keyring
        let envNames = EnvNameTable(overrides: settings.envNameOverrides)
        let rows = try await database.withConnection { try APIKeyStore(connection: $0, envNames: envNames).list(keyring: keyring) }
        return .ok(.init(body: .json(try GeneratedValue.convert(["keys": rows]))))
    }

    /// `providerd keys set`: the key only ever goes into `APIKeyStore.set`, which
    /// encrypts it; the answer carries its fingerprint.
    package func setKey(_ input: Operations.setKey.Input) async throws -> Operations.setKey.Output {
        try await renamingFields(Self.keyFields) { try await storeKey(input) }
    }

    static let keyFields = ["secret": "key", "base URL": "base_url", "header": "headers"]

    func storeKey(_ input: Operations.setKey.Input) async throws -> Operations.setKey.Output {
        guard case .json(let body) = input.body else { throw APIError(.unprocessableContent, "invalid", "a JSON body is required") }
        let provider = input.path.provider
        try ProviderName.validate(provider)
        if body.base_url != nil && body.clear_base_url == true {
            throw APIError.invalid(InputError("base_url", "give base_url or clear_base_url, not both"))
        }
        // The CLI's NAME=VALUE rules, on the API's object.
        var headerArguments: [String] = []
        for (name, value) in (body.headers?.additionalProperties ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard !name.isEmpty, !name.contains("=") else {
                throw APIError.invalid(InputError("headers", "'\(name.prefix(100))' is not a valid HTTP header name"))
            }
            headerArguments.append("\(name)=\(value)")
        }
        let headersJSON = try ProviderKeyInput.headersJSON(headerArguments)
        if let url = body.base_url { try ProviderKeyInput.validateBaseURL(url) }
        try ProviderKeyInput.validateSecret(body.key)
        let keyring = try writableKeyring()
        let change: APIKeyStore.BaseURLChange = body.clear_base_url == true ? .clear : body.base_url.map { .set($0) } ?? .keep
        let user = try caller.user
        let envNames = EnvNameTable(overrides: settings.envNameOverrides)
        let created = try await database.withConnection { connection in
            try APIKeyStore(connection: connection, envNames: envNames, updatedBy: user)
                .set(provider: provider, secret: body.key, baseURL: change, headersJSON: headersJSON, keyring: keyring)
        }
        let fingerprint = Fingerprint.hex(of: body.key)
        try logWrite("keys.set", "\(provider) (fingerprint \(fingerprint))")
        return .ok(
            .init(body: .json(.init(provider: provider, action: created ? .created : .updated, fingerprint: fingerprint, key_id: keyring.primary?.id))))
    }

    package func rotateKey(_ input: Operations.rotateKey.Input) async throws -> Operations.rotateKey.Output {
        try await renamingFields(Self.keyFields) { try await replaceKey(input) }
    }

    func replaceKey(_ input: Operations.rotateKey.Input) async throws -> Operations.rotateKey.Output {
        guard case .json(let body) = input.body else { throw APIError(.unprocessableContent, "invalid", "a JSON body is required") }
        let provider = input.path.provider
        try ProviderName.validate(provider)
        try ProviderKeyInput.validateSecret(body.key)
        let keyring = try writableKeyring()
        let user = try caller.user
        let envNames = EnvNameTable(overrides: settings.envNameOverrides)
        try await database.withConnection { connection in
            try APIKeyStore(connection: connection, envNames: envNames, updatedBy: user).rotate(provider: provider, secret: body.key, keyring: keyring)
        }
        let fingerprint = Fingerprint.hex(of: body.key)
        try logWrite("keys.rotate", "\(provider) (fingerprint \(fingerprint))")
        return .ok(.init(body: .json(.init(provider: provider, action: .rotated, fingerprint: fingerprint, key_id: keyring.primary?.id))))
    }

    package func deactivateKey(_ input: Operations.deactivateKey.Input) async throws -> Operations.deactivateKey.Output {
        let provider = input.path.provider
        try ProviderName.validate(provider)
        let user = try caller.user
        let envNames = EnvNameTable(overrides: settings.envNameOverrides)
        let found = try await database.withConnection { connection in
            try APIKeyStore(connection: connection, envNames: envNames, updatedBy: user).deactivate(provider: provider)
        }
        guard found else { throw StoreError.notFound("no key is stored for provider \(provider)") }
        try logWrite("keys.deactivate", provider)
        return .ok(.init(body: .json(.init(provider: provider, action: .deactivated))))
    }

    func writableKeyring() throws -> FernetKeyring {
        guard let keyring else {
            throw APIError(
                .serviceUnavailable, "unavailable",
                "no encryption key is configured for providerd-dashboard (keys.file, the credential providerd.keys, or ARCHON_ENCRYPTION_KEY), so keys cannot be written"
            )
        }
        return keyring
    }
}
