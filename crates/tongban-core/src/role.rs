//! Staff roles: their codes and names. What each may see and do is decided in one place, tongban-app's policy.

use crate::DomainError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Clerk,
    Reviewer,
    Head,
    Supervisor,
    Operator,
    Discloser,
    Policy,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Admin,
        Role::Clerk,
        Role::Reviewer,
        Role::Head,
        Role::Supervisor,
        Role::Operator,
        Role::Discloser,
        Role::Policy,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Clerk => "clerk",
            Role::Reviewer => "reviewer",
            Role::Head => "head",
            Role::Supervisor => "supervisor",
            Role::Operator => "operator",
            Role::Discloser => "discloser",
            Role::Policy => "policy",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "系统管理员",
            Role::Clerk => "综合窗口受理人员",
            Role::Reviewer => "部门审查人员",
            Role::Head => "部门负责人",
            Role::Supervisor => "效能监察人员",
            Role::Operator => "12345热线话务员",
            Role::Discloser => "政务公开专员",
            Role::Policy => "惠企政策专员",
        }
    }

    pub fn parse(s: &str) -> Result<Role, DomainError> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| DomainError::UnknownRole(s.to_string()))
    }

    /// Department staff see only their own department's data; the others work across departments of their region.
    pub fn is_department_bound(self) -> bool {
        matches!(self, Role::Reviewer | Role::Head)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_unknown_is_named() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Ok(r));
        }
        assert_eq!(Role::parse("root"), Err(DomainError::UnknownRole("root".into())));
        assert!(Role::Reviewer.is_department_bound());
        assert!(!Role::Clerk.is_department_bound());
    }
}
