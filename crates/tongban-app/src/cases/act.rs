//! Acting on a case under its workflow template: version, state and role checked, deadlines and notices applied.

use super::*;
use crate::time::{parse_day, ymd};
use crate::App;
use crate::{Error, ErrorKind};
use chrono::NaiveDate;
use tongban_core::deadline;
use tongban_core::workflow::{Actor, Clock, Template, WorkflowError};
use tongban_store::{CaseRecord, CaseUpdate, NewEvent, Notification, Session, StoreError};

/// What an action carries besides its comment.
#[derive(Debug, Clone, Default)]
pub struct ActOptions {
    /// Materials handed in with this step (accept, resubmit).
    pub handed_in: Vec<String>,
    /// 容缺受理: accept with the "may be missing" materials absent, on the applicant's signed commitment.
    pub tolerance: bool,
    /// A one-time correction notice (request_correction): the form fields and the materials to fix, by name.
    pub fix_fields: Vec<String>,
    pub fix_materials: Vec<String>,
    /// The corrected form (the applicant's resubmission), checked against the item's form.
    pub form: Option<serde_json::Value>,
    /// How the result was posted (deliver): carrier and waybill number.
    pub carrier: String,
    pub waybill: String,
}

/// Who takes an action: the workflow actor, and the name and role the history records.
struct Acting {
    actor: Actor,
    name: String,
    role: String,
}

/// Takes an action on a case, checking the version it was based on, the state, the role and the materials.
pub async fn act(
    app: &App,
    s: &Session,
    number: &str,
    action: &str,
    version: i64,
    comment: &str,
    opts: &ActOptions,
) -> Result<CaseRecord, Error> {
    act_at(app, s, number, action, version, comment, opts, today(), None).await
}

/// `act` on a given day and instant (replaying history); `at` None means now.
#[allow(clippy::too_many_arguments)]
pub async fn act_at(
    app: &App,
    s: &Session,
    number: &str,
    action: &str,
    version: i64,
    comment: &str,
    opts: &ActOptions,
    today: NaiveDate,
    at: Option<String>,
) -> Result<CaseRecord, Error> {
    let case = load(app, s, number).await?;
    let acting = Acting {
        actor: Actor::Staff(s.staff.role),
        name: s.staff.username.clone(),
        role: s.staff.role.as_str().to_string(),
    };
    transition(app, case, &acting, action, version, comment, opts, today, at).await
}

/// The applicant acts on their own case, online — the workflow template says which actions are theirs (today:
/// resubmitting after a correction notice, with the corrected form and materials).
pub async fn act_as_applicant(
    app: &App,
    a: &tongban_store::ApplicantSession,
    number: &str,
    action: &str,
    version: i64,
    opts: &ActOptions,
) -> Result<CaseRecord, Error> {
    let case = own_case(app, a, number).await?;
    let acting = Acting {
        actor: Actor::Applicant,
        name: "applicant".into(),
        role: "applicant".into(),
    };
    transition(app, case, &acting, action, version, "", opts, today(), None).await
}

#[allow(clippy::too_many_arguments)]
async fn transition(
    app: &App,
    mut case: CaseRecord,
    acting: &Acting,
    action: &str,
    version: i64,
    comment: &str,
    opts: &ActOptions,
    today: NaiveDate,
    at: Option<String>,
) -> Result<CaseRecord, Error> {
    let mut materials = case.materials.clone();
    for m in opts.handed_in.iter().map(|m| m.trim()).filter(|m| !m.is_empty()) {
        if !materials.iter().any(|h| h == m) {
            materials.push(m.to_string());
        }
    }
    let tpl = template(app, &case.region_code, &case.workflow_code).await?;
    let actor = acting.actor;
    if version != case.version {
        return Err(stale(case.version));
    }
    let next = tpl
        .apply(&case.position, action, actor, comment)
        .map_err(|e| workflow_error(&tpl, &case, actor, e))?;
    let added = materials.len() > case.materials.len();
    if added && !matches!(action, "accept" | "resubmit") {
        return Err(Error::unprocessable(
            "materials_not_expected",
            "只有受理或补正时可以补交材料",
        ));
    }
    case.materials = materials.clone();
    if opts.tolerance && action != "accept" {
        return Err(Error::unprocessable(
            "tolerance_not_applicable",
            "容缺受理只适用于受理（accept）",
        ));
    }
    let mut commitment = None;
    let mut licence = None;
    let mut payment = None;
    let mut comment = comment.trim().to_string();
    let item = guide_version(app, &case.region_code, &case.item_code, case.item_version).await?;
    if action == "request_correction" {
        comment = correction_notice(item.as_ref().map(|i| &i.guide), &comment, opts)?;
    } else if !opts.fix_fields.is_empty() || !opts.fix_materials.is_empty() {
        return Err(Error::unprocessable(
            "corrections_not_expected",
            "只有一次性告知补正（request_correction）可以列出需补正的字段和材料",
        ));
    }
    let form = match &opts.form {
        None => None,
        Some(_) if action != "resubmit" => {
            return Err(Error::unprocessable(
                "form_not_expected",
                "只有补正后重新提交（resubmit）可以修改申请表",
            ))
        }
        Some(answers) => {
            let definition = item
                .as_ref()
                .map(|i| i.guide.application_form())
                .ok_or_else(|| Error::not_found(format!("事项“{}”", case.item_code)))?;
            Some(serde_json::Value::Object(
                definition.validate(answers).map_err(form_errors)?,
            ))
        }
    };
    let delivery = if action == "deliver" && case.delivery.method == "post" {
        let (carrier, waybill) = (opts.carrier.trim(), opts.waybill.trim());
        if carrier.is_empty() || waybill.is_empty() || carrier.chars().count() > 50 || waybill.len() > 40 {
            return Err(Error::unprocessable(
                "missing_waybill",
                "邮寄送达须填写快递公司（carrier）和运单号（waybill，不超过40个字符）",
            ));
        }
        Some(tongban_store::Delivery {
            carrier: carrier.to_string(),
            waybill: waybill.to_string(),
            ..case.delivery.clone()
        })
    } else {
        None
    };
    if action == "accept" {
        if let Some(item) = item.as_ref().filter(|i| i.guide.fee_fen > 0) {
            payment = Some(tongban_store::NewPayment {
                code: crate::cases::payment_code(&case.region_code, &case.number),
                amount_fen: item.guide.fee_fen,
            });
        }
    }
    if action == "accept" {
        if let Some(item) = item {
            let missing: Vec<&str> = item
                .guide
                .materials
                .iter()
                .filter(|m| m.required && !case.materials.iter().any(|h| h == &m.name))
                .map(|m| m.name.as_str())
                .collect();
            if opts.tolerance {
                commitment = Some(crate::reform::tolerance_commitment(app, &case, &item.guide, &missing, today).await?);
            } else if !missing.is_empty() {
                return Err(Error::unprocessable(
                    "missing_materials",
                    format!(
                        "缺少必要材料：{}。请出具一次性告知书（request_correction）",
                        missing.join("、")
                    ),
                ));
            }
        }
    }
    if action == "issue" {
        crate::reform::check_supplements_in(app, &case).await?;
        crate::cases::check_paid(app, &case).await?;
    }
    if action == "approve" {
        licence = crate::reform::licence_for(app, &case, today).await?;
    }
    let cal = app.calendar();
    let mut update = CaseUpdate {
        materials: added.then_some(materials),
        commitment,
        licence,
        form,
        delivery,
        payment,
        ..Default::default()
    };
    let to_clock = tpl.state(&next.state).map(|st| st.clock);
    if action == "accept" {
        let d = deadline::on_accept(
            &cal,
            today,
            case.promised_days.max(0) as u32,
            case.legal_days.max(0) as u32,
        );
        update.accepted_on = Some(ymd(today));
        update.due_date = Some(ymd(d.due.date));
        update.legal_due_date = Some(ymd(d.legal.date));
        update.due_provisional = Some(d.due.provisional || d.legal.provisional);
    }
    if to_clock == Some(Clock::Stopped) {
        update.suspended_since = Some(Some(ymd(today)));
    } else if let Some(since) = case.suspended_since.as_deref().and_then(parse_day) {
        // Leaving a suspension: its working days do not count, so both deadlines move by them.
        let stopped = deadline::stopped_days(&cal, since, today);
        let moved = |d: &Option<String>| {
            d.as_deref()
                .and_then(parse_day)
                .map(|d| deadline::after_suspension(&cal, d, stopped))
        };
        if let Some(d) = moved(&case.due_date) {
            update.due_date = Some(ymd(d.date));
            update.due_provisional = Some(d.provisional || case.due_provisional);
        }
        if let Some(d) = moved(&case.legal_due_date) {
            update.legal_due_date = Some(ymd(d.date));
        }
        update.suspended_since = Some(None);
        update.suspended_days = Some(case.suspended_days + i64::from(stopped));
    }
    update.closed = tpl.actions.iter().all(|a| !a.from.contains(&next.state));
    if case.completed_on.is_none() && case.accepted_on.is_some() && (next.state == "issued" || update.closed) {
        update.completed_on = Some(ymd(today));
    }
    let state_label = tpl
        .state(&next.state)
        .map(|st| st.label.clone())
        .unwrap_or_else(|| next.state.clone());
    let action_label = tpl
        .action(action)
        .map(|a| a.label.clone())
        .unwrap_or_else(|| action.to_string());
    let mut body = format!(
        "{}您的办件{}（{}）已{}，当前状态：{}。",
        app.config.sms_signature(),
        case.number,
        case.item_name,
        action_label,
        state_label
    );
    if action == "request_correction" {
        body.push_str(&format!("{comment}。请登录“我的办件”在线补正后重新提交。"));
    }
    if let Some(p) = &update.payment {
        body.push_str(&format!(
            "请缴纳费用{}，缴款码{}。",
            tongban_core::catalog::yuan(p.amount_fen),
            p.code
        ));
    }
    if let Some(d) = &update.delivery {
        body.push_str(&format!("已由{}寄出，运单号{}。", d.carrier, d.waybill));
    }
    if let Some(b) = case.bundle_case_id {
        if action == "deny" {
            let name = app
                .store
                .bundle_case_by_id(b)
                .await?
                .map(|b| b.bundle_name)
                .unwrap_or_default();
            body = format!(
                "{}您申请的“{name}”中“{}”未获批准，原因：{}。其余事项继续办理。",
                app.config.sms_signature(),
                case.item_name,
                comment.trim()
            );
        }
    }
    if update.completed_on.is_some() {
        body.push_str(&format!(
            "欢迎评价：{}",
            app.config.link(&format!(
                "/rate/{}?t={}",
                case.number,
                crate::reform::rating_token(app, &case.number)
            ))
        ));
    }
    let notice = Notification {
        channel: "sms".into(),
        recipient: case.applicant_phone.clone(),
        body,
    };
    let event = NewEvent {
        actor: acting.name.clone(),
        role: acting.role.clone(),
        action: action.to_string(),
        comment,
        attachments: vec![],
        at,
    };
    match app
        .store
        .apply_transition(&case, &next, &update, &event, Some(&notice))
        .await
    {
        Ok(c) => Ok(c),
        Err(StoreError::Stale { current }) => Err(stale(current)),
        Err(e) => Err(e.into()),
    }
}

pub fn stale(current: i64) -> Error {
    Error::new(
        ErrorKind::Conflict,
        "stale_version",
        format!("办件已被他人更新（当前版本{current}），请刷新后重试"),
    )
    .with_details(serde_json::json!({"current_version": current}))
}

/// The text of a one-time correction notice (一次性告知): the clerk's words and each field and material to fix,
/// by its name in the form and the guide; a name that is in neither is refused.
fn correction_notice(
    guide: Option<&tongban_core::catalog::Guide>,
    comment: &str,
    opts: &ActOptions,
) -> Result<String, Error> {
    let form = guide.map(|g| g.application_form());
    let mut fields = Vec::new();
    for f in opts.fix_fields.iter().map(|f| f.trim()).filter(|f| !f.is_empty()) {
        let label = form
            .as_ref()
            .and_then(|d| d.fields.iter().find(|x| x.name == f || x.label == f))
            .map(|x| x.label.clone())
            .ok_or_else(|| Error::unprocessable("unknown_field", format!("申请表中没有“{f}”这一项")))?;
        fields.push(label);
    }
    let mut materials = Vec::new();
    for m in opts.fix_materials.iter().map(|m| m.trim()).filter(|m| !m.is_empty()) {
        if !guide.is_some_and(|g| g.materials.iter().any(|x| x.name == m)) {
            return Err(Error::unprocessable(
                "unknown_material",
                format!("“{m}”不是本事项办事指南所列的材料"),
            ));
        }
        materials.push(m.to_string());
    }
    let mut text = comment.to_string();
    if !fields.is_empty() {
        text.push_str(&format!("；需补正的填写项：{}", fields.join("、")));
    }
    if !materials.is_empty() {
        text.push_str(&format!("；需补正的材料：{}", materials.join("、")));
    }
    Ok(text.trim_start_matches('；').to_string())
}

fn workflow_error(tpl: &Template, case: &CaseRecord, actor: Actor, e: WorkflowError) -> Error {
    let status = match e {
        WorkflowError::ActorNotAllowed { .. } => ErrorKind::Forbidden,
        WorkflowError::UnknownAction(_) => ErrorKind::Invalid,
        _ => ErrorKind::Invalid,
    };
    let allowed: Vec<String> = tpl
        .allowed_actions(&case.position, actor)
        .iter()
        .map(|a| a.code.clone())
        .collect();
    Error::new(status, e.code(), e.to_string()).with_details(serde_json::json!({ "allowed_actions": allowed }))
}
