//! Case workflow as data (in the spirit of DIGIT's egov-workflow): a template of states and actions, the roles
//! allowed to take each action and the time budget of each state, stored as JSON so an administrator can edit it.
//! `apply` is a pure transition: given a case's workflow position and an action by an actor, it returns the new
//! position or says precisely why not.

use crate::lifecycle::StateMachine;
use crate::role::Role;
use serde::{Deserialize, Serialize};

/// Who takes an action: a staff role, or the applicant themself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    Applicant,
    Staff(Role),
}

impl Actor {
    pub fn as_str(self) -> &'static str {
        match self {
            Actor::Applicant => "applicant",
            Actor::Staff(r) => r.as_str(),
        }
    }
    pub fn parse(s: &str) -> Option<Actor> {
        if s == "applicant" {
            Some(Actor::Applicant)
        } else {
            Role::parse(s).ok().map(Actor::Staff)
        }
    }
}

/// Whether the deadline clock runs in a state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Clock {
    /// Before acceptance: no deadline yet.
    NotStarted,
    Running,
    /// Special procedures (hearing, expert review, inspection, extension): days do not count.
    Stopped,
    /// The case is over.
    Done,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateDef {
    pub code: String,
    pub label: String,
    pub clock: Clock,
    /// Working days this step should take, for the warning of a step that lingers.
    #[serde(default)]
    pub budget_days: Option<u32>,
}

/// Where an action leads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    State(String),
    /// Back to the state the case was in before it was suspended.
    Previous,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionDef {
    pub code: String,
    pub label: String,
    pub from: Vec<String>,
    pub to: Target,
    pub actors: Vec<Actor>,
    /// A reason or opinion must be given (refusal, denial, correction notice, suspension).
    #[serde(default)]
    pub comment_required: bool,
    /// How often the action may be taken in one case (补正: the applicant corrects once).
    #[serde(default)]
    pub max_times: Option<u32>,
}

/// The case workflow answers as every state machine does; an action is open to a party when the template lists it
/// among the action's actors, it has not reached its limit, and `resume` has a suspension to go back from.
impl crate::lifecycle::StateMachine for Template {
    type At = Position;
    type Party = Actor;
    type Action<'a> = &'a ActionDef;

    fn allowed<'a>(&'a self, pos: &Position, is: &dyn Fn(Actor) -> bool) -> Vec<&'a ActionDef> {
        self.actions
            .iter()
            .filter(|a| a.from.contains(&pos.state) && a.actors.iter().any(|x| is(*x)))
            .filter(|a| a.max_times.is_none_or(|m| pos.times(&a.code) < m))
            .filter(|a| !matches!(a.to, Target::Previous) || pos.suspended_from.is_some())
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    pub code: String,
    pub name: String,
    pub initial: String,
    pub states: Vec<StateDef>,
    pub actions: Vec<ActionDef>,
}

/// Where a case stands in its workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    pub state: String,
    /// The state before a suspension, for `resume`.
    pub suspended_from: Option<String>,
    /// How many times each limited action was taken: (action, count).
    pub counts: Vec<(String, u32)>,
}

impl Position {
    pub fn times(&self, action: &str) -> u32 {
        self.counts
            .iter()
            .find(|(a, _)| a == action)
            .map(|(_, n)| *n)
            .unwrap_or(0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    #[error("未知的操作“{0}”")]
    UnknownAction(String),
    #[error("当前状态“{state}”下不能执行“{action}”，可执行：{}", .allowed.join("、"))]
    NotAllowedInState {
        action: String,
        state: String,
        allowed: Vec<String>,
    },
    #[error("“{actor}”无权执行“{action}”")]
    ActorNotAllowed { action: String, actor: String },
    #[error("执行“{0}”必须填写理由或意见")]
    CommentRequired(String),
    #[error("“{action}”在同一办件中最多执行{max}次")]
    TooManyTimes { action: String, max: u32 },
    #[error("流程模板有误：{0}")]
    InvalidTemplate(String),
}

impl WorkflowError {
    pub fn code(&self) -> &'static str {
        match self {
            WorkflowError::UnknownAction(_) => "unknown_action",
            WorkflowError::NotAllowedInState { .. } => "action_not_allowed",
            WorkflowError::ActorNotAllowed { .. } => "role_not_allowed",
            WorkflowError::CommentRequired(_) => "comment_required",
            WorkflowError::TooManyTimes { .. } => "action_limit_reached",
            WorkflowError::InvalidTemplate(_) => "invalid_template",
        }
    }
}

impl Template {
    pub fn state(&self, code: &str) -> Option<&StateDef> {
        self.states.iter().find(|s| s.code == code)
    }

    pub fn action(&self, code: &str) -> Option<&ActionDef> {
        self.actions.iter().find(|a| a.code == code)
    }

    pub fn start(&self) -> Position {
        Position {
            state: self.initial.clone(),
            suspended_from: None,
            counts: vec![],
        }
    }

    /// Checks that every state named exists, codes are unique and the initial state is known, so that no sequence
    /// of actions can reach an undefined state.
    pub fn validate(&self) -> Result<(), WorkflowError> {
        let bad = |m: String| Err(WorkflowError::InvalidTemplate(m));
        if self.state(&self.initial).is_none() {
            return bad(format!("初始状态“{}”未定义", self.initial));
        }
        // Codes are stored on cases and events and typed in the API: lower-case letters, digits and "_".
        let code_ok = |c: &str| {
            !c.is_empty()
                && c.len() <= 40
                && c.chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_')
        };
        for (i, s) in self.states.iter().enumerate() {
            if !code_ok(&s.code) {
                return bad(format!("状态编码“{}”只能由小写字母、数字和下划线组成", s.code));
            }
            if s.label.trim().is_empty() {
                return bad(format!("状态“{}”缺少名称", s.code));
            }
            if self.states[..i].iter().any(|o| o.code == s.code) {
                return bad(format!("状态“{}”重复", s.code));
            }
        }
        for (i, a) in self.actions.iter().enumerate() {
            if !code_ok(&a.code) {
                return bad(format!("操作编码“{}”只能由小写字母、数字和下划线组成", a.code));
            }
            if a.label.trim().is_empty() {
                return bad(format!("操作“{}”缺少名称", a.code));
            }
            if self.actions[..i].iter().any(|o| o.code == a.code) {
                return bad(format!("操作“{}”重复", a.code));
            }
            if a.from.is_empty() {
                return bad(format!("操作“{}”没有起始状态", a.code));
            }
            if a.actors.is_empty() {
                return bad(format!("操作“{}”没有可执行的角色", a.code));
            }
            for f in &a.from {
                if self.state(f).is_none() {
                    return bad(format!("操作“{}”的起始状态“{f}”未定义", a.code));
                }
            }
            if let Target::State(t) = &a.to {
                if self.state(t).is_none() {
                    return bad(format!("操作“{}”的目标状态“{t}”未定义", a.code));
                }
            }
        }
        Ok(())
    }

    /// Whose turn it is in a state: the first actor of the first action the template lists from it. The template's
    /// order carries the meaning: the step that moves the case on comes first (受理 before 补正 and 不予受理, 出证
    /// by the department before the window), what anyone may also do (撤回, 中止) after it. None: nothing leads out
    /// of the state, the case is over.
    pub fn next_step(&self, state: &str) -> Option<(&ActionDef, Actor)> {
        self.actions
            .iter()
            .find(|a| a.from.iter().any(|f| f == state))
            .and_then(|a| a.actors.first().map(|who| (a, *who)))
    }

    /// The states in which a case waits for the given staff role, in template order.
    pub fn states_waiting_for(&self, role: Role) -> Vec<String> {
        self.states
            .iter()
            .filter(|s| matches!(self.next_step(&s.code), Some((_, Actor::Staff(r))) if r == role))
            .map(|s| s.code.clone())
            .collect()
    }

    /// Actions the actor may take now (DIGIT's "next actions"), in template order.
    pub fn allowed_actions(&self, pos: &Position, actor: Actor) -> Vec<&ActionDef> {
        self.allowed(pos, &|a| a == actor)
    }

    /// The pure transition. The caller persists the result together with the event, under the version check.
    pub fn apply(&self, pos: &Position, action: &str, actor: Actor, comment: &str) -> Result<Position, WorkflowError> {
        let a = self
            .action(action)
            .ok_or_else(|| WorkflowError::UnknownAction(action.to_string()))?;
        if !a.from.contains(&pos.state) {
            let allowed = self
                .actions
                .iter()
                .filter(|x| x.from.contains(&pos.state))
                .map(|x| x.code.clone())
                .collect();
            return Err(WorkflowError::NotAllowedInState {
                action: action.to_string(),
                state: self
                    .state(&pos.state)
                    .map(|s| s.label.clone())
                    .unwrap_or_else(|| pos.state.clone()),
                allowed,
            });
        }
        if !a.actors.contains(&actor) {
            return Err(WorkflowError::ActorNotAllowed {
                action: a.label.clone(),
                actor: actor.as_str().to_string(),
            });
        }
        if a.comment_required && comment.trim().is_empty() {
            return Err(WorkflowError::CommentRequired(a.label.clone()));
        }
        if let Some(max) = a.max_times {
            if pos.times(&a.code) >= max {
                return Err(WorkflowError::TooManyTimes {
                    action: a.label.clone(),
                    max,
                });
            }
        }
        let mut next = pos.clone();
        match &a.to {
            Target::State(t) => {
                if self.state(t).map(|s| s.clock) == Some(Clock::Stopped) {
                    next.suspended_from = Some(pos.state.clone());
                } else {
                    next.suspended_from = None;
                }
                next.state = t.clone();
            }
            Target::Previous => match pos.suspended_from.clone() {
                Some(prev) => {
                    next.state = prev;
                    next.suspended_from = None;
                }
                None => {
                    return Err(WorkflowError::NotAllowedInState {
                        action: action.to_string(),
                        state: pos.state.clone(),
                        allowed: vec![],
                    })
                }
            },
        }
        if a.max_times.is_some() {
            match next.counts.iter_mut().find(|(c, _)| *c == a.code) {
                Some((_, n)) => *n += 1,
                None => next.counts.push((a.code.clone(), 1)),
            }
        }
        Ok(next)
    }
}

/// The default template of shared/DOMAIN.md: acceptance separate from review (受审分离), one correction notice,
/// refusal and denial with reasons, suspension for statutory special procedures, withdrawal by the applicant.
pub fn default_template() -> Template {
    use Actor::{Applicant, Staff};
    use Role::{Admin, Clerk, Head, Reviewer};
    let st = |code: &str, label: &str, clock: Clock, budget: Option<u32>| StateDef {
        code: code.into(),
        label: label.into(),
        clock,
        budget_days: budget,
    };
    let act = |code: &str, label: &str, from: &[&str], to: Target, actors: Vec<Actor>, comment: bool| ActionDef {
        code: code.into(),
        label: label.into(),
        from: from.iter().map(|s| s.to_string()).collect(),
        to,
        actors,
        comment_required: comment,
        max_times: None,
    };
    let to = |s: &str| Target::State(s.into());
    let open = ["submitted", "correction_requested", "under_review", "pending_decision"];
    let mut actions = vec![
        act(
            "accept",
            "受理",
            &["submitted"],
            to("under_review"),
            vec![Staff(Clerk)],
            false,
        ),
        act(
            "request_correction",
            "一次性告知补正",
            &["submitted"],
            to("correction_requested"),
            vec![Staff(Clerk)],
            true,
        ),
        act(
            "resubmit",
            "补正后重新提交",
            &["correction_requested"],
            to("submitted"),
            vec![Applicant, Staff(Clerk)],
            false,
        ),
        act(
            "refuse",
            "不予受理",
            &["submitted", "correction_requested"],
            to("refused"),
            vec![Staff(Clerk)],
            true,
        ),
        act(
            "review",
            "审查并提出意见",
            &["under_review"],
            to("pending_decision"),
            vec![Staff(Reviewer)],
            true,
        ),
        act(
            "approve",
            "准予许可",
            &["pending_decision"],
            to("approved"),
            vec![Staff(Head)],
            false,
        ),
        act(
            "deny",
            "不予许可",
            &["pending_decision"],
            to("denied"),
            vec![Staff(Head)],
            true,
        ),
        act(
            "return",
            "退回重审",
            &["pending_decision"],
            to("under_review"),
            vec![Staff(Head)],
            true,
        ),
        act(
            "issue",
            "出证",
            &["approved"],
            to("issued"),
            vec![Staff(Reviewer), Staff(Clerk)],
            false,
        ),
        act(
            "deliver",
            "送达",
            &["issued"],
            to("closed"),
            vec![Staff(Clerk), Staff(Reviewer)],
            false,
        ),
        act(
            "suspend",
            "中止计时（特别程序）",
            &["under_review", "pending_decision"],
            to("suspended"),
            vec![Staff(Reviewer), Staff(Head)],
            true,
        ),
        act(
            "resume",
            "恢复计时",
            &["suspended"],
            Target::Previous,
            vec![Staff(Reviewer), Staff(Head)],
            false,
        ),
        act(
            "withdraw",
            "撤回申请",
            &open,
            to("withdrawn"),
            vec![Applicant, Staff(Clerk)],
            true,
        ),
    ];
    for a in actions.iter_mut() {
        if a.code == "request_correction" {
            a.max_times = Some(1);
        }
        if a.code == "suspend" {
            a.actors.push(Staff(Admin));
        }
    }
    Template {
        code: "default".into(),
        name: "默认审批流程（受审分离）".into(),
        initial: "submitted".into(),
        states: vec![
            st("submitted", "待受理", Clock::NotStarted, Some(1)),
            st("correction_requested", "待补正", Clock::NotStarted, Some(5)),
            st("refused", "不予受理", Clock::Done, None),
            st("under_review", "审查中", Clock::Running, None),
            st("pending_decision", "待决定", Clock::Running, Some(1)),
            st("suspended", "特别程序（暂停计时）", Clock::Stopped, None),
            st("approved", "准予许可", Clock::Running, Some(1)),
            st("denied", "不予许可", Clock::Done, None),
            st("issued", "已出证待送达", Clock::Done, Some(3)),
            st("closed", "已办结", Clock::Done, None),
            st("withdrawn", "已撤回", Clock::Done, None),
        ],
        actions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Actor::{Applicant, Staff};

    fn run(t: &Template, steps: &[(&str, Actor)]) -> Result<Position, WorkflowError> {
        let mut p = t.start();
        for (a, who) in steps {
            p = t.apply(&p, a, *who, "意见")?;
        }
        Ok(p)
    }

    #[test]
    fn default_template_is_valid_and_runs_the_whole_lifecycle() {
        let t = default_template();
        t.validate().unwrap();
        let p = run(
            &t,
            &[
                ("accept", Staff(Role::Clerk)),
                ("review", Staff(Role::Reviewer)),
                ("approve", Staff(Role::Head)),
                ("issue", Staff(Role::Reviewer)),
                ("deliver", Staff(Role::Clerk)),
            ],
        )
        .unwrap();
        assert_eq!(p.state, "closed");
    }

    #[test]
    fn each_open_state_of_the_default_template_waits_for_one_party() {
        let t = default_template();
        let whose = |s: &str| t.next_step(s).map(|(a, who)| (a.code.as_str(), who));
        assert_eq!(whose("submitted"), Some(("accept", Staff(Role::Clerk))));
        assert_eq!(whose("correction_requested"), Some(("resubmit", Applicant)));
        assert_eq!(whose("under_review"), Some(("review", Staff(Role::Reviewer))));
        assert_eq!(whose("pending_decision"), Some(("approve", Staff(Role::Head))));
        assert_eq!(whose("approved"), Some(("issue", Staff(Role::Reviewer))));
        assert_eq!(whose("issued"), Some(("deliver", Staff(Role::Clerk))));
        assert_eq!(whose("closed"), None);
        assert_eq!(t.states_waiting_for(Role::Clerk), vec!["submitted", "issued"]);
        assert_eq!(
            t.states_waiting_for(Role::Reviewer),
            vec!["under_review", "suspended", "approved"]
        );
        assert_eq!(t.states_waiting_for(Role::Head), vec!["pending_decision"]);
        assert!(t.states_waiting_for(Role::Supervisor).is_empty());
    }

    #[test]
    fn wrong_state_names_the_allowed_actions_and_wrong_role_is_refused() {
        let t = default_template();
        let p = t.start();
        match t.apply(&p, "approve", Staff(Role::Head), "") {
            Err(WorkflowError::NotAllowedInState { allowed, .. }) => {
                assert_eq!(allowed, vec!["accept", "request_correction", "refuse", "withdraw"])
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            t.apply(&p, "accept", Staff(Role::Head), ""),
            Err(WorkflowError::ActorNotAllowed { .. })
        ));
        assert!(matches!(
            t.apply(&p, "refuse", Staff(Role::Clerk), " "),
            Err(WorkflowError::CommentRequired(_))
        ));
        assert!(matches!(
            t.apply(&p, "fly", Staff(Role::Clerk), ""),
            Err(WorkflowError::UnknownAction(_))
        ));
    }

    #[test]
    fn correction_only_once_and_suspension_returns_where_it_was() {
        let t = default_template();
        let p = run(
            &t,
            &[("request_correction", Staff(Role::Clerk)), ("resubmit", Applicant)],
        )
        .unwrap();
        assert_eq!(p.state, "submitted");
        assert!(!t
            .allowed_actions(&p, Staff(Role::Clerk))
            .iter()
            .any(|a| a.code == "request_correction"));
        assert!(matches!(
            t.apply(&p, "request_correction", Staff(Role::Clerk), "缺材料"),
            Err(WorkflowError::TooManyTimes { .. })
        ));
        let p = run(
            &t,
            &[
                ("accept", Staff(Role::Clerk)),
                ("review", Staff(Role::Reviewer)),
                ("suspend", Staff(Role::Head)),
            ],
        )
        .unwrap();
        assert_eq!(
            (p.state.as_str(), p.suspended_from.as_deref()),
            ("suspended", Some("pending_decision"))
        );
        let p = t.apply(&p, "resume", Staff(Role::Head), "").unwrap();
        assert_eq!((p.state.as_str(), p.suspended_from), ("pending_decision", None));
    }

    #[test]
    fn random_action_sequences_never_reach_an_undefined_state() {
        let t = default_template();
        let actors = [
            Applicant,
            Staff(Role::Clerk),
            Staff(Role::Reviewer),
            Staff(Role::Head),
            Staff(Role::Admin),
            Staff(Role::Supervisor),
        ];
        // A small deterministic generator keeps the test dependency-free and repeatable.
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for _ in 0..2000 {
            let mut p = t.start();
            for _ in 0..30 {
                let a = &t.actions[next(t.actions.len())].code;
                let who = actors[next(actors.len())];
                let allowed: Vec<String> = t.allowed_actions(&p, who).iter().map(|x| x.code.clone()).collect();
                match t.apply(&p, a, who, "理由") {
                    Ok(n) => {
                        assert!(allowed.contains(a), "{a} applied but not offered");
                        assert!(t.state(&n.state).is_some(), "undefined state {}", n.state);
                        p = n;
                    }
                    Err(_) => assert!(!allowed.contains(a), "{a} offered but refused"),
                }
            }
        }
    }
}
