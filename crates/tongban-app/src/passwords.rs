//! The one rule for new passwords, staff and applicants alike (OWASP ASVS V2.1): at least 12 characters, at most
//! 128, not a common password or a common stem with digits around it, not one character or a short run repeated,
//! and not the account's own name, phone or ID number.

use crate::Error;
use std::collections::HashSet;
use std::sync::OnceLock;

pub const MIN_CHARS: usize = 12;
pub const MAX_CHARS: usize = 128;

const COMMON: &str = include_str!("../../../data/security/common-passwords.txt");

fn common() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        COMMON
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    })
}

/// Whether the text is a short unit repeated ("abcabcabcabc", "121212121212").
fn repeats_a_short_unit(p: &[char]) -> bool {
    (1..=p.len() / 2).any(|unit| p.len().is_multiple_of(unit) && p.chunks(unit).all(|c| c == &p[..unit]))
}

/// Whether every step between neighbouring characters is the same +1 or −1 ("abcdefghijkl", "987654321098").
fn is_a_run(p: &[char]) -> bool {
    let steps: Vec<i64> = p
        .windows(2)
        .map(|w| i64::from(w[1] as u32) - i64::from(w[0] as u32))
        .collect();
    steps.iter().all(|s| *s == 1) || steps.iter().all(|s| *s == -1)
}

/// Checks a new password; `personal` are the account's own identifiers (user name, phone, ID number), none of which
/// (nor the last eight characters of a long one) may appear in it. The error names what is wrong.
pub fn check_new(password: &str, personal: &[&str]) -> Result<(), Error> {
    let chars: Vec<char> = password.chars().collect();
    let fail = |why: &str| Err(Error::unprocessable("weak_password", format!("密码{why}")));
    if chars.len() < MIN_CHARS || chars.len() > MAX_CHARS {
        return fail(&format!("应为{MIN_CHARS}到{MAX_CHARS}个字符"));
    }
    if chars.iter().any(|c| c.is_control()) {
        return fail("不能含控制字符");
    }
    let lower = password.to_lowercase();
    let stem = lower.trim_matches(|c: char| c.is_ascii_digit() || c.is_ascii_punctuation() || c == ' ');
    if common().contains(lower.as_str()) || common().contains(stem) || stem.chars().count() < 3 {
        return fail("过于常见（常用密码或常用词加数字），请换一个不易猜到的密码");
    }
    let lower_chars: Vec<char> = lower.chars().collect();
    if repeats_a_short_unit(&lower_chars) || is_a_run(&lower_chars) {
        return fail("不能是重复或连续的字符");
    }
    for p in personal
        .iter()
        .map(|p| p.trim().to_lowercase())
        .filter(|p| p.chars().count() >= 4)
    {
        let tail: String = {
            let c: Vec<char> = p.chars().collect();
            c[c.len().saturating_sub(8)..].iter().collect()
        };
        if lower.contains(&p) || lower.contains(&tail) {
            return fail("不能包含用户名、手机号码或身份证号码");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_passwords_are_refused_with_the_reason() {
        for (p, why) in [
            ("short-1", "12到128"),
            ("password1234", "过于常见"),
            ("Woaini1314520", "过于常见"),
            ("123456789012", "过于常见"),
            ("!!qwertyuiop!!", "过于常见"),
            ("abcabcabcabc", "重复或连续"),
            ("zzzzzzzzzzzz", "重复或连续"),
            ("lmnopqrstuvw", "重复或连续"),
            ("clerk-zhang-2026", "用户名"),
            ("my13812345678pw", "手机号码"),
        ] {
            let e = check_new(p, &["clerk-zhang", "13812345678"]).expect_err(p);
            assert_eq!(e.code, "weak_password");
            assert!(e.message.contains(why), "{p}: {}", e.message);
        }
    }

    #[test]
    fn ordinary_long_passphrases_pass() {
        for p in ["云溪区政务大厅2026窗口", "correct horse battery", "Tb-7f3k!q9Lm2x"] {
            assert!(check_new(p, &["clerk", "13812345678"]).is_ok(), "{p}");
        }
    }
}
