//! The hall's board: the numbers being called and the queues waiting.

use super::*;
use crate::time::ymd;
use crate::App;
use crate::Error;
use chrono::{DateTime, Utc};
use serde::Serialize;
use tongban_store::Ticket;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BoardCall {
    pub window: String,
    pub window_name: String,
    pub number: String,
    pub category_name: String,
    /// When it was (last) announced
    pub announced_at: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BoardQueue {
    pub category: String,
    pub name: String,
    pub prefix: String,
    pub open: bool,
    pub waiting: i64,
    /// The next numbers to be called (at most five)
    pub next: Vec<String>,
}

/// What the hall screen shows: who is called to which window, and how many wait per category. Never a phone.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Board {
    pub day: String,
    pub generated_at: String,
    pub calling: Vec<BoardCall>,
    pub queues: Vec<BoardQueue>,
}

pub async fn board_at(app: &App, region: &str, now: DateTime<Utc>) -> Result<Board, Error> {
    let day = ymd(local_day(now));
    let cats = app.store.queue_categories(region).await?;
    let windows = app.store.windows(region).await?;
    let waiting = app.store.tickets_of_day(region, &day, "waiting").await?;
    let at = stamp(now);
    let calling = app
        .store
        .called_tickets(region)
        .await?
        .into_iter()
        .filter(|t| t.day == day)
        .filter_map(|t| {
            let w = t.window_code.clone()?;
            Some(BoardCall {
                window_name: windows
                    .iter()
                    .find(|x| x.code == w)
                    .map(|x| x.name.clone())
                    .unwrap_or_else(|| w.clone()),
                window: w,
                category_name: cats
                    .iter()
                    .find(|c| c.code == t.category_code)
                    .map(|c| c.name.clone())
                    .unwrap_or_default(),
                number: t.number,
                announced_at: t.announced_at.unwrap_or_default(),
            })
        })
        .collect();
    let queues = cats
        .into_iter()
        .map(|c| {
            // Appointments whose slot has not begun are not called yet, so they are not "next".
            let mine: Vec<&Ticket> = waiting.iter().filter(|t| t.category_code == c.code).collect();
            BoardQueue {
                waiting: mine.len() as i64,
                next: mine
                    .iter()
                    .filter(|t| t.ready_at <= at)
                    .take(5)
                    .map(|t| t.number.clone())
                    .collect(),
                category: c.code,
                name: c.name,
                prefix: c.prefix,
                open: c.open,
            }
        })
        .collect();
    Ok(Board {
        day,
        generated_at: at,
        calling,
        queues,
    })
}
