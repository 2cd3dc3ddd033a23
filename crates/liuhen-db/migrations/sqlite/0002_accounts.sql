-- Accounts: units (执法机构), departments, users, sessions, API tokens, sign-in throttling.
CREATE TABLE units (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_ms INTEGER NOT NULL
);

CREATE TABLE departments (
    id         TEXT PRIMARY KEY,
    unit_id    TEXT NOT NULL REFERENCES units (id),
    name       TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    UNIQUE (unit_id, name)
);

CREATE TABLE users (
    id                   TEXT PRIMARY KEY,
    username             TEXT NOT NULL UNIQUE,
    display_name         TEXT NOT NULL,
    unit_id              TEXT REFERENCES units (id),
    department_id        TEXT REFERENCES departments (id),
    -- comma-separated role codes
    roles                TEXT NOT NULL,
    password_hash        TEXT NOT NULL,
    must_change_password INTEGER NOT NULL,
    disabled             INTEGER NOT NULL,
    -- base32; confirmed when totp_enabled = 1, pending enrolment otherwise
    totp_secret          TEXT,
    totp_enabled         INTEGER NOT NULL,
    totp_last_step       INTEGER,
    created_ms           INTEGER NOT NULL,
    updated_ms           INTEGER NOT NULL
);

-- Only the SHA-256 of a session token is stored.
CREATE TABLE sessions (
    token_hash    TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id),
    csrf_token    TEXT NOT NULL,
    -- 1 = password accepted, second factor still to come
    pending_totp  INTEGER NOT NULL,
    created_ms    INTEGER NOT NULL,
    last_seen_ms  INTEGER NOT NULL,
    expires_ms    INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_ms   INTEGER NOT NULL,
    last_used_ms INTEGER,
    revoked_ms   INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- Consecutive sign-in failures per user name, kept for unknown names too.
CREATE TABLE login_failures (
    username        TEXT PRIMARY KEY,
    failures        INTEGER NOT NULL,
    locked_until_ms INTEGER
);
