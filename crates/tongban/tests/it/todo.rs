//! 待我办理 over HTTP on both databases: each step of a case puts it in the to-do list of the role whose step comes
//! next — of the case's department, at the site it was filed — and takes it out of the others'; the page after a
//! step says who is next; the list is searched by number, applicant and item; 12345 orders and disclosure requests
//! wait for whoever takes their next step; the home page's figures count what waits.

use crate::both_backends;
use crate::helpers::{TestApp, APPLICANT_ID};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn todo(app: &TestApp, token: &str, q: &str) -> Value {
    let (status, body) = app
        .get_auth(&format!("/api/v1/me/todo?q={}", crate::helpers::urlencode(q)), token)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// The (kind, number, step) of each entry of the reader's to-do list.
async fn entries(app: &TestApp, token: &str, q: &str) -> Vec<(String, String, String)> {
    todo(app, token, q).await["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap_or("").to_string(),
                e["number"].as_str().unwrap_or("").to_string(),
                e["step"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// The step the reader is to take on `number`, if it waits for them.
async fn step_of(app: &TestApp, token: &str, number: &str) -> Option<String> {
    entries(app, token, "")
        .await
        .into_iter()
        .find(|(_, n, _)| n == number)
        .map(|(_, _, step)| step)
}

both_backends!(a_case_waits_only_for_whose_step_is_next, |app: TestApp| async move {
    app.department_staff().await;
    let clerk = app.token("clerk").await;
    let reviewer = app.token("reviewer").await;
    let head = app.token("head").await;
    // Another department's staff and a role no case step waits for.
    let other_reviewer = app.token("reviewer-rsj").await;
    let supervisor = app.token("supervisor").await;
    let readers = [
        ("clerk", &clerk),
        ("reviewer", &reviewer),
        ("head", &head),
        ("reviewer-rsj", &other_reviewer),
        ("supervisor", &supervisor),
    ];

    let mut case = app.file_at_window(&clerk).await;
    let number = case["number"].as_str().unwrap().to_string();
    // (the step just taken, who is next and what they are to do)
    let steps = [
        (None, Some(("clerk", "受理"))),
        (Some(("accept", &clerk)), Some(("reviewer", "审查并提出意见"))),
        (Some(("review", &reviewer)), Some(("head", "准予许可"))),
        (Some(("approve", &head)), Some(("reviewer", "出证"))),
        (Some(("issue", &reviewer)), Some(("clerk", "送达"))),
        (Some(("deliver", &clerk)), None),
    ];
    for (taken, next) in steps {
        if let Some((action, token)) = taken {
            case = app.step(token, case, action).await;
        }
        for (who, token) in readers {
            let expected = next.filter(|(n, _)| *n == who).map(|(_, step)| step.to_string());
            assert_eq!(
                step_of(&app, token, &number).await,
                expected,
                "after {taken:?}: {who}'s to-do",
                taken = taken.map(|t| t.0)
            );
        }
    }
});

both_backends!(the_to_do_list_is_searched_and_counted, |app: TestApp| async move {
    let clerk = app.token("clerk").await;
    let reviewer = app.token("reviewer").await;
    let mut numbers = vec![];
    for _ in 0..3 {
        let c = app.file_at_window(&clerk).await;
        let c = app.step(&clerk, c, "accept").await;
        numbers.push(c["number"].as_str().unwrap().to_string());
    }
    let all = todo(&app, &reviewer, "").await;
    assert_eq!(all["counts"]["total"], 3, "{all}");
    assert_eq!(all["entries"].as_array().unwrap().len(), 3);
    // Just accepted: the promise runs for days yet.
    assert_eq!(all["counts"]["overdue"], 0);
    assert_eq!(all["entries"][0]["urgency"], "normal");
    assert_eq!(all["entries"][0]["department"], "区行政审批局");

    // By the whole number, by its start, by the applicant's name and ID number, by part of the item's name.
    let one = todo(&app, &reviewer, &numbers[1]).await;
    assert_eq!(one["counts"]["total"], 1, "{one}");
    assert_eq!(one["entries"][0]["number"], numbers[1].as_str());
    let prefix = &numbers[0][..numbers[0].len() - 2];
    let starting = numbers.iter().filter(|n| n.starts_with(prefix)).count();
    assert_eq!(
        entries(&app, &reviewer, prefix).await.len(),
        starting,
        "by the start of a number"
    );
    for q in ["张三", APPLICANT_ID, "食品经营"] {
        assert_eq!(entries(&app, &reviewer, q).await.len(), 3, "search {q}");
    }
    for q in ["李四", "建设工程", "99999999"] {
        let none = todo(&app, &reviewer, q).await;
        assert_eq!(none["counts"]["total"], 0, "search {q}: {none}");
    }
    // A pattern character is taken as itself, not as a wildcard.
    assert!(entries(&app, &reviewer, "%").await.is_empty());
    assert!(entries(&app, &reviewer, "食品_营").await.is_empty());

    // The case list searches the same way, finished cases included when asked for.
    let (s, list) = app
        .get_auth(
            &format!("/api/v1/cases?q={}", crate::helpers::urlencode("食品经营")),
            &reviewer,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert_eq!(list["total"], 3);

    // The home page opens with what waits; the to-do page lists it and marks it new until it was seen.
    let (client, page) = crate::web::sign_in(&app, "reviewer").await;
    assert!(page.contains("待我办理"), "{page}");
    assert!(page.contains(&numbers[0]), "the home page lists the first entries");
    assert!(!page.contains("在办事项"), "the catalog size is no longer the headline");
    let first = crate::web::fetch(&client, &app, "/staff/todo").await;
    assert!(
        first.contains("<span class=\"tag new\">新</span>"),
        "new before the first look"
    );
    let second = crate::web::fetch(&client, &app, "/staff/todo").await;
    assert!(
        !second.contains("<span class=\"tag new\">新</span>"),
        "seen: no longer new"
    );
    let found = crate::web::fetch(&client, &app, &format!("/staff/todo?q={}", numbers[2])).await;
    assert!(found.contains(&numbers[2]) && !found.contains(&numbers[0]), "{found}");
});

both_backends!(
    orders_and_requests_wait_for_whose_step_is_next,
    |app: TestApp| async move {
        app.department_staff().await;
        let op = app.token("operator").await;
        let dept = app.token("reviewer").await;
        let other = app.token("reviewer-rsj").await;
        let discloser = app.token("discloser").await;
        let (s, o) = app
            .post_json(
                "/api/v1/hotline/orders",
                &json!({"channel": "phone", "category": "ludeng", "title": "路灯不亮", "content": "东门路灯不亮三天了",
                "address": "八字门社区东门", "area_code": "430603001002", "caller_name": "张三",
                "caller_phone": "13812345678"}),
                Some(&op),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{o}");
        let n = o["number"].as_str().unwrap().to_string();
        assert_eq!(step_of(&app, &op, &n).await.as_deref(), Some("派单"));
        assert_eq!(step_of(&app, &dept, &n).await, None);

        let (s, b) = app
            .post_json(
                &format!("/api/v1/hotline/orders/{n}/actions"),
                &json!({"action": "dispatch", "version": o["version"], "department": "xzspj"}),
                Some(&op),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(
            step_of(&app, &op, &n).await,
            None,
            "dispatched: no longer the operator's"
        );
        assert_eq!(step_of(&app, &dept, &n).await.as_deref(), Some("签收"));
        assert_eq!(step_of(&app, &other, &n).await, None);
        let order = todo(&app, &dept, &n).await;
        assert_eq!(order["entries"][0]["kind"], "order");
        assert_eq!(order["entries"][0]["href"], format!("/staff/hotline/orders/{n}"));

        let (s, r) = app
            .post_json(
                "/api/v1/disclosure/requests",
                &json!({"department": "xzspj", "applicant_kind": "person", "name": "李建国",
                "id_number": APPLICANT_ID, "phone": "13812345678", "email": "li@example.cn",
                "description": "本区2026年行政许可事项办理情况", "delivery": "email"}),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        let gk = r["number"].as_str().unwrap().to_string();
        assert_eq!(step_of(&app, &discloser, &gk).await.as_deref(), Some("答复"));
        assert_eq!(step_of(&app, &other, &gk).await, None, "another department's request");
    }
);

both_backends!(
    an_administrator_finds_and_reassigns_an_account,
    |app: TestApp| async move {
        app.department_staff().await;
        let admin = app.token("admin").await;
        let clerk = app.token("clerk").await;
        let reviewer = app.token("reviewer").await;
        let audit_count = || async {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM audit_log WHERE action = 'staff.edit'")
                .fetch_one(app.state.store.pool())
                .await
                .unwrap()
        };
        let put = |who: &'static str, body: Value| {
            let app = &app;
            let admin = admin.clone();
            async move { app.put_json(&format!("/api/v1/staff/{who}"), &body, &admin).await }
        };

        // Refusals change nothing: a reviewer without a department, an unknown window, one's own role, a clerk asking.
        let (s, b) = put("supervisor", json!({"display_name": "李监察", "role": "reviewer"})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        let (s, b) = put(
            "clerk",
            json!({"display_name": "王窗口", "role": "clerk", "window": "no-such"}),
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
        let (s, b) = put("admin", json!({"display_name": "管理员", "role": "clerk"})).await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (StatusCode::CONFLICT, Some("own_account")),
            "{b}"
        );
        let (s, _) = app
            .put_json(
                "/api/v1/staff/supervisor",
                &json!({"display_name": "x", "role": "admin"}),
                &clerk,
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        assert_eq!(audit_count().await, 0);

        // The demo reviewer moves to 区人社局: named, audited, signed out at once, and the to-do follows the department.
        let (s, me) = put(
            "reviewer",
            json!({"display_name": "赵审查", "role": "reviewer", "department": "rsj"}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{me}");
        assert_eq!(me["display_name"], "赵审查");
        assert_eq!(me["department_code"], "rsj");
        assert_eq!(audit_count().await, 1);
        let (s, _) = app.get_auth("/api/v1/me", &reviewer).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "the old session ended");
        let case = app.file_at_window(&clerk).await;
        app.step(&clerk, case.clone(), "accept").await;
        let moved = app.token("reviewer").await;
        assert!(
            entries(&app, &moved, "").await.is_empty(),
            "区行政审批局's case is no longer theirs"
        );

        // The users page finds accounts, edits them, and keeps what was typed when a new account is refused.
        let (client, _) = crate::web::sign_in(&app, "admin").await;
        let found = crate::web::fetch(
            &client,
            &app,
            &format!("/staff/users?q={}", crate::helpers::urlencode("赵审查")),
        )
        .await;
        assert!(found.contains("找到 1 个账号"), "{found}");
        let csrf = crate::web::hidden(&found, "csrf");
        let r = client
            .post(app.url("/staff/users"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("username", "new-clerk"),
                ("display_name", "钱新人"),
                ("role", "clerk"),
                ("department", ""),
                ("window", "zc-01"),
                ("password", "password1234"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = r.text().await.unwrap();
        assert!(
            page.contains("value=\"钱新人\"") && page.contains("value=\"new-clerk\""),
            "kept what was typed"
        );
        assert!(page.contains("<option value=\"zc-01\" selected>"), "kept the window");
        let r = client
            .post(app.url("/staff/users/clerk"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("display_name", "孙窗口"),
                ("role", "clerk"),
                ("department", ""),
                ("window", "zc-01"),
            ])
            .send()
            .await
            .unwrap();
        assert!(r.text().await.unwrap().contains("已更新“孙窗口”"));
    }
);

both_backends!(
    each_supervision_row_opens_the_cases_behind_it,
    |app: TestApp| async move {
        let clerk = app.token("clerk").await;
        let mut numbers = vec![];
        for _ in 0..2 {
            let c = app.file_at_window(&clerk).await;
            let c = app.step(&clerk, c, "accept").await;
            numbers.push(c["number"].as_str().unwrap().to_string());
        }
        let (client, _) = crate::web::sign_in(&app, "supervisor").await;
        let board = crate::web::fetch(&client, &app, "/staff/supervision").await;
        for (link, heading) in [
            ("/staff/cases?department=xzspj&amp;state=all", "办件：区行政审批局"),
            (
                "/staff/cases?item=430603-XK-0537&amp;state=all",
                "办件：食品经营许可证核发",
            ),
        ] {
            assert!(board.contains(&format!("href=\"{link}\"")), "{link} on the board");
            let list = crate::web::fetch(&client, &app, &link.replace("&amp;", "&")).await;
            assert!(list.contains(heading), "{heading}");
            assert!(
                numbers.iter().all(|n| list.contains(n.as_str())),
                "{link} lists the cases"
            );
        }
        // The accepting site's row opens that site's cases; online filings have their own row and list.
        let site_link = board
            .split("href=\"/staff/cases?site=")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("a site row with a link")
            .replace("&amp;", "&");
        let list = crate::web::fetch(&client, &app, &format!("/staff/cases?site={site_link}")).await;
        assert!(numbers.iter().all(|n| list.contains(n.as_str())), "{list}");
        let supervisor = app.token("supervisor").await;
        let (_, online) = app.get_auth("/api/v1/cases?site=online", &supervisor).await;
        assert_eq!(online["total"], 0, "none of them was filed online");
    }
);
