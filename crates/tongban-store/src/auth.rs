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

pub(crate) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub(crate) fn token_hash(token: &str) -> String {
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
}

impl Store {
    /// Counts one hit of `bucket` in the fixed window starting at `window_start` (seconds since the epoch) and
    /// returns the window's hits so far. Every server on the database shares the count.
    pub async fn throttle_hit(&self, bucket: &str, window_start: i64) -> Result<i64, StoreError> {
        let _turn = self.write_turn().await;
        let r = sqlx::query(
            "INSERT INTO throttle (bucket, window_start, hits) VALUES ($1, $2, 1) \
             ON CONFLICT (bucket, window_start) DO UPDATE SET hits = throttle.hits + 1 RETURNING hits",
        )
        .bind(bucket)
        .bind(window_start)
        .fetch_one(&self.pool)
        .await?;
        Ok(int(&r, "hits")?)
    }

    /// The hits of `bucket` in the window, without counting one.
    pub async fn throttle_hits(&self, bucket: &str, window_start: i64) -> Result<i64, StoreError> {
        let r =
            sqlx::query("SELECT COALESCE(MAX(hits), 0) AS hits FROM throttle WHERE bucket = $1 AND window_start = $2")
                .bind(bucket)
                .bind(window_start)
                .fetch_one(&self.pool)
                .await?;
        Ok(int(&r, "hits")?)
    }

    /// Forgets the counts of `bucket` (a successful sign-in clears its failures).
    pub async fn throttle_clear(&self, bucket: &str) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        sqlx::query("DELETE FROM throttle WHERE bucket = $1")
            .bind(bucket)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Drops windows that ended before `before` (seconds since the epoch).
    pub async fn throttle_prune(&self, before: i64) -> Result<u64, StoreError> {
        let _turn = self.write_turn().await;
        let done = sqlx::query("DELETE FROM throttle WHERE window_start < $1")
            .bind(before)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}
