//! Hall queue pages: the kiosk (取号) with its printable ticket, the appointment page, the hall board for the big
//! screen, the window clerk's calling page, the administrator's categories and the supervisor's figures.
//!
//! The kiosk and appointment forms carry no CSRF token: they need no session and grant nothing that the public
//! API does not (anyone may take a ticket), so a forged post can do no more than a visitor at the kiosk.

use super::{error_page, filters, render, render_result, url_escape, Layout};
use crate::auth::WebUser;
use crate::extract::StaffForm;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use chrono::Utc;
use serde::Deserialize;
use tongban_app::policy::{self, Capability};
use tongban_app::queue::{
    self, Board, CategoryInput, CategoryView, QueueReport, SlotView, TicketView, WindowAction, WindowAnswer,
    DEFAULT_HOURS,
};
use tongban_app::{Error, ErrorKind};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/hall/ticket", get(kiosk).post(kiosk_submit))
        .route("/hall/tickets/{day}/{number}", get(ticket_page))
        .route("/hall/appointment", get(appointment).post(appointment_submit))
        .route("/hall/board", get(board_page))
        .route("/staff/queue", get(window_page).post(window_submit))
        .route("/staff/queue/categories", get(categories_page).post(categories_submit))
        .route("/staff/queue/figures", get(figures_page))
        .route(
            "/assets/queue.css",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/css; charset=utf-8"),
                        (header::CACHE_CONTROL, "public, max-age=3600"),
                    ],
                    include_str!("../../assets/queue.css"),
                )
            }),
        )
}

fn region(state: &AppState) -> String {
    state.config.default_region.clone()
}

#[derive(Template)]
#[template(path = "queue_kiosk.html")]
struct KioskPage {
    layout: Layout,
    categories: Vec<CategoryView>,
    phone: String,
    error: String,
}

async fn kiosk_page(state: &AppState, phone: String, error: Error) -> Response {
    let status = crate::error::status_of(error.kind);
    match queue::categories(state, &region(state), Utc::now()).await {
        Ok(categories) => {
            let page = KioskPage {
                layout: Layout::new("取号", None),
                categories,
                phone,
                error: error.message,
            };
            (status, render(&page)).into_response()
        }
        Err(e) => error_page(e),
    }
}

async fn kiosk(State(state): State<AppState>) -> Response {
    match queue::categories(&state, &region(&state), Utc::now()).await {
        Ok(categories) => render(&KioskPage {
            layout: Layout::new("取号", None),
            categories,
            phone: String::new(),
            error: String::new(),
        }),
        Err(e) => error_page(e),
    }
}

#[derive(Deserialize)]
struct TakeForm {
    category: String,
    #[serde(default)]
    phone: String,
}

async fn kiosk_submit(State(state): State<AppState>, Form(f): Form<TakeForm>) -> Response {
    match queue::take_at(&state, &region(&state), &f.category, Some(&f.phone), Utc::now()).await {
        Ok(t) => Redirect::to(&format!("/hall/tickets/{}/{}", t.day, t.number)).into_response(),
        Err(e) => kiosk_page(&state, f.phone, e).await,
    }
}

#[derive(Template)]
#[template(path = "queue_ticket.html")]
struct TicketPage {
    t: TicketView,
    office: String,
    /// Local time the ticket was taken ("09:05").
    taken: String,
}

async fn ticket_page(State(state): State<AppState>, Path((day, number)): Path<(String, String)>) -> Response {
    match queue::ticket(&state, &region(&state), &day, &number).await {
        Ok(t) => render(&TicketPage {
            taken: chrono::NaiveDateTime::parse_from_str(&t.taken_at, "%Y-%m-%dT%H:%M:%SZ")
                .map(|n| queue::local_clock(n.and_utc()))
                .unwrap_or_default(),
            t,
            office: format!("{}政务服务中心", state.config.region_name),
        }),
        Err(e) => error_page(e),
    }
}

#[derive(Template)]
#[template(path = "queue_appointment.html")]
struct AppointmentPage {
    layout: Layout,
    categories: Vec<CategoryView>,
    category: String,
    date: String,
    slots: Vec<SlotView>,
    phone: String,
    error: String,
}

#[derive(Deserialize, Default)]
struct AppointmentQuery {
    category: Option<String>,
    date: Option<String>,
}

async fn appointment_view(
    state: &AppState,
    category: String,
    date: String,
    phone: String,
    mut error: String,
) -> Result<AppointmentPage, Error> {
    let region = region(state);
    let now = Utc::now();
    let categories: Vec<CategoryView> = queue::categories(state, &region, now)
        .await?
        .into_iter()
        .filter(|c| c.slot_capacity > 0)
        .collect();
    let mut slots = vec![];
    if !category.is_empty() && !date.is_empty() {
        match queue::slots_at(state, &region, &category, &date, now).await {
            Ok(s) => slots = s,
            Err(e) if error.is_empty() => error = e.message,
            Err(_) => {}
        }
    }
    Ok(AppointmentPage {
        layout: Layout::new("预约取号", None),
        categories,
        category,
        date,
        slots,
        phone,
        error,
    })
}

async fn appointment(State(state): State<AppState>, Query(q): Query<AppointmentQuery>) -> Response {
    let date = q
        .date
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| (queue::local_day(Utc::now()) + chrono::Duration::days(1)).to_string());
    match appointment_view(
        &state,
        q.category.unwrap_or_default(),
        date,
        String::new(),
        String::new(),
    )
    .await
    {
        Ok(p) => render(&p),
        Err(e) => error_page(e),
    }
}

#[derive(Deserialize)]
struct BookForm {
    category: String,
    date: String,
    #[serde(default)]
    slot: String,
    #[serde(default)]
    phone: String,
}

async fn appointment_submit(State(state): State<AppState>, Form(f): Form<BookForm>) -> Response {
    let result = if f.slot.is_empty() {
        Err(Error::unprocessable("invalid_slot", "请选择预约时段"))
    } else {
        queue::book_at(
            &state,
            &region(&state),
            &f.category,
            &f.date,
            &f.slot,
            &f.phone,
            Utc::now(),
        )
        .await
    };
    match result {
        Ok(t) => Redirect::to(&format!("/hall/tickets/{}/{}", t.day, t.number)).into_response(),
        Err(e) => {
            let status = crate::error::status_of(e.kind);
            match appointment_view(&state, f.category, f.date, f.phone, e.message).await {
                Ok(p) => (status, render(&p)).into_response(),
                Err(e) => error_page(e),
            }
        }
    }
}

#[derive(Template)]
#[template(path = "queue_board.html")]
struct BoardPage {
    b: Board,
    clock: String,
    refresh_seconds: u32,
}

async fn board_page(State(state): State<AppState>) -> Response {
    let now = Utc::now();
    match queue::board_at(&state, &region(&state), now).await {
        Ok(b) => render(&BoardPage {
            b,
            clock: queue::local_clock(now),
            refresh_seconds: 5,
        }),
        Err(e) => error_page(e),
    }
}

#[derive(Template)]
#[template(path = "queue_window.html")]
struct WindowPage {
    layout: Layout,
    w: WindowAnswer,
    others: Vec<CategoryView>,
    notice: String,
    error: String,
}

#[derive(Deserialize, Default)]
struct MessageQuery {
    msg: Option<String>,
}

async fn window_view(state: &AppState, s: &tongban_store::Session, notice: String, error: Option<Error>) -> Response {
    let status = error
        .as_ref()
        .map(|e| crate::error::status_of(e.kind))
        .unwrap_or(StatusCode::OK);
    let result = async {
        let w = queue::window_act(state, s, WindowAction::Current, Utc::now()).await?;
        let others = queue::categories(state, &s.staff.region_code, Utc::now())
            .await?
            .into_iter()
            .filter(|c| w.ticket.as_ref().is_none_or(|t| t.category != c.code))
            .collect();
        Ok::<_, Error>(WindowPage {
            layout: Layout::new("窗口叫号", Some(s)),
            w,
            others,
            notice,
            error: error.map(|e| e.message).unwrap_or_default(),
        })
    }
    .await;
    match result {
        Ok(p) => (status, render(&p)).into_response(),
        Err(e) => error_page(e),
    }
}

async fn window_page(State(state): State<AppState>, WebUser(s): WebUser, Query(q): Query<MessageQuery>) -> Response {
    window_view(&state, &s, q.msg.unwrap_or_default(), None).await
}

#[derive(Deserialize)]
struct WindowForm {
    action: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    case_number: String,
}

async fn window_submit(State(state): State<AppState>, StaffForm(s, f): StaffForm<WindowForm>) -> Response {
    let action = match f.action.as_str() {
        "call_next" => WindowAction::CallNext,
        "recall" => WindowAction::Recall,
        "skip" => WindowAction::Skip,
        "transfer" => WindowAction::Transfer(&f.category),
        "finish" => WindowAction::Finish(Some(&f.case_number)),
        other => {
            let e = Error::bad_request("invalid_action", format!("未知的操作“{other}”"));
            return window_view(&state, &s, String::new(), Some(e)).await;
        }
    };
    match queue::window_act(&state, &s, action, Utc::now()).await {
        Ok(a) => Redirect::to(&format!("/staff/queue?msg={}", url_escape(&a.message))).into_response(),
        Err(e) if e.kind == ErrorKind::Forbidden => error_page(e),
        Err(e) => window_view(&state, &s, String::new(), Some(e)).await,
    }
}

#[derive(Template)]
#[template(path = "queue_categories.html")]
struct CategoriesPage {
    layout: Layout,
    categories: Vec<CategoryView>,
    windows: Vec<(String, String)>,
    default_hours: &'static str,
    notice: String,
    error: String,
}

async fn categories_view(
    state: &AppState,
    s: &tongban_store::Session,
    notice: String,
    error: Option<Error>,
) -> Response {
    if let Err(e) = policy::require(&s.staff, Capability::ConfigureQueue) {
        return error_page(e);
    }
    let status = error
        .as_ref()
        .map(|e| crate::error::status_of(e.kind))
        .unwrap_or(StatusCode::OK);
    let result = async {
        Ok::<_, Error>(CategoriesPage {
            layout: Layout::new("取号类别", Some(s)),
            categories: queue::categories(state, &s.staff.region_code, Utc::now()).await?,
            windows: queue::windows(state, &s.staff.region_code)
                .await?
                .into_iter()
                .map(|w| (w.code, w.name))
                .collect(),
            default_hours: DEFAULT_HOURS,
            notice,
            error: error.map(|e| e.message).unwrap_or_default(),
        })
    }
    .await;
    match result {
        Ok(p) => (status, render(&p)).into_response(),
        Err(e) => error_page(e),
    }
}

async fn categories_page(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Query(q): Query<MessageQuery>,
) -> Response {
    categories_view(&state, &s, q.msg.unwrap_or_default(), None).await
}

#[derive(Deserialize)]
struct CategoryForm {
    /// create or update
    mode: String,
    code: String,
    name: String,
    prefix: String,
    /// Window codes separated by commas or spaces
    windows: String,
    #[serde(default)]
    open: Option<String>,
    slot_minutes: i64,
    slot_capacity: i64,
    hours: String,
    #[serde(default)]
    position: i64,
}

async fn categories_submit(State(state): State<AppState>, StaffForm(s, f): StaffForm<CategoryForm>) -> Response {
    let input = CategoryInput {
        code: f.code,
        name: f.name,
        prefix: f.prefix,
        windows: f.windows.split([',', '，', ' ', '、']).map(str::to_string).collect(),
        open: f.open.is_some(),
        slot_minutes: f.slot_minutes,
        slot_capacity: f.slot_capacity,
        hours: f.hours,
        position: f.position,
    };
    match queue::save_category(&state, &s, input, f.mode == "create", Utc::now()).await {
        Ok(c) => Redirect::to(&format!(
            "/staff/queue/categories?msg={}",
            url_escape(&format!("已保存“{}”", c.name))
        ))
        .into_response(),
        Err(e) if e.kind == ErrorKind::Forbidden => error_page(e),
        Err(e) => categories_view(&state, &s, String::new(), Some(e)).await,
    }
}

#[derive(Deserialize, Default)]
struct FigureQuery {
    from: Option<String>,
    to: Option<String>,
}

#[derive(Template)]
#[template(path = "queue_figures.html")]
struct FiguresPage {
    layout: Layout,
    r: QueueReport,
    tables: Vec<(&'static str, Vec<queue::QueueFigures>)>,
}

async fn figures_page(State(state): State<AppState>, WebUser(s): WebUser, Query(q): Query<FigureQuery>) -> Response {
    let result = async {
        let (from, to) = tongban_app::time::period(
            q.from.as_deref(),
            q.to.as_deref(),
            queue::local_day(Utc::now()),
            tongban_app::time::PeriodStart::DaysBefore(6),
        )?;
        let mut r = queue::figures(&state, &s, from, to).await?;
        let tables = vec![
            ("按日", std::mem::take(&mut r.by_day)),
            ("按类别", std::mem::take(&mut r.by_category)),
            ("按窗口", std::mem::take(&mut r.by_window)),
        ];
        Ok::<_, Error>(FiguresPage {
            layout: Layout::new("取号叫号统计", Some(&s)),
            r,
            tables,
        })
    }
    .await;
    render_result(result)
}
