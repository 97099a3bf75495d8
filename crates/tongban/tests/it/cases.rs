//! The case core over HTTP on both databases: filing, the default workflow, refusals, concurrency, idempotency,
//! the public progress query, the calendar and the audit chain.

use crate::both_backends;
use crate::helpers::{urlencode, TestApp, APPLICANT_ID as ID, LICENCE_ITEM as ITEM, LICENCE_MATERIALS as MATERIALS};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn err(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

fn filing(item: &str, materials: &[&str]) -> Value {
    json!({
        "item_code": item,
        "applicant": {"kind": "person", "name": "张三", "id_number": ID, "phone": "13812345678"},
        "channel": "window",
        "materials": materials,
    })
}

async fn post_auth(app: &TestApp, path: &str, body: &Value, token: &str, key: Option<&str>) -> (StatusCode, Value) {
    let mut req = app.client.post(app.url(path)).bearer_auth(token).json(body);
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn act(
    app: &TestApp,
    token: &str,
    number: &str,
    action: &str,
    version: i64,
    comment: &str,
) -> (StatusCode, Value) {
    post_auth(
        app,
        &format!("/api/v1/cases/{number}/actions"),
        &json!({"action": action, "version": version, "comment": comment}),
        token,
        None,
    )
    .await
}

fn actions(case: &Value) -> Vec<String> {
    case["allowed_actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap().to_string())
        .collect()
}

both_backends!(a_case_runs_the_whole_default_workflow, |app: TestApp| async move {
    let clerk = app.token("clerk").await;
    let reviewer = app.token("reviewer").await;
    let head = app.token("head").await;
    let (status, case) = post_auth(&app, "/api/v1/cases", &filing(ITEM, &MATERIALS), &clerk, None).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let number = case["number"].as_str().unwrap().to_string();
    let parts: Vec<&str> = number.split('-').collect();
    assert_eq!((parts[0], parts[1].len(), parts[2].len()), ("430603", 8, 6), "{number}");
    assert_eq!(
        (
            case["state"].as_str(),
            case["version"].as_i64(),
            case["item_version"].as_i64()
        ),
        (Some("submitted"), Some(1), Some(1))
    );
    assert_eq!(
        (case["channel"].as_str(), case["site"].as_str()),
        (Some("window"), Some("hall"))
    );
    assert_eq!(
        actions(&case),
        vec!["accept", "request_correction", "refuse", "withdraw"]
    );

    // A new guide version after filing does not change the case's.
    let (_, v1) = app.get_json(&format!("/api/v1/items/{ITEM}")).await;
    let promised = v1["guide"]["promised_limit_days"].as_i64().unwrap();
    let admin = app.token("admin").await;
    let (status, _) = app
        .put_json(
            &format!("/api/v1/items/{ITEM}"),
            &json!({"promised_limit_days": promised + 1}),
            &admin,
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let (status, case) = act(&app, &clerk, &number, "accept", 1, "").await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(case["state"], "under_review");
    assert_eq!(case["item_version"], 1);
    let accepted = case["accepted_on"].as_str().unwrap().to_string();
    let (_, due) = app
        .get_json(&format!(
            "/api/v1/calendar/add-working-days?from={accepted}&days={promised}"
        ))
        .await;
    assert_eq!(
        case["due_date"], due["date"],
        "the promised limit of the version filed under counts"
    );
    assert!(case["legal_due_date"].as_str().unwrap() >= case["due_date"].as_str().unwrap());
    assert_eq!(case["timing"]["remaining_working_days"], promised);

    let (status, body) = act(&app, &reviewer, &number, "review", 2, "").await;
    assert_eq!(
        (status, err(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "comment_required")
    );
    let (_, case) = act(
        &app,
        &reviewer,
        &number,
        "review",
        2,
        "材料齐全，符合条件，建议准予许可",
    )
    .await;
    assert_eq!(case["state"], "pending_decision");
    assert_eq!(
        actions(&case),
        vec!["suspend"],
        "while the head decides, the reviewer may only stop the clock"
    );
    let (status, case) = act(&app, &head, &number, "approve", 3, "同意").await;
    assert_eq!((status, case["state"].as_str()), (StatusCode::OK, Some("approved")));
    let (_, case) = act(&app, &reviewer, &number, "issue", 4, "").await;
    assert_eq!(case["state"], "issued");
    let (_, case) = act(&app, &clerk, &number, "deliver", 5, "窗口领取").await;
    assert_eq!(case["state"], "closed");
    assert!(case["closed_at"].is_string());

    let (_, events) = app.get_auth(&format!("/api/v1/cases/{number}/events"), &head).await;
    let events = events.as_array().unwrap();
    let names: Vec<&str> = events.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["submit", "accept", "review", "approve", "issue", "deliver"]);
    for pair in events.windows(2) {
        assert_eq!(pair[1]["prev_hash"], pair[0]["hash"], "events are chained");
    }
    assert_eq!(events[2]["comment"], "材料齐全，符合条件，建议准予许可");

    let (status, progress) = app
        .get_json(&format!("/api/v1/progress?number={number}&code=002X"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(progress["state_label"], "已办结");
    assert_eq!(progress["steps"].as_array().map(Vec::len), Some(6));
    assert!(
        !progress.to_string().contains(ID),
        "the public page never shows the ID number"
    );
    let (status, _) = app
        .get_json(&format!("/api/v1/progress?number={number}&code=9999"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .get_json(&format!("/api/v1/progress?number={number}&code=5678"))
        .await;
    assert_eq!(status, StatusCode::OK, "the phone's last four digits work too");

    let (_, list) = app.get_auth("/api/v1/cases", &clerk).await;
    assert_eq!(list["total"], 1);
    assert_eq!(
        list["data"][0]["applicant_identifier"], "110105********002X",
        "lists mask the ID number"
    );
    assert_eq!(list["data"][0]["applicant_phone"], "138****5678");
    post_auth(&app, "/api/v1/cases", &filing(ITEM, &MATERIALS), &clerk, None).await;
    assert_eq!(
        app.state.store.applicant_count("430603").await.unwrap(),
        1,
        "the same person is recorded once"
    );
});

both_backends!(
    bad_filings_and_actions_are_refused_and_change_nothing,
    |app: TestApp| async move {
        let clerk = app.token("clerk").await;
        let head = app.token("head").await;
        let mut bad_id = filing(ITEM, &MATERIALS);
        bad_id["applicant"]["id_number"] = json!("110105194912310021");
        let (status, body) = post_auth(&app, "/api/v1/cases", &bad_id, &clerk, None).await;
        assert_eq!(
            (status, err(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_resident_id")
        );
        assert!(body["error"]["message"].as_str().unwrap().contains("校验码"));
        let mut firm = filing(ITEM, &MATERIALS);
        firm["applicant"] = json!({"kind": "enterprise", "name": "云溪奶茶店", "credit_code": "914403001922038217", "phone": "13812345678"});
        let (status, body) = post_auth(&app, "/api/v1/cases", &firm, &clerk, None).await;
        assert_eq!(
            (status, err(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_credit_code")
        );
        firm["applicant"]["credit_code"] = json!("914403001922038216");
        let (status, _) = post_auth(&app, "/api/v1/cases", &firm, &clerk, None).await;
        assert_eq!(status, StatusCode::CREATED);
        let mut bad_phone = filing(ITEM, &MATERIALS);
        bad_phone["applicant"]["phone"] = json!("12345");
        let (status, body) = post_auth(&app, "/api/v1/cases", &bad_phone, &clerk, None).await;
        assert_eq!(
            (status, err(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_phone")
        );
        let (status, _) = post_auth(&app, "/api/v1/cases", &filing("NOPE-1", &MATERIALS), &clerk, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, body) = app.post_json("/api/v1/cases", &filing(ITEM, &MATERIALS), None).await;
        assert_eq!(
            (status, err(&body)),
            (StatusCode::UNAUTHORIZED, "unauthorized"),
            "a window filing needs a clerk"
        );
        let mut online = filing(ITEM, &MATERIALS);
        online["channel"] = json!("online");
        let (status, body) = app.post_json("/api/v1/cases", &online, None).await;
        assert_eq!(
            (status, err(&body)),
            (StatusCode::UNAUTHORIZED, "applicant_login_required"),
            "an online filing without an applicant session names nobody: {body}"
        );

        // Missing materials: accepting is refused until the one correction notice and the resubmission.
        let (_, case) = post_auth(&app, "/api/v1/cases", &filing(ITEM, &MATERIALS[..2]), &clerk, None).await;
        let number = case["number"].as_str().unwrap().to_string();
        let (status, body) = act(&app, &clerk, &number, "accept", 1, "").await;
        assert_eq!(
            (status, err(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "missing_materials")
        );
        assert!(body["error"]["message"].as_str().unwrap().contains("场所使用权证明"));
        let (status, body) = act(&app, &head, &number, "accept", 1, "").await;
        assert_eq!((status, err(&body)), (StatusCode::FORBIDDEN, "role_not_allowed"));
        let (status, body) = act(&app, &clerk, &number, "approve", 1, "").await;
        assert_eq!(
            (status, err(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "action_not_allowed")
        );
        assert_eq!(
            body["error"]["details"]["allowed_actions"],
            json!(["accept", "request_correction", "refuse", "withdraw"])
        );
        let (status, body) = act(&app, &clerk, &number, "fly", 1, "").await;
        assert_eq!(
            (status, err(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "unknown_action")
        );
        let (_, case) = act(
            &app,
            &clerk,
            &number,
            "request_correction",
            1,
            "请补交：场所使用权证明、相关资质证明材料",
        )
        .await;
        assert_eq!(case["state"], "correction_requested");
        let (status, body) = act(&app, &clerk, &number, "accept", 1, "").await;
        assert_eq!((status, err(&body)), (StatusCode::CONFLICT, "stale_version"));
        assert_eq!(body["error"]["details"]["current_version"], 2);
        let body = json!({"action": "resubmit", "version": 2, "materials": ["场所使用权证明", "相关资质证明材料"]});
        let (status, case) = post_auth(&app, &format!("/api/v1/cases/{number}/actions"), &body, &clerk, None).await;
        assert_eq!(status, StatusCode::OK, "{case}");
        assert!(
            !actions(&case).contains(&"request_correction".to_string()),
            "one correction notice only"
        );
        let (status, case) = act(&app, &clerk, &number, "accept", 3, "").await;
        assert_eq!((status, case["state"].as_str()), (StatusCode::OK, Some("under_review")));

        // Another department's case does not exist for the 区行政审批局 reviewer.
        let (_, other) = post_auth(
            &app,
            "/api/v1/cases",
            &filing("430603-GG-0198", &["申请表"]),
            &clerk,
            None,
        )
        .await;
        let other_number = other["number"].as_str().unwrap();
        let (status, _) = app
            .get_auth(&format!("/api/v1/cases/{other_number}"), &app.token("reviewer").await)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, body) = act(&app, &head, &number, "deny", 4, "").await;
        assert!(status == StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let (_, events) = app.get_auth(&format!("/api/v1/cases/{number}/events"), &clerk).await;
        assert_eq!(
            events.as_array().map(Vec::len),
            Some(4),
            "refused actions wrote nothing"
        );
    }
);

both_backends!(idempotent_submission_and_racing_clients, |app: TestApp| async move {
    let clerk = app.token("clerk").await;
    let (s1, first) = post_auth(
        &app,
        "/api/v1/cases",
        &filing(ITEM, &MATERIALS),
        &clerk,
        Some("retry-1"),
    )
    .await;
    let (s2, again) = post_auth(
        &app,
        "/api/v1/cases",
        &filing(ITEM, &MATERIALS),
        &clerk,
        Some("retry-1"),
    )
    .await;
    assert_eq!((s1, s2), (StatusCode::CREATED, StatusCode::OK));
    assert_eq!(first["number"], again["number"]);
    let (status, body) = post_auth(
        &app,
        "/api/v1/cases",
        &filing(ITEM, &MATERIALS[..1]),
        &clerk,
        Some("retry-1"),
    )
    .await;
    assert_eq!(
        (status, err(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused")
    );
    let (_, list) = app.get_auth("/api/v1/cases", &clerk).await;
    assert_eq!(list["total"], 1);

    // Eight clients accept the same case at once: exactly one wins, one event is written.
    let number = first["number"].as_str().unwrap().to_string();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let client = app.client.clone();
        let url = app.url(&format!("/api/v1/cases/{number}/actions"));
        let token = clerk.clone();
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(token)
                .json(&json!({"action": "accept", "version": 1}))
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::CONFLICT),
        "{statuses:?}"
    );
    let (_, events) = app.get_auth(&format!("/api/v1/cases/{number}/events"), &clerk).await;
    assert_eq!(events.as_array().map(Vec::len), Some(2));

    // Eight filings with one key at once: one case.
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let client = app.client.clone();
        let url = app.url("/api/v1/cases");
        let token = clerk.clone();
        tasks.push(tokio::spawn(async move {
            let r = client
                .post(url)
                .bearer_auth(token)
                .header("Idempotency-Key", "burst")
                .json(&filing(ITEM, &MATERIALS))
                .send()
                .await
                .unwrap();
            r.json::<Value>().await.unwrap()["number"]
                .as_str()
                .unwrap_or("")
                .to_string()
        }));
    }
    let mut numbers = Vec::new();
    for t in tasks {
        numbers.push(t.await.unwrap());
    }
    numbers.dedup();
    assert_eq!(numbers.len(), 1, "{numbers:?}");
});

both_backends!(suspension_and_the_calendar, |app: TestApp| async move {
    let (status, d) = app
        .get_json("/api/v1/calendar/add-working-days?from=2025-09-30&days=1")
        .await;
    assert_eq!(
        (status, d["date"].as_str(), d["provisional"].as_bool()),
        (StatusCode::OK, Some("2025-10-09"), Some(false))
    );
    let (_, d) = app
        .get_json("/api/v1/calendar/add-working-days?from=2026-12-28&days=5")
        .await;
    assert_eq!(
        (d["date"].as_str(), d["provisional"].as_bool()),
        (Some("2027-01-05"), Some(true))
    );
    let (_, n) = app
        .get_json("/api/v1/calendar/working-days?from=2025-09-30&to=2025-10-09")
        .await;
    assert_eq!(n["working_days"], 1);
    let (status, body) = app
        .get_json("/api/v1/calendar/add-working-days?from=2025-02-30&days=1")
        .await;
    assert_eq!((status, err(&body)), (StatusCode::BAD_REQUEST, "invalid_date"));

    let clerk = app.token("clerk").await;
    let reviewer = app.token("reviewer").await;
    let (_, case) = post_auth(&app, "/api/v1/cases", &filing(ITEM, &MATERIALS), &clerk, None).await;
    let number = case["number"].as_str().unwrap().to_string();
    let (_, case) = act(&app, &clerk, &number, "accept", 1, "").await;
    let due = case["due_date"].clone();
    let (status, body) = act(&app, &reviewer, &number, "suspend", 2, "").await;
    assert_eq!(
        (status, err(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "comment_required")
    );
    let (_, case) = act(&app, &reviewer, &number, "suspend", 2, "组织专家评审").await;
    assert_eq!(
        (case["state"].as_str(), case["timing"]["warning"].as_str()),
        (Some("suspended"), Some("suspended"))
    );
    let (_, case) = act(&app, &reviewer, &number, "resume", 3, "").await;
    assert_eq!(case["state"], "under_review");
    assert!(case["due_date"].as_str() >= due.as_str(), "a deadline only moves later");
});

both_backends!(audit_chain_detects_tampering, |app: TestApp| async move {
    let clerk = app.token("clerk").await;
    let (_, case) = post_auth(&app, "/api/v1/cases", &filing(ITEM, &MATERIALS), &clerk, None).await;
    let number = case["number"].as_str().unwrap().to_string();
    act(&app, &clerk, &number, "accept", 1, "").await;
    act(&app, &app.token("reviewer").await, &number, "review", 2, "同意").await;
    let store = &app.state.store;
    let report = tongban_app::audit::verify(&app.state).await.unwrap();
    assert_eq!((report.events, report.problems.len()), (3, 0));
    sqlx::query("UPDATE case_events SET comment = '不同意' WHERE seq = 3")
        .execute(store.pool())
        .await
        .unwrap();
    let problems = tongban_app::audit::verify(&app.state).await.unwrap().problems;
    assert_eq!(
        problems.iter().map(|p| (p.seq, p.kind)).collect::<Vec<_>>(),
        vec![(3, "changed")]
    );
    sqlx::query("DELETE FROM case_events WHERE seq = 2")
        .execute(store.pool())
        .await
        .unwrap();
    let problems = tongban_app::audit::verify(&app.state).await.unwrap().problems;
    assert!(
        problems.iter().any(|p| p.kind == "missing") && problems.iter().any(|p| p.kind == "broken_link"),
        "{problems:?}"
    );
});

both_backends!(
    a_new_years_notice_moves_provisional_deadlines,
    |app: TestApp| async move {
        let clerk = app.token("clerk").await;
        let (_, case) = post_auth(&app, "/api/v1/cases", &filing(ITEM, &MATERIALS), &clerk, None).await;
        let number = case["number"].as_str().unwrap().to_string();
        act(&app, &clerk, &number, "accept", 1, "").await;
        // As if accepted on 2026-12-28 with a promised limit of 5 working days: due 2027-01-05 on the provisional rules.
        let store = &app.state.store;
        sqlx::query("UPDATE cases SET accepted_on = '2026-12-28', promised_days = 5, due_date = '2027-01-05', due_provisional = 1 WHERE number = $1")
        .bind(&number)
        .execute(store.pool())
        .await
        .unwrap();
        let text = "year = 2027\nsource = \"测试通知\"\nholidays = [\"2027-01-01..2027-01-04\"]\nworkdays = []\n";
        let notice = tongban_core::calendar::YearNotice::parse_toml(text).unwrap();
        let moved = tongban_app::cases::import_notice(store, &notice, text, "test")
            .await
            .unwrap();
        assert_eq!(moved.len(), 1);
        assert_eq!(
            (moved[0].old_due.as_str(), moved[0].new_due.as_str()),
            ("2027-01-05", "2027-01-06")
        );
        let (_, after) = app.get_auth(&format!("/api/v1/cases/{number}"), &clerk).await;
        assert_eq!(
            (after["due_date"].as_str(), after["due_provisional"].as_bool()),
            (Some("2027-01-06"), Some(false))
        );
        let (_, events) = app.get_auth(&format!("/api/v1/cases/{number}/events"), &clerk).await;
        let last = events.as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["action"], "recompute_deadline");
        assert!(last["comment"].as_str().unwrap().contains("2027-01-06"));
        assert_eq!(tongban_app::audit::verify(&app.state).await.unwrap().problems, vec![]);
    }
);

both_backends!(
    demo_activity_fills_inboxes_through_the_real_use_cases,
    |app: TestApp| async move {
        let store = &app.state.store;
        let hash = tongban_store::hash_password(crate::helpers::PASSWORD).unwrap();
        tongban::seed::department_staff(store, crate::helpers::REGION, &hash)
            .await
            .unwrap();
        let filed = tongban::seed::demo_activity(&app.state, crate::helpers::REGION, 3, 0.02)
            .await
            .unwrap();
        assert!(filed >= 80, "{filed}");
        let admin = app.token("admin").await;
        let (_, all) = app.get_auth("/api/v1/cases?per_page=100", &admin).await;
        assert_eq!(all["total"].as_i64().unwrap() as usize, filed);
        let data = all["data"].as_array().unwrap();
        let mut states: Vec<&str> = data.iter().map(|c| c["state"].as_str().unwrap()).collect();
        states.sort();
        states.dedup();
        assert!(states.len() >= 4, "cases in several states: {states:?}");
        let channels: Vec<&str> = data.iter().map(|c| c["channel"].as_str().unwrap()).collect();
        assert!(
            channels.contains(&"online") && channels.contains(&"window"),
            "{channels:?}"
        );
        // Department staff of another department see their own cases.
        let (_, rsj) = app.get_auth("/api/v1/cases", &app.token("reviewer-rsj").await).await;
        assert!(rsj["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["department_code"] == "rsj"));
        assert_eq!(tongban_app::audit::verify(&app.state).await.unwrap().problems, vec![]);
        // Each history reads forward in time, in office hours (09:00–17:00 Beijing is 01:00–09:00 UTC).
        let events = store.all_case_events(Some(crate::helpers::REGION)).await.unwrap();
        for pair in events.windows(2) {
            let (a, b) = (&pair[0].content, &pair[1].content);
            if a.case_number == b.case_number {
                assert!(a.at <= b.at, "{}: {} after {}", a.case_number, b.at, a.at);
            }
        }
        for e in &events {
            let hour: u32 = e.content.at[11..13].parse().unwrap();
            assert!((1..9).contains(&hour), "{}: {}", e.content.case_number, e.content.at);
        }
        // Whatever the outbox would deliver, whenever it next looked.
        let pending = || async {
            store
                .claim_notifications("9999-12-31T00:00:00Z", "9999-12-31T00:05:00Z", 10)
                .await
                .unwrap()
        };
        assert!(
            pending().await.is_empty(),
            "seeded history sends no messages to invented applicants"
        );
        // Nor do the reform seed's bundle and ratings.
        let reform = tongban::seed::demo_reform(&app.state, crate::helpers::REGION)
            .await
            .unwrap();
        assert!(reform.bundles > 0 && reform.delegations > 0, "the reform seed ran");
        let queued = pending().await;
        assert!(queued.is_empty(), "{} messages queued by the reform seed", queued.len());
    }
);

both_backends!(the_workflow_is_data_an_administrator_edits, |app: TestApp| async move {
    let admin = app.token("admin").await;
    let (status, mut t) = app.get_auth("/api/v1/workflows/default", &admin).await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = t["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec![
            "accept",
            "request_correction",
            "resubmit",
            "refuse",
            "review",
            "approve",
            "deny",
            "return",
            "issue",
            "deliver",
            "suspend",
            "resume",
            "withdraw"
        ]
    );
    // From now on only the head may suspend.
    for a in t["actions"].as_array_mut().unwrap() {
        if a["code"] == "suspend" {
            a["actors"] = json!([{"staff": "head"}]);
        }
    }
    let (status, body) = app.put_json("/api/v1/workflows/default", &t, &admin).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let clerk = app.token("clerk").await;
    let reviewer = app.token("reviewer").await;
    let (_, case) = post_auth(&app, "/api/v1/cases", &filing(ITEM, &MATERIALS), &clerk, None).await;
    let number = case["number"].as_str().unwrap().to_string();
    act(&app, &clerk, &number, "accept", 1, "").await;
    let (_, seen) = app.get_auth(&format!("/api/v1/cases/{number}"), &reviewer).await;
    assert_eq!(actions(&seen), vec!["review"], "the reviewer may no longer suspend");
    let (status, body) = act(&app, &reviewer, &number, "suspend", 2, "专家评审").await;
    assert_eq!((status, err(&body)), (StatusCode::FORBIDDEN, "role_not_allowed"));

    let mut broken = t.clone();
    broken["actions"][0]["to"] = json!({"state": "nowhere"});
    let (status, body) = app.put_json("/api/v1/workflows/default", &broken, &admin).await;
    assert_eq!(
        (status, err(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_template")
    );
    let mut dropping = t.clone();
    let states = dropping["states"].as_array_mut().unwrap();
    states.retain(|s| s["code"] != "under_review");
    let (status, _) = app.put_json("/api/v1/workflows/default", &dropping, &admin).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a state in use (or named by actions) cannot go"
    );
    let (status, _) = app.put_json("/api/v1/workflows/default", &t, &reviewer).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
});

both_backends!(
    materials_are_uploaded_by_content_type_and_hash,
    |app: TestApp| async move {
        let clerk = app.token("clerk").await;
        let (_, case) = post_auth(&app, "/api/v1/cases", &filing(ITEM, &MATERIALS[..1]), &clerk, None).await;
        let number = case["number"].as_str().unwrap().to_string();
        let upload = |material: &str, body: Vec<u8>| {
            let url = app.url(&format!(
                "/api/v1/cases/{number}/materials?material={}",
                urlencode(material)
            ));
            app.client.post(url).bearer_auth(&clerk).body(body).send()
        };
        let pdf = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec();
        let r = upload("场所使用权证明", pdf.clone()).await.unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let list: Value = r.json().await.unwrap();
        let entry = list
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == "场所使用权证明")
            .unwrap()
            .clone();
        assert_eq!(entry["received"], true);
        let sha = entry["files"][0]["sha256"].as_str().unwrap().to_string();
        assert_eq!(entry["files"][0]["content_type"], "application/pdf");
        let stored = app.files.join("files").join(&sha[..2]).join(&sha);
        assert_eq!(std::fs::read(&stored).unwrap(), pdf, "stored by content hash");

        // A program renamed to .pdf is refused by its content; so is a material the guide does not list.
        let r = upload("相关资质证明材料", b"MZ\x90\x00\x03fake-exe".to_vec())
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(err(&r.json::<Value>().await.unwrap()), "unsupported_file_type");
        let r = upload("../../etc/passwd", pdf.clone()).await.unwrap();
        assert_eq!(err(&r.json::<Value>().await.unwrap()), "unknown_material");
        let r = upload("相关资质证明材料", vec![0xFF; 11 * 1024 * 1024]).await.unwrap();
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let png = [&[0x89u8, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A][..], b"rest"].concat();
        assert_eq!(
            upload("相关资质证明材料", png).await.unwrap().status(),
            StatusCode::CREATED
        );

        let (_, checklist) = app.get_auth(&format!("/api/v1/cases/{number}/materials"), &clerk).await;
        let missing: Vec<&str> = checklist
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["received"] == false)
            .map(|e| e["name"].as_str().unwrap())
            .collect();
        assert_eq!(missing, vec!["营业执照或统一社会信用代码证明"]);
        let (_, events) = app.get_auth(&format!("/api/v1/cases/{number}/events"), &clerk).await;
        let attach: Vec<&Value> = events
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "attach")
            .collect();
        assert_eq!(attach.len(), 2);
        assert_eq!(attach[0]["attachments"][0], sha.as_str());
    }
);

/// Steps that bring a new case to the state where `action` can be taken, with who takes each.
fn path_to(action: &str) -> Vec<(&'static str, &'static str)> {
    let accept = ("clerk", "accept");
    let review = ("reviewer", "review");
    let approve = ("head", "approve");
    match action {
        "accept" | "request_correction" | "refuse" | "withdraw" => vec![],
        "resubmit" => vec![("clerk", "request_correction")],
        "review" | "suspend" => vec![accept],
        "approve" | "deny" | "return" => vec![accept, review],
        "issue" => vec![accept, review, approve],
        "deliver" => vec![accept, review, approve, ("reviewer", "issue")],
        "resume" => vec![accept, ("reviewer", "suspend")],
        other => panic!("no path to {other}"),
    }
}

both_backends!(
    authorisation_matrix_of_roles_actions_and_departments,
    |app: TestApp| async move {
        let hash = tongban_store::hash_password(crate::helpers::PASSWORD).unwrap();
        tongban::seed::department_staff(&app.state.store, crate::helpers::REGION, &hash)
            .await
            .unwrap();
        let mut tokens = std::collections::HashMap::new();
        for user in [
            "admin",
            "clerk",
            "reviewer",
            "head",
            "supervisor",
            "operator",
            "discloser",
            "policy",
            "reviewer-rsj",
            "head-rsj",
        ] {
            tokens.insert(user, app.token(user).await);
        }
        let (_, tpl) = app.get_auth("/api/v1/workflows/default", &tokens["admin"]).await;
        for a in tpl["actions"].as_array().unwrap() {
            let action = a["code"].as_str().unwrap();
            let allowed: Vec<String> = a["actors"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|x| x["staff"].as_str().map(String::from))
                .collect();
            // A fresh case brought to a state where the action applies.
            let (_, case) = post_auth(&app, "/api/v1/cases", &filing(ITEM, &MATERIALS), &tokens["clerk"], None).await;
            let number = case["number"].as_str().unwrap().to_string();
            let mut version = 1;
            for (who, step) in path_to(action) {
                let (status, body) = act(&app, &tokens[who], &number, step, version, "理由").await;
                assert_eq!(status, StatusCode::OK, "{step} on the way to {action}: {body}");
                version += 1;
            }
            // Every role that may not act is refused (403) and changes nothing; every role that may is offered the
            // action; then one of them takes it.
            let roles = [
                "operator",
                "discloser",
                "policy",
                "supervisor",
                "admin",
                "clerk",
                "reviewer",
                "head",
            ];
            for role in roles.iter().filter(|r| !allowed.iter().any(|a| a == *r)) {
                let (status, body) = act(&app, &tokens[role], &number, action, version, "理由").await;
                // Roles that work on no cases are refused before the workflow is asked.
                let refusal = if ["operator", "discloser", "policy"].contains(role) {
                    "forbidden"
                } else {
                    "role_not_allowed"
                };
                assert_eq!(
                    (status, err(&body)),
                    (StatusCode::FORBIDDEN, refusal),
                    "{role} may not {action}"
                );
            }
            for role in roles.iter().filter(|r| allowed.iter().any(|a| a == *r)) {
                let (_, seen) = app.get_auth(&format!("/api/v1/cases/{number}"), &tokens[role]).await;
                assert!(
                    actions(&seen).contains(&action.to_string()),
                    "{role} is offered {action}"
                );
            }
            let winner = roles
                .iter()
                .find(|r| allowed.iter().any(|a| a == *r))
                .expect("someone may act");
            let (status, body) = act(&app, &tokens[winner], &number, action, version, "理由").await;
            assert_eq!(status, StatusCode::OK, "{winner} may {action}: {body}");
            // Staff of another department do not even see the case.
            for other in ["reviewer-rsj", "head-rsj"] {
                let (status, _) = act(&app, &tokens[other], &number, action, version, "理由").await;
                assert_eq!(
                    status,
                    StatusCode::NOT_FOUND,
                    "{other} must not reach a 区行政审批局 case ({action})"
                );
            }
        }
    }
);

both_backends!(
    a_replayed_year_writes_what_the_live_path_writes,
    |app: TestApp| async move {
        // 2,500 cases over 2023 in batches: numbers per day, six chained events each, closed with their deadlines.
        let (events, sample) = tongban::replay::replay_year(&app.state.store, "430603", 2_500)
            .await
            .unwrap();
        assert_eq!(events, 2_500 * 6);
        assert_eq!(sample.len(), 3, "one sampled number per batch of 1,000");
        tongban::replay::verify_sample(&app.state.store, "430603", &sample)
            .await
            .unwrap();
        let report = tongban_app::audit::verify(&app.state).await.unwrap();
        assert_eq!(
            (report.events, report.problems.len()),
            (15_000, 0),
            "every chain holds: {:?}",
            report.problems
        );
        let admin = app.token("admin").await;
        let (_, case) = app.get_auth(&format!("/api/v1/cases/{}", sample[1]), &admin).await;
        assert_eq!(case["state"], "closed", "{case}");
        assert!(case["due_date"].as_str().unwrap() >= case["accepted_on"].as_str().unwrap());
        // A second import into the same days continues each day's numbering: no collision, nothing lost.
        tongban::replay::replay_year(&app.state.store, "430603", 100)
            .await
            .unwrap();
        let (_, page) = app.get_auth("/api/v1/cases?state=closed&per_page=1", &admin).await;
        assert_eq!(page["total"], 2_600);
    }
);
