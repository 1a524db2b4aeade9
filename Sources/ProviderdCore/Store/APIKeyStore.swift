/// The seed's APIKeyManager over `api_keys`: secrets go in encrypted with the
/// keyring's primary key; nothing here returns or logs a plaintext.
package struct APIKeyStore {
    package enum BaseURLChange: Sendable, Equatable {
        /// Keep the stored base URL (the seed's behaviour when none is given).
        case keep
        case set(String)
        case clear
    }

    let connection: PostgresConnection
    /// The variable names the daemon renders with (`output.env_names`), for the
    /// check that a stored row can be rendered.
    let envNames: EnvNameTable
    /// Who makes this store's writes (`api_keys.updated_by`, migration 004): the
    /// dashboard's user, or nil from the CLI, which then clears the column so that
    /// it never names someone who did not make the last change.
    let updatedBy: String?

    package init(connection: PostgresConnection, envNames: EnvNameTable = EnvNameTable(), updatedBy: String? = nil) {
        self.connection = connection
        self.envNames = envNames
        self.updatedBy = updatedBy
    }

    /// Whether migration 004 has added `api_keys.updated_by`: a database not yet
    /// migrated keeps working without it.
    func hasUpdatedByColumn() throws -> Bool {
        try connection.query(
            """
            SELECT EXISTS (SELECT 1 FROM information_schema.columns
                           WHERE table_schema = 'public' AND table_name = 'api_keys' AND column_name = 'updated_by') AS present
            """
        ).rows.first?.optionalBool("present") ?? false
    }

    /// Encrypts `secret` and upserts the provider's row, active. Base URL and headers
    /// change only when given. Returns true when the row is new.
    @discardableResult
    package func set(
        provider: String, secret: String, baseURL: BaseURLChange = .keep, headersJSON: String? = nil,
        keyring: FernetKeyring
    ) throws -> Bool {
        try ProviderName.validate(provider)
        try ProviderKeyInput.validateSecret(secret)
        if case .set(let url) = baseURL { try ProviderKeyInput.validateBaseURL(url) }
        try checkRenderable(provider: provider, secret: secret, baseURL: baseURL, headersJSON: headersJSON)
        let token = try keyring.encrypt(secret)
        var urlValue: String?
        if case .set(let url) = baseURL { urlValue = url }
        let result: PostgresResult
        let attributed = try hasUpdatedByColumn()
        var parameters: [(any PostgresBindable)?] = [provider, token, urlValue, headersJSON, baseURL == .clear]
        if attributed { parameters.append(updatedBy) }
        do {
            result = try connection.query(
                """
                INSERT INTO public.api_keys (provider, encrypted_key, base_url, headers, is_active, updated_at\(attributed ? ", updated_by" : ""))
                VALUES ($1, $2, $3, $4::jsonb, true, NOW()\(attributed ? ", $6" : ""))
                ON CONFLICT (provider) DO UPDATE SET
                    encrypted_key = EXCLUDED.encrypted_key,
                    is_active = true,
                    updated_at = NOW(),
                    base_url = CASE WHEN $5 THEN NULL ELSE COALESCE(EXCLUDED.base_url, api_keys.base_url) END,
                    headers = COALESCE(EXCLUDED.headers, api_keys.headers)\(attributed ? ", updated_by = EXCLUDED.updated_by" : "")
                RETURNING (xmax = 0) AS inserted
                """, parameters)
        } catch {
            // The seed's eight-provider CHECK: advise `migrate`.
            if error.sqlState == "23514" && error.constraint == "valid_provider" {
                throw StoreError.providerNotAllowed(provider: provider)
            }
            throw error
        }
        return try result.rows.first?.optionalBool("inserted") ?? false
    }

    /// Every row, active or not, sorted by provider.
    package func list(keyring: FernetKeyring?) throws -> [APIKeyListing] {
        let updatedBy = try hasUpdatedByColumn() ? "updated_by" : "NULL::text AS updated_by"
        let result = try connection.query(
            """
            SELECT provider, encrypted_key, base_url, is_active, \(updatedBy),
                   COALESCE((SELECT array_to_string(array_agg(k ORDER BY k), ',')
                             FROM jsonb_object_keys(CASE WHEN jsonb_typeof(headers) = 'object' THEN headers ELSE '{}'::jsonb END) AS k), '') AS header_names,
                   to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS updated
            FROM public.api_keys ORDER BY provider
            """)
        return try result.rows.map { row in
            var fingerprint = "-"
            var keyID: String?
            if let keyring {
                do {
                    let opened = try keyring.decryptString(try row.string("encrypted_key"))
                    fingerprint = Fingerprint.hex(of: opened.text)
                    keyID = keyring.keys[opened.keyIndex].id
                } catch {
                    fingerprint = "undecryptable"
                }
            }
            let names = try row.string("header_names")
            return APIKeyListing(
                provider: try row.string("provider"),
                active: try row.optionalBool("is_active") ?? false,
                baseURL: try row.optionalString("base_url").map(URLRedaction.withoutPassword),
                headerNames: names.isEmpty ? [] : names.split(separator: ",").map(String.init),
                updatedAt: try row.optionalString("updated"),
                updatedBy: try row.optionalString("updated_by"),
                fingerprint: fingerprint,
                keyID: keyID)
        }
    }

    /// Marks the provider's row inactive. Returns false when there is no row.
    package func deactivate(provider: String) throws -> Bool {
        try ProviderName.validate(provider)
        let attributed = try hasUpdatedByColumn()
        let result = try connection.query(
            "UPDATE public.api_keys SET is_active = false, updated_at = NOW()\(attributed ? ", updated_by = $2" : "") WHERE provider = $1",
            attributed ? [provider, updatedBy] : [provider])
        return result.affectedRows > 0
    }

    /// The seed's rotate: deactivate, then set the new secret (active again), in one
    /// transaction so that no reader sees the provider without a key.
    package func rotate(provider: String, secret: String, keyring: FernetKeyring) throws {
        try connection.transaction { connection in
            let exists = try connection.query("SELECT 1 FROM public.api_keys WHERE provider = $1", [provider])
            guard !exists.rows.isEmpty else {
                throw StoreError.notFound("no key is stored for provider \(provider); `providerd keys set \(provider)` stores a first one")
            }
            let store = APIKeyStore(connection: connection, envNames: envNames, updatedBy: updatedBy)
            _ = try store.deactivate(provider: provider)
            try store.set(provider: provider, secret: secret, keyring: keyring)
        }
    }

    /// Refuses, before anything is stored, a row the renderer would refuse
    /// (`RenderableKey`, over the active rows as stored and this one).
    func checkRenderable(provider: String, secret: String, baseURL: BaseURLChange, headersJSON: String?) throws {
        let rows = try connection.query(
            """
            SELECT provider, base_url, headers::text AS headers FROM public.api_keys WHERE is_active OR provider = $1
            """, [provider]
        ).rows
        var others: [RenderableKey.OtherRow] = []
        var stored: (baseURL: String?, headers: String?) = (nil, nil)
        for row in rows {
            let other = try row.string("provider")
            let url = try row.optionalString("base_url"), headers = try row.optionalString("headers")
            if other == provider {
                stored = (url, headers)
            } else {
                others.append(RenderableKey.OtherRow(provider: other, hasBaseURL: url != nil, hasHeaders: headers != nil))
            }
        }
        let url: String?
        switch baseURL {
        case .keep: url = stored.baseURL
        case .set(let value): url = value
        case .clear: url = nil
        }
        if let reason = RenderableKey.refusal(
            provider: provider, secret: secret, baseURL: url, headers: headersJSON ?? stored.headers, others: others, envNames: envNames)
        {
            throw InputError("provider \(provider)", "\(reason); the env file could not carry it, so nothing was stored")
        }
    }

    /// Re-encrypts every row, active or not, under the keyring's primary key, in one
    /// transaction: if any row does not decrypt, nothing changes. `updated_at` stays,
    /// since the stored secret is unchanged.
    package func reencrypt(keyring: FernetKeyring) throws -> ReencryptReport {
        guard let primary = keyring.primary else { throw FernetError.noKeys }
        return try connection.transaction { connection in
            let rows = try connection.query(
                "SELECT id::text AS id, provider, encrypted_key FROM public.api_keys ORDER BY provider FOR UPDATE")
            var older = 0
            for row in rows.rows {
                let provider = try row.string("provider")
                var opened: FernetKeyring.Opened
                do {
                    opened = try keyring.decrypt(try row.string("encrypted_key"))
                } catch {
                    throw StoreError.undecryptable(provider: provider, reason: "\(error)")
                }
                defer { OpenSSL.cleanse(&opened.plaintext) }
                if opened.keyIndex != 0 { older += 1 }
                let token = try Fernet.encrypt(opened.plaintext, key: primary)
                try connection.query(
                    "UPDATE public.api_keys SET encrypted_key = $1 WHERE id = $2::uuid",
                    [token, try row.string("id")])
            }
            return ReencryptReport(rows: rows.rows.count, fromOlderKeys: older, primaryKeyID: primary.id)
        }
    }
}
