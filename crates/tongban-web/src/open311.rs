//! Open311 GeoReport v2 at /open311/v2, following the frozen spec so that existing clients work unmodified: the
//! format is the extension (`.json` or `.xml`), JSON answers are bare arrays (one request is an array of one), dates
//! are ISO 8601 with the offset, errors are an array of `{code, description}` with 400, 403 or 404.
//!
//! Services are the leaf categories of the hotline's tree. Statuses: `closed` for closed and merged orders, `open`
//! for everything else. Orders that came in through other channels (a phone call, a mayor's-mailbox letter) are
//! listed without their text: the caller did not publish it, so only the category and status are public.

use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use std::collections::HashMap;
use tongban_app::hotline::{category, intake, local_iso, time_text, Intake};
use tongban_store::{HotlineCategory, OrderFilter, WorkOrder};

pub const ROOT: &str = "/open311/v2";
/// Most requests one GET answers (the spec's default ceiling).
pub const MAX_REQUESTS: i64 = 1000;
pub const DEFAULT_DAYS: i64 = 90;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/open311/v2/{file}", get(root_get).post(root_post))
        .route("/open311/v2/services/{file}", get(service_definition))
        .route("/open311/v2/requests/{file}", get(one_request))
        .route("/open311/v2/tokens/{file}", get(token))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Xml,
}

/// An Open311 refusal before it is rendered in the format the client asked for.
struct Open311Error {
    status: StatusCode,
    description: String,
}

impl Open311Error {
    fn new(status: StatusCode, description: impl Into<String>) -> Open311Error {
        Open311Error {
            status,
            description: description.into(),
        }
    }
    fn render(self, f: Format) -> Response {
        error(f, self.status, &self.description)
    }
}

/// Splits "services.json" into ("services", Json); an unknown extension is a 404 (in JSON: none was asked for).
fn split(file: &str) -> Result<(&str, Format), Open311Error> {
    if let Some(stem) = file.strip_suffix(".json") {
        Ok((stem, Format::Json))
    } else if let Some(stem) = file.strip_suffix(".xml") {
        Ok((stem, Format::Xml))
    } else {
        Err(Open311Error::new(
            StatusCode::NOT_FOUND,
            "resource not found: use the .json or .xml extension",
        ))
    }
}

fn error(f: Format, status: StatusCode, description: &str) -> Response {
    let code = status.as_u16();
    match f {
        Format::Json => (status, axum::Json(json!([{"code": code, "description": description}]))).into_response(),
        Format::Xml => xml(
            status,
            format!(
                "<errors><error><code>{code}</code><description>{}</description></error></errors>",
                esc(description)
            ),
        ),
    }
}

fn xml(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        format!("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n{body}"),
    )
        .into_response()
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// A JSON value (object or array of objects) as the spec's XML: arrays of objects become repeated `item` elements
/// under `list`, scalars their text, null an empty element.
fn to_xml(list: &str, item: &str, rows: &[Value]) -> String {
    let mut out = format!("<{list}>");
    for r in rows {
        out.push_str(&format!("<{item}>"));
        if let Some(o) = r.as_object() {
            // The spec's element order (clients reading XML as a stream may rely on it), then anything else.
            for k in FIELD_ORDER.iter().filter(|k| o.contains_key(**k)) {
                out.push_str(&element(k, &o[*k]));
            }
            for (k, v) in o.iter().filter(|(k, _)| !FIELD_ORDER.contains(&k.as_str())) {
                out.push_str(&element(k, v));
            }
        }
        out.push_str(&format!("</{item}>"));
    }
    out.push_str(&format!("</{list}>"));
    out
}

const FIELD_ORDER: [&str; 25] = [
    "service_request_id",
    "token",
    "status",
    "status_notes",
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
    "agency_responsible",
    "service_notice",
    "account_id",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
    "attributes",
    "code",
];

fn element(k: &str, v: &Value) -> String {
    match v {
        Value::Null => format!("<{k}></{k}>"),
        Value::String(s) => format!("<{k}>{}</{k}>", esc(s)),
        Value::Array(items) => {
            let inner: String = items
                .iter()
                .map(|i| match i {
                    Value::Object(o) => {
                        let fields: String = o.iter().map(|(k, v)| element(k, v)).collect();
                        format!("<{}>{fields}</{}>", singular(k), singular(k))
                    }
                    other => element(singular(k), other),
                })
                .collect();
            format!("<{k}>{inner}</{k}>")
        }
        Value::Object(o) => {
            let inner: String = o.iter().map(|(k, v)| element(k, v)).collect();
            format!("<{k}>{inner}</{k}>")
        }
        other => format!("<{k}>{other}</{k}>"),
    }
}

fn singular(k: &str) -> &str {
    match k {
        "attributes" => "attribute",
        "values" => "value",
        "endpoints" => "endpoint",
        "formats" => "format",
        _ => k,
    }
}

fn answer(f: Format, status: StatusCode, list: &str, item: &str, rows: Vec<Value>) -> Response {
    match f {
        Format::Json => (status, axum::Json(Value::Array(rows))).into_response(),
        Format::Xml => xml(status, to_xml(list, item, &rows)),
    }
}

fn region(state: &AppState) -> String {
    state.config.default_region.clone()
}

fn params(raw: Option<&str>) -> HashMap<String, String> {
    let mut out: HashMap<String, String> = HashMap::new();
    for (k, v) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        // A repeated parameter is the same as a comma-separated one (the spec allows both for lists).
        out.entry(k.into_owned())
            .and_modify(|e| {
                e.push(',');
                e.push_str(&v);
            })
            .or_insert_with(|| v.into_owned());
    }
    out
}

/// A jurisdiction_id other than ours is a 404, as the spec's examples show.
fn check_jurisdiction(state: &AppState, p: &HashMap<String, String>) -> Result<(), Open311Error> {
    match p.get("jurisdiction_id").map(|s| s.trim()) {
        None | Some("") => Ok(()),
        Some(j) if j == region(state) || j == jurisdiction_host() => Ok(()),
        Some(j) => Err(Open311Error::new(
            StatusCode::NOT_FOUND,
            format!("jurisdiction_id {j} not found"),
        )),
    }
}

fn jurisdiction_host() -> &'static str {
    "yunxi.gov.cn"
}

async fn leaves(state: &AppState) -> Result<Vec<(HotlineCategory, String)>, crate::HttpError> {
    let all = tongban_app::hotline::categories(state, &region(state)).await?;
    Ok(all
        .iter()
        .filter(|c| c.active && !c.department_code.is_empty())
        .map(|c| {
            let group = all
                .iter()
                .find(|p| p.code == c.parent_code)
                .map(|p| p.name.clone())
                .unwrap_or_default();
            (c.clone(), group)
        })
        .collect())
}

async fn root_get(State(state): State<AppState>, Path(file): Path<String>, RawQuery(q): RawQuery) -> Response {
    let (stem, f) = match split(&file) {
        Ok(x) => x,
        Err(e) => return e.render(Format::Json),
    };
    let p = params(q.as_deref());
    if let Err(e) = check_jurisdiction(&state, &p) {
        return e.render(f);
    }
    match stem {
        "discovery" => discovery(&state, f),
        "services" => services(&state, f).await,
        "requests" => requests(&state, f, &p).await,
        _ => error(f, StatusCode::NOT_FOUND, "resource not found"),
    }
}

fn discovery(state: &AppState, f: Format) -> Response {
    let d = json!({
        "changeset": "2026-01-01T00:00:00+08:00",
        "contact": format!("{}12345政务服务便民热线", state.config.region_name),
        "key_service": format!(
            "向{}行政审批服务局申请API密钥（系统管理员在“Open311接口密钥”页面签发）",
            state.config.region_name
        ),
        "endpoints": [{
            "specification": "http://wiki.open311.org/GeoReport_v2",
            "url": format!("{ROOT}"),
            "changeset": "2026-01-01T00:00:00+08:00",
            "type": "production",
            "formats": ["application/json", "text/xml"]
        }],
        "jurisdiction_id": region(state),
    });
    match f {
        Format::Json => axum::Json(d).into_response(),
        Format::Xml => {
            let inner: String = d
                .as_object()
                .map(|o| o.iter().map(|(k, v)| element(k, v)).collect())
                .unwrap_or_default();
            xml(StatusCode::OK, format!("<discovery>{inner}</discovery>"))
        }
    }
}

async fn services(state: &AppState, f: Format) -> Response {
    let list = match leaves(state).await {
        Ok(l) => l,
        Err(e) => return error(f, StatusCode::INTERNAL_SERVER_ERROR, &e.message),
    };
    let rows = list
        .iter()
        .map(|(c, group)| {
            json!({
                "service_code": c.code,
                "service_name": c.name,
                "description": format!("{}类诉求，办理时限{}个工作日", tongban_app::hotline::kind_label(&c.kind), tongban_app::hotline::limit_days(&state.config.hotline, c)),
                "metadata": false,
                "type": "realtime",
                "keywords": c.keywords,
                "group": group,
            })
        })
        .collect();
    answer(f, StatusCode::OK, "services", "service", rows)
}

/// Our services carry no extra attributes (`metadata` false); the definition is answered anyway, with none.
async fn service_definition(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let (code, f) = match split(&file) {
        Ok(x) => x,
        Err(e) => return e.render(Format::Json),
    };
    if let Err(e) = check_jurisdiction(&state, &params(q.as_deref())) {
        return e.render(f);
    }
    match category(&state, &region(&state), code).await {
        Ok(c) => {
            let d = json!({"service_code": c.code, "attributes": []});
            match f {
                Format::Json => axum::Json(d).into_response(),
                Format::Xml => xml(
                    StatusCode::OK,
                    format!("<service_definition><service_code>{}</service_code><attributes></attributes></service_definition>", esc(&c.code)),
                ),
            }
        }
        Err(_) => error(f, StatusCode::NOT_FOUND, &format!("service_code {code} not found")),
    }
}

fn status_of(o: &WorkOrder) -> &'static str {
    if matches!(o.state.as_str(), "closed" | "merged") {
        "closed"
    } else {
        "open"
    }
}

fn request_json(o: &WorkOrder, names: &HashMap<String, String>, departments: &HashMap<String, String>) -> Value {
    let public = o.channel == "open311" || o.channel == "web";
    let notes = match o.state.as_str() {
        "merged" => format!("与工单{}重复，已合并办理", o.merged_into.clone().unwrap_or_default()),
        "closed" if public => o.reply.clone(),
        "closed" => "已办结".into(),
        _ => tongban_app::hotline::state_label(&o.state).to_string(),
    };
    let media = o
        .attachments
        .lines()
        .find(|l| l.starts_with("http://") || l.starts_with("https://"));
    json!({
        "service_request_id": o.number,
        "status": status_of(o),
        "status_notes": notes,
        "service_name": names.get(&o.category_code).cloned().unwrap_or_default(),
        "service_code": o.category_code,
        "description": if public { o.content.clone() } else { String::new() },
        "agency_responsible": departments.get(&o.lead_department).cloned().unwrap_or_default(),
        "service_notice": "",
        "requested_datetime": local_iso(&o.received_at),
        "updated_datetime": local_iso(&o.updated_at),
        "expected_datetime": local_iso(&o.due_at),
        "address": if public { o.address.clone() } else { String::new() },
        "address_id": "",
        "zipcode": "",
        "lat": o.lat,
        "long": o.lon,
        "media_url": media.unwrap_or(""),
    })
}

async fn lookups(state: &AppState) -> Result<(HashMap<String, String>, HashMap<String, String>), crate::HttpError> {
    let names = tongban_app::hotline::categories(state, &region(state))
        .await?
        .into_iter()
        .map(|c| (c.code, c.name))
        .collect();
    let departments = tongban_app::catalog::departments(state, &region(state))
        .await?
        .into_iter()
        .map(|d| (d.code, d.name))
        .collect();
    Ok((names, departments))
}

fn parse_w3c(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
        .or_else(|| {
            chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|n| n.and_utc() - Duration::hours(8))
        })
}

/// A comma list parameter, capped at the answer's own ceiling so that a long list cannot blow up the query.
fn list(p: &HashMap<String, String>, k: &str) -> Vec<String> {
    p.get(k)
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .take(MAX_REQUESTS as usize)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

async fn requests(state: &AppState, f: Format, p: &HashMap<String, String>) -> Response {
    let ids = list(p, "service_request_id");
    let mut filter = OrderFilter {
        limit: MAX_REQUESTS,
        ..Default::default()
    };
    if !ids.is_empty() {
        // The spec: service_request_id overrides every other parameter.
        filter.numbers = ids;
    } else {
        filter.categories = list(p, "service_code");
        let statuses = list(p, "status");
        for s in &statuses {
            if s != "open" && s != "closed" {
                return error(
                    f,
                    StatusCode::BAD_REQUEST,
                    &format!("status must be open or closed, not {s}"),
                );
            }
        }
        if statuses.len() == 1 {
            filter.states = if statuses[0] == "closed" {
                vec!["closed".into(), "merged".into()]
            } else {
                tongban_app::hotline::OPEN_STATES
                    .iter()
                    .map(|s| s.to_string())
                    .collect()
            };
        }
        let date = |k: &str| -> Result<Option<DateTime<Utc>>, Open311Error> {
            match p.get(k).map(|s| s.trim()).filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(v) => parse_w3c(v).map(Some).ok_or_else(|| {
                    Open311Error::new(
                        StatusCode::BAD_REQUEST,
                        format!("{k} must be a W3C date-time such as 2010-01-01T00:00:00Z"),
                    )
                }),
            }
        };
        let (start, end) = match (date("start_date"), date("end_date")) {
            (Ok(s), Ok(e)) => (s, e),
            (Err(e), _) | (_, Err(e)) => return e.render(f),
        };
        let (start, end) = match (start, end) {
            (None, None) => {
                let now = Utc::now();
                (now - Duration::days(DEFAULT_DAYS), now + Duration::seconds(1))
            }
            (Some(s), None) => (s, s + Duration::days(DEFAULT_DAYS)),
            (None, Some(e)) => (e - Duration::days(DEFAULT_DAYS), e),
            (Some(s), Some(e)) => (s, e),
        };
        if end < start {
            return error(f, StatusCode::BAD_REQUEST, "end_date is before start_date");
        }
        filter.received_from = Some(time_text(start));
        filter.received_to = Some(time_text(end + Duration::seconds(1)));
    }
    let (orders, (names, departments)) = match (
        tongban_app::hotline::public_orders(state, &region(state), &filter).await,
        lookups(state).await,
    ) {
        (Ok(o), Ok(l)) => (o, l),
        (Err(e), _) => return error(f, StatusCode::INTERNAL_SERVER_ERROR, &e.message),
        (_, Err(e)) => return error(f, StatusCode::INTERNAL_SERVER_ERROR, &e.message),
    };
    let rows = orders.iter().map(|o| request_json(o, &names, &departments)).collect();
    answer(f, StatusCode::OK, "service_requests", "request", rows)
}

async fn one_request(State(state): State<AppState>, Path(file): Path<String>, RawQuery(q): RawQuery) -> Response {
    let (id, f) = match split(&file) {
        Ok(x) => x,
        Err(e) => return e.render(Format::Json),
    };
    if let Err(e) = check_jurisdiction(&state, &params(q.as_deref())) {
        return e.render(f);
    }
    let found = tongban_app::hotline::public_order(&state, &region(&state), id).await;
    match (found, lookups(&state).await) {
        (Ok(Some(o)), Ok((names, departments))) => answer(
            f,
            StatusCode::OK,
            "service_requests",
            "request",
            vec![request_json(&o, &names, &departments)],
        ),
        (Ok(None), _) => error(f, StatusCode::NOT_FOUND, &format!("service_request_id {id} not found")),
        (Err(e), _) => error(f, StatusCode::INTERNAL_SERVER_ERROR, &e.message),
        (_, Err(e)) => error(f, StatusCode::INTERNAL_SERVER_ERROR, &e.message),
    }
}

async fn token(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let (tok, f) = match split(&file) {
        Ok(x) => x,
        Err(e) => return e.render(Format::Json),
    };
    match tongban_app::hotline::order_by_token(&state, &region(&state), tok).await {
        Ok(Some(o)) => answer(
            f,
            StatusCode::OK,
            "service_requests",
            "request",
            vec![json!({"service_request_id": o.number, "token": tok})],
        ),
        Ok(_) => error(f, StatusCode::NOT_FOUND, &format!("token {tok} not found")),
        Err(e) => error(f, StatusCode::INTERNAL_SERVER_ERROR, &e.message),
    }
}

/// A point as GeoReport sends it: lat and long together, finite, in range (−90..90, −180..180), and inside the
/// deployment's bounding box when it has one (`[hotline] bbox`); 400 in the spec's error format otherwise.
fn check_point(
    settings: &tongban_app::hotline::HotlineSettings,
    lat: Option<f64>,
    lon: Option<f64>,
) -> Result<(), Open311Error> {
    let bad = |m: String| Err(Open311Error::new(StatusCode::BAD_REQUEST, m));
    match (lat, lon) {
        (None, None) => Ok(()),
        (Some(_), None) => bad("lat was given without long: both are required for a location".into()),
        (None, Some(_)) => bad("long was given without lat: both are required for a location".into()),
        (Some(la), Some(lo)) => {
            if !la.is_finite() || !(-90.0..=90.0).contains(&la) {
                return bad(format!("lat {la} is out of range: it must be between -90 and 90"));
            }
            if !lo.is_finite() || !(-180.0..=180.0).contains(&lo) {
                return bad(format!("long {lo} is out of range: it must be between -180 and 180"));
            }
            match settings.bbox {
                Some([s, w, n, e]) if !(s..=n).contains(&la) || !(w..=e).contains(&lo) => bad(format!(
                    "the location {la},{lo} is outside the area this jurisdiction serves \
                     (lat {s} to {n}, long {w} to {e})"
                )),
                _ => Ok(()),
            }
        }
    }
}

/// POST requests: form-encoded, `api_key` required (403), a known `service_code` (400) and a location (lat and
/// long, address_string or address_id; 400). Creates the order at once, so the answer carries its id as well as a
/// token for clients that poll tokens.
async fn root_post(State(state): State<AppState>, Path(file): Path<String>, body: Bytes) -> Response {
    let (stem, f) = match split(&file) {
        Ok(x) => x,
        Err(e) => return e.render(Format::Json),
    };
    if stem != "requests" {
        return error(f, StatusCode::NOT_FOUND, "resource not found");
    }
    let p = params(std::str::from_utf8(&body).ok());
    if let Err(e) = check_jurisdiction(&state, &p) {
        return e.render(f);
    }
    let region = region(&state);
    let key = p.get("api_key").map(|k| k.trim()).unwrap_or("");
    if key.is_empty() {
        return error(f, StatusCode::FORBIDDEN, "api_key is required");
    }
    let client = match tongban_app::hotline::key_client(&state, &region, key).await {
        Ok(Some(name)) => name,
        Ok(None) => return error(f, StatusCode::FORBIDDEN, "api_key is invalid or revoked"),
        Err(e) => return error(f, StatusCode::INTERNAL_SERVER_ERROR, &e.message),
    };
    let code = p.get("service_code").map(|s| s.trim().to_string()).unwrap_or_default();
    if code.is_empty() {
        return error(f, StatusCode::BAD_REQUEST, "service_code is required");
    }
    let cat = match category(&state, &region, &code).await {
        Ok(c) => c,
        Err(_) => {
            return error(
                f,
                StatusCode::BAD_REQUEST,
                &format!("service_code {code} is not a valid service"),
            )
        }
    };
    let num = |k: &str| -> Result<Option<f64>, Open311Error> {
        match p.get(k).map(|s| s.trim()).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(v) => v
                .parse::<f64>()
                .map(Some)
                .map_err(|_| Open311Error::new(StatusCode::BAD_REQUEST, format!("{k} must be a number"))),
        }
    };
    let (lat, lon) = match (num("lat"), num("long")) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return e.render(f),
    };
    if let Err(e) = check_point(&state.config.hotline, lat, lon) {
        return e.render(f);
    }
    let address = p.get("address_string").cloned().unwrap_or_default();
    let address_id = p.get("address_id").cloned().unwrap_or_default();
    if (lat.is_none() || lon.is_none()) && address.trim().is_empty() && address_id.trim().is_empty() {
        return error(
            f,
            StatusCode::BAD_REQUEST,
            "a location is required: lat and long, address_string or address_id",
        );
    }
    let description = p.get("description").cloned().unwrap_or_default();
    let name = format!(
        "{}{}",
        p.get("last_name").cloned().unwrap_or_default(),
        p.get("first_name").cloned().unwrap_or_default()
    );
    let mut attachments = Vec::new();
    if let Some(m) = p.get("media_url").filter(|m| !m.trim().is_empty()) {
        attachments.push(m.trim().to_string());
    }
    let input = Intake {
        channel: "open311".into(),
        category: cat.code.clone(),
        urgency: None,
        title: String::new(),
        content: if description.trim().is_empty() {
            cat.name.clone()
        } else {
            description
        },
        address: if address.trim().is_empty() { address_id } else { address },
        area_code: String::new(),
        lat,
        lon,
        caller_name: name,
        caller_phone: p.get("phone").cloned().unwrap_or_default(),
        attachments,
    };
    let tok = tongban_app::hotline::new_api_key();
    match intake(
        &state,
        &region,
        &format!("open311:{client}"),
        input,
        &client,
        Some(tok.clone()),
        Utc::now(),
    )
    .await
    {
        Ok(o) => answer(
            f,
            StatusCode::OK,
            "service_requests",
            "request",
            vec![json!({
                "service_request_id": o.number,
                "token": tok,
                "service_notice": format!("已转{}办理，{}前答复", cat.department_code, local_iso(&o.due_at)),
                "account_id": p.get("account_id").cloned(),
            })],
        ),
        Err(e) if crate::error::status_of(e.kind).is_client_error() => error(f, StatusCode::BAD_REQUEST, &e.message),
        Err(e) => error(f, StatusCode::INTERNAL_SERVER_ERROR, &e.message),
    }
}
