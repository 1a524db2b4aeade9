#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The SQL of budgets: `budgets set`, `list`, `delete` and the status read that
/// the CLI and the daemon share. The ledger (`providerd_budget_spend`) and the
/// events are migration 003's; this type only starts a ledger row when a budget
/// is set, and reads.
package struct BudgetStore {
    let connection: PostgresConnection

    package init(connection: PostgresConnection) {
        self.connection = connection
    }

    package struct SetOutcome: Sendable, Equatable {
        package var created: Bool
        /// Current-period events whose threshold the new limit has not reached:
        /// removed, so that they fire again at the new limit.
        package var rearmed: [Decimal]
        package var status: BudgetStatus
    }

    /// Creates or replaces the budget named `input.name`, in one transaction:
    /// the row; a changed scope or period drops the ledger (it counted other
    /// usage); the current period's ledger row starts from `model_usage`, so a
    /// budget set mid-period counts what was already spent, and a changed limit
    /// keeps the spend. Crossings the spend has already reached are recorded.
    ///
    /// The row's write takes `budgets` in ROW EXCLUSIVE mode, which waits for
    /// every flush holding the SHARE lock `providerd_budget_add` takes: the
    /// starting sum then holds all committed usage, and every later flush adds
    /// to the row.
    package func set(_ input: BudgetInput, updatedBy: String?, now: Int64) throws -> SetOutcome {
        try connection.query("BEGIN")
        do {
            if let provider = input.scope.provider { try requireKnownProvider(provider) }
            let before = try connection.query(
                "SELECT id, scope, period FROM public.budgets WHERE name = $1 FOR UPDATE", [input.name]
            ).rows.first
            let thresholds = "{" + input.thresholds.map { "\($0)" }.joined(separator: ",") + "}"
            let id = try connection.query(
                """
                INSERT INTO public.budgets (name, scope, period, limit_usd, thresholds, action, is_active, updated_by)
                VALUES ($1, $2, $3, $4::numeric, $5::numeric[], $6, $7::boolean, $8)
                ON CONFLICT (name) DO UPDATE SET
                    scope = EXCLUDED.scope, period = EXCLUDED.period, limit_usd = EXCLUDED.limit_usd,
                    thresholds = EXCLUDED.thresholds, action = EXCLUDED.action, is_active = EXCLUDED.is_active,
                    updated_by = COALESCE(EXCLUDED.updated_by, budgets.updated_by), updated_at = NOW()
                RETURNING id
                """,
                [
                    input.name, "\(input.scope)", input.period.rawValue, "\(input.limit)", thresholds, input.action.rawValue,
                    input.isActive ? "true" : "false", updatedBy,
                ]
            ).rows[0].int("id")
            let periodStart = input.period.start(containing: now)
            if let before, try before.string("scope") != "\(input.scope)" || before.string("period") != input.period.rawValue {
                try connection.query("DELETE FROM public.providerd_budget_spend WHERE budget_id = $1", [id])
                try connection.query(
                    "DELETE FROM public.budget_events WHERE budget_id = $1 AND period_start >= to_timestamp($2::bigint)", [id, periodStart])
            }
            try connection.query(
                """
                INSERT INTO public.providerd_budget_spend (budget_id, period_start, spent_usd, unpriced_requests)
                SELECT $1, to_timestamp($2::bigint), u.spent_usd, u.unpriced_requests
                FROM public.providerd_budget_usage($1, to_timestamp($2::bigint)) u
                ON CONFLICT (budget_id, period_start) DO NOTHING
                """, [id, periodStart])
            let rearmed = try connection.query(
                """
                DELETE FROM public.budget_events e USING public.providerd_budget_spend s
                WHERE e.budget_id = $1 AND e.period_start = to_timestamp($2::bigint)
                  AND s.budget_id = e.budget_id AND s.period_start = e.period_start
                  AND s.spent_usd < $3::numeric * e.threshold
                RETURNING e.threshold::text AS threshold
                """, [id, periodStart, "\(input.limit)"]
            ).rows.compactMap { try PriceTable.decimal($0.string("threshold")) }.sorted()
            try connection.query("SELECT public.providerd_budget_record_crossings($1, to_timestamp($2::bigint))", [id, periodStart])
            try connection.query("COMMIT")
            let status = try statuses(now: now).first { $0.budget.id == Int64(id) }
            guard let status else { throw StoreError.notFound("budget '\(input.name)' vanished while it was being set") }
            return SetOutcome(created: before == nil, rearmed: rearmed, status: status)
        } catch {
            _ = try? connection.query("ROLLBACK")
            throw error
        }
    }

    /// A provider a budget may name: one with a key in `api_keys`, one a service's
    /// model uses, or one PydanticAI knows.
    func requireKnownProvider(_ provider: String) throws {
        if ProviderName.known.contains(provider) { return }
        let used = try connection.query(
            """
            SELECT EXISTS (SELECT 1 FROM public.api_keys WHERE provider = $1)
                OR EXISTS (SELECT 1 FROM public.model_config WHERE split_part(model_string, ':', 1) = $1) AS used
            """, [provider]
        ).rows[0].string("used")
        guard used == "t" else {
            throw InputError(
                "scope", "unknown provider '\(provider)': no key in api_keys, no service's model uses it, and PydanticAI does not know it")
        }
    }

    /// Removes a budget, its ledger and its events.
    package func delete(name: String) throws {
        let rows = try connection.query("DELETE FROM public.budgets WHERE name = $1 RETURNING id", [name]).rows
        guard !rows.isEmpty else { throw StoreError.notFound("no budget named '\(name.prefix(80))'") }
    }

    /// Every budget, by name.
    package func all() throws -> [Budget] {
        try connection.query("SELECT \(Self.budgetColumns) FROM public.budgets b ORDER BY b.name").rows.map(Self.budget)
    }

    /// Every budget with its current period's spend: the ledger row, or the sum
    /// over `model_usage` where no flush has started one yet. `asOf` is the
    /// database's clock at the read.
    package func statuses(now: Int64) throws -> [BudgetStatus] {
        let rows = try connection.query(
            """
            SELECT \(Self.budgetColumns), extract(epoch FROM p.ps)::bigint AS period_start,
                   COALESCE(s.spent_usd, (SELECT u.spent_usd FROM public.providerd_budget_usage(b.id, p.ps) u))::text AS spent,
                   COALESCE(s.unpriced_requests, (SELECT u.unpriced_requests FROM public.providerd_budget_usage(b.id, p.ps) u)) AS unpriced,
                   extract(epoch FROM clock_timestamp())::float8 AS as_of
            FROM public.budgets b
            CROSS JOIN LATERAL (SELECT public.providerd_period_start(b.period, to_timestamp($1::bigint)) AS ps) p
            LEFT JOIN public.providerd_budget_spend s ON s.budget_id = b.id AND s.period_start = p.ps
            ORDER BY b.name
            """, [now]
        ).rows
        return try rows.map { row in
            BudgetStatus(
                budget: try Self.budget(row), periodStart: Int64(try row.int("period_start")),
                spent: PriceTable.decimal(try row.string("spent")) ?? 0, unpricedRequests: Int64(try row.int("unpriced")),
                asOf: try row.optionalDouble("as_of") ?? 0)
        }
    }

    /// Threshold events, newest first.
    package func events(name: String? = nil, limit: Int = 100) throws -> [BudgetEvent] {
        try connection.query(
            """
            SELECT b.name, extract(epoch FROM e.period_start)::bigint AS period_start, e.threshold::text AS threshold,
                   e.spent_usd::text AS spent, e.limit_usd::text AS limit_usd,
                   to_char(e.crossed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS crossed_at,
                   e.announced_by::text AS announced_by
            FROM public.budget_events e JOIN public.budgets b ON b.id = e.budget_id
            WHERE $1::text IS NULL OR b.name = $1
            ORDER BY e.crossed_at DESC, b.name, e.threshold DESC LIMIT $2
            """, [name, limit]
        ).rows.map { row in
            BudgetEvent(
                budget: try row.string("name"), periodStart: Int64(try row.int("period_start")),
                threshold: PriceTable.decimal(try row.string("threshold")) ?? 0, spent: PriceTable.decimal(try row.string("spent")) ?? 0,
                limit: PriceTable.decimal(try row.string("limit_usd")) ?? 0, crossedAt: try row.string("crossed_at"),
                announcedBy: try row.optionalString("announced_by"))
        }
    }

    /// Takes up to `limit` events no providerd has announced yet, for `instance`
    /// to announce: each is handed to exactly one claimer across all hosts
    /// (`FOR UPDATE SKIP LOCKED`, and the update re-checks `announced_at`).
    package func claimEvents(instance: String, limit: Int = 100) throws -> [ClaimedBudgetEvent] {
        try connection.query(
            """
            WITH c AS (
                SELECT budget_id, period_start, threshold FROM public.budget_events
                WHERE announced_at IS NULL ORDER BY crossed_at, threshold LIMIT $2 FOR UPDATE SKIP LOCKED)
            UPDATE public.budget_events e SET announced_by = $1::uuid, announced_at = NOW()
            FROM c, public.budgets b
            WHERE e.budget_id = c.budget_id AND e.period_start = c.period_start AND e.threshold = c.threshold
              AND e.announced_at IS NULL AND b.id = e.budget_id
            RETURNING b.name, b.scope, b.period, b.action, extract(epoch FROM e.period_start)::bigint AS period_start,
                      e.threshold::text AS threshold, e.spent_usd::text AS spent, e.limit_usd::text AS limit_usd,
                      to_char(e.crossed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS crossed_at
            """, [instance, limit]
        ).rows.compactMap { row in
            guard let period = BudgetPeriod(rawValue: try row.string("period")) else { return nil }
            let event = BudgetEvent(
                budget: try row.string("name"), periodStart: Int64(try row.int("period_start")),
                threshold: PriceTable.decimal(try row.string("threshold")) ?? 0, spent: PriceTable.decimal(try row.string("spent")) ?? 0,
                limit: PriceTable.decimal(try row.string("limit_usd")) ?? 0, crossedAt: try row.string("crossed_at"),
                announcedBy: instance)
            return ClaimedBudgetEvent(
                event: event, scope: try row.string("scope"), action: try row.string("action"),
                resetsAt: period.end(ofPeriodStarting: event.periodStart))
        }
        .sorted { ($0.event.crossedAt, $0.event.budget, $0.event.threshold) < ($1.event.crossedAt, $1.event.budget, $1.event.threshold) }
    }

    static let budgetColumns = """
        b.id, b.name, b.scope, b.period, b.limit_usd::text AS limit_usd, array_to_string(b.thresholds, ',') AS thresholds,
        b.action, b.is_active, to_char(b.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS updated_at, b.updated_by
        """

    /// A row as `Budget`. A row the CLI could not have written (a hand-edited
    /// scope, a period or action the CHECKs no longer stop) is a decoding error
    /// naming the budget, not a guess.
    static func budget(_ row: PostgresRow) throws -> Budget {
        let name = try row.string("name")
        func bad(_ what: String) -> PostgresError {
            PostgresError(kind: .decoding, message: "budget '\(name.prefix(80))' has \(what); fix it with `providerd budgets set`")
        }
        let scope: BudgetScope
        do { scope = try BudgetScope(try row.string("scope")) } catch { throw bad("a scope providerd cannot read") }
        guard let period = BudgetPeriod(rawValue: try row.string("period")) else { throw bad("an unknown period") }
        guard let action = BudgetAction(rawValue: try row.string("action")) else { throw bad("an unknown action") }
        guard let limit = PriceTable.decimal(try row.string("limit_usd")), limit > 0 else { throw bad("a limit that is not a positive amount") }
        let thresholds = try row.string("thresholds").split(separator: ",").compactMap { PriceTable.decimal(String($0)) }.sorted()
        return Budget(
            id: Int64(try row.int("id")), name: name, scope: scope, period: period, limit: limit, thresholds: thresholds,
            action: action, isActive: try row.optionalBool("is_active") ?? true, updatedAt: try row.optionalString("updated_at"),
            updatedBy: try row.optionalString("updated_by"))
    }
}
