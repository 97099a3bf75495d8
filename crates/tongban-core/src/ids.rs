//! Identifiers of people, organisations and places. Each type can only be built through `parse`, so a value of
//! the type is always valid ("parse, don't validate").

use crate::DomainError;
use serde::{Serialize, Serializer};
use std::fmt;

/// 18-character resident identity number, GB 11643-1999: 6-digit region, 8-digit birth date, 3-digit sequence and
/// an ISO 7064 MOD 11-2 check character (`X` stands for 10).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResidentId(String);

const RESIDENT_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const RESIDENT_CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

impl ResidentId {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim().to_ascii_uppercase();
        if s.chars().count() != 18 {
            return Err(DomainError::InvalidResidentId("应为18位"));
        }
        let chars: Vec<char> = s.chars().collect();
        if !chars[..17].iter().all(|c| c.is_ascii_digit()) {
            return Err(DomainError::InvalidResidentId("前17位应为数字"));
        }
        let birth = &s[6..14];
        if chrono::NaiveDate::parse_from_str(birth, "%Y%m%d").is_err() {
            return Err(DomainError::InvalidResidentId("出生日期不存在"));
        }
        let sum: u32 = chars[..17]
            .iter()
            .zip(RESIDENT_WEIGHTS)
            .map(|(c, w)| c.to_digit(10).unwrap_or(0) * w)
            .sum();
        if RESIDENT_CHECK[(sum % 11) as usize] != chars[17] {
            return Err(DomainError::InvalidResidentId("校验码不符"));
        }
        Ok(ResidentId(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `430603********1234`: region kept for routing, birth date and sequence hidden.
    pub fn masked(&self) -> String {
        mask_middle(&self.0, 6, 4)
    }
}

/// 18-character unified social credit code, GB 32100-2015: registering authority, organisation kind, 6-digit
/// region, 9-character organisation code and a weighted MOD 31 check character over its own alphabet
/// (digits and capital letters without I, O, Z, S, V).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CreditCode(String);

const CREDIT_ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const CREDIT_WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

impl CreditCode {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim().to_ascii_uppercase();
        if s.chars().count() != 18 {
            return Err(DomainError::InvalidCreditCode("应为18位"));
        }
        let mut values = Vec::with_capacity(18);
        for c in s.chars() {
            match CREDIT_ALPHABET.find(c) {
                Some(v) => values.push(v as u32),
                None => {
                    return Err(DomainError::InvalidCreditCode(
                        "含有不允许的字符（不使用I、O、Z、S、V）",
                    ))
                }
            }
        }
        if !s[2..8].chars().all(|c| c.is_ascii_digit()) {
            return Err(DomainError::InvalidCreditCode("第3至8位应为行政区划代码"));
        }
        let sum: u32 = values[..17].iter().zip(CREDIT_WEIGHTS).map(|(v, w)| v * w).sum();
        let check = (31 - sum % 31) % 31;
        if values[17] != check {
            return Err(DomainError::InvalidCreditCode("校验码不符"));
        }
        Ok(CreditCode(s))
    }

    /// Computes the check character for the first 17 characters, for generating valid demo codes.
    pub fn check_char(first17: &str) -> Option<char> {
        let mut sum = 0;
        for (c, w) in first17.chars().zip(CREDIT_WEIGHTS) {
            sum += CREDIT_ALPHABET.find(c)? as u32 * w;
        }
        CREDIT_ALPHABET.chars().nth(((31 - sum % 31) % 31) as usize)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl ResidentId {
    /// Computes the check character for the first 17 digits, for generating valid demo numbers.
    pub fn check_char(first17: &str) -> Option<char> {
        let mut sum = 0;
        for (c, w) in first17.chars().zip(RESIDENT_WEIGHTS) {
            sum += c.to_digit(10)? * w;
        }
        Some(RESIDENT_CHECK[(sum % 11) as usize])
    }
}

/// Mainland mobile number: 11 digits starting with 1 and a second digit of 3–9.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s: String = raw.trim().chars().filter(|c| *c != '-' && *c != ' ').collect();
        let s = s.strip_prefix("+86").unwrap_or(&s).to_string();
        if s.len() != 11 || !s.chars().all(|c| c.is_ascii_digit()) {
            return Err(DomainError::InvalidPhone("应为11位数字"));
        }
        if !s.starts_with('1') || !matches!(s.as_bytes()[1], b'3'..=b'9') {
            return Err(DomainError::InvalidPhone("号段不存在"));
        }
        Ok(Phone(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `138****5678`
    pub fn masked(&self) -> String {
        mask_middle(&self.0, 3, 4)
    }
}

/// Keeps `head` leading and `tail` trailing characters and stars the rest; short values are starred whole.
pub fn mask_middle(s: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..head].iter().collect();
    out.push_str(&"*".repeat(chars.len() - head - tail));
    out.extend(&chars[chars.len() - tail..]);
    out
}

/// Administrative division code (行政区划代码): 2 digits for a province, 4 for a city, 6 for a county (GB/T 2260),
/// 9 for a town and 12 for a village (statistical division codes).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegionCode(String);

impl RegionCode {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim();
        if !matches!(s.len(), 2 | 4 | 6 | 9 | 12) || !s.chars().all(|c| c.is_ascii_digit()) {
            return Err(DomainError::InvalidRegionCode(format!("“{s}”应为2、4、6、9或12位数字")));
        }
        Ok(RegionCode(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The county (district) this code belongs to, if it is at county level or below.
    pub fn county(&self) -> Option<RegionCode> {
        (self.0.len() >= 6).then(|| RegionCode(self.0[..6].to_string()))
    }

    /// True when `other` is this region or lies inside it.
    pub fn contains(&self, other: &RegionCode) -> bool {
        other.0.starts_with(&self.0)
    }
}

macro_rules! display_as_str {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
    )*};
}
display_as_str!(ResidentId, CreditCode, Phone, RegionCode);

#[cfg(test)]
mod tests {
    use super::*;

    fn with_check(first17: &str) -> String {
        format!("{first17}{}", ResidentId::check_char(first17).unwrap())
    }

    #[test]
    fn resident_id_accepts_valid_and_names_the_fault() {
        // GB 11643's worked example.
        assert!(ResidentId::parse("11010519491231002X").is_ok());
        assert!(ResidentId::parse("11010519491231002x").is_ok());
        let valid = with_check("43060319900101123");
        assert!(ResidentId::parse(&valid).is_ok());
        assert_eq!(
            ResidentId::parse("110105194912310021"),
            Err(DomainError::InvalidResidentId("校验码不符"))
        );
        assert_eq!(
            ResidentId::parse("1101051949"),
            Err(DomainError::InvalidResidentId("应为18位"))
        );
        assert_eq!(
            ResidentId::parse(&with_check("43060319900231123")),
            Err(DomainError::InvalidResidentId("出生日期不存在"))
        );
        assert_eq!(
            ResidentId::parse("11010519491231A02X"),
            Err(DomainError::InvalidResidentId("前17位应为数字"))
        );
    }

    #[test]
    fn resident_id_masks_birth_and_sequence() {
        let id = ResidentId::parse("11010519491231002X").unwrap();
        assert_eq!(id.masked(), "110105********002X");
    }

    #[test]
    fn credit_code_checks_weighted_mod31() {
        // Published code of a real enterprise (Huawei Technologies Co., Ltd.).
        assert!(CreditCode::parse("914403001922038216").is_ok());
        assert_eq!(
            CreditCode::parse("914403001922038217"),
            Err(DomainError::InvalidCreditCode("校验码不符"))
        );
        assert!(matches!(
            CreditCode::parse("91440300192203821I"),
            Err(DomainError::InvalidCreditCode(_))
        ));
        let first = "91430603MA4L00001";
        let code = format!("{first}{}", CreditCode::check_char(first).unwrap());
        assert!(CreditCode::parse(&code).is_ok());
    }

    #[test]
    fn phone_and_masks() {
        let p = Phone::parse("138-1234-5678").unwrap();
        assert_eq!(p.as_str(), "13812345678");
        assert_eq!(p.masked(), "138****5678");
        assert!(Phone::parse("12812345678").is_err());
        assert!(Phone::parse("1381234567").is_err());
        assert_eq!(mask_middle("ab", 3, 4), "**");
    }

    #[test]
    fn region_codes_nest() {
        let county = RegionCode::parse("430603").unwrap();
        let village = RegionCode::parse("430603001002").unwrap();
        assert!(county.contains(&village));
        assert_eq!(village.county(), Some(county.clone()));
        assert!(!village.contains(&county));
        assert!(RegionCode::parse("43060").is_err());
        assert!(RegionCode::parse("43060a").is_err());
    }
}
