-- providerd migration 006: finding unpriced usage without reading the rest.
-- Additive only: one partial index.
--
-- The dashboard's overview and GET /api/v1/usage/unpriced list the models whose
-- requests had no price in a range (a model missing from the price table, costed
-- by the fallback rule). Such rows are rare, so an index holding only them
-- answers from a handful of entries instead of a month of model_usage rows.
CREATE INDEX IF NOT EXISTS idx_model_usage_unpriced ON public.model_usage (period_start)
    INCLUDE (model_string, service_name, unpriced_requests) WHERE unpriced_requests > 0;
