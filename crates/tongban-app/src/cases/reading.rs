//! Reading cases: the inbox and its filters, a case's history, its materials checklist, the public progress
//! query, the supervision period; and the workflow templates as an administrator reads and saves them.

use super::*;
use crate::App;
use crate::Error;
use serde::Serialize;
use tongban_store::{CaseEvent, CaseFilter, CaseRecord, Page, Session};

/// The inbox's filters, as the API's query and the page's form give them.
#[derive(Debug, Clone, Default)]
pub struct CaseQuery {
    pub state: Option<String>,
    pub department_code: Option<String>,
    pub item_code: Option<String>,
    pub applicant: Option<String>,
    /// Only open cases past their deadline.
    pub overdue: bool,
    /// Only open cases within `WARN_DAYS` working days of it.
    pub warned: bool,
    /// Only open cases due today.
    pub due_today: bool,
    /// Only cases not yet closed.
    pub open_only: bool,
    /// A case number (or its start), an applicant's name or identifier, or part of an item's name.
    pub search: Option<String>,
    /// The accepting site's code, or `online` for cases filed online.
    pub site: Option<String>,
}

/// The cases the staff member may read that match the query, newest first: department staff their department's.
pub async fn list(app: &App, s: &Session, q: CaseQuery, page: i64, per_page: i64) -> Result<Page<CaseRecord>, Error> {
    crate::policy::require(&s.staff, crate::policy::Capability::ReadCases)?;
    let today = crate::time::today();
    let warn_by = app.calendar().add_working_days(today, WARN_DAYS as u32).date;
    let filter = CaseFilter {
        state: q.state,
        department_id: if crate::policy::own_department_only(s) {
            s.staff.department_id
        } else {
            None
        },
        department_code: q.department_code,
        item_code: q.item_code,
        applicant: q.applicant,
        due_before: q.overdue.then(|| crate::time::ymd(today)),
        due_by: q.warned.then(|| crate::time::ymd(warn_by)),
        due_on: q.due_today.then(|| crate::time::ymd(today)),
        open_only: q.open_only || q.overdue || q.warned || q.due_today,
        search: q.search,
        // Online filings have no site.
        site: q.site.map(|s| (if s == "online" { String::new() } else { s }, false)),
        ..Default::default()
    };
    Ok(app.store.cases(&s.staff.region_code, &filter, page, per_page).await?)
}

/// The open cases the staff member may read (as `list` scopes them), by urgency: late, due today, warned.
pub async fn open_case_urgency(app: &App, s: &Session) -> Result<tongban_store::UrgencyCounts, Error> {
    crate::policy::require(&s.staff, crate::policy::Capability::ReadCases)?;
    let today = crate::time::today();
    let warn_by = app.calendar().add_working_days(today, WARN_DAYS as u32).date;
    let filter = CaseFilter {
        department_id: if crate::policy::own_department_only(s) {
            s.staff.department_id
        } else {
            None
        },
        open_only: true,
        ..Default::default()
    };
    Ok(app
        .store
        .case_urgency(
            &s.staff.region_code,
            &filter,
            &crate::time::ymd(today),
            &crate::time::ymd(warn_by),
            None,
        )
        .await?)
}

/// A case's history for a reader of the case: append-only events, each chained to its predecessor by hash.
pub async fn events(app: &App, s: &Session, number: &str) -> Result<Vec<CaseEvent>, Error> {
    let c = load(app, s, number).await?;
    Ok(app.store.case_events(c.id).await?)
}

/// The workflow template a region uses under `code` (the built-in default when it saved none).
pub async fn workflow(app: &App, s: &Session, code: &str) -> Result<Template, Error> {
    match app.store.workflow_template(&s.staff.region_code, code).await? {
        Some(t) => Ok(t),
        None if code == "default" => Ok(tongban_core::workflow::default_template()),
        None => Err(Error::not_found(format!("流程模板“{code}”"))),
    }
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Progress {
    pub number: String,
    pub item_name: String,
    pub department: String,
    pub state: String,
    pub state_label: String,
    pub applicant_name: String,
    pub accepted_on: Option<String>,
    pub due_date: Option<String>,
    pub closed_at: Option<String>,
    pub steps: Vec<ProgressStep>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProgressStep {
    pub at: String,
    pub action: String,
    pub state: String,
}

/// The public progress query; at most `throttle::PROGRESS_QUERIES_PER_ADDRESS` from one address, so that the
/// four-character code cannot be tried through.
pub async fn progress(
    app: &App,
    number: &str,
    code: &str,
    address: crate::throttle::ClientAddress,
) -> Result<Progress, Error> {
    crate::throttle::hit_address(app, crate::throttle::PROGRESS_QUERIES_PER_ADDRESS, address).await?;
    let region = app.config.default_region.clone();
    let not_found = || Error::not_found(format!("办件“{number}”（或查询码不符）"));
    let c = app
        .store
        .case_by_number(&region, number.trim())
        .await?
        .ok_or_else(not_found)?;
    let code = code.trim().to_ascii_uppercase();
    let tail = |s: &str| {
        s.chars()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<String>()
    };
    if code.chars().count() != 4 || (tail(&c.applicant_identifier) != code && tail(&c.applicant_phone) != code) {
        return Err(not_found());
    }
    let tpl = super::template(app, &c.region_code, &c.workflow_code).await?;
    let label = |st: &str| tpl.state(st).map(|s| s.label.clone()).unwrap_or_else(|| st.to_string());
    let steps = app
        .store
        .case_events(c.id)
        .await?
        .into_iter()
        .map(|e| ProgressStep {
            at: e.at,
            action: tpl.action(&e.action).map(|a| a.label.clone()).unwrap_or_else(|| {
                if e.action == "submit" {
                    "提交申请".into()
                } else {
                    e.action.clone()
                }
            }),
            state: label(&e.to_state),
        })
        .collect();
    Ok(Progress {
        state_label: label(&c.state),
        number: c.number,
        item_name: c.item_name,
        department: c.department_name,
        state: c.state,
        applicant_name: crate::policy::mask::name(&c.applicant_name),
        accepted_on: c.accepted_on,
        due_date: c.due_date,
        closed_at: c.closed_at,
        steps,
    })
}

/// Who sees which figures, and the period asked for (default: the last 30 days).
pub fn supervision_scope(
    s: &Session,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<(chrono::NaiveDate, chrono::NaiveDate, Option<i64>), Error> {
    crate::policy::require(&s.staff, crate::policy::Capability::ReadSupervision)?;
    let dept = if crate::policy::own_department_only(s) {
        s.staff.department_id
    } else {
        None
    };
    let (from, to) = crate::time::period(from, to, crate::time::today(), crate::time::PeriodStart::DaysBefore(30))?;
    Ok((from, to, dept))
}

/// Checks and saves an edited template; shared by the API and the page.
pub async fn save_workflow(
    app: &App,
    s: &Session,
    code: &str,
    t: tongban_core::workflow::Template,
) -> Result<tongban_core::workflow::Template, Error> {
    crate::policy::require(&s.staff, crate::policy::Capability::ConfigureWorkflows)?;
    if t.code != code {
        return Err(Error::unprocessable(
            "code_mismatch",
            format!("模板编码“{}”与地址中的“{code}”不一致", t.code),
        ));
    }
    t.validate()
        .map_err(|e| Error::unprocessable(e.code(), e.to_string()))?;
    let in_use: Vec<String> = app
        .store
        .open_case_states(&s.staff.region_code, code)
        .await?
        .into_iter()
        .filter(|st| t.state(st).is_none())
        .collect();
    if !in_use.is_empty() {
        return Err(Error::unprocessable(
            "state_in_use",
            format!("仍有在办件处于这些状态，不能删除：{}", in_use.join("、")),
        ));
    }
    app.store
        .save_workflow_template(&s.staff.region_code, &t, &s.staff.username)
        .await?;
    super::forget_template(app, &s.staff.region_code, code);
    Ok(t)
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChecklistEntry {
    pub name: String,
    pub required: bool,
    pub may_be_missing: bool,
    pub received: bool,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub files: Vec<tongban_store::CaseFile>,
}

/// The materials checklist of a case against the guide version it was filed under.
pub async fn checklist(app: &App, c: &CaseRecord) -> Result<Vec<ChecklistEntry>, Error> {
    let files = app.store.case_files(c.id).await?;
    let item = app
        .store
        .item(&c.region_code, &c.item_code, Some(c.item_version))
        .await?;
    Ok(item
        .map(|i| i.guide.materials)
        .unwrap_or_default()
        .into_iter()
        .map(|m| ChecklistEntry {
            received: c.materials.contains(&m.name),
            files: files.iter().filter(|f| f.material == m.name).cloned().collect(),
            name: m.name,
            required: m.required,
            may_be_missing: m.may_be_missing,
        })
        .collect())
}

/// What a case's page shows beside the case: its history, its 容缺 commitment and, while it waits for acceptance,
/// the applicant's open credit records (which decide whether 容缺 is allowed).
#[derive(Debug, Clone)]
pub struct Dossier {
    pub events: Vec<CaseEvent>,
    pub commitment: Option<tongban_store::Commitment>,
    pub credit: Vec<tongban_store::CreditRecord>,
}

/// The dossier of a case the reader has loaded (`load` decided they may read it).
pub async fn dossier(app: &App, c: &CaseRecord) -> Result<Dossier, Error> {
    Ok(Dossier {
        events: app.store.case_events(c.id).await?,
        commitment: app.store.commitment_for_case(c.id).await?,
        credit: if c.state == "submitted" {
            app.store
                .open_credit_records(&c.region_code, &c.applicant_identifier)
                .await?
        } else {
            vec![]
        },
    })
}

/// An applicant's open credit records, as the filing clerk checks them before accepting under 容缺.
pub async fn open_credit_records(
    app: &App,
    s: &Session,
    identifier: &str,
) -> Result<Vec<tongban_store::CreditRecord>, Error> {
    crate::policy::require(&s.staff, crate::policy::Capability::FileCases)?;
    Ok(app
        .store
        .open_credit_records(&s.staff.region_code, &identifier.to_uppercase())
        .await?)
}
