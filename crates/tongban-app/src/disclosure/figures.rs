//! The figures of published information by department and catalog entry for a period.

use crate::time::ymd;
use crate::App;
use crate::Error;
use chrono::NaiveDate;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DepartmentFigures {
    pub department: String,
    pub department_name: String,
    /// Items published in the period (repealed since included)
    pub published: i64,
    /// Requests received in the period
    pub requests_received: i64,
    /// Requests replied in the period
    pub requests_replied: i64,
    /// Of those, replied on or before their deadline
    pub replied_on_time: i64,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CatalogFigure {
    pub catalog_code: String,
    pub catalog_name: String,
    pub published: i64,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = DisclosureFigures))]
pub struct Figures {
    pub from: String,
    pub to: String,
    /// 主动公开信息总数: items whose publication day falls in the period
    pub published: i64,
    pub requests_received: i64,
    pub requests_replied: i64,
    pub formula: String,
    pub by_department: Vec<DepartmentFigures>,
    pub by_catalog: Vec<CatalogFigure>,
}

pub async fn figures(app: &App, region: &str, from: NaiveDate, to: NaiveDate) -> Result<Figures, Error> {
    if from > to {
        return Err(Error::bad_request("invalid_period", "开始日期不能晚于结束日期"));
    }
    let (f, t) = (ymd(from), ymd(to));
    let counts = app.store.published_counts(region, &f, &t).await?;
    let catalog = app.store.disclosure_catalog(region).await?;
    let requests = app.store.disclosure_requests(region, None, false, None).await?;
    let mut by_department: Vec<DepartmentFigures> = Vec::new();
    let row = |v: &mut Vec<DepartmentFigures>, code: &str, name: &str| -> usize {
        match v.iter().position(|r| r.department == code) {
            Some(i) => i,
            None => {
                v.push(DepartmentFigures {
                    department: code.into(),
                    department_name: name.into(),
                    published: 0,
                    requests_received: 0,
                    requests_replied: 0,
                    replied_on_time: 0,
                });
                v.len() - 1
            }
        }
    };
    let mut by_catalog: Vec<CatalogFigure> = catalog
        .iter()
        .map(|c| CatalogFigure {
            catalog_code: c.code.clone(),
            catalog_name: format!("{} / {}", c.level1, c.level2),
            published: 0,
        })
        .collect();
    for c in &counts {
        let i = row(&mut by_department, &c.department_code, &c.department_name);
        by_department[i].published += c.count;
        if let Some(x) = by_catalog.iter_mut().find(|x| x.catalog_code == c.catalog_code) {
            x.published += c.count;
        }
    }
    for r in &requests {
        let received = r.received_on >= f && r.received_on <= t;
        let replied = r.replied_on.as_ref().is_some_and(|d| *d >= f && *d <= t);
        if !received && !replied {
            continue;
        }
        let i = row(&mut by_department, &r.department_code, &r.department_name);
        if received {
            by_department[i].requests_received += 1;
        }
        if replied {
            by_department[i].requests_replied += 1;
            if r.replied_on.as_ref().is_some_and(|d| *d <= r.due_date) {
                by_department[i].replied_on_time += 1;
            }
        }
    }
    by_department.sort_by(|a, b| b.published.cmp(&a.published).then(a.department.cmp(&b.department)));
    Ok(Figures {
        from: f,
        to: t,
        published: by_department.iter().map(|d| d.published).sum(),
        requests_received: by_department.iter().map(|d| d.requests_received).sum(),
        requests_replied: by_department.iter().map(|d| d.requests_replied).sum(),
        formula: "主动公开数 = 发布日期在统计期间内的信息条数（含其后废止的）；按时答复 = 答复日期不晚于答复期限"
            .into(),
        by_department,
        by_catalog,
    })
}

// ---------------------------------------------------------------------------------------------------------------
// Requests for disclosure.

/// The figures' period as the request gives it: by default this year so far.
pub fn figures_period(from: Option<&str>, to: Option<&str>) -> Result<(NaiveDate, NaiveDate), Error> {
    crate::time::period(from, to, crate::time::today(), crate::time::PeriodStart::YearStart)
}
