//! What the supervisor sees: the period's figures by department and the cases running late.

use super::*;
use crate::time::{parse_day, ymd};
use crate::App;
use crate::Error;
use chrono::NaiveDate;
use serde::Serialize;
use tongban_core::calendar::Calendar;
use tongban_store::CaseRecord;

/// Figures of electronic supervision (电子监察) for one group of cases (a department, an item, or all).
///
/// - `on_time_rate` = cases completed on or before their promised deadline ÷ (cases completed + open cases already
///   past it): an open case that is late has missed its promise as surely as one completed late, and leaving it out
///   would show 100% beside a board of red cards;
/// - `avg_used_days` = mean of working days from acceptance to completion, less suspended working days;
/// - `avg_promised_days` / `avg_legal_days` = mean promised / legal limit of the same completed cases, so that used
///   time can be read against both (the report's "promised limits 60.2% shorter than legal" is
///   1 − avg_promised_days ÷ avg_legal_days over all items).
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = SupervisionFigures))]
pub struct Figures {
    pub key: String,
    pub name: String,
    pub accepted: i64,
    pub completed: i64,
    pub on_time: i64,
    pub on_time_rate: Option<f64>,
    pub open: i64,
    pub overdue: i64,
    pub warned: i64,
    pub avg_used_days: Option<f64>,
    pub avg_promised_days: Option<f64>,
    pub avg_legal_days: Option<f64>,
    #[serde(skip)]
    used_sum: i64,
    #[serde(skip)]
    promised_sum: i64,
    #[serde(skip)]
    legal_sum: i64,
}

impl Figures {
    fn add(&mut self, c: &CaseRecord, cal: &Calendar, today: NaiveDate) {
        self.accepted += 1;
        let due = c.due_date.as_deref().and_then(parse_day);
        match c.completed_on.as_deref().and_then(parse_day) {
            Some(done) => {
                self.completed += 1;
                if due.is_none_or(|d| done <= d) {
                    self.on_time += 1;
                }
                if let Some(acc) = c.accepted_on.as_deref().and_then(parse_day) {
                    self.used_sum += (cal.working_days_between(acc, done) - c.suspended_days).max(0);
                }
                self.promised_sum += c.promised_days;
                self.legal_sum += c.legal_days;
            }
            None if c.closed_at.is_none() => {
                self.open += 1;
                if c.suspended_since.is_none() {
                    if let Some(d) = due {
                        let left = cal.working_days_between(today, d);
                        if left < 0 {
                            self.overdue += 1;
                        } else if left <= WARN_DAYS {
                            self.warned += 1;
                        }
                    }
                }
            }
            None => {}
        }
    }

    fn finish(mut self) -> Figures {
        let avg = |sum: i64, n: i64| (n > 0).then(|| (sum as f64 / n as f64 * 10.0).round() / 10.0);
        let decided = self.completed + self.overdue;
        self.on_time_rate = (decided > 0).then(|| (self.on_time as f64 / decided as f64 * 1000.0).round() / 10.0);
        self.avg_used_days = avg(self.used_sum, self.completed);
        self.avg_promised_days = avg(self.promised_sum, self.completed);
        self.avg_legal_days = avg(self.legal_sum, self.completed);
        self
    }
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Supervision {
    pub from: String,
    pub to: String,
    pub total: Figures,
    pub by_department: Vec<Figures>,
    pub by_item: Vec<Figures>,
    pub by_site: Vec<Figures>,
}

/// Supervision figures over the cases accepted in [from, to], optionally of one department.
pub async fn supervision(
    app: &App,
    region: &str,
    from: NaiveDate,
    to: NaiveDate,
    department_id: Option<i64>,
) -> Result<Supervision, Error> {
    let cases = app.store.accepted_between(region, &ymd(from), &ymd(to)).await?;
    let site_names: std::collections::HashMap<String, String> = app
        .store
        .sites(region)
        .await?
        .into_iter()
        .map(|s| (s.code, s.name))
        .collect();
    let cal = app.calendar();
    let today = today();
    let mut total = Figures {
        key: "all".into(),
        name: "全部".into(),
        ..Default::default()
    };
    let mut by_department: Vec<Figures> = Vec::new();
    let mut by_item: Vec<Figures> = Vec::new();
    let mut by_site: Vec<Figures> = Vec::new();
    fn group<'a>(list: &'a mut Vec<Figures>, key: &str, name: &str) -> &'a mut Figures {
        match list.iter().position(|f| f.key == key) {
            Some(i) => &mut list[i],
            None => {
                list.push(Figures {
                    key: key.to_string(),
                    name: name.to_string(),
                    ..Default::default()
                });
                let last = list.len() - 1;
                &mut list[last]
            }
        }
    }
    for c in cases
        .iter()
        .filter(|c| department_id.is_none_or(|d| d == c.department_id))
    {
        total.add(c, &cal, today);
        group(&mut by_department, &c.department_code, &c.department_name).add(c, &cal, today);
        group(&mut by_item, &c.item_code, &c.item_name).add(c, &cal, today);
        let (site, site_name) = if c.site_code.is_empty() {
            (c.channel.clone(), super::channel_label(&c.channel).to_string())
        } else {
            let name = site_names
                .get(&c.site_code)
                .cloned()
                .unwrap_or_else(|| c.site_code.clone());
            (c.site_code.clone(), name)
        };
        group(&mut by_site, &site, &site_name).add(c, &cal, today);
    }
    let finish = |v: Vec<Figures>| {
        let mut v: Vec<Figures> = v.into_iter().map(Figures::finish).collect();
        v.sort_by_key(|f| std::cmp::Reverse((f.overdue, f.warned, f.accepted)));
        v
    };
    Ok(Supervision {
        from: ymd(from),
        to: ymd(to),
        total: total.finish(),
        by_department: finish(by_department),
        by_item: finish(by_item),
        by_site: finish(by_site),
    })
}
