//! 容缺受理: the applicant's commitment, supplements handed in later, and the sweep that marks broken commitments.

use crate::cases;
use crate::time::ymd;
use crate::App;
use crate::Error;
use chrono::NaiveDate;
use tongban_core::catalog::Guide;
use tongban_store::{CaseRecord, NewCommitment, Notification, Session};

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
// 一件事一次办
