//! 电子证照: the signing key, licences issued from finished cases, verification and revocation links.

use crate::cases;
use crate::policy::{self, Capability};
use crate::time::ymd;
use crate::App;
use crate::{Error, ErrorKind};
use chrono::{Datelike, NaiveDate};
use ed25519_dalek::SigningKey;
use rand::RngCore;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;
use tongban_core::licence::{self, LicenceContent};
use tongban_store::{CaseRecord, NewLicence, Session, StoredLicence};

/// The signing key's file in the data directory.
pub const SIGNING_KEY_FILE: &str = "licence-signing.key";

/// The deployment's Ed25519 signing key, kept in `<data dir>/licence-signing.key` (32 raw bytes) and generated on
/// first start. Losing it makes every issued licence unverifiable, so it is never regenerated over an existing file.
pub fn signing_key(data_dir: &Path) -> std::io::Result<SigningKey> {
    let path = data_dir.join(SIGNING_KEY_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => {
            let seed: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{} 不是32字节的Ed25519私钥", path.display()),
                )
            })?;
            Ok(SigningKey::from_bytes(&seed))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(data_dir)?;
            let mut seed = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut seed);
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            use std::io::Write;
            options.open(&path)?.write_all(&seed)?;
            Ok(SigningKey::from_bytes(&seed))
        }
        Err(e) => Err(e),
    }
}

/// The licence approving this case issues, signed; None when its item yields none.
pub async fn licence_for(app: &App, case: &CaseRecord, today: NaiveDate) -> Result<Option<NewLicence>, Error> {
    let Some(item) = cases::guide_version(app, &case.region_code, &case.item_code, case.item_version).await? else {
        return Ok(None);
    };
    let g = &item.guide;
    if g.result_licence.is_empty() {
        return Ok(None);
    }
    let type_code = g
        .implementation_code
        .split('-')
        .next()
        .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric()))
        .map(str::to_string)
        .unwrap_or_else(|| case.item_code.chars().filter(|c| c.is_ascii_alphanumeric()).collect());
    let mut issuer_code = app.store.department_credit_code(case.department_id).await?;
    if issuer_code.is_empty() {
        issuer_code = placeholder_credit_code(&case.region_code, case.department_id);
    }
    let licence_id = licence::identifier(&type_code, &issuer_code, case.id.unsigned_abs(), 1);
    let mut fields = BTreeMap::new();
    fields.insert("事项名称".to_string(), case.item_name.clone());
    if let Some(form) = case.form.as_object() {
        for (k, v) in form {
            if let Some(v) = v.as_str() {
                fields.insert(k.clone(), v.to_string());
            }
        }
    }
    // Permits of this kind run five years under most of their laws; items that differ say so in their fields.
    let valid_until = NaiveDate::from_ymd_opt(today.year() + 5, today.month(), today.day())
        .or_else(|| NaiveDate::from_ymd_opt(today.year() + 5, today.month(), 28))
        .and_then(|d| d.pred_opt())
        .map(ymd);
    let content = LicenceContent {
        licence_id,
        number: format!("{}{}{:06}", case.region_code, today.year(), case.id),
        type_name: g.result_licence.clone(),
        type_code,
        holder: case.applicant_name.clone(),
        holder_code: case.applicant_identifier.clone(),
        issuer: case.department_name.clone(),
        issuer_code,
        issued_on: ymd(today),
        valid_until,
        case_number: case.number.clone(),
        fields,
    };
    let signature = content.sign(&app.signing_key);
    Ok(Some(NewLicence { content, signature }))
}

/// A GB 32100-valid code for a department that has none recorded yet (the administrator should record the real
/// one): 11 (government organ) + region + a number from the department id + the check character.
pub fn placeholder_credit_code(region: &str, department_id: i64) -> String {
    let first17 = format!("11{region}MB{:07}", department_id.rem_euclid(10_000_000));
    let check = tongban_core::ids::CreditCode::check_char(&first17).unwrap_or('0');
    format!("{first17}{check}")
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Verification {
    /// `valid`, `expired`, `revoked`, `forged` or `unknown`
    pub status: String,
    pub status_label: String,
    pub licence_id: String,
    /// Why, in Chinese.
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub licence: Option<LicenceView>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LicenceView {
    pub licence_id: String,
    pub number: String,
    pub type_name: String,
    pub holder: String,
    /// Masked for the public
    pub holder_code: String,
    pub issuer: String,
    pub issuer_code: String,
    pub issued_on: String,
    pub valid_until: Option<String>,
    pub case_number: String,
    pub fields: BTreeMap<String, String>,
    pub signature: String,
    pub revoked_at: Option<String>,
    pub revoke_reason: Option<String>,
}

pub fn licence_view(l: &StoredLicence, whole: bool) -> LicenceView {
    let c = &l.content;
    LicenceView {
        licence_id: c.licence_id.clone(),
        number: c.number.clone(),
        type_name: c.type_name.clone(),
        holder: c.holder.clone(),
        holder_code: if whole || c.holder_code.len() != 18 || !c.holder_code.starts_with(|ch: char| ch.is_ascii_digit())
        {
            c.holder_code.clone()
        } else if c.holder_code.chars().all(|ch| ch.is_ascii_digit() || ch == 'X') {
            crate::policy::mask::identifier("person", &c.holder_code)
        } else {
            c.holder_code.clone()
        },
        issuer: c.issuer.clone(),
        issuer_code: c.issuer_code.clone(),
        issued_on: c.issued_on.clone(),
        valid_until: c.valid_until.clone(),
        case_number: c.case_number.clone(),
        fields: c.fields.clone(),
        signature: l.signature.clone(),
        revoked_at: l.revoked_at.clone(),
        revoke_reason: l.revoke_reason.clone(),
    }
}

/// Checks a licence: it must exist, its stored content must match the signature under the deployment key, a
/// signature presented with it (from a QR code or a copy) must be that same signature; then revocation and expiry.
pub async fn verify_licence(
    app: &App,
    licence_id: &str,
    presented_signature: Option<&str>,
    today: NaiveDate,
) -> Result<Verification, Error> {
    let answer = |status: &str, label: &str, reason: String, licence: Option<LicenceView>| Verification {
        status: status.into(),
        status_label: label.into(),
        licence_id: licence_id.to_string(),
        reason,
        licence,
    };
    let id = licence_id.trim();
    if !licence::identifier_is_well_formed(id) {
        return Ok(answer("unknown", "查无此证", "证照标识格式或校验位不正确".into(), None));
    }
    let Some(l) = app.store.licence(id).await? else {
        return Ok(answer("unknown", "查无此证", "本平台未签发此证照".into(), None));
    };
    let view = licence_view(&l, false);
    if !l.content.verify(&app.signing_key.verifying_key(), &l.signature) {
        return Ok(answer(
            "forged",
            "伪造或被篡改",
            "证照内容与签发时的签名不符".into(),
            Some(view),
        ));
    }
    if let Some(sig) = presented_signature.map(str::trim).filter(|s| !s.is_empty()) {
        if sig != l.signature {
            return Ok(answer(
                "forged",
                "伪造或被篡改",
                "所出示证照的签名与签发记录不符".into(),
                Some(view),
            ));
        }
    }
    if let Some(at) = &l.revoked_at {
        return Ok(answer(
            "revoked",
            "已注销",
            format!(
                "于{}注销：{}",
                &at[..10.min(at.len())],
                l.revoke_reason.clone().unwrap_or_default()
            ),
            Some(view),
        ));
    }
    if let Some(until) = &l.content.valid_until {
        if until.as_str() < ymd(today).as_str() {
            return Ok(answer("expired", "已过期", format!("有效期至{until}"), Some(view)));
        }
    }
    Ok(answer("valid", "有效", "签名有效，证照在有效期内".into(), Some(view)))
}

/// The QR code of a licence's verification address, as an SVG drawing.
pub fn licence_qr_svg(verify_url: &str) -> String {
    match qrcode::QrCode::new(verify_url.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(180, 180)
            .build(),
        Err(_) => String::new(),
    }
}

pub fn verify_path(l: &StoredLicence) -> String {
    format!(
        "/licences/verify?id={}&sig={}",
        crate::url::encode(&l.content.licence_id),
        crate::url::encode(&l.signature)
    )
}

// ---------------------------------------------------------------------------------------------------------------
// Staff reading and revoking a licence

/// One licence, whole, for those who may read the case it was issued on (`policy::may_read_case`); for anyone else
/// of the region, or of another region, it is not found. (Anyone may check it is genuine: `verify_licence`.)
pub async fn read_licence(app: &App, s: &Session, licence_id: &str) -> Result<LicenceView, Error> {
    let not_found = || Error::not_found(format!("证照“{licence_id}”"));
    let l = app
        .store
        .licence(licence_id)
        .await?
        .filter(|l| l.region_code == s.staff.region_code)
        .ok_or_else(not_found)?;
    crate::cases::load(app, s, &l.content.case_number).await.map_err(|e| {
        if e.kind == crate::ErrorKind::NotFound {
            not_found()
        } else {
            e
        }
    })?;
    Ok(licence_view(&l, true))
}

/// The QR code (SVG) of the verification address of the licence, empty when there is no such licence.
pub async fn verification_qr(app: &App, licence_id: &str) -> String {
    match app.store.licence(licence_id).await {
        Ok(Some(l)) => licence_qr_svg(&verify_path(&l)),
        _ => String::new(),
    }
}

/// Revokes a licence: the head of the issuing department or an administrator, with a reason; audited.
pub async fn revoke_licence(app: &App, s: &Session, licence_id: &str, reason: &str) -> Result<LicenceView, Error> {
    policy::require(&s.staff, Capability::RevokeLicences)?;
    let l = match app.store.licence(licence_id).await? {
        Some(l) if l.region_code == s.staff.region_code => l,
        _ => return Err(Error::not_found(format!("证照“{licence_id}”"))),
    };
    // Department staff (a head) revoke only what their own department issued.
    if policy::own_department_only(s) && s.staff.department_name.as_deref() != Some(l.content.issuer.as_str()) {
        return Err(Error::forbidden("只能注销本部门签发的证照"));
    }
    if reason.trim().is_empty() {
        return Err(Error::unprocessable("missing_reason", "注销须说明理由"));
    }
    app.store
        .revoke_licence(&s.staff.region_code, licence_id, reason.trim(), &s.staff.username)
        .await
        .map_err(|e| match e {
            tongban_store::StoreError::Conflict(m) => Error::new(ErrorKind::Conflict, "already_revoked", m),
            other => other.into(),
        })?;
    let l = app
        .store
        .licence(licence_id)
        .await?
        .ok_or_else(|| Error::not_found(format!("证照“{licence_id}”")))?;
    Ok(licence_view(&l, true))
}

// ---------------------------------------------------------------------------------------------------------------
// Applicants signing in
