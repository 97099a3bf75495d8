//! The working-day calendar that deadlines are counted on.
//!
//! Saturdays and Sundays are off except the make-up working days (调休上班), and the holidays of the State Council's
//! yearly notice (国务院办公厅关于部分节假日安排的通知) are off. The notices for 2023–2026 ship in
//! `data/calendar/YYYY.toml` and are compiled in ([`Calendar::official`]); a later notice is loaded at run time with
//! [`YearNotice::parse_toml`] and [`Calendar::load_notice`].
//!
//! A year's notice appears only weeks before the year, yet a case accepted in December has its deadline in the next
//! year. For a year without a notice the calendar is **provisional**: weekends plus the statutory festival days of
//! 全国年节及纪念日放假办法 as revised in 2024 ([`statutory_holidays`]); a [`Deadline`] that counted any such day says
//! so, and is to be recomputed when the notice is loaded. The provisional rules do not guess the days the notice will
//! add (bridge days, 补假 for a festival on a weekend, 调休): they are only the festival days themselves.

use chinese_lunisolar_calendar::LunisolarDate;
use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

/// The notices shipped with tongban, one TOML file per year (see `data/calendar/README.md`).
const OFFICIAL_NOTICES: [&str; 4] = [
    include_str!("../../../data/calendar/2023.toml"),
    include_str!("../../../data/calendar/2024.toml"),
    include_str!("../../../data/calendar/2025.toml"),
    include_str!("../../../data/calendar/2026.toml"),
];

/// One year's holiday notice: the days off and the make-up working days it lists. Days it does not list follow the
/// weekday rule (Monday–Friday working).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearNotice {
    pub year: i32,
    /// The notice: issuer, title, document number where it has one, date of publication.
    pub source: String,
    /// Days off; may include a few days of the neighbouring years (2023's 元旦 begins on 2022-12-31).
    pub holidays: BTreeSet<NaiveDate>,
    /// Make-up working days (调休上班), each a Saturday or Sunday.
    pub workdays: BTreeSet<NaiveDate>,
}

/// Which list of a notice an entry is in; used to name the bad entry in an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Holiday,
    Workday,
}

impl fmt::Display for EntryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EntryKind::Holiday => "节假日（holidays）",
            EntryKind::Workday => "调休上班日（workdays）",
        })
    }
}

/// A notice that cannot be used. Each message is in Chinese and names the entry at fault.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum CalendarError {
    #[error("节假日通知不是有效的 TOML，或字段不符（应有 year、source、holidays、workdays）：{0}")]
    Toml(String),
    #[error("节假日通知未写明来源（source）")]
    MissingSource,
    #[error("节假日通知的年份 {0} 无效")]
    BadYear(i32),
    #[error("{kind}条目“{entry}”不是有效日期，应为 YYYY-MM-DD 或区间 YYYY-MM-DD..YYYY-MM-DD")]
    BadDate { kind: EntryKind, entry: String },
    #[error("{kind}条目“{entry}”的起始日期晚于结束日期")]
    BackwardRange { kind: EntryKind, entry: String },
    #[error("{kind}条目“{entry}”与 {year} 年相距太远：只允许 {year} 年前一年 12 月至后一年 1 月的日期")]
    FarFromYear { kind: EntryKind, entry: String, year: i32 },
    #[error("{date} 既被列为节假日又被列为调休上班日（条目“{entry}”）")]
    HolidayAndWorkday { date: NaiveDate, entry: String },
    #[error("调休上班日条目“{entry}”中的 {date} 是{weekday}，调休上班日只能是星期六或星期日")]
    WorkdayNotWeekend {
        date: NaiveDate,
        entry: String,
        weekday: &'static str,
    },
}

impl CalendarError {
    /// A stable machine code, like [`crate::DomainError::code`].
    pub fn code(&self) -> &'static str {
        match self {
            CalendarError::Toml(_) => "calendar_toml",
            CalendarError::MissingSource => "calendar_missing_source",
            CalendarError::BadYear(_) => "calendar_bad_year",
            CalendarError::BadDate { .. } => "calendar_bad_date",
            CalendarError::BackwardRange { .. } => "calendar_backward_range",
            CalendarError::FarFromYear { .. } => "calendar_far_from_year",
            CalendarError::HolidayAndWorkday { .. } => "calendar_holiday_and_workday",
            CalendarError::WorkdayNotWeekend { .. } => "calendar_workday_not_weekend",
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNotice {
    year: i32,
    source: String,
    holidays: Vec<String>,
    #[serde(default)]
    workdays: Vec<String>,
}

impl YearNotice {
    /// Reads a notice in the format of `data/calendar/YYYY.toml`. Rejects, naming the entry: unknown keys, dates that
    /// do not exist, ranges that run backwards, dates outside December of the previous year … January of the next,
    /// a date that is both holiday and workday, and a workday that is not a Saturday or Sunday.
    pub fn parse_toml(text: &str) -> Result<YearNotice, CalendarError> {
        let raw: RawNotice = toml::from_str(text).map_err(|e| CalendarError::Toml(e.message().to_string()))?;
        let source = raw.source.trim().to_string();
        if source.is_empty() {
            return Err(CalendarError::MissingSource);
        }
        let year = raw.year;
        let window = match (
            NaiveDate::from_ymd_opt(year - 1, 12, 1),
            NaiveDate::from_ymd_opt(year + 1, 1, 31),
        ) {
            (Some(lo), Some(hi)) => (lo, hi),
            _ => return Err(CalendarError::BadYear(year)),
        };

        let mut holidays = BTreeSet::new();
        for entry in &raw.holidays {
            holidays.extend(parse_entry(EntryKind::Holiday, entry, year, window)?);
        }
        let mut workdays = BTreeSet::new();
        for entry in &raw.workdays {
            for date in parse_entry(EntryKind::Workday, entry, year, window)? {
                if holidays.contains(&date) {
                    return Err(CalendarError::HolidayAndWorkday {
                        date,
                        entry: entry.clone(),
                    });
                }
                if !is_weekend(date) {
                    return Err(CalendarError::WorkdayNotWeekend {
                        date,
                        entry: entry.clone(),
                        weekday: weekday_name(date.weekday()),
                    });
                }
                workdays.insert(date);
            }
        }
        Ok(YearNotice {
            year,
            source,
            holidays,
            workdays,
        })
    }
}

/// The days of one entry: a date `YYYY-MM-DD` or an inclusive range `YYYY-MM-DD..YYYY-MM-DD`.
fn parse_entry(
    kind: EntryKind,
    entry: &str,
    year: i32,
    (lo, hi): (NaiveDate, NaiveDate),
) -> Result<Vec<NaiveDate>, CalendarError> {
    let text = entry.trim();
    let (a, b) = text.split_once("..").unwrap_or((text, text));
    let bad = || CalendarError::BadDate {
        kind,
        entry: entry.to_string(),
    };
    let start = parse_iso_date(a.trim()).ok_or_else(bad)?;
    let end = parse_iso_date(b.trim()).ok_or_else(bad)?;
    if end < start {
        return Err(CalendarError::BackwardRange {
            kind,
            entry: entry.to_string(),
        });
    }
    if start < lo || end > hi {
        return Err(CalendarError::FarFromYear {
            kind,
            entry: entry.to_string(),
            year,
        });
    }
    Ok(start.iter_days().take_while(|d| *d <= end).collect())
}

fn parse_iso_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let shape_ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape_ok {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

fn weekday_name(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "星期一",
        Weekday::Tue => "星期二",
        Weekday::Wed => "星期三",
        Weekday::Thu => "星期四",
        Weekday::Fri => "星期五",
        Weekday::Sat => "星期六",
        Weekday::Sun => "星期日",
    }
}

/// A deadline: the date, and whether it was counted over a day of a year without a notice (then it may move when
/// that year's notice is loaded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Deadline {
    pub date: NaiveDate,
    pub provisional: bool,
}

/// The working-day calendar: the loaded notices by year, with the provisional rules for the other years.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    notices: BTreeMap<i32, YearNotice>,
}

impl Calendar {
    /// The notices shipped in `data/calendar/` (2023–2026). The files are compiled in and checked by this module's
    /// tests; should one ever fail to parse, its year falls back to the provisional rules (deadlines then say
    /// `provisional`) rather than the program stopping.
    pub fn official() -> Calendar {
        let mut cal = Calendar::empty();
        for text in OFFICIAL_NOTICES {
            if let Ok(notice) = YearNotice::parse_toml(text) {
                cal.load_notice(notice);
            }
        }
        cal
    }

    /// No notice at all: every year on the provisional rules.
    pub fn empty() -> Calendar {
        Calendar {
            notices: BTreeMap::new(),
        }
    }

    /// Loads a year's notice, replacing the one that year had.
    pub fn load_notice(&mut self, n: YearNotice) {
        self.notices.insert(n.year, n);
    }

    pub fn has_notice(&self, year: i32) -> bool {
        self.notices.contains_key(&year)
    }

    pub fn notice(&self, year: i32) -> Option<&YearNotice> {
        self.notices.get(&year)
    }

    /// The years that have a notice, ascending.
    pub fn notice_years(&self) -> impl Iterator<Item = i32> + '_ {
        self.notices.keys().copied()
    }

    /// Whether `d` is a working day: by its year's notice if loaded (a day that another loaded notice lists, such as
    /// 2022-12-31 in 2023's, counts as that notice says), else by the provisional rules.
    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        Lookup::new(self).day(d).working
    }

    /// The deadline `days` working days after `from`: the day of acceptance is day 0, the result the `days`-th
    /// working day after it (`days = 0` gives `from` itself). Provisional when any day passed over lies in a year
    /// without a notice.
    pub fn add_working_days(&self, from: NaiveDate, days: u32) -> Deadline {
        let mut look = Lookup::new(self);
        let mut date = from;
        let mut provisional = false;
        let mut left = days;
        while left > 0 {
            match date.succ_opt() {
                Some(next) => date = next,
                None => {
                    return Deadline {
                        date,
                        provisional: true,
                    }
                }
            }
            let day = look.day(date);
            provisional |= !day.official;
            if day.working {
                left -= 1;
            }
        }
        Deadline { date, provisional }
    }

    /// The number of working days in `(from, to]`; negative (minus the number in `(to, from]`) when `to < from`.
    /// `working_days_between(from, add_working_days(from, n).date) == n`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        let (lo, hi, sign) = if to >= from { (from, to, 1) } else { (to, from, -1) };
        let mut look = Lookup::new(self);
        let count = lo
            .iter_days()
            .skip(1)
            .take_while(|d| *d <= hi)
            .filter(|d| look.day(*d).working)
            .count();
        sign * i64::try_from(count).unwrap_or(i64::MAX)
    }
}

/// What the calendar says of one day.
#[derive(Debug, Clone, Copy)]
struct DayStatus {
    working: bool,
    /// Decided by a loaded notice rather than by the provisional rules.
    official: bool,
}

/// Day-by-day look-up with the provisional festival days cached per year (lunar conversion is not free).
struct Lookup<'a> {
    cal: &'a Calendar,
    festivals: HashMap<i32, BTreeSet<NaiveDate>>,
}

impl<'a> Lookup<'a> {
    fn new(cal: &'a Calendar) -> Self {
        Lookup {
            cal,
            festivals: HashMap::new(),
        }
    }

    fn day(&mut self, d: NaiveDate) -> DayStatus {
        let year = d.year();
        let own = self.cal.notices.get(&year);
        // A date listed explicitly wins: its own year's notice first, then the others, latest first.
        let listing = own
            .into_iter()
            .chain(self.cal.notices.values().rev().filter(|n| n.year != year));
        for n in listing {
            if n.holidays.contains(&d) {
                return DayStatus {
                    working: false,
                    official: true,
                };
            }
            if n.workdays.contains(&d) {
                return DayStatus {
                    working: true,
                    official: true,
                };
            }
        }
        if own.is_some() {
            return DayStatus {
                working: !is_weekend(d),
                official: true,
            };
        }
        let festival = self
            .festivals
            .entry(year)
            .or_insert_with(|| statutory_holidays(year))
            .contains(&d);
        DayStatus {
            working: !is_weekend(d) && !festival,
            official: false,
        }
    }
}

/// The festival days of 全国年节及纪念日放假办法 (as revised in 2024, in force from 2025) that fall in `year`:
/// 元旦 1 Jan; 春节 农历除夕 and 正月初一至初三; 清明节 the 清明 solar-term day; 劳动节 1–2 May; 端午节 农历五月初五;
/// 中秋节 农历八月十五; 国庆节 1–3 Oct. These are the provisional rules for a year without a notice. The lunar dates
/// are known for 1901–2100 and 清明 for 1901–2099; outside that only the fixed-date festivals are given.
pub fn statutory_holidays(year: i32) -> BTreeSet<NaiveDate> {
    let mut days = BTreeSet::new();
    for (m, d) in [(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)] {
        days.extend(NaiveDate::from_ymd_opt(year, m, d));
    }
    days.extend(qingming(year));
    if let Ok(y) = u16::try_from(year) {
        if let Some(new_year) = lunar_to_gregorian(y, 1, 1) {
            days.extend(new_year.pred_opt());
            days.extend(new_year.iter_days().take(3));
        }
        days.extend(lunar_to_gregorian(y, 5, 5));
        days.extend(lunar_to_gregorian(y, 8, 15));
    }
    days
}

/// The Gregorian date of a (non-leap) lunar month and day of the lunar year that begins in Gregorian `year`.
fn lunar_to_gregorian(year: u16, month: u8, day: u8) -> Option<NaiveDate> {
    LunisolarDate::from_ymd(year, month, false, day)
        .ok()
        .map(|d| d.to_naive_date())
}

/// The 清明 solar-term day of `year` (1901–2099) by the usual formula for the terms after February:
/// day of April = ⌊Y·0.2422 + C⌋ − ⌊Y/4⌋ with Y = year mod 100 and C = 4.81 in the 21st century (5.59 in the 20th).
///
/// The leap-year term is ⌊Y/4⌋, not ⌊(Y−1)/4⌋: the latter is for January–February terms and gives 2024-04-05
/// where 清明 2024 was 4 April.
pub fn qingming(year: i32) -> Option<NaiveDate> {
    let c = match year {
        1901..=1999 => 5.59,
        2000..=2099 => 4.81,
        _ => return None,
    };
    let y = year % 100;
    let day = (f64::from(y) * 0.2422 + c).floor() as i32 - y / 4;
    NaiveDate::from_ymd_opt(year, 4, u32::try_from(day).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// The table of DOMAIN.md ("Working days"), copied verbatim: the expectation is built from this text alone.
    const DOMAIN_TABLE: &str = "\
| 2023 | 12-31(2022)–01-02; 01-21–01-27; 04-05; 04-29–05-03; 06-22–06-24; 09-29–10-06 | 01-28, 01-29, 04-23, 05-06, 06-25, 10-07, 10-08 |
| 2024 | 01-01; 02-10–02-17; 04-04–04-06; 05-01–05-05; 06-10; 09-15–09-17; 10-01–10-07 | 02-04, 02-18, 04-07, 04-28, 05-11, 09-14, 09-29, 10-12 |
| 2025 | 01-01; 01-28–02-04; 04-04–04-06; 05-01–05-05; 05-31–06-02; 10-01–10-08 | 01-26, 02-08, 04-27, 09-28, 10-11 |
| 2026 | 01-01–01-03; 02-15–02-23; 04-04–04-06; 05-01–05-05; 06-19–06-21; 09-25–09-27; 10-01–10-07 | 01-04, 02-14, 02-28, 05-09, 09-20, 10-10 |";

    /// "MM-DD" or "MM-DD(YYYY)" in the table's year.
    fn table_date(year: i32, s: &str) -> NaiveDate {
        let s = s.trim();
        let (md, y) = match s.split_once('(') {
            Some((md, rest)) => (md, rest.trim_end_matches(')').parse().unwrap()),
            None => (s, year),
        };
        let (m, d) = md.split_once('-').unwrap();
        NaiveDate::from_ymd_opt(y, m.parse().unwrap(), d.parse().unwrap()).unwrap()
    }

    /// (holidays, make-up working days) of the DOMAIN.md table.
    fn domain_expectation() -> (BTreeSet<NaiveDate>, BTreeSet<NaiveDate>) {
        let mut off = BTreeSet::new();
        let mut on = BTreeSet::new();
        for line in DOMAIN_TABLE.lines() {
            let cells: Vec<&str> = line.split('|').map(str::trim).filter(|c| !c.is_empty()).collect();
            assert_eq!(cells.len(), 3, "{line}");
            let year: i32 = cells[0].parse().unwrap();
            for item in cells[1].split(';') {
                let (a, b) = item.split_once('–').unwrap_or((item, item));
                let (a, b) = (table_date(year, a), table_date(year, b));
                let mut d = a;
                while d <= b {
                    off.insert(d);
                    d = d.succ_opt().unwrap();
                }
            }
            for item in cells[2].split(',') {
                on.insert(table_date(year, item));
            }
        }
        (off, on)
    }

    #[test]
    fn official_ships_the_four_notices_with_sources() {
        for text in OFFICIAL_NOTICES {
            YearNotice::parse_toml(text).unwrap();
        }
        let cal = Calendar::official();
        assert_eq!(cal.notice_years().collect::<Vec<_>>(), vec![2023, 2024, 2025, 2026]);
        assert!(!cal.has_notice(2027));
        assert!(cal.notice(2023).unwrap().source.contains("国办发明电〔2022〕16号"));
        assert!(cal.notice(2023).unwrap().source.contains("2022-12-08"));
        assert!(cal.notice(2024).unwrap().source.contains("2023-10-25"));
        assert!(cal.notice(2025).unwrap().source.contains("2024-11-12"));
        assert!(cal.notice(2026).unwrap().source.contains("2025-11-04"));
        assert!(cal.notice(2023).unwrap().holidays.contains(&date("2022-12-31")));
    }

    #[test]
    fn every_day_of_2023_to_2026_matches_the_domain_table() {
        let (off, on) = domain_expectation();
        assert_eq!(off.len(), 27 + 28 + 28 + 33, "holiday days in the table");
        assert_eq!(on.len(), 7 + 8 + 5 + 6, "make-up days in the table");
        let cal = Calendar::official();
        let mut d = date("2023-01-01");
        let mut checked = 0;
        while d <= date("2026-12-31") {
            let weekend = matches!(d.weekday(), Weekday::Sat | Weekday::Sun);
            let expected = if off.contains(&d) {
                false
            } else {
                on.contains(&d) || !weekend
            };
            assert_eq!(cal.is_working_day(d), expected, "{d}");
            let single = cal.add_working_days(d.pred_opt().unwrap(), 1);
            assert!(!single.provisional || d.year() < 2023, "{d}");
            checked += 1;
            d = d.succ_opt().unwrap();
        }
        assert_eq!(checked, 365 * 4 + 1);
        // 2023's 元旦 began on 2022-12-31 (no notice for 2022 is loaded): still off, and decided officially.
        assert!(!cal.is_working_day(date("2022-12-31")));
        assert_eq!(
            cal.add_working_days(date("2022-12-30"), 1),
            Deadline {
                date: date("2023-01-03"),
                provisional: false
            }
        );
        // A 2022 weekday is on the provisional rules.
        assert!(cal.add_working_days(date("2022-12-28"), 1).provisional);
    }

    #[test]
    fn working_days_in_the_2025_national_day_week() {
        let cal = Calendar::official();
        let dl = |from: &str, n: u32| cal.add_working_days(date(from), n);
        // 10-01..10-08 off, 09-28 (Sun) and 10-11 (Sat) make-up working days.
        assert_eq!(
            dl("2025-09-30", 0),
            Deadline {
                date: date("2025-09-30"),
                provisional: false
            }
        );
        assert_eq!(
            dl("2025-09-30", 1),
            Deadline {
                date: date("2025-10-09"),
                provisional: false
            }
        );
        assert_eq!(
            dl("2025-09-30", 3),
            Deadline {
                date: date("2025-10-11"),
                provisional: false
            }
        );
        assert_eq!(
            dl("2025-09-30", 5),
            Deadline {
                date: date("2025-10-14"),
                provisional: false
            }
        );
        assert_eq!(dl("2025-09-26", 1).date, date("2025-09-28"));
        assert_eq!(dl("2025-09-26", 3).date, date("2025-09-30"));
        assert_eq!(dl("2025-10-03", 1).date, date("2025-10-09"));
        assert_eq!(dl("2025-09-25", 20).date, date("2025-10-29"));
        assert_eq!(cal.working_days_between(date("2025-09-30"), date("2025-10-08")), 0);
        assert_eq!(cal.working_days_between(date("2025-09-26"), date("2025-10-12")), 6);
    }

    #[test]
    fn deadline_across_the_year_into_2027_is_provisional() {
        let cal = Calendar::official();
        // 2026-12-28 is a Monday; 2027-01-01 (Fri, 元旦) and the weekend are off.
        assert_eq!(
            cal.add_working_days(date("2026-12-28"), 3),
            Deadline {
                date: date("2026-12-31"),
                provisional: false
            }
        );
        assert_eq!(
            cal.add_working_days(date("2026-12-28"), 5),
            Deadline {
                date: date("2027-01-05"),
                provisional: true
            }
        );
        assert_eq!(
            cal.add_working_days(date("2026-12-31"), 20),
            Deadline {
                date: date("2027-01-29"),
                provisional: true
            }
        );
        // Loading 2027's notice makes it official; a notice listing a bridge day moves the deadline.
        let mut later = cal.clone();
        later.load_notice(
            YearNotice::parse_toml(
                r#"year = 2027
source = "测试用通知"
holidays = ["2027-01-01..2027-01-04"]
workdays = ["2027-01-09"]"#,
            )
            .unwrap(),
        );
        assert!(later.has_notice(2027));
        assert_eq!(
            later.add_working_days(date("2026-12-28"), 5),
            Deadline {
                date: date("2027-01-06"),
                provisional: false
            }
        );
        assert!(later.is_working_day(date("2027-01-09")));
        // Loading again replaces the year's notice.
        later.load_notice(
            YearNotice::parse_toml("year = 2027\nsource = \"更正\"\nholidays = [\"2027-01-01\"]").unwrap(),
        );
        assert_eq!(later.notice(2027).unwrap().source, "更正");
        assert!(later.is_working_day(date("2027-01-04")));
        assert!(!later.is_working_day(date("2027-01-09")));
    }

    #[test]
    fn provisional_2027_uses_the_statutory_festivals() {
        let cal = Calendar::official();
        let off = |s: &str| !cal.is_working_day(date(s));
        // 春节: 除夕 2027-02-05 (Fri) and 正月初一至初三 02-06..02-08.
        for d in ["2027-02-05", "2027-02-06", "2027-02-07", "2027-02-08"] {
            assert!(off(d), "{d}");
        }
        assert!(!off("2027-02-04"));
        assert!(!off("2027-02-09"));
        assert!(off("2027-01-01")); // 元旦
        assert!(off("2027-04-05")); // 清明 (Mon)
        assert!(off("2027-06-09")); // 端午 (Wed)
        assert!(off("2027-09-15")); // 中秋 (Wed)
        assert!(off("2027-05-01") && off("2027-05-02"));
        assert!(off("2027-10-01"));
        assert!(!off("2027-10-04")); // Monday after the three 国庆 days: no 调休 guessed
        assert!(!off("2027-06-10"));
        assert_eq!(
            cal.add_working_days(date("2027-02-04"), 1),
            Deadline {
                date: date("2027-02-09"),
                provisional: true
            }
        );
        let expected: BTreeSet<NaiveDate> = [
            "2027-01-01",
            "2027-02-05",
            "2027-02-06",
            "2027-02-07",
            "2027-02-08",
            "2027-04-05",
            "2027-05-01",
            "2027-05-02",
            "2027-06-09",
            "2027-09-15",
            "2027-10-01",
            "2027-10-02",
            "2027-10-03",
        ]
        .into_iter()
        .map(date)
        .collect();
        assert_eq!(statutory_holidays(2027), expected);
    }

    #[test]
    fn statutory_days_lie_within_the_official_holidays() {
        // The 2024 revision is in force from 2025: every statutory day of 2025 and 2026 is off in the notice.
        let cal = Calendar::official();
        for year in [2025, 2026] {
            let days = statutory_holidays(year);
            assert_eq!(days.len(), 13, "{year}");
            for d in days {
                assert!(cal.notice(year).unwrap().holidays.contains(&d), "{d}");
            }
        }
        // The lunar festivals of 2023 and 2024 (除夕 was not yet a holiday then).
        for d in [
            "2023-01-22",
            "2023-06-22",
            "2023-09-29",
            "2024-02-10",
            "2024-06-10",
            "2024-09-17",
        ] {
            assert!(statutory_holidays(date(d).year()).contains(&date(d)), "{d}");
            assert!(!cal.is_working_day(date(d)), "{d}");
        }
        // Years the lunar table does not cover still get the fixed-date festivals.
        assert_eq!(statutory_holidays(2300).len(), 6);
        assert_eq!(statutory_holidays(2100).len(), 6 + 6);
    }

    #[test]
    fn qingming_by_the_formula() {
        let expect = [
            (2008, 4),
            (2019, 5),
            (2020, 4),
            (2021, 4),
            (2022, 5),
            (2023, 5),
            (2024, 4),
            (2025, 4),
            (2026, 5),
            (2027, 5),
            (2028, 4),
            (2029, 4),
            (2030, 5),
        ];
        for (year, day) in expect {
            assert_eq!(qingming(year), NaiveDate::from_ymd_opt(year, 4, day), "{year}");
        }
        assert_eq!(qingming(1990), NaiveDate::from_ymd_opt(1990, 4, 5));
        assert_eq!(qingming(2100), None);
        // The notices put 清明 on those days.
        let cal = Calendar::official();
        for year in 2023..=2026 {
            assert!(!cal.is_working_day(qingming(year).unwrap()), "{year}");
        }
    }

    #[test]
    fn working_days_between_mirrors_add_working_days() {
        let cal = Calendar::official();
        let mut from = date("2022-12-20");
        while from <= date("2027-02-20") {
            for n in [0u32, 1, 2, 5, 7, 15, 20, 40] {
                let to = cal.add_working_days(from, n).date;
                assert_eq!(cal.working_days_between(from, to), i64::from(n), "{from} + {n}");
                assert_eq!(cal.working_days_between(to, from), -i64::from(n), "{from} + {n}");
                if n > 0 {
                    assert!(cal.is_working_day(to), "{from} + {n}");
                }
            }
            from = from + chrono::Days::new(3);
        }
        assert_eq!(cal.working_days_between(date("2025-01-01"), date("2025-01-01")), 0);
        // 2025: 365 days − 104 weekend days − 18 holidays on weekdays + 5 make-up days = 248 working days.
        let year_2025 = cal.working_days_between(date("2024-12-31"), date("2025-12-31"));
        let (off, on) = domain_expectation();
        let mut manual = 0;
        let mut d = date("2025-01-01");
        while d.year() == 2025 {
            let weekend = matches!(d.weekday(), Weekday::Sat | Weekday::Sun);
            if !off.contains(&d) && (on.contains(&d) || !weekend) {
                manual += 1;
            }
            d = d.succ_opt().unwrap();
        }
        assert_eq!(year_2025, manual);
        assert_eq!(year_2025, 248);
    }

    #[test]
    fn parse_errors_name_the_entry() {
        let notice = |holidays: &str, workdays: &str| {
            YearNotice::parse_toml(&format!(
                "year = 2026\nsource = \"测试\"\nholidays = [{holidays}]\nworkdays = [{workdays}]\n"
            ))
        };
        assert!(notice(r#""2026-01-01..2026-01-03""#, r#""2026-01-04""#).is_ok());

        let err = notice(r#""2026-02-30""#, "").unwrap_err();
        assert_eq!(
            err,
            CalendarError::BadDate {
                kind: EntryKind::Holiday,
                entry: "2026-02-30".into()
            }
        );
        assert!(err.to_string().contains("“2026-02-30”"), "{err}");
        assert!(err.to_string().contains("节假日"), "{err}");
        assert_eq!(err.code(), "calendar_bad_date");

        for bad in [
            "2026/01/01",
            "2026-1-1",
            "2026-01-01...2026-01-02",
            "",
            "2026-01-01..",
            "明天",
        ] {
            let entry = format!("\"{bad}\"");
            assert_eq!(
                notice(&entry, ""),
                Err(CalendarError::BadDate {
                    kind: EntryKind::Holiday,
                    entry: bad.into()
                }),
                "{bad}"
            );
        }

        let err = notice(r#""2026-01-03..2026-01-01""#, "").unwrap_err();
        assert_eq!(
            err,
            CalendarError::BackwardRange {
                kind: EntryKind::Holiday,
                entry: "2026-01-03..2026-01-01".into()
            }
        );
        assert!(err.to_string().contains("起始日期晚于结束日期"), "{err}");

        let err = notice(r#""2026-01-01""#, r#""2026-01-01""#).unwrap_err();
        assert_eq!(
            err,
            CalendarError::HolidayAndWorkday {
                date: date("2026-01-01"),
                entry: "2026-01-01".into()
            }
        );
        assert!(err.to_string().contains("既被列为节假日又被列为调休上班日"), "{err}");

        let err = notice(r#""2026-01-01""#, r#""2026-01-05""#).unwrap_err();
        assert_eq!(
            err,
            CalendarError::WorkdayNotWeekend {
                date: date("2026-01-05"),
                entry: "2026-01-05".into(),
                weekday: "星期一"
            }
        );
        assert!(err.to_string().contains("星期一"), "{err}");

        for far in [
            "2024-10-01",
            "2025-11-30..2026-01-01",
            "2027-02-01",
            "2026-12-31..2027-02-02",
        ] {
            let entry = format!("\"{far}\"");
            let err = notice(&entry, "").unwrap_err();
            assert_eq!(
                err,
                CalendarError::FarFromYear {
                    kind: EntryKind::Holiday,
                    entry: far.into(),
                    year: 2026
                }
            );
            assert!(err.to_string().contains("相距太远"), "{err}");
        }
        // The edges of the window are accepted: December of the year before, January of the year after.
        assert!(notice(r#""2025-12-01", "2027-01-31""#, "").is_ok());
        let err = notice(r#""2026-01-01""#, r#""2028-01-01""#).unwrap_err();
        assert_eq!(
            err,
            CalendarError::FarFromYear {
                kind: EntryKind::Workday,
                entry: "2028-01-01".into(),
                year: 2026
            }
        );
        assert!(err.to_string().contains("调休上班日"), "{err}");

        assert!(matches!(
            YearNotice::parse_toml("year = 2026\nholidays = []"),
            Err(CalendarError::Toml(_))
        ));
        assert!(matches!(
            YearNotice::parse_toml("year = 2026\nsource = \"x\"\nholiday = []"),
            Err(CalendarError::Toml(_))
        ));
        assert!(matches!(
            YearNotice::parse_toml("year = \"2026\""),
            Err(CalendarError::Toml(_))
        ));
        assert_eq!(
            YearNotice::parse_toml("year = 2026\nsource = \"  \"\nholidays = []"),
            Err(CalendarError::MissingSource)
        );
        let toml_err = YearNotice::parse_toml("year = ").unwrap_err();
        assert!(
            toml_err.to_string().starts_with("节假日通知不是有效的 TOML"),
            "{toml_err}"
        );
    }

    #[test]
    fn without_notices_everything_is_provisional() {
        let cal = Calendar::empty();
        assert!(!cal.has_notice(2026));
        // 2026-01-02 (Fri) is a holiday only by the notice; the provisional rules know only 1 January.
        assert!(cal.is_working_day(date("2026-01-02")));
        assert!(!cal.is_working_day(date("2026-01-01")));
        assert_eq!(
            cal.add_working_days(date("2025-12-31"), 1),
            Deadline {
                date: date("2026-01-02"),
                provisional: true
            }
        );
        assert_eq!(
            cal.add_working_days(date("2025-12-31"), 0),
            Deadline {
                date: date("2025-12-31"),
                provisional: false
            }
        );
    }
}
