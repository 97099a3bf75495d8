//! 通报: the hotline's figures per department and period, the leaders' list of dissatisfied orders and the
//! overdue lists, with an XLSX export. Orders belong to the period by the time they were received; merged
//! duplicates are not counted (their original is).

use super::{is_overdue, local_short, parse_time, time_text, OPEN_STATES};
use crate::App;
use crate::Error;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use tongban_store::{OrderFilter, WorkOrder};

/// The formulas, as printed under the table and in the export.
pub const FORMULAS: [(&str, &str); 4] = [
    ("办结率", "已办结 ÷ 受理量 × 100%"),
    (
        "按时办结率",
        "按时办结 ÷ 已办结 × 100%（按时：答复时间不晚于（含批准延期后的）办理期限）",
    ),
    ("满意率", "（满意 + 基本满意）÷ 已回访 × 100%"),
    ("解决率", "回访认定已解决 ÷ 已回访 × 100%"),
];

#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulletinRow {
    pub department_code: String,
    pub department_name: String,
    /// Orders received in the period and dispatched to the department as lead (受理量)
    pub received: i64,
    pub closed: i64,
    pub closed_on_time: i64,
    /// Returns (退单) the department made in the period
    pub returned: i64,
    /// Extensions approved for the department in the period
    pub extended: i64,
    pub revisited: i64,
    pub satisfied: i64,
    pub resolved: i64,
    /// Percentages with one decimal; None when the denominator is 0
    pub completion_rate: Option<f64>,
    pub on_time_rate: Option<f64>,
    pub satisfaction_rate: Option<f64>,
    pub resolution_rate: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Bulletin {
    /// First and last day (inclusive, local dates)
    pub from: String,
    pub to: String,
    pub rows: Vec<BulletinRow>,
    pub total: BulletinRow,
    /// Orders received but not yet dispatched (no department yet)
    pub undispatched: i64,
    pub formulas: Vec<(String, String)>,
}

fn rate(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

impl BulletinRow {
    fn add(&mut self, o: &WorkOrder) {
        self.received += 1;
        if o.state == "closed" {
            self.closed += 1;
            let answered = o.replied_at.as_deref().or(o.closed_at.as_deref()).and_then(parse_time);
            if let (Some(a), Some(d)) = (answered, parse_time(&o.due_at)) {
                if a <= d {
                    self.closed_on_time += 1;
                }
            }
        }
        if let Some(s) = &o.satisfaction {
            self.revisited += 1;
            if s != "不满意" {
                self.satisfied += 1;
            }
            if o.resolved == Some(true) {
                self.resolved += 1;
            }
        }
    }

    fn finish(&mut self) {
        self.completion_rate = rate(self.closed, self.received);
        self.on_time_rate = rate(self.closed_on_time, self.closed);
        self.satisfaction_rate = rate(self.satisfied, self.revisited);
        self.resolution_rate = rate(self.resolved, self.revisited);
    }
}

/// UTC bounds [from 00:00 local, the day after `to` 00:00 local).
pub fn bounds(from: NaiveDate, to: NaiveDate) -> (String, String) {
    let start = |d: NaiveDate| {
        let t = d.and_hms_opt(0, 0, 0).unwrap_or_default() - chrono::Duration::hours(8);
        time_text(t.and_utc())
    };
    (start(from), start(to + chrono::Duration::days(1)))
}

pub async fn bulletin(app: &App, region: &str, from: NaiveDate, to: NaiveDate) -> Result<Bulletin, Error> {
    if to < from {
        return Err(Error::bad_request("invalid_period", "结束日期不能早于开始日期"));
    }
    let (lo, hi) = bounds(from, to);
    let f = OrderFilter {
        received_from: Some(lo.clone()),
        received_to: Some(hi.clone()),
        ..Default::default()
    };
    let (_, orders) = app.store.work_orders(region, &f).await?;
    let departments = app.store.departments(region).await?;
    let mut rows: Vec<BulletinRow> = departments
        .iter()
        .map(|d| BulletinRow {
            department_code: d.code.clone(),
            department_name: d.name.clone(),
            ..Default::default()
        })
        .collect();
    let mut total = BulletinRow {
        department_name: "合计".into(),
        ..Default::default()
    };
    let mut undispatched = 0;
    for o in orders.iter().filter(|o| o.state != "merged") {
        total.add(o);
        match rows.iter_mut().find(|r| r.department_code == o.lead_department) {
            Some(r) => r.add(o),
            None => undispatched += 1,
        }
    }
    for (dept, action, n) in app.store.hotline_action_counts(region, &lo, &hi).await? {
        let Some(r) = rows.iter_mut().find(|r| r.department_code == dept) else {
            continue;
        };
        match action.as_str() {
            "return" => {
                r.returned += n;
                total.returned += n;
            }
            "approve_extension" => {
                r.extended += n;
                total.extended += n;
            }
            _ => {}
        }
    }
    rows.retain(|r| r.received + r.returned + r.extended > 0);
    for r in rows.iter_mut() {
        r.finish();
    }
    total.finish();
    rows.sort_by(|a, b| {
        b.received
            .cmp(&a.received)
            .then(a.department_code.cmp(&b.department_code))
    });
    Ok(Bulletin {
        from: from.to_string(),
        to: to.to_string(),
        rows,
        total,
        undispatched,
        formulas: FORMULAS.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect(),
    })
}

/// Open orders past their due time, for one department or all, most overdue first.
pub async fn overdue(
    app: &App,
    region: &str,
    department: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<WorkOrder>, Error> {
    let f = OrderFilter {
        states: OPEN_STATES.iter().map(|s| s.to_string()).collect(),
        department: department.map(String::from),
        ..Default::default()
    };
    let (_, mut orders) = app.store.work_orders(region, &f).await?;
    orders.retain(|o| is_overdue(o, now));
    orders.sort_by(|a, b| a.due_at.cmp(&b.due_at));
    Ok(orders)
}

/// Orders revisited as 不满意 in the period, for the leaders (those still under review first).
pub async fn dissatisfied(app: &App, region: &str, from: NaiveDate, to: NaiveDate) -> Result<Vec<WorkOrder>, Error> {
    let (lo, hi) = bounds(from, to);
    let f = OrderFilter {
        received_from: Some(lo),
        received_to: Some(hi),
        ..Default::default()
    };
    let (_, mut orders) = app.store.work_orders(region, &f).await?;
    orders.retain(|o| o.satisfaction.as_deref() == Some("不满意"));
    orders.sort_by_key(|o| (o.state != "review", o.received_at.clone()));
    Ok(orders)
}

fn pct(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.1}%")).unwrap_or_else(|| "—".into())
}

pub fn pct_text(v: &Option<f64>) -> String {
    pct(*v)
}

/// The bulletin, the dissatisfied orders and the overdue orders as one workbook (phones never included).
pub fn xlsx(b: &Bulletin, dissatisfied: &[WorkOrder], overdue: &[WorkOrder]) -> Result<Vec<u8>, Error> {
    use rust_xlsxwriter::{Format, Workbook};
    let err = |e: rust_xlsxwriter::XlsxError| Error::internal(e);
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let ws = wb.add_worksheet();
    ws.set_name("通报").map_err(err)?;
    ws.write_string_with_format(
        0,
        0,
        format!("12345热线工单办理情况通报（{} 至 {}）", b.from, b.to),
        &bold,
    )
    .map_err(err)?;
    let head = [
        "部门",
        "受理量",
        "已办结",
        "按时办结",
        "退单",
        "延期",
        "已回访",
        "满意+基本满意",
        "已解决",
        "办结率",
        "按时办结率",
        "满意率",
        "解决率",
    ];
    for (c, h) in head.iter().enumerate() {
        ws.write_string_with_format(2, c as u16, *h, &bold).map_err(err)?;
    }
    let mut r = 3u32;
    for row in b.rows.iter().chain(std::iter::once(&b.total)) {
        ws.write_string(r, 0, &row.department_name).map_err(err)?;
        let nums = [
            row.received,
            row.closed,
            row.closed_on_time,
            row.returned,
            row.extended,
            row.revisited,
            row.satisfied,
            row.resolved,
        ];
        for (i, n) in nums.iter().enumerate() {
            ws.write_number(r, (i + 1) as u16, *n as f64).map_err(err)?;
        }
        for (i, v) in [
            row.completion_rate,
            row.on_time_rate,
            row.satisfaction_rate,
            row.resolution_rate,
        ]
        .iter()
        .enumerate()
        {
            ws.write_string(r, (i + 9) as u16, pct(*v)).map_err(err)?;
        }
        r += 1;
    }
    r += 1;
    for (name, formula) in &b.formulas {
        ws.write_string(r, 0, format!("{name} = {formula}")).map_err(err)?;
        r += 1;
    }
    let lists: [(&str, &[WorkOrder]); 2] = [("不满意工单", dissatisfied), ("超期工单", overdue)];
    for (title, orders) in lists {
        let ws = wb.add_worksheet();
        ws.set_name(title).map_err(err)?;
        for (c, h) in [
            "工单编号",
            "受理时间",
            "分类",
            "标题",
            "承办部门",
            "状态",
            "办理期限",
            "满意度",
        ]
        .iter()
        .enumerate()
        {
            ws.write_string_with_format(0, c as u16, *h, &bold).map_err(err)?;
        }
        for (i, o) in orders.iter().enumerate() {
            let r = (i + 1) as u32;
            let cells = [
                o.number.clone(),
                local_short(&o.received_at),
                o.category_code.clone(),
                o.title.clone(),
                o.lead_department.clone(),
                super::state_label(&o.state).to_string(),
                local_short(&o.due_at),
                o.satisfaction.clone().unwrap_or_default(),
            ];
            for (c, v) in cells.iter().enumerate() {
                ws.write_string(r, c as u16, v).map_err(err)?;
            }
        }
    }
    wb.save_to_buffer().map_err(err)
}

/// A bulletin's period as the request gives it: by default this month so far.
pub fn period(from: Option<&str>, to: Option<&str>) -> Result<(NaiveDate, NaiveDate), Error> {
    crate::time::period(from, to, crate::time::today(), crate::time::PeriodStart::MonthStart)
}
