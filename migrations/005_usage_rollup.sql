-- providerd migration 005: per-day rollups of model_usage, so that the usage
-- reports (`providerd usage`, the dashboard) read one row per day and service,
-- or per day and model, instead of every row of the range; and an index that
-- covers what recommendations read. Additive only: model_usage, increment_usage
-- and the views keep their shape.
--
-- How the rollups stay exact with many writers on many hosts:
-- - A row trigger on model_usage appends each change (the new row's values
--   minus the old ones) to providerd_usage_delta, in the writer's own
--   transaction. An append waits for no other writer and holds no lock another
--   waits on, so no flush or increment_usage ever waits for, or deadlocks with,
--   another over a rollup row.
-- - providerd_usage_compact() moves the deltas into the two rollup tables in one
--   transaction, one compactor at a time (an advisory lock; a second caller
--   returns at once). The dashboard and every sidecar's flusher call it.
-- - A report reads rollup plus deltas in one statement, so one snapshot: at any
--   moment, for any day, rollup + deltas = model_usage.
-- - row_count counts model_usage rows, so a report lists a service, a model or
--   a day only while it has rows, as a report over model_usage does.
-- - Sums are exact. A cost's text can carry more decimal places than the same
--   sum over model_usage when rows were deleted or lowered (numeric keeps the
--   largest scale it has added); its value is the same.
-- Days are UTC days of period_start.

CREATE TABLE IF NOT EXISTS public.providerd_usage_delta (
    day DATE NOT NULL,
    service_name TEXT NOT NULL,
    model_string TEXT NOT NULL,
    row_count BIGINT NOT NULL,
    request_count NUMERIC NOT NULL,
    total_tokens NUMERIC NOT NULL,
    estimated_cost NUMERIC NOT NULL
);

-- NUMERIC counters: the sums of a damaged model_usage (values near the bigint
-- limit) must never make a compaction fail; a report casts and says so instead.
CREATE TABLE IF NOT EXISTS public.providerd_usage_by_service (
    day DATE NOT NULL,
    service_name TEXT NOT NULL,
    row_count BIGINT NOT NULL,
    request_count NUMERIC NOT NULL,
    total_tokens NUMERIC NOT NULL,
    estimated_cost NUMERIC NOT NULL,
    PRIMARY KEY (day, service_name)
);

CREATE TABLE IF NOT EXISTS public.providerd_usage_by_model (
    day DATE NOT NULL,
    model_string TEXT NOT NULL,
    row_count BIGINT NOT NULL,
    request_count NUMERIC NOT NULL,
    total_tokens NUMERIC NOT NULL,
    estimated_cost NUMERIC NOT NULL,
    PRIMARY KEY (day, model_string)
);

-- Rollup rows whose model_usage rows are all gone (a retention job's DELETE) are
-- removed by the compaction that zeroes them; these keep finding them cheap.
CREATE INDEX IF NOT EXISTS providerd_usage_by_service_empty ON public.providerd_usage_by_service (day) WHERE row_count = 0;
CREATE INDEX IF NOT EXISTS providerd_usage_by_model_empty ON public.providerd_usage_by_model (day) WHERE row_count = 0;

COMMENT ON TABLE public.providerd_usage_delta IS
    'Changes to model_usage not yet in the rollups (appended by a trigger, moved by providerd_usage_compact)';
COMMENT ON TABLE public.providerd_usage_by_service IS
    'model_usage summed per UTC day and service (plus providerd_usage_delta: the exact figure)';
COMMENT ON TABLE public.providerd_usage_by_model IS
    'model_usage summed per UTC day and model (plus providerd_usage_delta: the exact figure)';

-- A NULL the seed's schema forbids (a table that lost a NOT NULL) must not fail
-- the writer's statement: such a row counts under '' and, without a
-- period_start, in no day (no report's range selects it either).
CREATE OR REPLACE FUNCTION public.providerd_usage_delta_add()
RETURNS TRIGGER
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public
AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND OLD.period_start IS NOT DISTINCT FROM NEW.period_start
       AND OLD.service_name IS NOT DISTINCT FROM NEW.service_name
       AND OLD.model_string IS NOT DISTINCT FROM NEW.model_string THEN
        IF NEW.period_start IS NOT NULL THEN
            INSERT INTO providerd_usage_delta
            VALUES ((NEW.period_start AT TIME ZONE 'UTC')::date, COALESCE(NEW.service_name, ''), COALESCE(NEW.model_string, ''), 0,
                    COALESCE(NEW.request_count, 0) - COALESCE(OLD.request_count, 0),
                    COALESCE(NEW.total_tokens, 0) - COALESCE(OLD.total_tokens, 0),
                    COALESCE(NEW.estimated_cost, 0) - COALESCE(OLD.estimated_cost, 0));
        END IF;
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.period_start IS NOT NULL THEN
        INSERT INTO providerd_usage_delta
        VALUES ((OLD.period_start AT TIME ZONE 'UTC')::date, COALESCE(OLD.service_name, ''), COALESCE(OLD.model_string, ''), -1,
                -COALESCE(OLD.request_count, 0), -COALESCE(OLD.total_tokens, 0), -COALESCE(OLD.estimated_cost, 0));
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.period_start IS NOT NULL THEN
        INSERT INTO providerd_usage_delta
        VALUES ((NEW.period_start AT TIME ZONE 'UTC')::date, COALESCE(NEW.service_name, ''), COALESCE(NEW.model_string, ''), 1,
                COALESCE(NEW.request_count, 0), COALESCE(NEW.total_tokens, 0), COALESCE(NEW.estimated_cost, 0));
    END IF;
    RETURN NULL;
END;
$$;

COMMENT ON FUNCTION public.providerd_usage_delta_add() IS
    'Trigger: append a change to model_usage to providerd_usage_delta';

-- TRUNCATE fires no row trigger: the rollups are emptied with the table.
CREATE OR REPLACE FUNCTION public.providerd_usage_truncated()
RETURNS TRIGGER
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public
AS $$
BEGIN
    TRUNCATE providerd_usage_delta, providerd_usage_by_service, providerd_usage_by_model;
    RETURN NULL;
END;
$$;

COMMENT ON FUNCTION public.providerd_usage_truncated() IS
    'Trigger: TRUNCATE model_usage empties its rollups';

-- Moves up to p_limit deltas this transaction can see into the rollups; deltas
-- that writers commit meanwhile stay for the next call. Returns how many rows it
-- moved (p_limit: call again), or -1 when another compaction holds the lock
-- (nothing to wait for: that one moves them). The limit keeps one call short
-- after a bulk load (millions of deltas) under any statement timeout. Rollup
-- rows are written by compactions only, one at a time, so their row locks are
-- never contended.
CREATE OR REPLACE FUNCTION public.providerd_usage_compact(p_limit INTEGER DEFAULT 100000)
RETURNS BIGINT
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public
AS $$
DECLARE
    moved BIGINT;
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('providerd_usage_compact')) THEN
        RETURN -1;
    END IF;
    WITH d AS (
        -- Deltas are only ever inserted and deleted (by this lock's holder), so a
        -- row's ctid is stable between the two scans.
        DELETE FROM providerd_usage_delta
        WHERE ctid = ANY (ARRAY(SELECT ctid FROM providerd_usage_delta LIMIT p_limit))
        RETURNING *
    ), by_service AS (
        INSERT INTO providerd_usage_by_service AS r
        SELECT day, service_name, SUM(row_count), SUM(request_count), SUM(total_tokens), SUM(estimated_cost)
        FROM d GROUP BY day, service_name
        ON CONFLICT (day, service_name) DO UPDATE SET
            row_count = r.row_count + EXCLUDED.row_count,
            request_count = r.request_count + EXCLUDED.request_count,
            total_tokens = r.total_tokens + EXCLUDED.total_tokens,
            estimated_cost = r.estimated_cost + EXCLUDED.estimated_cost
    ), by_model AS (
        INSERT INTO providerd_usage_by_model AS r
        SELECT day, model_string, SUM(row_count), SUM(request_count), SUM(total_tokens), SUM(estimated_cost)
        FROM d GROUP BY day, model_string
        ON CONFLICT (day, model_string) DO UPDATE SET
            row_count = r.row_count + EXCLUDED.row_count,
            request_count = r.request_count + EXCLUDED.request_count,
            total_tokens = r.total_tokens + EXCLUDED.total_tokens,
            estimated_cost = r.estimated_cost + EXCLUDED.estimated_cost
    )
    -- Both inserts run to completion whether or not this reads them.
    SELECT count(*) INTO moved FROM d;
    DELETE FROM providerd_usage_by_service WHERE row_count = 0;
    DELETE FROM providerd_usage_by_model WHERE row_count = 0;
    RETURN moved;
END;
$$;

COMMENT ON FUNCTION public.providerd_usage_compact(INTEGER) IS
    'Move up to p_limit rows of providerd_usage_delta into the per-day rollups (one caller at a time; -1 when another holds the lock)';

-- The trigger first, then the rollups filled from every row there is, under a
-- lock that keeps writers out (SHARE ROW EXCLUSIVE) until the end of the
-- transaction: the deltas of writes committed before the lock are dropped, as
-- those rows are counted by the fill, and every write after goes through the
-- trigger. None is counted twice or missed, and a second run of this file by
-- hand rebuilds the same rollups. One DO block: one transaction even under
-- psql's autocommit.
DROP TRIGGER IF EXISTS providerd_usage_delta_add ON public.model_usage;
CREATE TRIGGER providerd_usage_delta_add
    AFTER INSERT OR UPDATE OR DELETE ON public.model_usage
    FOR EACH ROW EXECUTE FUNCTION public.providerd_usage_delta_add();
DROP TRIGGER IF EXISTS providerd_usage_truncated ON public.model_usage;
CREATE TRIGGER providerd_usage_truncated
    AFTER TRUNCATE ON public.model_usage
    FOR EACH STATEMENT EXECUTE FUNCTION public.providerd_usage_truncated();

DO $$
BEGIN
    LOCK TABLE public.model_usage IN SHARE ROW EXCLUSIVE MODE;
    TRUNCATE public.providerd_usage_delta, public.providerd_usage_by_service, public.providerd_usage_by_model;
    INSERT INTO public.providerd_usage_by_service
    SELECT (period_start AT TIME ZONE 'UTC')::date, COALESCE(service_name, ''), COUNT(*),
           SUM(COALESCE(request_count, 0)), SUM(COALESCE(total_tokens, 0)), SUM(COALESCE(estimated_cost, 0))
    FROM public.model_usage WHERE period_start IS NOT NULL GROUP BY 1, 2;
    INSERT INTO public.providerd_usage_by_model
    SELECT (period_start AT TIME ZONE 'UTC')::date, COALESCE(model_string, ''), COUNT(*),
           SUM(COALESCE(request_count, 0)), SUM(COALESCE(total_tokens, 0)), SUM(COALESCE(estimated_cost, 0))
    FROM public.model_usage WHERE period_start IS NOT NULL GROUP BY 1, 2;
END;
$$;

-- Recommendations read every token column of one service's rows over a period.
-- Covering them lets PostgreSQL answer from this index alone instead of visiting
-- one heap page per row (a year of a service of 20 models: 7,300 rows on 7,300
-- pages, most of the report's time). It costs about 0.7 times model_usage's size
-- on disk; its upkeep on a flush's upserts did not show in a measurement.
CREATE INDEX IF NOT EXISTS idx_model_usage_service_tokens ON public.model_usage (service_name, period_start)
    INCLUDE (model_string, request_count, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens);

ALTER TABLE public.providerd_usage_delta ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.providerd_usage_by_service ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.providerd_usage_by_model ENABLE ROW LEVEL SECURITY;

-- ---------------------------------------------------------------------------
-- Supabase roles, where they exist.
-- ---------------------------------------------------------------------------
DO $$
DECLARE
    t TEXT;
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
        FOREACH t IN ARRAY ARRAY['providerd_usage_delta', 'providerd_usage_by_service', 'providerd_usage_by_model'] LOOP
            EXECUTE format('GRANT ALL ON public.%I TO service_role', t);
            IF NOT EXISTS (SELECT 1 FROM pg_policies WHERE schemaname = 'public' AND tablename = t
                           AND policyname = 'Service role can manage ' || t) THEN
                EXECUTE format('CREATE POLICY %I ON public.%I FOR ALL TO service_role USING (true) WITH CHECK (true)',
                               'Service role can manage ' || t, t);
            END IF;
        END LOOP;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN
        REVOKE ALL ON public.providerd_usage_delta, public.providerd_usage_by_service, public.providerd_usage_by_model FROM anon;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
        REVOKE ALL ON public.providerd_usage_delta, public.providerd_usage_by_service, public.providerd_usage_by_model FROM authenticated;
    END IF;
END;
$$;
