-- OpenID Connect logins in progress. A row is created when a browser is sent to the provider and consumed (deleted)
-- by the callback, so a replayed or forged callback finds nothing. The state is stored hashed; the PKCE verifier is
-- encrypted with the instance key; browser_hash binds the row to the browser that started the login.

-- +goose Up
CREATE TABLE oidc_logins (
    state_hash   TEXT PRIMARY KEY,
    browser_hash TEXT NOT NULL,
    nonce        TEXT NOT NULL,
    verifier_enc TEXT NOT NULL,
    next_path    TEXT NOT NULL DEFAULT '/',
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);
CREATE INDEX oidc_logins_expires ON oidc_logins (expires_at);

-- +goose Down
DROP TABLE oidc_logins;
