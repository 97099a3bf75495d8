//! Staff sign-in with throttling of repeated failures, the sessions behind tokens and cookies, and the
//! constant-time comparison every secret check uses.

use crate::throttle::{self, ClientAddress};
use crate::{App, Error, ErrorKind};
use tongban_store::{Session, SessionKind};

/// Logs a staff member in from `address`: throttled as `throttle::before_password` says, checks the Argon2id hash
/// off the async runtime, counts failures and opens a session of the given kind. A disabled account is refused
/// only after the right password, so that the answer tells a guesser nothing.
pub async fn login(
    app: &App,
    username: &str,
    password: &str,
    kind: SessionKind,
    address: ClientAddress,
) -> Result<(String, Session), Error> {
    throttle::before_password(app, username, address).await?;
    let found = app.store.staff_by_username(username).await?;
    // Without the account, check against a fixed hash anyway so that timing does not tell which names exist.
    let hash = found
        .as_ref()
        .map(|(_, h)| h.clone())
        .unwrap_or_else(|| DUMMY_HASH.to_string());
    if !check_password(password, hash).await? {
        throttle::password_failed(app, username, address).await?;
        return Err(Error::new(
            ErrorKind::Unauthenticated,
            "invalid_credentials",
            "用户名或密码错误",
        ));
    }
    let Some((staff, _)) = found else {
        return Err(Error::internal("a password verified against the placeholder hash"));
    };
    if !staff.active {
        return Err(Error::new(
            ErrorKind::Forbidden,
            "account_disabled",
            "该账号已停用，请联系管理员",
        ));
    }
    throttle::password_succeeded(app, username, address).await?;
    let ttl = chrono::Duration::hours(app.config.session_hours);
    Ok(app.store.create_session(&staff, kind, ttl).await?)
}

/// Verifies a password against its Argon2id hash on a blocking thread (it takes tens of milliseconds of CPU).
pub async fn check_password(password: &str, hash: String) -> Result<bool, Error> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || tongban_store::verify_password(&password, &hash))
        .await
        .map_err(Error::internal)
}

/// Checked when there is no account, so that the time taken does not tell which accounts exist.
pub(crate) const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3Q3mB4n2u9qvVQb8l0x8yWw2l8r6o6l1b2mH1wq7p3A";

/// The live session behind a token of the given kind, if any.
pub async fn session(app: &App, token: &str, kind: SessionKind) -> Result<Option<Session>, Error> {
    Ok(app.store.session(token, kind).await?)
}

/// Compares a secret someone sent (a CSRF token, a signed link) with the expected one in constant time.
pub fn same_secret(expected: &str, given: &str) -> bool {
    expected.len() == given.len()
        && expected
            .bytes()
            .zip(given.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// Ends the session behind a token (logging out); an unknown token is no error.
pub async fn end_session(app: &App, token: &str) -> Result<(), Error> {
    Ok(app.store.end_session(token).await?)
}
