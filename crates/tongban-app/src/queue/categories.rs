//! Queue categories with their windows, opening hours and appointment slots, as administrators edit them.

use super::*;
use crate::App;
use crate::Error;
use chrono::{DateTime, Utc};
use tongban_store::{QueueCategory, Session};

/// A category as an administrator writes it, checked before it is saved.
#[derive(Debug, Clone)]
pub struct CategoryInput {
    pub code: String,
    pub name: String,
    pub prefix: String,
    pub windows: Vec<String>,
    pub open: bool,
    pub slot_minutes: i64,
    pub slot_capacity: i64,
    pub hours: String,
    pub position: i64,
}

pub const DEFAULT_HOURS: &str = "09:00-12:00,13:30-17:00";

impl CategoryInput {
    pub fn from_category(c: &QueueCategory) -> CategoryInput {
        CategoryInput {
            code: c.code.clone(),
            name: c.name.clone(),
            prefix: c.prefix.clone(),
            windows: c.windows.clone(),
            open: c.open,
            slot_minutes: c.slot_minutes,
            slot_capacity: c.slot_capacity,
            hours: c.hours.clone(),
            position: c.position,
        }
    }

    fn check(self) -> Result<QueueCategory, Error> {
        let code = self.code.trim().to_string();
        if code.is_empty()
            || code.len() > 32
            || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(Error::unprocessable(
                "invalid_code",
                "类别编码只能包含字母、数字、“-”“_”，长度1–32",
            ));
        }
        let name = self.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 40 {
            return Err(Error::unprocessable("invalid_name", "类别名称不能为空，且不超过40个字"));
        }
        let prefix = self.prefix.trim().to_ascii_uppercase();
        if prefix.len() != 1 || !prefix.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(Error::unprocessable(
                "invalid_prefix",
                format!("号码字头“{}”应为一个英文字母", self.prefix.trim()),
            ));
        }
        let mut windows: Vec<String> = Vec::new();
        for w in self.windows.iter().map(|w| w.trim()).filter(|w| !w.is_empty()) {
            if !windows.iter().any(|x| x == w) {
                windows.push(w.to_string());
            }
        }
        if windows.is_empty() {
            return Err(Error::unprocessable("no_windows", "至少指定一个叫号窗口"));
        }
        if !(5..=240).contains(&self.slot_minutes) {
            return Err(Error::unprocessable(
                "invalid_slot_minutes",
                "预约时段长度应在5到240分钟之间",
            ));
        }
        if !(0..=500).contains(&self.slot_capacity) {
            return Err(Error::unprocessable(
                "invalid_slot_capacity",
                "每个时段可预约人数应在0到500之间",
            ));
        }
        let periods = parse_hours(&self.hours)?;
        let hours = periods
            .iter()
            .map(|(a, b)| format!("{}-{}", hhmm(*a), hhmm(*b)))
            .collect::<Vec<_>>()
            .join(",");
        Ok(QueueCategory {
            code,
            name,
            prefix,
            windows,
            open: self.open,
            slot_minutes: self.slot_minutes,
            slot_capacity: self.slot_capacity,
            hours,
            position: self.position,
        })
    }
}

/// Creates or replaces a category (administrators only); audited.
pub async fn save_category(
    app: &App,
    s: &Session,
    input: CategoryInput,
    create: bool,
    now: DateTime<Utc>,
) -> Result<CategoryView, Error> {
    crate::policy::require(&s.staff, crate::policy::Capability::ConfigureQueue)?;
    let c = input.check()?;
    let region = s.staff.region_code.as_str();
    app.store
        .save_queue_category(region, &c, create, &s.staff.username, &stamp(now))
        .await?;
    categories(app, region, now)
        .await?
        .into_iter()
        .find(|v| v.code == c.code)
        .ok_or_else(|| Error::not_found(format!("取号类别“{}”", c.code)))
}

/// The current category to edit, as input.
pub async fn category_input(app: &App, region: &str, code: &str) -> Result<CategoryInput, Error> {
    Ok(CategoryInput::from_category(&category(app, region, code).await?))
}

/// The hall's windows, for choosing which serve a category.
pub async fn windows(app: &App, region: &str) -> Result<Vec<tongban_store::Window>, Error> {
    Ok(app.store.windows(region).await?)
}
