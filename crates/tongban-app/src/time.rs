//! Beijing time, which every day and deadline of the platform is counted in, and the one text form of a day.

use chrono::{Datelike, FixedOffset, NaiveDate, Offset, Utc};

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

/// A stored instant (UTC, RFC 3339) as people read it: Beijing time to the minute, `2026-12-07 09:30`. Text that is
/// not an instant is returned as it is.
pub fn beijing(utc: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(utc)
        .map(|t| t.with_timezone(&china()).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|_| utc.to_string())
}

/// A day written as `ymd` writes it.
pub fn parse_day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// The traffic light of a running deadline: `red` past it, `yellow` within `warn_days` working days, else `none`.
pub fn deadline_light(remaining_working_days: i64, warn_days: i64) -> &'static str {
    if remaining_working_days < 0 {
        "red"
    } else if remaining_working_days <= warn_days {
        "yellow"
    } else {
        "none"
    }
}

/// A day given in a field of a request: `YYYY-MM-DD`, else 400 `invalid_date` naming the field and the value.
pub fn day_field(field: &str, s: &str) -> Result<NaiveDate, crate::Error> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| crate::Error::bad_request("invalid_date", format!("{field}“{s}”应为YYYY-MM-DD格式的日期")))
}

/// Where a reporting period starts when the request gives no first day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodStart {
    /// This many days before the last day (a week: 6, a month: 30).
    DaysBefore(i64),
    /// The first of the last day's month.
    MonthStart,
    /// The first of January of the last day's year.
    YearStart,
}

/// The period a figures page or report covers: `from` and `to` as given (empty: the default), the last day
/// defaulting to `today`; a first day after the last is 400 `invalid_range`.
pub fn period(
    from: Option<&str>,
    to: Option<&str>,
    today: NaiveDate,
    start: PeriodStart,
) -> Result<(NaiveDate, NaiveDate), crate::Error> {
    let given = |v: Option<&str>| v.map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
    let to = match given(to) {
        Some(t) => day_field("to", &t)?,
        None => today,
    };
    let from = match given(from) {
        Some(f) => day_field("from", &f)?,
        None => match start {
            PeriodStart::DaysBefore(n) => to - chrono::Duration::days(n),
            PeriodStart::MonthStart => to.with_day(1).unwrap_or(to),
            PeriodStart::YearStart => NaiveDate::from_ymd_opt(to.year(), 1, 1).unwrap_or(to),
        },
    };
    if from > to {
        return Err(crate::Error::bad_request("invalid_range", "起始日期不能晚于结束日期"));
    }
    Ok((from, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_read_in_beijing_time() {
        assert_eq!(beijing("2026-12-07T16:30:00Z"), "2026-12-08 00:30");
        assert_eq!(beijing("not a time"), "not a time");
    }

    fn d(s: &str) -> NaiveDate {
        parse_day(s).unwrap_or_default()
    }

    #[test]
    fn periods_default_from_their_start_and_name_bad_input() {
        let today = d("2026-12-07");
        let p = |from, to, start| period(from, to, today, start);
        assert_eq!(
            p(None, None, PeriodStart::DaysBefore(6)).ok(),
            Some((d("2026-12-01"), today))
        );
        assert_eq!(
            p(Some(""), Some(" "), PeriodStart::MonthStart).ok(),
            Some((d("2026-12-01"), today))
        );
        assert_eq!(
            p(None, Some("2025-03-15"), PeriodStart::YearStart).ok(),
            Some((d("2025-01-01"), d("2025-03-15"))),
            "the default first day follows the last day asked for"
        );
        let e = p(Some("2026-13-01"), None, PeriodStart::MonthStart).unwrap_err();
        assert_eq!((e.code, e.kind), ("invalid_date", crate::ErrorKind::Malformed));
        assert!(e.message.contains("from") && e.message.contains("2026-13-01"), "{e}");
        let e = p(Some("2026-12-07"), Some("2026-12-01"), PeriodStart::MonthStart).unwrap_err();
        assert_eq!(e.code, "invalid_range");
    }

    #[test]
    fn deadline_lights() {
        assert_eq!(deadline_light(-1, 1), "red");
        assert_eq!(deadline_light(0, 1), "yellow");
        assert_eq!(deadline_light(1, 1), "yellow");
        assert_eq!(deadline_light(2, 1), "none");
        assert_eq!(deadline_light(3, 3), "yellow");
    }
}
