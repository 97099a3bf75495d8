//! 12345 hotline work orders (工单): intake from every channel, the dispatch–sign–reply–revisit life cycle with
//! returns, extensions, leaders' review and merging, deadlines on the shared working-day calendar, bulletins and
//! the early warnings of 未诉即办. Shared by the JSON API, the pages, Open311 and the command line.

mod act;
mod categories;
mod intake;
mod keys;
mod views;
mod warnings;

pub use act::*;
pub use categories::*;
pub use intake::*;
pub use keys::*;
pub use views::*;
pub use warnings::*;

use crate::time::china;
use crate::App;
use crate::Error;
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use tongban_store::HotlineCategory;

pub mod bulletin;
pub mod cluster;
pub mod files;

/// Kinds with their names and the default time limits in working days (广东省 rules, shared/DOMAIN.md), which a
/// deployment may change (`[hotline]` in tongban.toml, `HotlineSettings`) and a category may override.
pub const KINDS: [(&str, &str, u32); 5] = [
    ("consultation", "咨询", 2),
    ("help", "求助", 10),
    ("suggestion", "建议", 10),
    ("complaint", "投诉", 15),
    ("report", "举报", 15),
];

/// Emergencies are answered the same day: by default this many hours from receipt.
pub const EMERGENCY_HOURS: i64 = 4;

/// The deployment's hotline settings (tongban.toml `[hotline]`, `TONGBAN_HOTLINE_*`); the defaults are `KINDS`
/// and `EMERGENCY_HOURS`.
#[derive(Debug, Clone, PartialEq)]
pub struct HotlineSettings {
    /// Working days per kind (the codes of `KINDS`), used when a category sets no limit of its own.
    pub kind_days: Vec<(String, u32)>,
    /// Hours from receipt an emergency is due.
    pub emergency_hours: i64,
    /// Points accepted (Open311 lat/long and every intake): `[south, west, north, east]` in degrees; None: anywhere
    /// on the globe.
    pub bbox: Option<[f64; 4]>,
}

impl Default for HotlineSettings {
    fn default() -> Self {
        HotlineSettings {
            kind_days: KINDS.iter().map(|(k, _, d)| (k.to_string(), *d)).collect(),
            emergency_hours: EMERGENCY_HOURS,
            bbox: None,
        }
    }
}

impl HotlineSettings {
    /// The default working days of a kind (15 for a kind not configured).
    pub fn days_for(&self, kind: &str) -> u32 {
        self.kind_days
            .iter()
            .find(|(k, _)| k == kind)
            .map(|(_, d)| *d)
            .unwrap_or(15)
    }

    /// "咨询2个工作日，求助10个…" for pages.
    pub fn describe(&self) -> String {
        let kinds: Vec<String> = KINDS
            .iter()
            .map(|(k, l, _)| format!("{l}{}个工作日", self.days_for(k)))
            .collect();
        format!("{}，特急{}小时", kinds.join("，"), self.emergency_hours)
    }
}

/// Checks a point: both coordinates or neither, in range, and inside the deployment's bounding box if it has one.
pub fn check_location(settings: &HotlineSettings, lat: Option<f64>, lon: Option<f64>) -> Result<(), Error> {
    match (lat, lon) {
        (None, None) => Ok(()),
        (Some(la), Some(lo)) if (-90.0..=90.0).contains(&la) && (-180.0..=180.0).contains(&lo) => match settings.bbox {
            Some([s, w, n, e]) if !(s..=n).contains(&la) || !(w..=e).contains(&lo) => Err(Error::unprocessable(
                "location_outside",
                format!("位置（纬度{la}，经度{lo}）不在本区受理范围内（纬度{s}到{n}，经度{w}到{e}）"),
            )),
            _ => Ok(()),
        },
        _ => Err(Error::unprocessable(
            "invalid_location",
            "经纬度应同时给出，纬度在−90到90之间，经度在−180到180之间",
        )),
    }
}

pub const CHANNELS: [(&str, &str); 6] = [
    ("phone", "电话"),
    ("web", "网站"),
    ("mailbox", "区长信箱"),
    ("npc", "人大代表建议"),
    ("cppcc", "政协委员提案"),
    ("open311", "Open311接口"),
];

pub const URGENCIES: [(&str, &str); 3] = [("normal", "一般"), ("urgent", "紧急"), ("emergency", "特急")];

pub const SATISFACTION: [&str; 3] = ["满意", "基本满意", "不满意"];

pub const STATES: [(&str, &str); 9] = [
    ("received", "待派单"),
    ("dispatched", "待签收"),
    ("returned", "退单待审"),
    ("handling", "办理中"),
    ("replied", "待回访"),
    ("revisited", "待办结"),
    ("review", "督办中"),
    ("closed", "已办结"),
    ("merged", "已合并"),
];

/// States in which the order is still with someone (not closed, not merged).
pub const OPEN_STATES: [&str; 7] = [
    "received",
    "dispatched",
    "returned",
    "handling",
    "replied",
    "revisited",
    "review",
];

pub fn label<'a>(table: &'a [(&'a str, &'a str)], code: &str) -> &'a str {
    table.iter().find(|(c, _)| *c == code).map(|(_, l)| *l).unwrap_or("")
}

pub fn kind_label(kind: &str) -> &'static str {
    KINDS
        .iter()
        .find(|(k, _, _)| *k == kind)
        .map(|(_, l, _)| *l)
        .unwrap_or("")
}

pub fn state_label(state: &str) -> &'static str {
    STATES.iter().find(|(k, _)| *k == state).map(|(_, l)| *l).unwrap_or("")
}

pub fn time_text(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%SZ")
        .ok()
        .map(|n| n.and_utc())
}

/// A stored UTC time as China local time with its offset (ISO 8601), e.g. `2026-11-28T09:05:00+08:00`.
pub fn local_iso(s: &str) -> String {
    parse_time(s)
        .map(|t| t.with_timezone(&china()).to_rfc3339())
        .unwrap_or_default()
}

/// "2026-11-28 09:05" local, for pages.
pub fn local_short(s: &str) -> String {
    parse_time(s)
        .map(|t| t.with_timezone(&china()).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

fn local_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&china()).date_naive()
}

/// The end of a local day (23:59:59 in China) as UTC.
fn end_of_local_day(d: NaiveDate) -> DateTime<Utc> {
    let naive = d.and_hms_opt(23, 59, 59).unwrap_or_default();
    china()
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| naive.and_utc())
}

/// Working days allowed for a category: its own limit, else the deployment's default for its kind.
pub fn limit_days(settings: &HotlineSettings, c: &HotlineCategory) -> u32 {
    match c.limit_days {
        Some(d) if d > 0 => d as u32,
        _ => settings.days_for(&c.kind),
    }
}

/// When an order received at `at` is due: emergencies `emergency_hours` later, the others at the end of the
/// `days`-th working day after the day of receipt (day 0), on the same calendar as cases.
pub fn due_at(app: &App, at: DateTime<Utc>, urgency: &str, days: u32) -> DateTime<Utc> {
    if urgency == "emergency" {
        return at + Duration::hours(app.config.hotline.emergency_hours);
    }
    let d = app.calendar().add_working_days(local_date(at), days);
    end_of_local_day(d.date)
}

/// Moves a due time on by `days` working days (an approved extension).
fn extend_due(app: &App, due: &str, days: u32) -> String {
    let from = parse_time(due).unwrap_or_else(Utc::now);
    let d = app.calendar().add_working_days(local_date(from), days);
    time_text(end_of_local_day(d.date))
}
