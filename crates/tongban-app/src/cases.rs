//! Case use cases: filing, acting on a case under the workflow template, deadlines on the working-day calendar,
//! and what the supervisor sees. Shared by the API, the pages and the command line.

pub use crate::time::today;
use crate::time::{parse_day, ymd};
use crate::App;
use crate::{Error, ErrorKind};
use chrono::{NaiveDate, Utc};
use serde::Serialize;
use tongban_core::calendar::Calendar;
use tongban_core::deadline;
use tongban_core::ids::{mask_middle, CreditCode, Phone, ResidentId};
use tongban_core::role::Role;
use tongban_core::workflow::{default_template, Actor, Clock, Template, WorkflowError};
use tongban_store::{CaseRecord, CaseUpdate, Filed, NewCase, NewEvent, Notification, Session, StoreError};

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

/// Forgets a cached template after it was saved.
pub fn forget_template(app: &App, region: &str, code: &str) {
    if let Ok(mut m) = app.templates.write() {
        m.remove(&format!("{region}|{code}"));
    }
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
            if !matches!(s.staff.role, Role::Clerk | Role::Admin) {
                return Err(Error::forbidden(format!("“{}”不能代为申请办件", s.staff.role.label())));
            }
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
        body: format!("【云溪区政务服务】您申请的“{}”已提交，请等待受理。", item.guide.name),
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

/// Whether the staff member may see (and so act on) the case: region always, department for department staff.
pub fn in_scope(s: &Session, c: &CaseRecord) -> bool {
    s.staff.region_code == c.region_code
        && (!s.staff.role.is_department_bound() || s.staff.department_id == Some(c.department_id))
}

pub async fn load(app: &App, s: &Session, number: &str) -> Result<CaseRecord, Error> {
    match app.store.case_by_number(&s.staff.region_code, number).await? {
        Some(c) if in_scope(s, &c) => Ok(c),
        // Another department's case does not exist for this reader.
        _ => Err(Error::not_found(format!("办件“{number}”"))),
    }
}

/// What an action carries besides its comment.
#[derive(Debug, Clone, Default)]
pub struct ActOptions {
    /// Materials handed in with this step (accept, resubmit).
    pub handed_in: Vec<String>,
    /// 容缺受理: accept with the "may be missing" materials absent, on the applicant's signed commitment.
    pub tolerance: bool,
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
    let mut case = load(app, s, number).await?;
    let mut materials = case.materials.clone();
    for m in opts.handed_in.iter().map(|m| m.trim()).filter(|m| !m.is_empty()) {
        if !materials.iter().any(|h| h == m) {
            materials.push(m.to_string());
        }
    }
    let tpl = template(app, &case.region_code, &case.workflow_code).await?;
    let actor = Actor::Staff(s.staff.role);
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
    if action == "accept" {
        let item = guide_version(app, &case.region_code, &case.item_code, case.item_version).await?;
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
    }
    if action == "approve" {
        licence = crate::reform::licence_for(app, &case, today).await?;
    }
    let cal = app.calendar();
    let mut update = CaseUpdate {
        materials: added.then_some(materials),
        commitment,
        licence,
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
        "【云溪区政务服务】您的办件{}（{}）已{}，当前状态：{}。",
        case.number, case.item_name, action_label, state_label
    );
    if let Some(b) = case.bundle_case_id {
        if action == "deny" {
            let name = app
                .store
                .bundle_case_by_id(b)
                .await?
                .map(|b| b.bundle_name)
                .unwrap_or_default();
            body = format!(
                "【云溪区政务服务】您申请的“{name}”中“{}”未获批准，原因：{}。其余事项继续办理。",
                case.item_name,
                comment.trim()
            );
        }
    }
    if update.completed_on.is_some() {
        body.push_str(&format!(
            "欢迎评价：/rate/{}?t={}",
            case.number,
            crate::reform::rating_token(app, &case.number)
        ));
    }
    let notice = Notification {
        channel: "sms".into(),
        recipient: case.applicant_phone.clone(),
        body,
    };
    let event = NewEvent {
        actor: s.staff.username.clone(),
        role: s.staff.role.as_str().to_string(),
        action: action.to_string(),
        comment: comment.trim().to_string(),
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
    let warning = if remaining < 0 {
        "red"
    } else if remaining <= WARN_DAYS {
        "yellow"
    } else {
        "none"
    };
    Timing {
        remaining_working_days: Some(remaining),
        warning: warning.into(),
    }
}

/// Masks the applicant's identifier and phone for lists and for readers who do not handle the case.
pub fn masked_identifier(kind: &str, id: &str) -> String {
    if kind == "person" {
        mask_middle(id, 6, 4)
    } else {
        id.to_string()
    }
}

pub fn masked_phone(p: &str) -> String {
    mask_middle(p, 3, 4)
}

/// A deadline that moved when a year's holiday notice was loaded.
#[derive(Debug, Clone, Serialize)]
pub struct MovedDeadline {
    pub number: String,
    pub department: String,
    pub old_due: String,
    pub new_due: String,
}

/// Loads a year's notice into the database and recomputes the open provisional deadlines on the new calendar.
/// Each move is an event in the case's history, and the handling department is told through the outbox.
pub async fn import_notice(
    store: &tongban_store::Store,
    notice: &tongban_core::calendar::YearNotice,
    definition: &str,
    actor: &str,
) -> Result<Vec<MovedDeadline>, Error> {
    store
        .save_calendar_notice(notice.year, &notice.source, definition, actor)
        .await?;
    let mut cal = Calendar::official();
    for d in store.calendar_notices().await? {
        if let Ok(n) = tongban_core::calendar::YearNotice::parse_toml(&d) {
            cal.load_notice(n);
        }
    }
    let mut moved = Vec::new();
    for case in store.provisional_cases().await? {
        let Some(accepted) = case.accepted_on.as_deref().and_then(parse_day) else {
            continue;
        };
        let counted = (case.promised_days + case.suspended_days).max(0) as u32;
        let legal_counted = (case.legal_days + case.suspended_days).max(0) as u32;
        let due = cal.add_working_days(accepted, counted);
        let legal = cal.add_working_days(accepted, legal_counted);
        let new_due = ymd(due.date);
        let old_due = case.due_date.clone().unwrap_or_default();
        let update = CaseUpdate {
            due_date: Some(new_due.clone()),
            legal_due_date: Some(ymd(legal.date)),
            due_provisional: Some(due.provisional || legal.provisional),
            ..Default::default()
        };
        let comment = format!(
            "载入{}年放假安排（{}），承诺期限由{}调整为{}",
            notice.year, notice.source, old_due, new_due
        );
        let event = NewEvent {
            actor: actor.to_string(),
            role: "system".into(),
            action: "recompute_deadline".into(),
            comment: comment.clone(),
            attachments: vec![],
            at: None,
        };
        let tell = Notification {
            channel: "staff".into(),
            recipient: case.department_code.clone(),
            body: format!("办件{}：{}", case.number, comment),
        };
        let notify = (old_due != new_due).then_some(&tell);
        store
            .apply_transition(&case, &case.position, &update, &event, notify)
            .await?;
        if old_due != new_due {
            moved.push(MovedDeadline {
                number: case.number.clone(),
                department: case.department_name.clone(),
                old_due,
                new_due,
            });
        }
    }
    Ok(moved)
}

/// Where notifications go. The default writes to the log (with the recipient masked); an SMS or e-mail gateway
/// implements the same trait.
pub trait NotificationSink: Send + Sync {
    fn deliver(&self, n: &Notification) -> Result<(), String>;
}

pub struct LogSink;

impl NotificationSink for LogSink {
    fn deliver(&self, n: &Notification) -> Result<(), String> {
        let to = if n.channel == "sms" {
            masked_phone(&n.recipient)
        } else {
            n.recipient.clone()
        };
        tracing::info!(channel = %n.channel, to = %to, body = %n.body, "notification delivered");
        Ok(())
    }
}

/// One pass of the outbox worker: delivers what is due; a failure is retried later with a growing delay, so
/// nothing is lost. Returns (delivered, failed).
pub async fn deliver_notifications(
    store: &tongban_store::Store,
    sink: &dyn NotificationSink,
    now: chrono::DateTime<Utc>,
) -> Result<(usize, usize), Error> {
    let now_text = now.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let mut ok = 0;
    let mut failed = 0;
    for (id, n, attempts) in store.due_notifications(&now_text, 100).await? {
        match sink.deliver(&n) {
            Ok(()) => {
                store.notification_delivered(id).await?;
                ok += 1;
            }
            Err(e) => {
                let delay = chrono::Duration::minutes(1i64 << attempts.clamp(0, 10));
                let next = (now + delay).format("%Y-%m-%dT%H:%M:%SZ").to_string();
                store.notification_failed(id, &e, &next).await?;
                failed += 1;
            }
        }
    }
    Ok((ok, failed))
}

/// Figures of electronic supervision (电子监察) for one group of cases (a department, an item, or all).
///
/// - `on_time_rate` = cases completed on or before their promised deadline ÷ cases completed;
/// - `avg_used_days` = mean of working days from acceptance to completion, less suspended working days;
/// - `avg_promised_days` / `avg_legal_days` = mean promised / legal limit of the same completed cases, so that used
///   time can be read against both (the report's "promised limits 60.2% shorter than legal" is
///   1 − avg_promised_days ÷ avg_legal_days over all items).
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Figures {
    pub key: String,
    pub name: String,
    pub accepted: i64,
    pub completed: i64,
    pub on_time: i64,
    pub on_time_rate: Option<f64>,
    pub open: i64,
    pub overdue: i64,
    pub warned: i64,
    pub avg_used_days: Option<f64>,
    pub avg_promised_days: Option<f64>,
    pub avg_legal_days: Option<f64>,
    #[serde(skip)]
    used_sum: i64,
    #[serde(skip)]
    promised_sum: i64,
    #[serde(skip)]
    legal_sum: i64,
}

impl Figures {
    fn add(&mut self, c: &CaseRecord, cal: &Calendar, today: NaiveDate) {
        self.accepted += 1;
        let due = c.due_date.as_deref().and_then(parse_day);
        match c.completed_on.as_deref().and_then(parse_day) {
            Some(done) => {
                self.completed += 1;
                if due.is_none_or(|d| done <= d) {
                    self.on_time += 1;
                }
                if let Some(acc) = c.accepted_on.as_deref().and_then(parse_day) {
                    self.used_sum += (cal.working_days_between(acc, done) - c.suspended_days).max(0);
                }
                self.promised_sum += c.promised_days;
                self.legal_sum += c.legal_days;
            }
            None if c.closed_at.is_none() => {
                self.open += 1;
                if c.suspended_since.is_none() {
                    if let Some(d) = due {
                        let left = cal.working_days_between(today, d);
                        if left < 0 {
                            self.overdue += 1;
                        } else if left <= WARN_DAYS {
                            self.warned += 1;
                        }
                    }
                }
            }
            None => {}
        }
    }

    fn finish(mut self) -> Figures {
        let avg = |sum: i64, n: i64| (n > 0).then(|| (sum as f64 / n as f64 * 10.0).round() / 10.0);
        self.on_time_rate =
            (self.completed > 0).then(|| (self.on_time as f64 / self.completed as f64 * 1000.0).round() / 10.0);
        self.avg_used_days = avg(self.used_sum, self.completed);
        self.avg_promised_days = avg(self.promised_sum, self.completed);
        self.avg_legal_days = avg(self.legal_sum, self.completed);
        self
    }
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Supervision {
    pub from: String,
    pub to: String,
    pub total: Figures,
    pub by_department: Vec<Figures>,
    pub by_item: Vec<Figures>,
    pub by_site: Vec<Figures>,
}

/// Supervision figures over the cases accepted in [from, to], optionally of one department.
pub async fn supervision(
    app: &App,
    region: &str,
    from: NaiveDate,
    to: NaiveDate,
    department_id: Option<i64>,
) -> Result<Supervision, Error> {
    let cases = app.store.accepted_between(region, &ymd(from), &ymd(to)).await?;
    let cal = app.calendar();
    let today = today();
    let mut total = Figures {
        key: "all".into(),
        name: "全部".into(),
        ..Default::default()
    };
    let mut by_department: Vec<Figures> = Vec::new();
    let mut by_item: Vec<Figures> = Vec::new();
    let mut by_site: Vec<Figures> = Vec::new();
    fn group<'a>(list: &'a mut Vec<Figures>, key: &str, name: &str) -> &'a mut Figures {
        match list.iter().position(|f| f.key == key) {
            Some(i) => &mut list[i],
            None => {
                list.push(Figures {
                    key: key.to_string(),
                    name: name.to_string(),
                    ..Default::default()
                });
                let last = list.len() - 1;
                &mut list[last]
            }
        }
    }
    for c in cases
        .iter()
        .filter(|c| department_id.is_none_or(|d| d == c.department_id))
    {
        total.add(c, &cal, today);
        group(&mut by_department, &c.department_code, &c.department_name).add(c, &cal, today);
        group(&mut by_item, &c.item_code, &c.item_name).add(c, &cal, today);
        let site = if c.site_code.is_empty() {
            format!("{}（网上）", c.channel)
        } else {
            c.site_code.clone()
        };
        group(&mut by_site, &site, &site).add(c, &cal, today);
    }
    let finish = |v: Vec<Figures>| {
        let mut v: Vec<Figures> = v.into_iter().map(Figures::finish).collect();
        v.sort_by_key(|f| std::cmp::Reverse((f.overdue, f.warned, f.accepted)));
        v
    };
    Ok(Supervision {
        from: ymd(from),
        to: ymd(to),
        total: total.finish(),
        by_department: finish(by_department),
        by_item: finish(by_item),
        by_site: finish(by_site),
    })
}

/// The kind of file from its first bytes, never from its name: PDF, JPEG, PNG, or OFD (the national layout
/// format: a ZIP container with an OFD.xml entry).
pub fn sniff_file(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else if bytes.starts_with(b"PK\x03\x04") && bytes.windows(7).any(|w| w == b"OFD.xml") {
        Some("application/ofd")
    } else {
        None
    }
}

/// A file kept under the data directory by its content hash.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub sha256: String,
    pub content_type: &'static str,
    pub size: i64,
}

/// Checks an uploaded file without keeping it: not empty (422 `empty_file`), not larger than
/// `max_upload_bytes` (413 `file_too_large`), and by its content a PDF, JPG, PNG or OFD (422
/// `unsupported_file_type`). Returns the content type.
pub fn check_file(app: &App, bytes: &[u8]) -> Result<&'static str, Error> {
    if bytes.is_empty() {
        return Err(Error::unprocessable("empty_file", "文件为空"));
    }
    if bytes.len() > app.config.max_upload_bytes {
        return Err(too_large(app));
    }
    sniff_file(bytes).ok_or_else(|| {
        Error::unprocessable(
            "unsupported_file_type",
            "文件内容不是PDF、JPG、PNG或OFD（按文件内容判断，与文件名无关）",
        )
    })
}

/// 413 `file_too_large`, naming the limit.
pub fn too_large(app: &App) -> Error {
    Error::new(
        ErrorKind::TooLarge,
        "file_too_large",
        format!("文件不能超过{}MB", app.config.max_upload_bytes / 1024 / 1024),
    )
}

/// Where a stored file's bytes are: `<data dir>/files/<first two hex digits>/<sha256>`.
pub fn file_path(app: &App, sha256: &str) -> std::path::PathBuf {
    let prefix = sha256.get(..2).unwrap_or("00");
    app.config.data_dir.join("files").join(prefix).join(sha256)
}

/// Checks a file (`check_file`) and keeps it under the data directory by its SHA-256; the same content is kept
/// once. Shared by case materials and hotline attachments.
pub async fn store_file(app: &App, bytes: &[u8]) -> Result<StoredFile, Error> {
    use sha2::{Digest, Sha256};
    let content_type = check_file(app, bytes)?;
    let sha = hex::encode(Sha256::digest(bytes));
    let path = file_path(app, &sha);
    if !path.exists() {
        let dir = path
            .parent()
            .map(std::path::Path::to_path_buf)
            .unwrap_or_else(|| app.config.data_dir.join("files"));
        let tmp = dir.join(format!("{sha}.part"));
        let data = bytes.to_vec();
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            std::fs::create_dir_all(&dir)?;
            std::fs::write(&tmp, &data)?;
            std::fs::rename(&tmp, &path)
        })
        .await
        .map_err(Error::internal)?
        .map_err(Error::internal)?;
    }
    Ok(StoredFile {
        sha256: sha,
        content_type,
        size: bytes.len() as i64,
    })
}

/// Stores a material's file under the data directory by content hash and records it with the case.
pub async fn attach(app: &App, s: &Session, number: &str, material: &str, bytes: &[u8]) -> Result<CaseRecord, Error> {
    if !s.staff.role.handles_cases() || s.staff.role == Role::Supervisor {
        return Err(Error::forbidden(format!("“{}”不能上传办件材料", s.staff.role.label())));
    }
    let case = load(app, s, number).await?;
    if case.closed_at.is_some() {
        return Err(Error::unprocessable("case_closed", "办件已办结，不能再上传材料"));
    }
    let item = guide_version(app, &case.region_code, &case.item_code, case.item_version).await?;
    let known = item
        .as_ref()
        .is_some_and(|i| i.guide.materials.iter().any(|m| m.name == material));
    if !known {
        return Err(Error::unprocessable(
            "unknown_material",
            format!("“{material}”不是本事项办事指南所列的材料"),
        ));
    }
    let stored = store_file(app, bytes).await?;
    let (sha, content_type) = (stored.sha256, stored.content_type);
    let mut materials = case.materials.clone();
    if !materials.iter().any(|m| m == material) {
        materials.push(material.to_string());
    }
    let file = tongban_store::CaseFile {
        material: material.to_string(),
        sha256: sha.clone(),
        size: bytes.len() as i64,
        content_type: content_type.to_string(),
        uploaded_by: s.staff.username.clone(),
        uploaded_at: String::new(),
    };
    let event = NewEvent {
        actor: s.staff.username.clone(),
        role: s.staff.role.as_str().to_string(),
        action: "attach".into(),
        comment: format!("上传材料：{material}"),
        attachments: vec![sha],
        at: None,
    };
    match app.store.attach_file(&case, &file, &event, &materials).await {
        Ok(c) => Ok(c),
        Err(StoreError::Stale { current }) => Err(stale(current)),
        Err(e) => Err(e.into()),
    }
}
