//! Notices: moved deadlines when a holiday notice is imported, and the outbox delivered to the SMS sink.

use crate::time::{parse_day, ymd};
use crate::Error;
use chrono::Utc;
use serde::Serialize;
use tongban_core::calendar::Calendar;
use tongban_store::{CaseUpdate, NewEvent, Notification};

/// A deadline that moved when a year's holiday notice was loaded.
#[derive(Debug, Clone, Serialize)]
pub struct MovedDeadline {
    pub number: String,
    pub department: String,
    pub old_due: String,
    pub new_due: String,
}

/// Loads a year's notice into the database and recomputes the open provisional deadlines on the new calendar.
/// Each move is an event in the case's history, and the handling department is told through the outbox.
pub async fn import_notice(
    store: &tongban_store::Store,
    notice: &tongban_core::calendar::YearNotice,
    definition: &str,
    actor: &str,
) -> Result<Vec<MovedDeadline>, Error> {
    store
        .save_calendar_notice(notice.year, &notice.source, definition, actor)
        .await?;
    let mut cal = Calendar::official();
    for d in store.calendar_notices().await? {
        if let Ok(n) = tongban_core::calendar::YearNotice::parse_toml(&d) {
            cal.load_notice(n);
        }
    }
    let mut moved = Vec::new();
    for case in store.provisional_cases().await? {
        let Some(accepted) = case.accepted_on.as_deref().and_then(parse_day) else {
            continue;
        };
        let counted = (case.promised_days + case.suspended_days).max(0) as u32;
        let legal_counted = (case.legal_days + case.suspended_days).max(0) as u32;
        let due = cal.add_working_days(accepted, counted);
        let legal = cal.add_working_days(accepted, legal_counted);
        let new_due = ymd(due.date);
        let old_due = case.due_date.clone().unwrap_or_default();
        let update = CaseUpdate {
            due_date: Some(new_due.clone()),
            legal_due_date: Some(ymd(legal.date)),
            due_provisional: Some(due.provisional || legal.provisional),
            ..Default::default()
        };
        let comment = format!(
            "载入{}年放假安排（{}），承诺期限由{}调整为{}",
            notice.year, notice.source, old_due, new_due
        );
        let event = NewEvent {
            actor: actor.to_string(),
            role: "system".into(),
            action: "recompute_deadline".into(),
            comment: comment.clone(),
            attachments: vec![],
            at: None,
        };
        let tell = Notification {
            channel: "staff".into(),
            recipient: case.department_code.clone(),
            body: format!("办件{}：{}", case.number, comment),
        };
        let notify = (old_due != new_due).then_some(&tell);
        store
            .apply_transition(&case, &case.position, &update, &event, notify)
            .await?;
        if old_due != new_due {
            moved.push(MovedDeadline {
                number: case.number.clone(),
                department: case.department_name.clone(),
                old_due,
                new_due,
            });
        }
    }
    Ok(moved)
}

/// Where notifications go. The default writes to the log (with the recipient masked); an SMS or e-mail gateway
/// implements the same trait.
pub trait NotificationSink: Send + Sync {
    fn deliver(&self, n: &Notification) -> Result<(), String>;
}

pub struct LogSink;

impl NotificationSink for LogSink {
    fn deliver(&self, n: &Notification) -> Result<(), String> {
        let to = if n.channel == "sms" {
            crate::policy::mask::phone(&n.recipient)
        } else {
            n.recipient.clone()
        };
        tracing::info!(channel = %n.channel, to = %to, body = %n.body, "notification delivered");
        Ok(())
    }
}

/// One pass of the outbox worker: delivers what is due; a failure is retried later with a growing delay, so
/// nothing is lost. Returns (delivered, failed).
pub async fn deliver_notifications(
    store: &tongban_store::Store,
    sink: &dyn NotificationSink,
    now: chrono::DateTime<Utc>,
) -> Result<(usize, usize), Error> {
    let now_text = now.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let mut ok = 0;
    let mut failed = 0;
    for (id, n, attempts) in store.due_notifications(&now_text, 100).await? {
        match sink.deliver(&n) {
            Ok(()) => {
                store.notification_delivered(id).await?;
                ok += 1;
            }
            Err(e) => {
                let delay = chrono::Duration::minutes(1i64 << attempts.clamp(0, 10));
                let next = (now + delay).format("%Y-%m-%dT%H:%M:%SZ").to_string();
                store.notification_failed(id, &e, &next).await?;
                failed += 1;
            }
        }
    }
    Ok((ok, failed))
}
