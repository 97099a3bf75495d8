//! Tickets taken at the kiosk and appointments booked for a slot on a working day.

use super::*;
use crate::time::ymd;
use crate::App;
use crate::{Error, ErrorKind};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;
use tongban_store::{NewTicket, QueueCategory, Taken};

/// How far ahead an appointment may be booked.
pub const BOOKING_DAYS_AHEAD: i64 = 30;

/// A walk-in ticket at the kiosk for today. A closed category is refused before anything is written.
pub async fn take_at(
    app: &App,
    region: &str,
    category_code: &str,
    phone_raw: Option<&str>,
    now: DateTime<Utc>,
) -> Result<TicketView, Error> {
    let c = category(app, region, category_code).await?;
    if !c.open {
        return Err(closed(&c));
    }
    let new = NewTicket {
        region_code: region.to_string(),
        category_code: c.code.clone(),
        day: ymd(local_day(now)),
        phone: phone(phone_raw)?,
        appointment: None,
        now: stamp(now),
        actor: "kiosk".into(),
    };
    issued(app, region, &c, new).await
}

pub(super) async fn issued(app: &App, region: &str, c: &QueueCategory, new: NewTicket) -> Result<TicketView, Error> {
    match app.store.take_ticket(&new).await? {
        Taken::Issued(t) => ticket_view(app, region, &t, false).await,
        Taken::Closed => Err(closed(c)),
        Taken::SlotFull => Err(Error::new(
            ErrorKind::Conflict,
            "slot_full",
            format!("“{}”该时段的预约已满，请选择其他时段", c.name),
        )),
    }
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SlotView {
    /// Start, local time ("09:00")
    pub slot: String,
    pub ends: String,
    pub capacity: i64,
    pub booked: i64,
    pub free: i64,
    /// The slot has ended: it can no longer be booked
    pub past: bool,
}

/// Checks that appointments can be booked for this category on this date.
fn bookable_day(app: &App, c: &QueueCategory, day: NaiveDate, now: DateTime<Utc>) -> Result<(), Error> {
    if !c.open {
        return Err(closed(c));
    }
    if c.slot_capacity <= 0 {
        return Err(Error::unprocessable(
            "no_appointments",
            format!("“{}”不提供预约，请到大厅现场取号", c.name),
        ));
    }
    let today = local_day(now);
    if day < today {
        return Err(Error::unprocessable("slot_past", format!("{}已过，不能预约", ymd(day))));
    }
    if day > today + Duration::days(BOOKING_DAYS_AHEAD) {
        return Err(Error::unprocessable(
            "too_far_ahead",
            format!("最多可预约{BOOKING_DAYS_AHEAD}天内的时段"),
        ));
    }
    let working = app.calendar.read().map(|cal| cal.is_working_day(day)).unwrap_or(true);
    if !working {
        return Err(Error::unprocessable(
            "not_working_day",
            format!("{}不是工作日，大厅不办公", ymd(day)),
        ));
    }
    Ok(())
}

/// Free capacity per slot of a category on a date.
pub async fn slots_at(
    app: &App,
    region: &str,
    category_code: &str,
    date: &str,
    now: DateTime<Utc>,
) -> Result<Vec<SlotView>, Error> {
    let c = category(app, region, category_code).await?;
    let day = crate::time::day_field("date", date)?;
    bookable_day(app, &c, day, now)?;
    let booked = app.store.slot_bookings(region, &c.code, &ymd(day)).await?;
    Ok(slots_of(&c)
        .into_iter()
        .map(|(label, _, end)| {
            let n = booked.iter().find(|(s, _)| *s == label).map(|(_, n)| *n).unwrap_or(0);
            SlotView {
                past: local_instant(day, end) <= now,
                ends: hhmm(end),
                capacity: c.slot_capacity,
                booked: n,
                free: (c.slot_capacity - n).max(0),
                slot: label,
            }
        })
        .collect())
}

/// Books an appointment: a ticket for the slot, called before walk-ins once the slot has begun. A slot may be
/// booked until it ends; a full slot is refused (409) and a closed category or a past slot too (422), with nothing
/// written.
pub async fn book_at(
    app: &App,
    region: &str,
    category_code: &str,
    date: &str,
    slot: &str,
    phone_raw: &str,
    now: DateTime<Utc>,
) -> Result<TicketView, Error> {
    let c = category(app, region, category_code).await?;
    let day = crate::time::day_field("date", date)?;
    bookable_day(app, &c, day, now)?;
    let (label, start, end) = slots_of(&c)
        .into_iter()
        .find(|(l, _, _)| l == slot.trim())
        .ok_or_else(|| {
            Error::unprocessable(
                "invalid_slot",
                format!("“{}”没有“{}”开始的预约时段", c.name, slot.trim()),
            )
        })?;
    if local_instant(day, end) <= now {
        return Err(Error::unprocessable(
            "slot_past",
            format!("{} {label}的时段已过，不能预约", ymd(day)),
        ));
    }
    if phone_raw.trim().is_empty() {
        return Err(Error::unprocessable("missing_phone", "预约须填写手机号码"));
    }
    let new = NewTicket {
        region_code: region.to_string(),
        category_code: c.code.clone(),
        day: ymd(day),
        phone: phone(Some(phone_raw))?,
        appointment: Some((label, stamp(local_instant(day, start)), c.slot_capacity)),
        now: stamp(now),
        actor: "appointment".into(),
    };
    issued(app, region, &c, new).await
}

/// A ticket by day and number, phone masked (the kiosk's printable ticket).
pub async fn ticket(app: &App, region: &str, day: &str, number: &str) -> Result<TicketView, Error> {
    let t = app
        .store
        .ticket(region, day, number)
        .await?
        .ok_or_else(|| Error::not_found(format!("{day}的{number}号")))?;
    ticket_view(app, region, &t, false).await
}
