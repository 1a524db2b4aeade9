-- providerd migration 004: the management API (`providerd dashboard`). Additive
-- only: one bookkeeping table of providerd's own, and a nullable column.

-- Server-side sessions. The cookie holds a random id; only its SHA-256 is
-- stored, so a copy of this table logs nobody in. A row is the session: logout
-- deletes it, expiry ends it, and a restart of the dashboard keeps it.
CREATE TABLE IF NOT EXISTS public.providerd_dashboard_sessions (
    id_sha256 TEXT PRIMARY KEY,
    user_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('viewer', 'admin')),
    -- Which token logged in (a prefix of its SHA-256): its sessions end when the
    -- token leaves the token file.
    token_fingerprint TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    expires_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX IF NOT EXISTS idx_providerd_dashboard_sessions_expiry ON public.providerd_dashboard_sessions (expires_at);

COMMENT ON TABLE public.providerd_dashboard_sessions IS
    'providerd dashboard login sessions: SHA-256 of the cookie''s id, who, role, CSRF token, expiry';

ALTER TABLE public.providerd_dashboard_sessions ENABLE ROW LEVEL SECURITY;

-- Who last changed a provider key through the management API (model_config and
-- budgets already have updated_by). NULL for changes made elsewhere.
ALTER TABLE public.api_keys ADD COLUMN IF NOT EXISTS updated_by TEXT;

COMMENT ON COLUMN public.api_keys.updated_by IS
    'Who last set, rotated or deactivated the key (the dashboard token''s user name; NULL from the CLI or the seed)';
