//! Taking in a work order from any channel: category, area, caller, time limit, attachments, and the 未诉即办 check.

use super::*;
use crate::App;
use crate::Error;
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use tongban_store::{HotlineCategory, OrderFilter, WorkOrder};

/// What an intake carries, from any channel.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Intake {
    /// phone, web, mailbox, npc, cppcc (open311 comes through its own API)
    pub channel: String,
    /// A leaf of the category tree
    pub category: String,
    /// normal (default), urgent or emergency
    #[serde(default)]
    pub urgency: Option<String>,
    pub title: String,
    pub content: String,
    #[serde(default)]
    pub address: String,
    /// Town (9 digits) or village (12 digits) code inside the district
    #[serde(default)]
    pub area_code: String,
    pub lat: Option<f64>,
    #[serde(alias = "long")]
    pub lon: Option<f64>,
    #[serde(default)]
    pub caller_name: String,
    #[serde(default)]
    pub caller_phone: String,
    /// Names or URLs of attached files
    #[serde(default)]
    pub attachments: Vec<String>,
}

pub async fn category(app: &App, region: &str, code: &str) -> Result<HotlineCategory, Error> {
    app.store
        .hotline_categories(region)
        .await?
        .into_iter()
        .find(|c| c.code == code && c.active && !c.department_code.is_empty())
        .ok_or_else(|| {
            Error::unprocessable(
                "unknown_category",
                format!("工单分类“{code}”不存在或不可选（应为末级分类）"),
            )
        })
}

/// Checks the place: a town or village code must lie inside the deployment's district.
pub async fn check_area(app: &App, region: &str, code: &str) -> Result<(), Error> {
    if code.is_empty() {
        return Ok(());
    }
    let inside = code.starts_with(region) && matches!(code.len(), 9 | 12);
    let known = app.store.region(code).await?.is_some();
    if !inside || !known {
        return Err(Error::unprocessable(
            "region_outside",
            format!("区划代码“{code}”不是本区（{region}）的乡镇（街道）或村（社区）"),
        ));
    }
    Ok(())
}

fn check_phone(p: &str) -> Result<String, Error> {
    let s: String = p.trim().chars().filter(|c| *c != ' ').collect();
    if s.is_empty() {
        return Ok(s);
    }
    let digits = s.chars().filter(char::is_ascii_digit).count();
    if !(7..=15).contains(&digits) || !s.chars().all(|c| c.is_ascii_digit() || c == '-' || c == '+') {
        return Err(Error::unprocessable("invalid_phone", "来电号码应为7到15位数字"));
    }
    Ok(s)
}

/// Files an order: validates everything before writing anything, sets the deadline, then looks for a cluster the
/// new order completes.
pub async fn intake(
    app: &App,
    region: &str,
    actor: &str,
    input: Intake,
    api_client: &str,
    token: Option<String>,
    now: DateTime<Utc>,
) -> Result<WorkOrder, Error> {
    intake_with_files(app, region, actor, input, &[], api_client, token, now).await
}

/// `intake` with files handed in with the order (the phone desk's and the portal's forms): the files are checked
/// with everything else before anything is written, and recorded with the order in its transaction.
#[allow(clippy::too_many_arguments)]
pub async fn intake_with_files(
    app: &App,
    region: &str,
    actor: &str,
    input: Intake,
    uploads: &[files::Upload],
    api_client: &str,
    token: Option<String>,
    now: DateTime<Utc>,
) -> Result<WorkOrder, Error> {
    if !CHANNELS.iter().any(|(c, _)| *c == input.channel) {
        return Err(Error::unprocessable(
            "invalid_channel",
            format!(
                "受理渠道“{}”无效，应为phone、web、mailbox、npc、cppcc或open311",
                input.channel
            ),
        ));
    }
    let cat = category(app, region, &input.category).await?;
    let urgency = input.urgency.clone().unwrap_or_else(|| "normal".into());
    if !URGENCIES.iter().any(|(u, _)| *u == urgency) {
        return Err(Error::unprocessable(
            "invalid_urgency",
            "紧急程度应为normal（一般）、urgent（紧急）或emergency（特急）",
        ));
    }
    let title = input.title.trim().to_string();
    let content = input.content.trim().to_string();
    if content.is_empty() {
        return Err(Error::unprocessable("content_required", "请填写诉求内容"));
    }
    if content.chars().count() > 4000 || title.chars().count() > 100 {
        return Err(Error::unprocessable(
            "too_long",
            "标题不超过100字，诉求内容不超过4000字",
        ));
    }
    let title = if title.is_empty() {
        content.chars().take(30).collect()
    } else {
        title
    };
    check_area(app, region, input.area_code.trim()).await?;
    check_location(&app.config.hotline, input.lat, input.lon)?;
    let phone = check_phone(&input.caller_phone)?;
    files::check_uploads(app, uploads)?;
    let due = due_at(app, now, &urgency, limit_days(&app.config.hotline, &cat));
    let order = WorkOrder {
        id: 0,
        number: String::new(),
        channel: input.channel.clone(),
        category_code: cat.code.clone(),
        kind: cat.kind.clone(),
        urgency,
        title,
        content,
        address: input.address.trim().to_string(),
        area_code: input.area_code.trim().to_string(),
        lat: input.lat,
        lon: input.lon,
        caller_name: input.caller_name.trim().to_string(),
        caller_phone: phone,
        attachments: input.attachments.join("\n"),
        state: "received".into(),
        lead_department: String::new(),
        co_departments: String::new(),
        received_at: time_text(now),
        due_at: time_text(due),
        extension_requested: 0,
        extension_reason: String::new(),
        return_reason: String::new(),
        reply: String::new(),
        replied_at: None,
        resolved: None,
        satisfaction: None,
        closed_at: None,
        closing_note: String::new(),
        merged_into: None,
        returns: 0,
        extensions: 0,
        api_client: api_client.to_string(),
        token,
        version: 1,
        updated_at: time_text(now),
    };
    let day = local_date(now).format("%Y-%m-%d").to_string();
    let kept = files::keep(app, uploads, actor, now).await?;
    let saved = app.store.file_work_order(region, &day, &order, &kept, actor).await?;
    // A warning is a by-product: failing to compute one must not undo the citizen's order.
    if let Err(e) = detect_for(app, region, &saved, &cat).await {
        tracing::warn!(error = %e.message, order = %saved.number, "cluster detection failed");
    }
    Ok(saved)
}

/// Looks for a cluster around a new order among the category's orders of the last window, and raises (or widens)
/// the early warning to the category's department.
async fn detect_for(app: &App, region: &str, o: &WorkOrder, cat: &HotlineCategory) -> Result<(), Error> {
    let p = cluster::Params::default();
    let now = parse_time(&o.received_at).unwrap_or_else(Utc::now);
    let filter = OrderFilter {
        categories: vec![o.category_code.clone()],
        received_from: Some(time_text(now - Duration::seconds(p.window_seconds))),
        limit: 500,
        ..Default::default()
    };
    let (_, recent) = app.store.work_orders(region, &filter).await?;
    let recent: Vec<WorkOrder> = recent.into_iter().filter(|r| r.state != "merged").collect();
    let seg = cluster::segmenter();
    let mut places: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    for r in &recent {
        if !r.area_code.is_empty() && !places.contains_key(&r.area_code) {
            let name = app
                .store
                .region(&r.area_code)
                .await?
                .map(|g| g.name)
                .unwrap_or_default();
            places.insert(r.area_code.clone(), name);
        }
    }
    let signals: Vec<cluster::Signal> = recent
        .iter()
        .map(|r| signal(seg, r, places.get(&r.area_code).map(String::as_str).unwrap_or("")))
        .collect();
    let Some(me) = recent.iter().position(|r| r.number == o.number) else {
        return Ok(());
    };
    for group in cluster::clusters(&signals, &p) {
        if !group.contains(&me) {
            continue;
        }
        let mut members: Vec<&WorkOrder> = group.iter().map(|&i| &recent[i]).collect();
        members.sort_by(|a, b| (&a.received_at, &a.number).cmp(&(&b.received_at, &b.number)));
        let numbers: Vec<String> = members.iter().map(|m| m.number.clone()).collect();
        let first = members.first().map(|m| m.received_at.clone()).unwrap_or_default();
        let last = members.last().map(|m| m.received_at.clone()).unwrap_or_default();
        let area = members
            .iter()
            .find(|m| !m.area_code.is_empty())
            .map(|m| m.area_code.clone())
            .unwrap_or_default();
        let place = match app.store.region(&area).await? {
            Some(r) => r.name,
            None => members
                .iter()
                .find(|m| !m.address.is_empty())
                .map(|m| m.address.clone())
                .unwrap_or_default(),
        };
        let summary = format!(
            "{}：{}内{}件相似诉求（{}），首件{}",
            cat.name,
            place,
            numbers.len(),
            members.first().map(|m| m.title.clone()).unwrap_or_default(),
            local_short(&first)
        );
        // Keyed by the cluster's first order, so one problem keeps one warning as later calls join it.
        let key = format!("{}|{}", cat.code, numbers[0]);
        app.store
            .raise_hotline_warning(
                region,
                &cat.department_code,
                &cat.code,
                &area,
                &numbers,
                &key,
                &summary,
                &first,
                &last,
            )
            .await?;
    }
    Ok(())
}

/// The order as the cluster detection sees it; `area_name` is the community's name, left out of the text words.
pub fn signal(seg: &tongban_search::Segmenter, o: &WorkOrder, area_name: &str) -> cluster::Signal {
    cluster::Signal {
        category: o.category_code.clone(),
        area: o.area_code.clone(),
        lat: o.lat,
        lon: o.lon,
        at: parse_time(&o.received_at).map(|t| t.timestamp()).unwrap_or(0),
        words: cluster::keywords(
            seg,
            &format!("{} {}", o.title, o.content),
            &format!("{} {area_name}", o.address),
        ),
    }
}

/// A request or a mayor's-mailbox letter from the portal (no login): a mobile number is required so that the
/// operator can revisit.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PublicRequest {
    /// web (网上诉求) or mailbox (区长信箱)
    pub channel: String,
    pub category: String,
    #[serde(default)]
    pub title: String,
    pub content: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub area_code: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub name: String,
    /// Mobile number for the revisit call
    pub phone: String,
}

/// The portal's request, with the files the web form handed in (none from the JSON API).
/// At most `throttle::ANONYMOUS_ORDERS_PER_ADDRESS` from one address (counted once the request reads well).
pub async fn submit_public(
    app: &App,
    r: PublicRequest,
    uploads: &[super::files::Upload],
    address: crate::throttle::ClientAddress,
) -> Result<WorkOrder, Error> {
    if r.channel != "web" && r.channel != "mailbox" {
        return Err(Error::unprocessable(
            "invalid_channel",
            "渠道应为web（网上诉求）或mailbox（区长信箱）",
        ));
    }
    tongban_core::ids::Phone::parse(&r.phone)?;
    if r.name.trim().is_empty() {
        return Err(Error::unprocessable("name_required", "请填写姓名"));
    }
    crate::throttle::hit_address(app, crate::throttle::ANONYMOUS_ORDERS_PER_ADDRESS, address).await?;
    let input = Intake {
        channel: r.channel,
        category: r.category,
        urgency: None,
        title: r.title,
        content: r.content,
        address: r.address,
        area_code: r.area_code,
        lat: r.lat,
        lon: r.lon,
        caller_name: r.name,
        caller_phone: r.phone,
        attachments: Vec::new(),
    };
    let region = app.config.default_region.clone();
    intake_with_files(app, &region, "portal", input, uploads, "", None, Utc::now()).await
}
