//! The district's year replayed: 360,969 cases through the default lifecycle (filing and five steps each), every
//! rule applied in memory exactly as the live path applies it — the workflow template decides each next position,
//! deadlines come from the working-day calendar — and written a thousand cases per transaction through
//! `Store::import_past_cases`, the path a district's history from its previous system comes in by.

use crate::bench::Scratch;
use anyhow::{anyhow, Context};
use serde::Serialize;
use std::io::Write;
use std::time::Instant;
use tongban_app::Settings;
use tongban_core::calendar::Calendar;
use tongban_core::deadline;
use tongban_core::ids::ResidentId;
use tongban_core::role::Role;
use tongban_core::workflow::{default_template, Actor};
use tongban_store::{NewCase, PastCase, PastEvent, Store};

/// The report's 2023 applications.
pub const YEAR_CASES: usize = 360_969;
const BATCH: usize = 1_000;
/// The steps after filing, with who takes them.
const STEPS: [(&str, &str, Role, &str); 5] = [
    ("accept", "clerk", Role::Clerk, ""),
    ("review", "reviewer", Role::Reviewer, "材料齐全，符合法定条件，拟准予"),
    ("approve", "head", Role::Head, ""),
    ("issue", "reviewer", Role::Reviewer, ""),
    ("deliver", "clerk", Role::Clerk, ""),
];

#[derive(Serialize)]
struct YearLine {
    backend: &'static str,
    mode: &'static str,
    cases: usize,
    events: usize,
    seconds: f64,
    cases_per_s: f64,
    transitions_per_s: f64,
    target_seconds: f64,
    /// Chains of a sample of the cases recomputed after the run; all must hold.
    chains_verified: usize,
}

/// Replays `cases` cases of 2023 on a fresh database of the backend and prints one JSON line.
pub(crate) async fn run(backend: &crate::bench::Backend, cases: usize) -> anyhow::Result<serde_json::Value> {
    let scratch = Scratch::create(backend).await?;
    let result = replay(scratch.url(), backend.name(), cases).await;
    if let Err(e) = scratch.remove().await {
        eprintln!("清理{}临时数据库失败：{e:#}", backend.name());
    }
    result
}

async fn replay(url: &str, backend: &'static str, count: usize) -> anyhow::Result<serde_json::Value> {
    let state = crate::build_app(url, Settings::default()).await?;
    let region = state.config.default_region.clone();
    crate::seed::load_reference(&state.store, &state.search, &region).await?;
    let started = Instant::now();
    let (events, sample) = replay_year(&state.store, &region, count).await?;
    let seconds = started.elapsed().as_secs_f64();
    let verified = verify_sample(&state.store, &region, &sample).await?;
    state.store.pool().close().await;
    let line = YearLine {
        backend,
        mode: "year_replay",
        cases: count,
        events,
        seconds: (seconds * 10.0).round() / 10.0,
        cases_per_s: (count as f64 / seconds).round(),
        transitions_per_s: (events as f64 / seconds).round(),
        target_seconds: 120.0 * count as f64 / YEAR_CASES as f64,
        chains_verified: verified,
    };
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, &line)?;
    writeln!(out)?;
    out.flush()?;
    Ok(serde_json::to_value(&line)?)
}

/// Replays `count` cases spread over 2023's working days into the store; returns the events written and the
/// first number of each of the first fifty batches (a sample to verify).
pub async fn replay_year(store: &Store, region: &str, count: usize) -> anyhow::Result<(usize, Vec<String>)> {
    let region = region.to_string();
    let items = store.item_ids(&region).await?;
    let guides: Vec<(String, tongban_core::catalog::Guide, i64)> = {
        let mut v = Vec::new();
        for (_, g) in store.current_guides(&region).await? {
            if let Some(item) = store.item(&region, &g.code, None).await? {
                v.push((g.code.clone(), g, item.version));
            }
        }
        v
    };
    let calendar = Calendar::official();
    let days: Vec<chrono::NaiveDate> = {
        let mut d = chrono::NaiveDate::from_ymd_opt(2023, 1, 1).ok_or_else(|| anyhow!("date"))?;
        let mut v = Vec::new();
        while d.format("%Y").to_string() == "2023" {
            if calendar.is_working_day(d) {
                v.push(d);
            }
            d = d.succ_opt().ok_or_else(|| anyhow!("date"))?;
        }
        v
    };
    let template = default_template();
    let mut batch = Vec::with_capacity(BATCH);
    let mut events = 0;
    let mut sample = Vec::new();
    for i in 0..count {
        let day = days[i * days.len() / count];
        let (code, guide, version) = &guides[i % guides.len()];
        let first17 = format!(
            "430603198{:01}{:02}{:02}{:03}",
            i % 10,
            1 + i % 12,
            1 + i % 28,
            i % 1000
        );
        let check = ResidentId::check_char(&first17).ok_or_else(|| anyhow!("check"))?;
        let minute = i % 480;
        let stamp = |offset: usize| {
            format!(
                "{}T{:02}:{:02}:00Z",
                day.format("%Y-%m-%d"),
                1 + (minute + offset) / 60 % 9,
                (minute + offset) % 60
            )
        };
        let filed = NewCase {
            region_code: region.clone(),
            item_code: code.clone(),
            applicant_kind: "person".into(),
            applicant_name: format!("申请人{i}"),
            applicant_identifier: format!("{first17}{check}"),
            applicant_phone: format!("139{:08}", i % 100_000_000),
            agent: String::new(),
            channel: if i % 16 < 10 { "online" } else { "window" }.into(),
            site_code: if i % 16 < 10 { String::new() } else { "hall".into() },
            filed_by: if i % 16 < 10 { "applicant" } else { "clerk" }.into(),
            filed_by_role: if i % 16 < 10 { "applicant" } else { "clerk" }.into(),
            form: serde_json::json!({}),
            materials: guide
                .materials
                .iter()
                .filter(|m| m.required)
                .map(|m| m.name.clone())
                .collect(),
            idempotency_key: None,
            request_hash: String::new(),
            day,
            at: Some(stamp(0)),
            decided_by: None,
            delivery: Default::default(),
        };
        let start = template.start();
        let mut position = start.clone();
        let mut past = Vec::with_capacity(STEPS.len());
        for (k, (action, who, role, comment)) in STEPS.iter().enumerate() {
            let next = template
                .apply(&position, action, Actor::Staff(*role), comment)
                .map_err(|e| anyhow!("{action}: {e}"))?;
            past.push(PastEvent {
                actor: who.to_string(),
                role: role.as_str().to_string(),
                action: action.to_string(),
                from_state: position.state.clone(),
                to_state: next.state.clone(),
                at: stamp(7 * (k + 1)),
                comment: comment.to_string(),
            });
            position = next;
        }
        let d = deadline::on_accept(&calendar, day, guide.promised_limit_days, guide.legal_limit_days);
        let ymd = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
        events += 1 + past.len();
        batch.push(PastCase {
            filed,
            item_version: *version,
            item_name: guide.name.clone(),
            promised_days: i64::from(guide.promised_limit_days),
            legal_days: i64::from(guide.legal_limit_days),
            workflow_code: template.code.clone(),
            start,
            end: position,
            accepted_on: Some(ymd(day)),
            due_date: Some(ymd(d.due.date)),
            legal_due_date: Some(ymd(d.legal.date)),
            completed_on: Some(ymd(day)),
            closed_at: past.last().map(|e| e.at.clone()),
            events: past,
        });
        if batch.len() == BATCH || i + 1 == count {
            let numbers = store.import_past_cases(&region, &batch, &items).await?;
            if sample.len() < 50 {
                sample.extend(numbers.into_iter().take(1));
            }
            batch.clear();
        }
    }
    Ok((events, sample))
}

/// Recomputes the hash chains of the sampled cases; a broken one fails the run.
pub async fn verify_sample(store: &Store, region: &str, numbers: &[String]) -> anyhow::Result<usize> {
    for n in numbers {
        let case = store
            .case_by_number(region, n)
            .await?
            .with_context(|| format!("办件{n}未写入"))?;
        let events = store.case_events(case.id).await?;
        let stored: Vec<tongban_core::audit::StoredEvent> = events
            .into_iter()
            .map(|e| tongban_core::audit::StoredEvent {
                content: tongban_core::audit::EventContent {
                    case_number: n.clone(),
                    seq: e.seq,
                    actor: e.actor,
                    role: e.role,
                    action: e.action,
                    from_state: e.from_state,
                    to_state: e.to_state,
                    at: e.at,
                    comment: e.comment,
                    attachments: e.attachments,
                },
                prev_hash: e.prev_hash,
                hash: e.hash,
            })
            .collect();
        let problems = tongban_core::audit::verify_chain(&stored);
        if stored.len() != 1 + STEPS.len() || !problems.is_empty() {
            anyhow::bail!("办件{n}的事件链不完整或被篡改：{problems:?}");
        }
    }
    Ok(numbers.len())
}
