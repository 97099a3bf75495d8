//! 帮代办: window clerks paired with the enterprises they help.

use crate::policy::{self, Capability};
use crate::App;
use crate::{Error, ErrorKind};
use serde::Deserialize;
use tongban_core::role::Role;
use tongban_store::{HelperPair, Session};

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PairRequest {
    pub credit_code: String,
    pub enterprise_name: String,
    /// The helper's user name (a window clerk)
    pub helper: String,
}

/// Pairs a helper (an active window clerk of the region) with an enterprise (administrator).
pub async fn pair_helper(app: &App, s: &Session, req: &PairRequest) -> Result<HelperPair, Error> {
    policy::require(&s.staff, Capability::ConfigureReform)?;
    let code = tongban_core::ids::CreditCode::parse(&req.credit_code)?;
    match app.store.staff_by_username(&req.helper).await? {
        Some((h, _)) if h.region_code == s.staff.region_code && h.role == Role::Clerk && h.active => {}
        _ => {
            return Err(Error::unprocessable(
                "unknown_helper",
                format!("“{}”不是本区在岗的窗口人员", req.helper),
            ))
        }
    }
    if req.enterprise_name.trim().is_empty() {
        return Err(Error::unprocessable("missing_name", "企业名称不能为空"));
    }
    app.store
        .pair_helper(
            &s.staff.region_code,
            code.as_str(),
            req.enterprise_name.trim(),
            &req.helper,
            &s.staff.username,
        )
        .await
        .map_err(|e| match e {
            tongban_store::StoreError::Conflict(m) => Error::new(ErrorKind::Conflict, "already_paired", m),
            other => other.into(),
        })
}

/// Pairings: a helper (a window clerk) sees their own enterprises; administrators and supervisors all of the
/// region's; nobody else (the pairs name enterprises and their contacts).
pub async fn helper_pairs(app: &App, s: &Session) -> Result<Vec<HelperPair>, Error> {
    crate::policy::require(&s.staff, crate::policy::Capability::ReadHelperPairs)?;
    let mine = crate::policy::sees_own_helper_pairs_only(s).then_some(s.staff.username.as_str());
    Ok(app.store.helper_pairs(&s.staff.region_code, mine).await?)
}
