//! 一件事 applications as staff read them: one with its sub-cases and where it stands, the recent ones, and the
//! clerk's steps on one (accept every part at once, deliver once).

use super::{accept_bundle, bundle_status, deliver_bundle, load_bundle, BundleStatus};
use crate::policy::{self, Capability};
use crate::App;
use crate::Error;
use serde::Serialize;
use tongban_store::{BundleCase, CaseRecord, Session};

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BundleCaseView {
    pub number: String,
    pub bundle_code: String,
    pub bundle_name: String,
    pub applicant_name: String,
    pub applicant_identifier: String,
    pub channel: String,
    pub site: String,
    pub delivery: String,
    pub materials: Vec<String>,
    pub created_at: String,
    pub delivered_at: Option<String>,
    #[serde(flatten)]
    pub status: BundleStatus,
    pub parts: Vec<BundlePart>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BundlePart {
    pub number: String,
    pub item_code: String,
    pub item_name: String,
    pub department: String,
    /// The deciding department (a town government or the park committee when the power was delegated there)
    pub department_code: String,
    pub state: String,
    /// The state's name in the case's workflow (办结, 审查中 …)
    pub state_label: String,
    pub version: i64,
    pub due_date: Option<String>,
    pub materials: Vec<String>,
}

/// A bundle application with its sub-cases (each state named as its workflow names it) and where it stands; the
/// applicant's identifier whole or masked.
pub async fn bundle_view(
    app: &App,
    b: BundleCase,
    parts: Vec<CaseRecord>,
    whole: bool,
) -> Result<BundleCaseView, Error> {
    let status = bundle_status(app, &b, &parts).await?;
    let mut labelled = Vec::with_capacity(parts.len());
    for c in parts {
        let tpl = crate::cases::template(app, &c.region_code, &c.workflow_code).await?;
        let label = tpl
            .state(&c.state)
            .map(|st| st.label.clone())
            .unwrap_or_else(|| c.state.clone());
        labelled.push((c, label));
    }
    Ok(BundleCaseView {
        applicant_identifier: if whole {
            b.applicant_identifier.clone()
        } else {
            policy::mask::identifier(&b.applicant_kind, &b.applicant_identifier)
        },
        number: b.number,
        bundle_code: b.bundle_code,
        bundle_name: b.bundle_name,
        applicant_name: b.applicant_name,
        channel: b.channel,
        site: b.site_code,
        delivery: b.delivery,
        materials: b.materials,
        created_at: b.created_at,
        delivered_at: b.delivered_at,
        status,
        parts: labelled
            .into_iter()
            .map(|(c, state_label)| BundlePart {
                state_label,
                number: c.number,
                item_code: c.item_code,
                item_name: c.item_name,
                department: c.department_name,
                department_code: c.department_code,
                state: c.state,
                version: c.version,
                due_date: c.due_date,
                materials: c.materials,
            })
            .collect(),
    })
}

/// One bundle application of the staff member's region, whole.
pub async fn bundle_case(app: &App, s: &Session, number: &str) -> Result<BundleCaseView, Error> {
    let (b, parts) = load_bundle(app, s, number).await?;
    bundle_view(app, b, parts, true).await
}

/// The clerk's step on a bundle application — `accept` (every submitted part at once) or `deliver` (every issued
/// part, once, `comment` saying how) — for those who handle bundles; returns the application as it then stands.
pub async fn bundle_action(
    app: &App,
    s: &Session,
    number: &str,
    action: &str,
    comment: &str,
) -> Result<BundleCaseView, Error> {
    policy::require(&s.staff, Capability::HandleBundles)?;
    match action {
        "accept" => accept_bundle(app, s, number).await?,
        "deliver" => deliver_bundle(app, s, number, comment.trim()).await?,
        other => {
            return Err(Error::unprocessable(
                "unknown_action",
                format!("未知的操作“{other}”（accept或deliver）"),
            ))
        }
    }
    bundle_case(app, s, number).await
}

/// The region's latest bundle applications (at most 50), each with where it stands.
pub async fn recent_bundle_cases(app: &App, s: &Session) -> Result<Vec<(BundleCase, BundleStatus)>, Error> {
    policy::require(&s.staff, Capability::ReadCases)?;
    let mut rows = Vec::new();
    for (b, parts) in app.store.bundle_cases(&s.staff.region_code, 50).await? {
        if !parts.iter().any(|c| policy::may_read_case(s, c)) {
            continue;
        }
        let st = bundle_status(app, &b, &parts).await?;
        rows.push((b, st));
    }
    Ok(rows)
}
