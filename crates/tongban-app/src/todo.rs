//! 待我办理: what waits for one staff member now, across the work they do — cases whose workflow step is their
//! role's (at their department, or at their site for a window clerk), 12345 orders whose next step is theirs,
//! disclosure requests they answer, rectifications of bad ratings they reply to or revisit — soonest deadline
//! first, with how many are late, due today or warned, and what changed since they last looked.
//!
//! Whose turn it is comes from the same rules that allow the step (the case template's `next_step`, the order and
//! request lifecycles, the rectification parties), so a to-do entry is always something its reader may act on.

use crate::policy::{self, Capability, RectificationParty};
use crate::{App, Error};
use chrono::{NaiveDate, Utc};
use serde::Serialize;
use std::collections::HashMap;
use tongban_core::role::Role;
use tongban_core::workflow::Actor;
use tongban_store::{CaseFilter, Session, UrgencyCounts};

/// How many case entries a to-do list shows at most; the counts cover all of them, and search narrows the rest.
pub const CASES_SHOWN: i64 = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    Overdue,
    DueToday,
    Warned,
    Normal,
}

impl Urgency {
    pub fn label(self) -> &'static str {
        match self {
            Urgency::Overdue => "已超期",
            Urgency::DueToday => "今日到期",
            Urgency::Warned => "临近到期",
            Urgency::Normal => "未到期",
        }
    }

    /// The traffic light the pages colour it with.
    pub fn light(self) -> &'static str {
        match self {
            Urgency::Overdue => "red",
            Urgency::DueToday | Urgency::Warned => "yellow",
            Urgency::Normal => "none",
        }
    }

    fn of_day(due: NaiveDate, today: NaiveDate, warn_by: NaiveDate) -> Urgency {
        if due < today {
            Urgency::Overdue
        } else if due == today {
            Urgency::DueToday
        } else if due <= warn_by {
            Urgency::Warned
        } else {
            Urgency::Normal
        }
    }
}

/// One piece of work waiting for the reader.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = TodoEntry))]
pub struct Entry {
    /// `case`, `order` (12345), `disclosure` (依申请公开) or `rectification` (差评整改)
    pub kind: &'static str,
    pub kind_label: &'static str,
    pub number: String,
    /// The item, the order's title, the request's description, the rated service
    pub title: String,
    /// The applicant, caller or rater by name
    pub party: String,
    pub department: String,
    pub state_label: String,
    /// What the reader is to do now
    pub step: String,
    /// The deadline in Beijing time (a date, or a date and time for 12345 orders); empty when none runs yet
    pub due: String,
    pub urgency: Urgency,
    pub urgency_label: &'static str,
    /// Where the reader acts on it
    pub href: String,
    /// Changed since the reader last opened the list
    pub new: bool,
    #[serde(skip)]
    due_key: String,
}

#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = TodoCounts))]
pub struct Counts {
    pub total: i64,
    pub overdue: i64,
    pub due_today: i64,
    pub warned: i64,
    pub new: i64,
}

impl Counts {
    fn add_entry(&mut self, e: &Entry) {
        self.total += 1;
        match e.urgency {
            Urgency::Overdue => self.overdue += 1,
            Urgency::DueToday => self.due_today += 1,
            Urgency::Warned => self.warned += 1,
            Urgency::Normal => {}
        }
        self.new += i64::from(e.new);
    }

    fn add(&mut self, u: UrgencyCounts) {
        self.total += u.total;
        self.overdue += u.overdue;
        self.due_today += u.due_today;
        self.warned += u.warned;
        self.new += u.new;
    }
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = Todo))]
pub struct Todo {
    /// Everything that waits for the reader (all of it, also beyond the entries listed)
    pub counts: Counts,
    /// Cases waiting for the reader beyond the `CASES_SHOWN` listed; search to reach them
    pub cases_not_listed: i64,
    pub entries: Vec<Entry>,
}

/// The reader's to-do list, narrowed by `search` (a number or its start, a name, part of a title) when given.
/// Opening it with `mark_seen` moves the reader's "new since" mark to now.
pub async fn todo(app: &App, s: &Session, search: Option<&str>, mark_seen: bool) -> Result<Todo, Error> {
    let search = search.map(str::trim).filter(|q| !q.is_empty());
    let seen = app.store.todo_seen_at(s.staff.id).await?;
    let started = tongban_store::now_text();
    let today = crate::time::today();
    let warn_by = app
        .calendar()
        .add_working_days(today, crate::cases::WARN_DAYS as u32)
        .date;
    let mut counts = Counts::default();
    let mut entries = Vec::new();

    let mut cases_not_listed = 0;
    if let Some(filter) = case_filter(app, s, search).await? {
        let region = &s.staff.region_code;
        counts.add(
            app.store
                .case_urgency(
                    region,
                    &filter,
                    &crate::time::ymd(today),
                    &crate::time::ymd(warn_by),
                    Some(&seen),
                )
                .await?,
        );
        let page = app.store.cases(region, &filter, 1, CASES_SHOWN).await?;
        cases_not_listed = (page.total - page.data.len() as i64).max(0);
        for c in page.data {
            let tpl = crate::cases::template(app, region, &c.workflow_code).await?;
            let due = c
                .due_date
                .as_deref()
                .and_then(crate::time::parse_day)
                .filter(|_| c.completed_on.is_none() && c.suspended_since.is_none());
            let urgency = due.map_or(Urgency::Normal, |d| Urgency::of_day(d, today, warn_by));
            entries.push(Entry {
                kind: "case",
                kind_label: "办件",
                step: tpl
                    .next_step(&c.state)
                    .map(|(a, _)| a.label.clone())
                    .unwrap_or_default(),
                state_label: tpl.state(&c.state).map(|x| x.label.clone()).unwrap_or_default(),
                title: c.item_name,
                party: c.applicant_name,
                department: c.department_name,
                due: due.map(crate::time::ymd).unwrap_or_default(),
                due_key: c.due_date.unwrap_or_default(),
                urgency,
                urgency_label: urgency.label(),
                href: format!("/staff/cases/{}", c.number),
                new: c.updated_at > seen,
                number: c.number,
            });
        }
    }

    let mut others = Vec::new();
    let when = When {
        seen: &seen,
        today,
        warn_by,
    };
    orders(app, s, &when, &mut others).await?;
    disclosure_requests(app, s, &when, &mut others).await?;
    rectifications(app, s, &when, &mut others).await?;
    others.retain(|e| search.is_none_or(|q| matches(e, q)));
    for e in &others {
        counts.add_entry(e);
    }
    entries.extend(others);
    // Late first, then by deadline; work with no deadline yet (not accepted) after the dated.
    entries.sort_by(|a, b| {
        (a.urgency, a.due_key.is_empty(), &a.due_key, &a.number).cmp(&(
            b.urgency,
            b.due_key.is_empty(),
            &b.due_key,
            &b.number,
        ))
    });
    if mark_seen {
        app.store.set_todo_seen_at(s.staff.id, &started).await?;
    }
    Ok(Todo {
        counts,
        cases_not_listed,
        entries,
    })
}

/// When a list is read: the reader's last look, today, and the end of the warning period.
struct When<'a> {
    seen: &'a str,
    today: NaiveDate,
    warn_by: NaiveDate,
}

fn matches(e: &Entry, q: &str) -> bool {
    e.number.to_uppercase().starts_with(&q.to_uppercase()) || e.party == q || e.title.contains(q)
}

/// The cases waiting for the reader's role: in a state whose next step is the role's, of the reader's department
/// (department staff) or filed at the reader's site (window clerks; a hall's clerks also take online filings).
/// None for roles no case step waits for.
pub async fn case_filter(app: &App, s: &Session, search: Option<&str>) -> Result<Option<CaseFilter>, Error> {
    if !policy::allows(&s.staff, Capability::ReadCases) {
        return Ok(None);
    }
    let region = &s.staff.region_code;
    let mut codes = app.store.workflow_codes(region).await?;
    if !codes.iter().any(|c| c == "default") {
        codes.push("default".into());
    }
    let mut waiting = Vec::new();
    for code in codes {
        let states = crate::cases::template(app, region, &code)
            .await?
            .states_waiting_for(s.staff.role);
        if !states.is_empty() {
            waiting.push((code, states));
        }
    }
    if waiting.is_empty() {
        return Ok(None);
    }
    let site = match (&s.staff.site_code, s.staff.role) {
        (Some(code), Role::Clerk) => {
            let hall = crate::reform::site(app, region, code)
                .await?
                .is_some_and(|x| x.kind == "hall");
            Some((code.clone(), hall))
        }
        _ => None,
    };
    Ok(Some(CaseFilter {
        department_id: if policy::own_department_only(s) {
            Some(s.staff.department_id.unwrap_or(-1))
        } else {
            None
        },
        open_only: true,
        waiting,
        site,
        search: search.map(String::from),
        ..Default::default()
    }))
}

/// The steps an open order waits for, one per state (an extension request waits for the dispatcher's decision
/// while the department goes on handling). Merging, returning and asking for more time are options, not what an
/// order waits for.
const ORDER_STEPS: [&str; 8] = [
    "dispatch",
    "sign",
    "reply",
    "accept_return",
    "approve_extension",
    "revisit",
    "close",
    "review_close",
];

/// 12345 orders whose next step is the reader's, as the lifecycle allows it to them.
async fn orders(app: &App, s: &Session, when: &When<'_>, out: &mut Vec<Entry>) -> Result<(), Error> {
    let (seen, today, warn_by) = (when.seen, when.today, when.warn_by);
    let role = s.staff.role;
    if !(matches!(role, Role::Operator | Role::Supervisor) || role.is_department_bound()) {
        return Ok(());
    }
    let region = &s.staff.region_code;
    let filter = tongban_store::OrderFilter {
        states: crate::hotline::OPEN_STATES.iter().map(|x| x.to_string()).collect(),
        department: if role.is_department_bound() {
            Some(s.staff.department_code.clone().unwrap_or_default())
        } else {
            None
        },
        include_co: false,
        limit: 2000,
        ..Default::default()
    };
    let (_, list) = app.store.work_orders(region, &filter).await?;
    let names: HashMap<String, String> = app
        .store
        .departments(region)
        .await?
        .into_iter()
        .map(|d| (d.code, d.name))
        .collect();
    let now = Utc::now();
    for o in list {
        let allowed = crate::hotline::allowed_actions(s, &o);
        let Some(step) = ORDER_STEPS
            .iter()
            .find(|a| allowed.contains(a))
            .and_then(|a| crate::hotline::ORDER_LIFECYCLE.step(a))
            .map(|st| st.label)
        else {
            continue;
        };
        let due = crate::hotline::parse_time(&o.due_at);
        let urgency = if crate::hotline::is_overdue(&o, now) {
            Urgency::Overdue
        } else if matches!(o.state.as_str(), "replied" | "revisited" | "review") {
            // Answered in time: the revisit and the closing have no deadline of the order's.
            Urgency::Normal
        } else {
            due.map_or(Urgency::Normal, |d| {
                Urgency::of_day(d.with_timezone(&crate::time::china()).date_naive(), today, warn_by)
            })
        };
        out.push(Entry {
            kind: "order",
            kind_label: "12345工单",
            step: step.to_string(),
            state_label: crate::hotline::state_label(&o.state).to_string(),
            title: o.title.clone(),
            party: o.caller_name.clone(),
            department: names.get(&o.lead_department).cloned().unwrap_or_default(),
            due: crate::hotline::local_short(&o.due_at),
            due_key: crate::hotline::local_short(&o.due_at),
            urgency,
            urgency_label: urgency.label(),
            href: format!("/staff/hotline/orders/{}", o.number),
            new: o.updated_at.as_str() > seen,
            number: o.number,
        });
    }
    Ok(())
}

/// Disclosure requests the reader answers (an extension is the approver's option, not what a request waits for).
async fn disclosure_requests(app: &App, s: &Session, when: &When<'_>, out: &mut Vec<Entry>) -> Result<(), Error> {
    let (today, warn_by) = (when.today, when.warn_by);
    let bound = s.staff.role.is_department_bound();
    if !(bound || policy::allows(&s.staff, Capability::ReadAllDisclosure)) {
        return Ok(());
    }
    let department = if bound { s.staff.department_code.clone() } else { None };
    let rows = app
        .store
        .disclosure_requests(&s.staff.region_code, department.as_deref(), true, None)
        .await?;
    for r in rows {
        // A request waits for its answer, or for the end of a consultation; under correction it waits for the
        // applicant (the handler registers the correction when it comes).
        let main = match r.state.as_str() {
            "received" => "reply",
            "consulting" => "resume",
            _ => continue,
        };
        if !crate::disclosure::request_actions(s, &r).contains(&main) {
            continue;
        }
        let Some(step) = crate::disclosure::REQUEST_LIFECYCLE.step(main).map(|st| st.label) else {
            continue;
        };
        let view = crate::disclosure::request_view(app, r, false, today);
        let due = crate::time::parse_day(&view.due_date).filter(|_| view.state != "consulting");
        let urgency = due.map_or(Urgency::Normal, |d| Urgency::of_day(d, today, warn_by));
        out.push(Entry {
            kind: "disclosure",
            kind_label: "依申请公开",
            step: step.to_string(),
            state_label: view.state_label,
            title: view.description.chars().take(40).collect(),
            party: view.applicant_name,
            department: view.department_name,
            due: due.map(crate::time::ymd).unwrap_or_default(),
            due_key: view.due_date,
            urgency,
            urgency_label: urgency.label(),
            href: format!("/staff/disclosure/requests/{}", view.number),
            new: false,
            number: view.number,
        });
    }
    Ok(())
}

/// Rectifications of bad ratings at the reader's step: the rated department replies, supervision revisits the
/// rater and decides appeals.
async fn rectifications(app: &App, s: &Session, when: &When<'_>, out: &mut Vec<Entry>) -> Result<(), Error> {
    let (seen, today, warn_by) = (when.seen, when.today, when.warn_by);
    if !(policy::may_follow_rectifications(s) || policy::allows(&s.staff, Capability::FollowRectifications)) {
        return Ok(());
    }
    for t in crate::reform::rectifications(app, s).await? {
        let (party, step) = match t.state.as_str() {
            "open" => (RectificationParty::Department, "整改答复"),
            "replied" => (RectificationParty::Supervision, "回访评价人"),
            "appealed" => (RectificationParty::Supervision, "审核申诉"),
            _ => continue,
        };
        if !policy::acts_on_rectification_as(party, s, t.department_id) {
            continue;
        }
        let due = crate::time::parse_day(&t.due_date).filter(|_| t.state == "open");
        let urgency = due.map_or(Urgency::Normal, |d| Urgency::of_day(d, today, warn_by));
        out.push(Entry {
            kind: "rectification",
            kind_label: "差评整改",
            number: format!("整改{}", t.id),
            title: match &t.rating.case_number {
                Some(n) => format!("办件 {n} 的差评"),
                None => "窗口服务差评".to_string(),
            },
            party: String::new(),
            department: t.rating.department_name.clone().unwrap_or_default(),
            state_label: crate::reform::rectification_state_label(&t.state).to_string(),
            step: step.to_string(),
            due: due.map(crate::time::ymd).unwrap_or_default(),
            due_key: t.due_date.clone(),
            urgency,
            urgency_label: urgency.label(),
            href: format!("/staff/rectifications#task-{}", t.id),
            new: t.updated_at.as_str() > seen,
        });
    }
    Ok(())
}

/// Whose turn a case is after a step, as a sentence for the page that confirms the step: the next action and
/// who takes it (by department or site), or that the case is over.
pub async fn next_step_sentence(app: &App, c: &tongban_store::CaseRecord) -> Result<String, Error> {
    let tpl = crate::cases::template(app, &c.region_code, &c.workflow_code).await?;
    let state = tpl.state(&c.state).map(|x| x.label.clone()).unwrap_or_default();
    Ok(match tpl.next_step(&c.state) {
        None => format!("办件现为“{state}”，办理结束。"),
        Some((a, Actor::Applicant)) => format!("下一步：等待申请人{}。", a.label),
        Some((a, Actor::Staff(role))) => {
            let who = match role {
                Role::Reviewer => format!("{}审查人员", c.department_name),
                Role::Head => format!("{}负责人", c.department_name),
                Role::Clerk => {
                    let site = app
                        .store
                        .sites(&c.region_code)
                        .await?
                        .into_iter()
                        .find(|x| x.code == c.site_code || (c.site_code.is_empty() && x.kind == "hall"))
                        .map(|x| x.name)
                        .unwrap_or_default();
                    format!("{site}综合窗口")
                }
                other => other.label().to_string(),
            };
            format!("下一步：{}，由{who}办理，已进入其“待我办理”。", a.label)
        }
    })
}

/// Whose turn a 12345 order is after a step, as a sentence for the page that confirms it: the step it waits for and
/// who takes it (the lead department by name), or that it is over.
pub fn order_next_step_sentence(o: &tongban_store::WorkOrder, department_name: &str) -> String {
    use crate::policy::OrderActor;
    let waiting = ORDER_STEPS
        .iter()
        .filter_map(|a| crate::hotline::ORDER_LIFECYCLE.step(a))
        .find(|st| {
            st.from.contains(&o.state.as_str())
                && (!matches!(st.action, "approve_extension") || o.extension_requested > 0)
        });
    match waiting {
        None => format!("工单现为“{}”，办理结束。", crate::hotline::state_label(&o.state)),
        Some(st) => {
            let who = match st.party {
                OrderActor::Dispatcher => "12345热线话务员".to_string(),
                OrderActor::LeadDepartment => department_name.to_string(),
                OrderActor::Leader => "效能监察人员".to_string(),
            };
            format!("下一步：{}，由{who}办理，已进入其“待我办理”。", st.label)
        }
    }
}
