//! Electronic licences (电子证照): the identifier in the GB/T 36904 form, the canonical text a signature covers,
//! and signing and checking with the deployment's Ed25519 key.
//!
//! Identifier: `1.2.156.3005.2.<type code>.<issuer credit code>.<serial>.<version>.<check>`, where the check
//! character is ISO/IEC 7064 MOD 37,36 over the letters and digits of everything before it, so that a mistyped
//! identifier is told apart from one that was never issued.

use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use std::collections::BTreeMap;

pub const ROOT: &str = "1.2.156.3005.2";
const ALPHABET: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// ISO/IEC 7064 MOD 37,36 (hybrid system) check character over the alphanumeric characters of `s`.
pub fn check_char(s: &str) -> char {
    const M: u32 = 36;
    let mut p = M;
    for c in s.chars().filter(|c| c.is_ascii_alphanumeric()) {
        let v = ALPHABET
            .iter()
            .position(|a| *a == c.to_ascii_uppercase() as u8)
            .unwrap_or(0) as u32;
        let mut sum = (p + v) % M;
        if sum == 0 {
            sum = M;
        }
        p = (sum * 2) % (M + 1);
    }
    let check = (M + 1 - p) % M;
    char::from(ALPHABET[check as usize])
}

pub fn identifier(type_code: &str, issuer_code: &str, serial: u64, version: u32) -> String {
    let body = format!("{ROOT}.{type_code}.{issuer_code}.{serial:08}.{version}");
    let check = check_char(&body);
    format!("{body}.{check}")
}

/// Whether `id` has the identifier's shape and a right check character: a wrong one was mistyped or made up.
pub fn identifier_is_well_formed(id: &str) -> bool {
    let Some(rest) = id.strip_prefix(ROOT) else {
        return false;
    };
    let parts: Vec<&str> = rest.trim_start_matches('.').split('.').collect();
    if parts.len() != 5
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.chars().all(|c| c.is_ascii_alphanumeric()))
    {
        return false;
    }
    let Some((body, check)) = id.rsplit_once('.') else {
        return false;
    };
    check.len() == 1 && check.starts_with(check_char(body))
}

/// Everything a licence says, in the order the signature covers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicenceContent {
    pub licence_id: String,
    pub number: String,
    pub type_name: String,
    pub type_code: String,
    pub holder: String,
    pub holder_code: String,
    pub issuer: String,
    pub issuer_code: String,
    pub issued_on: String,
    pub valid_until: Option<String>,
    pub case_number: String,
    pub fields: BTreeMap<String, String>,
}

impl LicenceContent {
    /// One `name=value` line per element, fields sorted by name: the same licence always gives the same bytes.
    pub fn canonical(&self) -> String {
        let mut s = String::new();
        let mut line = |k: &str, v: &str| {
            s.push_str(k);
            s.push('=');
            // A newline inside a value could make two different licences read alike.
            s.push_str(&v.replace('\\', "\\\\").replace('\n', "\\n"));
            s.push('\n');
        };
        line("licence_id", &self.licence_id);
        line("number", &self.number);
        line("type_name", &self.type_name);
        line("type_code", &self.type_code);
        line("holder", &self.holder);
        line("holder_code", &self.holder_code);
        line("issuer", &self.issuer);
        line("issuer_code", &self.issuer_code);
        line("issued_on", &self.issued_on);
        line("valid_until", self.valid_until.as_deref().unwrap_or(""));
        line("case_number", &self.case_number);
        for (k, v) in &self.fields {
            line(&format!("field.{k}"), v);
        }
        s
    }

    /// The signature, base64 (standard alphabet).
    pub fn sign(&self, key: &SigningKey) -> String {
        let sig = key.sign(self.canonical().as_bytes());
        base64::engine::general_purpose::STANDARD.encode(sig.to_bytes())
    }

    /// Whether `signature` (base64) is this content's signature under `key`.
    pub fn verify(&self, key: &VerifyingKey, signature: &str) -> bool {
        let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(signature.trim()) else {
            return false;
        };
        let Ok(sig) = Signature::from_slice(&bytes) else {
            return false;
        };
        key.verify(self.canonical().as_bytes(), &sig).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> LicenceContent {
        LicenceContent {
            licence_id: identifier("511Z07001006", "11430603MB0000015X", 1, 1),
            number: "JY14306030000001".into(),
            type_name: "食品经营许可证".into(),
            type_code: "511Z07001006".into(),
            holder: "云溪区示例餐饮店".into(),
            holder_code: "92430603MA4L0000X1".into(),
            issuer: "区行政审批局".into(),
            issuer_code: "11430603MB0000015X".into(),
            issued_on: "2026-11-27".into(),
            valid_until: Some("2031-11-26".into()),
            case_number: "430603-20261127-000001".into(),
            fields: BTreeMap::from([("经营场所".to_string(), "云溪镇\n一号".to_string())]),
        }
    }

    #[test]
    fn identifiers_carry_a_check_character_that_catches_one_wrong_character() {
        let id = identifier("511Z07001006", "11430603MB0000015X", 42, 1);
        assert!(id.starts_with("1.2.156.3005.2.511Z07001006.11430603MB0000015X.00000042.1."));
        assert!(identifier_is_well_formed(&id));
        let typo = id.replacen("00000042", "00000043", 1);
        assert!(!identifier_is_well_formed(&typo));
        assert!(!identifier_is_well_formed("1.2.156.3005.2.x"));
        assert!(!identifier_is_well_formed("not an id"));
    }

    #[test]
    fn a_signature_covers_every_element_and_the_fields() {
        let key = SigningKey::from_bytes(&[7u8; 32]);
        let lic = sample();
        let sig = lic.sign(&key);
        assert!(lic.verify(&key.verifying_key(), &sig));
        let mut altered = lic.clone();
        altered.valid_until = Some("2099-12-31".into());
        assert!(!altered.verify(&key.verifying_key(), &sig));
        let mut altered = lic.clone();
        altered.fields.insert("经营场所".into(), "别处".into());
        assert!(!altered.verify(&key.verifying_key(), &sig));
        let other = SigningKey::from_bytes(&[8u8; 32]);
        assert!(!lic.verify(&other.verifying_key(), &lic.sign(&other).replace('A', "B")));
        assert!(!lic.verify(&key.verifying_key(), "not base64!"));
    }
}
