//! 全域通办 / 跨省通办 figures over a period, the delegations in force, and the period the figures read.

use crate::App;
use crate::Error;
use serde::Serialize;
use std::collections::BTreeMap;
use tongban_core::catalog::{Guide, Level};
use tongban_store::CountRow;

/// The period as shown (from, to) and as stored timestamps [start, end) = [from, to+1 day). `from` defaults to
/// 1 January this year, `to` to today.
pub fn period(from: Option<&str>, to: Option<&str>) -> Result<(String, String, String, String), Error> {
    let today = crate::time::today();
    let parse = |s: &str, what: &str| {
        chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| Error::bad_request("invalid_date", format!("{what}“{s}”应为YYYY-MM-DD")))
    };
    let from = match from {
        Some(f) => parse(f, "起始日期")?,
        None => chrono::NaiveDate::from_ymd_opt(chrono::Datelike::year(&today), 1, 1).unwrap_or(today),
    };
    let to = match to {
        Some(t) => parse(t, "截止日期")?,
        None => today,
    };
    if to < from {
        return Err(Error::bad_request("invalid_period", "截止日期早于起始日期"));
    }
    let end = to.succ_opt().unwrap_or(to);
    Ok((
        from.format("%Y-%m-%d").to_string(),
        to.format("%Y-%m-%d").to_string(),
        from.format("%Y-%m-%d").to_string(),
        end.format("%Y-%m-%d").to_string(),
    ))
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReformFigures {
    pub from: String,
    pub to: String,
    /// Cases accepted at town centres, village stations and partner windows, by site
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub by_site: Vec<CountRow>,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub by_partner: Vec<CountRow>,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub by_item: Vec<CountRow>,
    /// Delegations in force by target kind (park, town, village)
    pub delegations: BTreeMap<String, i64>,
    /// Catalog items acceptable anywhere in the district (全域通办; the report: 241)
    pub items_anywhere: usize,
    /// Catalog items handled across provinces (跨省通办; the report: 186)
    pub items_cross_province: usize,
    /// Catalog items acceptable at town centres and at village stations by their level (the report: 124 and 42)
    pub items_town: usize,
    pub items_village: usize,
}

/// The region's 全域通办 / 跨省通办 figures over the period (public), and the delegations in force by target kind.
pub async fn reform_figures(
    app: &App,
    region: &str,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<ReformFigures, Error> {
    let (from, to, start, end) = period(from, to)?;
    let mut delegations = BTreeMap::new();
    for d in app.store.delegations(region).await? {
        if d.revoked_on.is_none() {
            *delegations.entry(d.target_kind).or_insert(0) += 1;
        }
    }
    let guides = app.store.current_guides(region).await?;
    let count = |f: &dyn Fn(&Guide) -> bool| guides.iter().filter(|(_, g)| f(g)).count();
    Ok(ReformFigures {
        items_anywhere: count(&|g| g.all_region),
        items_cross_province: count(&|g| g.cross_province),
        items_town: count(&|g| g.levels.contains(&Level::Town)),
        items_village: count(&|g| g.levels.contains(&Level::Village)),
        by_site: app.store.anywhere_counts(region, "site", &start, &end).await?,
        by_partner: app.store.anywhere_counts(region, "partner", &start, &end).await?,
        by_item: app.store.anywhere_counts(region, "item", &start, &end).await?,
        from,
        to,
        delegations,
    })
}
