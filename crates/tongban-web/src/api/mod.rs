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
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(session::login))
        .routes(routes!(session::logout))
        .routes(routes!(session::me))
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
        .merge(import)
        .split_for_parts()
}
