//! The workflow template as an administrator edits it: a form of states (name, clock, time budget) and actions (from
//! which states, to which, by whom, whether a reason is required), checked before saving, with a drawing of the
//! graph; others read the same page with the form locked.

use super::cases::ChecklistForm;
use super::Layout;
use crate::auth::WebUser;
use crate::extract::StaffForm;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use tongban_app::cases;
use tongban_app::policy::{self, Capability};
use tongban_app::Error;
use tongban_core::role::Role;
use tongban_core::workflow::{ActionDef, Actor, Clock, StateDef, Target, Template as Workflow};
use tongban_store::Session;

pub fn router() -> Router<AppState> {
    Router::new().route("/staff/workflows/{code}", get(workflow_page).post(workflow_submit))
}

const CLOCKS: [(Clock, &str, &str); 4] = [
    (Clock::NotStarted, "not_started", "未起算（受理前）"),
    (Clock::Running, "running", "计时"),
    (Clock::Stopped, "stopped", "暂停计时（特别程序）"),
    (Clock::Done, "done", "结束"),
];

/// Who may be named on an action: the applicant and each staff role, (value, name).
fn actor_options() -> Vec<(&'static str, &'static str)> {
    std::iter::once(("applicant", "申请人"))
        .chain(Role::ALL.iter().map(|r| (r.as_str(), r.label())))
        .collect()
}

fn actor_value(a: &Actor) -> &'static str {
    a.as_str()
}

/// Blank rows the form offers for a new state or action.
const BLANK_ROWS: usize = 2;

/// One box of the drawing: a state at its place.
pub struct NodeView {
    pub label: String,
    pub x: i64,
    pub y: i64,
    pub end: bool,
}

/// One arrow of the drawing: an action from one state to another, an arc out to the right when it leads down the
/// list (onward), to the left when it leads back up.
pub struct EdgeView {
    pub path: String,
    pub label: String,
    pub label_x: i64,
    pub label_y: i64,
    /// `start` for a label right of its arc, `end` left of it.
    pub anchor: &'static str,
    /// The applicant takes it (drawn dashed).
    pub applicant: bool,
}

const BOX_W: i64 = 200;
const BOX_H: i64 = 30;
const ROW: i64 = 52;
/// How far apart the arcs' lanes are: room for a label of about six characters.
const LANE: i64 = 84;

/// Puts each arc (a span of rows) in the innermost lane where it overlaps no other arc, shortest first, so that
/// arcs in one lane never share a stretch and their labels, at each arc's middle, never meet.
fn lanes(spans: &[(i64, i64)]) -> Vec<i64> {
    let mut order: Vec<usize> = (0..spans.len()).collect();
    order.sort_by_key(|&i| (spans[i].1 - spans[i].0, spans[i].0));
    let mut taken: Vec<Vec<(i64, i64)>> = vec![];
    let mut lane_of = vec![0; spans.len()];
    for i in order {
        let (lo, hi) = spans[i];
        let lane = (0..)
            .find(|&l| {
                taken
                    .get(l)
                    .is_none_or(|used: &Vec<(i64, i64)>| used.iter().all(|&(a, b)| hi <= a || lo >= b))
            })
            .unwrap_or(0);
        if taken.len() <= lane {
            taken.resize(lane + 1, vec![]);
        }
        taken[lane].push((lo, hi));
        lane_of[i] = lane as i64;
    }
    lane_of
}

/// The template as a drawing: states top to bottom in template order, each action an arc from the box it leaves to
/// the box it reaches (a "back to the earlier state" action has no fixed target and is listed, not drawn).
fn graph(t: &Workflow) -> (Vec<NodeView>, Vec<EdgeView>, i64, i64) {
    let row_of = |code: &str| t.states.iter().position(|s| s.code == code).map(|i| i as i64);
    // (from row, to row, label, applicant)
    let mut arcs = vec![];
    for a in &t.actions {
        let Target::State(to) = &a.to else { continue };
        let Some(r2) = row_of(to) else { continue };
        for from in &a.from {
            match row_of(from) {
                Some(r1) if r1 != r2 => {
                    arcs.push((r1, r2, a.label.clone(), a.actors.first() == Some(&Actor::Applicant)))
                }
                _ => {}
            }
        }
    }
    let span = |&(r1, r2, _, _): &(i64, i64, String, bool)| (r1.min(r2), r1.max(r2));
    let (down, up): (Vec<_>, Vec<_>) = arcs.into_iter().partition(|(r1, r2, _, _)| r2 > r1);
    let down_lanes = lanes(&down.iter().map(span).collect::<Vec<_>>());
    let up_lanes = lanes(&up.iter().map(span).collect::<Vec<_>>());
    // Room on the left for the back arcs and their labels, which end at the arc.
    let left = 20 + up_lanes.iter().max().map_or(0, |l| (l + 1) * LANE + 60);
    let right_room = down_lanes.iter().max().map_or(0, |l| (l + 1) * LANE);
    let mid = |r: i64| 10 + r * ROW + BOX_H / 2;
    let mut edges = vec![];
    for ((r1, r2, label, applicant), lane) in down.iter().zip(&down_lanes) {
        let x = left + BOX_W;
        let bulge = 36 + lane * LANE;
        let (a1, a2) = (mid(*r1), mid(*r2));
        edges.push(EdgeView {
            path: format!("M{x},{a1} C{},{a1} {},{a2} {x},{a2}", x + bulge, x + bulge),
            label: label.clone(),
            label_x: x + bulge * 3 / 4 + 4,
            label_y: (a1 + a2) / 2 + 4,
            anchor: "start",
            applicant: *applicant,
        });
    }
    for ((r1, r2, label, applicant), lane) in up.iter().zip(&up_lanes) {
        let x = left;
        let bulge = 36 + lane * LANE;
        let (a1, a2) = (mid(*r1), mid(*r2));
        edges.push(EdgeView {
            path: format!("M{x},{a1} C{},{a1} {},{a2} {x},{a2}", x - bulge, x - bulge),
            label: label.clone(),
            label_x: x - bulge * 3 / 4 - 4,
            label_y: (a1 + a2) / 2 + 4,
            anchor: "end",
            applicant: *applicant,
        });
    }
    let nodes = t
        .states
        .iter()
        .enumerate()
        .map(|(i, s)| NodeView {
            label: s.label.clone(),
            x: left,
            y: 10 + i as i64 * ROW,
            end: t.next_step(&s.code).is_none(),
        })
        .collect();
    let width = left + BOX_W + right_room + 60;
    let height = 20 + t.states.len() as i64 * ROW;
    (nodes, edges, width, height)
}

#[derive(Template)]
#[template(path = "staff_workflow.html")]
struct WorkflowPage {
    layout: Layout,
    t: Workflow,
    can_edit: bool,
    error: String,
    notice: String,
    clocks: Vec<(&'static str, &'static str)>,
    actors: Vec<(&'static str, &'static str)>,
    nodes: Vec<NodeView>,
    edges: Vec<EdgeView>,
    width: i64,
    height: i64,
}

impl WorkflowPage {
    fn clock_value(&self, c: &Clock) -> &'static str {
        CLOCKS.iter().find(|(k, _, _)| k == c).map(|(_, v, _)| *v).unwrap_or("")
    }
    fn budget(&self, s: &StateDef) -> String {
        s.budget_days.map(|d| d.to_string()).unwrap_or_default()
    }
    fn leaves(&self, a: &ActionDef, state: &str) -> bool {
        a.from.iter().any(|f| f == state)
    }
    fn to_value(&self, a: &ActionDef) -> String {
        match &a.to {
            Target::State(s) => s.clone(),
            Target::Previous => "previous".into(),
        }
    }
    fn has_actor(&self, a: &ActionDef, actor: &str) -> bool {
        a.actors.iter().any(|x| actor_value(x) == actor)
    }
    fn max_times(&self, a: &ActionDef) -> String {
        a.max_times.map(|d| d.to_string()).unwrap_or_default()
    }
}

/// The page for a saved template, or for a draft that was refused (shown as typed, with the reason).
async fn view(
    state: &AppState,
    s: &Session,
    code: &str,
    draft: Option<Workflow>,
    error: String,
    notice: String,
) -> Response {
    let result = async {
        let mut t = match draft {
            Some(t) => t,
            None => cases::workflow(state, s, code).await?,
        };
        let (nodes, edges, width, height) = graph(&t);
        let can_edit = policy::allows(&s.staff, Capability::ConfigureWorkflows);
        if can_edit {
            for _ in 0..BLANK_ROWS {
                t.states.push(StateDef {
                    code: String::new(),
                    label: String::new(),
                    clock: Clock::Running,
                    budget_days: None,
                });
                t.actions.push(ActionDef {
                    code: String::new(),
                    label: String::new(),
                    from: vec![],
                    to: Target::State(String::new()),
                    actors: vec![],
                    comment_required: false,
                    max_times: None,
                });
            }
        }
        Ok::<_, Error>(WorkflowPage {
            layout: Layout::new("流程模板", Some(s)),
            can_edit,
            t,
            error: error.clone(),
            notice,
            clocks: CLOCKS.iter().map(|(_, v, l)| (*v, *l)).collect(),
            actors: actor_options(),
            nodes,
            edges,
            width,
            height,
        })
    }
    .await;
    super::form_result(result, !error.is_empty())
}

async fn workflow_page(State(state): State<AppState>, WebUser(s): WebUser, Path(code): Path<String>) -> Response {
    view(&state, &s, &code, None, String::new(), String::new()).await
}

/// The template the form describes. Rows without a code are the blank ones left blank; a number that is not one is
/// refused by name rather than dropped.
fn from_form(code: &str, f: &ChecklistForm) -> Result<Workflow, Error> {
    let count = |name: &str| f.field(name).parse::<usize>().unwrap_or(0).min(200);
    let number = |field: &str, what: &str| -> Result<Option<u32>, Error> {
        let v = f.field(field);
        if v.is_empty() {
            return Ok(None);
        }
        v.parse::<u32>()
            .map(Some)
            .map_err(|_| Error::unprocessable("invalid_number", format!("{what}应为不小于0的整数，而不是“{v}”")))
    };
    let mut states = vec![];
    for i in 0..count("states") {
        let code = f.field(&format!("s{i}_code"));
        if code.is_empty() {
            continue;
        }
        let clock = f.field(&format!("s{i}_clock"));
        states.push(StateDef {
            label: f.field(&format!("s{i}_label")),
            clock: CLOCKS
                .iter()
                .find(|(_, v, _)| *v == clock)
                .map(|(c, _, _)| *c)
                .ok_or_else(|| Error::unprocessable("invalid_clock", format!("状态“{code}”的计时方式无效")))?,
            budget_days: number(&format!("s{i}_budget"), &format!("状态“{code}”的环节时限"))?,
            code,
        });
    }
    let mut actions = vec![];
    for j in 0..count("actions") {
        let code = f.field(&format!("a{j}_code"));
        if code.is_empty() {
            continue;
        }
        let to = f.field(&format!("a{j}_to"));
        let actors = f
            .all(&format!("a{j}_actor"))
            .iter()
            .map(|a| Actor::parse(a).ok_or_else(|| Error::unprocessable("invalid_role", format!("角色“{a}”不存在"))))
            .collect::<Result<Vec<_>, _>>()?;
        actions.push(ActionDef {
            label: f.field(&format!("a{j}_label")),
            from: f.all(&format!("a{j}_from")),
            to: if to == "previous" {
                Target::Previous
            } else {
                Target::State(to)
            },
            actors,
            comment_required: f.field(&format!("a{j}_comment")) == "1",
            max_times: number(&format!("a{j}_max"), &format!("操作“{code}”的次数上限"))?,
            code,
        });
    }
    Ok(Workflow {
        code: code.to_string(),
        name: f.field("name"),
        initial: f.field("initial"),
        states,
        actions,
    })
}

async fn workflow_submit(
    State(state): State<AppState>,
    Path(code): Path<String>,
    StaffForm(s, f): StaffForm<ChecklistForm>,
) -> Response {
    if let Err(e) = policy::require(&s.staff, Capability::ConfigureWorkflows) {
        return super::error_page(e);
    }
    let draft = match from_form(&code, &f) {
        Ok(t) => t,
        Err(e) => return view(&state, &s, &code, None, e.message, String::new()).await,
    };
    match cases::save_workflow(&state, &s, &code, draft.clone()).await {
        Ok(_) => {
            let notice = "已保存，新的办理动作即按此模板执行。".to_string();
            view(&state, &s, &code, None, String::new(), notice).await
        }
        Err(e) if e.kind == tongban_app::ErrorKind::Forbidden => super::error_page(e),
        Err(e) => view(&state, &s, &code, Some(draft), e.message, String::new()).await,
    }
}
