//! Orders as the reader sees them, and each role's work lists.

use super::*;
use crate::App;
use crate::Error;
use chrono::{DateTime, Utc};
use serde::Serialize;
use tongban_store::{HotlineCategory, HotlineWarning, OrderEvent, OrderFilter, Session, WorkOrder};

/// An order as the API shows it; the caller's phone masked unless the reader handles the order.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderView {
    pub number: String,
    pub channel: String,
    pub category: String,
    pub category_name: String,
    pub kind: String,
    pub urgency: String,
    pub title: String,
    pub content: String,
    pub address: String,
    pub area_code: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub caller_name: String,
    pub caller_phone: String,
    pub attachments: Vec<String>,
    pub state: String,
    pub state_label: String,
    pub lead_department: String,
    pub co_departments: Vec<String>,
    pub received_at: String,
    pub due_at: String,
    pub overdue: bool,
    pub extension_requested: i64,
    pub extension_reason: String,
    pub return_reason: String,
    pub reply: String,
    pub replied_at: Option<String>,
    pub resolved: Option<bool>,
    pub satisfaction: Option<String>,
    pub closed_at: Option<String>,
    pub closing_note: String,
    pub merged_into: Option<String>,
    pub returns: i64,
    pub extensions: i64,
    pub version: i64,
    /// What the reader may do now.
    pub allowed_actions: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = OrderEventView))]
pub struct EventView {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub from_state: String,
    pub to_state: String,
    pub department: String,
    pub note: String,
}

impl From<OrderEvent> for EventView {
    fn from(e: OrderEvent) -> EventView {
        EventView {
            at: local_iso(&e.at),
            actor: e.actor,
            action: e.action,
            from_state: e.from_state,
            to_state: e.to_state,
            department: e.department,
            note: e.note,
        }
    }
}

pub fn is_overdue(o: &WorkOrder, now: DateTime<Utc>) -> bool {
    let due = parse_time(&o.due_at);
    match o.state.as_str() {
        "closed" | "merged" => false,
        "replied" | "revisited" | "review" => {
            due.is_some_and(|d| o.replied_at.as_deref().and_then(parse_time).is_some_and(|r| r > d))
        }
        _ => due.is_some_and(|d| d < now),
    }
}

pub fn view(o: &WorkOrder, reader: Option<&Session>, categories: &[HotlineCategory], now: DateTime<Utc>) -> OrderView {
    let whole = reader.is_some_and(|s| crate::policy::reveals_order_contact(s, o));
    OrderView {
        number: o.number.clone(),
        channel: o.channel.clone(),
        category: o.category_code.clone(),
        category_name: categories
            .iter()
            .find(|c| c.code == o.category_code)
            .map(|c| c.name.clone())
            .unwrap_or_default(),
        kind: o.kind.clone(),
        urgency: o.urgency.clone(),
        title: o.title.clone(),
        content: o.content.clone(),
        address: o.address.clone(),
        area_code: o.area_code.clone(),
        lat: o.lat,
        lon: o.lon,
        caller_name: if whole {
            o.caller_name.clone()
        } else {
            crate::policy::mask::name(&o.caller_name)
        },
        caller_phone: if whole {
            o.caller_phone.clone()
        } else {
            crate::policy::mask::phone(&o.caller_phone)
        },
        attachments: o
            .attachments
            .lines()
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect(),
        state: o.state.clone(),
        state_label: state_label(&o.state).into(),
        lead_department: o.lead_department.clone(),
        co_departments: o
            .co_departments
            .split(',')
            .filter(|c| !c.is_empty())
            .map(String::from)
            .collect(),
        received_at: local_iso(&o.received_at),
        due_at: local_iso(&o.due_at),
        overdue: is_overdue(o, now),
        extension_requested: o.extension_requested,
        extension_reason: o.extension_reason.clone(),
        return_reason: o.return_reason.clone(),
        reply: o.reply.clone(),
        replied_at: o.replied_at.as_deref().map(local_iso),
        resolved: o.resolved,
        satisfaction: o.satisfaction.clone(),
        closed_at: o.closed_at.as_deref().map(local_iso),
        closing_note: o.closing_note.clone(),
        merged_into: o.merged_into.clone(),
        returns: o.returns,
        extensions: o.extensions,
        version: o.version,
        allowed_actions: reader
            .map(|s| allowed_actions(s, o).into_iter().map(String::from).collect())
            .unwrap_or_default(),
    }
}

/// The orders a staff member works on, by role: the dispatcher's queue (received and returned, pending
/// extensions, replied for revisit, revisited for closing), a department's inbox, the leaders' review queue.
pub async fn worklist(app: &App, s: &Session, list: &str) -> Result<Vec<WorkOrder>, Error> {
    let region = &s.staff.region_code;
    let mut f = OrderFilter {
        limit: 500,
        ..Default::default()
    };
    match list {
        "dispatch" => f.states = vec!["received".into(), "returned".into()],
        "extensions" => f.states = vec!["handling".into()],
        "revisit" => f.states = vec!["replied".into(), "revisited".into()],
        "review" => f.states = vec!["review".into()],
        "inbox" => {
            let Some(d) = s.staff.department_code.clone() else {
                return Ok(Vec::new());
            };
            f.department = Some(d);
            f.include_co = true;
            f.states = vec!["dispatched".into(), "handling".into(), "returned".into()];
        }
        _ => {
            return Err(Error::bad_request(
                "invalid_list",
                "list应为dispatch、extensions、revisit、review或inbox",
            ))
        }
    }
    let (_, mut orders) = app.store.work_orders(region, &f).await?;
    if list == "extensions" {
        orders.retain(|o| o.extension_requested > 0);
    }
    orders.retain(|o| crate::policy::may_read_order(s, o));
    orders.sort_by(|a, b| a.due_at.cmp(&b.due_at));
    Ok(orders)
}

/// The category tree (public: the public form and Open311 list it).
pub async fn categories(app: &App, region: &str) -> Result<Vec<HotlineCategory>, Error> {
    Ok(app.store.hotline_categories(region).await?)
}

/// An order the reader may read with its history and files.
pub struct OrderRecord {
    pub order: WorkOrder,
    pub events: Vec<tongban_store::OrderEvent>,
    pub files: Vec<tongban_store::HotlineFile>,
}

pub async fn order_record(app: &App, s: &Session, number: &str) -> Result<OrderRecord, Error> {
    let order = load(app, s, number).await?;
    Ok(OrderRecord {
        events: app.store.work_order_events(order.id).await?,
        files: app.store.work_order_files(order.id).await?,
        order,
    })
}

/// The 未诉即办 warnings the reader may see: a department its own, the hotline and leaders all.
pub async fn warnings(app: &App, s: &Session) -> Result<Vec<HotlineWarning>, Error> {
    crate::policy::require(&s.staff, crate::policy::Capability::ReadHotlineBulletins)?;
    let dept = crate::policy::own_department_only(s).then(|| s.staff.department_code.clone().unwrap_or_default());
    Ok(app
        .store
        .hotline_warnings(&s.staff.region_code, dept.as_deref())
        .await?)
}

/// Orders as Open311 lists them publicly (the caller decides which fields are published).
pub async fn public_orders(
    app: &App,
    region: &str,
    filter: &tongban_store::OrderFilter,
) -> Result<Vec<WorkOrder>, Error> {
    Ok(app.store.work_orders(region, filter).await?.1)
}

/// One order by number, as Open311 shows it publicly.
pub async fn public_order(app: &App, region: &str, number: &str) -> Result<Option<WorkOrder>, Error> {
    Ok(app.store.work_order(region, number).await?)
}

/// The order an Open311 submission token stands for, within the region.
pub async fn order_by_token(app: &App, region: &str, token: &str) -> Result<Option<WorkOrder>, Error> {
    Ok(match app.store.work_order_by_token(token).await? {
        Some((r, o)) if r == region => Some(o),
        _ => None,
    })
}

/// What the caller sees of their order without an account: where it is, who handles it, the deadline, the reply once
/// given, and each step (by name and Beijing time) — never the caller's data or the staff's notes.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderProgress {
    pub number: String,
    pub title: String,
    pub category_name: String,
    /// The department handling it, once dispatched
    pub department_name: String,
    pub state: String,
    pub state_label: String,
    /// Beijing time, e.g. 2026-12-07 09:30
    pub received_at: String,
    pub due_at: String,
    /// The department's reply, once given
    pub reply: String,
    pub replied_at: String,
    pub closed_at: String,
    /// An order merged into another: that order's number
    pub merged_into: String,
    pub steps: Vec<OrderProgressStep>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderProgressStep {
    /// Beijing time
    pub at: String,
    pub step: String,
}

/// A caller follows their order by its number and the last four digits of the phone they gave, as an applicant
/// follows a case; a wrong code is the same "not found" as a wrong number, and the query is throttled per address
/// with the case progress query (one budget), so that codes cannot be tried through.
pub async fn progress(
    app: &App,
    number: &str,
    code: &str,
    address: crate::throttle::ClientAddress,
) -> Result<OrderProgress, Error> {
    crate::throttle::hit_address(app, crate::throttle::PROGRESS_QUERIES_PER_ADDRESS, address).await?;
    let region = app.config.default_region.clone();
    let not_found = || Error::not_found(format!("工单“{}”（或查询码不符）", number.trim()));
    let o = app
        .store
        .work_order(&region, number.trim())
        .await?
        .ok_or_else(not_found)?;
    let code = code.trim();
    let digits: Vec<char> = o.caller_phone.chars().filter(char::is_ascii_digit).collect();
    let tail: String = digits[digits.len().saturating_sub(4)..].iter().collect();
    if code.chars().count() != 4 || tail != code {
        return Err(not_found());
    }
    let departments = app.store.departments(&region).await?;
    let department_name = departments
        .iter()
        .find(|d| d.code == o.lead_department)
        .map(|d| d.name.clone())
        .unwrap_or_default();
    let category_name = categories(app, &region)
        .await?
        .into_iter()
        .find(|c| c.code == o.category_code)
        .map(|c| c.name)
        .unwrap_or_default();
    let steps = app
        .store
        .work_order_events(o.id)
        .await?
        .into_iter()
        .filter(|e| e.action != "attach")
        .map(|e| OrderProgressStep {
            at: local_short(&e.at),
            step: match (e.action.as_str(), departments.iter().find(|d| d.code == e.department)) {
                ("dispatch" | "accept_return", Some(d)) => format!("{}（{}）", event_label(&e.action), d.name),
                _ => event_label(&e.action).to_string(),
            },
        })
        .collect();
    let replied = matches!(o.state.as_str(), "replied" | "revisited" | "review" | "closed");
    Ok(OrderProgress {
        state_label: state_label(&o.state).to_string(),
        received_at: local_short(&o.received_at),
        due_at: local_short(&o.due_at),
        reply: if replied { o.reply.clone() } else { String::new() },
        replied_at: o.replied_at.as_deref().map(local_short).unwrap_or_default(),
        closed_at: o.closed_at.as_deref().map(local_short).unwrap_or_default(),
        merged_into: o.merged_into.clone().unwrap_or_default(),
        number: o.number,
        title: o.title,
        category_name,
        department_name,
        state: o.state,
        steps,
    })
}

/// The department an order of a category goes to by default: the category's own, else its group's. None when the
/// tree names none, or when it is the department that has just returned the order.
pub fn suggested_department(categories: &[HotlineCategory], o: &WorkOrder) -> Option<String> {
    let mut code = o.category_code.as_str();
    for _ in 0..8 {
        let c = categories.iter().find(|c| c.code == code)?;
        if !c.department_code.is_empty() {
            return Some(c.department_code.clone()).filter(|d| !(o.state == "returned" && *d == o.lead_department));
        }
        code = &c.parent_code;
    }
    None
}
