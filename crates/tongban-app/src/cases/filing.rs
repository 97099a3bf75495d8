//! Filing a case: the applicant checked, the site and item checked, the deadline counted, the submission notice queued.

use super::*;
use crate::App;
use crate::Error;
use chrono::NaiveDate;
use tongban_store::{CaseRecord, Filed, NewCase, Notification, Session, StoreError};

pub struct Filing {
    pub item_code: String,
    pub applicant: Applicant,
    pub channel: String,
    pub site_code: String,
    pub agent: String,
    pub form: serde_json::Value,
    pub materials: Vec<String>,
    pub idempotency_key: Option<String>,
    pub request_hash: String,
}

/// Files a case on behalf of `by` (None: the applicant online). Returns the case and whether it was new.
pub async fn file(app: &App, region: &str, f: Filing, by: Option<&Session>) -> Result<(CaseRecord, bool), Error> {
    file_at(app, region, f, by, today(), None).await
}

/// `file` on a given day and instant (replaying history); `at` None means now.
pub async fn file_at(
    app: &App,
    region: &str,
    f: Filing,
    by: Option<&Session>,
    day: NaiveDate,
    at: Option<String>,
) -> Result<(CaseRecord, bool), Error> {
    if !CHANNELS.contains(&f.channel.as_str()) {
        return Err(Error::unprocessable(
            "invalid_channel",
            format!("受理渠道“{}”应为online、window、town、village或partner", f.channel),
        ));
    }
    let (filed_by, role) = match by {
        Some(s) => {
            crate::policy::require(&s.staff, crate::policy::Capability::FileCases)?;
            (s.staff.username.clone(), s.staff.role.as_str().to_string())
        }
        None if f.channel == "online" => ("applicant".to_string(), "applicant".to_string()),
        None => {
            return Err(Error::unauthorized(
                "窗口、便民服务中心（站）和合作地区的受理须由工作人员登录后办理",
            ))
        }
    };
    if f.channel != "online" && f.site_code.is_empty() && by.is_none() {
        return Err(Error::unprocessable("missing_site", "须填写受理场所（site）"));
    }
    let item = current_item(app, region, &f.item_code)
        .await?
        .ok_or_else(|| Error::not_found(format!("事项“{}”", f.item_code)))?;
    let decided_by = crate::reform::site_acceptance(app, region, &f.channel, &f.site_code, &item, day).await?;
    let mut agent = f.agent;
    if let Some(s) = by {
        // A helper filing for an enterprise they are paired with is recorded as its agent (帮代办).
        if agent.is_empty()
            && f.applicant.kind == "enterprise"
            && app
                .store
                .is_helper_of(region, &s.staff.username, &f.applicant.identifier)
                .await?
        {
            agent = format!("帮代办：{}（{}）", s.staff.display_name, s.staff.username);
        }
    }
    let tpl = template(app, region, "default").await?;
    let new = NewCase {
        region_code: region.to_string(),
        item_code: item.code.clone(),
        applicant_kind: f.applicant.kind.to_string(),
        applicant_name: f.applicant.name.clone(),
        applicant_identifier: f.applicant.identifier.clone(),
        applicant_phone: f.applicant.phone.clone(),
        agent,
        channel: f.channel,
        site_code: f.site_code,
        filed_by,
        filed_by_role: role,
        form: f.form,
        materials: f.materials,
        idempotency_key: f.idempotency_key,
        request_hash: f.request_hash,
        day,
        at,
        decided_by,
    };
    let notice = Notification {
        channel: "sms".into(),
        recipient: f.applicant.phone.clone(),
        body: format!(
            "{}您申请的“{}”已提交，请等待受理。",
            app.config.sms_signature(),
            item.guide.name
        ),
    };
    match app.store.file_case(&new, &item, &tpl, Some(&notice)).await {
        Ok(Filed::Created(c)) => Ok((c, true)),
        Ok(Filed::Replayed(c)) => Ok((c, false)),
        Err(StoreError::Invalid(m)) if m.contains("幂等键") => {
            Err(Error::unprocessable("idempotency_key_reused", m))
        }
        Err(e) => Err(e.into()),
    }
}
