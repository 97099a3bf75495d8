//! How the result goes back (送达方式): picked up at a site, posted to an address, or electronic only (the
//! e-licence) — chosen at filing, changeable by the applicant until the result is issued.

use super::own_case;
use crate::App;
use crate::Error;
use tongban_core::catalog::Guide;
use tongban_core::workflow::Actor;
use tongban_store::{ApplicantSession, CaseRecord, CaseUpdate, Delivery, NewEvent, StoreError};

pub const DELIVERY_METHODS: [(&str, &str); 3] = [
    ("window", "窗口领取"),
    ("post", "邮寄送达"),
    ("electronic", "电子证照（不寄送纸质结果）"),
];

pub fn delivery_label(method: &str) -> &'static str {
    DELIVERY_METHODS
        .iter()
        .find(|(m, _)| *m == method)
        .map(|(_, l)| *l)
        .unwrap_or("窗口领取")
}

/// Checks a delivery choice against the item and the region's sites; an empty one is pick-up at the filing site
/// (or the centre's hall online).
pub async fn check_delivery(
    app: &App,
    region: &str,
    guide: &Guide,
    wanted: Delivery,
    filing_site: &str,
) -> Result<Delivery, Error> {
    let method = if wanted.method.trim().is_empty() {
        "window".to_string()
    } else {
        wanted.method.trim().to_string()
    };
    match method.as_str() {
        "window" => {
            let site = match wanted.site.trim() {
                "" if filing_site.is_empty() => "hall".to_string(),
                "" => filing_site.to_string(),
                s => s.to_string(),
            };
            if app.store.site(region, &site).await?.is_none() {
                return Err(Error::unprocessable(
                    "unknown_site",
                    format!("领取地点“{site}”不是本地区的服务场所"),
                ));
            }
            Ok(Delivery {
                method,
                site,
                ..Delivery::default()
            })
        }
        "post" => {
            let address = wanted.address.trim();
            let n = address.chars().count();
            if !(5..=200).contains(&n) {
                return Err(Error::unprocessable(
                    "invalid_delivery_address",
                    "邮寄送达须填写详细的邮寄地址（5至200个字）",
                ));
            }
            Ok(Delivery {
                method,
                address: address.to_string(),
                ..Delivery::default()
            })
        }
        "electronic" if guide.result_licence.is_empty() => Err(Error::unprocessable(
            "electronic_not_available",
            format!("“{}”的办理结果不是电子证照，请选择窗口领取或邮寄送达", guide.name),
        )),
        "electronic" => Ok(Delivery {
            method,
            ..Delivery::default()
        }),
        other => Err(Error::unprocessable(
            "invalid_delivery_method",
            format!("送达方式“{other}”应为window（窗口领取）、post（邮寄）或electronic（电子证照）"),
        )),
    }
}

/// The applicant changes how the result comes back, until it is issued (409 `already_issued` after).
pub async fn change_delivery(
    app: &App,
    a: &ApplicantSession,
    number: &str,
    wanted: Delivery,
) -> Result<CaseRecord, Error> {
    let case = own_case(app, a, number).await?;
    if case.closed_at.is_some() || matches!(case.state.as_str(), "issued" | "delivered") {
        return Err(Error::conflict("already_issued", "办理结果已出具，不能再更改送达方式"));
    }
    let item = super::guide_version(app, &case.region_code, &case.item_code, case.item_version)
        .await?
        .ok_or_else(|| Error::not_found(format!("事项“{}”", case.item_code)))?;
    let delivery = check_delivery(app, &case.region_code, &item.guide, wanted, &case.site_code).await?;
    let comment = match delivery.method.as_str() {
        "post" => format!("送达方式改为邮寄：{}", delivery.address),
        "window" => format!("送达方式改为窗口领取（{}）", delivery.site),
        _ => "送达方式改为电子证照".to_string(),
    };
    let event = NewEvent {
        actor: "applicant".into(),
        role: Actor::Applicant.as_str().into(),
        action: "change_delivery".into(),
        comment,
        attachments: vec![],
        at: None,
    };
    let update = CaseUpdate {
        delivery: Some(delivery),
        ..Default::default()
    };
    match app
        .store
        .apply_transition(&case, &case.position, &update, &event, None)
        .await
    {
        Ok(c) => Ok(c),
        Err(StoreError::Stale { current }) => Err(super::stale(current)),
        Err(e) => Err(e.into()),
    }
}
