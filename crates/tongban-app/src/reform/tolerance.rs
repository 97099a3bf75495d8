//! 容缺受理: the applicant's commitment, supplements handed in later, and the sweep that marks broken commitments.

use crate::cases;
use crate::policy::{self, Capability};
use crate::time::ymd;
use crate::App;
use crate::Error;
use chrono::NaiveDate;
use serde::Serialize;
use tongban_core::catalog::Guide;
use tongban_store::{CaseRecord, Commitment, CreditRecord, NewCommitment, Notification, Session, ToleranceFigures};

/// The commitment a tolerance acceptance signs, after checking the item, the missing materials and the applicant.
pub async fn tolerance_commitment(
    app: &App,
    case: &CaseRecord,
    guide: &Guide,
    missing: &[&str],
    today: NaiveDate,
) -> Result<NewCommitment, Error> {
    if !guide.tolerance {
        return Err(Error::unprocessable(
            "tolerance_not_allowed",
            format!("事项“{}”未列入容缺受理清单", guide.name),
        ));
    }
    if missing.is_empty() {
        return Err(Error::unprocessable(
            "nothing_missing",
            "材料已齐全，无需容缺受理，请直接受理",
        ));
    }
    let not_tolerable: Vec<&str> = missing
        .iter()
        .copied()
        .filter(|name| !guide.materials.iter().any(|m| m.name == *name && m.may_be_missing))
        .collect();
    if !not_tolerable.is_empty() {
        return Err(Error::unprocessable(
            "material_not_tolerable",
            format!("以下材料不可容缺，须当场提交：{}", not_tolerable.join("、")),
        ));
    }
    let records = app
        .store
        .open_credit_records(&case.region_code, &case.applicant_identifier)
        .await?;
    if let Some(r) = records.first() {
        return Err(Error::unprocessable(
            "applicant_has_credit_record",
            format!("申请人有未清除的失信记录，不能容缺受理：{}", r.reason),
        )
        .with_details(serde_json::json!({ "credit_records": records })));
    }
    let due = app.calendar().add_working_days(today, app.config.tolerance_days).date;
    Ok(NewCommitment {
        materials: missing.iter().map(|m| m.to_string()).collect(),
        due_date: ymd(due),
    })
}

/// The result of a tolerance case is not issued until the promised materials are in (先审后验).
pub async fn check_supplements_in(app: &App, case: &CaseRecord) -> Result<(), Error> {
    if !case.tolerance {
        return Ok(());
    }
    match app.store.commitment_for_case(case.id).await? {
        Some(c) if c.state != "fulfilled" => Err(Error::unprocessable(
            "supplements_pending",
            format!(
                "容缺材料尚未补齐（{}，承诺{}前补交），暂不能出证",
                c.materials.join("、"),
                c.due_date
            ),
        )),
        _ => Ok(()),
    }
}

/// Takes materials promised at a tolerance acceptance (window clerk), based on the case version the clerk saw.
pub async fn supplement(
    app: &App,
    s: &Session,
    number: &str,
    version: i64,
    materials: &[String],
) -> Result<(CaseRecord, tongban_store::Commitment), Error> {
    crate::policy::require(&s.staff, crate::policy::Capability::FileCases)?;
    let case = cases::load(app, s, number).await?;
    if case.version != version {
        return Err(cases::stale(case.version));
    }
    app.store
        .supplement(&case, materials, &s.staff.username, s.staff.role.as_str())
        .await
        .map_err(|e| match e {
            tongban_store::StoreError::Invalid(m) => Error::unprocessable("invalid_supplement", m),
            tongban_store::StoreError::Stale { current } => cases::stale(current),
            other => other.into(),
        })
}

/// Marks the commitments past due, writes the credit records and tells the applicants. Run by the background
/// worker daily; returns how many were marked.
pub async fn sweep_commitments(app: &App, region: &str, today: NaiveDate) -> Result<usize, Error> {
    let signature = app.config.sms_signature();
    let marked = app
        .store
        .breach_overdue_commitments(region, &ymd(today), |c| Notification {
            channel: "sms".into(),
            recipient: c.applicant_phone.clone(),
            body: format!(
                "{}您的办件{}（{}）承诺于{}前补齐“{}”，已逾期，已记入失信记录，补齐前暂不能容缺受理。",
                signature,
                c.case_number,
                c.item_name,
                c.due_date,
                c.materials.join("、")
            ),
        })
        .await?;
    Ok(marked.len())
}

// ---------------------------------------------------------------------------------------------------------------
// Commitments and credit records

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CommitmentList {
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub figures: ToleranceFigures,
    /// By due date
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub data: Vec<Commitment>,
}

/// The region's tolerance commitments in a state (open, fulfilled or breached; all without one), with the figures;
/// for those who read commitments. Applicants' identifiers are masked.
pub async fn commitments(app: &App, s: &Session, state: Option<&str>) -> Result<CommitmentList, Error> {
    policy::require(&s.staff, Capability::ReadCommitments)?;
    commitment_list(app, &s.staff.region_code, state).await
}

/// The commitments in a state with the figures, identifiers masked (no access check: callers decide).
pub(super) async fn commitment_list(app: &App, region: &str, state: Option<&str>) -> Result<CommitmentList, Error> {
    let mut data = app.store.commitments(region, state).await?;
    for c in &mut data {
        c.applicant_identifier = policy::mask::identifier("person", &c.applicant_identifier);
    }
    Ok(CommitmentList {
        figures: app.store.tolerance_figures(region).await?,
        data,
    })
}

/// An applicant's open credit records (失信记录), which clerks see before accepting and which block tolerance.
pub async fn credit_records(app: &App, s: &Session, identifier: &str) -> Result<Vec<CreditRecord>, Error> {
    policy::require(&s.staff, Capability::ReadCommitments)?;
    Ok(app
        .store
        .open_credit_records(&s.staff.region_code, identifier.trim())
        .await?)
}

/// Clears a credit record with the reason (administrator); audited.
pub async fn clear_credit_record(app: &App, s: &Session, id: i64, reason: &str) -> Result<(), Error> {
    policy::require(&s.staff, Capability::ClearCreditRecords)?;
    if reason.trim().is_empty() {
        return Err(Error::unprocessable("missing_reason", "清除失信记录须说明理由"));
    }
    app.store
        .clear_credit_record(&s.staff.region_code, id, &s.staff.username, reason.trim())
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------------
// 一件事一次办
