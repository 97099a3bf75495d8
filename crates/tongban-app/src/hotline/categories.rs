//! The category tree with its default departments and time limits, as administrators edit it.

use super::*;
use crate::App;
use crate::Error;
use serde::Deserialize;
use tongban_store::{HotlineCategory, Session};

/// A category as an administrator sets it (API body and the categories page).
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CategoryIn {
    pub name: String,
    /// Empty for a top-level group
    #[serde(default)]
    pub parent_code: String,
    /// consultation, help, suggestion, complaint or report
    pub kind: String,
    /// Default department; empty for a group (orders are filed under leaves)
    #[serde(default)]
    pub department_code: String,
    /// Working days (1–60); omitted: the kind's default
    pub limit_days: Option<i64>,
    #[serde(default)]
    pub keywords: String,
    #[serde(default)]
    pub position: i64,
    pub active: Option<bool>,
}

/// Creates or changes a category of the tree (administrators only). Checked before anything is written: code
/// and name, kind (422 `invalid_kind`), department (`unknown_department`), parent (`unknown_parent`; a parent
/// under the category itself: `category_cycle`), time limit 1–60 (`invalid_limit`). Saved with its audit entry.
pub async fn save_category(app: &App, s: &Session, code: &str, c: CategoryIn) -> Result<HotlineCategory, Error> {
    crate::policy::require(&s.staff, crate::policy::Capability::ConfigureHotline)?;
    let region = &s.staff.region_code;
    let code = code.trim();
    if code.is_empty() || c.name.trim().is_empty() {
        return Err(Error::unprocessable("invalid_category", "分类编码和名称不能为空"));
    }
    if code.chars().count() > 40
        || !code
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
    {
        return Err(Error::unprocessable(
            "invalid_category",
            "分类编码应为不超过40位的字母、数字、“-”或“_”",
        ));
    }
    if !KINDS.iter().any(|(k, _, _)| *k == c.kind) {
        return Err(Error::unprocessable(
            "invalid_kind",
            format!(
                "类型“{}”无效，应为consultation（咨询）、help（求助）、suggestion（建议）、complaint（投诉）或report（举报）",
                c.kind
            ),
        ));
    }
    let department = c.department_code.trim().to_string();
    if !department.is_empty()
        && !app
            .store
            .departments(region)
            .await?
            .iter()
            .any(|d| d.code == department)
    {
        return Err(Error::unprocessable(
            "unknown_department",
            format!("部门“{department}”不存在"),
        ));
    }
    if let Some(d) = c.limit_days {
        if !(1..=60).contains(&d) {
            return Err(Error::unprocessable(
                "invalid_limit",
                format!("办理时限应为1到60个工作日（填写的是{d}）"),
            ));
        }
    }
    let parent = c.parent_code.trim().to_string();
    if !parent.is_empty() {
        let all = app.store.hotline_categories(region).await?;
        if !all.iter().any(|p| p.code == parent) {
            return Err(Error::unprocessable(
                "unknown_parent",
                format!("上级分类“{parent}”不存在"),
            ));
        }
        // Walk up from the new parent: reaching the category itself would close a loop.
        let mut at = parent.clone();
        let mut steps = 0;
        loop {
            if at == code {
                return Err(Error::unprocessable(
                    "category_cycle",
                    format!("不能把“{parent}”设为“{code}”的上级：“{parent}”是“{code}”本身或它的下级，分类树会形成环"),
                ));
            }
            steps += 1;
            match all.iter().find(|p| p.code == at) {
                Some(p) if !p.parent_code.is_empty() && steps <= all.len() => at = p.parent_code.clone(),
                _ => break,
            }
        }
    }
    let cat = HotlineCategory {
        code: code.to_string(),
        name: c.name.trim().to_string(),
        parent_code: parent,
        kind: c.kind,
        department_code: department,
        limit_days: c.limit_days,
        keywords: c.keywords.trim().to_string(),
        position: c.position,
        active: c.active.unwrap_or(true),
    };
    app.store
        .upsert_hotline_category(region, &cat, &s.staff.username)
        .await?;
    Ok(cat)
}
