//! Staff accounts: administrators add, reset and disable them; everyone changes their own password.

use crate::policy::{self, Capability};
use crate::{App, Error, ErrorKind};
use tongban_store::{AccountChange, NewStaff, Session, Staff};

/// The region's staff (administrators).
pub async fn list(app: &App, s: &Session) -> Result<Vec<Staff>, Error> {
    policy::require(&s.staff, Capability::ManageStaff)?;
    Ok(app.store.staff_in_region(&s.staff.region_code).await?)
}

/// Each staff member's name by login, for histories people read (who acted, not which account).
pub async fn display_names(app: &App, region: &str) -> Result<std::collections::HashMap<String, String>, Error> {
    Ok(app
        .store
        .staff_in_region(region)
        .await?
        .into_iter()
        .map(|s| (s.username, s.display_name))
        .collect())
}

/// Who took a step, as a history names them: a staff role by its name, the applicant, or the system.
pub fn actor_role_label(role: &str) -> &'static str {
    match role {
        "applicant" => "申请人",
        "system" | "" => "系统",
        other => tongban_core::role::Role::parse(other)
            .map(|r| r.label())
            .unwrap_or("其他"),
    }
}

/// Adds an account (administrators) whose first password follows the one password rule; audited by the store.
pub async fn add(app: &App, s: &Session, new: &NewStaff<'_>) -> Result<Staff, Error> {
    policy::require(&s.staff, Capability::ManageStaff)?;
    crate::passwords::check_new(new.password, &[new.username])?;
    Ok(app.store.add_staff(new, &s.staff.username).await?)
}

async fn hash(password: &str) -> Result<String, Error> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || tongban_store::hash_password(&password))
        .await
        .map_err(Error::internal)?
        .map_err(Error::from)
}

/// The signed-in staff member changes their own password, giving the current one; their other sessions end, the
/// one they are using (`token`) stays.
pub async fn change_own_password(app: &App, s: &Session, token: &str, current: &str, new: &str) -> Result<(), Error> {
    let (_, stored) = app
        .store
        .staff_by_username(&s.staff.username)
        .await?
        .ok_or_else(|| Error::unauthorized("账号不存在"))?;
    if !crate::auth::check_password(current, stored).await? {
        return Err(Error::new(
            ErrorKind::Invalid,
            "wrong_current_password",
            "当前密码不正确",
        ));
    }
    crate::passwords::check_new(new, &[&s.staff.username])?;
    let hash = hash(new).await?;
    let change = AccountChange::Password {
        hash: &hash,
        keep: Some(token),
    };
    Ok(app
        .store
        .change_staff_account(&s.staff.region_code, &s.staff.username, change, &s.staff.username)
        .await?)
}

/// An administrator sets a new password for someone who forgot theirs; all that person's sessions end.
pub async fn reset_password(app: &App, s: &Session, username: &str, new: &str) -> Result<(), Error> {
    policy::require(&s.staff, Capability::ManageStaff)?;
    crate::passwords::check_new(new, &[username])?;
    let hash = hash(new).await?;
    let change = AccountChange::Password {
        hash: &hash,
        keep: None,
    };
    Ok(app
        .store
        .change_staff_account(&s.staff.region_code, username, change, &s.staff.username)
        .await?)
}

/// What an administrator sets of an account: name, role, department, window (by codes; empty for none).
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Assignment {
    pub display_name: String,
    /// admin, clerk, reviewer, head, supervisor, operator, discloser or policy
    pub role: String,
    /// Department code; required for reviewers and heads
    #[serde(default)]
    pub department: String,
    /// Window code (a clerk's seat at a site)
    #[serde(default)]
    pub window: String,
}

/// An administrator changes an account's name, role, department or window; the person's sessions end (a new role
/// takes effect at once, on every server). Not their own role: a region keeps its administrator.
pub async fn assign(app: &App, s: &Session, username: &str, a: &Assignment) -> Result<Staff, Error> {
    policy::require(&s.staff, Capability::ManageStaff)?;
    let role = tongban_core::role::Role::parse(a.role.trim())
        .map_err(|_| Error::unprocessable("invalid_role", format!("角色“{}”不存在", a.role)))?;
    if username == s.staff.username && role != s.staff.role {
        return Err(Error::conflict("own_account", "不能更改本人的角色"));
    }
    let department = Some(a.department.trim()).filter(|d| !d.is_empty());
    let window = Some(a.window.trim()).filter(|w| !w.is_empty());
    app.store
        .change_staff_account(
            &s.staff.region_code,
            username,
            AccountChange::Assignment {
                display_name: &a.display_name,
                role,
                department_code: department,
                window_code: window,
            },
            &s.staff.username,
        )
        .await?;
    app.store
        .staff_by_username(username)
        .await?
        .map(|(s, _)| s)
        .ok_or_else(|| Error::not_found(format!("工作人员“{username}”")))
}

/// An administrator disables (sessions end at once, sign-in refused) or re-enables an account; not their own, so
/// that a region cannot be left without an administrator by a slip.
pub async fn set_active(app: &App, s: &Session, username: &str, active: bool) -> Result<(), Error> {
    policy::require(&s.staff, Capability::ManageStaff)?;
    if username == s.staff.username {
        return Err(Error::conflict("own_account", "不能停用本人的账号"));
    }
    Ok(app
        .store
        .change_staff_account(
            &s.staff.region_code,
            username,
            AccountChange::Active(active),
            &s.staff.username,
        )
        .await?)
}
