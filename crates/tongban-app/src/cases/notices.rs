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

/// Where the outbox's messages go.
#[derive(Clone)]
pub enum Notifier {
    /// Records that a message went — its channel, the recipient masked and its length — never its text, which may
    /// hold a sign-in code or a rating link's token.
    Log,
    /// `tongban demo`: as `Log`, and prints each message to the console for the person trying the demo, the
    /// recipient and any phone or ID number in the text masked; codes and links stay, the demo user needs them.
    Console,
    /// The SMS gateway (`TONGBAN_SMS_WEBHOOK`): each SMS is POSTed as JSON `{"id", "phone", "text"}` with an
    /// `Idempotency-Key` header of the message's id; any 2xx answer means delivered. Messages to staff (a
    /// department's workbench) are not SMS and are only logged.
    Webhook { url: String, client: reqwest::Client },
}

impl Notifier {
    /// The webhook notifier; `url` must be http(s).
    pub fn webhook(url: &str) -> Result<Notifier, Error> {
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(Error::internal)?;
        Ok(Notifier::Webhook {
            url: url.to_string(),
            client,
        })
    }

    /// Delivers one message (`id` its outbox row); an error says why, for the retry record.
    pub async fn deliver(&self, id: i64, n: &Notification) -> Result<(), String> {
        let to = if n.channel == "sms" {
            crate::policy::mask::phone(&n.recipient)
        } else {
            n.recipient.clone()
        };
        if let (Notifier::Webhook { url, client }, "sms") = (self, n.channel.as_str()) {
            let key = format!("tongban-outbox-{id}");
            let body = serde_json::json!({"id": key, "phone": n.recipient, "text": n.body});
            let answer = client
                .post(url)
                .header("Idempotency-Key", &key)
                .json(&body)
                .send()
                .await
                .map_err(|e| format!("短信网关无法连接：{}", e.without_url()))?;
            if !answer.status().is_success() {
                return Err(format!("短信网关答复{}", answer.status()));
            }
        }
        if matches!(self, Notifier::Console) {
            println!("【短信 → {to}】{}", mask_numbers_in_text(&n.body));
        }
        tracing::info!(id, channel = %n.channel, to = %to, chars = n.body.chars().count(), "notification delivered");
        Ok(())
    }
}

/// The text with every phone number (11 digits from 1) and ID number (17 digits and a check character) masked;
/// shorter numbers — a six-digit code, a case number's parts — stay.
pub fn mask_numbers_in_text(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && (chars[i].is_ascii_digit() || (i - start == 17 && matches!(chars[i], 'X' | 'x'))) {
            i += 1;
        }
        let run: String = chars[start..i].iter().collect();
        let masked = match run.len() {
            18 => crate::policy::mask::identifier("person", &run),
            11 if run.starts_with('1') => crate::policy::mask::phone(&run),
            _ => run,
        };
        out.push_str(&masked);
    }
    out
}

/// How long a server holds the messages it claimed before another may take them (it died, or hangs).
const CLAIM_LEASE_MINUTES: i64 = 5;

/// One pass of the outbox worker: claims what is due (several servers on one database each claim different
/// messages) and delivers it; a failure is retried later with a doubling delay, so nothing is lost. Returns
/// (delivered, failed).
pub async fn deliver_notifications(
    store: &tongban_store::Store,
    notifier: &Notifier,
    now: chrono::DateTime<Utc>,
) -> Result<(usize, usize), Error> {
    let stamp = |t: chrono::DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let lease = now + chrono::Duration::minutes(CLAIM_LEASE_MINUTES);
    let mut ok = 0;
    let mut failed = 0;
    for (id, n, attempts) in store.claim_notifications(&stamp(now), &stamp(lease), 100).await? {
        match notifier.deliver(id, &n).await {
            Ok(()) => {
                store.notification_delivered(id).await?;
                ok += 1;
            }
            Err(e) => {
                let delay = chrono::Duration::minutes(1i64 << attempts.clamp(0, 10));
                store.notification_failed(id, &e, &stamp(now + delay)).await?;
                failed += 1;
            }
        }
    }
    Ok((ok, failed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_a_message_are_masked_but_codes_stay() {
        let text = "430603199001011234的办件已受理，验证码123456，联系电话13812345678，证件43060319900101123X。";
        let masked = mask_numbers_in_text(text);
        assert!(masked.contains("验证码123456"), "{masked}");
        assert!(
            !masked.contains("199001011234") && !masked.contains("12345678，"),
            "{masked}"
        );
        assert!(masked.contains("138****5678"), "{masked}");
        assert!(!masked.contains("19900101123X"), "{masked}");
    }
}
