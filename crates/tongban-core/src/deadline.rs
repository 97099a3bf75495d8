//! Case deadlines on the working-day calendar: set at acceptance from the promised and legal limits, and moved
//! later by the working days of a suspension (statutory special procedures do not count). Nothing else moves them.

use crate::calendar::{Calendar, Deadline};
use chrono::NaiveDate;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    pub due: Deadline,
    pub legal: Deadline,
}

/// Deadlines of a case accepted on `accepted` (day 0) with its item's promised and legal limits.
pub fn on_accept(cal: &Calendar, accepted: NaiveDate, promised_days: u32, legal_days: u32) -> Deadlines {
    Deadlines {
        due: cal.add_working_days(accepted, promised_days),
        legal: cal.add_working_days(accepted, legal_days),
    }
}

/// Working days a suspension from `since` to `resumed` stopped the clock for.
pub fn stopped_days(cal: &Calendar, since: NaiveDate, resumed: NaiveDate) -> u32 {
    cal.working_days_between(since, resumed).max(0) as u32
}

/// A deadline moved by the working days a suspension stopped the clock for.
pub fn after_suspension(cal: &Calendar, deadline: NaiveDate, stopped: u32) -> Deadline {
    cal.add_working_days(deadline, stopped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_only_move_later_and_only_by_suspensions() {
        let cal = Calendar::official();
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let start = NaiveDate::from_ymd_opt(2023, 1, 1).unwrap();
        for _ in 0..500 {
            let accepted = start + chrono::Duration::days(next(1460) as i64);
            let promised = next(40) as u32;
            let legal = promised + next(40) as u32;
            let d = on_accept(&cal, accepted, promised, legal);
            assert!(d.due.date >= accepted && d.legal.date >= d.due.date);
            let mut due = d.due.date;
            let mut day = accepted;
            let mut total_stopped = 0;
            for _ in 0..next(4) {
                let since = day + chrono::Duration::days(next(10) as i64);
                let resumed = since + chrono::Duration::days(next(20) as i64);
                let stopped = stopped_days(&cal, since, resumed);
                let moved = after_suspension(&cal, due, stopped).date;
                assert!(moved >= due, "a deadline never moves earlier");
                assert_eq!(
                    moved == due,
                    stopped == 0,
                    "it moves exactly when working days were stopped"
                );
                total_stopped += stopped;
                due = moved;
                day = resumed;
            }
            // Moving step by step is the same as counting the stopped days on top of the promise.
            assert_eq!(due, cal.add_working_days(accepted, promised + total_stopped).date);
        }
    }
}
