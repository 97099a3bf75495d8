//! The queue's figures for a period: tickets, visitors, waits and service times.

use crate::time::ymd;
use crate::App;
use crate::Error;
use chrono::NaiveDate;
use serde::Serialize;
use tongban_store::{Session, Ticket};

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
pub(super) fn stats(v: &mut [i64]) -> (Option<f64>, Option<f64>) {
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
    crate::policy::require(&s.staff, crate::policy::Capability::ReadQueueFigures)?;
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
