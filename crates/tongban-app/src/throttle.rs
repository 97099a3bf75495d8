//! Abuse limits, in the way OWASP ASVS V2.2 asks: guessing is slowed, and refused per client address, but the
//! owner of an account is never locked out by someone else's failures. The counts live in the database, so every
//! server behind the load balancer sees the same ones.

use crate::{App, Error};
use std::net::IpAddr;

/// A number of hits a subject may make in a fixed window.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    /// The bucket's name, also the stable part of the error code.
    pub name: &'static str,
    pub max: i64,
    pub window_seconds: i64,
    /// What is being limited, for the message: "{what}过于频繁".
    pub what: &'static str,
    /// The error code of the refusal: `too_many_attempts` for guessing, `too_many_requests` for volume.
    pub code: &'static str,
}

/// Wrong passwords for one account from one address: the guesser is stopped, the owner elsewhere is not.
pub const SIGN_IN_FAILURES_PER_ACCOUNT_AND_ADDRESS: Limit = Limit {
    name: "sign_in_pair",
    max: 5,
    window_seconds: 15 * 60,
    what: "登录失败",
    code: "too_many_attempts",
};
/// Wrong passwords from one address across accounts: password spraying.
pub const SIGN_IN_FAILURES_PER_ADDRESS: Limit = Limit {
    name: "sign_in_address",
    max: 20,
    window_seconds: 15 * 60,
    what: "登录失败",
    code: "too_many_attempts",
};
/// Wrong passwords for one account from anywhere: beyond this every attempt is slowed (not refused), so a
/// guesser spread over many addresses crawls while the owner still gets in.
pub const SIGN_IN_FAILURES_PER_ACCOUNT: Limit = Limit {
    name: "sign_in_account",
    max: 10,
    window_seconds: 15 * 60,
    what: "登录失败",
    code: "too_many_attempts",
};
/// The delay every attempt on an account past `SIGN_IN_FAILURES_PER_ACCOUNT` waits.
pub const SLOWED_ATTEMPT: std::time::Duration = std::time::Duration::from_secs(2);
/// Public progress queries (a case number and four characters of the ID or phone).
pub const PROGRESS_QUERIES_PER_ADDRESS: Limit = Limit {
    name: "progress",
    max: 20,
    window_seconds: 10 * 60,
    what: "办件进度查询",
    code: "too_many_requests",
};
/// SMS sign-in codes asked from one address (any phones).
pub const SIGN_IN_CODES_PER_ADDRESS: Limit = Limit {
    name: "sms_code_address",
    max: 10,
    window_seconds: 60 * 60,
    what: "获取短信验证码",
    code: "too_many_requests",
};
/// What the public submits without signing in: 12345 requests and mayor's-mailbox letters, disclosure requests.
/// (Open311 clients submit with a key.)
pub const ANONYMOUS_ORDERS_PER_ADDRESS: Limit = Limit {
    name: "public_submission",
    max: 10,
    window_seconds: 60 * 60,
    what: "提交诉求或申请",
    code: "too_many_requests",
};

/// The client a request came from, as the web edge determined it (behind a trusted proxy: the forwarded address).
/// None is a caller inside the deployment — the seed, the command line — which nothing limits.
pub type ClientAddress = Option<IpAddr>;

fn subject_of(address: IpAddr) -> String {
    address.to_string()
}

fn window(limit: &Limit, now: i64) -> (i64, u64) {
    let start = now - now.rem_euclid(limit.window_seconds);
    let left = (start + limit.window_seconds - now).max(1) as u64;
    (start, left)
}

fn now_seconds() -> i64 {
    chrono::Utc::now().timestamp()
}

fn refusal(limit: &Limit, seconds: u64) -> Error {
    let minutes = seconds.div_ceil(60);
    Error::too_many(
        limit.code,
        format!("{}过于频繁，请{}分钟后再试", limit.what, minutes),
        seconds,
    )
}

/// Counts one request of `subject` against `limit`, refusing (429 with `Retry-After`) once the window is full.
pub async fn hit(app: &App, limit: Limit, subject: &str) -> Result<(), Error> {
    let (start, left) = window(&limit, now_seconds());
    let bucket = format!("{}:{subject}", limit.name);
    if app.store.throttle_hit(&bucket, start).await? > limit.max {
        return Err(refusal(&limit, left));
    }
    Ok(())
}

/// Counts one request from `address` against a per-address limit.
pub async fn hit_address(app: &App, limit: Limit, address: ClientAddress) -> Result<(), Error> {
    match address {
        Some(a) => hit(app, limit, &subject_of(a)).await,
        None => Ok(()),
    }
}

/// Whether the window of `subject` is already full, without counting (for failures counted only when they fail).
async fn full(app: &App, limit: Limit, subject: &str) -> Result<Option<u64>, Error> {
    let (start, left) = window(&limit, now_seconds());
    let hits = app
        .store
        .throttle_hits(&format!("{}:{subject}", limit.name), start)
        .await?;
    Ok((hits >= limit.max).then_some(left))
}

/// Password sign-in (staff and applicants alike): before checking a password, refuses when this address has failed
/// too often on this account or across accounts, and waits when the account is being guessed from many places.
pub async fn before_password(app: &App, account: &str, address: ClientAddress) -> Result<(), Error> {
    let Some(address) = address else {
        return Ok(());
    };
    let from = subject_of(address);
    let pair = format!("{account}@{from}");
    if let Some(left) = full(app, SIGN_IN_FAILURES_PER_ACCOUNT_AND_ADDRESS, &pair).await? {
        return Err(refusal(&SIGN_IN_FAILURES_PER_ACCOUNT_AND_ADDRESS, left));
    }
    if let Some(left) = full(app, SIGN_IN_FAILURES_PER_ADDRESS, &from).await? {
        return Err(refusal(&SIGN_IN_FAILURES_PER_ADDRESS, left));
    }
    if full(app, SIGN_IN_FAILURES_PER_ACCOUNT, account).await?.is_some() {
        tokio::time::sleep(SLOWED_ATTEMPT).await;
    }
    Ok(())
}

/// Records a wrong password on `account` from `address`.
pub async fn password_failed(app: &App, account: &str, address: ClientAddress) -> Result<(), Error> {
    let Some(address) = address else {
        return Ok(());
    };
    let now = now_seconds();
    let from = subject_of(address);
    for (limit, subject) in [
        (SIGN_IN_FAILURES_PER_ACCOUNT_AND_ADDRESS, format!("{account}@{from}")),
        (SIGN_IN_FAILURES_PER_ADDRESS, from.clone()),
        (SIGN_IN_FAILURES_PER_ACCOUNT, account.to_string()),
    ] {
        let (start, _) = window(&limit, now);
        app.store
            .throttle_hit(&format!("{}:{subject}", limit.name), start)
            .await?;
    }
    Ok(())
}

/// A right password clears the failures of this account from this address (not the address's other failures).
pub async fn password_succeeded(app: &App, account: &str, address: ClientAddress) -> Result<(), Error> {
    let Some(address) = address else {
        return Ok(());
    };
    let pair = format!(
        "{}:{account}@{}",
        SIGN_IN_FAILURES_PER_ACCOUNT_AND_ADDRESS.name,
        subject_of(address)
    );
    Ok(app.store.throttle_clear(&pair).await?)
}

/// Forgets windows that ended more than a day ago (a background pass).
pub async fn prune(app: &App) -> Result<u64, Error> {
    Ok(app.store.throttle_prune(now_seconds() - 24 * 3600).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_starts_on_its_boundary_and_says_how_long_is_left() {
        let l = PROGRESS_QUERIES_PER_ADDRESS;
        assert_eq!(window(&l, 1_200), (1_200, 600));
        assert_eq!(window(&l, 1_799), (1_200, 1));
        assert_eq!(window(&l, 1_800), (1_800, 600));
    }

    #[test]
    fn the_refusal_names_what_and_when() {
        let e = refusal(&SIGN_IN_FAILURES_PER_ADDRESS, 61);
        assert_eq!(e.retry_after, Some(61));
        assert!(e.message.contains("登录失败过于频繁，请2分钟后再试"), "{}", e.message);
    }
}
