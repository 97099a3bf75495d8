//! Open311 API keys: issued once, kept as a hash.

use crate::App;
use crate::Error;
use tongban_store::Session;

/// Makes a new Open311 API key: returns the key (shown once) after storing its hash.
pub async fn add_api_key(app: &App, region: &str, name: &str, actor: &str) -> Result<String, Error> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(Error::unprocessable("invalid_name", "密钥名称应为1到60个字"));
    }
    let key = new_api_key();
    app.store.add_open311_key(region, name, &hash_key(&key), actor).await?;
    Ok(key)
}

pub fn new_api_key() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub fn hash_key(key: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(key.trim().as_bytes()))
}

/// The region's keys, without the keys themselves (administrators).
pub async fn list_keys(app: &App, s: &Session) -> Result<Vec<tongban_store::Open311Key>, Error> {
    crate::policy::require(&s.staff, crate::policy::Capability::ConfigureHotline)?;
    Ok(app.store.open311_keys(&s.staff.region_code).await?)
}

/// Revokes a key by its client's name (administrators); audited by the store.
pub async fn revoke_key(app: &App, s: &Session, name: &str) -> Result<(), Error> {
    crate::policy::require(&s.staff, crate::policy::Capability::ConfigureHotline)?;
    Ok(app
        .store
        .revoke_open311_key(&s.staff.region_code, name, &s.staff.username)
        .await?)
}

/// The client a presented Open311 key belongs to, if it is valid and not revoked.
pub async fn key_client(app: &App, region: &str, key: &str) -> Result<Option<String>, Error> {
    Ok(app.store.open311_key(region, &hash_key(key)).await?)
}
