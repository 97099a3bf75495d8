//! The applicant's sign-in by SMS code.

use crate::App;
use crate::{Error, ErrorKind};
use rand::RngCore;
use tongban_store::Notification;

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

/// Checks the code and opens a session; returns (token, csrf).
pub async fn sign_in(
    app: &App,
    region: &str,
    identifier: &str,
    phone: &str,
    code: &str,
) -> Result<(String, String), Error> {
    let (identifier, phone) = parse_identity(identifier, phone)?;
    let token = random_token();
    let csrf = random_token();
    match app
        .store
        .sign_in_applicant(region, &identifier, &phone, code, &token, &csrf)
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
