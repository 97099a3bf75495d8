//! 网上申请: the signed-in applicant fills an item's form — rendered from the item's form definition — and submits
//! it as an online case. Errors are shown beside each field; nothing is filed until the whole form holds.

use super::reform::applicant;
use super::{csrf_refused, error_page, filters, render, Layout};
use crate::extract::ApplicantForm;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::CookieJar;
use serde_json::{Map, Value};
use std::collections::HashMap;
use tongban_app::cases::{self, FiledBy, Filing, MyCaseDetail};
use tongban_app::Error;
use tongban_core::form::{Field, FieldKind, FormDefinition};
use tongban_store::{ApplicantSession, Delivery};

/// Blank rows a table field offers on the page (the definition may allow more through the API).
const TABLE_ROWS: usize = 3;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/items/{code}/apply", get(apply_page).post(apply_submit))
        .route("/my/cases/{number}", get(mine_page))
        .route("/my/cases/{number}/files", post(mine_upload))
        .route("/my/cases/{number}/resubmit", post(mine_resubmit))
        .route("/my/cases/{number}/delivery", post(mine_delivery))
        .route("/my/cases/{number}/reuse", post(mine_reuse))
}

/// One field as the page draws it: the answer so far and the error beside it.
struct FieldView {
    name: String,
    label: String,
    input: &'static str,
    required: bool,
    help: String,
    value: String,
    options: Vec<(String, bool)>,
    error: String,
    show_field: String,
    show_label: String,
    show_equals: String,
    max_length: u32,
    columns: Vec<(String, String)>,
    rows: Vec<Vec<(String, String)>>,
}

impl FieldView {
    fn is_choice(&self) -> bool {
        self.input == "choice"
    }
    fn is_multi(&self) -> bool {
        self.input == "multi"
    }
    fn is_table(&self) -> bool {
        self.input == "table"
    }
    fn is_textarea(&self) -> bool {
        self.input == "textarea"
    }
}

#[derive(Template)]
#[template(path = "case_apply.html")]
struct ApplyPage {
    layout: Layout,
    code: String,
    item_name: String,
    who: String,
    csrf: String,
    message: String,
    fields: Vec<FieldView>,
    materials: Vec<String>,
    /// How the result comes back: the choice so far, the sites to pick up at, whether an e-licence is issued.
    delivery: Delivery,
    sites: Vec<(String, String)>,
    electronic_ok: bool,
    /// The draft being finished, if any.
    draft_id: Option<i64>,
}

fn input_of(f: &Field) -> &'static str {
    match f.kind {
        FieldKind::Number => "number",
        FieldKind::Date => "date",
        FieldKind::Choice => "choice",
        FieldKind::MultiChoice => "multi",
        FieldKind::Phone => "tel",
        FieldKind::Table => "table",
        FieldKind::Text | FieldKind::Address if f.max_length.unwrap_or(0) > 100 => "textarea",
        _ => "text",
    }
}

fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn field_views(
    form: &FormDefinition,
    answers: &Map<String, Value>,
    errors: &HashMap<String, String>,
) -> Vec<FieldView> {
    form.fields
        .iter()
        .map(|f| {
            let answer = answers.get(&f.name);
            let picked: Vec<String> = match answer {
                Some(Value::Array(a)) => a.iter().map(shown).collect(),
                Some(v) => vec![shown(v)],
                None => vec![],
            };
            let rows = if f.kind == FieldKind::Table {
                let given: Vec<&Map<String, Value>> = match answer {
                    Some(Value::Array(a)) => a.iter().filter_map(Value::as_object).collect(),
                    _ => vec![],
                };
                (0..given.len().max(TABLE_ROWS))
                    .map(|i| {
                        f.columns
                            .iter()
                            .map(|c| {
                                let v = given.get(i).and_then(|r| r.get(&c.name)).map(shown).unwrap_or_default();
                                (format!("{}[{i}].{}", f.name, c.name), v)
                            })
                            .collect()
                    })
                    .collect()
            } else {
                vec![]
            };
            let error = errors
                .iter()
                .filter(|(k, _)| *k == &f.name || k.starts_with(&format!("{}[", f.name)))
                .map(|(_, m)| m.clone())
                .collect::<Vec<_>>()
                .join("；");
            FieldView {
                name: f.name.clone(),
                label: f.label.clone(),
                input: input_of(f),
                required: f.required,
                help: f.help.clone(),
                value: if f.kind == FieldKind::MultiChoice || f.kind == FieldKind::Table {
                    String::new()
                } else {
                    picked.first().cloned().unwrap_or_default()
                },
                options: f.options.iter().map(|o| (o.clone(), picked.contains(o))).collect(),
                error,
                show_field: f.show_when.as_ref().map(|c| c.field.clone()).unwrap_or_default(),
                show_label: f
                    .show_when
                    .as_ref()
                    .and_then(|c| form.fields.iter().find(|o| o.name == c.field))
                    .map(|o| o.label.clone())
                    .unwrap_or_default(),
                show_equals: f.show_when.as_ref().map(|c| c.equals.clone()).unwrap_or_default(),
                max_length: f.max_length.unwrap_or(tongban_core::form::DEFAULT_TEXT_LIMIT),
                columns: f.columns.iter().map(|c| (c.name.clone(), c.label.clone())).collect(),
                rows,
            }
        })
        .collect()
}

/// The form's answers from the posted pairs: one value per field, a list for multi-choice, rows for tables
/// (`name[i].column`, blank rows dropped).
fn answers_from(form: &FormDefinition, pairs: &[(String, String)]) -> Map<String, Value> {
    let mut out = Map::new();
    for f in &form.fields {
        match f.kind {
            FieldKind::MultiChoice => {
                let picked: Vec<Value> = pairs
                    .iter()
                    .filter(|(k, _)| k == &f.name)
                    .map(|(_, v)| Value::String(v.clone()))
                    .collect();
                if !picked.is_empty() {
                    out.insert(f.name.clone(), Value::Array(picked));
                }
            }
            FieldKind::Table => {
                let mut rows: Vec<Map<String, Value>> = Vec::new();
                for (k, v) in pairs {
                    let Some(rest) = k.strip_prefix(&format!("{}[", f.name)) else {
                        continue;
                    };
                    let Some((i, col)) = rest.split_once("].") else {
                        continue;
                    };
                    let Ok(i) = i.parse::<usize>() else { continue };
                    if i >= 200 || v.trim().is_empty() {
                        continue;
                    }
                    while rows.len() <= i {
                        rows.push(Map::new());
                    }
                    rows[i].insert(col.to_string(), Value::String(v.clone()));
                }
                let rows: Vec<Value> = rows.into_iter().filter(|r| !r.is_empty()).map(Value::Object).collect();
                if !rows.is_empty() {
                    out.insert(f.name.clone(), Value::Array(rows));
                }
            }
            _ => {
                if let Some((_, v)) = pairs.iter().find(|(k, _)| k == &f.name) {
                    if !v.trim().is_empty() {
                        out.insert(f.name.clone(), Value::String(v.clone()));
                    }
                }
            }
        }
    }
    out
}

fn sign_in_first(code: &str) -> Response {
    Redirect::to(&format!("/my?next=/items/{}/apply", tongban_app::url::encode(code))).into_response()
}

#[allow(clippy::too_many_arguments)]
async fn page(
    state: &AppState,
    a: &ApplicantSession,
    code: &str,
    draft_id: Option<i64>,
    answers: Option<Map<String, Value>>,
    delivery: Delivery,
    errors: HashMap<String, String>,
    message: String,
) -> Response {
    let item = match cases::current_item(state, &a.region_code, code).await {
        Ok(Some(i)) => i,
        Ok(None) => return error_page(Error::not_found(format!("事项“{code}”"))),
        Err(e) => return error_page(e),
    };
    let form = item.guide.application_form();
    let answers = match answers {
        Some(given) => given,
        None => match cases::known_of(state, a).await {
            Ok(known) => cases::prefilled(&form, &known),
            Err(e) => return error_page(e),
        },
    };
    let sites = match tongban_app::catalog::sites(state, &a.region_code).await {
        Ok(list) => list.into_iter().map(|s| (s.code, s.name)).collect(),
        Err(e) => return error_page(e),
    };
    render(&ApplyPage {
        layout: Layout::new(format!("网上申请：{}", item.guide.name), None),
        code: item.code.clone(),
        item_name: item.guide.name.clone(),
        who: format!("{}（{}）", a.name, tongban_app::policy::mask::signed_in(&a.identifier)),
        csrf: a.csrf_token.clone(),
        message,
        fields: field_views(&form, &answers, &errors),
        materials: item.guide.materials.iter().map(|m| m.name.clone()).collect(),
        delivery,
        sites,
        electronic_ok: !item.guide.result_licence.is_empty(),
        draft_id,
    })
}

#[derive(serde::Deserialize, Default)]
struct ApplyQuery {
    draft: Option<i64>,
}

async fn apply_page(
    State(state): State<AppState>,
    jar: CookieJar,
    Path(code): Path<String>,
    axum::extract::Query(q): axum::extract::Query<ApplyQuery>,
) -> Response {
    let Some(a) = applicant(&state, &jar).await else {
        return sign_in_first(&code);
    };
    let (answers, delivery) = match q.draft {
        None => (None, Delivery::default()),
        Some(id) => match cases::my_draft(&state, &a, id).await {
            Ok(d) => (d.form.as_object().cloned(), d.delivery),
            Err(e) => return error_page(e),
        },
    };
    page(
        &state,
        &a,
        &code,
        q.draft,
        answers,
        delivery,
        HashMap::new(),
        String::new(),
    )
    .await
}

async fn apply_submit(
    State(state): State<AppState>,
    jar: CookieJar,
    Path(code): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let Some(a) = applicant(&state, &jar).await else {
        return sign_in_first(&code);
    };
    let csrf = pairs
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    if !tongban_app::auth::same_secret(&a.csrf_token, csrf) {
        return csrf_refused();
    }
    let form = match cases::current_item(&state, &a.region_code, &code).await {
        Ok(Some(i)) => i.guide.application_form(),
        Ok(None) => return error_page(Error::not_found(format!("事项“{code}”"))),
        Err(e) => return error_page(e),
    };
    let answers = answers_from(&form, &pairs);
    let delivery = Delivery {
        method: posted(&pairs, "delivery_method"),
        site: posted(&pairs, "delivery_site"),
        address: posted(&pairs, "delivery_address"),
        ..Delivery::default()
    };
    // The same form posted twice (a double click, a reload) files one case.
    let request_hash = hex::encode(sha2::Sha256::digest(serde_json::to_vec(&answers).unwrap_or_default()));
    let draft_id = posted(&pairs, "draft_id").parse::<i64>().ok();
    if posted(&pairs, "save") == "draft" {
        let saved = cases::save_draft(
            &state,
            &a,
            draft_id,
            &code,
            Value::Object(answers.clone()),
            delivery.clone(),
        )
        .await;
        return match saved {
            Ok(_) => Redirect::to("/my?saved=1").into_response(),
            Err(e) => {
                page(
                    &state,
                    &a,
                    &code,
                    draft_id,
                    Some(answers),
                    delivery,
                    HashMap::new(),
                    e.message,
                )
                .await
            }
        };
    }
    if let Some(id) = draft_id {
        // The draft's latest answers are what is filed.
        if let Err(e) = cases::save_draft(
            &state,
            &a,
            Some(id),
            &code,
            Value::Object(answers.clone()),
            delivery.clone(),
        )
        .await
        {
            return error_page(e);
        }
        return match cases::submit_draft(&state, &a, id).await {
            Ok((case, _)) => Redirect::to(&format!("/my?filed={}", case.number)).into_response(),
            Err(e) => {
                let errors = field_errors(&e);
                page(&state, &a, &code, Some(id), Some(answers), delivery, errors, e.message).await
            }
        };
    }
    let filing = Filing {
        item_code: code.clone(),
        applicant: match cases::online_applicant(&a, None) {
            Ok(x) => x,
            Err(e) => return error_page(e),
        },
        channel: "online".into(),
        site_code: String::new(),
        agent: String::new(),
        form: Value::Object(answers.clone()),
        materials: vec![],
        idempotency_key: Some(format!("web-apply-{}-{}", a.session_id, &request_hash[..16])),
        request_hash,
        delivery: delivery.clone(),
    };
    match cases::file(&state, &a.region_code, filing, FiledBy::Applicant(&a)).await {
        Ok((case, _)) => Redirect::to(&format!("/my?filed={}", case.number)).into_response(),
        Err(e) => {
            let errors: HashMap<String, String> = e
                .details
                .as_ref()
                .and_then(Value::as_array)
                .map(|list| {
                    list.iter()
                        .filter_map(|d| Some((d["field"].as_str()?.to_string(), d["message"].as_str()?.to_string())))
                        .fold(HashMap::new(), |mut m, (k, v)| {
                            m.entry(k)
                                .and_modify(|e: &mut String| e.push_str(&format!("；{v}")))
                                .or_insert(v);
                            m
                        })
                })
                .unwrap_or_default();
            page(&state, &a, &code, None, Some(answers), delivery, errors, e.message).await
        }
    }
}

use sha2::Digest as _;

#[derive(Template)]
#[template(path = "case_mine.html")]
struct MinePage {
    layout: Layout,
    c: MyCaseDetail,
    csrf: String,
    message: String,
    /// The corrected form, when the case awaits the applicant's correction.
    fields: Vec<FieldView>,
    may_resubmit: bool,
    may_upload: bool,
    may_change_delivery: bool,
    sites: Vec<(String, String)>,
}

impl MinePage {
    fn fee(&self) -> String {
        self.c
            .payment
            .as_ref()
            .map(|p| tongban_core::catalog::yuan(p.amount_fen))
            .unwrap_or_default()
    }
    fn paid_at(&self) -> String {
        self.c
            .payment
            .as_ref()
            .and_then(|p| p.paid_at.as_deref())
            .map(tongban_app::time::beijing)
            .unwrap_or_default()
    }
}

async fn mine(
    state: &AppState,
    a: &ApplicantSession,
    number: &str,
    answers: Option<Map<String, Value>>,
    errors: HashMap<String, String>,
    message: String,
) -> Response {
    let c = match cases::my_case(state, a, number).await {
        Ok(c) => c,
        Err(e) => return error_page(e),
    };
    let form = match cases::current_item(state, &a.region_code, &c.item_code).await {
        Ok(Some(i)) => i.guide.application_form(),
        Ok(None) => FormDefinition::default_for(&[]),
        Err(e) => return error_page(e),
    };
    let answers = answers.unwrap_or_else(|| c.form.as_object().cloned().unwrap_or_default());
    let sites = match tongban_app::catalog::sites(state, &a.region_code).await {
        Ok(list) => list.into_iter().map(|s| (s.code, s.name)).collect(),
        Err(e) => return error_page(e),
    };
    let may_resubmit = c.applicant_actions.iter().any(|x| x == "resubmit");
    render(&MinePage {
        layout: Layout::new(format!("我的办件 {}", c.number), None),
        fields: if may_resubmit {
            field_views(&form, &answers, &errors)
        } else {
            vec![]
        },
        may_resubmit,
        may_upload: matches!(c.state.as_str(), "submitted" | "correction_requested"),
        may_change_delivery: !matches!(
            c.state.as_str(),
            "issued" | "delivered" | "refused" | "denied" | "withdrawn"
        ),
        csrf: a.csrf_token.clone(),
        message,
        sites,
        c,
    })
}

/// After an action on the case page: back to it with one of the page's own confirmations (never text from the
/// address, which anyone could write).
fn back_to(number: &str, done: Done) -> Response {
    Redirect::to(&format!(
        "/my/cases/{}?done={}",
        tongban_app::url::encode(number),
        done as u8
    ))
    .into_response()
}

#[derive(Clone, Copy)]
enum Done {
    Uploaded = 1,
    Resubmitted = 2,
    DeliveryChanged = 3,
    MaterialReused = 4,
}

fn done_text(code: u8) -> &'static str {
    match code {
        1 => "材料已上传。",
        2 => "已重新提交，请等待窗口受理。",
        3 => "送达方式已更改。",
        4 => "材料已提交（未重复上传）。",
        _ => "",
    }
}

#[derive(serde::Deserialize, Default)]
struct MineQuery {
    #[serde(default)]
    done: u8,
}

async fn mine_page(
    State(state): State<AppState>,
    jar: CookieJar,
    Path(number): Path<String>,
    axum::extract::Query(q): axum::extract::Query<MineQuery>,
) -> Response {
    let Some(a) = applicant(&state, &jar).await else {
        return Redirect::to("/my").into_response();
    };
    mine(&state, &a, &number, None, HashMap::new(), done_text(q.done).to_string()).await
}

async fn mine_upload(
    State(state): State<AppState>,
    jar: CookieJar,
    Path(number): Path<String>,
    form: axum::extract::Multipart,
) -> Response {
    let Some(a) = applicant(&state, &jar).await else {
        return Redirect::to("/my").into_response();
    };
    let data = match crate::upload::read_multipart(&state, form).await {
        Ok(d) => d,
        Err(e) => return e.into_response(),
    };
    let field = |k: &str| {
        data.fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    if !tongban_app::auth::same_secret(&a.csrf_token, &field("csrf")) {
        return csrf_refused();
    }
    let Some(file) = data.files.into_iter().next() else {
        return mine(&state, &a, &number, None, HashMap::new(), "请选择要上传的文件".into()).await;
    };
    let material = field("material");
    match cases::attach(&state, FiledBy::Applicant(&a), &number, &material, &file.bytes).await {
        Ok(_) => back_to(&number, Done::Uploaded),
        Err(e) => mine(&state, &a, &number, None, HashMap::new(), e.message).await,
    }
}

async fn mine_resubmit(
    State(state): State<AppState>,
    Path(number): Path<String>,
    ApplicantForm(a, pairs): ApplicantForm<Vec<(String, String)>>,
) -> Response {
    let case = match cases::my_case(&state, &a, &number).await {
        Ok(c) => c,
        Err(e) => return error_page(e),
    };
    let form = match cases::current_item(&state, &a.region_code, &case.item_code).await {
        Ok(Some(i)) => i.guide.application_form(),
        Ok(None) => return error_page(Error::not_found(format!("事项“{}”", case.item_code))),
        Err(e) => return error_page(e),
    };
    let answers = answers_from(&form, &pairs);
    let version = posted(&pairs, "version").parse().unwrap_or(case.version);
    let opts = cases::ActOptions {
        form: Some(Value::Object(answers.clone())),
        ..Default::default()
    };
    match cases::act_as_applicant(&state, &a, &number, "resubmit", version, &opts).await {
        Ok(_) => back_to(&number, Done::Resubmitted),
        Err(e) => {
            let errors = field_errors(&e);
            mine(&state, &a, &number, Some(answers), errors, e.message).await
        }
    }
}

async fn mine_delivery(
    State(state): State<AppState>,
    Path(number): Path<String>,
    ApplicantForm(a, pairs): ApplicantForm<Vec<(String, String)>>,
) -> Response {
    let wanted = Delivery {
        method: posted(&pairs, "delivery_method"),
        site: posted(&pairs, "delivery_site"),
        address: posted(&pairs, "delivery_address"),
        ..Delivery::default()
    };
    match cases::change_delivery(&state, &a, &number, wanted).await {
        Ok(_) => back_to(&number, Done::DeliveryChanged),
        Err(e) => mine(&state, &a, &number, None, HashMap::new(), e.message).await,
    }
}

/// 电子证照免提交 or 材料复用 from the case page.
async fn mine_reuse(
    State(state): State<AppState>,
    Path(number): Path<String>,
    ApplicantForm(a, pairs): ApplicantForm<Vec<(String, String)>>,
) -> Response {
    let material = posted(&pairs, "material");
    let result = if !posted(&pairs, "licence_id").is_empty() {
        cases::reuse_licence(&state, &a, &number, &material, &posted(&pairs, "licence_id")).await
    } else {
        let confirmed = posted(&pairs, "confirm") == "1";
        cases::reuse_material(&state, &a, &number, &material, &posted(&pairs, "from_case"), confirmed).await
    };
    match result {
        Ok(_) => back_to(&number, Done::MaterialReused),
        Err(e) => mine(&state, &a, &number, None, HashMap::new(), e.message).await,
    }
}

/// One posted field, trimmed; empty when absent.
fn posted(pairs: &[(String, String)], name: &str) -> String {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default()
}

/// The failing fields of a 422 `invalid_form`, by field name, for the page to show beside each field.
fn field_errors(e: &Error) -> HashMap<String, String> {
    e.details
        .as_ref()
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|d| Some((d["field"].as_str()?.to_string(), d["message"].as_str()?.to_string())))
                .fold(HashMap::new(), |mut m, (k, v)| {
                    m.entry(k)
                        .and_modify(|e: &mut String| e.push_str(&format!("；{v}")))
                        .or_insert(v);
                    m
                })
        })
        .unwrap_or_default()
}
