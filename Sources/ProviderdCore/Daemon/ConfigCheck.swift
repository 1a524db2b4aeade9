#if canImport(Glibc)
    import Glibc
#endif

/// `providerd check`: configuration, keys, database, role, migrations, every
/// active key (decrypts, with which key id; can be written to the env file) and
/// every model string. Never shows a secret.
package struct ConfigCheck: Sendable {
    package var settings: ProviderdSettings
    package var environment: [String: String]

    package init(settings: ProviderdSettings, environment: [String: String]) {
        self.settings = settings
        self.environment = environment
    }

    /// The config file's own line: a file that holds a database password (in
    /// `database.url` or `database.listen_url`) must not be readable by others.
    /// `fileOnly` is what the file alone sets (no flags, no environment).
    package static func configFileItem(path: String, fileOnly: ProviderdSettings) -> CheckItem {
        var info = stat()
        guard stat(path, &info) == 0 else { return CheckItem("config file", .ok, "\(path) (none; defaults and environment)") }
        let mode = String(info.st_mode & 0o777, radix: 8)
        let passwords = [fileOnly.databaseURL, fileOnly.listenURL].compactMap { $0 }
            .contains { (try? PostgresConnection.conninfoHasPassword($0)) == true }
        if passwords && info.st_mode & 0o004 != 0 {
            return CheckItem(
                "config file", .warning,
                "\(path) holds a database password and is readable by every user (mode 0\(mode)); run `chmod o-r \(path)`")
        }
        return CheckItem("config file", .ok, "\(path) (mode 0\(mode))")
    }

    package func run() -> [CheckItem] {
        var items: [CheckItem] = []
        var keyring: FernetKeyring?
        do {
            let loaded = try KeyringLoader(keyFile: settings.keyFile, environment: environment, fallbackFile: KeyringLoader.installedKeyFile).load()
            keyring = loaded.keyring
            items.append(
                CheckItem(
                    "encryption keys", .ok,
                    "\(loaded.keyring.keys.count) from \(loaded.source); key ids \(loaded.keyring.keyIDs.joined(separator: ", ")) (first encrypts)"))
        } catch {
            items.append(CheckItem("encryption keys", .error, "\(error)"))
        }
        items += outputChecks()
        var prices: PriceTable?
        do {
            let table = try PriceTable.load(file: settings.pricesFile)
            prices = table
            items.append(CheckItem("prices", .ok, "\(table.source), \(table.modelCount) models, from \(table.origin)"))
        } catch {
            items.append(CheckItem("prices", .error, "\(error)"))
        }

        let database = databaseItems(keyring: keyring, prices: prices)
        items += database.items
        if let connection = database.connection { items.append(notificationCheck(reusing: connection)) }
        return items
    }

    /// The checks on one connection, which the LISTEN check then takes over as the
    /// daemon's query connection: a role allowed no more connections than the daemon
    /// holds passes both. (Closing it and opening another raced the old backend's
    /// exit: "too many connections" for a role with a limit of one.)
    private func databaseItems(keyring: FernetKeyring?, prices: PriceTable?) -> (items: [CheckItem], connection: PostgresConnection?) {
        let connection: PostgresConnection
        do {
            connection = try PostgresConnection(settings.connectionOptions)
        } catch {
            return ([CheckItem("database", .error, "\(error)")], nil)
        }
        do {
            return (try databaseChecks(connection, keyring: keyring, prices: prices), connection)
        } catch {
            return ([CheckItem("database", .error, "\(error)")], connection)
        }
    }

    /// LISTEN as the daemon does it, with its probe: behind a transaction pooler it
    /// is accepted and delivers nothing. `reusing` is a connection on `database.url`
    /// the check already holds.
    func notificationCheck(reusing connection: PostgresConnection? = nil) -> CheckItem {
        let via = settings.listenURL == nil ? "database.url" : "database.listen_url"
        do {
            switch try DatabaseSession(settings: settings, reusing: connection).listen {
            case .verified: return CheckItem("notifications", .ok, "LISTEN on \(via) receives notifications")
            case .unchecked(let reason):
                return CheckItem("notifications", .warning, "LISTEN on \(via) could not be checked (\(reason)); the daemon assumes it works")
            case .notDelivered: break
            }
            return CheckItem(
                "notifications", .warning,
                "LISTEN on \(via) received no notification within 1 s (a transaction pooler?): the daemon would poll only; "
                    + "set database.listen_url to a direct (session) connection")
        } catch {
            return CheckItem("notifications", .error, "LISTEN on \(via): \(error)")
        }
    }

    func outputChecks() -> [CheckItem] {
        var items: [CheckItem] = []
        for (name, path) in [("env file", settings.envFile), ("model map", settings.modelMap)] {
            let directory = AtomicFileWriter.directory(of: path)
            if access(directory, W_OK) == 0 {
                items.append(CheckItem(name, .ok, "\(path) (directory writable)"))
            } else {
                items.append(CheckItem(name, .warning, "\(directory) is missing or not writable by this user"))
            }
        }
        if access(settings.stateDir, W_OK) == 0 {
            items.append(CheckItem("state directory", .ok, settings.stateDir))
        } else {
            items.append(CheckItem("state directory", .warning, "\(settings.stateDir) is missing or not writable by this user"))
        }
        return items
    }

    /// The rows a table holds by PostgreSQL's statistics, which row-level security
    /// does not filter: more than 0 while a query sees none means a policy hides them.
    static func liveRows(_ table: String, on connection: PostgresConnection) throws -> Int {
        try connection.query(
            "SELECT COALESCE((SELECT n_live_tup FROM pg_stat_user_tables WHERE relid = to_regclass($1)), 0) AS n", [table]
        ).rows[0].int("n")
    }

    func databaseChecks(_ connection: PostgresConnection, keyring: FernetKeyring?, prices: PriceTable?) throws -> [CheckItem] {
        let regexes = RegexCache()
        var items: [CheckItem] = []
        let info = try connection.query(
            """
            SELECT current_user AS role, current_database() AS db, current_setting('server_version') AS version,
                   (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user) AS bypass,
                   COALESCE((SELECT pg_get_userbyid(relowner) = current_user FROM pg_class WHERE oid = to_regclass('public.api_keys')), false) AS owner
            """
        ).rows[0]
        let role = try info.string("role")
        items.append(CheckItem("database", .ok, "connected to \(try info.string("db")) as \(role) (PostgreSQL \(try info.string("version")))"))
        let bypasses = try info.optionalBool("bypass") == true || info.optionalBool("owner") == true
        items.append(
            CheckItem(
                "role", .ok,
                bypasses
                    ? "\(role) bypasses row-level security (owner or superuser)"
                    : "\(role) is subject to row-level security: it sees only rows its policies allow"))

        let applied = Set(try MigrationRunner.appliedVersions(on: connection))
        let pending = Migration.all.filter { !applied.contains($0.version) }.map(\.name)
        let hiddenMigrations = applied.isEmpty && !bypasses ? try Self.liveRows("public.providerd_migrations", on: connection) : 0
        if hiddenMigrations > 0 {
            // A policy hiding rows is not a missing migration.
            items.append(
                CheckItem(
                    "migrations", .warning,
                    "providerd_migrations holds about \(hiddenMigrations) rows, none visible to \(role): row-level security hides which migrations are applied")
            )
        } else if pending.isEmpty {
            items.append(CheckItem("migrations", .ok, "all \(Migration.all.count) applied"))
        } else {
            let hasTables = try connection.query("SELECT to_regclass('public.api_keys') IS NOT NULL AS present").rows[0].optionalBool("present") == true
            items.append(
                CheckItem(
                    "migrations", hasTables ? .warning : .error,
                    "not applied: \(pending.joined(separator: ", ")); run `providerd migrate`"))
            if !hasTables { return items }
        }

        let (snapshot, _) = try ConfigSnapshotQuery.read(on: connection)
        let hiddenKeys = snapshot.keys.isEmpty && !bypasses ? try Self.liveRows("public.api_keys", on: connection) : 0
        if hiddenKeys > 0 {
            let policies = try connection.query(
                "SELECT string_agg(policyname, ', ' ORDER BY policyname) AS names FROM pg_policies WHERE schemaname = 'public' AND tablename = 'api_keys'"
            ).rows.first?.optionalString("names")
            items.append(
                CheckItem(
                    "api_keys", .error,
                    "holds about \(hiddenKeys) rows, none visible to \(role): row-level security hides them (policies: \(policies ?? "none")); "
                        + "the daemon would render no keys. Connect as the tables' owner or grant \(role) a policy"))
        } else if snapshot.keys.isEmpty {
            items.append(
                CheckItem(
                    "api_keys", .warning,
                    bypasses
                        ? "no rows: store keys with `providerd keys set PROVIDER`"
                        : "no rows visible to \(role): row-level security may hide them; connect as the tables' owner or grant a policy"))
        }
        if let keyring {
            let candidates = ProviderDecryptor.decrypt(snapshot.keys, keyring: keyring)
            var renderer = ConfigRenderer(table: EnvNameTable(overrides: settings.envNameOverrides))
            let result = renderer.render(candidates: candidates, services: snapshot.services)
            for row in snapshot.keys.sorted(by: { $0.provider < $1.provider }) {
                let check = "key \(row.provider)"
                guard row.isActive else {
                    items.append(CheckItem(check, .ok, "inactive (not rendered)"))
                    continue
                }
                let problems = result.problems.filter { $0.provider == row.provider }.map(\.reason)
                if !problems.isEmpty {
                    items.append(CheckItem(check, .error, problems.joined(separator: "; ")))
                } else if case .success = candidates[row.provider], let token = row.encryptedKey, let opened = try? keyring.decrypt(token) {
                    items.append(
                        CheckItem(
                            check, .ok, "decrypts with key id \(opened.keyID)\(opened.keyIndex > 0 ? " (not the primary: run `providerd reencrypt`)" : "")"))
                }
            }
        }
        for service in snapshot.services {
            let check = "model \(service.service)"
            let settingsProblems = ModelSettingsRule.problems(temperature: service.temperature, maxTokens: service.maxTokens)
            if !settingsProblems.isEmpty {
                items.append(CheckItem("settings \(service.service)", .error, settingsProblems.joined(separator: "; ")))
            }
            guard let model = try? ModelString(service.model) else {
                items.append(CheckItem(check, .error, "'\(service.model.prefix(100))' is not provider:model"))
                continue
            }
            switch model.finding {
            case .ok where prices?.resolve(model.value, regexes: regexes) == .unknown:
                items.append(
                    CheckItem(
                        check, .warning,
                        "\(model.value): no price in \(prices!.source); its usage is "
                            + "counted as unpriced (prices.unknown: \(settings.unknownPrice.rawValue))"))
            case .ok: items.append(CheckItem(check, .ok, model.value))
            case .warning(let text): items.append(CheckItem(check, .warning, "\(model.value): \(text)"))
            case .error(let text): items.append(CheckItem(check, .error, "\(model.value): \(text)"))
            }
        }
        if applied.contains("003") { items += try budgetItems(connection) }
        return items
    }

    /// One line for the budgets, and one per exceeded budget that acts: what it
    /// blocks or which key it withholds, and until when.
    func budgetItems(_ connection: PostgresConnection) throws -> [CheckItem] {
        let statuses = try BudgetStore(connection: connection).statuses(now: Int64(UTCTimestamp.now())).filter(\.budget.isActive)
        var items: [CheckItem] = []
        for status in statuses where status.state == .exceeded && status.budget.action != .alert {
            let until = UTCTimestamp.iso8601(Double(status.resetsAt))
            let what =
                status.budget.action == .block
                ? "agents under \(status.budget.scope) are refused"
                : (status.budget.scope.provider.map { "\($0)'s key is withheld from the env file" } ?? "every provider key is withheld from the env file")
            items.append(
                CheckItem(
                    "budget \(status.budget.name)", .warning,
                    "exceeded: $\(status.spent) of $\(status.budget.limit) this \(status.budget.period.rawValue); \(what) until \(until)"))
        }
        let exceeded = statuses.filter { $0.state == .exceeded }.count
        items.insert(CheckItem("budgets", .ok, "\(statuses.count) active, \(exceeded) exceeded"), at: 0)
        return items
    }
}
