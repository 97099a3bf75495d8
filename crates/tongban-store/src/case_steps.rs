//! The case record, what a filing and a transition write, and the steps inside a transaction that the case store
//! and the reform store (容缺 commitments, e-licences, bundles) both take. Both import from here, never from each
//! other.

use crate::db::{int, opt_int, opt_text, text, to_json, Flag, JsonText};
use crate::org::audit;
use crate::{now_text, StoreError};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use tongban_core::audit::{event_hash, EventContent, GENESIS};
use tongban_core::licence::LicenceContent;
use tongban_core::workflow::{Position, Template};

#[derive(Debug, Clone, Serialize)]
pub struct CaseRecord {
    #[serde(skip)]
    pub id: i64,
    pub region_code: String,
    pub number: String,
    pub item_code: String,
    pub item_name: String,
    pub item_version: i64,
    pub department_code: String,
    pub department_name: String,
    #[serde(skip)]
    pub department_id: i64,
    pub workflow_code: String,
    pub applicant_kind: String,
    pub applicant_name: String,
    pub applicant_identifier: String,
    pub applicant_phone: String,
    pub agent: String,
    pub channel: String,
    pub site_code: String,
    pub filed_by: String,
    pub state: String,
    pub position: Position,
    pub version: i64,
    pub promised_days: i64,
    pub legal_days: i64,
    pub accepted_on: Option<String>,
    pub due_date: Option<String>,
    pub legal_due_date: Option<String>,
    pub due_provisional: bool,
    pub suspended_since: Option<String>,
    pub suspended_days: i64,
    pub form: serde_json::Value,
    pub materials: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    pub closed_at: Option<String>,
    pub completed_on: Option<String>,
    /// The bundle application (一件事) this case is a part of.
    #[serde(skip)]
    pub bundle_case_id: Option<i64>,
    /// The e-licence approving it issued.
    pub licence_id: Option<String>,
    /// Accepted under 容缺受理 with a commitment to hand in the missing materials.
    pub tolerance: bool,
    /// How the result goes back to the applicant.
    pub delivery: Delivery,
}

/// How the result of a case goes back to the applicant, chosen at filing and changeable until it is issued.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Delivery {
    /// `window` (pick up at a site), `post` or `electronic` (the e-licence only); empty: not asked (window).
    #[serde(default)]
    pub method: String,
    /// The site to pick up at (window).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub site: String,
    /// Where to post it (post).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub address: String,
    /// Recorded by the clerk at `deliver` (post).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub carrier: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub waybill: String,
}

/// By hand, for the columns read through `crate::db`'s types (see there why not derived).
impl<'r> sqlx::FromRow<'r, AnyRow> for CaseRecord {
    fn from_row(r: &'r AnyRow) -> Result<CaseRecord, sqlx::Error> {
        Ok(CaseRecord {
            id: int(r, "id")?,
            region_code: text(r, "region_code")?,
            number: text(r, "number")?,
            item_code: text(r, "item_code")?,
            item_name: text(r, "item_name")?,
            item_version: int(r, "item_version")?,
            department_code: text(r, "department_code")?,
            department_name: text(r, "department_name")?,
            department_id: int(r, "department_id")?,
            workflow_code: text(r, "workflow_code")?,
            applicant_kind: text(r, "applicant_kind")?,
            applicant_name: text(r, "applicant_name")?,
            applicant_identifier: text(r, "applicant_identifier")?,
            applicant_phone: text(r, "applicant_phone")?,
            agent: text(r, "agent")?,
            channel: text(r, "channel")?,
            site_code: text(r, "site_code")?,
            filed_by: text(r, "filed_by")?,
            state: text(r, "state")?,
            position: r.try_get::<JsonText<_>, _>("position")?.into_inner(),
            version: int(r, "version")?,
            promised_days: int(r, "promised_days")?,
            legal_days: int(r, "legal_days")?,
            accepted_on: opt_text(r, "accepted_on")?,
            due_date: opt_text(r, "due_date")?,
            legal_due_date: opt_text(r, "legal_due_date")?,
            due_provisional: r.try_get::<Flag, _>("due_provisional")?.into(),
            suspended_since: opt_text(r, "suspended_since")?,
            suspended_days: int(r, "suspended_days")?,
            form: r.try_get::<JsonText<_>, _>("form")?.into_inner(),
            materials: r.try_get::<JsonText<_>, _>("materials")?.into_inner(),
            created_at: text(r, "created_at")?,
            updated_at: text(r, "updated_at")?,
            closed_at: opt_text(r, "closed_at")?,
            completed_on: opt_text(r, "completed_on")?,
            bundle_case_id: opt_int(r, "bundle_case_id")?,
            licence_id: opt_text(r, "licence_id")?,
            tolerance: r.try_get::<Flag, _>("tolerance")?.into(),
            delivery: r.try_get::<JsonText<_>, _>("delivery")?.into_inner(),
        })
    }
}

/// A case about to be filed. Its number is assigned inside the transaction.
#[derive(Debug, Clone)]
pub struct NewCase {
    pub region_code: String,
    pub item_code: String,
    pub applicant_kind: String,
    pub applicant_name: String,
    pub applicant_identifier: String,
    pub applicant_phone: String,
    pub agent: String,
    pub channel: String,
    pub site_code: String,
    pub filed_by: String,
    pub filed_by_role: String,
    pub form: serde_json::Value,
    pub materials: Vec<String>,
    pub idempotency_key: Option<String>,
    pub request_hash: String,
    /// Local date of filing (Asia/Shanghai), for the number.
    pub day: chrono::NaiveDate,
    /// When it was filed; None: now.
    pub at: Option<String>,
    /// The department code that decides instead of the item's own department (a delegated power, 赋权).
    pub decided_by: Option<String>,
    pub delivery: Delivery,
}

/// What a transition changes besides the workflow position.
#[derive(Debug, Clone, Default)]
pub struct CaseUpdate {
    pub accepted_on: Option<String>,
    pub due_date: Option<String>,
    pub legal_due_date: Option<String>,
    pub due_provisional: Option<bool>,
    /// Some(None) clears it.
    pub suspended_since: Option<Option<String>>,
    pub suspended_days: Option<i64>,
    /// The materials on file after the action (a resubmission adds the missing ones).
    pub materials: Option<Vec<String>>,
    pub completed_on: Option<String>,
    pub closed: bool,
    /// 容缺受理: the commitment signed at acceptance.
    pub commitment: Option<NewCommitment>,
    /// The e-licence issued by this action, signed.
    pub licence: Option<NewLicence>,
    /// The form as corrected by the applicant (a resubmission).
    pub form: Option<serde_json::Value>,
    /// The delivery as recorded by this action (the waybill at `deliver`).
    pub delivery: Option<Delivery>,
    /// The payment order created by this action (acceptance of an item with a fee).
    pub payment: Option<NewPayment>,
}

/// A payment order to create with a transition.
#[derive(Debug, Clone)]
pub struct NewPayment {
    /// The 20-digit payment code (非税缴款码).
    pub code: String,
    pub amount_fen: i64,
}

#[derive(Debug, Clone)]
pub struct NewEvent {
    pub actor: String,
    pub role: String,
    pub action: String,
    pub comment: String,
    pub attachments: Vec<String>,
    /// When it happened (ISO 8601 UTC); None: now. Set only when replaying history (demo data, imports).
    pub at: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Notification {
    pub channel: String,
    pub recipient: String,
    pub body: String,
}

/// How a filing with an idempotency key went.
pub enum Filed {
    Created(CaseRecord),
    /// The same key and the same request: the case filed the first time.
    Replayed(CaseRecord),
}

pub(crate) const CASE_SELECT: &str = "SELECT c.*, d.code AS department_code, d.name AS department_name FROM cases c \
     JOIN departments d ON d.id = c.department_id";

/// In the notice of a filing, stands for the case number, which only the store knows when it writes the case.
pub const CASE_NUMBER: &str = "{办件编号}";

pub(crate) async fn append_event(
    tx: &mut Transaction<'static, Any>,
    region: &str,
    case_id: i64,
    number: &str,
    from_state: &str,
    to_state: &str,
    e: &NewEvent,
) -> Result<(), StoreError> {
    let last = sqlx::query("SELECT seq, hash FROM case_events WHERE case_id = $1 ORDER BY seq DESC LIMIT 1")
        .bind(case_id)
        .fetch_optional(&mut **tx)
        .await?;
    let (seq, prev_hash) = match last {
        Some(r) => (int(&r, "seq")? + 1, text(&r, "hash")?),
        None => (1, GENESIS.to_string()),
    };
    let content = EventContent {
        case_number: number.to_string(),
        seq,
        actor: e.actor.clone(),
        role: e.role.clone(),
        action: e.action.clone(),
        from_state: from_state.to_string(),
        to_state: to_state.to_string(),
        at: e.at.clone().unwrap_or_else(now_text),
        comment: e.comment.clone(),
        attachments: e.attachments.clone(),
    };
    let hash = event_hash(&prev_hash, &content);
    sqlx::query(
        "INSERT INTO case_events (region_code, case_id, seq, actor, role, action, from_state, to_state, at, comment, \
         attachments, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(region)
    .bind(case_id)
    .bind(seq)
    .bind(&content.actor)
    .bind(&content.role)
    .bind(&content.action)
    .bind(&content.from_state)
    .bind(&content.to_state)
    .bind(&content.at)
    .bind(&content.comment)
    .bind(to_json(&content.attachments)?)
    .bind(&prev_hash)
    .bind(&hash)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE cases SET event_head = $1 WHERE id = $2")
        .bind(&hash)
        .bind(case_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub(crate) async fn queue(
    tx: &mut Transaction<'static, Any>,
    region: &str,
    case_id: i64,
    n: &Notification,
) -> Result<(), StoreError> {
    let now = now_text();
    sqlx::query(
        "INSERT INTO outbox (region_code, case_id, channel, recipient, body, created_at, next_attempt_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(region)
    .bind(case_id)
    .bind(&n.channel)
    .bind(&n.recipient)
    .bind(&n.body)
    .bind(&now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Inserts a case with its number, first event and notice inside the caller's transaction; a bundle files several.
pub(crate) async fn insert_case(
    tx: &mut Transaction<'static, Any>,
    new: &NewCase,
    item: &crate::ItemRecord,
    template: &Template,
    notify: Option<&Notification>,
    bundle_case_id: Option<i64>,
) -> Result<CaseRecord, StoreError> {
    let day = new.day.format("%Y%m%d").to_string();
    let seq_row = sqlx::query(
        "INSERT INTO case_sequences (region_code, day, last) VALUES ($1, $2, 1) \
             ON CONFLICT (region_code, day) DO UPDATE SET last = case_sequences.last + 1 RETURNING last",
    )
    .bind(&new.region_code)
    .bind(&day)
    .fetch_one(&mut **tx)
    .await?;
    let number = format!("{}-{day}-{:06}", new.region_code, int(&seq_row, "last")?);
    let (department_id, department_code, department_name) = match &new.decided_by {
        None => (
            item.department_id,
            item.department_code.clone(),
            item.department_name.clone(),
        ),
        Some(code) => {
            let row = sqlx::query("SELECT id, name FROM departments WHERE region_code = $1 AND code = $2")
                .bind(&new.region_code)
                .bind(code)
                .fetch_optional(&mut **tx)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("承接赋权的部门“{code}”")))?;
            (int(&row, "id")?, code.clone(), text(&row, "name")?)
        }
    };
    // The applicant is recorded once per region (by ID number or credit code), for the enterprise and person
    // pages and for credit records; the case keeps its own copy as filed.
    sqlx::query(
            "INSERT INTO applicants (region_code, kind, name, identifier, phone, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (region_code, kind, identifier) DO UPDATE SET name = excluded.name, phone = excluded.phone",
        )
        .bind(&new.region_code)
        .bind(&new.applicant_kind)
        .bind(&new.applicant_name)
        .bind(&new.applicant_identifier)
        .bind(&new.applicant_phone)
        .bind(now_text())
        .execute(&mut **tx)
        .await?;
    let start = template.start();
    let now = new.at.clone().unwrap_or_else(now_text);
    let inserted = sqlx::query(
            "INSERT INTO cases (region_code, number, item_id, item_code, item_name, item_version, department_id, \
             workflow_code, applicant_kind, applicant_name, applicant_identifier, applicant_phone, agent, channel, \
             site_code, filed_by, state, position, version, promised_days, legal_days, form, materials, \
             idempotency_key, request_hash, created_at, updated_at, bundle_case_id, delivery) VALUES ($1, $2, $3, $4, $5, \
             $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, 1, $19, $20, $21, $22, $23, $24, $25, $25, $26, \
             $27) RETURNING id",
        )
        .bind(&new.region_code)
        .bind(&number)
        .bind(item.id)
        .bind(&item.code)
        .bind(&item.guide.name)
        .bind(item.version)
        .bind(department_id)
        .bind(&template.code)
        .bind(&new.applicant_kind)
        .bind(&new.applicant_name)
        .bind(&new.applicant_identifier)
        .bind(&new.applicant_phone)
        .bind(&new.agent)
        .bind(&new.channel)
        .bind(&new.site_code)
        .bind(&new.filed_by)
        .bind(&start.state)
        .bind(to_json(&start)?)
        .bind(i64::from(item.guide.promised_limit_days))
        .bind(i64::from(item.guide.legal_limit_days))
        .bind(to_json(&new.form)?)
        .bind(to_json(&new.materials)?)
        .bind(new.idempotency_key.clone())
        .bind(&new.request_hash)
        .bind(&now)
        .bind(bundle_case_id)
        .bind(to_json(&new.delivery)?)
        .fetch_one(&mut **tx)
        .await;
    let case_id = int(&inserted?, "id")?;
    let event = NewEvent {
        actor: new.filed_by.clone(),
        role: new.filed_by_role.clone(),
        action: "submit".into(),
        comment: String::new(),
        attachments: new.materials.clone(),
        at: Some(now.clone()),
    };
    append_event(tx, &new.region_code, case_id, &number, "", &start.state, &event).await?;
    if let Some(n) = notify {
        let told = Notification {
            body: n.body.replace(CASE_NUMBER, &number),
            ..n.clone()
        };
        queue(tx, &new.region_code, case_id, &told).await?;
    }
    // The record as written, without reading it back.
    Ok(CaseRecord {
        id: case_id,
        region_code: new.region_code.clone(),
        number,
        item_code: item.code.clone(),
        item_name: item.guide.name.clone(),
        item_version: item.version,
        department_code,
        department_name,
        department_id,
        workflow_code: template.code.clone(),
        applicant_kind: new.applicant_kind.clone(),
        applicant_name: new.applicant_name.clone(),
        applicant_identifier: new.applicant_identifier.clone(),
        applicant_phone: new.applicant_phone.clone(),
        agent: new.agent.clone(),
        channel: new.channel.clone(),
        site_code: new.site_code.clone(),
        filed_by: new.filed_by.clone(),
        state: start.state.clone(),
        position: start,
        version: 1,
        promised_days: i64::from(item.guide.promised_limit_days),
        legal_days: i64::from(item.guide.legal_limit_days),
        accepted_on: None,
        due_date: None,
        legal_due_date: None,
        due_provisional: false,
        suspended_since: None,
        suspended_days: 0,
        form: new.form.clone(),
        materials: new.materials.clone(),
        created_at: now.clone(),
        updated_at: now,
        closed_at: None,
        completed_on: None,
        bundle_case_id,
        licence_id: None,
        tolerance: false,
        delivery: new.delivery.clone(),
    })
}

#[derive(Debug, Clone)]
pub struct NewCommitment {
    pub materials: Vec<String>,
    pub due_date: String,
}

pub(crate) async fn insert_commitment(
    tx: &mut Transaction<'static, Any>,
    case: &CaseRecord,
    c: &NewCommitment,
    actor: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO commitments (region_code, case_id, applicant_kind, applicant_identifier, materials, due_date, \
         state, signed_at) VALUES ($1, $2, $3, $4, $5, $6, 'open', $7)",
    )
    .bind(&case.region_code)
    .bind(case.id)
    .bind(&case.applicant_kind)
    .bind(&case.applicant_identifier)
    .bind(to_json(&c.materials)?)
    .bind(&c.due_date)
    .bind(now_text())
    .execute(&mut **tx)
    .await?;
    audit(
        tx,
        &case.region_code,
        actor,
        "commitment.sign",
        &case.number,
        &format!("{}，{}前补齐", c.materials.join("、"), c.due_date),
    )
    .await
}

#[derive(Debug, Clone)]
pub struct NewLicence {
    pub content: LicenceContent,
    pub signature: String,
}

pub(crate) async fn insert_licence(
    tx: &mut Transaction<'static, Any>,
    region: &str,
    l: &NewLicence,
    actor: &str,
) -> Result<(), StoreError> {
    let c = &l.content;
    sqlx::query(
        "INSERT INTO licences (region_code, licence_id, number, type_name, type_code, holder, holder_code, issuer, \
         issuer_code, issued_on, valid_until, case_number, fields, signature) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(region)
    .bind(&c.licence_id)
    .bind(&c.number)
    .bind(&c.type_name)
    .bind(&c.type_code)
    .bind(&c.holder)
    .bind(&c.holder_code)
    .bind(&c.issuer)
    .bind(&c.issuer_code)
    .bind(&c.issued_on)
    .bind(c.valid_until.clone())
    .bind(&c.case_number)
    .bind(to_json(&c.fields)?)
    .bind(&l.signature)
    .execute(&mut **tx)
    .await?;
    audit(tx, region, actor, "licence.issue", &c.licence_id, &c.case_number).await
}
