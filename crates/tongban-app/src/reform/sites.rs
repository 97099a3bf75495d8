//! Where an item may be accepted: the hall, towns and villages by level, 全域通办, partner windows and delegations.

use super::*;
use crate::time::ymd;
use crate::App;
use crate::Error;
use chrono::NaiveDate;
use tongban_core::catalog::Level;
use tongban_store::ItemRecord;

/// Whether the site may accept the item on that channel: the district hall takes every item; a town centre or a
/// village station the items of its level, every 全域通办 item, and those delegated to it; a partner county's window
/// the 跨省通办 items agreed with that partner; a park service centre what was delegated to the park.
///
/// A delegated power is also decided where it was delegated (赋权: 放得下、接得住): the answer is then the code of
/// the deciding body — the park's administrative committee, or the town government (for a village, its town's) —
/// instead of the competent district department.
/// How long a site read from the database is used without reading it again (see `App::sites`).
pub const SITE_CACHE_SECONDS: u64 = 60;

/// A service site, from the cache when it was read less than `SITE_CACHE_SECONDS` ago. Unknown codes are not
/// cached, so a site added by an import is found at once.
pub async fn site(app: &App, region: &str, code: &str) -> Result<Option<std::sync::Arc<tongban_store::Site>>, Error> {
    let key = format!("{region}|{code}");
    let fresh = |(at, _): &(std::time::Instant, _)| at.elapsed().as_secs() < SITE_CACHE_SECONDS;
    if let Some((_, site)) = app
        .sites
        .read()
        .ok()
        .and_then(|m| m.get(&key).filter(|e| fresh(e)).cloned())
    {
        return Ok(Some(site));
    }
    let Some(site) = app.store.site(region, code).await? else {
        return Ok(None);
    };
    let site = std::sync::Arc::new(site);
    if let Ok(mut m) = app.sites.write() {
        m.insert(key, (std::time::Instant::now(), site.clone()));
    }
    Ok(Some(site))
}

pub async fn site_acceptance(
    app: &App,
    region: &str,
    channel: &str,
    site_code: &str,
    item: &ItemRecord,
    day: NaiveDate,
) -> Result<Option<String>, Error> {
    if site_code.is_empty() {
        return if channel == "partner" {
            Err(Error::unprocessable(
                "missing_site",
                "合作地区受理须填写受理窗口（site）",
            ))
        } else {
            Ok(None)
        };
    }
    let site = site(app, region, site_code)
        .await?
        .ok_or_else(|| Error::not_found(format!("服务场所“{site_code}”")))?;

    let g = &item.guide;
    let expected = match channel {
        "town" => Some("town_centre"),
        "village" => Some("village_station"),
        "partner" => Some("partner_window"),
        _ => None,
    };
    if let Some(kind) = expected {
        if site.kind != kind {
            return Err(Error::unprocessable(
                "site_channel_mismatch",
                format!("“{}”不是{}的受理场所", site.name, crate::cases::channel_label(channel)),
            ));
        }
    }
    if site.kind == "hall" {
        // The district hall takes every item and decides nothing by delegation: no further look-up on the busiest path.
        return Ok(None);
    }
    let day = ymd(day);
    let delegation = app
        .store
        .delegation_in_force(region, &item.code, &[&site.located_in, &site.code], &day)
        .await?;
    let delegated = delegation.is_some();
    let allowed = match site.kind.as_str() {
        "hall" => true,
        "town_centre" => g.levels.contains(&Level::Town) || g.all_region || delegated,
        "village_station" => g.levels.contains(&Level::Village) || g.all_region || delegated,
        "partner_window" => g.cross_province && app.store.partner_accepts(region, &site.located_in, &item.code).await?,
        "park" => delegated,
        _ => false,
    };
    if allowed {
        Ok(delegation.map(|d| match d.target_kind.as_str() {
            "park" => PARK_DEPARTMENT.to_string(),
            _ => town_government(&d.target_code),
        }))
    } else {
        Err(Error::unprocessable(
            "site_may_not_accept",
            format!(
                "“{}”不能受理“{}”：该事项未列入此处的{}",
                site.name,
                g.name,
                match site.kind.as_str() {
                    "partner_window" => "跨省通办清单",
                    "park" => "赋权清单",
                    _ => "可办事项（下沉、全域通办或赋权）",
                }
            ),
        ))
    }
}
