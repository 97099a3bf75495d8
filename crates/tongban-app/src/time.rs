//! Beijing time, which every day and deadline of the platform is counted in, and the one text form of a day.

use chrono::{FixedOffset, NaiveDate, Offset, Utc};

/// UTC+8, the time zone of every office the platform serves.
pub fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| Utc.fix())
}

/// Today in China: the day a case is accepted on and deadlines count from.
pub fn today() -> NaiveDate {
    Utc::now().with_timezone(&china()).date_naive()
}

/// A day as stored and shown: `2026-12-07`.
pub fn ymd(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// A day written as `ymd` writes it.
pub fn parse_day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}
