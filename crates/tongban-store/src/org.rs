use crate::db::{decode, int, opt_int, opt_text, text, Flag, RoleName};
use crate::{now_text, Store, StoreError};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use tongban_core::role::Role;

#[derive(Debug, Clone, Serialize, PartialEq, Eq, sqlx::FromRow)]
pub struct Department {
    #[serde(skip)]
    pub id: i64,
    pub region_code: String,
    pub code: String,
    pub name: String,
    pub phone: String,
    /// Published items of the department.
    pub item_count: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Site {
    #[serde(skip)]
    pub id: i64,
    pub code: String,
    pub name: String,
    /// `hall` (政务服务中心), `town_centre` (便民服务中心), `village_station` (便民服务站).
    pub kind: String,
    pub located_in: String,
    pub address: String,
    pub hours: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Window {
    #[serde(skip)]
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub site_code: String,
    pub department_code: Option<String>,
}

/// A staff member as the application sees them (never with the password hash).
#[derive(Debug, Clone, Serialize)]
pub struct Staff {
    pub id: i64,
    pub region_code: String,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub department_id: Option<i64>,
    pub department_code: Option<String>,
    pub department_name: Option<String>,
    pub window_name: Option<String>,
    pub window_code: Option<String>,
    /// The service site of the staff member's window (the hall, a town centre …), if they sit at one.
    pub site_code: Option<String>,
    pub active: bool,
}

/// By hand, for the columns read through `crate::db`'s types (see there why not derived).
impl<'r> sqlx::FromRow<'r, AnyRow> for Staff {
    fn from_row(r: &'r AnyRow) -> Result<Staff, sqlx::Error> {
        Ok(Staff {
            id: int(r, "id")?,
            region_code: text(r, "region_code")?,
            username: text(r, "username")?,
            display_name: text(r, "display_name")?,
            role: r.try_get::<RoleName, _>("role")?.into(),
            department_id: opt_int(r, "department_id")?,
            department_code: opt_text(r, "department_code")?,
            department_name: opt_text(r, "department_name")?,
            window_name: opt_text(r, "window_name")?,
            window_code: opt_text(r, "window_code")?,
            site_code: opt_text(r, "site_code")?,
            active: r.try_get::<Flag, _>("active")?.into(),
        })
    }
}

pub struct NewStaff<'a> {
    pub region_code: &'a str,
    pub username: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub department_code: Option<&'a str>,
    pub window_code: Option<&'a str>,
    pub password: &'a str,
}

pub(crate) const STAFF_SELECT: &str =
    "SELECT s.id, s.region_code, s.username, s.display_name, s.role, s.department_id, \
     d.code AS department_code, d.name AS department_name, w.name AS window_name, w.code AS window_code, ws.code AS site_code, s.active, \
     s.password_hash FROM staff s LEFT JOIN departments d ON d.id = s.department_id \
     LEFT JOIN windows w ON w.id = s.window_id LEFT JOIN sites ws ON ws.id = w.site_id";

const DEPARTMENT_SELECT: &str = "SELECT d.id, d.region_code, d.code, d.name, d.phone, \
     (SELECT COUNT(*) FROM items i WHERE i.department_id = d.id AND i.status = 'published') AS item_count \
     FROM departments d";

/// Appends one entry to the audit log inside the caller's transaction, so the change and its record commit together.
pub(crate) async fn audit(
    tx: &mut Transaction<'static, Any>,
    region: &str,
    actor: &str,
    action: &str,
    target: &str,
    detail: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_log (region_code, actor, action, target, detail, at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(region)
    .bind(actor)
    .bind(action)
    .bind(target)
    .bind(detail)
    .bind(now_text())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    pub async fn upsert_department(
        &self,
        region: &str,
        code: &str,
        name: &str,
        phone: &str,
        actor: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO departments (region_code, code, name, phone) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (region_code, code) DO UPDATE SET name = excluded.name, phone = excluded.phone",
        )
        .bind(region)
        .bind(code)
        .bind(name)
        .bind(phone)
        .execute(&mut *tx)
        .await?;
        audit(&mut tx, region, actor, "department.upsert", code, name).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn departments(&self, region: &str) -> Result<Vec<Department>, StoreError> {
        Ok(sqlx::query_as::<_, Department>(&format!(
            "{DEPARTMENT_SELECT} WHERE d.region_code = $1 ORDER BY item_count DESC, d.code"
        ))
        .bind(region)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn department(&self, region: &str, code: &str) -> Result<Option<Department>, StoreError> {
        Ok(
            sqlx::query_as::<_, Department>(&format!("{DEPARTMENT_SELECT} WHERE d.region_code = $1 AND d.code = $2"))
                .bind(region)
                .bind(code)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn upsert_site(&self, region: &str, site: &Site, actor: &str) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO sites (region_code, code, name, kind, located_in, address, hours) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (region_code, code) DO UPDATE SET name = excluded.name, \
             kind = excluded.kind, located_in = excluded.located_in, address = excluded.address, hours = excluded.hours",
        )
        .bind(region)
        .bind(&site.code)
        .bind(&site.name)
        .bind(&site.kind)
        .bind(&site.located_in)
        .bind(&site.address)
        .bind(&site.hours)
        .execute(&mut *tx)
        .await?;
        audit(&mut tx, region, actor, "site.upsert", &site.code, &site.name).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn sites(&self, region: &str) -> Result<Vec<Site>, StoreError> {
        Ok(sqlx::query_as::<_, Site>(
            "SELECT id, code, name, kind, located_in, address, hours FROM sites WHERE region_code = $1 \
             ORDER BY CASE kind WHEN 'hall' THEN 0 WHEN 'town_centre' THEN 1 ELSE 2 END, located_in",
        )
        .bind(region)
        .fetch_all(&self.pool)
        .await?)
    }

    /// One site by its code: what a filing checks.
    pub async fn site(&self, region: &str, code: &str) -> Result<Option<Site>, StoreError> {
        Ok(sqlx::query_as::<_, Site>(
            "SELECT id, code, name, kind, located_in, address, hours FROM sites WHERE region_code = $1 AND code = $2",
        )
        .bind(region)
        .bind(code)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Adds or renames a window of a site; `department_code` is set for a department's own window (专窗), empty for a
    /// comprehensive window (综窗) that accepts every department's items.
    pub async fn upsert_window(
        &self,
        region: &str,
        site_code: &str,
        code: &str,
        name: &str,
        department_code: Option<&str>,
        actor: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let site_id: i64 = match sqlx::query("SELECT id FROM sites WHERE region_code = $1 AND code = $2")
            .bind(region)
            .bind(site_code)
            .fetch_optional(&mut *tx)
            .await?
        {
            Some(r) => int(&r, "id")?,
            None => return Err(StoreError::NotFound(format!("服务场所“{site_code}”"))),
        };
        let department_id = match department_code {
            Some(d) => Some(department_id(&mut tx, region, d).await?),
            None => None,
        };
        let kind = if department_id.is_some() {
            "department"
        } else {
            "comprehensive"
        };
        sqlx::query(
            "INSERT INTO windows (region_code, site_id, code, name, kind, department_id) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (region_code, code) DO UPDATE SET site_id = excluded.site_id, name = excluded.name, \
             kind = excluded.kind, department_id = excluded.department_id",
        )
        .bind(region)
        .bind(site_id)
        .bind(code)
        .bind(name)
        .bind(kind)
        .bind(department_id)
        .execute(&mut *tx)
        .await?;
        audit(&mut tx, region, actor, "window.upsert", code, name).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn windows(&self, region: &str) -> Result<Vec<Window>, StoreError> {
        Ok(sqlx::query_as::<_, Window>(
            "SELECT w.id, w.code, w.name, w.kind, s.code AS site_code, d.code AS department_code FROM windows w \
             JOIN sites s ON s.id = w.site_id LEFT JOIN departments d ON d.id = w.department_id \
             WHERE w.region_code = $1 ORDER BY w.code",
        )
        .bind(region)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Creates a staff account with an Argon2id password hash. Department roles must name their department.
    /// Adds an account; the password was checked against the password rule by the caller (tongban-app).
    pub async fn add_staff(&self, new: &NewStaff<'_>, actor: &str) -> Result<Staff, StoreError> {
        let hash = crate::hash_password(new.password)?;
        self.add_staff_with_hash(new, &hash, actor).await
    }

    /// As `add_staff`, with the Argon2id hash already computed (seeding many accounts with one password).
    pub async fn add_staff_with_hash(&self, new: &NewStaff<'_>, hash: &str, actor: &str) -> Result<Staff, StoreError> {
        if new.role.is_department_bound() && new.department_code.is_none() {
            return Err(StoreError::Invalid(format!(
                "角色“{}”必须指定所属部门",
                new.role.label()
            )));
        }
        if new.username.is_empty() || new.username.len() > 64 || !new.username.chars().all(is_username_char) {
            return Err(StoreError::Invalid(
                "用户名只能包含字母、数字、“-”“_”“.”，长度1–64".into(),
            ));
        }
        let mut tx = self.pool.begin().await?;
        if sqlx::query("SELECT 1 FROM regions WHERE code = $1")
            .bind(new.region_code)
            .fetch_optional(&mut *tx)
            .await?
            .is_none()
        {
            return Err(StoreError::NotFound(format!("行政区划“{}”", new.region_code)));
        }
        let department_id = match new.department_code {
            Some(d) => Some(department_id(&mut tx, new.region_code, d).await?),
            None => None,
        };
        let window_id = match new.window_code {
            Some(w) => Some(window_id(&mut tx, new.region_code, w).await?),
            None => None,
        };
        if sqlx::query("SELECT 1 FROM staff WHERE username = $1")
            .bind(new.username)
            .fetch_optional(&mut *tx)
            .await?
            .is_some()
        {
            return Err(StoreError::Conflict(format!("用户名“{}”已存在", new.username)));
        }
        sqlx::query(
            "INSERT INTO staff (region_code, username, display_name, role, department_id, window_id, password_hash, \
             active, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8)",
        )
        .bind(new.region_code)
        .bind(new.username)
        .bind(new.display_name)
        .bind(new.role.as_str())
        .bind(department_id)
        .bind(window_id)
        .bind(hash)
        .bind(now_text())
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            new.region_code,
            actor,
            "staff.add",
            new.username,
            new.role.as_str(),
        )
        .await?;
        tx.commit().await?;
        self.staff_by_username(new.username)
            .await?
            .map(|(s, _)| s)
            .ok_or_else(|| StoreError::NotFound(format!("用户“{}”", new.username)))
    }

    /// The staff member and their password hash, for login.
    pub async fn staff_by_username(&self, username: &str) -> Result<Option<(Staff, String)>, StoreError> {
        let row = sqlx::query(&format!("{STAFF_SELECT} WHERE s.username = $1"))
            .bind(username)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(r) => Ok(Some((decode::<Staff>(&r)?, text(&r, "password_hash")?))),
            None => Ok(None),
        }
    }

    /// When the staff member last opened their to-do list ('' for never): a read marker, not a change of record.
    pub async fn todo_seen_at(&self, staff_id: i64) -> Result<String, StoreError> {
        let r = sqlx::query("SELECT todo_seen_at FROM staff WHERE id = $1")
            .bind(staff_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match r {
            Some(r) => text(&r, "todo_seen_at")?,
            None => String::new(),
        })
    }

    pub async fn set_todo_seen_at(&self, staff_id: i64, at: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE staff SET todo_seen_at = $1 WHERE id = $2")
            .bind(at)
            .bind(staff_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn staff_in_region(&self, region: &str) -> Result<Vec<Staff>, StoreError> {
        Ok(sqlx::query_as::<_, Staff>(&format!(
            "{STAFF_SELECT} WHERE s.region_code = $1 ORDER BY s.role, s.username"
        ))
        .bind(region)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn applicant_count(&self, region: &str) -> Result<i64, StoreError> {
        let r = sqlx::query("SELECT COUNT(*) AS n FROM applicants WHERE region_code = $1")
            .bind(region)
            .fetch_one(&self.pool)
            .await?;
        Ok(int(&r, "n")?)
    }
}

fn is_username_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

pub(crate) async fn department_id(
    tx: &mut Transaction<'static, Any>,
    region: &str,
    code: &str,
) -> Result<i64, StoreError> {
    match sqlx::query("SELECT id FROM departments WHERE region_code = $1 AND code = $2")
        .bind(region)
        .bind(code)
        .fetch_optional(&mut **tx)
        .await?
    {
        Some(r) => Ok(int(&r, "id")?),
        None => Err(StoreError::NotFound(format!("部门“{code}”"))),
    }
}

/// A change an administrator or the owner makes to a staff account.
pub enum AccountChange<'a> {
    /// A new password (its Argon2id hash); `keep` the token of the owner's current session, which stays signed in.
    Password { hash: &'a str, keep: Option<&'a str> },
    /// Enable or disable the account.
    Active(bool),
    /// What the person is and where they work: name, role, department, window (codes). Their sessions end, so that
    /// no server goes on acting with the old role.
    Assignment {
        display_name: &'a str,
        role: Role,
        department_code: Option<&'a str>,
        window_code: Option<&'a str>,
    },
}

async fn window_id(tx: &mut Transaction<'static, Any>, region: &str, code: &str) -> Result<i64, StoreError> {
    match sqlx::query("SELECT id FROM windows WHERE region_code = $1 AND code = $2")
        .bind(region)
        .bind(code)
        .fetch_optional(&mut **tx)
        .await?
    {
        Some(r) => Ok(int(&r, "id")?),
        None => Err(StoreError::NotFound(format!("窗口“{code}”"))),
    }
}

impl Store {
    /// Applies the change to the region's account, audited; every other session of the account ends (a new
    /// password or a disabled account leaves no old session behind, on any server).
    pub async fn change_staff_account(
        &self,
        region: &str,
        username: &str,
        change: AccountChange<'_>,
        actor: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let Some(row) = sqlx::query("SELECT id FROM staff WHERE region_code = $1 AND username = $2")
            .bind(region)
            .bind(username)
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Err(StoreError::NotFound(format!("工作人员“{username}”")));
        };
        let id = int(&row, "id")?;
        let (action, detail, keep) = match change {
            AccountChange::Password { hash, keep } => {
                sqlx::query("UPDATE staff SET password_hash = $1 WHERE id = $2")
                    .bind(hash)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                let who = if actor == username {
                    "本人修改"
                } else {
                    "管理员重置"
                };
                ("staff.password", who.to_string(), keep.map(crate::auth::token_hash))
            }
            AccountChange::Active(active) => {
                sqlx::query("UPDATE staff SET active = $1 WHERE id = $2")
                    .bind(i64::from(active))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                ("staff.active", if active { "启用" } else { "停用" }.to_string(), None)
            }
            AccountChange::Assignment {
                display_name,
                role,
                department_code,
                window_code,
            } => {
                if role.is_department_bound() && department_code.is_none() {
                    return Err(StoreError::Invalid(format!("角色“{}”必须指定所属部门", role.label())));
                }
                let display_name = display_name.trim();
                if display_name.is_empty() || display_name.chars().count() > 50 {
                    return Err(StoreError::Invalid("姓名不能为空，不超过50个字".into()));
                }
                let department = match department_code {
                    Some(d) => Some(department_id(&mut tx, region, d).await?),
                    None => None,
                };
                let window = match window_code {
                    Some(w) => Some(window_id(&mut tx, region, w).await?),
                    None => None,
                };
                sqlx::query(
                    "UPDATE staff SET display_name = $1, role = $2, department_id = $3, window_id = $4 WHERE id = $5",
                )
                .bind(display_name)
                .bind(role.as_str())
                .bind(department)
                .bind(window)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                let detail = format!(
                    "{display_name}，{}，部门{}，窗口{}",
                    role.label(),
                    department_code.unwrap_or("无"),
                    window_code.unwrap_or("无")
                );
                ("staff.edit", detail, None)
            }
        };
        sqlx::query("DELETE FROM sessions WHERE staff_id = $1 AND token_hash <> $2")
            .bind(id)
            .bind(keep.clone().unwrap_or_default())
            .execute(&mut *tx)
            .await?;
        audit(&mut tx, region, actor, action, username, &detail).await?;
        tx.commit().await?;
        if let Ok(mut cache) = self.sessions.lock() {
            cache.retain(|k, (_, s)| s.staff.username != username || keep.as_deref().is_some_and(|h| k.ends_with(h)));
        }
        Ok(())
    }
}
