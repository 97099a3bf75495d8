//! 跨省通办: partner regions and the items agreed with each.

use crate::policy::{self, Capability};
use crate::App;
use crate::Error;
use serde::Deserialize;
use tongban_store::{Partner, Session};

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PartnerEdit {
    pub name: String,
    #[serde(default)]
    pub agreement: String,
    /// Items agreed with this partner; each must be a 跨省通办 item of the catalog
    pub items: Vec<String>,
}

/// The region's partner regions (public) and the items agreed with each.
pub async fn partners(app: &App, region: &str) -> Result<Vec<Partner>, Error> {
    Ok(app.store.partners(region).await?)
}

/// Creates or replaces a partner and its agreed items, each of which must be a 跨省通办 item (administrator).
pub async fn save_partner(app: &App, s: &Session, code: &str, req: PartnerEdit) -> Result<Partner, Error> {
    policy::require(&s.staff, Capability::ConfigureReform)?;
    let region = tongban_core::ids::RegionCode::parse(code)?;
    if req.name.trim().is_empty() {
        return Err(Error::unprocessable("missing_name", "合作地区名称不能为空"));
    }
    for item in &req.items {
        let found = app.store.item(&s.staff.region_code, item, None).await?;
        match found {
            None => return Err(Error::unprocessable("unknown_item", format!("未知的事项“{item}”"))),
            Some(i) if !i.guide.cross_province => {
                return Err(Error::unprocessable(
                    "not_cross_province",
                    format!("事项“{}”未列入跨省通办", i.guide.name),
                ))
            }
            _ => {}
        }
    }
    let p = Partner {
        code: region.as_str().to_string(),
        name: req.name.trim().to_string(),
        agreement: req.agreement.trim().to_string(),
        items: req.items,
    };
    app.store
        .save_partner(&s.staff.region_code, &p, &s.staff.username)
        .await?;
    Ok(p)
}
