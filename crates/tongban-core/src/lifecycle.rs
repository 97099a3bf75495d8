//! Which actions a record's state allows, and which party takes each: one table per kind of record, checked the
//! same way. The case workflow is such a table kept as data an administrator edits (`workflow::Template`); 12345
//! work orders and disclosure requests have fixed ones (`Lifecycle`), set by the rules they follow. Where an action
//! leads is the use case's business (a revisit goes to review or to revisited by what the caller said); whether it
//! may be taken now, and by whom, is decided here alone, so that the pages offer exactly what the use case accepts.

/// What every kind of record's state machine answers, whether its table is data an administrator edits (the case
/// workflow, `workflow::Template`) or fixed by the rules a record follows (`Lifecycle`): the actions a party may take
/// where the record stands. Pages, the API and the use cases ask this alone, so they offer what the use case accepts.
pub trait StateMachine {
    /// Where a record stands: a state, or a case's position with its counts and suspension.
    type At: ?Sized;
    /// Who takes an action: a role, or a party to the record.
    type Party: Copy;
    /// An action as the table describes it.
    type Action<'a>
    where
        Self: 'a;
    /// The actions whoever `is` says the caller is may take now, in the table's order.
    fn allowed<'a>(&'a self, at: &Self::At, is: &dyn Fn(Self::Party) -> bool) -> Vec<Self::Action<'a>>;
}

/// One action of a lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step<P: 'static> {
    pub action: &'static str,
    /// Its name on buttons and in histories.
    pub label: &'static str,
    /// The states it may be taken in.
    pub from: &'static [&'static str],
    /// Who takes it; the caller says whether a person is that party for the record.
    pub party: P,
}

/// The steps of one kind of record.
#[derive(Debug, Clone, Copy)]
pub struct Lifecycle<P: 'static>(pub &'static [Step<P>]);

/// Why an action may not be taken now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal<P: 'static> {
    /// No such action in this lifecycle.
    Unknown,
    /// Not in the record's current state; `allowed` names what the caller may do instead.
    NotInState { allowed: Vec<&'static str> },
    /// The action is for another party.
    NotParty(P),
}

impl<P: Copy + PartialEq + 'static> StateMachine for Lifecycle<P> {
    type At = str;
    type Party = P;
    type Action<'a> = &'static str;

    fn allowed(&self, state: &str, is: &dyn Fn(P) -> bool) -> Vec<&'static str> {
        self.0
            .iter()
            .filter(|s| s.from.contains(&state) && is(s.party))
            .map(|s| s.action)
            .collect()
    }
}

impl<P: Copy + PartialEq + 'static> Lifecycle<P> {
    pub fn step(&self, action: &str) -> Option<&'static Step<P>> {
        self.0.iter().find(|s| s.action == action)
    }

    /// The step if the state allows it and the caller is its party; else why not.
    pub fn check(&self, action: &str, state: &str, is: impl Fn(P) -> bool) -> Result<&'static Step<P>, Refusal<P>> {
        let step = self.step(action).ok_or(Refusal::Unknown)?;
        if !step.from.contains(&state) {
            return Err(Refusal::NotInState {
                allowed: self.allowed(state, &is),
            });
        }
        if !is(step.party) {
            return Err(Refusal::NotParty(step.party));
        }
        Ok(step)
    }

    /// An action's label, or the code itself when the table has none.
    pub fn label<'a>(&self, action: &'a str) -> &'a str {
        self.step(action).map(|s| s.label).unwrap_or(action)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Who {
        Desk,
        Office,
    }

    const DOOR: Lifecycle<Who> = Lifecycle(&[
        Step {
            action: "open",
            label: "开门",
            from: &["closed"],
            party: Who::Desk,
        },
        Step {
            action: "close",
            label: "关门",
            from: &["open"],
            party: Who::Desk,
        },
        Step {
            action: "lock",
            label: "上锁",
            from: &["closed"],
            party: Who::Office,
        },
    ]);

    #[test]
    fn allowed_and_check_agree() {
        let desk = |p: Who| p == Who::Desk;
        assert_eq!(DOOR.allowed("closed", &desk), vec!["open"]);
        assert_eq!(DOOR.allowed("closed", &|_| true), vec!["open", "lock"]);
        assert!(DOOR.check("open", "closed", desk).is_ok());
        assert_eq!(DOOR.check("fly", "closed", desk), Err(Refusal::Unknown));
        assert_eq!(
            DOOR.check("close", "closed", desk),
            Err(Refusal::NotInState { allowed: vec!["open"] })
        );
        assert_eq!(DOOR.check("lock", "closed", desk), Err(Refusal::NotParty(Who::Office)));
        assert_eq!(DOOR.label("lock"), "上锁");
        assert_eq!(DOOR.label("fly"), "fly");
        // Whatever `allowed` offers, `check` accepts.
        for state in ["open", "closed"] {
            for who in [Who::Desk, Who::Office] {
                for a in DOOR.allowed(state, &|p| p == who) {
                    assert!(DOOR.check(a, state, |p| p == who).is_ok());
                }
            }
        }
    }
}
