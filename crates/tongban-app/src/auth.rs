//! Staff sign-in with throttling of repeated failures, the sessions behind tokens and cookies, and the
//! constant-time comparison every secret check uses.

use crate::{App, Error, ErrorKind};
use tongban_store::{Session, SessionKind};

/// Logs a staff member in: refuses after too many recent failures, checks the Argon2id hash off the async
/// runtime, records failures and opens a session of the given kind.
pub async fn login(app: &App, username: &str, password: &str, kind: SessionKind) -> Result<(String, Session), Error> {
    let cfg = &app.config;
    let since = (chrono::Utc::now() - chrono::Duration::minutes(cfg.login_window_minutes))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    if app.store.login_failures_since(username, &since).await? >= cfg.login_max_failures {
        return Err(Error::new(
            ErrorKind::TooMany,
            "too_many_attempts",
            format!("登录失败次数过多，请{}分钟后再试", cfg.login_window_minutes),
        ));
    }
    let found = app.store.staff_by_username(username).await?;
    // Without the account, check against a fixed hash anyway so that timing does not tell which names exist.
    let hash = found
        .as_ref()
        .map(|(_, h)| h.clone())
        .unwrap_or_else(|| DUMMY_HASH.to_string());
    let password = password.to_string();
    let ok = tokio::task::spawn_blocking(move || tongban_store::verify_password(&password, &hash))
        .await
        .map_err(Error::internal)?;
    let staff = match found {
        Some((staff, _)) if ok => staff,
        _ => {
            app.store.record_login_failure(username).await?;
            return Err(Error::new(
                ErrorKind::Unauthenticated,
                "invalid_credentials",
                "用户名或密码错误",
            ));
        }
    };
    if !staff.active {
        return Err(Error::forbidden("该账号已停用，请联系管理员"));
    }
    app.store.clear_login_failures(username).await?;
    let ttl = chrono::Duration::hours(cfg.session_hours);
    Ok(app.store.create_session(&staff, kind, ttl).await?)
}

const DUMMY_HASH: &str =
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
