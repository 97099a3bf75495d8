//! 待我办理: the staff member's to-do list, and the figures their home page opens with.

use super::{render_result, Layout};
use crate::auth::WebUser;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use tongban_app::todo::{self, Entry, Todo, Urgency};
use tongban_app::Error;
use tongban_store::Session;

pub fn router() -> Router<AppState> {
    Router::new().route("/staff/todo", get(todo_page))
}

/// Whether any work can wait for the staff member (every role but those with no step in any workflow).
pub fn takes_work(staff: &tongban_store::Staff) -> bool {
    use tongban_app::policy::{allows, Capability as C};
    allows(staff, C::ReadCases)
        || allows(staff, C::UseHotline)
        || allows(staff, C::ReadAllDisclosure)
        || staff.role.is_department_bound()
}

/// A figure on a page: a count, what it counts, where the list behind it is, and its colour (`red`, `yellow` or
/// none).
pub struct Figure {
    pub label: String,
    pub value: String,
    pub href: String,
    pub tone: &'static str,
}

impl Figure {
    pub fn new(label: impl Into<String>, value: impl ToString, href: impl Into<String>) -> Figure {
        Figure {
            label: label.into(),
            value: value.to_string(),
            href: href.into(),
            tone: "",
        }
    }

    pub fn toned(mut self, tone: &'static str, value: i64) -> Figure {
        if value > 0 {
            self.tone = tone;
        }
        self
    }
}

/// The to-do figures a home page opens with: all that waits, the late, due today, warned and new — each the
/// to-do list narrowed to them.
pub fn figures(t: &Todo) -> Vec<Figure> {
    let c = &t.counts;
    vec![
        Figure::new("待我办理", c.total, "/staff/todo"),
        Figure::new("已超期", c.overdue, "/staff/todo?urgency=overdue").toned("red", c.overdue),
        Figure::new("今日到期", c.due_today, "/staff/todo?urgency=due_today").toned("yellow", c.due_today),
        Figure::new("临近到期", c.warned, "/staff/todo?urgency=warned").toned("yellow", c.warned),
        Figure::new("新到达", c.new, "/staff/todo?urgency=new"),
    ]
}

/// The open cases of the reader's whole scope (department staff: their department; others: the region), by
/// urgency, each a link to the case list narrowed the same way.
pub async fn scope_figures(state: &AppState, s: &Session) -> Result<Vec<Figure>, Error> {
    if !tongban_app::policy::allows(&s.staff, tongban_app::policy::Capability::ReadCases) {
        return Ok(vec![]);
    }
    let u = tongban_app::cases::open_case_urgency(state, s).await?;
    let whose = match &s.staff.department_name {
        Some(d) if s.staff.role.is_department_bound() => d.clone(),
        _ => "全区".to_string(),
    };
    Ok(vec![
        Figure::new(format!("{whose}在办件"), u.total, "/staff/cases"),
        Figure::new(format!("{whose}超期件（红牌）"), u.overdue, "/staff/cases?due=overdue").toned("red", u.overdue),
        Figure::new(format!("{whose}今日到期"), u.due_today, "/staff/cases?due=today").toned("yellow", u.due_today),
        Figure::new(format!("{whose}黄牌预警"), u.warned, "/staff/cases?due=warned").toned("yellow", u.warned),
    ])
}

#[derive(Template)]
#[template(path = "staff_todo.html")]
struct TodoPage {
    layout: Layout,
    figures: Vec<Figure>,
    q: String,
    urgency: String,
    urgency_label: String,
    entries: Vec<Entry>,
    cases_not_listed: i64,
}

#[derive(Deserialize, Default)]
struct TodoQuery {
    q: Option<String>,
    urgency: Option<String>,
}

async fn todo_page(State(state): State<AppState>, WebUser(s): WebUser, Query(q): Query<TodoQuery>) -> Response {
    let result = async {
        let search = q.q.clone().unwrap_or_default();
        let t = todo::todo(&state, &s, Some(&search), true).await?;
        let urgency = q.urgency.clone().unwrap_or_default();
        let (wanted, urgency_label): (Option<Urgency>, &str) = match urgency.as_str() {
            "overdue" => (Some(Urgency::Overdue), "已超期"),
            "due_today" => (Some(Urgency::DueToday), "今日到期"),
            "warned" => (Some(Urgency::Warned), "临近到期"),
            _ => (None, if urgency == "new" { "新到达" } else { "" }),
        };
        let figures = figures(&t);
        let entries = t
            .entries
            .into_iter()
            .filter(|e| wanted.is_none_or(|u| e.urgency == u) && (urgency != "new" || e.new))
            .collect();
        Ok::<_, Error>(TodoPage {
            layout: Layout::new("待我办理", Some(&s)),
            figures,
            q: search,
            urgency_label: urgency_label.to_string(),
            urgency,
            entries,
            cases_not_listed: t.cases_not_listed,
        })
    }
    .await;
    render_result(result)
}
