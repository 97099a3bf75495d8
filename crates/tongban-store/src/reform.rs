//! Approval-reform services: applicants signing in with a code sent to their phone, 容缺 commitments and credit
//! records, 一件事 bundle applications, partner regions and delegated powers, helper pairings, ratings with their
//! rectification tasks, and e-licences. Each write is one transaction with its audit entry.

use crate::case_steps::{append_event, insert_case, queue, CASE_SELECT};
use crate::db::{int, opt_int, opt_text, text, to_json, Flag, JsonText};
use crate::org::audit;
use crate::{now_text, CaseRecord, NewCase, Notification, Store, StoreError};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use std::collections::BTreeMap;
use tongban_core::licence::LicenceContent;
use tongban_core::workflow::Template;

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

/// An outbox message that belongs to no case (a sign-in code, a credit notice).
async fn queue_message(tx: &mut Transaction<'static, Any>, region: &str, n: &Notification) -> Result<(), StoreError> {
    let now = now_text();
    sqlx::query(
        "INSERT INTO outbox (region_code, case_id, channel, recipient, body, created_at, next_attempt_at) \
         VALUES ($1, NULL, $2, $3, $4, $5, $5)",
    )
    .bind(region)
    .bind(&n.channel)
    .bind(&n.recipient)
    .bind(&n.body)
    .bind(&now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------------
// Applicants

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ApplicantSession {
    pub region_code: String,
    pub identifier: String,
    pub phone: String,
    /// The name signed in under: the person's name, or the enterprise's.
    pub name: String,
    #[serde(skip)]
    pub csrf_token: String,
    /// A public handle of the session (not its token), to list and end it.
    pub session_id: String,
    pub created_at: String,
    pub expires_at: String,
    /// The natural person signed in: the identifier itself for a person; for an enterprise, its representative's or
    /// agent's ID number.
    pub person_identifier: String,
    /// For an enterprise: `representative` or `agent`; empty for a person acting for themself.
    pub acting_as: String,
}

async fn insert_applicant_session(
    tx: &mut Transaction<'static, Any>,
    region: &str,
    who: &SignInIdentity,
    token: &str,
    csrf: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO applicant_sessions (token_hash, region_code, identifier, phone, csrf_token, created_at, \
             expires_at, name, session_id, person_identifier, acting_as) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(sha256_hex(token))
    .bind(region)
    .bind(&who.identifier)
    .bind(&who.phone)
    .bind(csrf)
    .bind(now_text())
    .bind(minutes_from_now(12 * 60))
    .bind(&who.name)
    .bind(&sha256_hex(token)[..16])
    .bind(&who.person_identifier)
    .bind(&who.acting_as)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Who is signing in: the identity the session will carry and the person behind it.
#[derive(Debug, Clone)]
pub struct SignInIdentity {
    /// The person's ID number, or the enterprise's credit code when acting for one.
    pub identifier: String,
    pub name: String,
    /// The ID number and phone the code was sent for.
    pub person_identifier: String,
    pub phone: String,
    pub acting_as: String,
}

/// How a sign-in attempt went.
#[derive(Debug, PartialEq, Eq)]
pub enum SignIn {
    Ok,
    WrongCode,
    /// No code was sent, it expired, or too many wrong tries used it up.
    NoCode,
}

const CODE_MINUTES: i64 = 10;
const CODE_TRIES: i64 = 5;
/// Codes a phone may be sent per hour: an SMS costs money and annoys the phone's owner.
const CODES_PER_HOUR: i64 = 5;

fn minutes_from_now(m: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::minutes(m))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

impl Store {
    /// Records a sign-in code (kept as its hash) and queues the SMS carrying it, together.
    pub async fn issue_sign_in_code(
        &self,
        region: &str,
        identifier: &str,
        phone: &str,
        code: &str,
        sms: &Notification,
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let recent = sqlx::query(
            "SELECT COUNT(*) AS n FROM applicant_codes WHERE region_code = $1 AND phone = $2 AND created_at > $3",
        )
        .bind(region)
        .bind(phone)
        .bind(minutes_from_now(-60))
        .fetch_one(&mut *tx)
        .await?;
        if int(&recent, "n")? >= CODES_PER_HOUR {
            return Err(StoreError::Conflict("验证码发送过于频繁，请一小时后再试".into()));
        }
        sqlx::query(
            "INSERT INTO applicant_codes (region_code, identifier, phone, code_hash, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(region)
        .bind(identifier)
        .bind(phone)
        .bind(sha256_hex(code))
        .bind(now_text())
        .bind(minutes_from_now(CODE_MINUTES))
        .execute(&mut *tx)
        .await?;
        queue_message(&mut tx, region, sms).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Checks the latest live code of (identifier, phone) and opens a session under `token` when it matches.
    pub async fn sign_in_applicant(
        &self,
        region: &str,
        who: &SignInIdentity,
        code: &str,
        token: &str,
        csrf: &str,
    ) -> Result<SignIn, StoreError> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "SELECT id, code_hash, attempts FROM applicant_codes WHERE region_code = $1 AND identifier = $2 \
             AND phone = $3 AND used_at IS NULL AND expires_at > $4 ORDER BY id DESC LIMIT 1",
        )
        .bind(region)
        .bind(&who.person_identifier)
        .bind(&who.phone)
        .bind(now_text())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(SignIn::NoCode);
        };
        let id = int(&row, "id")?;
        if int(&row, "attempts")? >= CODE_TRIES {
            return Ok(SignIn::NoCode);
        }
        if text(&row, "code_hash")? != sha256_hex(code.trim()) {
            sqlx::query("UPDATE applicant_codes SET attempts = attempts + 1 WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            return Ok(SignIn::WrongCode);
        }
        sqlx::query("UPDATE applicant_codes SET used_at = $1 WHERE id = $2")
            .bind(now_text())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        insert_applicant_session(&mut tx, region, who, token, csrf).await?;
        tx.commit().await?;
        Ok(SignIn::Ok)
    }

    pub async fn applicant_session(&self, token: &str) -> Result<Option<ApplicantSession>, StoreError> {
        Ok(sqlx::query_as::<_, ApplicantSession>(
            "SELECT * FROM applicant_sessions WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(sha256_hex(token))
        .bind(now_text())
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Registers (or replaces) the password of a person for later sign-ins.
    pub async fn set_applicant_password(
        &self,
        region: &str,
        identifier: &str,
        phone: &str,
        name: &str,
        password_hash: &str,
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM applicant_passwords WHERE region_code = $1 AND identifier = $2")
            .bind(region)
            .bind(identifier)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO applicant_passwords (region_code, identifier, phone, name, password_hash, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(region)
        .bind(identifier)
        .bind(phone)
        .bind(name)
        .bind(password_hash)
        .bind(now_text())
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            region,
            "applicant",
            "applicant.password",
            &identifier[..identifier.len().min(6)],
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A person's registered password: (phone, name, hash).
    pub async fn applicant_password(
        &self,
        region: &str,
        identifier: &str,
    ) -> Result<Option<(String, String, String)>, StoreError> {
        let row = sqlx::query(
            "SELECT phone, name, password_hash FROM applicant_passwords WHERE region_code = $1 AND identifier = $2",
        )
        .bind(region)
        .bind(identifier)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok((text(&r, "phone")?, text(&r, "name")?, text(&r, "password_hash")?)))
            .transpose()
    }

    /// Opens a session for an identity already proven (by password).
    pub async fn open_applicant_session(
        &self,
        region: &str,
        who: &SignInIdentity,
        token: &str,
        csrf: &str,
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        insert_applicant_session(&mut tx, region, who, token, csrf).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Keeps the state and nonce of a sign-in started at the identity service.
    pub async fn begin_oidc_login(&self, state: &str, nonce: &str, next: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM oidc_logins WHERE created_at < $1")
            .bind(minutes_from_now(-30))
            .execute(&self.pool)
            .await?;
        sqlx::query("INSERT INTO oidc_logins (state, nonce, next_path, created_at) VALUES ($1, $2, $3, $4)")
            .bind(sha256_hex(state))
            .bind(nonce)
            .bind(next)
            .bind(now_text())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Takes a started sign-in by its state, once, within 10 minutes: (nonce, next path).
    pub async fn take_oidc_login(&self, state: &str) -> Result<Option<(String, String)>, StoreError> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query("SELECT nonce, next_path FROM oidc_logins WHERE state = $1 AND created_at > $2")
            .bind(sha256_hex(state))
            .bind(minutes_from_now(-10))
            .fetch_optional(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM oidc_logins WHERE state = $1")
            .bind(sha256_hex(state))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        row.map(|r| Ok((text(&r, "nonce")?, text(&r, "next_path")?)))
            .transpose()
    }

    /// The live sessions of one identity (identifier and phone), newest first.
    pub async fn applicant_sessions(
        &self,
        region: &str,
        identifier: &str,
        phone: &str,
    ) -> Result<Vec<ApplicantSession>, StoreError> {
        Ok(sqlx::query_as::<_, ApplicantSession>(
            "SELECT * FROM applicant_sessions WHERE region_code = $1 AND identifier = $2 AND phone = $3 \
             AND expires_at > $4 ORDER BY created_at DESC LIMIT 100",
        )
        .bind(region)
        .bind(identifier)
        .bind(phone)
        .bind(now_text())
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn end_applicant_session(&self, token: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM applicant_sessions WHERE token_hash = $1")
            .bind(sha256_hex(token))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Ends one of an identity's sessions by its public handle; false when it has no such live session.
    pub async fn end_applicant_session_by_id(
        &self,
        region: &str,
        identifier: &str,
        phone: &str,
        session_id: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "DELETE FROM applicant_sessions WHERE region_code = $1 AND identifier = $2 AND phone = $3 \
             AND session_id = $4 AND session_id <> ''",
        )
        .bind(region)
        .bind(identifier)
        .bind(phone)
        .bind(session_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The cases filed under this identifier with this phone, newest first: the phone that received the sign-in
    /// code is what proves the applicant is who the cases name.
    pub async fn applicant_cases(
        &self,
        region: &str,
        identifier: &str,
        phone: &str,
    ) -> Result<Vec<CaseRecord>, StoreError> {
        Ok(sqlx::query_as::<_, CaseRecord>(&format!(
            "{CASE_SELECT} WHERE c.region_code = $1 AND c.applicant_identifier = $2 AND c.applicant_phone = $3 \
             ORDER BY c.created_at DESC, c.id DESC LIMIT 500"
        ))
        .bind(region)
        .bind(identifier)
        .bind(phone)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Every case of an applicant (an enterprise's whole life cycle), oldest first.
    pub async fn cases_of_applicant(&self, region: &str, identifier: &str) -> Result<Vec<CaseRecord>, StoreError> {
        Ok(sqlx::query_as::<_, CaseRecord>(&format!(
            "{CASE_SELECT} WHERE c.region_code = $1 AND c.applicant_identifier = $2 ORDER BY c.created_at, c.id"
        ))
        .bind(region)
        .bind(identifier)
        .fetch_all(&self.pool)
        .await?)
    }
}

/// The row `end_once` ends: by its id, or by a text column.
enum Key<'a> {
    Id(i64),
    Text(&'static str, &'a str),
}

impl Store {
    /// Ends a record once — revoked, cleared, delivered, unpaired: sets `set` (the first column must still be NULL,
    /// which is what makes a second attempt change nothing) and writes the audit entry (action, target, detail,
    /// actor), in one transaction. False when there is no such record still open.
    async fn end_once(
        &self,
        region: &str,
        table: &'static str,
        key: Key<'_>,
        set: &[(&'static str, &str)],
        (action, target, detail, actor): (&str, &str, &str, &str),
    ) -> Result<bool, StoreError> {
        let Some((open_column, _)) = set.first() else {
            return Ok(false);
        };
        let assignments: Vec<String> = set
            .iter()
            .enumerate()
            .map(|(n, (c, _))| format!("{c} = ${}", n + 3))
            .collect();
        let key_column = match key {
            Key::Id(_) => "id",
            Key::Text(column, _) => column,
        };
        let sql = format!(
            "UPDATE {table} SET {} WHERE region_code = $1 AND {key_column} = $2 AND {open_column} IS NULL",
            assignments.join(", ")
        );
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let mut q = sqlx::query(&sql).bind(region);
        q = match key {
            Key::Id(id) => q.bind(id),
            Key::Text(_, v) => q.bind(v.to_string()),
        };
        for (_, v) in set {
            q = q.bind(v.to_string());
        }
        if q.execute(&mut *tx).await?.rows_affected() == 0 {
            return Ok(false);
        }
        audit(&mut tx, region, actor, action, target, detail).await?;
        tx.commit().await?;
        Ok(true)
    }
}

// ---------------------------------------------------------------------------------------------------------------
// 容缺受理: commitments and credit records

#[derive(Debug, Clone, Serialize)]
pub struct Commitment {
    #[serde(skip)]
    pub id: i64,
    pub case_number: String,
    pub item_code: String,
    pub item_name: String,
    pub department_name: String,
    pub applicant_name: String,
    pub applicant_identifier: String,
    #[serde(skip)]
    pub applicant_phone: String,
    pub materials: Vec<String>,
    pub due_date: String,
    /// `open`, `fulfilled` or `breached`.
    pub state: String,
    pub signed_at: String,
    pub settled_at: Option<String>,
}

/// By hand, for the columns read through `crate::db`'s types (see there why not derived).
impl<'r> sqlx::FromRow<'r, AnyRow> for Commitment {
    fn from_row(r: &'r AnyRow) -> Result<Commitment, sqlx::Error> {
        Ok(Commitment {
            id: int(r, "id")?,
            case_number: text(r, "number")?,
            item_code: text(r, "item_code")?,
            item_name: text(r, "item_name")?,
            department_name: text(r, "department_name")?,
            applicant_name: text(r, "applicant_name")?,
            applicant_identifier: text(r, "applicant_identifier")?,
            applicant_phone: text(r, "applicant_phone")?,
            materials: r.try_get::<JsonText<_>, _>("materials")?.into_inner(),
            due_date: text(r, "due_date")?,
            state: text(r, "state")?,
            signed_at: text(r, "signed_at")?,
            settled_at: opt_text(r, "settled_at")?,
        })
    }
}

const COMMITMENT_SELECT: &str = "SELECT m.*, c.number, c.item_code, c.item_name, c.applicant_name, c.applicant_phone, \
     d.name AS department_name FROM commitments m JOIN cases c ON c.id = m.case_id \
     JOIN departments d ON d.id = c.department_id";

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct CreditRecord {
    pub id: i64,
    pub applicant_kind: String,
    pub applicant_identifier: String,
    pub applicant_name: String,
    pub reason: String,
    pub created_at: String,
    pub cleared_at: Option<String>,
    pub cleared_by: Option<String>,
    pub cleared_reason: Option<String>,
}

/// Tolerance figures: cases accepted with a commitment, the items they were for, and the commitments by state.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ToleranceFigures {
    pub cases: i64,
    pub items: i64,
    pub open: i64,
    pub fulfilled: i64,
    pub breached: i64,
    /// Items the catalog allows tolerance acceptance for.
    pub items_allowed: i64,
}

impl Store {
    pub async fn commitments(&self, region: &str, state: Option<&str>) -> Result<Vec<Commitment>, StoreError> {
        Ok(sqlx::query_as::<_, Commitment>(&format!(
            "{COMMITMENT_SELECT} WHERE m.region_code = $1 AND ($2 = '' OR m.state = $2) ORDER BY m.due_date, m.id"
        ))
        .bind(region)
        .bind(state.unwrap_or(""))
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn commitment_for_case(&self, case_id: i64) -> Result<Option<Commitment>, StoreError> {
        Ok(
            sqlx::query_as::<_, Commitment>(&format!("{COMMITMENT_SELECT} WHERE m.case_id = $1"))
                .bind(case_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Records materials handed in after a tolerance acceptance, as a case event; the commitment is fulfilled once
    /// every promised material is on file. Based on the case version the clerk saw, like every action.
    pub async fn supplement(
        &self,
        case: &CaseRecord,
        handed_in: &[String],
        actor: &str,
        role: &str,
    ) -> Result<(CaseRecord, Commitment), StoreError> {
        let commitment = self
            .commitment_for_case(case.id)
            .await?
            .ok_or_else(|| StoreError::Invalid(format!("办件“{}”不是容缺受理，无需补交", case.number)))?;
        if commitment.state != "open" {
            return Err(StoreError::Invalid(format!(
                "办件“{}”的容缺承诺已{}，不能再补交",
                case.number,
                if commitment.state == "fulfilled" {
                    "履行"
                } else {
                    "逾期失信"
                }
            )));
        }
        let unknown: Vec<&String> = handed_in.iter().filter(|m| !commitment.materials.contains(m)).collect();
        if handed_in.is_empty() || !unknown.is_empty() {
            return Err(StoreError::Invalid(format!(
                "补交的材料应为承诺书所列的：{}",
                commitment.materials.join("、")
            )));
        }
        let mut materials = case.materials.clone();
        for m in handed_in {
            if !materials.contains(m) {
                materials.push(m.clone());
            }
        }
        let fulfilled = commitment.materials.iter().all(|m| materials.contains(m));
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let now = now_text();
        let done = sqlx::query(
            "UPDATE cases SET materials = $1, version = version + 1, updated_at = $2 WHERE id = $3 AND version = $4",
        )
        .bind(to_json(&materials)?)
        .bind(&now)
        .bind(case.id)
        .bind(case.version)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            drop(tx);
            let current = self
                .case_by_number(&case.region_code, &case.number)
                .await?
                .map(|c| c.version)
                .unwrap_or_default();
            return Err(StoreError::Stale { current });
        }
        append_event(
            &mut tx,
            &case.region_code,
            case.id,
            &case.number,
            &case.state,
            &case.state,
            &crate::NewEvent {
                actor: actor.to_string(),
                role: role.to_string(),
                action: "supplement".into(),
                comment: if fulfilled {
                    "容缺材料已补齐".into()
                } else {
                    "补交部分容缺材料".into()
                },
                attachments: handed_in.to_vec(),
                at: None,
            },
        )
        .await?;
        if fulfilled {
            sqlx::query("UPDATE commitments SET state = 'fulfilled', settled_at = $1 WHERE id = $2")
                .bind(&now)
                .bind(commitment.id)
                .execute(&mut *tx)
                .await?;
            audit(&mut tx, &case.region_code, actor, "commitment.fulfil", &case.number, "").await?;
        }
        tx.commit().await?;
        let case = self
            .case_by_number(&case.region_code, &case.number)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("办件“{}”", case.number)))?;
        let commitment = self
            .commitment_for_case(case.id)
            .await?
            .ok_or_else(|| StoreError::NotFound("容缺承诺".into()))?;
        Ok((case, commitment))
    }

    /// Commitments past their due date (before `today`) become broken: each gets a credit record against the
    /// applicant and a notice to them, in its own transaction. Returns what was marked.
    pub async fn breach_overdue_commitments(
        &self,
        region: &str,
        today: &str,
        notice: impl Fn(&Commitment) -> Notification,
    ) -> Result<Vec<Commitment>, StoreError> {
        let due: Vec<Commitment> = self
            .commitments(region, Some("open"))
            .await?
            .into_iter()
            .filter(|c| c.due_date.as_str() < today)
            .collect();
        let mut marked = Vec::new();
        for c in due {
            let _turn = self.write_turn().await;
            let mut tx = self.pool.begin().await?;
            let done = sqlx::query(
                "UPDATE commitments SET state = 'breached', settled_at = $1 WHERE id = $2 AND state = 'open'",
            )
            .bind(now_text())
            .bind(c.id)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                continue;
            }
            let case_id: i64 = int(
                &sqlx::query("SELECT case_id, applicant_kind FROM commitments WHERE id = $1")
                    .bind(c.id)
                    .fetch_one(&mut *tx)
                    .await?,
                "case_id",
            )?;
            let kind: String = text(
                &sqlx::query("SELECT applicant_kind FROM commitments WHERE id = $1")
                    .bind(c.id)
                    .fetch_one(&mut *tx)
                    .await?,
                "applicant_kind",
            )?;
            let reason = format!(
                "办件{}（{}）容缺受理承诺于{}前补齐“{}”，逾期未补",
                c.case_number,
                c.item_name,
                c.due_date,
                c.materials.join("、")
            );
            sqlx::query(
                "INSERT INTO credit_records (region_code, applicant_kind, applicant_identifier, applicant_name, \
                 case_id, reason, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(region)
            .bind(&kind)
            .bind(&c.applicant_identifier)
            .bind(&c.applicant_name)
            .bind(case_id)
            .bind(&reason)
            .bind(now_text())
            .execute(&mut *tx)
            .await?;
            queue(&mut tx, region, case_id, &notice(&c)).await?;
            audit(&mut tx, region, "system", "commitment.breach", &c.case_number, &reason).await?;
            tx.commit().await?;
            marked.push(c);
        }
        Ok(marked)
    }

    /// Open (not cleared) credit records of an applicant.
    pub async fn open_credit_records(&self, region: &str, identifier: &str) -> Result<Vec<CreditRecord>, StoreError> {
        Ok(sqlx::query_as::<_, CreditRecord>(
            "SELECT * FROM credit_records WHERE region_code = $1 AND applicant_identifier = $2 AND cleared_at IS NULL \
             ORDER BY id",
        )
        .bind(region)
        .bind(identifier)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn credit_records(&self, region: &str) -> Result<Vec<CreditRecord>, StoreError> {
        Ok(
            sqlx::query_as::<_, CreditRecord>("SELECT * FROM credit_records WHERE region_code = $1 ORDER BY id DESC")
                .bind(region)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// Clears a credit record (e.g. after the materials came in late or the record was wrong), with the reason.
    pub async fn clear_credit_record(
        &self,
        region: &str,
        id: i64,
        actor: &str,
        reason: &str,
    ) -> Result<(), StoreError> {
        let cleared = self
            .end_once(
                region,
                "credit_records",
                Key::Id(id),
                &[
                    ("cleared_at", &now_text()),
                    ("cleared_by", actor),
                    ("cleared_reason", reason),
                ],
                ("credit.clear", &id.to_string(), reason, actor),
            )
            .await?;
        if cleared {
            Ok(())
        } else {
            Err(StoreError::NotFound(format!("未清除的失信记录{id}")))
        }
    }

    pub async fn tolerance_figures(&self, region: &str) -> Result<ToleranceFigures, StoreError> {
        let r = sqlx::query(
            "SELECT COUNT(*) AS cases, COUNT(DISTINCT c.item_code) AS items, \
             SUM(CASE WHEN m.state = 'open' THEN 1 ELSE 0 END) AS open, \
             SUM(CASE WHEN m.state = 'fulfilled' THEN 1 ELSE 0 END) AS fulfilled, \
             SUM(CASE WHEN m.state = 'breached' THEN 1 ELSE 0 END) AS breached \
             FROM commitments m JOIN cases c ON c.id = m.case_id WHERE m.region_code = $1",
        )
        .bind(region)
        .fetch_one(&self.pool)
        .await?;
        let allowed = sqlx::query(
            "SELECT COUNT(*) AS n FROM items i JOIN item_versions v ON v.item_id = i.id AND v.version = i.current_version \
             WHERE i.region_code = $1 AND i.status = 'published' AND v.guide LIKE '%\"tolerance\":true%'",
        )
        .bind(region)
        .fetch_one(&self.pool)
        .await?;
        Ok(ToleranceFigures {
            cases: int(&r, "cases")?,
            items: int(&r, "items")?,
            open: opt_int(&r, "open")?.unwrap_or(0),
            fulfilled: opt_int(&r, "fulfilled")?.unwrap_or(0),
            breached: opt_int(&r, "breached")?.unwrap_or(0),
            items_allowed: int(&allowed, "n")?,
        })
    }
}

// ---------------------------------------------------------------------------------------------------------------
// 一件事一次办: bundle applications

#[derive(Debug, Clone, Serialize)]
pub struct BundleCase {
    #[serde(skip)]
    pub id: i64,
    pub number: String,
    pub bundle_code: String,
    pub bundle_name: String,
    pub applicant_kind: String,
    pub applicant_name: String,
    pub applicant_identifier: String,
    pub applicant_phone: String,
    pub channel: String,
    pub site_code: String,
    pub filed_by: String,
    pub form: serde_json::Value,
    pub materials: Vec<String>,
    pub delivery: String,
    pub created_at: String,
    pub delivered_at: Option<String>,
}

/// By hand, for the columns read through `crate::db`'s types (see there why not derived).
impl<'r> sqlx::FromRow<'r, AnyRow> for BundleCase {
    fn from_row(r: &'r AnyRow) -> Result<BundleCase, sqlx::Error> {
        Ok(BundleCase {
            id: int(r, "id")?,
            number: text(r, "number")?,
            bundle_code: text(r, "bundle_code")?,
            bundle_name: text(r, "bundle_name")?,
            applicant_kind: text(r, "applicant_kind")?,
            applicant_name: text(r, "applicant_name")?,
            applicant_identifier: text(r, "applicant_identifier")?,
            applicant_phone: text(r, "applicant_phone")?,
            channel: text(r, "channel")?,
            site_code: text(r, "site_code")?,
            filed_by: text(r, "filed_by")?,
            form: r.try_get::<JsonText<_>, _>("form")?.into_inner(),
            materials: r.try_get::<JsonText<_>, _>("materials")?.into_inner(),
            delivery: text(r, "delivery")?,
            created_at: text(r, "created_at")?,
            delivered_at: opt_text(r, "delivered_at")?,
        })
    }
}

pub struct NewBundleCase<'a> {
    pub bundle_code: &'a str,
    pub bundle_name: &'a str,
    pub delivery: &'a str,
    /// One per item, with the item version in force; the first carries the applicant and channel for the bundle.
    pub parts: Vec<(NewCase, crate::ItemRecord)>,
    pub materials: Vec<String>,
    pub form: serde_json::Value,
}

impl Store {
    /// Files a bundle: the bundle application and one sub-case per item, each with its own number, department and
    /// workflow, in one transaction. Notifies the applicant once, for the bundle.
    pub async fn file_bundle(
        &self,
        b: &NewBundleCase<'_>,
        template: &Template,
        notify: &Notification,
    ) -> Result<(BundleCase, Vec<CaseRecord>), StoreError> {
        let Some((first, _)) = b.parts.first() else {
            return Err(StoreError::Invalid("一件事至少包含一个事项".into()));
        };
        let region = first.region_code.clone();
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let day = first.day.format("%Y%m%d").to_string();
        let seq = sqlx::query(
            "INSERT INTO case_sequences (region_code, day, last) VALUES ($1, $2, 1) \
             ON CONFLICT (region_code, day) DO UPDATE SET last = case_sequences.last + 1 RETURNING last",
        )
        .bind(&region)
        .bind(format!("Y{day}"))
        .fetch_one(&mut *tx)
        .await?;
        let number = format!("{region}-{day}-Y{:05}", int(&seq, "last")?);
        let now = first.at.clone().unwrap_or_else(now_text);
        let row = sqlx::query(
            "INSERT INTO bundle_cases (region_code, number, bundle_code, bundle_name, applicant_kind, applicant_name, \
             applicant_identifier, applicant_phone, channel, site_code, filed_by, form, materials, delivery, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
        )
        .bind(&region)
        .bind(&number)
        .bind(b.bundle_code)
        .bind(b.bundle_name)
        .bind(&first.applicant_kind)
        .bind(&first.applicant_name)
        .bind(&first.applicant_identifier)
        .bind(&first.applicant_phone)
        .bind(&first.channel)
        .bind(&first.site_code)
        .bind(&first.filed_by)
        .bind(to_json(&b.form)?)
        .bind(to_json(&b.materials)?)
        .bind(b.delivery)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        let bundle_id = int(&row, "id")?;
        for (new, item) in &b.parts {
            insert_case(&mut tx, new, item, template, None, Some(bundle_id)).await?;
        }
        queue_message(&mut tx, &region, notify).await?;
        audit(
            &mut tx,
            &region,
            &first.filed_by,
            "bundle_case.file",
            &number,
            &format!("{}：{}个事项", b.bundle_name, b.parts.len()),
        )
        .await?;
        tx.commit().await?;
        self.bundle_case(&region, &number)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("一件事办件“{number}”")))
    }

    /// A bundle application with its sub-cases.
    pub async fn bundle_case(
        &self,
        region: &str,
        number: &str,
    ) -> Result<Option<(BundleCase, Vec<CaseRecord>)>, StoreError> {
        let b = sqlx::query_as::<_, BundleCase>("SELECT * FROM bundle_cases WHERE region_code = $1 AND number = $2")
            .bind(region)
            .bind(number)
            .fetch_optional(&self.pool)
            .await?;
        let Some(b) = b else {
            return Ok(None);
        };
        let parts = self.bundle_parts(b.id).await?;
        Ok(Some((b, parts)))
    }

    pub async fn bundle_case_by_id(&self, id: i64) -> Result<Option<BundleCase>, StoreError> {
        Ok(
            sqlx::query_as::<_, BundleCase>("SELECT * FROM bundle_cases WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn bundle_parts(&self, bundle_id: i64) -> Result<Vec<CaseRecord>, StoreError> {
        Ok(
            sqlx::query_as::<_, CaseRecord>(&format!("{CASE_SELECT} WHERE c.bundle_case_id = $1 ORDER BY c.id"))
                .bind(bundle_id)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// Bundle applications, newest first, with their sub-cases.
    pub async fn bundle_cases(
        &self,
        region: &str,
        limit: i64,
    ) -> Result<Vec<(BundleCase, Vec<CaseRecord>)>, StoreError> {
        let rows = sqlx::query_as::<_, BundleCase>(
            "SELECT * FROM bundle_cases WHERE region_code = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(region)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for b in rows {
            let parts = self.bundle_parts(b.id).await?;
            out.push((b, parts));
        }
        Ok(out)
    }

    /// Marks the bundle delivered once (its issued sub-cases are delivered by the caller, one action each).
    pub async fn mark_bundle_delivered(&self, region: &str, id: i64, actor: &str, how: &str) -> Result<(), StoreError> {
        let delivered = self
            .end_once(
                region,
                "bundle_cases",
                Key::Id(id),
                &[("delivered_at", &now_text())],
                ("bundle_case.deliver", &id.to_string(), how, actor),
            )
            .await?;
        if delivered {
            Ok(())
        } else {
            Err(StoreError::Conflict("该一件事已送达".into()))
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// 全域通办 / 跨省通办 partners, and 赋权 delegations

#[derive(Debug, Clone, Serialize)]
pub struct Partner {
    pub code: String,
    pub name: String,
    pub agreement: String,
    pub items: Vec<String>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Delegation {
    pub id: i64,
    pub item_code: String,
    /// `park`, `town` or `village`.
    pub target_kind: String,
    /// The site (park) or region code (town, village) the power went to.
    pub target_code: String,
    pub target_name: String,
    /// `district` or `city`.
    pub delegated_by: String,
    pub from_date: String,
    pub document: String,
    pub recorded_by: String,
    pub recorded_at: String,
    pub revoked_on: Option<String>,
    pub revoke_document: Option<String>,
    pub revoked_by: Option<String>,
}

pub struct NewDelegation<'a> {
    pub item_code: &'a str,
    pub target_kind: &'a str,
    pub target_code: &'a str,
    pub target_name: &'a str,
    pub delegated_by: &'a str,
    pub from_date: &'a str,
    pub document: &'a str,
}

/// Cases accepted away from the hall, grouped one way.
#[derive(Debug, Clone, Serialize)]
pub struct CountRow {
    pub key: String,
    pub name: String,
    pub cases: i64,
}

impl Store {
    pub async fn partners(&self, region: &str) -> Result<Vec<Partner>, StoreError> {
        let rows = sqlx::query("SELECT * FROM partner_regions WHERE region_code = $1 ORDER BY partner_code")
            .bind(region)
            .fetch_all(&self.pool)
            .await?;
        let items =
            sqlx::query("SELECT partner_code, item_code FROM partner_items WHERE region_code = $1 ORDER BY item_code")
                .bind(region)
                .fetch_all(&self.pool)
                .await?;
        let mut by: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for r in &items {
            by.entry(text(r, "partner_code")?)
                .or_default()
                .push(text(r, "item_code")?);
        }
        rows.iter()
            .map(|r| {
                let code = text(r, "partner_code")?;
                Ok(Partner {
                    items: by.remove(&code).unwrap_or_default(),
                    name: text(r, "partner_name")?,
                    agreement: text(r, "agreement")?,
                    code,
                })
            })
            .collect()
    }

    /// Creates or replaces a partner region and its agreed item list.
    pub async fn save_partner(&self, region: &str, p: &Partner, actor: &str) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO partner_regions (region_code, partner_code, partner_name, agreement) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (region_code, partner_code) DO UPDATE SET partner_name = excluded.partner_name, \
             agreement = excluded.agreement",
        )
        .bind(region)
        .bind(&p.code)
        .bind(&p.name)
        .bind(&p.agreement)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM partner_items WHERE region_code = $1 AND partner_code = $2")
            .bind(region)
            .bind(&p.code)
            .execute(&mut *tx)
            .await?;
        for item in &p.items {
            sqlx::query("INSERT INTO partner_items (region_code, partner_code, item_code) VALUES ($1, $2, $3)")
                .bind(region)
                .bind(&p.code)
                .bind(item)
                .execute(&mut *tx)
                .await?;
        }
        audit(
            &mut tx,
            region,
            actor,
            "partner.save",
            &p.code,
            &format!("{}：{}个事项", p.name, p.items.len()),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn partner_accepts(&self, region: &str, partner: &str, item_code: &str) -> Result<bool, StoreError> {
        Ok(
            sqlx::query("SELECT 1 FROM partner_items WHERE region_code = $1 AND partner_code = $2 AND item_code = $3")
                .bind(region)
                .bind(partner)
                .bind(item_code)
                .fetch_optional(&self.pool)
                .await?
                .is_some(),
        )
    }

    pub async fn delegate(&self, region: &str, d: &NewDelegation<'_>, actor: &str) -> Result<Delegation, StoreError> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let clash = sqlx::query(
            "SELECT id FROM delegations WHERE region_code = $1 AND item_code = $2 AND target_code = $3 \
             AND revoked_on IS NULL",
        )
        .bind(region)
        .bind(d.item_code)
        .bind(d.target_code)
        .fetch_optional(&mut *tx)
        .await?;
        if clash.is_some() {
            return Err(StoreError::Conflict(format!(
                "事项“{}”已赋权给{}，不能重复赋权",
                d.item_code, d.target_name
            )));
        }
        let row = sqlx::query(
            "INSERT INTO delegations (region_code, item_code, target_kind, target_code, target_name, delegated_by, \
             from_date, document, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(region)
        .bind(d.item_code)
        .bind(d.target_kind)
        .bind(d.target_code)
        .bind(d.target_name)
        .bind(d.delegated_by)
        .bind(d.from_date)
        .bind(d.document)
        .bind(actor)
        .bind(now_text())
        .fetch_one(&mut *tx)
        .await?;
        let id = int(&row, "id")?;
        audit(
            &mut tx,
            region,
            actor,
            "delegation.grant",
            d.item_code,
            &format!("赋权{}，自{}起，依据{}", d.target_name, d.from_date, d.document),
        )
        .await?;
        tx.commit().await?;
        self.delegation(region, id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("赋权记录{id}")))
    }

    pub async fn delegation(&self, region: &str, id: i64) -> Result<Option<Delegation>, StoreError> {
        Ok(
            sqlx::query_as::<_, Delegation>("SELECT * FROM delegations WHERE region_code = $1 AND id = $2")
                .bind(region)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Undoes a delegation on a date by a document, keeping the record.
    pub async fn revoke_delegation(
        &self,
        region: &str,
        id: i64,
        on: &str,
        document: &str,
        actor: &str,
    ) -> Result<Delegation, StoreError> {
        let revoked = self
            .end_once(
                region,
                "delegations",
                Key::Id(id),
                &[("revoked_on", on), ("revoke_document", document), ("revoked_by", actor)],
                ("delegation.revoke", &id.to_string(), document, actor),
            )
            .await?;
        if !revoked {
            return Err(StoreError::NotFound(format!("有效的赋权记录{id}")));
        }
        self.delegation(region, id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("赋权记录{id}")))
    }

    pub async fn delegations(&self, region: &str) -> Result<Vec<Delegation>, StoreError> {
        Ok(
            sqlx::query_as::<_, Delegation>("SELECT * FROM delegations WHERE region_code = $1 ORDER BY id DESC")
                .bind(region)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// The delegation in force on `day` that lets one of `targets` handle the item.
    pub async fn delegation_in_force(
        &self,
        region: &str,
        item_code: &str,
        targets: &[&str],
        day: &str,
    ) -> Result<Option<Delegation>, StoreError> {
        let rows = sqlx::query_as::<_, Delegation>(
            "SELECT * FROM delegations WHERE region_code = $1 AND item_code = $2 AND from_date <= $3 \
             AND (revoked_on IS NULL OR revoked_on > $3)",
        )
        .bind(region)
        .bind(item_code)
        .bind(day)
        .fetch_all(&self.pool)
        .await?;
        for d in rows {
            if targets.contains(&d.target_code.as_str()) {
                return Ok(Some(d));
            }
        }
        Ok(None)
    }

    /// Cases accepted away from the district hall (town, village, partner), by `site`, `partner` or `item`.
    pub async fn anywhere_counts(
        &self,
        region: &str,
        by: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<CountRow>, StoreError> {
        let (key, name, join) = match by {
            "item" => ("c.item_code", "MAX(c.item_name)", ""),
            "partner" => (
                "s.located_in",
                "MAX(COALESCE(p.partner_name, s.name))",
                "LEFT JOIN partner_regions p ON p.region_code = c.region_code AND p.partner_code = s.located_in",
            ),
            _ => ("c.site_code", "MAX(s.name)", ""),
        };
        let channel = if by == "partner" {
            "c.channel = 'partner'"
        } else {
            "c.channel IN ('town', 'village', 'partner')"
        };
        let rows = sqlx::query(&format!(
            "SELECT {key} AS k, {name} AS n, COUNT(*) AS cases FROM cases c \
             LEFT JOIN sites s ON s.region_code = c.region_code AND s.code = c.site_code {join} \
             WHERE c.region_code = $1 AND {channel} AND c.created_at >= $2 AND c.created_at < $3 \
             GROUP BY {key} ORDER BY cases DESC, k"
        ))
        .bind(region)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CountRow {
                    key: opt_text(r, "k")?.unwrap_or_default(),
                    name: opt_text(r, "n")?.unwrap_or_default(),
                    cases: int(r, "cases")?,
                })
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------------------------
// 帮代办: helpers paired with enterprises

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct HelperPair {
    pub id: i64,
    pub credit_code: String,
    pub enterprise_name: String,
    pub helper: String,
    pub since: String,
    pub ended_at: Option<String>,
}

impl Store {
    pub async fn pair_helper(
        &self,
        region: &str,
        credit_code: &str,
        enterprise_name: &str,
        helper: &str,
        actor: &str,
    ) -> Result<HelperPair, StoreError> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let clash = sqlx::query(
            "SELECT id FROM helper_pairs WHERE region_code = $1 AND credit_code = $2 AND helper = $3 AND ended_at IS NULL",
        )
        .bind(region)
        .bind(credit_code)
        .bind(helper)
        .fetch_optional(&mut *tx)
        .await?;
        if clash.is_some() {
            return Err(StoreError::Conflict(format!("{helper}已是该企业的帮代办员")));
        }
        let row = sqlx::query(
            "INSERT INTO helper_pairs (region_code, credit_code, enterprise_name, helper, since, recorded_by) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(region)
        .bind(credit_code)
        .bind(enterprise_name)
        .bind(helper)
        .bind(now_text())
        .bind(actor)
        .fetch_one(&mut *tx)
        .await?;
        let id = int(&row, "id")?;
        audit(&mut tx, region, actor, "helper.pair", credit_code, helper).await?;
        tx.commit().await?;
        Ok(
            sqlx::query_as::<_, HelperPair>("SELECT * FROM helper_pairs WHERE id = $1")
                .bind(id)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    pub async fn end_helper_pair(&self, region: &str, id: i64, actor: &str) -> Result<(), StoreError> {
        let ended = self
            .end_once(
                region,
                "helper_pairs",
                Key::Id(id),
                &[("ended_at", &now_text())],
                ("helper.unpair", &id.to_string(), "", actor),
            )
            .await?;
        if ended {
            Ok(())
        } else {
            Err(StoreError::NotFound(format!("帮代办关系{id}")))
        }
    }

    /// Current pairings; of one helper when given.
    pub async fn helper_pairs(&self, region: &str, helper: Option<&str>) -> Result<Vec<HelperPair>, StoreError> {
        Ok(sqlx::query_as::<_, HelperPair>(
            "SELECT * FROM helper_pairs WHERE region_code = $1 AND ended_at IS NULL AND ($2 = '' OR helper = $2) \
             ORDER BY enterprise_name",
        )
        .bind(region)
        .bind(helper.unwrap_or(""))
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn is_helper_of(&self, region: &str, helper: &str, credit_code: &str) -> Result<bool, StoreError> {
        Ok(sqlx::query(
            "SELECT 1 FROM helper_pairs WHERE region_code = $1 AND helper = $2 AND credit_code = $3 AND ended_at IS NULL",
        )
        .bind(region)
        .bind(helper)
        .bind(credit_code)
        .fetch_optional(&self.pool)
        .await?
        .is_some())
    }
}

// ---------------------------------------------------------------------------------------------------------------
// 好差评: ratings and rectifications

pub struct NewRating {
    pub case_id: Option<i64>,
    pub department_id: Option<i64>,
    pub item_code: String,
    pub window_code: String,
    pub level: i64,
    pub comment: String,
    /// `portal`, `sms` (the link in the notice) or `tablet` (at the window).
    pub channel: String,
    pub rater: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Rating {
    pub id: i64,
    pub case_number: Option<String>,
    pub department_name: Option<String>,
    pub item_code: String,
    pub window_code: String,
    pub level: i64,
    pub comment: String,
    pub channel: String,
    pub excluded: bool,
    pub created_at: String,
}

/// By hand, for the columns read through `crate::db`'s types (see there why not derived).
impl<'r> sqlx::FromRow<'r, AnyRow> for Rating {
    fn from_row(r: &'r AnyRow) -> Result<Rating, sqlx::Error> {
        Ok(Rating {
            id: int(r, "id")?,
            case_number: opt_text(r, "case_number")?,
            department_name: opt_text(r, "department_name")?,
            item_code: text(r, "item_code")?,
            window_code: text(r, "window_code")?,
            level: int(r, "level")?,
            comment: text(r, "comment")?,
            channel: text(r, "channel")?,
            excluded: r.try_get::<Flag, _>("excluded")?.into(),
            created_at: text(r, "created_at")?,
        })
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Rectification {
    #[sqlx(rename = "task_id")]
    pub id: i64,
    #[sqlx(flatten)]
    pub rating: Rating,
    #[serde(skip)]
    #[sqlx(rename = "task_department")]
    pub department_id: Option<i64>,
    /// `open` → `replied` → `closed`; `appealed` → `closed` (appeal upheld: the rating no longer counts) or back to
    /// `open` (appeal rejected).
    pub state: String,
    pub due_date: String,
    pub reply: String,
    pub replied_by: String,
    pub replied_at: Option<String>,
    /// The rater's verdict at the revisit: `satisfied` or `unsatisfied`.
    pub verdict: String,
    pub revisit_note: String,
    pub appeal_reason: String,
    pub appeal_decision: String,
    pub updated_at: String,
}

const RATING_SELECT: &str = "SELECT r.*, c.number AS case_number, d.name AS department_name FROM ratings r \
     LEFT JOIN cases c ON c.id = r.case_id LEFT JOIN departments d ON d.id = r.department_id";

/// One line of the rating figures: 好评率 = ratings of level 1–3 ÷ all ratings that count (an appeal upheld takes a
/// rating out); 差评 = level 4–5.
#[derive(Debug, Clone, Serialize)]
pub struct RateRow {
    pub key: String,
    pub name: String,
    pub ratings: i64,
    pub good: i64,
    pub bad: i64,
    pub average_level: f64,
    pub good_rate: f64,
}

impl Store {
    /// Records a rating and, for a bad one, opens the department's rectification task due on `rectify_by`.
    /// A second rating of the same case is a conflict and writes nothing.
    pub async fn rate(
        &self,
        region: &str,
        r: &NewRating,
        rectify_by: Option<&str>,
    ) -> Result<(Rating, Option<i64>), StoreError> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO ratings (region_code, case_id, department_id, item_code, window_code, level, comment, channel, \
             rater, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(region)
        .bind(r.case_id)
        .bind(r.department_id)
        .bind(&r.item_code)
        .bind(&r.window_code)
        .bind(r.level)
        .bind(&r.comment)
        .bind(&r.channel)
        .bind(&r.rater)
        .bind(now_text())
        .fetch_one(&mut *tx)
        .await;
        let id = match inserted {
            Ok(row) => int(&row, "id")?,
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::Conflict("该办件已评价过，一事一评".into()));
            }
            Err(e) => return Err(e.into()),
        };
        let mut task = None;
        if let Some(due) = rectify_by {
            let row = sqlx::query(
                "INSERT INTO rectifications (region_code, rating_id, department_id, state, due_date, updated_at) \
                 VALUES ($1, $2, $3, 'open', $4, $5) RETURNING id",
            )
            .bind(region)
            .bind(id)
            .bind(r.department_id)
            .bind(due)
            .bind(now_text())
            .fetch_one(&mut *tx)
            .await?;
            task = Some(int(&row, "id")?);
        }
        audit(
            &mut tx,
            region,
            &r.rater,
            "rating.create",
            &id.to_string(),
            &format!("{}级，{}", r.level, r.channel),
        )
        .await?;
        tx.commit().await?;
        let rating = sqlx::query_as::<_, Rating>(&format!("{RATING_SELECT} WHERE r.id = $1"))
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        Ok((rating, task))
    }

    /// The code of the window the staff member sits at, if any.
    pub async fn windows_of_staff(&self, username: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT w.code FROM staff s JOIN windows w ON w.id = s.window_id WHERE s.username = $1")
            .bind(username)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| text(&r, "code")).transpose()?)
    }

    pub async fn window_department(&self, region: &str, window: &str) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query("SELECT department_id FROM windows WHERE region_code = $1 AND code = $2")
            .bind(region)
            .bind(window)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| opt_int(&r, "department_id")).transpose()?.flatten())
    }

    pub async fn rating_for_case(&self, case_id: i64) -> Result<Option<Rating>, StoreError> {
        Ok(
            sqlx::query_as::<_, Rating>(&format!("{RATING_SELECT} WHERE r.case_id = $1"))
                .bind(case_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Rectification tasks, by due date; of one department when given.
    pub async fn rectifications(
        &self,
        region: &str,
        department_id: Option<i64>,
    ) -> Result<Vec<Rectification>, StoreError> {
        Ok(sqlx::query_as::<_, Rectification>(&format!(
            "SELECT x.id AS task_id, x.department_id AS task_department, x.state, x.due_date, x.reply, x.replied_by, \
             x.replied_at, x.verdict, x.revisit_note, x.appeal_reason, x.appeal_decision, x.updated_at, q.* \
             FROM rectifications x JOIN ({RATING_SELECT}) q ON q.id = x.rating_id \
             WHERE x.region_code = $1 AND ($2 = 0 OR x.department_id = $2) ORDER BY x.due_date, x.id"
        ))
        .bind(region)
        .bind(department_id.unwrap_or(0))
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn rectification(&self, region: &str, id: i64) -> Result<Option<Rectification>, StoreError> {
        Ok(self
            .rectifications(region, None)
            .await?
            .into_iter()
            .find(|r| r.id == id))
    }

    /// Moves a rectification task from `from` to `to`, setting the named text columns; refused (nothing written)
    /// when someone moved it first. An upheld appeal also takes its rating out of the figures.
    #[allow(clippy::too_many_arguments)]
    pub async fn advance_rectification(
        &self,
        region: &str,
        id: i64,
        from: &str,
        to: &str,
        set: &[(&str, &str)],
        exclude_rating: bool,
        actor: &str,
    ) -> Result<(), StoreError> {
        const COLUMNS: [&str; 6] = [
            "reply",
            "replied_by",
            "replied_at",
            "verdict",
            "revisit_note",
            "appeal_reason",
        ];
        const MORE: [&str; 1] = ["appeal_decision"];
        let mut sql = String::from("UPDATE rectifications SET state = $1, updated_at = $2");
        for (n, (col, _)) in set.iter().enumerate() {
            if !COLUMNS.contains(col) && !MORE.contains(col) {
                return Err(StoreError::Invalid(format!("unknown column {col}")));
            }
            sql.push_str(&format!(", {col} = ${}", n + 6));
        }
        sql.push_str(" WHERE region_code = $3 AND id = $4 AND state = $5");
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let mut q = sqlx::query(&sql)
            .bind(to)
            .bind(now_text())
            .bind(region)
            .bind(id)
            .bind(from);
        for (_, v) in set {
            q = q.bind(*v);
        }
        let done = q.execute(&mut *tx).await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!(
                "整改任务{id}当前不处于可执行此操作的状态"
            )));
        }
        if exclude_rating {
            sqlx::query(
                "UPDATE ratings SET excluded = 1 WHERE id = (SELECT rating_id FROM rectifications WHERE id = $1)",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        let detail = set
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("；");
        audit(
            &mut tx,
            region,
            actor,
            &format!("rectification.{to}"),
            &id.to_string(),
            &detail,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ratings in [from, to) grouped by `department`, `window` or `item`.
    pub async fn rating_rates(&self, region: &str, by: &str, from: &str, to: &str) -> Result<Vec<RateRow>, StoreError> {
        let (key, name) = match by {
            "window" => ("r.window_code", "MAX(COALESCE(w.name, r.window_code))"),
            "item" => ("r.item_code", "MAX(COALESCE(i.name, r.item_code))"),
            _ => ("d.code", "MAX(d.name)"),
        };
        let rows = sqlx::query(&format!(
            "SELECT {key} AS k, {name} AS n, COUNT(*) AS ratings, \
             SUM(CASE WHEN r.level <= 3 THEN 1 ELSE 0 END) AS good, \
             SUM(CASE WHEN r.level >= 4 THEN 1 ELSE 0 END) AS bad, CAST(SUM(r.level) AS BIGINT) AS level_sum \
             FROM ratings r LEFT JOIN departments d ON d.id = r.department_id \
             LEFT JOIN cases c ON c.id = r.case_id LEFT JOIN items i ON i.id = c.item_id \
             LEFT JOIN windows w ON w.region_code = r.region_code AND w.code = r.window_code \
             WHERE r.region_code = $1 AND r.excluded = 0 AND r.created_at >= $2 AND r.created_at < $3 \
             AND {key} IS NOT NULL AND {key} <> '' GROUP BY {key} ORDER BY ratings DESC, k"
        ))
        .bind(region)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let ratings = int(r, "ratings")?;
                let good = opt_int(r, "good")?.unwrap_or(0);
                let sum = opt_int(r, "level_sum")?.unwrap_or(0);
                Ok(RateRow {
                    key: text(r, "k")?,
                    name: opt_text(r, "n")?.unwrap_or_default(),
                    ratings,
                    good,
                    bad: opt_int(r, "bad")?.unwrap_or(0),
                    average_level: if ratings > 0 { sum as f64 / ratings as f64 } else { 0.0 },
                    good_rate: if ratings > 0 { good as f64 / ratings as f64 } else { 0.0 },
                })
            })
            .collect()
    }

    pub async fn recent_ratings(&self, region: &str, limit: i64) -> Result<Vec<Rating>, StoreError> {
        Ok(sqlx::query_as::<_, Rating>(&format!(
            "{RATING_SELECT} WHERE r.region_code = $1 ORDER BY r.id DESC LIMIT $2"
        ))
        .bind(region)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}

// ---------------------------------------------------------------------------------------------------------------
// 电子证照

#[derive(Debug, Clone)]
pub struct StoredLicence {
    pub region_code: String,
    pub content: LicenceContent,
    pub signature: String,
    pub revoked_at: Option<String>,
    pub revoked_by: Option<String>,
    pub revoke_reason: Option<String>,
}

/// By hand: the content is tongban-core's `LicenceContent`, which does not know sqlx, built from the row's columns.
impl<'r> sqlx::FromRow<'r, AnyRow> for StoredLicence {
    fn from_row(r: &'r AnyRow) -> Result<StoredLicence, sqlx::Error> {
        let fields: BTreeMap<String, String> = r
            .try_get::<JsonText<BTreeMap<String, String>>, _>("fields")?
            .into_inner();
        Ok(StoredLicence {
            region_code: text(r, "region_code")?,
            content: LicenceContent {
                licence_id: text(r, "licence_id")?,
                number: text(r, "number")?,
                type_name: text(r, "type_name")?,
                type_code: text(r, "type_code")?,
                holder: text(r, "holder")?,
                holder_code: text(r, "holder_code")?,
                issuer: text(r, "issuer")?,
                issuer_code: text(r, "issuer_code")?,
                issued_on: text(r, "issued_on")?,
                valid_until: opt_text(r, "valid_until")?,
                case_number: text(r, "case_number")?,
                fields,
            },
            signature: text(r, "signature")?,
            revoked_at: opt_text(r, "revoked_at")?,
            revoked_by: opt_text(r, "revoked_by")?,
            revoke_reason: opt_text(r, "revoke_reason")?,
        })
    }
}

impl Store {
    pub async fn licence(&self, licence_id: &str) -> Result<Option<StoredLicence>, StoreError> {
        Ok(
            sqlx::query_as::<_, StoredLicence>("SELECT * FROM licences WHERE licence_id = $1")
                .bind(licence_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn licences_of_holder(&self, region: &str, holder_code: &str) -> Result<Vec<StoredLicence>, StoreError> {
        Ok(sqlx::query_as::<_, StoredLicence>(
            "SELECT * FROM licences WHERE region_code = $1 AND holder_code = $2 ORDER BY id DESC",
        )
        .bind(region)
        .bind(holder_code)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The last licence issued anywhere: the start checks the signing key against it.
    pub async fn latest_licence(&self) -> Result<Option<StoredLicence>, StoreError> {
        Ok(
            sqlx::query_as::<_, StoredLicence>("SELECT * FROM licences ORDER BY id DESC LIMIT 1")
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn recent_licences(&self, region: &str, limit: i64) -> Result<Vec<StoredLicence>, StoreError> {
        Ok(sqlx::query_as::<_, StoredLicence>(
            "SELECT * FROM licences WHERE region_code = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(region)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn revoke_licence(
        &self,
        region: &str,
        licence_id: &str,
        reason: &str,
        actor: &str,
    ) -> Result<(), StoreError> {
        let revoked = self
            .end_once(
                region,
                "licences",
                Key::Text("licence_id", licence_id),
                &[
                    ("revoked_at", &now_text()),
                    ("revoked_by", actor),
                    ("revoke_reason", reason),
                ],
                ("licence.revoke", licence_id, reason, actor),
            )
            .await?;
        if revoked {
            Ok(())
        } else {
            Err(StoreError::Conflict(format!("证照“{licence_id}”不存在或已注销")))
        }
    }

    /// The department's unified social credit code, the issuer code of the licences it signs.
    pub async fn department_credit_code(&self, department_id: i64) -> Result<String, StoreError> {
        let r = sqlx::query("SELECT credit_code FROM departments WHERE id = $1")
            .bind(department_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(text(&r, "credit_code")?)
    }

    pub async fn set_department_credit_code(&self, region: &str, code: &str, credit: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE departments SET credit_code = $1 WHERE region_code = $2 AND code = $3")
            .bind(credit)
            .bind(region)
            .bind(code)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
