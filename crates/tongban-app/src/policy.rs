//! The one access policy: who may read and act on what (roles × departments × resources), and which personal
//! fields each reader sees in full. Every use case asks here; the API, the pages and the exports mask through
//! `Masking` alone.

use crate::Error;
use tongban_core::role::Role;
use tongban_store::Session;

/// Refuses (403) unless the signed-in staff member has one of the roles; `what` names the action in the message.
pub fn require(s: &Session, roles: &[Role], what: &str) -> Result<(), Error> {
    if roles.contains(&s.staff.role) {
        Ok(())
    } else {
        Err(Error::forbidden(format!("“{}”不能{what}", s.staff.role.label())))
    }
}
