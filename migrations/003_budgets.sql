-- providerd migration 003: budgets and cost alerts. Additive only: nothing the
-- seed's Python code or migration 002 defined changes shape, and
-- increment_usage keeps its signature (it now also adds to the budgets' spend).
--
-- How spend is kept: a ledger, providerd_budget_spend, one row per budget and
-- period, added to in the same transaction that adds the usage to model_usage
-- (providerd_budget_add, called by providerd's flush and by increment_usage).
-- The ledger row's lock orders the hosts: a second host's transaction waits at
-- the row until the first commits, then adds to the value the first left. So
-- the value each transaction sees after its addition is exact, and the
-- threshold crossings it records from that value (budget_events, keyed by
-- budget, period start and threshold) can be neither skipped nor doubled.

-- ---------------------------------------------------------------------------
-- budgets
-- ---------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS public.budgets (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    scope TEXT NOT NULL,
    period TEXT NOT NULL,
    limit_usd NUMERIC NOT NULL,
    thresholds NUMERIC[] NOT NULL DEFAULT '{0.5,0.8,0.9,1.0}',
    action TEXT NOT NULL DEFAULT 'alert',
    is_active BOOLEAN NOT NULL DEFAULT true,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_by TEXT,
    CONSTRAINT budgets_name CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
    -- The service and model rules are the CLI's (ServiceName, ModelString); these
    -- only keep the kind and the separators whole.
    CONSTRAINT budgets_scope CHECK (
        scope = 'global'
        OR (scope ~ '^service:[^[:cntrl:]]+$' AND octet_length(scope) <= 8 + 256)
        OR scope ~ '^provider:[a-z][a-z0-9_-]{0,63}$'
        OR (scope ~ '^model:[a-z][a-z0-9_-]{0,63}:[^[:cntrl:]]+$' AND octet_length(scope) <= 6 + 256)),
    CONSTRAINT budgets_period CHECK (period IN ('day', 'week', 'month')),
    CONSTRAINT budgets_limit CHECK (limit_usd > 0),
    CONSTRAINT budgets_thresholds CHECK (
        cardinality(thresholds) BETWEEN 1 AND 16 AND 0 < ALL (thresholds) AND 10 >= ALL (thresholds)),
    CONSTRAINT budgets_action CHECK (
        action = 'alert' OR action = 'block'
        OR (action = 'withhold_key' AND (scope = 'global' OR scope LIKE 'provider:%')))
);

COMMENT ON TABLE public.budgets IS
    'Spending limits per UTC day, week (from Monday) or month on all usage, a service, a provider or a model';
COMMENT ON COLUMN public.budgets.scope IS 'global, service:<name>, provider:<name> or model:<provider:model>';
COMMENT ON COLUMN public.budgets.thresholds IS 'Fractions of limit_usd at which an event is recorded (once per period)';
COMMENT ON COLUMN public.budgets.action IS
    'alert (events only), block (agents are refused), withhold_key (the provider key leaves the env file)';

-- ---------------------------------------------------------------------------
-- The ledger and the events
-- ---------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS public.providerd_budget_spend (
    budget_id BIGINT NOT NULL REFERENCES public.budgets (id) ON DELETE CASCADE,
    period_start TIMESTAMPTZ NOT NULL,
    spent_usd NUMERIC NOT NULL DEFAULT 0,
    unpriced_requests BIGINT NOT NULL DEFAULT 0,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    PRIMARY KEY (budget_id, period_start)
);

COMMENT ON TABLE public.providerd_budget_spend IS
    'Spend per budget and period: the sum of model_usage in the budget''s scope, kept in the usage''s own transaction';

CREATE TABLE IF NOT EXISTS public.budget_events (
    budget_id BIGINT NOT NULL REFERENCES public.budgets (id) ON DELETE CASCADE,
    period_start TIMESTAMPTZ NOT NULL,
    threshold NUMERIC NOT NULL,
    spent_usd NUMERIC NOT NULL,
    limit_usd NUMERIC NOT NULL,
    crossed_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    announced_by UUID,
    announced_at TIMESTAMPTZ,
    PRIMARY KEY (budget_id, period_start, threshold)
);

CREATE INDEX IF NOT EXISTS idx_budget_events_unannounced ON public.budget_events (crossed_at)
    WHERE announced_at IS NULL;

COMMENT ON TABLE public.budget_events IS
    'Each threshold a budget''s spend crossed, once per period for all hosts; announced_by names the providerd that alerted';

-- ---------------------------------------------------------------------------
-- Periods and scopes
-- ---------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION public.providerd_period_start(p_period TEXT, p_at TIMESTAMPTZ)
RETURNS TIMESTAMPTZ
LANGUAGE sql
IMMUTABLE
STRICT
AS $$
    SELECT date_trunc(p_period, p_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
$$;

COMMENT ON FUNCTION public.providerd_period_start(TEXT, TIMESTAMPTZ) IS
    'Start of the UTC day, week (Monday) or month holding p_at';

-- Counted in UTC: timestamptz + interval would count in the session's time zone
-- (a month or a day across a daylight-saving change).
CREATE OR REPLACE FUNCTION public.providerd_period_end(p_period TEXT, p_start TIMESTAMPTZ)
RETURNS TIMESTAMPTZ
LANGUAGE sql
IMMUTABLE
STRICT
AS $$
    SELECT ((p_start AT TIME ZONE 'UTC') + ('1 ' || p_period)::interval) AT TIME ZONE 'UTC'
$$;

CREATE OR REPLACE FUNCTION public.providerd_budget_matches(p_scope TEXT, p_service TEXT, p_model TEXT)
RETURNS BOOLEAN
LANGUAGE sql
IMMUTABLE
AS $$
    SELECT CASE
        WHEN p_scope = 'global' THEN true
        WHEN left(p_scope, 8) = 'service:' THEN p_service = substr(p_scope, 9)
        WHEN left(p_scope, 9) = 'provider:' THEN split_part(p_model, ':', 1) = substr(p_scope, 10)
        WHEN left(p_scope, 6) = 'model:' THEN p_model = substr(p_scope, 7)
        ELSE false
    END
$$;

-- The spend in model_usage for one budget and period: what a ledger row starts
-- from. Written per scope kind so that each uses an index.
CREATE OR REPLACE FUNCTION public.providerd_budget_usage(p_budget BIGINT, p_period_start TIMESTAMPTZ)
RETURNS TABLE (spent_usd NUMERIC, unpriced_requests BIGINT)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = public
AS $$
DECLARE
    v_scope TEXT;
    v_end TIMESTAMPTZ;
BEGIN
    SELECT b.scope, providerd_period_end(b.period, p_period_start) INTO v_scope, v_end
    FROM budgets b WHERE b.id = p_budget;
    IF v_scope IS NULL THEN
        RETURN;
    END IF;
    IF left(v_scope, 8) = 'service:' THEN
        RETURN QUERY SELECT COALESCE(sum(u.estimated_cost), 0)::numeric, COALESCE(sum(u.unpriced_requests), 0)::bigint
        FROM model_usage u
        WHERE u.service_name = substr(v_scope, 9) AND u.period_start >= p_period_start AND u.period_start < v_end;
    ELSE
        RETURN QUERY SELECT COALESCE(sum(u.estimated_cost), 0)::numeric, COALESCE(sum(u.unpriced_requests), 0)::bigint
        FROM model_usage u
        WHERE u.period_start >= p_period_start AND u.period_start < v_end
          AND providerd_budget_matches(v_scope, u.service_name, u.model_string);
    END IF;
END;
$$;

-- Records every threshold of an active budget that the period's spend has
-- reached and that has no event yet. Called with the ledger row locked.
CREATE OR REPLACE FUNCTION public.providerd_budget_record_crossings(p_budget BIGINT, p_period_start TIMESTAMPTZ)
RETURNS VOID
LANGUAGE sql
SECURITY DEFINER
SET search_path = public
AS $$
    INSERT INTO budget_events (budget_id, period_start, threshold, spent_usd, limit_usd)
    SELECT b.id, s.period_start, t.threshold, s.spent_usd, b.limit_usd
    FROM budgets b
    JOIN providerd_budget_spend s ON s.budget_id = b.id AND s.period_start = p_period_start
    CROSS JOIN LATERAL unnest(b.thresholds) AS t(threshold)
    WHERE b.id = p_budget AND b.is_active AND s.spent_usd >= b.limit_usd * t.threshold
    ON CONFLICT (budget_id, period_start, threshold) DO NOTHING
$$;

-- ---------------------------------------------------------------------------
-- providerd_budget_add: call it in the transaction that wrote the usage rows,
-- after writing them, with the same (service, model, day, cost, unpriced)
-- additions. It adds them to every budget they fall under, in a fixed order
-- (budget, period), and records the crossings.
--
-- The SHARE lock on budgets is what makes a new budget's starting sum exact: a
-- budget is written under ROW EXCLUSIVE, which waits for every transaction past
-- this point to commit (their rows are then in its sum), and transactions that
-- come later read the committed budget and add to its ledger.
-- ---------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION public.providerd_budget_add(
    p_services TEXT[], p_models TEXT[], p_days TIMESTAMPTZ[], p_costs NUMERIC[], p_unpriced BIGINT[])
RETURNS TABLE (budget_id BIGINT, period_start TIMESTAMPTZ, spent_usd NUMERIC, unpriced_requests BIGINT)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public
AS $$
DECLARE
    r RECORD;
    v_spent NUMERIC;
    v_unpriced BIGINT;
BEGIN
    LOCK TABLE budgets IN SHARE MODE;
    FOR r IN
        SELECT b.id, providerd_period_start(b.period, i.day) AS ps, sum(i.cost) AS cost, sum(i.unpriced) AS unpriced
        FROM budgets b
        JOIN unnest(p_services, p_models, p_days, p_costs, p_unpriced) AS i(service, model, day, cost, unpriced)
          ON providerd_budget_matches(b.scope, i.service, i.model)
        GROUP BY 1, 2
        ORDER BY 1, 2
    LOOP
        UPDATE providerd_budget_spend s
        SET spent_usd = s.spent_usd + r.cost, unpriced_requests = s.unpriced_requests + r.unpriced, updated_at = NOW()
        WHERE s.budget_id = r.id AND s.period_start = r.ps
        RETURNING s.spent_usd, s.unpriced_requests INTO v_spent, v_unpriced;
        IF NOT FOUND THEN
            -- First addition to this period: start from model_usage, which already
            -- holds this transaction's rows. Another transaction that got here first
            -- holds the row; then only this addition is added to what it left.
            INSERT INTO providerd_budget_spend AS s (budget_id, period_start, spent_usd, unpriced_requests)
            SELECT r.id, r.ps, u.spent_usd, u.unpriced_requests FROM providerd_budget_usage(r.id, r.ps) u
            ON CONFLICT ON CONSTRAINT providerd_budget_spend_pkey DO UPDATE
            SET spent_usd = s.spent_usd + r.cost, unpriced_requests = s.unpriced_requests + r.unpriced, updated_at = NOW()
            RETURNING s.spent_usd, s.unpriced_requests INTO v_spent, v_unpriced;
        END IF;
        PERFORM providerd_budget_record_crossings(r.id, r.ps);
        budget_id := r.id;
        period_start := r.ps;
        spent_usd := v_spent;
        unpriced_requests := v_unpriced;
        RETURN NEXT;
    END LOOP;
END;
$$;

COMMENT ON FUNCTION public.providerd_budget_add(TEXT[], TEXT[], TIMESTAMPTZ[], NUMERIC[], BIGINT[]) IS
    'Adds usage already written to model_usage (same transaction) to the budgets'' ledger and records crossings';

-- The seed's increment_usage, same signature and effect, now adding to budgets too.
CREATE OR REPLACE FUNCTION public.increment_usage(
    p_service TEXT,
    p_model TEXT,
    p_tokens INTEGER,
    p_cost DECIMAL,
    p_period_start TIMESTAMPTZ
) RETURNS VOID
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public
AS $$
BEGIN
    INSERT INTO model_usage (
        service_name, model_string, request_count, total_tokens,
        estimated_cost, period_start, period_end
    ) VALUES (
        p_service, p_model, 1, p_tokens,
        p_cost, p_period_start, p_period_start + INTERVAL '1 day'
    )
    ON CONFLICT (service_name, model_string, period_start) DO UPDATE SET
        request_count = model_usage.request_count + 1,
        total_tokens = model_usage.total_tokens + EXCLUDED.total_tokens,
        estimated_cost = model_usage.estimated_cost + EXCLUDED.estimated_cost;
    PERFORM providerd_budget_add(ARRAY[p_service], ARRAY[p_model], ARRAY[p_period_start],
                                 ARRAY[COALESCE(p_cost, 0)::numeric], ARRAY[0::bigint]);
END;
$$;

-- ---------------------------------------------------------------------------
-- Changes to budgets NOTIFY providerd_config, as keys and models do.
-- ---------------------------------------------------------------------------
DROP TRIGGER IF EXISTS providerd_config_changed ON public.budgets;
CREATE TRIGGER providerd_config_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON public.budgets
    FOR EACH STATEMENT EXECUTE FUNCTION public.providerd_config_changed();

ALTER TABLE public.budgets ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.providerd_budget_spend ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.budget_events ENABLE ROW LEVEL SECURITY;

-- ---------------------------------------------------------------------------
-- Supabase roles, where they exist.
-- ---------------------------------------------------------------------------
DO $$
DECLARE
    t TEXT;
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
        FOREACH t IN ARRAY ARRAY['budgets', 'providerd_budget_spend', 'budget_events'] LOOP
            EXECUTE format('GRANT ALL ON public.%I TO service_role', t);
            IF NOT EXISTS (SELECT 1 FROM pg_policies WHERE schemaname = 'public' AND tablename = t
                           AND policyname = 'Service role can manage ' || t) THEN
                EXECUTE format('CREATE POLICY %I ON public.%I FOR ALL TO service_role USING (true) WITH CHECK (true)',
                               'Service role can manage ' || t, t);
            END IF;
        END LOOP;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN
        REVOKE ALL ON public.budgets, public.providerd_budget_spend, public.budget_events FROM anon;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
        REVOKE ALL ON public.budgets, public.providerd_budget_spend, public.budget_events FROM authenticated;
    END IF;
END;
$$;
