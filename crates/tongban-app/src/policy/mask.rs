//! How personal data looks to a reader the policy does not let see it whole. The only masking functions of the
//! platform: lists, pages, exports, the API and the audit trail all use these.

use tongban_core::ids::mask_middle;

/// An applicant's identifier: a person's ID number keeps its first six (the region) and last four characters; an
/// enterprise's credit code is public and stays whole.
pub fn identifier(kind: &str, id: &str) -> String {
    if kind == "person" {
        mask_middle(id, 6, 4)
    } else {
        id.to_string()
    }
}

/// A phone number keeps its first three and last four digits; an empty one stays empty.
pub fn phone(p: &str) -> String {
    if p.is_empty() {
        String::new()
    } else {
        mask_middle(p, 3, 4)
    }
}

/// A person's name keeps its first character (张**).
pub fn name(n: &str) -> String {
    mask_middle(n, 1, 0)
}

/// An e-mail address keeps the first character of the user and the whole domain.
pub fn email(e: &str) -> String {
    match e.split_once('@') {
        Some((user, domain)) => format!("{}@{domain}", mask_middle(user, 1, 0)),
        None => mask_middle(e, 1, 0),
    }
}

/// An identifier as the audit trail and the applicant's own pages name a signed-in applicant: enough to tell two
/// apart, not enough to use.
pub fn signed_in(identifier: &str) -> String {
    mask_middle(identifier, 4, 4)
}
