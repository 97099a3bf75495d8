-- Sign-ins started at the province's identity service (OpenID Connect): the state and nonce sent with the browser,
-- taken once when the browser comes back, so that a callback cannot be replayed or forged.
CREATE TABLE oidc_logins (
    state TEXT PRIMARY KEY,
    nonce TEXT NOT NULL,
    next_path TEXT NOT NULL,
    created_at TEXT NOT NULL
);
