-- providerd migration 002: widen the seed's schema for real use and add what the
-- daemon needs. It only adds or widens: a Python program written against the
-- seed's schema (increment_usage, the views, the api_keys and model_config
-- columns) keeps working.

-- ---------------------------------------------------------------------------
-- model_usage: BIGINT counters, an unconstrained cost (DECIMAL(10,6) overflows
-- at $10,000 in one row), and separate token columns as PydanticAI counts them.
-- daily_usage_summary reads the widened columns, so it is dropped and recreated
-- with the same columns in this same transaction.
-- ---------------------------------------------------------------------------
DROP VIEW IF EXISTS public.daily_usage_summary;

ALTER TABLE public.model_usage
    ALTER COLUMN request_count TYPE BIGINT,
    ALTER COLUMN total_tokens TYPE BIGINT,
    ALTER COLUMN estimated_cost TYPE NUMERIC;

ALTER TABLE public.model_usage
    ADD COLUMN IF NOT EXISTS input_tokens BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS output_tokens BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS cache_read_tokens BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS cache_write_tokens BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS unpriced_requests BIGINT NOT NULL DEFAULT 0;

COMMENT ON COLUMN public.model_usage.input_tokens IS 'Input tokens, cache reads and writes included (PydanticAI input_tokens)';
COMMENT ON COLUMN public.model_usage.unpriced_requests IS 'Requests whose model had no price; costed by the fallback rule';

CREATE VIEW public.daily_usage_summary AS
SELECT
    service_name,
    model_string,
    DATE(period_start) AS date,
    SUM(request_count) AS total_requests,
    SUM(total_tokens) AS total_tokens,
    SUM(estimated_cost) AS total_cost
FROM public.model_usage
GROUP BY service_name, model_string, DATE(period_start)
ORDER BY date DESC, service_name;

COMMENT ON VIEW public.daily_usage_summary IS
    'Requests, tokens and cost per service, model and day';

-- ---------------------------------------------------------------------------
-- api_keys: any provider name PydanticAI may use, not only the seed's eight.
-- ---------------------------------------------------------------------------
ALTER TABLE public.api_keys DROP CONSTRAINT IF EXISTS valid_provider;
ALTER TABLE public.api_keys
    ADD CONSTRAINT valid_provider CHECK (provider ~ '^[a-z][a-z0-9_-]{0,63}$');

-- ---------------------------------------------------------------------------
-- Change signalling: every change to api_keys or model_config bumps one
-- counter and sends NOTIFY providerd_config, so providerd re-renders at once
-- and its poll needs one tiny query to see whether anything changed.
-- ---------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS public.providerd_config_version (
    id INTEGER PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    version BIGINT NOT NULL DEFAULT 0,
    changed_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
INSERT INTO public.providerd_config_version (id) VALUES (1) ON CONFLICT (id) DO NOTHING;

COMMENT ON TABLE public.providerd_config_version IS
    'Bumped by a trigger on every change to api_keys or model_config (providerd change detection)';

CREATE OR REPLACE FUNCTION public.providerd_config_changed()
RETURNS TRIGGER
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public
AS $$
BEGIN
    UPDATE providerd_config_version SET version = version + 1, changed_at = NOW() WHERE id = 1;
    PERFORM pg_notify('providerd_config', TG_TABLE_NAME);
    RETURN NULL;
END;
$$;

COMMENT ON FUNCTION public.providerd_config_changed() IS
    'Trigger: bump providerd_config_version and NOTIFY providerd_config';

DROP TRIGGER IF EXISTS providerd_config_changed ON public.api_keys;
CREATE TRIGGER providerd_config_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON public.api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION public.providerd_config_changed();

DROP TRIGGER IF EXISTS providerd_config_changed ON public.model_config;
CREATE TRIGGER providerd_config_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON public.model_config
    FOR EACH STATEMENT EXECUTE FUNCTION public.providerd_config_changed();

-- ---------------------------------------------------------------------------
-- providerd's bookkeeping: hosts sharing a database, and which usage spool
-- segments each has flushed (written in the same transaction as the usage).
-- ---------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS public.providerd_instances (
    instance_id UUID PRIMARY KEY,
    hostname TEXT,
    first_seen TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    last_seen TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

COMMENT ON TABLE public.providerd_instances IS
    'One row per providerd state directory (random instance id made at first start)';

CREATE TABLE IF NOT EXISTS public.providerd_flush_log (
    instance_id UUID NOT NULL,
    segment TEXT NOT NULL,
    records BIGINT NOT NULL DEFAULT 0,
    flushed_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    PRIMARY KEY (instance_id, segment)
);

COMMENT ON TABLE public.providerd_flush_log IS
    'Usage spool segments already added to model_usage, per instance (exactly-once flushing)';

ALTER TABLE public.providerd_config_version ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.providerd_instances ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.providerd_flush_log ENABLE ROW LEVEL SECURITY;

-- ---------------------------------------------------------------------------
-- get_daily_costs: the upstream addition the Python tracker calls when present.
-- Created only when missing, so an existing upstream definition stays.
-- ---------------------------------------------------------------------------
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                   WHERE n.nspname = 'public' AND p.proname = 'get_daily_costs') THEN
        EXECUTE $fn$
            CREATE FUNCTION public.get_daily_costs(start_date DATE)
            RETURNS TABLE (date DATE, total_cost NUMERIC, request_count BIGINT, total_tokens BIGINT)
            LANGUAGE sql
            STABLE
            SECURITY DEFINER
            SET search_path = public
            AS $body$
                SELECT DATE(period_start), SUM(estimated_cost)::NUMERIC,
                       SUM(request_count)::BIGINT, SUM(total_tokens)::BIGINT
                FROM model_usage
                WHERE period_start >= start_date
                GROUP BY DATE(period_start)
                ORDER BY 1 DESC
            $body$
        $fn$;
        COMMENT ON FUNCTION public.get_daily_costs(DATE) IS
            'Cost, requests and tokens per day from start_date on, newest first';
    END IF;
END;
$$;

-- ---------------------------------------------------------------------------
-- Supabase roles, where they exist: the recreated view lost its grants.
-- ---------------------------------------------------------------------------
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
        GRANT SELECT ON public.daily_usage_summary TO service_role;
        GRANT ALL ON public.providerd_config_version, public.providerd_instances,
                     public.providerd_flush_log TO service_role;
        IF NOT EXISTS (SELECT 1 FROM pg_policies WHERE schemaname = 'public'
                       AND tablename = 'providerd_config_version' AND policyname = 'Service role can manage providerd_config_version') THEN
            CREATE POLICY "Service role can manage providerd_config_version" ON public.providerd_config_version
                FOR ALL TO service_role USING (true) WITH CHECK (true);
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_policies WHERE schemaname = 'public'
                       AND tablename = 'providerd_instances' AND policyname = 'Service role can manage providerd_instances') THEN
            CREATE POLICY "Service role can manage providerd_instances" ON public.providerd_instances
                FOR ALL TO service_role USING (true) WITH CHECK (true);
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_policies WHERE schemaname = 'public'
                       AND tablename = 'providerd_flush_log' AND policyname = 'Service role can manage providerd_flush_log') THEN
            CREATE POLICY "Service role can manage providerd_flush_log" ON public.providerd_flush_log
                FOR ALL TO service_role USING (true) WITH CHECK (true);
        END IF;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN
        REVOKE ALL ON public.daily_usage_summary, public.providerd_config_version,
                      public.providerd_instances, public.providerd_flush_log FROM anon;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
        REVOKE ALL ON public.daily_usage_summary, public.providerd_config_version,
                      public.providerd_instances, public.providerd_flush_log FROM authenticated;
    END IF;
END;
$$;
