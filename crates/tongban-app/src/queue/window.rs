//! The window's calls: next, recall, skip, transfer, finish.

use super::*;
use crate::time::ymd;
use crate::App;
use crate::{Error, ErrorKind};
use chrono::{DateTime, Utc};
use serde::Serialize;
use tongban_store::{Session, Ticket, WindowOutcome, WindowRef};

/// The window of a signed-in window clerk; anybody else may not call tickets.
pub async fn window_for(app: &App, s: &Session) -> Result<WindowRef, Error> {
    crate::policy::require(&s.staff, crate::policy::Capability::CallAtWindow)?;
    app.store
        .staff_window(s.staff.id)
        .await?
        .ok_or_else(|| Error::forbidden("您未被分配到窗口，不能叫号；请管理员在人员管理中指定窗口"))
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WindowAnswer {
    pub window: String,
    pub window_name: String,
    /// The ticket at the window after the action (None: nobody at the window)
    pub ticket: Option<TicketView>,
    /// The ticket the action finished with, for skip (the skipped one), transfer and finish
    pub previous: Option<TicketView>,
    /// Tickets waiting today for the categories this window serves
    pub waiting: i64,
    /// Categories this window serves
    pub categories: Vec<String>,
    pub message: String,
}

pub enum WindowAction<'a> {
    Current,
    CallNext,
    Recall,
    Skip,
    Transfer(&'a str),
    Finish(Option<&'a str>),
}

fn busy(t: &Ticket) -> Error {
    Error::new(
        ErrorKind::Conflict,
        "ticket_in_service",
        format!("窗口正在办理{}号，请先办结、过号或转移", t.number),
    )
}

fn no_current() -> Error {
    Error::new(ErrorKind::Conflict, "no_current_ticket", "窗口当前没有正在办理的号")
}

/// One action of a window clerk at `now`.
pub async fn window_act(
    app: &App,
    s: &Session,
    action: WindowAction<'_>,
    now: DateTime<Utc>,
) -> Result<WindowAnswer, Error> {
    let w = window_for(app, s).await?;
    let region = s.staff.region_code.as_str();
    let cats = app.store.queue_categories(region).await?;
    let windows = app.store.windows(region).await?;
    let served: Vec<String> = cats
        .iter()
        .filter(|c| c.windows.contains(&w.code))
        .map(|c| c.code.clone())
        .collect();
    let day = ymd(local_day(now));
    let at = stamp(now);
    let actor = s.staff.username.as_str();
    let v = |t: &Ticket| view(t, &cats, &windows, true);
    let (ticket, previous, message) = match action {
        WindowAction::Current => {
            let t = app.store.current_ticket(region, &w.code).await?;
            (t.as_ref().map(v), None, String::new())
        }
        WindowAction::CallNext => match app.store.call_next(region, &w.code, &served, &day, &at, actor).await? {
            WindowOutcome::Done(t) => (Some(v(&t)), None, format!("请{}号到{}办理", t.number, w.name)),
            WindowOutcome::Busy(t) => return Err(busy(&t)),
            _ => (None, None, "暂无等候的号".to_string()),
        },
        WindowAction::Recall => match app.store.recall(region, &w.code, &at, actor).await? {
            WindowOutcome::Done(t) => (Some(v(&t)), None, format!("再次呼叫{}号", t.number)),
            _ => return Err(no_current()),
        },
        WindowAction::Skip => match app.store.skip(region, &w.code, &served, &day, &at, actor).await? {
            Some((skipped, next)) => {
                let message = match &next {
                    Some(n) => format!("{}号已过号；请{}号到{}办理", skipped.number, n.number, w.name),
                    None => format!("{}号已过号；暂无等候的号", skipped.number),
                };
                (next.as_ref().map(v), Some(v(&skipped)), message)
            }
            None => return Err(no_current()),
        },
        WindowAction::Transfer(to) => {
            let target = category(app, region, to).await?;
            let current = app
                .store
                .current_ticket(region, &w.code)
                .await?
                .ok_or_else(no_current)?;
            if current.category_code == target.code {
                return Err(Error::unprocessable(
                    "same_category",
                    format!("{}号已在“{}”中", current.number, target.name),
                ));
            }
            if !target.open {
                return Err(closed(&target));
            }
            match app.store.transfer(region, &w.code, &target.code, &at, actor).await? {
                WindowOutcome::Done(t) => {
                    let message = format!("{}号已转至“{}”，按原取号时间排队", t.number, target.name);
                    (None, Some(v(&t)), message)
                }
                _ => return Err(no_current()),
            }
        }
        WindowAction::Finish(case_number) => {
            let case_number = case_number.map(str::trim).filter(|n| !n.is_empty());
            match app.store.finish(region, &w.code, case_number, &at, actor).await? {
                WindowOutcome::Done(t) => (None, Some(v(&t)), format!("{}号已办结", t.number)),
                _ => return Err(no_current()),
            }
        }
    };
    let waiting = app
        .store
        .tickets_of_day(region, &day, "waiting")
        .await?
        .iter()
        .filter(|t| served.contains(&t.category_code))
        .count() as i64;
    Ok(WindowAnswer {
        window: w.code,
        window_name: w.name,
        ticket,
        previous,
        waiting,
        categories: served,
        message,
    })
}
