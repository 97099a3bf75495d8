//! Case use cases: filing, acting on a case under the workflow template, deadlines on the working-day calendar,
//! and what the supervisor sees. Shared by the API, the pages and the command line.

mod act;
mod delivery;
mod drafts;
mod fees;
mod files;
mod filing;
mod forms;
mod mine;
mod notices;
mod reading;
mod supervision;

pub use act::*;
pub use delivery::*;
pub use drafts::*;
pub use fees::*;
pub use files::*;
pub use filing::*;
pub use forms::*;
pub use mine::*;
pub use notices::*;
pub use reading::*;
pub use supervision::*;

use crate::time::{parse_day, today};
use crate::App;
use crate::Error;
use chrono::NaiveDate;
use serde::Serialize;
use tongban_core::ids::{CreditCode, Phone, ResidentId};
use tongban_core::workflow::{default_template, Template};
use tongban_store::{CaseRecord, Session};

pub const CHANNELS: [&str; 5] = ["online", "window", "town", "village", "partner"];

/// A validated applicant: the identifier fits its kind.
pub struct Applicant {
    pub kind: &'static str,
    pub name: String,
    pub identifier: String,
    pub phone: String,
}

pub fn parse_applicant(
    kind: &str,
    name: &str,
    id_number: Option<&str>,
    credit_code: Option<&str>,
    phone: &str,
) -> Result<Applicant, Error> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Error::unprocessable(
            "invalid_name",
            "申请人名称不能为空，且不超过100个字",
        ));
    }
    let phone = Phone::parse(phone)?;
    let (kind, identifier) = match kind {
        "person" => {
            let raw = id_number
                .ok_or_else(|| Error::unprocessable("missing_id_number", "自然人申请须填写身份证号码（id_number）"))?;
            ("person", ResidentId::parse(raw)?.as_str().to_string())
        }
        "enterprise" => {
            let raw = credit_code.ok_or_else(|| {
                Error::unprocessable("missing_credit_code", "企业申请须填写统一社会信用代码（credit_code）")
            })?;
            ("enterprise", CreditCode::parse(raw)?.as_str().to_string())
        }
        other => {
            return Err(Error::unprocessable(
                "invalid_applicant_kind",
                format!("申请人类型“{other}”应为person或enterprise"),
            ))
        }
    };
    Ok(Applicant {
        kind,
        name: name.to_string(),
        identifier,
        phone: phone.as_str().to_string(),
    })
}

/// The template a case runs under: the region's saved one, else the built-in default.
pub async fn template(app: &App, region: &str, code: &str) -> Result<std::sync::Arc<Template>, Error> {
    let key = format!("{region}|{code}");
    if let Some(t) = app.templates.read().ok().and_then(|m| m.get(&key).cloned()) {
        return Ok(t);
    }
    let t = std::sync::Arc::new(
        app.store
            .workflow_template(region, code)
            .await?
            .unwrap_or_else(default_template),
    );
    if let Ok(mut m) = app.templates.write() {
        m.insert(key, t.clone());
    }
    Ok(t)
}

/// A published guide version: immutable once published, so it is cached for the life of the process.
pub async fn guide_version(
    app: &App,
    region: &str,
    code: &str,
    version: i64,
) -> Result<Option<std::sync::Arc<tongban_store::ItemRecord>>, Error> {
    let key = format!("{region}|{code}|{version}");
    if let Some(g) = app.guides.read().ok().and_then(|m| m.get(&key).cloned()) {
        return Ok(Some(g));
    }
    let Some(item) = app.store.item(region, code, Some(version)).await? else {
        return Ok(None);
    };
    let item = std::sync::Arc::new(item);
    if let Ok(mut m) = app.guides.write() {
        m.insert(key, item.clone());
    }
    Ok(Some(item))
}

/// The item's current guide for a new filing: the row is read every time (which version is current and who
/// handles it may change), the published guide comes from the cache of `guide_version`.
pub async fn current_item(app: &App, region: &str, code: &str) -> Result<Option<tongban_store::ItemRecord>, Error> {
    let Some(head) = app.store.item_head(region, code).await? else {
        return Ok(None);
    };
    Ok(guide_version(app, region, code, head.current_version)
        .await?
        .map(|g| g.under(&head)))
}

/// How people name the channel a case came in by.
pub fn channel_label(channel: &str) -> &'static str {
    match channel {
        "online" => "网上申请",
        "window" => "窗口",
        "town" => "镇（街道）便民服务中心",
        "village" => "村（社区）便民服务站",
        "partner" => "跨省通办合作地区",
        _ => "其他渠道",
    }
}

/// Forgets a cached template after it was saved.
pub fn forget_template(app: &App, region: &str, code: &str) {
    if let Ok(mut m) = app.templates.write() {
        m.remove(&format!("{region}|{code}"));
    }
}

/// The case as the staff member may read it (`policy::may_read_case`): a role that reads no cases is refused (403),
/// another department's case does not exist for the reader (404).
pub async fn load(app: &App, s: &Session, number: &str) -> Result<CaseRecord, Error> {
    crate::policy::require(&s.staff, crate::policy::Capability::ReadCases)?;
    match app.store.case_by_number(&s.staff.region_code, number).await? {
        Some(c) if crate::policy::may_read_case(s, &c) => Ok(c),
        // Another department's case does not exist for this reader.
        _ => Err(Error::not_found(format!("办件“{number}”"))),
    }
}

/// Deadline status of an open case for supervision (电子监察).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Timing {
    /// Working days left until the promised deadline (negative when overdue); None before acceptance.
    pub remaining_working_days: Option<i64>,
    /// `none`, `yellow` (≤ warn days left), `red` (overdue), `suspended` (clock stopped) or `done`.
    pub warning: String,
}

pub const WARN_DAYS: i64 = 1;

pub fn timing(app: &App, c: &CaseRecord, today: NaiveDate) -> Timing {
    if c.closed_at.is_some() || c.state == "issued" {
        return Timing {
            remaining_working_days: None,
            warning: "done".into(),
        };
    }
    if c.suspended_since.is_some() {
        return Timing {
            remaining_working_days: None,
            warning: "suspended".into(),
        };
    }
    let Some(due) = c.due_date.as_deref().and_then(parse_day) else {
        return Timing {
            remaining_working_days: None,
            warning: "none".into(),
        };
    };
    let remaining = app.calendar().working_days_between(today, due);
    Timing {
        remaining_working_days: Some(remaining),
        warning: crate::time::deadline_light(remaining, WARN_DAYS).into(),
    }
}
