//! Hall queue use cases (取号叫号): taking a ticket at the kiosk or booking an appointment slot, the window
//! clerk's call next / recall / skip / transfer / finish, the hall board and the waiting and serving figures.
//! Shared by the API and the pages. Every function that depends on the time takes `now`, so tests fix it.

mod board;
mod categories;
mod figures;
mod tickets;
mod window;

pub use board::*;
pub use categories::*;
pub use figures::*;
pub use tickets::*;
pub use window::*;

use crate::time::{china, ymd};
use crate::App;
use crate::Error;
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde::Serialize;
use tongban_core::ids::Phone;
use tongban_store::{QueueCategory, Ticket};

/// Stored form of an instant: UTC, second precision.
pub fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The local (UTC+8) date of an instant: the day tickets are numbered and counted on.
pub fn local_day(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&china()).date_naive()
}

/// Local wall-clock time of an instant ("09:05"), for the hall screen.
pub fn local_clock(t: DateTime<Utc>) -> String {
    t.with_timezone(&china()).format("%H:%M").to_string()
}

/// The instant a local date and minute of the day begin, in UTC.
fn local_instant(day: NaiveDate, minute: u32) -> DateTime<Utc> {
    local_at(day, i64::from(minute) * 60)
}

/// The instant `seconds` after local midnight of `day`, in UTC.
pub fn local_at(day: NaiveDate, seconds: i64) -> DateTime<Utc> {
    let naive: NaiveDateTime = day.and_hms_opt(0, 0, 0).unwrap_or_default() + Duration::seconds(seconds);
    match china().from_local_datetime(&naive).single() {
        Some(t) => t.with_timezone(&Utc),
        None => Utc.from_utc_datetime(&naive),
    }
}

fn hhmm(minute: u32) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

fn parse_hhmm(s: &str) -> Option<u32> {
    let (h, m) = s.trim().split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60 || h == 24 && m == 0).then_some(h * 60 + m)
}

/// Parses opening periods like "09:00-12:00,13:30-17:00" into minutes of the day, in order and not overlapping.
pub fn parse_hours(s: &str) -> Result<Vec<(u32, u32)>, Error> {
    let bad = || {
        Error::unprocessable(
            "invalid_hours",
            format!("办理时段“{s}”应写成“09:00-12:00,13:30-17:00”的形式，时段按先后排列且互不重叠"),
        )
    };
    let mut out: Vec<(u32, u32)> = Vec::new();
    for part in s.split([',', '，']).map(str::trim).filter(|p| !p.is_empty()) {
        let (a, b) = part.split_once(['-', '–']).ok_or_else(bad)?;
        let (a, b) = (parse_hhmm(a).ok_or_else(bad)?, parse_hhmm(b).ok_or_else(bad)?);
        if a >= b || out.last().is_some_and(|&(_, end)| a < end) {
            return Err(bad());
        }
        out.push((a, b));
    }
    if out.is_empty() {
        return Err(bad());
    }
    Ok(out)
}

/// The appointment slots of a category: each opening period cut into slots of its length (a remainder shorter
/// than a slot is not offered). (label, start minute, end minute)
pub fn slots_of(c: &QueueCategory) -> Vec<(String, u32, u32)> {
    let len = c.slot_minutes.clamp(5, 240) as u32;
    let mut out = Vec::new();
    for (a, b) in parse_hours(&c.hours).unwrap_or_default() {
        let mut t = a;
        while t + len <= b {
            out.push((hhmm(t), t, t + len));
            t += len;
        }
    }
    out
}

pub fn state_label(s: &str) -> &'static str {
    match s {
        "waiting" => "等候中",
        "called" => "已叫号",
        "done" => "已办结",
        "skipped" => "已过号",
        _ => "未知",
    }
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = QueueCategoryView))]
pub struct CategoryView {
    pub code: String,
    pub name: String,
    /// The letter its ticket numbers start with
    pub prefix: String,
    /// Codes of the windows that call it
    pub windows: Vec<String>,
    /// False: no tickets are issued (暂停取号)
    pub open: bool,
    pub slot_minutes: i64,
    /// Appointments per slot; 0: no appointments
    pub slot_capacity: i64,
    /// Local opening periods, e.g. "09:00-12:00,13:30-17:00"
    pub hours: String,
    pub position: i64,
    /// Tickets waiting today
    pub waiting: i64,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketView {
    /// e.g. A012 (numbered per day and letter)
    pub number: String,
    /// Local date the ticket is for
    pub day: String,
    pub category: String,
    pub category_name: String,
    /// waiting, called, done or skipped
    pub state: String,
    pub state_label: String,
    /// kiosk or appointment
    pub channel: String,
    /// Masked (138****5678) except for the clerk serving the ticket
    pub phone: String,
    /// Appointment slot start ("09:30"), for a booked ticket
    pub appointment_slot: Option<String>,
    pub taken_at: String,
    pub called_at: Option<String>,
    pub window: Option<String>,
    pub window_name: Option<String>,
    /// Tickets to be called before this one (while it waits)
    pub people_ahead: Option<i64>,
    pub transfers: i64,
    pub case_number: Option<String>,
}

fn view(t: &Ticket, cats: &[QueueCategory], windows: &[tongban_store::Window], whole_phone: bool) -> TicketView {
    TicketView {
        number: t.number.clone(),
        day: t.day.clone(),
        category: t.category_code.clone(),
        category_name: cats
            .iter()
            .find(|c| c.code == t.category_code)
            .map(|c| c.name.clone())
            .unwrap_or_else(|| t.category_code.clone()),
        state: t.state.clone(),
        state_label: state_label(&t.state).into(),
        channel: t.channel.clone(),
        phone: if whole_phone {
            t.phone.clone()
        } else {
            crate::policy::mask::phone(&t.phone)
        },
        appointment_slot: t.appointment_slot.clone(),
        taken_at: t.taken_at.clone(),
        called_at: t.called_at.clone(),
        window: t.window_code.clone(),
        window_name: t
            .window_code
            .as_ref()
            .and_then(|w| windows.iter().find(|x| &x.code == w))
            .map(|w| w.name.clone()),
        people_ahead: None,
        transfers: t.transfers,
        case_number: t.case_number.clone(),
    }
}

async fn ticket_view(app: &App, region: &str, t: &Ticket, whole_phone: bool) -> Result<TicketView, Error> {
    let cats = app.store.queue_categories(region).await?;
    let windows = app.store.windows(region).await?;
    let mut v = view(t, &cats, &windows, whole_phone);
    if t.state == "waiting" {
        v.people_ahead = Some(app.store.people_ahead(region, t).await?);
    }
    Ok(v)
}

/// The categories with today's waiting counts.
pub async fn categories(app: &App, region: &str, now: DateTime<Utc>) -> Result<Vec<CategoryView>, Error> {
    let waiting = app
        .store
        .tickets_of_day(region, &ymd(local_day(now)), "waiting")
        .await?;
    Ok(app
        .store
        .queue_categories(region)
        .await?
        .into_iter()
        .map(|c| CategoryView {
            waiting: waiting.iter().filter(|t| t.category_code == c.code).count() as i64,
            code: c.code,
            name: c.name,
            prefix: c.prefix,
            windows: c.windows,
            open: c.open,
            slot_minutes: c.slot_minutes,
            slot_capacity: c.slot_capacity,
            hours: c.hours,
            position: c.position,
        })
        .collect())
}

async fn category(app: &App, region: &str, code: &str) -> Result<QueueCategory, Error> {
    app.store
        .queue_category(region, code.trim())
        .await?
        .ok_or_else(|| Error::not_found(format!("取号类别“{}”", code.trim())))
}

fn closed(c: &QueueCategory) -> Error {
    Error::unprocessable(
        "category_closed",
        format!("“{}”已暂停取号，请咨询导办台或选择其他类别", c.name),
    )
}

fn phone(raw: Option<&str>) -> Result<String, Error> {
    match raw.map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => Ok(Phone::parse(p)?.as_str().to_string()),
        None => Ok(String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_and_slots() {
        assert_eq!(
            parse_hours("09:00-12:00,13:30-17:00").ok(),
            Some(vec![(540, 720), (810, 1020)])
        );
        assert!(parse_hours("12:00-09:00").is_err());
        assert!(parse_hours("09:00-12:00,11:00-13:00").is_err());
        assert_eq!(parse_hours("00:00-24:00").ok(), Some(vec![(0, 1440)]));
        let c = QueueCategory {
            code: "a".into(),
            name: "综合".into(),
            prefix: "A".into(),
            windows: vec!["zc-01".into()],
            open: true,
            slot_minutes: 45,
            slot_capacity: 2,
            hours: "09:00-10:40".into(),
            position: 0,
        };
        let labels: Vec<String> = slots_of(&c).into_iter().map(|s| s.0).collect();
        assert_eq!(labels, vec!["09:00", "09:45"]);
    }

    #[test]
    fn percentile_is_nearest_rank() {
        let mut v: Vec<i64> = (1..=10).map(|m| m * 60).collect();
        assert_eq!(stats(&mut v), (Some(5.5), Some(9.0)));
        assert_eq!(stats(&mut []), (None, None));
    }

    #[test]
    fn local_day_is_china_time() {
        let t = Utc.with_ymd_and_hms(2025, 6, 2, 17, 0, 0).single().unwrap_or_default();
        assert_eq!(ymd(local_day(t)), "2025-06-03");
        assert_eq!(stamp(local_instant(local_day(t), 9 * 60)), "2025-06-03T01:00:00Z");
    }
}
