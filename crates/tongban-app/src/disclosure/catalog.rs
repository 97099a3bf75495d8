//! The disclosure catalog (政府信息公开目录): its entries checked and saved.

use super::*;
use crate::App;
use crate::Error;
use tongban_store::{CatalogEntry, Session};

pub fn validate_entry(e: &CatalogEntry) -> Result<(), Error> {
    let code = e.code.trim();
    if code.is_empty() || code.len() > 32 || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(Error::unprocessable(
            "invalid_code",
            "目录编码只能包含字母、数字和“-”，长度1–32",
        ));
    }
    for (v, what) in [
        (&e.level1, "一级事项"),
        (&e.level2, "二级事项"),
        (&e.content, "公开内容"),
        (&e.basis, "公开依据"),
        (&e.time_limit, "公开时限"),
        (&e.subject, "公开主体"),
        (&e.channels, "公开渠道和载体"),
        (&e.object, "公开对象"),
        (&e.method, "公开方式"),
        (&e.level, "公开层级"),
    ] {
        text_field(v, what, 500)?;
    }
    Ok(())
}

pub async fn save_entry(app: &App, s: &Session, e: CatalogEntry, now: &str) -> Result<CatalogEntry, Error> {
    crate::policy::require(&s.staff, crate::policy::Capability::EditDisclosureCatalog)?;
    validate_entry(&e)?;
    app.store
        .save_disclosure_catalog(
            &s.staff.region_code,
            std::slice::from_ref(&e),
            false,
            &s.staff.username,
            now,
        )
        .await?;
    app.store
        .disclosure_catalog_entry(&s.staff.region_code, &e.code)
        .await?
        .ok_or_else(|| Error::not_found(format!("公开目录事项“{}”", e.code)))
}

// ---------------------------------------------------------------------------------------------------------------
// Items of information.

/// The region's disclosure catalog (public).
pub async fn catalog_entries(app: &App, region: &str) -> Result<Vec<CatalogEntry>, Error> {
    Ok(app.store.disclosure_catalog(region).await?)
}
