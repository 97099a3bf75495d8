//! Hall queue use cases (取号叫号): taking a ticket at the kiosk or booking an appointment slot, the window
//! clerk's call next / recall / skip / transfer / finish, the hall board and the waiting and serving figures.
//! Shared by the API and the pages. Every function that depends on the time takes `now`, so tests fix it.

use crate::cases::masked_phone;
use crate::time::{china, ymd};
use crate::App;
use crate::{Error, ErrorKind};
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde::Serialize;
use tongban_core::ids::Phone;
use tongban_core::role::Role;
use tongban_store::{NewTicket, QueueCategory, Session, Taken, Ticket, WindowOutcome, WindowRef};

/// How far ahead an appointment may be booked.
pub const BOOKING_DAYS_AHEAD: i64 = 30;

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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
            masked_phone(&t.phone)
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

async fn issued(app: &App, region: &str, c: &QueueCategory, new: NewTicket) -> Result<TicketView, Error> {
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

fn parse_day(field: &str, s: &str) -> Result<NaiveDate, Error> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| Error::bad_request("invalid_date", format!("{field}“{s}”应为YYYY-MM-DD格式的日期")))
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
    let day = parse_day("date", date)?;
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
    let day = parse_day("date", date)?;
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

/// The window of a signed-in window clerk; anybody else may not call tickets.
pub async fn window_for(app: &App, s: &Session) -> Result<WindowRef, Error> {
    if s.staff.role != Role::Clerk {
        return Err(Error::forbidden(format!("“{}”不在窗口叫号", s.staff.role.label())));
    }
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

#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueFigures {
    pub key: String,
    pub name: String,
    /// Tickets issued (kiosk and appointments)
    pub tickets: i64,
    /// Visitors received: tickets served to the end (办结)
    pub visitors: i64,
    /// Called but the visitor did not come (过号)
    pub skipped: i64,
    /// Still waiting or at a window
    pub open: i64,
    pub avg_wait_minutes: Option<f64>,
    pub p90_wait_minutes: Option<f64>,
    pub avg_serve_minutes: Option<f64>,
    pub p90_serve_minutes: Option<f64>,
    #[serde(skip)]
    waits: Vec<i64>,
    #[serde(skip)]
    serves: Vec<i64>,
}

impl QueueFigures {
    fn new(key: &str, name: &str) -> QueueFigures {
        QueueFigures {
            key: key.into(),
            name: name.into(),
            ..Default::default()
        }
    }
    fn add(&mut self, t: &Ticket) {
        self.tickets += 1;
        match t.state.as_str() {
            "done" => {
                self.visitors += 1;
                self.serves.push(t.served_seconds);
            }
            "skipped" => self.skipped += 1,
            _ => self.open += 1,
        }
        if t.first_called_at.is_some() {
            self.waits.push(t.waited_seconds);
        }
    }
    fn finish(mut self) -> QueueFigures {
        let (avg, p90) = stats(&mut self.waits);
        self.avg_wait_minutes = avg;
        self.p90_wait_minutes = p90;
        let (avg, p90) = stats(&mut self.serves);
        self.avg_serve_minutes = avg;
        self.p90_serve_minutes = p90;
        self
    }
}

/// Mean and 90th percentile (nearest rank) of seconds, in minutes to one decimal.
fn stats(v: &mut [i64]) -> (Option<f64>, Option<f64>) {
    if v.is_empty() {
        return (None, None);
    }
    v.sort_unstable();
    let minutes = |s: f64| (s / 6.0).round() / 10.0;
    let mean = v.iter().sum::<i64>() as f64 / v.len() as f64;
    let rank = ((v.len() as f64) * 0.9).ceil() as usize;
    let p90 = v[rank.clamp(1, v.len()) - 1] as f64;
    (Some(minutes(mean)), Some(minutes(p90)))
}

pub const FIGURES_FORMULA: &str = "取号数 = 当日发出的号（现场取号与预约）；接待人次 = 办结的号；过号 = 叫号后未到；\
等候时间 = 每次排队从取号（预约号从预约时段开始、转移的号从转移时起）到被叫号的分钟数之和，计入所有已叫过的号；\
办理时间 = 每个窗口从叫号到办结（或转出）的分钟数之和，计入办结的号；平均为算术平均，P90为最近秩法第90百分位（90%的号不超过此值）。\
按窗口统计归入最后叫号的窗口，按类别统计归入号所在的类别（转移后为转入类别）。";

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueReport {
    pub from: String,
    pub to: String,
    /// How each figure is computed
    pub formula: String,
    pub total: QueueFigures,
    /// Visitors per day
    pub by_day: Vec<QueueFigures>,
    pub by_category: Vec<QueueFigures>,
    pub by_window: Vec<QueueFigures>,
}

/// Waiting and serving figures over the tickets of the days [from, to]: supervisors and administrators.
pub async fn figures(app: &App, s: &Session, from: NaiveDate, to: NaiveDate) -> Result<QueueReport, Error> {
    if !matches!(s.staff.role, Role::Supervisor | Role::Admin) {
        return Err(Error::forbidden(format!(
            "“{}”无权查看取号叫号统计",
            s.staff.role.label()
        )));
    }
    if from > to {
        return Err(Error::bad_request("invalid_range", "起始日期不能晚于结束日期"));
    }
    if (to - from).num_days() > 366 {
        return Err(Error::bad_request("invalid_range", "统计范围不能超过一年"));
    }
    let region = s.staff.region_code.as_str();
    let tickets = app.store.tickets_between(region, &ymd(from), &ymd(to)).await?;
    let cats = app.store.queue_categories(region).await?;
    let windows = app.store.windows(region).await?;
    let mut total = QueueFigures::new("all", "全部");
    let mut by_day: Vec<QueueFigures> = Vec::new();
    let mut by_category: Vec<QueueFigures> = Vec::new();
    let mut by_window: Vec<QueueFigures> = Vec::new();
    fn group<'a>(list: &'a mut Vec<QueueFigures>, key: &str, name: &str) -> &'a mut QueueFigures {
        let i = match list.iter().position(|f| f.key == key) {
            Some(i) => i,
            None => {
                list.push(QueueFigures::new(key, name));
                list.len() - 1
            }
        };
        &mut list[i]
    }
    for t in &tickets {
        total.add(t);
        group(&mut by_day, &t.day, &t.day).add(t);
        let cname = cats
            .iter()
            .find(|c| c.code == t.category_code)
            .map(|c| c.name.as_str())
            .unwrap_or(t.category_code.as_str());
        group(&mut by_category, &t.category_code, cname).add(t);
        if let Some(w) = &t.window_code {
            let wname = windows
                .iter()
                .find(|x| &x.code == w)
                .map(|x| x.name.as_str())
                .unwrap_or(w.as_str());
            group(&mut by_window, w, wname).add(t);
        }
    }
    by_day.sort_by(|a, b| a.key.cmp(&b.key));
    by_category.sort_by(|a, b| a.key.cmp(&b.key));
    by_window.sort_by(|a, b| a.key.cmp(&b.key));
    let finish = |v: Vec<QueueFigures>| v.into_iter().map(QueueFigures::finish).collect();
    Ok(QueueReport {
        from: ymd(from),
        to: ymd(to),
        formula: FIGURES_FORMULA.into(),
        total: total.finish(),
        by_day: finish(by_day),
        by_category: finish(by_category),
        by_window: finish(by_window),
    })
}

/// The period asked for, by default the last 7 days up to today.
pub fn period(from: Option<&str>, to: Option<&str>, now: DateTime<Utc>) -> Result<(NaiveDate, NaiveDate), Error> {
    let to = match to.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => parse_day("to", t)?,
        None => local_day(now),
    };
    let from = match from.map(str::trim).filter(|f| !f.is_empty()) {
        Some(f) => parse_day("from", f)?,
        None => to - Duration::days(6),
    };
    Ok((from, to))
}

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
    if s.staff.role != Role::Admin {
        return Err(Error::forbidden("只有系统管理员可以设置取号类别"));
    }
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

/// A ticket by day and number, phone masked (the kiosk's printable ticket).
pub async fn ticket(app: &App, region: &str, day: &str, number: &str) -> Result<TicketView, Error> {
    let t = app
        .store
        .ticket(region, day, number)
        .await?
        .ok_or_else(|| Error::not_found(format!("{day}的{number}号")))?;
    ticket_view(app, region, &t, false).await
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
