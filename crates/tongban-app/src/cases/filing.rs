//! Filing a case: the applicant checked, the site and item checked, the deadline counted, the submission notice queued.

use super::*;
use crate::App;
use crate::Error;
use chrono::NaiveDate;
use tongban_store::{ApplicantSession, CaseRecord, Filed, NewCase, Notification, Session, StoreError};

/// Who files: a member of staff at a window, station or partner region, or the applicant signed in online — whose
/// identity, not the request, names the case's applicant.
#[derive(Clone, Copy)]
pub enum FiledBy<'a> {
    Staff(&'a Session),
    Applicant(&'a ApplicantSession),
    /// Nobody is signed in: refused with the sign-in the channel needs.
    Anonymous,
}

impl<'a> FiledBy<'a> {
    pub fn staff(s: Option<&'a Session>) -> FiledBy<'a> {
        s.map_or(FiledBy::Anonymous, FiledBy::Staff)
    }
    fn session(self) -> Option<&'a Session> {
        match self {
            FiledBy::Staff(s) => Some(s),
            _ => None,
        }
    }
}

/// The applicant of an online filing: the signed-in identity. A request that names someone else is refused, so
/// that nobody files in another person's name.
pub fn online_applicant(a: &ApplicantSession, named: Option<&Applicant>) -> Result<Applicant, Error> {
    if let Some(n) = named {
        if n.identifier != a.identifier {
            return Err(Error::new(
                crate::ErrorKind::Forbidden,
                "applicant_mismatch",
                "网上申请只能以登录人本人（或登录的企业）的名义提交",
            ));
        }
    }
    let kind = if a.acting_as.is_empty() { "person" } else { "enterprise" };
    Ok(Applicant {
        kind,
        name: a.name.clone(),
        identifier: a.identifier.clone(),
        phone: a.phone.clone(),
    })
}

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
    /// How the result goes back; empty: picked up where it was filed (online: the centre's hall).
    pub delivery: tongban_store::Delivery,
}

/// Files a case on behalf of `by`. Returns the case and whether it was new.
pub async fn file(app: &App, region: &str, f: Filing, by: FiledBy<'_>) -> Result<(CaseRecord, bool), Error> {
    file_at(app, region, f, by, today(), None).await
}

/// `file` on a given day and instant (replaying history); `at` None means now.
pub async fn file_at(
    app: &App,
    region: &str,
    mut f: Filing,
    by: FiledBy<'_>,
    day: NaiveDate,
    at: Option<String>,
) -> Result<(CaseRecord, bool), Error> {
    if !CHANNELS.contains(&f.channel.as_str()) {
        return Err(Error::unprocessable(
            "invalid_channel",
            format!("受理渠道“{}”应为online、window、town、village或partner", f.channel),
        ));
    }
    let (filed_by, role) = match (by, f.channel.as_str()) {
        (FiledBy::Staff(s), _) => {
            crate::policy::require(&s.staff, crate::policy::Capability::FileCases)?;
            (s.staff.username.clone(), s.staff.role.as_str().to_string())
        }
        (FiledBy::Applicant(a), "online") => {
            if a.region_code != region {
                return Err(Error::new(
                    crate::ErrorKind::Forbidden,
                    "applicant_region_mismatch",
                    "登录的地区与申请的地区不一致，请在本地区重新登录",
                ));
            }
            // Who files for an enterprise, checked now: an agent no longer authorised files nothing.
            f.agent = crate::reform::acting_agent(app, a).await?;
            ("applicant".to_string(), "applicant".to_string())
        }
        (_, "online") => {
            return Err(Error::new(
                crate::ErrorKind::Unauthenticated,
                "applicant_login_required",
                "网上申请须先登录（身份证号码或统一社会信用代码、手机验证码）",
            ))
        }
        _ => {
            return Err(Error::unauthorized(
                "窗口、便民服务中心（站）和合作地区的受理须由工作人员登录后办理",
            ))
        }
    };
    let item = current_item(app, region, &f.item_code)
        .await?
        .ok_or_else(|| Error::not_found(format!("事项“{}”", f.item_code)))?;
    if matches!(by, FiledBy::Applicant(_)) {
        // The applicant fills the whole form themselves: it must be complete and well-formed.
        let form = item.guide.application_form();
        let kept = form.validate(&f.form).map_err(form_errors)?;
        f.form = serde_json::Value::Object(kept);
    }
    let delivery = check_delivery(app, region, &item.guide, f.delivery, &f.site_code).await?;
    let by = by.session();
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
        delivery,
    };
    let notice = Notification {
        channel: "sms".into(),
        recipient: f.applicant.phone.clone(),
        body: format!(
            "{}您申请的“{}”已提交，办件编号{}，请等待受理。",
            app.config.sms_signature(),
            item.guide.name,
            tongban_store::CASE_NUMBER
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

/// A form that breaks its definition: 422 `invalid_form`, with each failing field in `details`.
pub fn form_errors(errors: Vec<tongban_core::form::FieldError>) -> Error {
    let first = errors.first().map(|e| e.message.clone()).unwrap_or_default();
    Error::unprocessable("invalid_form", format!("申请表有{}处需要修改：{first}", errors.len()))
        .with_details(serde_json::json!(errors))
}
