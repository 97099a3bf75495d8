//! The hall queue (取号叫号) on both databases: kiosk tickets, the window clerk's calls in the right order, recall,
//! skip, transfer that keeps the visitor's place, finish; appointments (a full slot, a closed category); who may
//! call; the board that never shows a phone; the figures; and the pages.

use crate::both_backends;
use crate::helpers::{TestApp, PASSWORD};
use crate::web::{hidden, sign_in};
use chrono::{TimeZone, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tongban_app::queue::{self as q, WindowAction};

fn err(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

async fn post(app: &TestApp, path: &str, body: &Value, token: &str) -> (StatusCode, Value) {
    app.post_json(path, body, Some(token)).await
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let row = sqlx::query(sql).fetch_one(app.state.store.pool()).await.unwrap();
    sqlx::Row::try_get::<i64, _>(&row, 0).unwrap()
}

/// A session of a demo user, for calling the use cases with a fixed clock.
async fn session(app: &TestApp, username: &str) -> tongban_store::Session {
    let (staff, _) = app.state.store.staff_by_username(username).await.unwrap().unwrap();
    let (_, s) = app
        .state
        .store
        .create_session(&staff, tongban_store::SessionKind::Api, chrono::Duration::hours(1))
        .await
        .unwrap();
    s
}

both_backends!(
    tickets_are_called_in_order_recalled_skipped_transferred_and_finished,
    |app: TestApp| async move {
        let (status, cats) = app.get_json("/api/v1/queue/categories").await;
        assert_eq!(status, StatusCode::OK);
        let prefixes: Vec<&str> = cats
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["prefix"].as_str().unwrap())
            .collect();
        assert_eq!(prefixes, ["A", "B", "C", "D", "E"], "{cats}");

        let (status, a1) = app
            .post_json(
                "/api/v1/queue/tickets",
                &json!({"category": "zhsl", "phone": "13812345678"}),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{a1}");
        assert_eq!(a1["number"], "A001");
        assert_eq!(a1["people_ahead"], 0);
        assert_eq!(a1["phone"], "138****5678", "the phone is masked");
        let (_, a2) = app
            .post_json("/api/v1/queue/tickets", &json!({"category": "zhsl"}), None)
            .await;
        assert_eq!(
            (a2["number"].as_str(), a2["people_ahead"].as_i64()),
            (Some("A002"), Some(1))
        );
        let (_, b1) = app
            .post_json("/api/v1/queue/tickets", &json!({"category": "bdc"}), None)
            .await;
        assert_eq!(b1["number"], "B001");
        let (status, bad) = app
            .post_json(
                "/api/v1/queue/tickets",
                &json!({"category": "zhsl", "phone": "123"}),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");

        // The board never shows a phone, not even masked.
        let board = app.get("/api/v1/queue/board").await.text().await.unwrap();
        assert!(
            !board.contains("138") && !board.contains("5678") && !board.contains("phone"),
            "{board}"
        );
        let (_, board) = app.get_json("/api/v1/queue/board").await;
        assert_eq!(board["queues"][0]["waiting"], 2);
        assert_eq!(board["queues"][0]["next"], json!(["A001", "A002"]));

        // The demo clerk sits at zc-01, which calls 综合受理 (A) only.
        let clerk = app.token("clerk").await;
        let (status, w) = post(&app, "/api/v1/queue/windows/call-next", &json!({}), &clerk).await;
        assert_eq!(status, StatusCode::OK, "{w}");
        assert_eq!(
            (w["window"].as_str(), w["ticket"]["number"].as_str()),
            (Some("zc-01"), Some("A001"))
        );
        assert_eq!(
            w["ticket"]["phone"], "13812345678",
            "the clerk serving the visitor sees the phone"
        );
        let (status, busy) = post(&app, "/api/v1/queue/windows/call-next", &json!({}), &clerk).await;
        assert_eq!((status, err(&busy)), (StatusCode::CONFLICT, "ticket_in_service"));
        let (status, w) = post(&app, "/api/v1/queue/windows/recall", &json!({}), &clerk).await;
        assert_eq!((status, w["ticket"]["number"].as_str()), (StatusCode::OK, Some("A001")));
        let (_, board) = app.get_json("/api/v1/queue/board").await;
        assert_eq!(board["calling"][0]["number"], "A001");
        assert_eq!(board["calling"][0]["window_name"], "综合受理窗口1号");

        // A001 does not come: skipped, and A002 is called in the same step.
        let (_, w) = post(&app, "/api/v1/queue/windows/skip", &json!({}), &clerk).await;
        assert_eq!(w["previous"]["number"], "A001");
        assert_eq!(w["previous"]["state"], "skipped");
        assert_eq!(w["ticket"]["number"], "A002");

        // A002 needs the real-estate counter: transferred, it waits in B ahead of B001, taken after it.
        let (status, w) = post(
            &app,
            "/api/v1/queue/windows/transfer",
            &json!({"category": "zhsl"}),
            &clerk,
        )
        .await;
        assert_eq!((status, err(&w)), (StatusCode::UNPROCESSABLE_ENTITY, "same_category"));
        let (status, w) = post(
            &app,
            "/api/v1/queue/windows/transfer",
            &json!({"category": "bdc"}),
            &clerk,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{w}");
        assert_eq!(
            (w["previous"]["state"].as_str(), w["previous"]["category"].as_str()),
            (Some("waiting"), Some("bdc"))
        );
        assert!(w["ticket"].is_null());
        let (_, t) = app
            .get_json(&format!(
                "/api/v1/queue/tickets/A002?day={}",
                a2["day"].as_str().unwrap()
            ))
            .await;
        assert_eq!(t["people_ahead"], 0, "the transferred ticket keeps its place: {t}");
        let (_, t) = app
            .get_json(&format!(
                "/api/v1/queue/tickets/B001?day={}",
                b1["day"].as_str().unwrap()
            ))
            .await;
        assert_eq!(t["people_ahead"], 1);

        // Nothing left for zc-01 until the administrator lets it call B as well.
        let (status, w) = post(&app, "/api/v1/queue/windows/call-next", &json!({}), &clerk).await;
        assert_eq!(status, StatusCode::OK);
        assert!(w["ticket"].is_null(), "{w}");
        let admin = app.token("admin").await;
        let (status, c) = app
            .put_json(
                "/api/v1/queue/categories/bdc",
                &json!({"windows": ["zq-bdcdj", "zc-01"]}),
                &admin,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{c}");
        let (_, w) = post(&app, "/api/v1/queue/windows/call-next", &json!({}), &clerk).await;
        assert_eq!(w["ticket"]["number"], "A002", "{w}");
        let (status, w) = post(
            &app,
            "/api/v1/queue/windows/finish",
            &json!({"case_number": "NOPE"}),
            &clerk,
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{w}");
        let (status, w) = post(&app, "/api/v1/queue/windows/finish", &json!({}), &clerk).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            (w["previous"]["number"].as_str(), w["previous"]["state"].as_str()),
            (Some("A002"), Some("done"))
        );
        let (_, w) = post(&app, "/api/v1/queue/windows/call-next", &json!({}), &clerk).await;
        assert_eq!(w["ticket"]["number"], "B001");
        post(&app, "/api/v1/queue/windows/finish", &json!({}), &clerk).await;
        let (status, w) = post(&app, "/api/v1/queue/windows/recall", &json!({}), &clerk).await;
        assert_eq!((status, err(&w)), (StatusCode::CONFLICT, "no_current_ticket"));

        // Every change is audited, refusals write nothing: call, recall, skip and call, transfer, call, finish,
        // call, finish.
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'queue.%' AND actor = 'clerk'"
            )
            .await,
            9
        );

        let supervisor = app.token("supervisor").await;
        let (status, f) = app.get_auth("/api/v1/queue/figures", &supervisor).await;
        assert_eq!(status, StatusCode::OK, "{f}");
        assert_eq!(
            (
                f["total"]["tickets"].as_i64(),
                f["total"]["visitors"].as_i64(),
                f["total"]["skipped"].as_i64()
            ),
            (Some(3), Some(2), Some(1)),
            "{f}"
        );
        assert!(f["formula"].as_str().unwrap().contains("P90"));
        let (status, _) = app.get_auth("/api/v1/queue/figures", &clerk).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
);

both_backends!(
    a_closed_category_and_a_full_slot_are_refused_with_nothing_written,
    |app: TestApp| async move {
        let admin = app.token("admin").await;
        let (status, c) = app
            .put_json("/api/v1/queue/categories/sw", &json!({"open": false}), &admin)
            .await;
        assert_eq!((status, c["open"].as_bool()), (StatusCode::OK, Some(false)), "{c}");
        let (status, body) = app
            .post_json("/api/v1/queue/tickets", &json!({"category": "sw"}), None)
            .await;
        assert_eq!(
            (status, err(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "category_closed")
        );
        assert!(body["error"]["message"].as_str().unwrap().contains("税务"), "{body}");
        let (status, body) = app
            .post_json("/api/v1/queue/tickets", &json!({"category": "nope"}), None)
            .await;
        assert_eq!((status, err(&body)), (StatusCode::NOT_FOUND, "not_found"));
        assert_eq!(count(&app, "SELECT COUNT(*) FROM queue_tickets").await, 0);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM queue_sequences").await, 0);
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM audit_log WHERE action = 'queue.take'").await,
            0
        );

        // Only administrators set categories; codes and letters are unique.
        let clerk = app.token("clerk").await;
        let (status, _) = app
            .put_json("/api/v1/queue/categories/sw", &json!({"open": true}), &clerk)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let new = json!({"code": "gjj", "name": "公积金", "prefix": "A", "windows": ["zc-02"]});
        let (status, body) = post(&app, "/api/v1/queue/categories", &new, &admin).await;
        assert_eq!(
            (status, err(&body)),
            (StatusCode::CONFLICT, "conflict"),
            "letter A is taken"
        );
        let new = json!({"code": "gjj", "name": "公积金", "prefix": "f", "windows": ["zc-99"]});
        let (status, _) = post(&app, "/api/v1/queue/categories", &new, &admin).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "unknown window");
        let new = json!({"code": "gjj", "name": "公积金", "prefix": "f", "windows": ["zc-02"], "hours": "9-12"});
        let (status, body) = post(&app, "/api/v1/queue/categories", &new, &admin).await;
        assert_eq!(
            (status, err(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_hours")
        );
        let new = json!({"code": "gjj", "name": "公积金", "prefix": "f", "windows": ["zc-02"], "slot_capacity": 1});
        let (status, body) = post(&app, "/api/v1/queue/categories", &new, &admin).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["prefix"], "F");

        // 企业开办 takes two appointments per half hour.
        let today = q::local_day(Utc::now());
        let next = {
            let cal = app.state.calendar.read().unwrap().clone();
            cal.add_working_days(today, 1).date.format("%Y-%m-%d").to_string()
        };
        let book = |phone: &str| json!({"category": "qykb", "date": next, "slot": "09:30", "phone": phone});
        for phone in ["13800000001", "13800000002"] {
            let (status, t) = app.post_json("/api/v1/queue/appointments", &book(phone), None).await;
            assert_eq!(status, StatusCode::CREATED, "{t}");
            assert_eq!(
                (t["channel"].as_str(), t["appointment_slot"].as_str()),
                (Some("appointment"), Some("09:30"))
            );
        }
        let before = count(&app, "SELECT COUNT(*) FROM queue_tickets").await;
        let (status, body) = app
            .post_json("/api/v1/queue/appointments", &book("13800000003"), None)
            .await;
        assert_eq!((status, err(&body)), (StatusCode::CONFLICT, "slot_full"));
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM queue_tickets").await,
            before,
            "nothing written"
        );
        let (status, slots) = app
            .get_json(&format!("/api/v1/queue/appointments/slots?category=qykb&date={next}"))
            .await;
        assert_eq!(status, StatusCode::OK);
        let slot = slots.as_array().unwrap().iter().find(|s| s["slot"] == "09:30").unwrap();
        assert_eq!((slot["booked"].as_i64(), slot["free"].as_i64()), (Some(2), Some(0)));
        assert_eq!(slots[0]["free"], 2);

        let yesterday = (today - chrono::Duration::days(1)).format("%Y-%m-%d").to_string();
        let past = json!({"category": "qykb", "date": yesterday, "slot": "09:30", "phone": "13800000004"});
        let (status, body) = app.post_json("/api/v1/queue/appointments", &past, None).await;
        assert_eq!((status, err(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "slot_past"));
        let closed = json!({"category": "sw", "date": next, "slot": "09:30", "phone": "13800000004"});
        let (status, body) = app.post_json("/api/v1/queue/appointments", &closed, None).await;
        assert_eq!(
            (status, err(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "category_closed")
        );
        let odd = json!({"category": "qykb", "date": next, "slot": "09:10", "phone": "13800000004"});
        let (status, body) = app.post_json("/api/v1/queue/appointments", &odd, None).await;
        assert_eq!((status, err(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_slot"));
        assert_eq!(count(&app, "SELECT COUNT(*) FROM queue_tickets").await, before);
    }
);

both_backends!(only_a_clerk_at_a_window_calls, |app: TestApp| async move {
    let (status, _) = app.post_json("/api/v1/queue/windows/call-next", &json!({}), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    for user in ["operator", "supervisor", "admin"] {
        let token = app.token(user).await;
        let (status, body) = post(&app, "/api/v1/queue/windows/call-next", &json!({}), &token).await;
        assert_eq!((status, err(&body)), (StatusCode::FORBIDDEN, "forbidden"), "{user}");
    }
    let new = tongban_store::NewStaff {
        region_code: crate::helpers::REGION,
        username: "clerk-nowindow",
        display_name: "无窗口的受理人员",
        role: tongban_core::role::Role::Clerk,
        department_code: None,
        window_code: None,
        password: PASSWORD,
    };
    app.state.store.add_staff(&new, "test").await.unwrap();
    let token = app.token("clerk-nowindow").await;
    let (status, body) = post(&app, "/api/v1/queue/windows/call-next", &json!({}), &token).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body["error"]["message"].as_str().unwrap().contains("窗口"), "{body}");
    let (status, _) = app.get_auth("/api/v1/queue/windows/current", &token).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
});

both_backends!(
    appointments_go_first_once_their_slot_begins_and_figures_measure_the_waits,
    |app: TestApp| async move {
        let st = &app.state;
        let region = crate::helpers::REGION;
        // Tuesday 3 June 2025, local time (UTC+8).
        let at =
            |h: u32, m: u32| Utc.with_ymd_and_hms(2025, 6, 3, h, m, 0).single().unwrap() - chrono::Duration::hours(8);
        let clerk = session(&app, "clerk").await;
        let appt = q::book_at(st, region, "zhsl", "2025-06-03", "10:00", "13900001111", at(8, 0))
            .await
            .unwrap();
        assert_eq!(appt.number, "A001");
        let w1 = q::take_at(st, region, "zhsl", None, at(9, 0)).await.unwrap();
        assert_eq!(
            w1.people_ahead,
            Some(0),
            "an appointment not yet due is not ahead of a walk-in"
        );
        let w2 = q::take_at(st, region, "zhsl", None, at(9, 40)).await.unwrap();

        // 09:30: the appointment's slot has not begun, so the walk-in is called.
        let a = q::window_act(st, &clerk, WindowAction::CallNext, at(9, 30))
            .await
            .unwrap();
        assert_eq!(a.ticket.unwrap().number, w1.number);
        q::window_act(st, &clerk, WindowAction::Finish(None), at(9, 36))
            .await
            .unwrap();
        // 10:05: the slot has begun: the appointment goes before the walk-in who came earlier.
        let a = q::window_act(st, &clerk, WindowAction::CallNext, at(10, 5))
            .await
            .unwrap();
        assert_eq!(a.ticket.unwrap().number, appt.number);
        q::window_act(st, &clerk, WindowAction::Finish(None), at(10, 15))
            .await
            .unwrap();
        let a = q::window_act(st, &clerk, WindowAction::CallNext, at(10, 20))
            .await
            .unwrap();
        assert_eq!(a.ticket.unwrap().number, w2.number);
        let a = q::window_act(st, &clerk, WindowAction::Skip, at(10, 23)).await.unwrap();
        assert!(a.ticket.is_none());

        // Waits: 30 min (w1, 09:00→09:30), 5 min (appointment, from its slot at 10:00), 40 min (w2, 09:40→10:20).
        // Serving: 6 and 10 minutes; w2 did not come.
        let supervisor = session(&app, "supervisor").await;
        let day = chrono::NaiveDate::from_ymd_opt(2025, 6, 3).unwrap();
        let r = q::figures(st, &supervisor, day, day).await.unwrap();
        assert_eq!((r.total.tickets, r.total.visitors, r.total.skipped), (3, 2, 1));
        assert_eq!(r.total.avg_wait_minutes, Some(25.0));
        assert_eq!(r.total.p90_wait_minutes, Some(40.0));
        assert_eq!(r.total.avg_serve_minutes, Some(8.0));
        assert_eq!(r.total.p90_serve_minutes, Some(10.0));
        assert_eq!(r.by_day.len(), 1);
        assert_eq!(r.by_window[0].key, "zc-01");

        // The same figures over HTTP, visitors per day included.
        let token = app.token("supervisor").await;
        let (status, f) = app
            .get_auth("/api/v1/queue/figures?from=2025-06-01&to=2025-06-07", &token)
            .await;
        assert_eq!(status, StatusCode::OK, "{f}");
        assert_eq!(f["by_day"][0]["key"], "2025-06-03");
        assert_eq!(f["by_day"][0]["visitors"], 2);
        assert_eq!(f["by_category"][0]["avg_wait_minutes"], 25.0);
        let (status, f) = app
            .get_auth("/api/v1/queue/figures?from=2025-06-07&to=2025-06-01", &token)
            .await;
        assert_eq!((status, err(&f)), (StatusCode::BAD_REQUEST, "invalid_range"));
    }
);

both_backends!(the_kiosk_board_and_window_pages_work, |app: TestApp| async move {
    let kiosk = app.get("/hall/ticket").await.text().await.unwrap();
    assert!(
        kiosk.contains("综合受理") && kiosk.contains("name=\"category\""),
        "{kiosk}"
    );
    let r = app
        .client
        .post(app.url("/hall/ticket"))
        .form(&[("category", "zhsl"), ("phone", "13812345678")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert!(location.ends_with("/A001"), "{location}");
    let ticket = app.get(&location).await.text().await.unwrap();
    assert!(ticket.contains("A001") && ticket.contains("138****5678") && !ticket.contains("13812345678"));
    let r = app
        .client
        .post(app.url("/hall/ticket"))
        .form(&[("category", "nope")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    let appointment = app.get("/hall/appointment?category=qykb").await.text().await.unwrap();
    assert!(appointment.contains("预约取号") && appointment.contains("企业开办"));

    let board = app.get("/hall/board").await;
    assert_eq!(board.status(), StatusCode::OK);
    let board = board.text().await.unwrap();
    assert!(
        board.contains("http-equiv=\"refresh\"") && board.contains("A001"),
        "{board}"
    );
    assert!(!board.contains("5678") && !board.contains("http://") && !board.contains("https://"));
    let css = app.get("/assets/queue.css").await.text().await.unwrap();
    assert!(!css.contains("http"), "no external assets");

    let (clerk, _) = sign_in(&app, "clerk").await;
    let page = clerk
        .get(app.url("/staff/queue"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("窗口叫号") && page.contains("value=\"call_next\""),
        "{page}"
    );
    let csrf = hidden(&page, "csrf");
    let r = clerk
        .post(app.url("/staff/queue"))
        .form(&[("csrf", "forged"), ("action", "call_next")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = clerk
        .post(app.url("/staff/queue"))
        .form(&[("csrf", csrf.as_str()), ("action", "call_next")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = clerk
        .get(app.url("/staff/queue"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("A001") && page.contains("13812345678") && page.contains("value=\"finish\""),
        "{page}"
    );
    let board = app.get("/hall/board").await.text().await.unwrap();
    assert!(
        board.contains("综合受理窗口1号"),
        "the board shows where A001 is called"
    );

    let (operator, _) = sign_in(&app, "operator").await;
    let r = operator.get(app.url("/staff/queue")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    let (admin, _) = sign_in(&app, "admin").await;
    let page = admin
        .get(app.url("/staff/queue/categories"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("取号类别") && page.contains("zq-bdcdj"), "{page}");
    let (supervisor, _) = sign_in(&app, "supervisor").await;
    let r = supervisor.get(app.url("/staff/queue/figures")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("接待人次"));
});
