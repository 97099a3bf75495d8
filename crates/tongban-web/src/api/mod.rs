//! The JSON API under /api/v1. Every route is registered through utoipa-axum's `routes!`, which takes the path and
//! method from the handler's `#[utoipa::path]`, so the OpenAPI document cannot drift from the router.

pub(crate) mod cases;
pub(crate) mod catalog;
pub(crate) mod disclosure;
pub(crate) mod hotline;
pub(crate) mod payments;
pub(crate) mod queue;
pub mod reform;
mod session;

use crate::state::AppState;
use axum::extract::DefaultBodyLimit;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "tongban 通办 API",
        description = "一体化政务服务平台接口。错误统一为 {\"error\":{\"code\",\"message\"}}；分页列表统一为 {\"total\",\"page\",\"per_page\",\"data\"}。",
        license(name = "Apache-2.0")
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "登录与会话"),
        (name = "catalog", description = "事项目录与办事指南"),
        (name = "search", description = "事项搜索"),
        (name = "org", description = "行政区划与部门"),
        (name = "cases", description = "办件：申请、受理、审查、决定、送达"),
        (name = "calendar", description = "工作日历"),
        (name = "ratings", description = "好差评与差评整改"),
        (name = "licences", description = "电子证照签发、核验与注销"),
        (name = "reform", description = "容缺受理、一件事一次办、全域通办与跨省通办、赋权、帮代办"),
        (name = "applicant", description = "申请人登录与我的办件"),
        (name = "payments", description = "收费事项：缴款单、缴费平台通知（HMAC-SHA256签名）、缴费凭据与每日对账"),
        (name = "queue", description = "取号叫号：取号、预约、窗口叫号、大厅叫号屏、等候与办理时间统计"),
        (name = "disclosure", description = "政务公开：标准目录、主动公开、依申请公开、行政复议诉讼、年度报告"),
        (name = "hotline", description = "12345热线工单：受理、派单、签收、退单、延期、答复、回访、督办、合并；通报、未诉即办预警、Open311接口密钥")
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API routes and the OpenAPI document built from the very same registrations.
pub fn router() -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    let import = OpenApiRouter::new()
        .routes(routes!(catalog::import))
        .routes(routes!(cases::upload_material, cases::materials))
        .routes(routes!(cases::upload_file))
        .routes(routes!(hotline::upload_files, hotline::list_files))
        .layer(DefaultBodyLimit::max(crate::IMPORT_BODY_LIMIT));
    let api = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(session::login))
        .routes(routes!(session::logout))
        .routes(routes!(session::me))
        .routes(routes!(session::todo))
        .routes(routes!(session::change_password))
        .routes(routes!(session::reset_password))
        .routes(routes!(session::set_active))
        .routes(routes!(session::assign))
        .routes(routes!(catalog::search))
        .routes(routes!(catalog::list_items))
        .routes(routes!(catalog::get_item, catalog::put_item))
        .routes(routes!(catalog::get_form, catalog::put_form, catalog::reset_form))
        .routes(routes!(catalog::get_form_schema))
        .routes(routes!(catalog::list_departments))
        .routes(routes!(catalog::get_region))
        .routes(routes!(catalog::list_bundles))
        .routes(routes!(catalog::quality))
        .routes(routes!(cases::create, cases::list))
        .routes(routes!(cases::get))
        .routes(routes!(cases::action))
        .routes(routes!(cases::events))
        .routes(routes!(cases::progress))
        .routes(routes!(cases::add_working_days))
        .routes(routes!(cases::working_days))
        .routes(routes!(cases::supervision))
        .routes(routes!(cases::get_workflow, cases::put_workflow))
        .routes(routes!(reform::rate))
        .routes(routes!(reform::rate_visit))
        .routes(routes!(reform::rating_summary))
        .routes(routes!(reform::rectifications))
        .routes(routes!(reform::rectification_step))
        .routes(routes!(reform::verify))
        .routes(routes!(reform::get_licence))
        .routes(routes!(reform::revoke_licence))
        .routes(routes!(reform::supplement))
        .routes(routes!(reform::commitments))
        .routes(routes!(reform::credit_records))
        .routes(routes!(reform::clear_credit_record))
        .routes(routes!(reform::bundle, reform::put_bundle))
        .routes(routes!(reform::file_bundle))
        .routes(routes!(reform::get_bundle_case))
        .routes(routes!(reform::bundle_action))
        .routes(routes!(reform::partners))
        .routes(routes!(reform::put_partner))
        .routes(routes!(reform::delegations, reform::delegate))
        .routes(routes!(reform::revoke_delegation))
        .routes(routes!(reform::anywhere_figures))
        .routes(routes!(reform::helpers, reform::pair_helper))
        .routes(routes!(reform::get_enterprise))
        .routes(routes!(reform::send_code))
        .routes(routes!(reform::applicant_login))
        .routes(routes!(reform::applicant_logout))
        .routes(routes!(reform::set_applicant_password))
        .routes(routes!(reform::applicant_sessions))
        .routes(routes!(reform::end_applicant_session))
        .routes(routes!(reform::my_cases))
        .routes(routes!(reform::my_case))
        .routes(routes!(reform::create_draft))
        .routes(routes!(reform::get_draft, reform::put_draft, reform::delete_draft))
        .routes(routes!(reform::submit_draft))
        .routes(routes!(reform::reuse_material))
        .routes(routes!(reform::my_agents, reform::add_agent))
        .routes(routes!(reform::remove_agent))
        .routes(routes!(reform::put_representative))
        .routes(routes!(reform::applicant_action))
        .routes(routes!(reform::change_delivery))
        .routes(routes!(payments::case_payment))
        .routes(routes!(payments::notify))
        .routes(routes!(payments::reconciliation))
        .routes(routes!(reform::my_licences))
        .routes(routes!(queue::list_categories, queue::create_category))
        .routes(routes!(queue::update_category))
        .routes(routes!(queue::take_ticket))
        .routes(routes!(queue::get_ticket))
        .routes(routes!(queue::book))
        .routes(routes!(queue::slots))
        .routes(routes!(queue::current))
        .routes(routes!(queue::call_next))
        .routes(routes!(queue::recall))
        .routes(routes!(queue::skip))
        .routes(routes!(queue::transfer))
        .routes(routes!(queue::finish))
        .routes(routes!(queue::board))
        .routes(routes!(queue::figures))
        .routes(routes!(disclosure::catalog))
        .routes(routes!(disclosure::put_entry))
        .routes(routes!(disclosure::list_items, disclosure::draft))
        .routes(routes!(disclosure::get_item))
        .routes(routes!(disclosure::item_action))
        .routes(routes!(disclosure::figures))
        .routes(routes!(disclosure::grounds))
        .routes(routes!(disclosure::file_request, disclosure::inbox))
        .routes(routes!(disclosure::get_request))
        .routes(routes!(disclosure::request_events))
        .routes(routes!(disclosure::request_action))
        .routes(routes!(disclosure::appeals, disclosure::record_appeal))
        .routes(routes!(disclosure::decide_appeal))
        .routes(routes!(disclosure::report))
        .routes(routes!(disclosure::report_xlsx))
        .routes(routes!(disclosure::put_report_texts))
        .routes(routes!(disclosure::progress))
        .routes(routes!(hotline::categories))
        .routes(routes!(hotline::put_category))
        .routes(routes!(hotline::create_order, hotline::list_orders))
        .routes(routes!(hotline::public_request))
        .routes(routes!(hotline::progress))
        .routes(routes!(hotline::get_order))
        .routes(routes!(hotline::act))
        .routes(routes!(hotline::get_bulletin))
        .routes(routes!(hotline::overdue))
        .routes(routes!(hotline::warnings))
        .routes(routes!(hotline::acknowledge_warning))
        .routes(routes!(hotline::download_file))
        .routes(routes!(hotline::add_key, hotline::list_keys))
        .routes(routes!(hotline::revoke_key))
        .layer(DefaultBodyLimit::max(crate::JSON_BODY_LIMIT))
        .merge(import);
    let (router, mut openapi) = api.split_for_parts();
    document_common_errors(&mut openapi);
    (
        router.layer(axum::middleware::map_response(crate::error::api_errors_as_json)),
        openapi,
    )
}

/// The answers every operation of a kind can give, documented on each so that a client (and the generated-request
/// test) finds every status in the document: 400 for a query or path that cannot be read, 401 and 403 where a token
/// is taken, 404 where a path names a record, 413/415/422 where a body is read, 503 when the database cannot be
/// reached, 500 for a fault of ours.
fn document_common_errors(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let error = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build()
    };
    for item in openapi.paths.paths.values_mut() {
        let ops = [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.delete,
            &mut item.patch,
        ];
        for op in ops.into_iter().flatten() {
            let has_params = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
            let has_path_params = op.parameters.as_ref().is_some_and(|p| {
                p.iter()
                    .any(|p| matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Path))
            });
            let has_body = op.request_body.is_some();
            let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
            let mut add = |code: &str, description: &str| {
                op.responses
                    .responses
                    .entry(code.to_string())
                    .or_insert_with(|| error(description).into());
            };
            if has_params || has_body {
                add(
                    "400",
                    "请求无法读取（参数或JSON格式错误）：invalid_query、invalid_json、invalid_page等",
                );
            }
            if secured {
                add("401", "未登录或令牌无效：unauthorized、invalid_token");
                add("403", "无权进行此操作：forbidden及具体原因的代码");
            }
            if has_path_params {
                add("404", "记录不存在（或对调用者不可见）：not_found");
                add("422", "路径中的编号或代码不符合规则：invalid_credit_code等");
            }
            if has_body {
                add("413", "请求体过大：payload_too_large");
                add("415", "请求体格式不对（应为application/json）：unsupported_media_type");
                add("422", "字段不符合要求：invalid_fields及各业务规则的代码");
            }
            add("500", "服务器内部错误：internal");
            add("503", "数据库暂时无法连接：database_unavailable");
        }
    }
}
