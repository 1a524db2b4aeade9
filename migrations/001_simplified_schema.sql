-- providerd migration 001: the schema of the Python "Clean Provider Integration"
-- (ModelConfigService, APIKeyManager, UsageTracker), kept identical in meaning so
-- that existing rows, encrypted keys and Python code keep working.
--
-- Runs unchanged with `psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -1 -f` on plain
-- PostgreSQL and on Supabase, and through `providerd migrate`. It is idempotent.
--
-- Unlike the original, it drops nothing: the ten tables of the older provider
-- system (provider_active_config, provider_incidents, ...) are not providerd's.
-- Grants and policies name Supabase's roles only where those roles exist, and
-- touch providerd's own objects only.

-- ---------------------------------------------------------------------------
-- model_config: which model each service uses
-- ---------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS public.model_config (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    service_name TEXT NOT NULL UNIQUE,
    model_string TEXT NOT NULL,
    temperature FLOAT DEFAULT 0.7,
    max_tokens INTEGER,
    updated_at TIMESTAMPTZ DEFAULT NOW(),
    updated_by TEXT,
    CONSTRAINT valid_model_string CHECK (model_string LIKE '%:%')
);

CREATE INDEX IF NOT EXISTS idx_model_config_service ON public.model_config (service_name);

COMMENT ON TABLE public.model_config IS
    'Model per service (service_name -> provider:model), with temperature and max_tokens';

-- ---------------------------------------------------------------------------
-- api_keys: provider API keys, Fernet-encrypted with ARCHON_ENCRYPTION_KEY
-- ---------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS public.api_keys (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    provider TEXT NOT NULL UNIQUE,
    encrypted_key TEXT NOT NULL,
    base_url TEXT,
    headers JSONB,
    is_active BOOLEAN DEFAULT true,
    updated_at TIMESTAMPTZ DEFAULT NOW(),
    CONSTRAINT valid_provider CHECK (provider IN (
        'openai', 'anthropic', 'google', 'gemini', 'groq', 'mistral', 'ollama', 'cohere'
    ))
);

CREATE INDEX IF NOT EXISTS idx_api_keys_active ON public.api_keys (provider) WHERE is_active = true;

COMMENT ON TABLE public.api_keys IS
    'Provider API keys, Fernet tokens (urlsafe base64) made with ARCHON_ENCRYPTION_KEY';

-- ---------------------------------------------------------------------------
-- model_usage: per-day usage and cost per service and model
-- ---------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS public.model_usage (
    id UUID DEFAULT gen_random_uuid(),
    service_name TEXT NOT NULL,
    model_string TEXT NOT NULL,
    request_count INTEGER DEFAULT 0,
    total_tokens INTEGER DEFAULT 0,
    estimated_cost DECIMAL(10, 6) DEFAULT 0,
    period_start TIMESTAMPTZ NOT NULL,
    period_end TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (service_name, model_string, period_start)
);

CREATE INDEX IF NOT EXISTS idx_model_usage_period ON public.model_usage (period_start, period_end);
CREATE INDEX IF NOT EXISTS idx_model_usage_service ON public.model_usage (service_name, period_start DESC);

COMMENT ON TABLE public.model_usage IS
    'Usage and estimated cost (USD) per service, model and UTC day';

-- ---------------------------------------------------------------------------
-- Row-level security: enabled on all three tables, one policy each for
-- Supabase's service_role. A table owner (and a superuser) bypasses RLS.
-- ---------------------------------------------------------------------------
ALTER TABLE public.model_config ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.model_usage ENABLE ROW LEVEL SECURITY;

-- ---------------------------------------------------------------------------
-- Functions
-- ---------------------------------------------------------------------------
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
END;
$$;

COMMENT ON FUNCTION public.increment_usage(TEXT, TEXT, INTEGER, DECIMAL, TIMESTAMPTZ) IS
    'Adds one request, p_tokens and p_cost to the (service, model, day) usage row';

CREATE OR REPLACE FUNCTION public.get_current_model(p_service TEXT)
RETURNS TEXT
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public
AS $$
DECLARE
    v_model TEXT;
BEGIN
    SELECT model_string INTO v_model FROM model_config WHERE service_name = p_service;
    RETURN v_model;
END;
$$;

COMMENT ON FUNCTION public.get_current_model(TEXT) IS
    'The model_string configured for a service, or NULL';

-- ---------------------------------------------------------------------------
-- Views
-- ---------------------------------------------------------------------------
CREATE OR REPLACE VIEW public.daily_usage_summary AS
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

CREATE OR REPLACE VIEW public.active_model_config AS
SELECT
    mc.service_name,
    mc.model_string,
    mc.temperature,
    mc.max_tokens,
    split_part(mc.model_string, ':', 1) AS provider,
    split_part(mc.model_string, ':', 2) AS model,
    ak.is_active AS api_key_configured
FROM public.model_config mc
LEFT JOIN public.api_keys ak
    ON ak.provider = split_part(mc.model_string, ':', 1)
   AND ak.is_active = true;

COMMENT ON VIEW public.active_model_config IS
    'Each configured service with its provider, model and whether an active key exists';

-- ---------------------------------------------------------------------------
-- Supabase roles: only where they exist (plain PostgreSQL has none of them)
-- ---------------------------------------------------------------------------
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
        IF NOT EXISTS (SELECT 1 FROM pg_policies WHERE schemaname = 'public'
                       AND tablename = 'model_config' AND policyname = 'Service role can manage model config') THEN
            CREATE POLICY "Service role can manage model config" ON public.model_config
                FOR ALL TO service_role USING (true) WITH CHECK (true);
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_policies WHERE schemaname = 'public'
                       AND tablename = 'api_keys' AND policyname = 'Service role can manage API keys') THEN
            CREATE POLICY "Service role can manage API keys" ON public.api_keys
                FOR ALL TO service_role USING (true) WITH CHECK (true);
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_policies WHERE schemaname = 'public'
                       AND tablename = 'model_usage' AND policyname = 'Service role can manage usage') THEN
            CREATE POLICY "Service role can manage usage" ON public.model_usage
                FOR ALL TO service_role USING (true) WITH CHECK (true);
        END IF;
        GRANT ALL ON public.model_config, public.api_keys, public.model_usage TO service_role;
        GRANT SELECT ON public.daily_usage_summary, public.active_model_config TO service_role;
        GRANT EXECUTE ON FUNCTION public.increment_usage(TEXT, TEXT, INTEGER, DECIMAL, TIMESTAMPTZ),
                                  public.get_current_model(TEXT) TO service_role;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN
        REVOKE ALL ON public.model_config, public.api_keys, public.model_usage,
                      public.daily_usage_summary, public.active_model_config FROM anon;
        REVOKE ALL ON FUNCTION public.increment_usage(TEXT, TEXT, INTEGER, DECIMAL, TIMESTAMPTZ),
                               public.get_current_model(TEXT) FROM anon;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
        REVOKE ALL ON public.model_config, public.api_keys, public.model_usage,
                      public.daily_usage_summary, public.active_model_config FROM authenticated;
        REVOKE ALL ON FUNCTION public.increment_usage(TEXT, TEXT, INTEGER, DECIMAL, TIMESTAMPTZ),
                               public.get_current_model(TEXT) FROM authenticated;
    END IF;
END;
$$;

-- ---------------------------------------------------------------------------
-- Default services
-- ---------------------------------------------------------------------------
INSERT INTO public.model_config (service_name, model_string, temperature) VALUES
    ('rag_agent', 'openai:gpt-4o-mini', 0.7),
    ('document_agent', 'openai:gpt-4o', 0.7),
    ('embeddings', 'openai:text-embedding-3-small', 0.0)
ON CONFLICT (service_name) DO NOTHING;
