//! 赋权: items delegated to the park, towns and villages from a date, by a document.

use crate::App;
use crate::{Error, ErrorKind};
use serde::Deserialize;
use tongban_store::{Delegation, NewDelegation, Session};

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DelegationRequest {
    pub item_code: String,
    /// park, town or village
    pub target_kind: String,
    /// The park's site code (empty: the district's park), or the town's (9-digit) or village's (12-digit) region code
    #[serde(default)]
    pub target_code: String,
    /// district or city
    #[serde(default)]
    pub delegated_by: String,
    /// YYYY-MM-DD
    pub from_date: String,
    /// The document that delegates it (e.g. 云政发〔2023〕5号)
    pub document: String,
}

/// Records a delegation after checking the item, the date, the document and the target; shared with the page.
pub async fn grant_delegation(app: &App, s: &Session, req: &DelegationRequest) -> Result<Delegation, Error> {
    crate::policy::require(&s.staff, crate::policy::Capability::ConfigureReform)?;
    let region = &s.staff.region_code;
    let item = app
        .store
        .item(region, &req.item_code, None)
        .await?
        .ok_or_else(|| Error::unprocessable("unknown_item", format!("未知的事项“{}”", req.item_code)))?;
    chrono::NaiveDate::parse_from_str(&req.from_date, "%Y-%m-%d")
        .map_err(|_| Error::unprocessable("invalid_date", "生效日期应为YYYY-MM-DD"))?;
    if req.document.trim().is_empty() {
        return Err(Error::unprocessable("missing_document", "须写明赋权依据的文件"));
    }
    let target_code = req.target_code.trim();
    let (target_code, target_name) = match req.target_kind.as_str() {
        "park" => app
            .store
            .sites(region)
            .await?
            .into_iter()
            .find(|x| x.kind == "park" && (target_code.is_empty() || x.code == target_code))
            .map(|x| (x.code, x.name)),
        "town" | "village" => {
            let want = if req.target_kind == "town" { 9 } else { 12 };
            match app.store.region(target_code).await? {
                Some(r) if target_code.len() == want && target_code.starts_with(region.as_str()) => {
                    Some((target_code.to_string(), r.name))
                }
                _ => None,
            }
        }
        other => {
            return Err(Error::unprocessable(
                "invalid_target_kind",
                format!("赋权对象类型“{other}”应为park、town或village"),
            ))
        }
    }
    .ok_or_else(|| {
        Error::unprocessable(
            "unknown_target",
            format!("“{}”不是本区的{}", req.target_code, req.target_kind),
        )
    })?;
    let by = if req.delegated_by.is_empty() {
        "district"
    } else {
        req.delegated_by.as_str()
    };
    if !matches!(by, "district" | "city") {
        return Err(Error::unprocessable(
            "invalid_delegated_by",
            "赋权主体应为district或city",
        ));
    }
    app.store
        .delegate(
            region,
            &NewDelegation {
                item_code: &item.code,
                target_kind: &req.target_kind,
                target_code: &target_code,
                target_name: &target_name,
                delegated_by: by,
                from_date: &req.from_date,
                document: req.document.trim(),
            },
            &s.staff.username,
        )
        .await
        .map_err(|e| match e {
            tongban_store::StoreError::Conflict(m) => Error::new(ErrorKind::Conflict, "already_delegated", m),
            other => other.into(),
        })
}

/// The region's delegations (public), current and undone.
pub async fn delegations(app: &App, region: &str) -> Result<Vec<Delegation>, Error> {
    Ok(app.store.delegations(region).await?)
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RevokeDelegation {
    /// YYYY-MM-DD
    pub on: String,
    pub document: String,
}

/// Undoes a delegation on a date by a document (administrator); the record is kept.
pub async fn revoke_delegation(app: &App, s: &Session, id: i64, req: &RevokeDelegation) -> Result<Delegation, Error> {
    crate::policy::require(&s.staff, crate::policy::Capability::ConfigureReform)?;
    chrono::NaiveDate::parse_from_str(&req.on, "%Y-%m-%d")
        .map_err(|_| Error::unprocessable("invalid_date", "撤回日期应为YYYY-MM-DD"))?;
    if req.document.trim().is_empty() {
        return Err(Error::unprocessable("missing_document", "须写明撤回依据的文件"));
    }
    Ok(app
        .store
        .revoke_delegation(
            &s.staff.region_code,
            id,
            &req.on,
            req.document.trim(),
            &s.staff.username,
        )
        .await?)
}
