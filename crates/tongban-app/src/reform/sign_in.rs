//! The applicant's sign-in by SMS code, their session, and what the signed-in applicant sees of their own.

use super::{licence_view, LicenceView};
use crate::App;
use crate::{Error, ErrorKind};
use rand::RngCore;
use serde::Serialize;
use tongban_store::{ApplicantSession, Notification};

/// Sends a six-digit sign-in code to the phone; the identifier must be a valid ID number or credit code.
pub async fn send_sign_in_code(app: &App, region: &str, identifier: &str, phone: &str) -> Result<(), Error> {
    let (identifier, phone) = parse_identity(identifier, phone)?;
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

pub fn parse_identity(identifier: &str, phone: &str) -> Result<(String, String), Error> {
    let raw = identifier.trim().to_uppercase();
    let identifier = match tongban_core::ids::ResidentId::parse(&raw) {
        Ok(id) => id.as_str().to_string(),
        Err(person_err) => match tongban_core::ids::CreditCode::parse(&raw) {
            Ok(code) => code.as_str().to_string(),
            Err(_) => return Err(person_err.into()),
        },
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

/// Checks the code and opens a session under the identity (identifier, name, phone); returns (token, csrf).
pub async fn sign_in(
    app: &App,
    region: &str,
    identifier: &str,
    name: &str,
    phone: &str,
    code: &str,
) -> Result<(String, String), Error> {
    let (identifier, phone) = parse_identity(identifier, phone)?;
    let name = parse_name(name)?;
    let token = random_token();
    let csrf = random_token();
    match app
        .store
        .sign_in_applicant(region, &identifier, &phone, &name, code, &token, &csrf)
        .await?
    {
        tongban_store::SignIn::Ok => Ok((token, csrf)),
        tongban_store::SignIn::WrongCode => Err(Error::unauthorized("验证码不正确")),
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
    pub number: String,
    pub item_name: String,
    pub department: String,
    pub state: String,
    pub due_date: Option<String>,
    pub licence_id: Option<String>,
    pub rated: bool,
    pub created_at: String,
}

/// The signed-in applicant's cases, newest first, each with whether it has been rated.
pub async fn my_cases(app: &App, a: &ApplicantSession) -> Result<Vec<MyCase>, Error> {
    let mut out = Vec::new();
    for c in app
        .store
        .applicant_cases(&a.region_code, &a.identifier, &a.phone)
        .await?
    {
        let rated = app.store.rating_for_case(c.id).await?.is_some();
        out.push(MyCase {
            number: c.number,
            item_name: c.item_name,
            department: c.department_name,
            state: c.state,
            due_date: c.due_date,
            licence_id: c.licence_id,
            rated,
            created_at: c.created_at,
        });
    }
    Ok(out)
}

/// The licences issued on the applicant's own cases.
pub async fn my_licences(app: &App, a: &ApplicantSession) -> Result<Vec<LicenceView>, Error> {
    let cases = app
        .store
        .applicant_cases(&a.region_code, &a.identifier, &a.phone)
        .await?;
    Ok(app
        .store
        .licences_of_holder(&a.region_code, &a.identifier)
        .await?
        .iter()
        .filter(|l| cases.iter().any(|c| c.number == l.content.case_number))
        .map(|l| licence_view(l, true))
        .collect())
}
