//! Passwords (Argon2id), sessions (web cookie and API bearer token share one table, kept as SHA-256 of the token)
//! and the failed-login record behind throttling.

use crate::db::int;
use crate::org::STAFF_SELECT;
use crate::{now_text, Staff, Store, StoreError};
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::RngCore;
use sha2::{Digest, Sha256};

pub fn hash_password(password: &str) -> Result<String, StoreError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Invalid(format!("无法计算密码散列：{e}")))
}

/// Constant-time check of a password against a stored PHC string; a malformed hash never verifies.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// Browser session behind an HttpOnly cookie; forms carry its CSRF token.
    Web,
    /// Bearer token for the JSON API.
    Api,
}

impl SessionKind {
    fn as_str(self) -> &'static str {
        match self {
            SessionKind::Web => "web",
            SessionKind::Api => "api",
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Session {
    #[sqlx(flatten)]
    pub staff: Staff,
    pub csrf_token: String,
    pub expires_at: String,
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl Store {
    /// Opens a session for the staff member; returns the secret token (only its hash is stored) and the session.
    pub async fn create_session(
        &self,
        staff: &Staff,
        kind: SessionKind,
        ttl: chrono::Duration,
    ) -> Result<(String, Session), StoreError> {
        let token = random_token();
        let csrf_token = random_token();
        let expires_at = (chrono::Utc::now() + ttl).format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, staff_id, kind, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token_hash(&token))
        .bind(staff.id)
        .bind(kind.as_str())
        .bind(&csrf_token)
        .bind(now_text())
        .bind(&expires_at)
        .execute(&mut *tx)
        .await?;
        crate::org::audit(
            &mut tx,
            &staff.region_code,
            &staff.username,
            "session.open",
            kind.as_str(),
            "",
        )
        .await?;
        tx.commit().await?;
        Ok((
            token,
            Session {
                staff: staff.clone(),
                csrf_token,
                expires_at,
            },
        ))
    }

    /// The live session of a token, or None when unknown, expired or of a deactivated account.
    pub async fn session(&self, token: &str, kind: SessionKind) -> Result<Option<Session>, StoreError> {
        let key = format!("{}:{}", kind.as_str(), token_hash(token));
        let now = now_text();
        if let Ok(cache) = self.sessions.lock() {
            if let Some((seen, s)) = cache.get(&key) {
                if seen.elapsed().as_secs() < crate::db::SESSION_CACHE_SECONDS && s.expires_at > now {
                    return Ok(Some(s.clone()));
                }
            }
        }
        let found = self.session_from_db(token, kind).await?;
        if let (Some(s), Ok(mut cache)) = (&found, self.sessions.lock()) {
            if cache.len() > 10_000 {
                cache.clear();
            }
            cache.insert(key, (std::time::Instant::now(), s.clone()));
        }
        Ok(found)
    }

    async fn session_from_db(&self, token: &str, kind: SessionKind) -> Result<Option<Session>, StoreError> {
        let sql = format!(
            "{STAFF_SELECT} JOIN sessions x ON x.staff_id = s.id WHERE x.token_hash = $1 AND x.kind = $2 \
             AND x.expires_at > $3 AND s.active = 1"
        );
        let sql = sql.replacen("SELECT s.id,", "SELECT x.csrf_token, x.expires_at, s.id,", 1);
        Ok(sqlx::query_as::<_, Session>(&sql)
            .bind(token_hash(token))
            .bind(kind.as_str())
            .bind(now_text())
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn end_session(&self, token: &str) -> Result<(), StoreError> {
        if let Ok(mut cache) = self.sessions.lock() {
            let hash = token_hash(token);
            cache.retain(|k, _| !k.ends_with(&hash));
        }
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash(token))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn record_login_failure(&self, username: &str) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO login_failures (username, at) VALUES ($1, $2)")
            .bind(username)
            .bind(now_text())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Failed logins of `username` since `since` (ISO 8601 UTC), for throttling.
    pub async fn login_failures_since(&self, username: &str, since: &str) -> Result<i64, StoreError> {
        let r = sqlx::query("SELECT COUNT(*) AS n FROM login_failures WHERE username = $1 AND at > $2")
            .bind(username)
            .bind(since)
            .fetch_one(&self.pool)
            .await?;
        Ok(int(&r, "n")?)
    }

    /// A successful login clears the user's failures.
    pub async fn clear_login_failures(&self, username: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM login_failures WHERE username = $1")
            .bind(username)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
