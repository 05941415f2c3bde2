-- Paket's initial schema. Instants are BIGINT seconds since the Unix epoch
-- (UTC) and ids are TEXT, in the same form on SQLite and PostgreSQL.
-- Secrets (codes, refresh tokens, client secrets) are stored only as
-- SHA-256 hashes in hex; passwords as argon2id PHC strings.

CREATE TABLE companies (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE apps (
    id TEXT PRIMARY KEY,
    company_id TEXT NOT NULL REFERENCES companies (id),
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'Draft' CHECK (status IN ('Draft', 'Pending', 'Live', 'Inactive')),
    created_at BIGINT NOT NULL
);
CREATE INDEX apps_company_id ON apps (company_id);

CREATE TABLE licenses (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps (id),
    internal_id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    rank INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'Draft' CHECK (status IN ('Draft', 'Pending', 'Live', 'Inactive')),
    test_mode BOOLEAN NOT NULL DEFAULT FALSE,
    interval_length INTEGER NOT NULL CHECK (interval_length > 0),
    interval_unit TEXT NOT NULL CHECK (interval_unit IN ('DAYS', 'WEEKS', 'MONTHS', 'YEARS')),
    trial_duration_days INTEGER NOT NULL DEFAULT 0 CHECK (trial_duration_days >= 0),
    trial_reset_days INTEGER NOT NULL DEFAULT 0 CHECK (trial_reset_days >= 0),
    price_tier INTEGER,
    created_at BIGINT NOT NULL,
    UNIQUE (app_id, internal_id)
);

CREATE TABLE license_countries (
    license_id TEXT NOT NULL REFERENCES licenses (id) ON DELETE CASCADE,
    country_code TEXT NOT NULL CHECK (length(country_code) = 2),
    PRIMARY KEY (license_id, country_code)
);

CREATE TABLE clients (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps (id),
    name TEXT NOT NULL,
    platform TEXT NOT NULL,
    secret_hash TEXT,
    pkce_required BOOLEAN NOT NULL DEFAULT TRUE,
    first_party BOOLEAN NOT NULL DEFAULT FALSE,
    test_mode BOOLEAN NOT NULL DEFAULT FALSE,
    refresh_token_ttl_seconds BIGINT NOT NULL CHECK (refresh_token_ttl_seconds > 0),
    rotate_refresh_tokens BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL
);
CREATE INDEX clients_app_id ON clients (app_id);

CREATE TABLE client_redirect_uris (
    client_id TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    uri TEXT NOT NULL,
    PRIMARY KEY (client_id, uri)
);

CREATE TABLE client_logout_uris (
    client_id TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    uri TEXT NOT NULL,
    PRIMARY KEY (client_id, uri)
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    -- Lower-cased on write, so uniqueness is case-insensitive.
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    name TEXT NOT NULL,
    country_code TEXT NOT NULL CHECK (length(country_code) = 2),
    created_at BIGINT NOT NULL
);

CREATE TABLE plans (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL UNIQUE REFERENCES users (id),
    created_at BIGINT NOT NULL
);

CREATE TABLE plan_items (
    id TEXT PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES plans (id),
    license_id TEXT NOT NULL REFERENCES licenses (id),
    license_type TEXT NOT NULL CHECK (license_type IN ('SINGLE', 'BUNDLE')),
    status TEXT NOT NULL CHECK (status IN ('ACTIVE', 'OVERDUE', 'CANCELLED')),
    renew_status TEXT NOT NULL CHECK (renew_status IN ('RENEW', 'CANCEL')),
    renews_on BIGINT NOT NULL,
    interval_length INTEGER NOT NULL CHECK (interval_length > 0),
    interval_unit TEXT NOT NULL CHECK (interval_unit IN ('DAYS', 'WEEKS', 'MONTHS', 'YEARS')),
    billing_cycle_anchor BIGINT NOT NULL,
    date_added BIGINT NOT NULL,
    trial BOOLEAN NOT NULL,
    trial_duration_days INTEGER NOT NULL CHECK (trial_duration_days >= 0),
    trial_reset_days INTEGER NOT NULL CHECK (trial_reset_days >= 0),
    cancelled_at BIGINT
);
CREATE INDEX plan_items_plan_id ON plan_items (plan_id);
CREATE INDEX plan_items_license_id ON plan_items (license_id);

CREATE TABLE signing_keys (
    id TEXT PRIMARY KEY,
    algorithm TEXT NOT NULL,
    -- PKCS#8 document of the private key. See docs/decisions.md on why it
    -- is stored unencrypted for now.
    private_key BLOB NOT NULL,
    -- Uncompressed public point (65 bytes for P-256).
    public_key BLOB NOT NULL,
    created_at BIGINT NOT NULL,
    retired_at BIGINT
);

CREATE TABLE authorization_codes (
    id TEXT PRIMARY KEY,
    code_hash TEXT NOT NULL UNIQUE,
    client_id TEXT NOT NULL REFERENCES clients (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    redirect_uri TEXT NOT NULL,
    code_challenge TEXT,
    scope TEXT NOT NULL,
    nonce TEXT,
    auth_time BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    -- Set by the first exchange; a second exchange finds it set.
    consumed_at BIGINT,
    -- Set when a reuse revoked everything this code issued.
    revoked_at BIGINT
);

CREATE TABLE refresh_tokens (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    -- The authorization code whose exchange started this grant; every
    -- access and refresh token of the grant carries its id.
    grant_id TEXT NOT NULL REFERENCES authorization_codes (id),
    client_id TEXT NOT NULL REFERENCES clients (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    scope TEXT NOT NULL,
    auth_time BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX refresh_tokens_grant_id ON refresh_tokens (grant_id);
CREATE INDEX refresh_tokens_user_client ON refresh_tokens (user_id, client_id);
