//! Information published on one's own initiative (主动公开): drafts, approval, publication, repeal, the public list and search.

use super::*;
use crate::time::ymd;
use crate::App;
use crate::Error;
use chrono::NaiveDate;
use serde::Serialize;
use tongban_core::lifecycle::StateMachine;
use tongban_core::lifecycle::{Lifecycle, Refusal, Step};
use tongban_store::{CatalogEntry, InfoFilter, InfoItem, NewInfoItem, Session};

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemView {
    pub id: i64,
    pub department: String,
    pub department_name: String,
    pub catalog_code: String,
    /// 一级事项 / 二级事项 of the catalog entry
    pub catalog_name: String,
    pub title: String,
    pub body: String,
    /// '', regulation (规章) or normative (行政规范性文件)
    pub doc_kind: String,
    pub doc_number: String,
    /// draft, returned, published, repealed
    pub state: String,
    pub state_label: String,
    /// Who drafted it (谁发布、谁负责)
    pub author: String,
    /// Who approved and published it
    pub approver: Option<String>,
    pub return_note: String,
    pub created_at: String,
    pub published_on: Option<String>,
    pub repealed_on: Option<String>,
}

pub fn item_view(i: InfoItem, catalog: &[CatalogEntry]) -> ItemView {
    let catalog_name = catalog
        .iter()
        .find(|c| c.code == i.catalog_code)
        .map(|c| format!("{} / {}", c.level1, c.level2))
        .unwrap_or_else(|| i.catalog_code.clone());
    ItemView {
        id: i.id,
        department: i.department_code,
        department_name: i.department_name,
        catalog_code: i.catalog_code,
        catalog_name,
        title: i.title,
        body: i.body,
        doc_kind: i.doc_kind,
        doc_number: i.doc_number,
        state_label: state_label(&i.state).into(),
        state: i.state,
        author: i.author,
        approver: i.approver,
        return_note: i.return_note,
        created_at: i.created_at,
        published_on: i.published_on,
        repealed_on: i.repealed_on,
    }
}

pub struct DraftInput {
    pub department: Option<String>,
    pub catalog_code: String,
    pub title: String,
    pub body: String,
    pub doc_kind: String,
    pub doc_number: String,
}

pub async fn draft_item(app: &App, s: &Session, d: DraftInput, now: &str) -> Result<ItemView, Error> {
    let department = match d.department.filter(|x| !x.trim().is_empty()) {
        Some(x) => x.trim().to_string(),
        None => s
            .staff
            .department_code
            .clone()
            .ok_or_else(|| Error::unprocessable("missing_department", "请指定发布信息的部门（department）"))?,
    };
    if !crate::policy::may_author_disclosure(s, &department) {
        return Err(Error::forbidden(format!(
            "“{}”不能为该部门起草公开信息",
            s.staff.role.label()
        )));
    }
    let title = text_field(&d.title, "标题", 200)?;
    let body = text_field(&d.body, "正文", 20_000)?;
    if !matches!(d.doc_kind.as_str(), "" | "regulation" | "normative") {
        return Err(Error::unprocessable(
            "invalid_doc_kind",
            "文件类别（doc_kind）应为空、regulation（规章）或normative（行政规范性文件）",
        ));
    }
    let region = &s.staff.region_code;
    let item = app
        .store
        .create_info_item(&NewInfoItem {
            region,
            department_code: &department,
            catalog_code: d.catalog_code.trim(),
            title: &title,
            body: &body,
            doc_kind: &d.doc_kind,
            doc_number: d.doc_number.trim(),
            author: &s.staff.username,
            now,
        })
        .await?;
    let catalog = app.store.disclosure_catalog(region).await?;
    Ok(item_view(item, &catalog))
}

async fn load_item(app: &App, s: &Session, id: i64) -> Result<InfoItem, Error> {
    match app.store.info_item(&s.staff.region_code, id).await? {
        Some(i)
            if i.state == "published"
                || crate::policy::may_author_disclosure(s, &i.department_code)
                || crate::policy::may_approve_disclosure(s, &i.department_code) =>
        {
            Ok(i)
        }
        _ => Err(Error::not_found(format!("公开信息{id}"))),
    }
}

/// What may be done to an item.
pub enum ItemAction<'a> {
    Publish,
    Return(&'a str),
    Revise { title: &'a str, body: &'a str },
    Repeal,
}

impl ItemAction<'_> {
    /// The action's code in the item's lifecycle.
    pub fn code(&self) -> &'static str {
        match self {
            ItemAction::Publish => "publish",
            ItemAction::Return(_) => "return",
            ItemAction::Revise { .. } => "revise",
            ItemAction::Repeal => "repeal",
        }
    }
}

/// Who takes a step on published information.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemParty {
    /// Disclosure officers and the department's head (谁发布、谁负责: never the author, checked in `act_on_item`).
    Approver,
    /// The one who drafted it.
    Author,
}

/// Information published on one's own initiative: drafted, approved by another, returned and revised, repealed.
pub const ITEM_LIFECYCLE: Lifecycle<ItemParty> = Lifecycle(&[
    Step {
        action: "publish",
        label: "审核发布",
        from: &["draft"],
        party: ItemParty::Approver,
    },
    Step {
        action: "return",
        label: "退回",
        from: &["draft"],
        party: ItemParty::Approver,
    },
    Step {
        action: "revise",
        label: "修改后重新提交",
        from: &["returned"],
        party: ItemParty::Author,
    },
    Step {
        action: "repeal",
        label: "废止",
        from: &["published"],
        party: ItemParty::Approver,
    },
]);

fn is_item_party(s: &Session, department: &str, author: &str, party: ItemParty) -> bool {
    match party {
        ItemParty::Approver => crate::policy::may_approve_disclosure(s, department),
        ItemParty::Author => author == s.staff.username,
    }
}

/// The steps this reader may take on the item now: the lifecycle's, less publishing one's own draft.
pub fn item_actions(s: &Session, item: &ItemView) -> Vec<&'static str> {
    ITEM_LIFECYCLE
        .allowed(&item.state, &|p| is_item_party(s, &item.department, &item.author, p))
        .into_iter()
        .filter(|a| *a != "publish" || item.author != s.staff.username)
        .collect()
}

pub async fn act_on_item(
    app: &App,
    s: &Session,
    id: i64,
    action: ItemAction<'_>,
    now: &str,
    today: NaiveDate,
) -> Result<ItemView, Error> {
    let item = load_item(app, s, id).await?;
    let who = &s.staff.username;
    // Who first (403), then 谁发布、谁负责 (422), then the state (409).
    let code = action.code();
    if let Some(step) = ITEM_LIFECYCLE.step(code) {
        if !is_item_party(s, &item.department_code, &item.author, step.party) {
            return Err(Error::forbidden(match step.party {
                ItemParty::Approver => format!("只有政务公开专员或本部门负责人可以{}", step.label),
                ItemParty::Author => "只有起草人可以修改被退回的信息".to_string(),
            }));
        }
    }
    if code == "publish" && &item.author == who {
        return Err(Error::unprocessable(
            "self_approval",
            "谁发布、谁负责：起草人不能审核发布自己起草的信息，请由另一名审核人发布",
        ));
    }
    if let Err(Refusal::NotInState { .. }) = ITEM_LIFECYCLE.check(code, &item.state, |_| true) {
        return Err(invalid_state(ITEM_LIFECYCLE.label(code), &item.state));
    }
    let (from, to, note, revised) = match action {
        ItemAction::Publish => ("draft", "published", String::new(), None),
        ItemAction::Return(note) => ("draft", "returned", text_field(note, "退回意见", 500)?, None),
        ItemAction::Revise { title, body } => (
            "returned",
            "draft",
            String::new(),
            Some((text_field(title, "标题", 200)?, text_field(body, "正文", 20_000)?)),
        ),
        ItemAction::Repeal => ("published", "repealed", String::new(), None),
    };
    let moved = app
        .store
        .move_info_item(
            &s.staff.region_code,
            id,
            from,
            to,
            who,
            &note,
            revised.as_ref().map(|(t, b)| (t.as_str(), b.as_str())),
            now,
            &ymd(today),
        )
        .await?;
    let catalog = app.store.disclosure_catalog(&s.staff.region_code).await?;
    Ok(item_view(moved, &catalog))
}

pub async fn item(app: &App, s: Option<&Session>, region: &str, id: i64) -> Result<ItemView, Error> {
    let found = match s {
        Some(s) => load_item(app, s, id).await.ok(),
        None => app
            .store
            .info_item(region, id)
            .await?
            .filter(|i| matches!(i.state.as_str(), "published" | "repealed")),
    };
    let item = found.ok_or_else(|| Error::not_found(format!("公开信息{id}")))?;
    let catalog = app.store.disclosure_catalog(region).await?;
    Ok(item_view(item, &catalog))
}

/// Splits a search into words: by spaces, and long runs of Chinese into overlapping pairs of characters, so that
/// "社会救助标准" also finds "社会救助的标准" (a simple substitute for word segmentation in titles).
pub fn search_words(q: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in q.split_whitespace().take(8) {
        let chars: Vec<char> = part.chars().take(40).collect();
        if chars.len() <= 4 || chars.iter().any(|c| c.is_ascii()) {
            out.push(chars.iter().collect());
        } else {
            for w in chars.windows(2) {
                let s: String = w.iter().collect();
                if !out.contains(&s) {
                    out.push(s);
                }
            }
        }
    }
    out
}

#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub department: Option<String>,
    pub catalog: Option<String>,
    pub state: Option<String>,
    pub q: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

pub struct ItemPage {
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
    pub data: Vec<ItemView>,
}

/// Public listing (published items only) or, for staff, the items they may see in any state.
pub async fn list_items(
    app: &App,
    region: &str,
    s: Option<&Session>,
    q: &ListQuery,
    page: i64,
    per_page: i64,
) -> Result<ItemPage, Error> {
    let clean = |v: &Option<String>| v.as_ref().map(|x| x.trim().to_string()).filter(|x| !x.is_empty());
    for d in [&q.from, &q.to].into_iter().flatten() {
        if !d.trim().is_empty() {
            parse_date(d)?;
        }
    }
    let mut f = InfoFilter {
        department_code: clean(&q.department),
        catalog_code: clean(&q.catalog),
        state: Some("published".into()),
        words: search_words(q.q.as_deref().unwrap_or("")),
        from: clean(&q.from),
        to: clean(&q.to),
    };
    if let Some(s) = s {
        let st = clean(&q.state);
        if let Some(x) = &st {
            if !matches!(x.as_str(), "draft" | "returned" | "published" | "repealed") {
                return Err(Error::bad_request(
                    "invalid_state",
                    "state应为draft、returned、published或repealed",
                ));
            }
        }
        f.state = st;
        if s.staff.role.is_department_bound() {
            match (&f.department_code, &s.staff.department_code) {
                // Another department's items: only what the public sees.
                (Some(d), Some(own)) if d != own => match f.state.as_deref() {
                    None | Some("published") => f.state = Some("published".into()),
                    Some(_) => return Err(Error::forbidden("只能查看本部门未发布的信息")),
                },
                (None, Some(own)) if f.state.as_deref() != Some("published") => f.department_code = Some(own.clone()),
                _ => {}
            }
        } else if !crate::policy::allows(&s.staff, crate::policy::Capability::ReadAllDisclosure) {
            f.state = Some("published".into());
        }
    }
    let found = app.store.info_items(region, &f, page, per_page).await?;
    let catalog = app.store.disclosure_catalog(region).await?;
    Ok(ItemPage {
        total: found.total,
        page: found.page,
        per_page: found.per_page,
        data: found.data.into_iter().map(|i| item_view(i, &catalog)).collect(),
    })
}
