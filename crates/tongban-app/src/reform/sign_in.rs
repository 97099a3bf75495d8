//! The applicant's sign-in by SMS code, their session, and what the signed-in applicant sees of their own.

use super::{licence_view, LicenceView};
use crate::throttle::{self, ClientAddress};
use crate::App;
use crate::{Error, ErrorKind};
use rand::RngCore;
use serde::Serialize;
use tongban_store::{ApplicantSession, Notification};

/// Sends a six-digit sign-in code to the phone; the identifier must be a valid ID number or credit code.
/// At most `throttle::SIGN_IN_CODES_PER_ADDRESS` from one address, whatever the phones.
pub async fn send_sign_in_code(
    app: &App,
    region: &str,
    identifier: &str,
    phone: &str,
    address: ClientAddress,
) -> Result<(), Error> {
    let (identifier, phone) = parse_identity(identifier, phone)?;
    throttle::hit_address(app, throttle::SIGN_IN_CODES_PER_ADDRESS, address).await?;
    let code = format!("{:06}", rand::rngs::OsRng.next_u32() % 1_000_000);
    let sms = Notification {
        channel: "sms".into(),
        recipient: phone.clone(),
        body: format!(
            "{}您的登录验证码为{code}，10分钟内有效。如非本人操作请忽略。",
            app.config.sms_signature()
        ),
    };
    app.store
        .issue_sign_in_code(region, &identifier, &phone, &code, &sms)
        .await
        .map_err(|e| match e {
            tongban_store::StoreError::Conflict(m) => Error::new(ErrorKind::TooMany, "too_many_codes", m),
            other => other.into(),
        })
}

/// The person signing in: an ID number and a phone. An enterprise signs in through a person — its legal
/// representative or an agent it authorised — so a credit code here is refused with that explained.
pub fn parse_identity(identifier: &str, phone: &str) -> Result<(String, String), Error> {
    let raw = identifier.trim().to_uppercase();
    let identifier =
        match tongban_core::ids::ResidentId::parse(&raw) {
            Ok(id) => id.as_str().to_string(),
            Err(_) if tongban_core::ids::CreditCode::parse(&raw).is_ok() => return Err(Error::unprocessable(
                "enterprise_signs_in_through_a_person",
                "企业请由法定代表人或经授权的经办人以本人身份证号码登录，登录时选择所代表的企业（统一社会信用代码）",
            )),
            Err(person_err) => return Err(person_err.into()),
        };
    let phone = tongban_core::ids::Phone::parse(phone)?.as_str().to_string();
    Ok((identifier, phone))
}

/// The name an applicant signs in under: a person's name or an enterprise's, as the cases they file will carry it.
fn parse_name(name: &str) -> Result<String, Error> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(Error::unprocessable(
            "invalid_name",
            "请填写姓名（企业填写单位名称），不超过100个字",
        ));
    }
    Ok(name.to_string())
}

/// How the person proves who they are.
#[derive(Debug, Clone, Copy)]
pub enum Proof<'a> {
    /// The SMS code sent to the phone.
    Code(&'a str),
    /// The password the person registered.
    Password(&'a str),
}

/// A sign-in as the portal and the API receive it.
#[derive(Debug, Clone, Copy)]
pub struct SignInRequest<'a> {
    /// The person's ID number.
    pub identifier: &'a str,
    /// The person's name (with a code; with a password the registered name is used).
    pub name: &'a str,
    pub phone: &'a str,
    pub proof: Proof<'a>,
    /// An enterprise's credit code, to act for it as its legal representative or an agent it authorised.
    pub enterprise: Option<&'a str>,
}

/// Signs the applicant in and opens a session; returns (token, csrf). The person signs in as themself, or — naming
/// an enterprise's credit code — for the enterprise they represent or are authorised by (403
/// `not_authorised_for_enterprise` otherwise). Codes and passwords are guessed alike, so both are throttled as
/// `throttle::before_password` says: codes per phone, passwords per ID number.
pub async fn sign_in(
    app: &App,
    region: &str,
    r: SignInRequest<'_>,
    address: ClientAddress,
) -> Result<(String, String), Error> {
    match r.proof {
        Proof::Code(code) => sign_in_with_code(app, region, &r, code, address).await,
        Proof::Password(password) => sign_in_with_password(app, region, &r, password, address).await,
    }
}

async fn sign_in_with_code(
    app: &App,
    region: &str,
    r: &SignInRequest<'_>,
    code: &str,
    address: ClientAddress,
) -> Result<(String, String), Error> {
    let enterprise = r.enterprise;
    let (person, phone) = parse_identity(r.identifier, r.phone)?;
    let name = parse_name(r.name)?;
    // A code is guessed like a password: the same limits, on the phone it was sent to.
    throttle::before_password(app, &phone, address).await?;
    let who = identity(app, region, person, name, phone.clone(), enterprise).await?;
    let token = random_token();
    let csrf = random_token();
    match app.store.sign_in_applicant(region, &who, code, &token, &csrf).await? {
        tongban_store::SignIn::Ok => {
            throttle::password_succeeded(app, &phone, address).await?;
            Ok((token, csrf))
        }
        tongban_store::SignIn::WrongCode => {
            throttle::password_failed(app, &phone, address).await?;
            Err(Error::unauthorized("验证码不正确"))
        }
        tongban_store::SignIn::NoCode => Err(Error::new(
            ErrorKind::Unauthenticated,
            "code_expired",
            "验证码已失效或错误次数过多，请重新获取",
        )),
    }
}

fn random_token() -> String {
    let mut bytes = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The applicant's live session behind a token, if any.
pub async fn applicant_session(app: &App, token: &str) -> Result<Option<ApplicantSession>, Error> {
    Ok(app.store.applicant_session(token).await?)
}

/// The applicant signed in with the token; a token that opens no session is refused (401 `invalid_token`).
pub async fn signed_in_applicant(app: &App, token: &str) -> Result<ApplicantSession, Error> {
    applicant_session(app, token).await?.ok_or_else(invalid_token)
}

/// Signs the applicant out: the token's session ends.
pub async fn sign_out(app: &App, token: &str) -> Result<(), Error> {
    Ok(app.store.end_applicant_session(token).await?)
}

/// One live sign-in of an identity, as its owner sees it in the list of devices.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionView {
    /// The handle to end it with (not the token)
    pub session_id: String,
    pub name: String,
    pub created_at: String,
    pub expires_at: String,
    /// The session this request was made in
    pub current: bool,
}

/// The signed-in identity's live sessions (on every device), newest first.
pub async fn my_sessions(app: &App, a: &ApplicantSession) -> Result<Vec<SessionView>, Error> {
    Ok(app
        .store
        .applicant_sessions(&a.region_code, &a.identifier, &a.phone)
        .await?
        .into_iter()
        .map(|s| SessionView {
            current: s.session_id == a.session_id,
            session_id: s.session_id,
            name: s.name,
            created_at: s.created_at,
            expires_at: s.expires_at,
        })
        .collect())
}

/// Ends one of the signed-in identity's sessions (a lost phone, a shared computer); 404 when it has no such one.
pub async fn end_my_session(app: &App, a: &ApplicantSession, session_id: &str) -> Result<(), Error> {
    if app
        .store
        .end_applicant_session_by_id(&a.region_code, &a.identifier, &a.phone, session_id)
        .await?
    {
        Ok(())
    } else {
        Err(Error::not_found(format!("登录会话“{session_id}”")))
    }
}

/// The identity a session carries: the person, or the enterprise they stand for (checked now).
async fn identity(
    app: &App,
    region: &str,
    person: String,
    name: String,
    phone: String,
    enterprise: Option<&str>,
) -> Result<tongban_store::SignInIdentity, Error> {
    Ok(match enterprise.map(str::trim).filter(|e| !e.is_empty()) {
        None => tongban_store::SignInIdentity {
            identifier: person.clone(),
            name,
            person_identifier: person,
            phone,
            acting_as: String::new(),
        },
        Some(raw) => {
            let credit_code = tongban_core::ids::CreditCode::parse(&raw.to_uppercase())?
                .as_str()
                .to_string();
            let standing = app
                .store
                .enterprise_standing(region, &credit_code, &person)
                .await?
                .ok_or_else(not_authorised)?;
            tongban_store::SignInIdentity {
                identifier: credit_code,
                name: standing.enterprise_name,
                person_identifier: person,
                phone,
                acting_as: standing.role,
            }
        }
    })
}

/// The same answer for every mismatch of ID number, phone and password, so that it tells nothing about which part
/// was wrong.
async fn sign_in_with_password(
    app: &App,
    region: &str,
    r: &SignInRequest<'_>,
    password: &str,
    address: ClientAddress,
) -> Result<(String, String), Error> {
    let enterprise = r.enterprise;
    let (person, phone) = parse_identity(r.identifier, r.phone)?;
    throttle::before_password(app, &person, address).await?;
    let wrong = || {
        Error::new(
            ErrorKind::Unauthenticated,
            "wrong_password",
            "身份证号码、手机号码或密码不正确",
        )
    };
    let registered = app.store.applicant_password(region, &person).await?;
    let (registered_phone, name, hash) =
        registered.unwrap_or_else(|| (String::new(), String::new(), crate::auth::DUMMY_HASH.to_string()));
    let right = crate::auth::check_password(password, hash).await?;
    if !right || registered_phone != phone {
        throttle::password_failed(app, &person, address).await?;
        return Err(wrong());
    }
    throttle::password_succeeded(app, &person, address).await?;
    let who = identity(app, region, person, name, phone, enterprise).await?;
    let (token, csrf) = (random_token(), random_token());
    app.store.open_applicant_session(region, &who, &token, &csrf).await?;
    Ok((token, csrf))
}

/// The signed-in person registers a password for later sign-ins, under the one password rule
/// (`passwords::check_new`): not the ID number or the phone either.
pub async fn set_password(app: &App, a: &ApplicantSession, password: &str) -> Result<(), Error> {
    if !a.acting_as.is_empty() {
        return Err(Error::new(
            ErrorKind::Forbidden,
            "person_session_required",
            "请以个人身份登录（不选企业）后设置密码",
        ));
    }
    crate::passwords::check_new(password, &[&a.phone, &a.identifier])?;
    let hash = tongban_store::hash_password(password)?;
    Ok(app
        .store
        .set_applicant_password(&a.region_code, &a.identifier, &a.phone, &a.name, &hash)
        .await?)
}

/// Opens a session for a person whose identity another service vouched for (the identity service's ID token).
pub(super) async fn open_session_for(
    app: &App,
    region: &str,
    id_number: &str,
    name: &str,
    phone: &str,
) -> Result<(String, String), Error> {
    let (person, phone) = parse_identity(id_number, phone)?;
    let name = parse_name(name)?;
    let who = identity(app, region, person, name, phone, None).await?;
    let (token, csrf) = (random_token(), random_token());
    app.store.open_applicant_session(region, &who, &token, &csrf).await?;
    Ok((token, csrf))
}

fn not_authorised() -> Error {
    Error::new(
        crate::ErrorKind::Forbidden,
        "not_authorised_for_enterprise",
        "您不是该企业登记的法定代表人，也未获其授权办事",
    )
}

/// The enterprise-side text of a case filed online for an enterprise: who filed it and in what capacity, checked
/// again now — an agent whose authorisation was withdrawn files nothing (403). Empty for a person.
pub async fn acting_agent(app: &App, a: &ApplicantSession) -> Result<String, Error> {
    if a.acting_as.is_empty() {
        return Ok(String::new());
    }
    let standing = app
        .store
        .enterprise_standing(&a.region_code, &a.identifier, &a.person_identifier)
        .await?
        .ok_or_else(not_authorised)?;
    let capacity = if standing.role == "representative" {
        "法定代表人"
    } else {
        "经办人（经法定代表人授权）"
    };
    Ok(format!(
        "{capacity}：{}（{}）",
        standing.person_name,
        crate::policy::mask::identifier("person", &standing.person_identifier)
    ))
}

/// The cases a signed-in applicant may follow: a person's, filed under their ID number with this phone; an
/// enterprise's, every one of the enterprise's cases for its representative and agents.
pub async fn cases_of(app: &App, a: &ApplicantSession) -> Result<Vec<tongban_store::CaseRecord>, Error> {
    let mut cases = if a.acting_as.is_empty() {
        app.store
            .applicant_cases(&a.region_code, &a.identifier, &a.phone)
            .await?
    } else {
        app.store.cases_of_applicant(&a.region_code, &a.identifier).await?
    };
    cases.sort_by(|x, y| y.created_at.cmp(&x.created_at).then(y.id.cmp(&x.id)));
    Ok(cases)
}

/// Whether a case is the signed-in applicant's to follow and act on.
pub fn owns(a: &ApplicantSession, c: &tongban_store::CaseRecord) -> bool {
    c.region_code == a.region_code
        && c.applicant_identifier == a.identifier
        && (!a.acting_as.is_empty() || c.applicant_phone == a.phone)
}

/// The enterprise's authorised agents (its representative only).
pub async fn my_agents(app: &App, a: &ApplicantSession) -> Result<Vec<tongban_store::EnterprisePerson>, Error> {
    representative_only(a)?;
    Ok(app.store.enterprise_agents(&a.region_code, &a.identifier).await?)
}

/// The representative authorises a person to act for the enterprise.
pub async fn add_agent(app: &App, a: &ApplicantSession, id_number: &str, name: &str) -> Result<(), Error> {
    representative_only(a)?;
    let id = tongban_core::ids::ResidentId::parse(&id_number.trim().to_uppercase())?;
    let name = parse_name(name)?;
    let me = app
        .store
        .enterprise_standing(&a.region_code, &a.identifier, &a.person_identifier)
        .await?
        .ok_or_else(not_authorised)?;
    app.store
        .add_enterprise_agent(&a.region_code, &me, id.as_str(), &name, &me.person_name)
        .await
        .map_err(|e| match e {
            tongban_store::StoreError::Conflict(m) => Error::conflict("already_authorised", m),
            other => other.into(),
        })
}

/// The representative withdraws an agent's authorisation; their sessions for the enterprise end with it.
pub async fn remove_agent(app: &App, a: &ApplicantSession, id_number: &str) -> Result<(), Error> {
    representative_only(a)?;
    let id = id_number.trim().to_uppercase();
    if app
        .store
        .remove_enterprise_agent(&a.region_code, &a.identifier, &id, &a.person_identifier)
        .await?
    {
        Ok(())
    } else {
        Err(Error::not_found(format!(
            "经办人“{}”",
            crate::policy::mask::identifier("person", &id)
        )))
    }
}

fn representative_only(a: &ApplicantSession) -> Result<(), Error> {
    if a.acting_as == "representative" {
        Ok(())
    } else {
        Err(Error::new(
            crate::ErrorKind::Forbidden,
            "representative_only",
            "只有企业的法定代表人可以授权或撤销经办人",
        ))
    }
}

/// An administrator records an enterprise's legal representative (from its registration record).
pub async fn register_representative(
    app: &App,
    staff: &tongban_store::Staff,
    credit_code: &str,
    enterprise_name: &str,
    id_number: &str,
    name: &str,
) -> Result<(), Error> {
    crate::policy::require(staff, crate::policy::Capability::ConfigureReform)?;
    let code = tongban_core::ids::CreditCode::parse(&credit_code.trim().to_uppercase())?;
    let id = tongban_core::ids::ResidentId::parse(&id_number.trim().to_uppercase())?;
    let enterprise_name = parse_name(enterprise_name)?;
    let name = parse_name(name)?;
    Ok(app
        .store
        .register_representative(
            &staff.region_code,
            code.as_str(),
            &enterprise_name,
            id.as_str(),
            &name,
            &staff.username,
        )
        .await?)
}

pub(super) fn invalid_token() -> Error {
    Error::new(
        ErrorKind::Unauthenticated,
        "invalid_token",
        "访问令牌无效或已过期，请重新登录",
    )
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MyCase {
    /// Empty for a draft
    pub number: String,
    /// The state's name as the applicant reads it (草稿 for a draft)
    pub state_label: String,
    pub item_code: String,
    /// The draft's id, for a draft (state `draft`)
    pub draft_id: Option<i64>,
    pub item_name: String,
    pub department: String,
    pub state: String,
    pub due_date: Option<String>,
    pub licence_id: Option<String>,
    pub rated: bool,
    /// Finished (decided, delivered or closed), so that it can be rated.
    pub finished: bool,
    pub created_at: String,
}

/// The signed-in applicant's drafts, then their cases, newest first, each case with whether it has been rated.
pub async fn my_cases(app: &App, a: &ApplicantSession) -> Result<Vec<MyCase>, Error> {
    let mut out: Vec<MyCase> = crate::cases::my_drafts(app, a)
        .await?
        .into_iter()
        .map(|d| MyCase {
            number: String::new(),
            item_code: d.item_code,
            draft_id: Some(d.id),
            item_name: d.item_name,
            department: String::new(),
            state: "draft".into(),
            state_label: "草稿".into(),
            due_date: None,
            licence_id: None,
            rated: false,
            finished: false,
            created_at: d.updated_at,
        })
        .collect();
    for c in cases_of(app, a).await? {
        let rated = app.store.rating_for_case(c.id).await?.is_some();
        let finished = c.completed_on.is_some() || c.closed_at.is_some();
        out.push(MyCase {
            number: c.number,
            item_code: c.item_code,
            draft_id: None,
            item_name: c.item_name,
            department: c.department_name,
            state_label: crate::cases::template(app, &c.region_code, &c.workflow_code)
                .await?
                .state(&c.state)
                .map(|st| st.label.clone())
                .unwrap_or_else(|| c.state.clone()),
            state: c.state,
            due_date: c.due_date,
            licence_id: c.licence_id,
            rated,
            finished,
            created_at: c.created_at,
        });
    }
    Ok(out)
}

/// The licences issued on the applicant's own cases.
pub async fn my_licences(app: &App, a: &ApplicantSession) -> Result<Vec<LicenceView>, Error> {
    let cases = cases_of(app, a).await?;
    Ok(app
        .store
        .licences_of_holder(&a.region_code, &a.identifier)
        .await?
        .iter()
        .filter(|l| cases.iter().any(|c| c.number == l.content.case_number))
        .map(|l| licence_view(l, true))
        .collect())
}
