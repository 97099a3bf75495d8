//! 政务公开 on both databases: the catalog; items drafted by one person and published by another (谁发布、谁负责);
//! the public listing and search; requests for disclosure on the working-day calendar (extension, correction,
//! consultation, replies with their grounds) with the bad inputs that must write nothing; the letters; the pages;
//! and the annual report checked cell by cell against a small year computed by hand.

use crate::both_backends;
use crate::helpers::{urlencode, TestApp};
use crate::web::sign_in_with_csrf as sign_in;
use chrono::NaiveDate;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tongban_app::disclosure::{self as d, DraftInput, ItemAction, RequestAction, RequestInput};

fn err(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let row = sqlx::query(sql).fetch_one(app.state.store.pool()).await.unwrap();
    sqlx::Row::try_get::<i64, _>(&row, 0).unwrap()
}

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

fn person_id(first17: &str) -> String {
    format!(
        "{first17}{}",
        tongban_core::ids::ResidentId::check_char(first17).unwrap()
    )
}

fn credit_code(first17: &str) -> String {
    format!(
        "{first17}{}",
        tongban_core::ids::CreditCode::check_char(first17).unwrap()
    )
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

both_backends!(
    items_are_drafted_by_one_and_published_by_another,
    |app: TestApp| async move {
        app.department_staff().await;
        let (status, catalog) = app.get_json("/api/v1/disclosure/catalog").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(catalog.as_array().unwrap().len(), 32, "the shipped catalog");
        assert_eq!(catalog[12]["code"], "GK-13");
        assert_eq!(catalog[12]["level2"], "最低生活保障");

        let discloser = app.token("discloser").await;
        let head = app.token("head-mzj").await;
        let reviewer = app.token("reviewer-mzj").await;
        let other_head = app.token("head").await; // 区行政审批局

        let draft = json!({"department": "mzj", "catalog": "GK-13", "title": "云溪区2026年城乡低保标准调整公告",
        "body": "经区人民政府同意，城市低保标准提高到每人每月680元。"});
        let (status, item) = app
            .post_json("/api/v1/disclosure/items", &draft, Some(&discloser))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{item}");
        assert_eq!(
            (item["state"].as_str(), item["author"].as_str()),
            (Some("draft"), Some("discloser"))
        );
        let id = item["id"].as_i64().unwrap();

        // Unknown catalog entry: 404, nothing written.
        let before = count(&app, "SELECT COUNT(*) FROM disclosure_items").await;
        let mut bad = draft.clone();
        bad["catalog"] = json!("GK-99");
        let (status, body) = app.post_json("/api/v1/disclosure/items", &bad, Some(&discloser)).await;
        assert_eq!((status, err(&body)), (StatusCode::NOT_FOUND, "not_found"), "{body}");
        assert_eq!(count(&app, "SELECT COUNT(*) FROM disclosure_items").await, before);
        // A clerk drafts nothing.
        let clerk = app.token("clerk").await;
        let (status, _) = app.post_json("/api/v1/disclosure/items", &draft, Some(&clerk)).await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // The author cannot publish their own draft; the draft is untouched.
        let publish = json!({"action": "publish"});
        let path = format!("/api/v1/disclosure/items/{id}/actions");
        let (status, body) = app.post_json(&path, &publish, Some(&discloser)).await;
        assert_eq!(
            (status, err(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "self_approval"),
            "{body}"
        );
        // Another department's draft does not exist for another department's head; nor is it public yet.
        let (status, _) = app.post_json(&path, &publish, Some(&other_head)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = app.get_json(&format!("/api/v1/disclosure/items/{id}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "a draft is not public");
        let (_, public) = app.get_json("/api/v1/disclosure/items?q=低保标准").await;
        assert_eq!(public["total"], 0);

        let (status, item) = app.post_json(&path, &publish, Some(&head)).await;
        assert_eq!(status, StatusCode::OK, "{item}");
        assert_eq!(item["state"], "published");
        assert_eq!(item["author"], "discloser");
        assert_eq!(item["approver"], "head-mzj");
        assert!(item["published_on"].is_string());
        let (status, body) = app.post_json(&path, &publish, Some(&head)).await;
        assert_eq!((status, err(&body)), (StatusCode::CONFLICT, "invalid_state"), "{body}");

        // Returned, revised by its author, then published.
        let (_, second) = app
            .post_json(
                "/api/v1/disclosure/items",
                &json!({"catalog": "GK-14", "title": "特困人员供养标准", "body": "草稿"}),
                Some(&reviewer),
            )
            .await;
        assert_eq!(
            second["department"], "mzj",
            "department staff draft for their own department"
        );
        let path2 = format!("/api/v1/disclosure/items/{}/actions", second["id"]);
        let (status, body) = app.post_json(&path2, &json!({"action": "return"}), Some(&head)).await;
        assert_eq!(
            (status, err(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "missing_field")
        );
        let (_, returned) = app
            .post_json(
                &path2,
                &json!({"action": "return", "note": "请写明标准金额"}),
                Some(&head),
            )
            .await;
        assert_eq!(
            (returned["state"].as_str(), returned["return_note"].as_str()),
            (Some("returned"), Some("请写明标准金额"))
        );
        let (status, _) = app
            .post_json(
                &path2,
                &json!({"action": "revise", "title": "x", "body": "y"}),
                Some(&head),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "only the author revises");
        let (_, revised) = app
            .post_json(
                &path2,
                &json!({"action": "revise", "title": "2026年特困人员供养标准", "body": "基本生活标准每人每月884元。"}),
                Some(&reviewer),
            )
            .await;
        assert_eq!(revised["state"], "draft");
        let (_, published) = app.post_json(&path2, &publish, Some(&discloser)).await;
        assert_eq!(
            (published["state"].as_str(), published["approver"].as_str()),
            (Some("published"), Some("discloser"))
        );

        // The public listing: by search words, department and catalog entry.
        let (_, found) = app
            .get_json(&format!("/api/v1/disclosure/items?q={}", urlencode("低保标准")))
            .await;
        assert_eq!(found["total"], 1, "{found}");
        assert_eq!(found["data"][0]["catalog_name"], "社会救助 / 最低生活保障");
        let (_, by_dept) = app.get_json("/api/v1/disclosure/items?department=mzj").await;
        assert_eq!(by_dept["total"], 2);
        let (_, by_entry) = app.get_json("/api/v1/disclosure/items?catalog=GK-14").await;
        assert_eq!(by_entry["total"], 1);
        let (status, body) = app.get_json("/api/v1/disclosure/items?from=2026-13-01").await;
        assert_eq!((status, err(&body)), (StatusCode::BAD_REQUEST, "invalid_date"));

        let (_, figures) = app.get_json("/api/v1/disclosure/figures").await;
        let mzj = figures["by_department"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["department"] == "mzj")
            .unwrap();
        assert_eq!(mzj["published"], 2, "{figures}");

        // Every change was audited.
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'disclosure.item.published'"
            )
            .await,
            2
        );
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'disclosure.item.returned'"
            )
            .await,
            1
        );

        // Pages.
        let listing = app
            .get(&format!("/gk?q={}", urlencode("低保")))
            .await
            .text()
            .await
            .unwrap();
        assert!(listing.contains("云溪区2026年城乡低保标准调整公告"), "listing");
        let page = app.get(&format!("/gk/items/{id}")).await.text().await.unwrap();
        assert!(page.contains("head-mzj") && page.contains("680元"));
        let cat = app.get("/gk/catalog").await.text().await.unwrap();
        assert!(cat.contains("最低生活保障") && cat.contains("公开层级"));
        let home = app.get("/").await.text().await.unwrap();
        assert!(home.contains("href=\"/gk\""), "portal links to 政务公开");

        // The workbench: a draft from the page, published by another person from the page.
        let (client, csrf) = sign_in(&app, "reviewer-mzj").await;
        let r = client
            .post(app.url("/staff/disclosure/items"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("catalog", "GK-15"),
                ("title", "临时救助资金发放情况"),
                ("body", "第三季度发放12户。"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (client, csrf) = sign_in(&app, "head-mzj").await;
        let bench = client
            .get(app.url("/staff/disclosure"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(bench.contains("临时救助资金发放情况") && bench.contains("待我审核发布"));
        let id3: i64 = count(&app, "SELECT MAX(id) FROM disclosure_items").await;
        let r = client
            .post(app.url(&format!("/staff/disclosure/items/{id3}")))
            .form(&[("csrf", csrf.as_str()), ("action", "publish")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, item3) = app.get_json(&format!("/api/v1/disclosure/items/{id3}")).await;
        assert_eq!(
            (item3["author"].as_str(), item3["approver"].as_str()),
            (Some("reviewer-mzj"), Some("head-mzj"))
        );

        // The administrator edits the catalog; others may not.
        let admin = app.token("admin").await;
        let entry = json!({"level1": "社会救助", "level2": "医疗救助", "content": "救助对象、标准、程序", "basis": "《社会救助暂行办法》",
        "time_limit": "20个工作日", "subject": "区医疗保障局", "channels": "政府网站", "object": "全社会", "method": "主动", "level": "县级"});
        let (status, saved) = app.put_json("/api/v1/disclosure/catalog/GK-33", &entry, &admin).await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        let (status, _) = app
            .put_json("/api/v1/disclosure/catalog/GK-34", &entry, &discloser)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (_, catalog) = app.get_json("/api/v1/disclosure/catalog").await;
        assert_eq!(catalog.as_array().unwrap().len(), 33);
    }
);

fn person_request(department: &str) -> Value {
    json!({"department": department, "applicant_kind": "person", "name": "李建国",
        "id_number": person_id("43060319850712001"), "phone": "13812345678", "email": "li@example.cn",
        "description": "云溪镇八一村集体土地征收补偿安置方案", "delivery": "email"})
}

both_backends!(
    requests_run_on_the_calendar_and_refuse_bad_steps,
    |app: TestApp| async move {
        let cal = tongban_core::calendar::Calendar::official();
        let today = tongban_app::time::today();
        let due = |start: NaiveDate, n: u32| cal.add_working_days(start, n).date.format("%Y-%m-%d").to_string();

        // Intake by the public, and what it refuses.
        let (status, r) = app
            .post_json("/api/v1/disclosure/requests", &person_request("zrzyj"), None)
            .await;
        assert_eq!(status, StatusCode::CREATED, "{r}");
        let number = r["number"].as_str().unwrap().to_string();
        assert!(number.starts_with("GK"), "{number}");
        assert_eq!(r["state"], "received");
        assert_eq!(r["channel"], "online");
        assert_eq!(r["due_date"], due(today, 20), "20 working days from receipt");
        for (change, code, status) in [
            (
                json!({"email": null}),
                "missing_email",
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                json!({"delivery": "fax"}),
                "invalid_delivery",
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (json!({"department": "nope"}), "not_found", StatusCode::NOT_FOUND),
            (
                json!({"id_number": "430603198507120010"}),
                "invalid_resident_id",
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                json!({"applicant_kind": "organisation", "credit_code": credit_code("91430603MA4L0X0X0")}),
                "invalid_org_kind",
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                json!({"description": " "}),
                "missing_field",
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
        ] {
            let mut body = person_request("zrzyj");
            for (k, v) in change.as_object().unwrap() {
                body[k] = v.clone();
            }
            let (s, b) = app.post_json("/api/v1/disclosure/requests", &body, None).await;
            assert_eq!((s, err(&b)), (status, code), "{change}: {b}");
        }
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM disclosure_requests").await,
            1,
            "refusals write nothing"
        );

        let discloser = app.token("discloser").await;
        let path = format!("/api/v1/disclosure/requests/{number}/actions");
        let events = || async { count(&app, "SELECT COUNT(*) FROM disclosure_request_events").await };
        assert_eq!(events().await, 1);

        // Extension: beyond 20 days refused, nothing written; one of 10 allowed with its notice; a second refused.
        let (status, body) = app
            .post_json(
                &path,
                &json!({"action": "extend", "days": 25, "reason": "需要调取档案"}),
                Some(&discloser),
            )
            .await;
        assert_eq!(
            (status, err(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "extension_too_long"),
            "{body}"
        );
        assert_eq!(events().await, 1);
        let reviewer = app.token("reviewer").await;
        let (status, _) = app
            .post_json(
                &path,
                &json!({"action": "extend", "days": 5, "reason": "x"}),
                Some(&reviewer),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "another department's request does not exist for its reviewer"
        );
        let (status, r) = app
            .post_json(
                &path,
                &json!({"action": "extend", "days": 10, "reason": "需要调取档案"}),
                Some(&discloser),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{r}");
        assert_eq!(r["extended_days"], 10);
        assert_eq!(r["due_date"], due(today, 30));
        let (status, body) = app
            .post_json(
                &path,
                &json!({"action": "extend", "days": 5, "reason": "再延"}),
                Some(&discloser),
            )
            .await;
        assert_eq!((status, err(&body)), (StatusCode::CONFLICT, "already_extended"));

        // Consultation stops the clock; the reply with a wrong ground is refused.
        let (_, r) = app
            .post_json(
                &path,
                &json!({"action": "consult", "third_party": "被征收户王某"}),
                Some(&discloser),
            )
            .await;
        assert_eq!(
            (r["state"].as_str(), r["timing"]["warning"].as_str()),
            (Some("consulting"), Some("suspended"))
        );
        let (status, body) = app
            .post_json(
                &path,
                &json!({"action": "reply", "kind": "withhold", "ground": "third_party"}),
                Some(&discloser),
            )
            .await;
        assert_eq!(
            (status, err(&body)),
            (StatusCode::CONFLICT, "invalid_state"),
            "reply while consulting: {body}"
        );
        let (_, r) = app
            .post_json(&path, &json!({"action": "resume"}), Some(&discloser))
            .await;
        assert_eq!(r["state"], "received");
        let (status, body) = app
            .post_json(
                &path,
                &json!({"action": "reply", "kind": "withhold", "ground": "disclosed"}),
                Some(&discloser),
            )
            .await;
        assert_eq!(
            (status, err(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_ground")
        );
        let (status, r) = app
            .post_json(
                &path,
                &json!({"action": "reply", "kind": "withhold", "ground": "third_party", "text": "第三方不同意公开。"}),
                Some(&discloser),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{r}");
        assert_eq!(
            (r["state"].as_str(), r["on_time"].as_bool()),
            (Some("replied"), Some(true))
        );
        assert_eq!(r["reply_label"], "不予公开：保护第三方合法权益");
        // A reply past the state that allows it: a clear error, nothing written.
        let before = events().await;
        for step in [
            json!({"action": "reply", "kind": "disclose", "ground": "disclosed"}),
            json!({"action": "request_correction", "note": "x"}),
            json!({"action": "consult", "third_party": "x"}),
        ] {
            let (status, body) = app.post_json(&path, &step, Some(&discloser)).await;
            assert_eq!(
                (status, err(&body)),
                (StatusCode::CONFLICT, "invalid_state"),
                "{step}: {body}"
            );
        }
        assert_eq!(events().await, before);
        let (_, history) = app
            .get_auth(&format!("/api/v1/disclosure/requests/{number}/events"), &discloser)
            .await;
        let actions: Vec<&str> = history
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(actions, ["receive", "extend", "consult", "resume", "reply"]);

        // Correction: within 7 working days, once; the clock restarts on the correction; overdue correction closes.
        let (_, second) = app
            .post_json("/api/v1/disclosure/requests", &person_request("zfb"), None)
            .await;
        let n2 = second["number"].as_str().unwrap().to_string();
        let path2 = format!("/api/v1/disclosure/requests/{n2}/actions");
        let (status, body) = app
            .post_json(
                &path2,
                &json!({"action": "reply", "kind": "other", "ground": "correction_overdue"}),
                Some(&discloser),
            )
            .await;
        assert_eq!(
            (status, err(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_ground")
        );
        let (_, r) = app
            .post_json(
                &path2,
                &json!({"action": "request_correction", "note": "请写明文件名称或文号"}),
                Some(&discloser),
            )
            .await;
        assert_eq!(
            (r["state"].as_str(), r["timing"]["warning"].as_str()),
            (Some("correction"), Some("correction"))
        );
        let (status, body) = app
            .post_json(
                &path2,
                &json!({"action": "reply", "kind": "disclose", "ground": "disclosed"}),
                Some(&discloser),
            )
            .await;
        assert_eq!((status, err(&body)), (StatusCode::CONFLICT, "invalid_state"), "{body}");
        let (_, r) = app
            .post_json(&path2, &json!({"action": "corrected"}), Some(&discloser))
            .await;
        assert_eq!(r["clock_start"], today.format("%Y-%m-%d").to_string());
        let (status, body) = app
            .post_json(
                &path2,
                &json!({"action": "request_correction", "note": "again"}),
                Some(&discloser),
            )
            .await;
        assert_eq!((status, err(&body)), (StatusCode::CONFLICT, "already_corrected"));

        // The inbox, by deadline, masked; the letters.
        let (status, inbox) = app.get_auth("/api/v1/disclosure/requests", &discloser).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(inbox.as_array().unwrap().len(), 1);
        assert_eq!(inbox[0]["phone"], "138****5678");
        assert!(inbox[0]["applicant_identifier"].as_str().unwrap().contains("****"));
        let (client, _) = sign_in(&app, "discloser").await;
        let letter = client
            .get(app.url(&format!("/staff/disclosure/requests/{number}/letter/reply")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            letter.contains("政府信息公开申请答复告知书") && letter.contains("第三方合法权益"),
            "{letter}"
        );
        let notice = client
            .get(app.url(&format!("/staff/disclosure/requests/{number}/letter/extension")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(notice.contains("延长10个工作日"), "{notice}");
        let bench = client
            .get(app.url("/staff/disclosure"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            bench.contains(&n2) && bench.contains("light-"),
            "the inbox shows the open request"
        );
        let page = client
            .get(app.url(&format!("/staff/disclosure/requests/{n2}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("答复并生成告知书"));

        // The applicant's progress query: number plus the last four characters of the ID or phone.
        let (status, p) = app
            .get_json(&format!("/api/v1/disclosure/progress?number={number}&code=5678"))
            .await;
        assert_eq!(status, StatusCode::OK, "{p}");
        assert_eq!(p["state_label"], "已答复");
        assert!(p.get("phone").is_none());
        let (status, _) = app
            .get_json(&format!("/api/v1/disclosure/progress?number={number}&code=0000"))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let page = app
            .get(&format!("/gk/progress?number={n2}&code=5678"))
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains("办理中"), "progress page");

        // The citizens' form.
        let form = app.get("/gk/apply").await.text().await.unwrap();
        assert!(form.contains("获取信息的方式"));
        let id = person_id("43060319900101003");
        let r = app
            .client
            .post(app.url("/gk/apply"))
            .form(&[
                ("department", "sthjj"),
                ("applicant_kind", "person"),
                ("name", "张伟"),
                ("id_number", id.as_str()),
                ("phone", "13900001111"),
                ("description", "2026年环境空气质量状况"),
                ("delivery", "pickup"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        assert!(r.text().await.unwrap().contains("申请编号"));
    }
);

both_backends!(
    deadlines_stop_for_consultation_and_restart_on_correction,
    |app: TestApp| async move {
        // Fixed dates in 2025 (official calendar): 2025-09-01 is a Monday.
        let s = session(&app, "discloser").await;
        let st = &app.state;
        let input = || RequestInput {
            department: "zfb".into(),
            applicant_kind: "person".into(),
            org_kind: None,
            name: "赵敏".into(),
            id_number: Some(person_id("43060319881122004")),
            credit_code: None,
            phone: "13907301234".into(),
            email: Some("z@example.cn".into()),
            address: None,
            description: "区政府常务会议纪要".into(),
            purpose: None,
            delivery: "email".into(),
            channel: None,
            received_on: None,
        };
        let r = d::file_request(
            st,
            "430603",
            input(),
            Some(&s),
            day("2025-09-01"),
            "2025-09-01T01:00:00Z",
            None,
        )
        .await
        .unwrap();
        // 20 working days from Mon 1 Sep 2025: Sunday 28 Sep, a make-up working day (调休) before 国庆.
        assert_eq!(r.due_date, "2025-09-28");
        // Consult from 3 Sep to 10 Sep: 5 working days not counted.
        d::act_on_request(
            st,
            &s,
            &r.number,
            RequestAction::Consult {
                third_party: "第三方"
            },
            day("2025-09-03"),
            "t",
        )
        .await
        .unwrap();
        let r2 = d::act_on_request(
            st,
            &s,
            &r.number,
            RequestAction::Resume { note: "" },
            day("2025-09-10"),
            "t",
        )
        .await
        .unwrap();
        assert_eq!(r2.suspended_days, 5);
        let cal = tongban_core::calendar::Calendar::official();
        assert_eq!(
            r2.due_date,
            cal.add_working_days(day("2025-09-01"), 25).date.to_string()
        );

        let c = d::file_request(st, "430603", input(), Some(&s), day("2025-09-01"), "t", None)
            .await
            .unwrap();
        // 8 working days after receipt is too late for a correction notice.
        let late = d::act_on_request(
            st,
            &s,
            &c.number,
            RequestAction::RequestCorrection { note: "x" },
            day("2025-09-11"),
            "t",
        )
        .await;
        assert_eq!(late.unwrap_err().code, "correction_too_late");
        d::act_on_request(
            st,
            &s,
            &c.number,
            RequestAction::RequestCorrection {
                note: "请写明文号"
            },
            day("2025-09-05"),
            "t",
        )
        .await
        .unwrap();
        let c2 = d::act_on_request(
            st,
            &s,
            &c.number,
            RequestAction::Corrected { note: "" },
            day("2025-09-15"),
            "t",
        )
        .await
        .unwrap();
        assert_eq!(c2.clock_start, "2025-09-15");
        assert_eq!(
            c2.due_date,
            cal.add_working_days(day("2025-09-15"), 20).date.to_string()
        );
        // Overdue and warned.
        let t = d::timing(
            st,
            &app.state
                .store
                .disclosure_request("430603", &c.number)
                .await
                .unwrap()
                .unwrap(),
            day("2025-12-01"),
        );
        assert_eq!(t.warning, "red");
    }
);

// A small year (2025) set up with known dates and results; every cell of the request table computed by hand.
both_backends!(annual_report_matches_a_hand_computed_year, |app: TestApp| async move {
    app.department_staff().await;
    let st = &app.state;
    let s = session(&app, "discloser").await;
    let head_zfb = session(&app, "head-zfb").await;

    let file = |dept: &'static str, kind: &'static str, org: &'static str, received: &'static str| {
        let s = s.clone();
        async move {
            let person = kind == "person";
            let input = RequestInput {
                department: dept.into(),
                applicant_kind: kind.into(),
                org_kind: (!person).then(|| org.to_string()),
                name: "申请人".into(),
                id_number: person.then(|| person_id("43060319850712001")),
                credit_code: (!person).then(|| credit_code("91430603MA4L0X0X0")),
                phone: "13907301234".into(),
                email: Some("a@example.cn".into()),
                address: None,
                description: "某项政府信息".into(),
                purpose: None,
                delivery: "email".into(),
                channel: None,
                received_on: None,
            };
            d::file_request(st, "430603", input, Some(&s), day(received), "t", None)
                .await
                .unwrap()
                .number
        }
    };
    let reply = |number: String, kind: &'static str, ground: &'static str, on: &'static str| {
        let s = s.clone();
        async move {
            d::act_on_request(
                st,
                &s,
                &number,
                RequestAction::Reply {
                    kind,
                    ground,
                    text: "",
                    refer_to: "区自然资源和规划局",
                },
                day(on),
                "t",
            )
            .await
            .unwrap();
        }
    };
    // A: person, 2024 → replied 2025 (carried in, 予以公开).
    let a = file("zfb", "person", "", "2024-12-20").await;
    reply(a, "disclose", "disclosed", "2025-01-10").await;
    // B: 商业企业, 2024 → replied 2026 (carried in and carried out).
    let b = file("zfb", "organisation", "commercial", "2024-12-27").await;
    reply(b, "disclose", "already_public", "2026-01-05").await;
    // C: person, new, 不予公开·保护第三方合法权益.
    let c = file("zfb", "person", "", "2025-03-03").await;
    reply(c, "withhold", "third_party", "2025-03-20").await;
    // D: 法律服务机构, new, correction never made → 其他处理·逾期不补正.
    let dd = file("zfb", "organisation", "legal", "2025-06-03").await;
    d::act_on_request(
        st,
        &s,
        &dd,
        RequestAction::RequestCorrection {
            note: "请写明文号"
        },
        day("2025-06-04"),
        "t",
    )
    .await
    .unwrap();
    reply(dd, "other", "correction_overdue", "2025-07-10").await;
    // E: person, new in December, still open (carried out).
    file("zfb", "person", "", "2025-12-22").await;
    // F: 科研机构, new, 无法提供·本机关不掌握 (not this organ's).
    let f = file("zfb", "organisation", "research", "2025-05-06").await;
    reply(f, "unavailable", "not_held", "2025-05-20").await;
    // G: handled entirely in 2024; H: received in 2026: neither counts.
    let g = file("zfb", "person", "", "2024-03-01").await;
    reply(g, "disclose", "disclosed", "2024-03-15").await;
    file("zfb", "person", "", "2026-01-05").await;
    // I: another department (民政局): person, new, 部分公开 — in the district's report only.
    let i = file("mzj", "person", "", "2025-04-01").await;
    reply(i, "partial", "partial", "2025-04-10").await;

    // Published items: two of 区政府办 in 2025 (one a normative document repealed in November), one of 民政局 in
    // 2025, a normative document of 2024 still in force, and a draft that never counts.
    let appr = &app;
    let publish = |dept: &'static str, catalog: &'static str, kind: &'static str, on: &'static str| {
        let (s, head) = (s.clone(), head_zfb.clone());
        async move {
            let author = session(appr, &format!("reviewer-{dept}")).await;
            let item = d::draft_item(
                st,
                &author,
                DraftInput {
                    department: None,
                    catalog_code: catalog.into(),
                    title: format!("{dept}{catalog}{on}"),
                    body: "正文".into(),
                    doc_kind: kind.into(),
                    doc_number: String::new(),
                },
                "t",
            )
            .await
            .unwrap();
            let approver = if dept == "zfb" { head } else { s };
            d::act_on_item(
                st,
                &approver,
                item.id,
                ItemAction::Publish,
                &format!("{on}T02:00:00Z"),
                day(on),
            )
            .await
            .unwrap()
            .id
        }
    };
    publish("zfb", "GK-01", "", "2025-02-10").await;
    let repealed = publish("zfb", "GK-02", "normative", "2025-03-05").await;
    d::act_on_item(st, &s, repealed, ItemAction::Repeal, "t", day("2025-11-03"))
        .await
        .unwrap();
    publish("mzj", "GK-13", "", "2025-06-02").await;
    publish("zfb", "GK-02", "normative", "2024-05-06").await;
    let author = session(&app, "reviewer-zfb").await;
    d::draft_item(
        st,
        &author,
        DraftInput {
            department: None,
            catalog_code: "GK-01".into(),
            title: "草稿".into(),
            body: "b".into(),
            doc_kind: String::new(),
            doc_number: String::new(),
        },
        "t",
    )
    .await
    .unwrap();

    // Appeals: a reconsideration upheld in 2025; a lawsuit pending; a lawsuit after reconsideration decided in 2026.
    let r1 = d::record_appeal(st, &s, "zfb", "reconsideration", "", "2025-08-01", "t")
        .await
        .unwrap();
    d::decide_appeal(st, &s, r1.id, "upheld", "2025-09-01").await.unwrap();
    d::record_appeal(st, &s, "zfb", "litigation", "", "2025-10-01", "t")
        .await
        .unwrap();
    let r3 = d::record_appeal(st, &s, "mzj", "litigation_after", "", "2025-02-01", "t")
        .await
        .unwrap();
    d::decide_appeal(st, &s, r3.id, "corrected", "2026-02-01")
        .await
        .unwrap();
    let again = d::decide_appeal(st, &s, r3.id, "upheld", "2026-02-02").await;
    assert_eq!(again.unwrap_err().kind, tongban_app::ErrorKind::Conflict);

    let discloser = app.token("discloser").await;
    let (status, district) = app.get_auth("/api/v1/disclosure/report?year=2025", &discloser).await;
    assert_eq!(status, StatusCode::OK, "{district}");
    let row = |report: &Value, key: &str| -> Vec<i64> {
        report["requests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["key"] == key)
            .unwrap_or_else(|| panic!("row {key}"))["cells"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect()
    };
    //                                   自然人 商业 科研 公益 法律 其他 总计
    let expected_district: [(&str, [i64; 7]); 9] = [
        ("new", [3, 0, 1, 0, 1, 0, 5]),                      // C, E, I; F; D
        ("carried_in", [1, 1, 0, 0, 0, 0, 2]),               // A; B
        ("disclose", [1, 0, 0, 0, 0, 0, 1]),                 // A
        ("partial", [1, 0, 0, 0, 0, 0, 1]),                  // I
        ("withhold.third_party", [1, 0, 0, 0, 0, 0, 1]),     // C
        ("unavailable.not_held", [0, 0, 1, 0, 0, 0, 1]),     // F
        ("other.correction_overdue", [0, 0, 0, 0, 1, 0, 1]), // D
        ("total", [3, 0, 1, 0, 1, 0, 5]),
        ("carried_out", [1, 1, 0, 0, 0, 0, 2]), // E; B
    ];
    for (key, cells) in expected_district {
        assert_eq!(row(&district, key), cells, "district row {key}");
    }
    for key in [
        "withhold.state_secret",
        "not_processed.repeated",
        "other.other",
        "unavailable.needs_creation",
    ] {
        assert_eq!(row(&district, key), [0; 7], "district row {key}");
    }
    assert_eq!(
        district["requests"].as_array().unwrap().len(),
        25,
        "2 + 22 result rows + carried out"
    );
    // The check: new + carried-in = handled + carried-out, in every column.
    let (n, c, t, o) = (
        row(&district, "new"),
        row(&district, "carried_in"),
        row(&district, "total"),
        row(&district, "carried_out"),
    );
    for k in 0..7 {
        assert_eq!(n[k] + c[k], t[k] + o[k], "column {k}");
    }
    assert_eq!(district["balanced"], true);
    assert_eq!(district["published_total"], 3);
    assert_eq!(district["documents"][1]["label"], "行政规范性文件");
    assert_eq!(
        (
            &district["documents"][1]["issued"],
            &district["documents"][1]["repealed"],
            &district["documents"][1]["in_force"]
        ),
        (&json!(1), &json!(1), &json!(1))
    );
    assert_eq!(
        district["appeals"],
        json!([1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1]),
        "复议 upheld; direct lawsuit pending; lawsuit after reconsideration decided only in 2026"
    );

    // The department's report counts only its own.
    let head = app.token("head-zfb").await;
    let (status, zfb) = app
        .get_auth("/api/v1/disclosure/report?year=2025&department=zfb", &head)
        .await;
    assert_eq!(status, StatusCode::OK, "{zfb}");
    assert_eq!(row(&zfb, "new"), [2, 0, 1, 0, 1, 0, 4]);
    assert_eq!(row(&zfb, "carried_in"), [1, 1, 0, 0, 0, 0, 2]);
    assert_eq!(row(&zfb, "total"), [2, 0, 1, 0, 1, 0, 4]);
    assert_eq!(row(&zfb, "partial"), [0; 7]);
    assert_eq!(row(&zfb, "carried_out"), [1, 1, 0, 0, 0, 0, 2]);
    assert_eq!(zfb["published_total"], 2);
    assert_eq!(zfb["appeals"][4], 1);
    assert_eq!(zfb["appeals"][14], 0);
    assert!(zfb["title"]
        .as_str()
        .unwrap()
        .contains("2025年政府信息公开工作年度报告"));
    let (status, _) = app
        .get_auth("/api/v1/disclosure/report?year=2025&department=mzj", &head)
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a department head reads only their own department's report"
    );
    // 2026 carries B's and E's state forward: B handled, E still open.
    let (_, next) = app.get_auth("/api/v1/disclosure/report?year=2026", &discloser).await;
    assert_eq!(row(&next, "carried_in"), [1, 1, 0, 0, 0, 0, 2]);
    assert_eq!(row(&next, "new"), [1, 0, 0, 0, 0, 0, 1]);
    assert_eq!(next["balanced"], true);

    // The written sections: by the officer (or the department's head for its own report), shown in the report.
    let texts = json!({"year": 2025, "department": "zfb", "problems": "信息发布及时性不够。\n个别栏目更新慢。",
        "other_matters": "本年度未收取信息处理费。"});
    let r = app
        .client
        .put(app.url("/api/v1/disclosure/report/texts"))
        .bearer_auth(&head)
        .json(&texts)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let mut other = texts.clone();
    other["department"] = json!("mzj");
    let (status, _) = app.put_json("/api/v1/disclosure/report/texts", &other, &head).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, zfb) = app
        .get_auth("/api/v1/disclosure/report?year=2025&department=zfb", &head)
        .await;
    assert_eq!(zfb["problems"], json!(["信息发布及时性不够。", "个别栏目更新慢。"]));

    // XLSX and the page.
    let r = app
        .client
        .get(app.url("/api/v1/disclosure/report.xlsx?year=2025"))
        .bearer_auth(&discloser)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"].to_str().unwrap().contains("spreadsheetml"));
    let bytes = r.bytes().await.unwrap();
    assert!(bytes.starts_with(b"PK"), "an XLSX (zip) file");
    let (client, _) = sign_in(&app, "discloser").await;
    let page = client
        .get(app.url("/staff/disclosure/report?year=2025"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("收到和处理政府信息公开申请情况") && page.contains("各列均相符"),
        "report page"
    );
    assert!(page.contains("保护第三方合法权益") && page.contains("下载XLSX"));
});

both_backends!(
    letters_count_from_the_day_they_were_signed_for,
    |app: TestApp| async move {
        let cal = tongban_core::calendar::Calendar::official();
        let today = tongban_app::time::today();
        let ymd = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
        // The day that lies `n` working days before today.
        let back = |n: i64| {
            let mut d = today;
            while cal.working_days_between(d, today) < n {
                d = d.pred_opt().unwrap();
            }
            d
        };
        let signed = back(3);
        let discloser = app.token("discloser").await;
        let with = |change: Value| {
            let mut body = person_request("zrzyj");
            for (k, v) in change.as_object().unwrap() {
                body[k] = v.clone();
            }
            body
        };

        let (status, r) = app
            .post_json(
                "/api/v1/disclosure/requests",
                &with(json!({"channel": "letter", "received_on": ymd(signed)})),
                Some(&discloser),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{r}");
        assert_eq!(r["channel"], "letter");
        assert_eq!(r["channel_label"], "信函");
        assert_eq!(r["received_on"], ymd(signed));
        assert_eq!(
            r["due_date"],
            ymd(cal.add_working_days(signed, 20).date),
            "20 working days from the day the letter was signed for, not from its entry"
        );

        for (change, token, code) in [
            (json!({"received_on": ymd(signed)}), None, "received_on_not_allowed"),
            (json!({"channel": "letter"}), None, "invalid_channel"),
            (
                json!({"channel": "pigeon"}),
                Some(discloser.as_str()),
                "invalid_channel",
            ),
            (
                json!({"channel": "letter", "received_on": ymd(today.succ_opt().unwrap())}),
                Some(discloser.as_str()),
                "received_on_in_future",
            ),
            (
                json!({"channel": "letter", "received_on": ymd(back(21))}),
                Some(discloser.as_str()),
                "received_on_too_old",
            ),
        ] {
            let (s, b) = app
                .post_json("/api/v1/disclosure/requests", &with(change.clone()), token)
                .await;
            assert_eq!((s, err(&b)), (StatusCode::UNPROCESSABLE_ENTITY, code), "{change}: {b}");
        }
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM disclosure_requests").await,
            1,
            "refusals write nothing"
        );

        // The workbench page records a fax with its day.
        let (client, csrf) = sign_in(&app, "discloser").await;
        let form = client
            .get(app.url("/staff/disclosure/requests/new"))
            .send()
            .await
            .unwrap();
        assert_eq!(form.status(), StatusCode::OK);
        let form = form.text().await.unwrap();
        assert!(form.contains("签收日期") && form.contains("传真"), "{form}");
        let id = person_id("43060319850712001");
        let fields = |received: String| {
            vec![
                ("csrf", csrf.clone()),
                ("channel", "fax".to_string()),
                ("received_on", received),
                ("department", "zrzyj".to_string()),
                ("applicant_kind", "person".to_string()),
                ("name", "王小红".to_string()),
                ("id_number", id.clone()),
                ("phone", "13812345678".to_string()),
                ("description", "2025年度城乡建设用地增减挂钩项目批复".to_string()),
                ("delivery", "paper".to_string()),
                ("address", "岳阳市云溪区云溪镇".to_string()),
            ]
        };
        let bad = client
            .post(app.url("/staff/disclosure/requests/new"))
            .form(&fields("2026-02-30".into()))
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.text().await.unwrap().contains("应为YYYY-MM-DD"));
        let done = client
            .post(app.url("/staff/disclosure/requests/new"))
            .form(&fields(ymd(back(1))))
            .send()
            .await
            .unwrap();
        assert_eq!(done.status(), StatusCode::SEE_OTHER);
        let to = done.headers()["location"].to_str().unwrap().to_string();
        assert!(to.starts_with("/staff/disclosure/requests/GK"), "{to}");
        let page = client.get(app.url(&to)).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("传真") && page.contains(&ymd(back(1))), "{page}");
        // A correction notice on its page: the next page says the request now waits for the applicant.
        let csrf = crate::web::hidden(&page, "csrf");
        let r = client
            .post(app.url(&to))
            .form(&[
                ("csrf", csrf.as_str()),
                ("action", "request_correction"),
                ("note", "请写明所需批复的文号或批准日期"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let next = r.headers()["location"].to_str().unwrap().to_string();
        let page = client.get(app.url(&next)).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("已补正告知。下一步：等待申请人补正"), "{page}");
        assert_eq!(count(&app, "SELECT COUNT(*) FROM disclosure_requests").await, 2);

        // Not a page for window clerks.
        let (clerk, _) = crate::web::sign_in(&app, "clerk").await;
        let r = clerk
            .get(app.url("/staff/disclosure/requests/new"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }
);
