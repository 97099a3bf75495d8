//! 12345 hotline: the work-order life cycle over HTTP with every refusal of the issue, the bulletin, Open311
//! GeoReport v2 (by hand and through the independent PyPI client `georeport`), and the precision and recall of
//! 未诉即办 cluster detection on generated streams.

use crate::both_backends;
use crate::helpers::TestApp;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

async fn new_order(app: &TestApp, op: &str, body: Value) -> (StatusCode, Value) {
    app.post_json("/api/v1/hotline/orders", &body, Some(op)).await
}

fn street_light() -> Value {
    json!({
        "channel": "phone", "category": "ludeng", "title": "路灯不亮", "content": "八字门社区东门路灯不亮三天了",
        "address": "八字门社区东门", "area_code": "430603001002", "caller_name": "张三", "caller_phone": "13812345678"
    })
}

async fn act(app: &TestApp, token: &str, number: &str, body: Value) -> (StatusCode, Value) {
    app.post_json(&format!("/api/v1/hotline/orders/{number}/actions"), &body, Some(token))
        .await
}

async fn order_count(app: &TestApp) -> i64 {
    let (total, _) = app
        .state
        .store
        .work_orders("430603", &Default::default())
        .await
        .unwrap();
    total
}

both_backends!(order_life_cycle_with_extension_and_revisit, |app: TestApp| async move {
    app.department_staff().await;
    let op = app.token("operator").await;
    let dept = app.token("reviewer-zhzfj").await;
    let other = app.token("reviewer-rsj").await;
    let (s, o) = new_order(&app, &op, street_light()).await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    let n = o["number"].as_str().unwrap().to_string();
    assert_eq!(o["state"], "received");
    assert_eq!(o["caller_phone"], "13812345678", "the operator sees the whole number");
    assert!(o["due_at"].as_str().unwrap().ends_with("+08:00"));

    // Lists mask the phone.
    let (s, list) = app.get_auth("/api/v1/hotline/orders?list=dispatch", &op).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list[0]["caller_phone"], "138****5678");

    // A department cannot dispatch (403); signing before dispatch is the wrong state (422 naming the actions).
    let (s, b) = act(&app, &dept, &n, json!({"action": "sign", "version": 1})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    let (s, b) = act(&app, &op, &n, json!({"action": "sign", "version": 1})).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "action_not_allowed"),
        "{b}"
    );
    assert!(b["error"]["details"]["allowed_actions"]
        .as_array()
        .unwrap()
        .contains(&json!("dispatch")));

    let (s, b) = act(
        &app,
        &op,
        &n,
        json!({"action": "dispatch", "version": 1, "department": "zhzfj",
        "co_departments": ["zjj"]}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["state"], "dispatched");
    // A stale version: 409, nothing written.
    let (s, b) = act(&app, &dept, &n, json!({"action": "sign", "version": 1})).await;
    assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "stale_version"));
    // Another department may not sign it.
    let (s, _) = act(&app, &other, &n, json!({"action": "sign", "version": 2})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, b) = act(&app, &dept, &n, json!({"action": "sign", "version": 2})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["state"], "handling");

    // Extension: a reason is required; the dispatcher approves and the due time moves.
    let (s, b) = act(
        &app,
        &dept,
        &n,
        json!({"action": "request_extension", "version": 3, "days": 5}),
    )
    .await;
    assert_eq!((s, code(&b)), (StatusCode::UNPROCESSABLE_ENTITY, "reason_required"));
    let (s, b) = act(
        &app,
        &dept,
        &n,
        json!({"action": "request_extension", "version": 3, "days": 5,
        "reason": "需协调供电公司更换线路"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let due_before = b["due_at"].as_str().unwrap().to_string();
    let (s, b) = act(&app, &op, &n, json!({"action": "approve_extension", "version": 4})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert!(b["due_at"].as_str().unwrap() > due_before.as_str(), "{b}");
    assert_eq!(b["extensions"], 1);

    // Revisit of an order not yet replied: 422.
    let (s, b) = act(
        &app,
        &op,
        &n,
        json!({"action": "revisit", "version": 5, "resolved": true, "satisfaction": "满意"}),
    )
    .await;
    assert_eq!((s, code(&b)), (StatusCode::UNPROCESSABLE_ENTITY, "not_replied"), "{b}");
    let (s, b) = act(
        &app,
        &dept,
        &n,
        json!({"action": "reply", "version": 5, "reply": "已更换灯具，恢复照明"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // 办结必访: closing without the revisit is refused.
    let (s, b) = act(&app, &op, &n, json!({"action": "close", "version": 6})).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "revisit_required"),
        "{b}"
    );
    let (s, b) = act(
        &app,
        &op,
        &n,
        json!({"action": "revisit", "version": 6, "resolved": true, "satisfaction": "满意"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["state"], "revisited");
    let (s, b) = act(&app, &op, &n, json!({"action": "close", "version": 7})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["state"], "closed");

    let (s, d) = app.get_auth(&format!("/api/v1/hotline/orders/{n}"), &op).await;
    assert_eq!(s, StatusCode::OK);
    let actions: Vec<&str> = d["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "receive",
            "dispatch",
            "sign",
            "request_extension",
            "approve_extension",
            "reply",
            "revisit",
            "close"
        ]
    );
    // The co-handling department reads it but sees the phone masked.
    let (s, d) = app
        .get_auth(&format!("/api/v1/hotline/orders/{n}"), &app.token("reviewer-zjj").await)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(d["order"]["caller_phone"], "138****5678");
    // A department not involved may not read it.
    let (s, _) = app.get_auth(&format!("/api/v1/hotline/orders/{n}"), &other).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // The bulletin counts it: received 1, closed 1 on time, extended 1, satisfied 1 of 1.
    let (s, b) = app
        .get_auth("/api/v1/hotline/bulletin", &app.token("supervisor").await)
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let row = b["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["department_code"] == "zhzfj")
        .unwrap();
    assert_eq!(
        (
            row["received"].as_i64(),
            row["closed"].as_i64(),
            row["closed_on_time"].as_i64(),
            row["extended"].as_i64()
        ),
        (Some(1), Some(1), Some(1), Some(1))
    );
    assert_eq!(row["completion_rate"], 100.0);
    assert_eq!(row["satisfaction_rate"], 100.0);
    assert!(b["formulas"].as_array().unwrap().len() >= 4);
});

both_backends!(returns_review_and_merge, |app: TestApp| async move {
    app.department_staff().await;
    let op = app.token("operator").await;
    let sup = app.token("supervisor").await;
    let zhzfj = app.token("reviewer-zhzfj").await;
    let zjj = app.token("head-zjj").await;
    let (_, o) = new_order(&app, &op, street_light()).await;
    let n = o["number"].as_str().unwrap().to_string();
    act(
        &app,
        &op,
        &n,
        json!({"action": "dispatch", "version": 1, "department": "zhzfj"}),
    )
    .await;
    // A return without a reason: 422, nothing written (the version is unchanged).
    let (s, b) = act(
        &app,
        &zhzfj,
        &n,
        json!({"action": "return", "version": 2, "reason": "  "}),
    )
    .await;
    assert_eq!((s, code(&b)), (StatusCode::UNPROCESSABLE_ENTITY, "reason_required"));
    let (s, b) = act(
        &app,
        &zhzfj,
        &n,
        json!({"action": "return", "version": 2, "reason": "路灯属住建局管养"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["state"], "returned");
    // The dispatcher rejects the return: back to the department.
    let (s, b) = act(
        &app,
        &op,
        &n,
        json!({"action": "reject_return", "version": 3, "reason": "按职责清单属综合执法局"}),
    )
    .await;
    assert_eq!((s, b["state"].as_str()), (StatusCode::OK, Some("dispatched")), "{b}");
    act(
        &app,
        &zhzfj,
        &n,
        json!({"action": "return", "version": 4, "reason": "再次申请退单"}),
    )
    .await;
    // …or accepts it and re-dispatches.
    let (s, b) = act(
        &app,
        &op,
        &n,
        json!({"action": "accept_return", "version": 5, "department": "zjj"}),
    )
    .await;
    assert_eq!((s, b["lead_department"].as_str()), (StatusCode::OK, Some("zjj")), "{b}");
    act(&app, &zjj, &n, json!({"action": "sign", "version": 6})).await;
    act(
        &app,
        &zjj,
        &n,
        json!({"action": "reply", "version": 7, "reply": "已修复"}),
    )
    .await;
    let (s, b) = act(
        &app,
        &op,
        &n,
        json!({"action": "revisit", "version": 8, "resolved": false, "satisfaction": "不满意"}),
    )
    .await;
    assert_eq!((s, b["state"].as_str()), (StatusCode::OK, Some("review")), "{b}");
    // The leaders' queue has it; an operator cannot decide it.
    let (_, q) = app.get_auth("/api/v1/hotline/orders?list=review", &sup).await;
    assert_eq!(q.as_array().unwrap().len(), 1);
    let (s, _) = act(&app, &op, &n, json!({"action": "reopen", "version": 9, "note": "重办"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, b) = act(
        &app,
        &sup,
        &n,
        json!({"action": "reopen", "version": 9, "note": "群众反映仍未修复，重新办理"}),
    )
    .await;
    assert_eq!((s, b["state"].as_str()), (StatusCode::OK, Some("handling")), "{b}");
    act(
        &app,
        &zjj,
        &n,
        json!({"action": "reply", "version": 10, "reply": "已更换整条线路"}),
    )
    .await;
    act(
        &app,
        &op,
        &n,
        json!({"action": "revisit", "version": 11, "resolved": true, "satisfaction": "不满意"}),
    )
    .await;
    let (s, b) = act(&app, &sup, &n, json!({"action": "review_close", "version": 12})).await;
    assert_eq!((s, code(&b)), (StatusCode::UNPROCESSABLE_ENTITY, "note_required"));
    let (s, b) = act(
        &app,
        &sup,
        &n,
        json!({"action": "review_close", "version": 12, "note": "已依法处理，督办办结"}),
    )
    .await;
    assert_eq!((s, b["state"].as_str()), (StatusCode::OK, Some("closed")), "{b}");

    // Bulletin: the return counts against the department that made it.
    let (_, bl) = app.get_auth("/api/v1/hotline/bulletin", &sup).await;
    let row = |d: &str| {
        bl["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["department_code"] == d)
            .cloned()
    };
    assert_eq!(row("zhzfj").unwrap()["returned"], 2);
    assert_eq!(row("zjj").unwrap()["received"], 1);
    assert_eq!(row("zjj").unwrap()["satisfaction_rate"], 0.0);

    // Merge a duplicate into the first open order; a closed target is refused.
    let (_, a) = new_order(&app, &op, street_light()).await;
    let (_, b2) = new_order(&app, &op, street_light()).await;
    let (a, b2) = (a["number"].as_str().unwrap(), b2["number"].as_str().unwrap());
    let (s, r) = act(&app, &op, b2, json!({"action": "merge", "version": 1, "into": n})).await;
    assert_eq!(
        (s, code(&r)),
        (StatusCode::UNPROCESSABLE_ENTITY, "merge_target_finished")
    );
    let (s, r) = act(&app, &op, b2, json!({"action": "merge", "version": 1, "into": a})).await;
    assert_eq!(
        (s, r["state"].as_str(), r["merged_into"].as_str()),
        (StatusCode::OK, Some("merged"), Some(a)),
        "{r}"
    );
    let (_, d) = app.get_auth(&format!("/api/v1/hotline/orders/{a}"), &op).await;
    assert_eq!(d["events"].as_array().unwrap().last().unwrap()["action"], "absorb");
});

both_backends!(bad_input_writes_nothing, |app: TestApp| async move {
    let op = app.token("operator").await;
    let before = order_count(&app).await;
    let mut b = street_light();
    b["category"] = json!("no-such");
    let (s, r) = new_order(&app, &op, b).await;
    assert_eq!(
        (s, code(&r)),
        (StatusCode::UNPROCESSABLE_ENTITY, "unknown_category"),
        "{r}"
    );
    // A group is not a category one can file under.
    let mut b = street_light();
    b["category"] = json!("csgl");
    let (s, r) = new_order(&app, &op, b).await;
    assert_eq!((s, code(&r)), (StatusCode::UNPROCESSABLE_ENTITY, "unknown_category"));
    for outside in ["370683", "430602001", "430603", "430699001001"] {
        let mut b = street_light();
        b["area_code"] = json!(outside);
        let (s, r) = new_order(&app, &op, b).await;
        assert_eq!(
            (s, code(&r)),
            (StatusCode::UNPROCESSABLE_ENTITY, "region_outside"),
            "{outside}: {r}"
        );
    }
    let mut b = street_light();
    b["lat"] = json!(29.47);
    let (s, r) = new_order(&app, &op, b).await;
    assert_eq!((s, code(&r)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_location"));
    // Only operators register orders; the public form needs a mobile number.
    let (s, _) = new_order(&app, &app.token("clerk").await, street_light()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, r) = app
        .post_json(
            "/api/v1/hotline/requests",
            &json!({"channel": "mailbox", "category": "jianyi",
            "content": "建议", "name": "李四", "phone": "123"}),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
    assert_eq!(order_count(&app).await, before, "nothing written");
    let (s, r) = app
        .post_json(
            "/api/v1/hotline/requests",
            &json!({"channel": "mailbox", "category": "jianyi",
            "title": "建议增设公园座椅", "content": "云溪公园座椅太少", "name": "李四", "phone": "13912345678"}),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert!(r["number"].as_str().unwrap().starts_with("RX"));
});

async fn open311_key(app: &TestApp) -> String {
    let admin = app.token("admin").await;
    let (s, k) = app
        .post_json("/api/v1/open311/keys", &json!({"name": "测试客户端"}), Some(&admin))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{k}");
    k["api_key"].as_str().unwrap().to_string()
}

async fn form_post(app: &TestApp, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
    let r = app.client.post(app.url(path)).form(form).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

both_backends!(open311_follows_the_spec, |app: TestApp| async move {
    let key = open311_key(&app).await;
    let (s, services) = app.get_json("/open311/v2/services.json").await;
    assert_eq!(s, StatusCode::OK);
    let services = services.as_array().expect("a bare array");
    let light = services.iter().find(|s| s["service_code"] == "ludeng").unwrap();
    assert_eq!(light["metadata"], false);
    assert_eq!(light["type"], "realtime");
    assert_eq!(light["group"], "城市建设与管理");
    let xml = app.get("/open311/v2/services.xml").await.text().await.unwrap();
    assert!(
        xml.contains("<services><service><service_code>ludeng</service_code><service_name>路灯照明</service_name>"),
        "{xml}"
    );
    let (s, def) = app.get_json("/open311/v2/services/ludeng.json").await;
    assert_eq!((s, def["service_code"].as_str()), (StatusCode::OK, Some("ludeng")));
    let (s, e) = app.get_json("/open311/v2/services/nothing.json").await;
    assert_eq!((s, e[0]["code"].as_i64()), (StatusCode::NOT_FOUND, Some(404)));

    let before = order_count(&app).await;
    // No key, a wrong key: 403 in the spec's format (JSON and XML); a bad service code or no location: 400.
    let (s, body) = form_post(
        &app,
        "/open311/v2/requests.json",
        &[("service_code", "ludeng"), ("lat", "29.47"), ("long", "113.27")],
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let e: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(e[0]["code"], 403);
    assert!(e[0]["description"].as_str().unwrap().contains("api_key"));
    let (s, body) = form_post(
        &app,
        "/open311/v2/requests.xml",
        &[
            ("api_key", "wrong"),
            ("service_code", "ludeng"),
            ("lat", "29.47"),
            ("long", "113.27"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(body.contains("<errors><error><code>403</code>"), "{body}");
    let (s, body) = form_post(
        &app,
        "/open311/v2/requests.json",
        &[
            ("api_key", &key),
            ("service_code", "nope"),
            ("lat", "29.47"),
            ("long", "113.27"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()[0]["code"], 400);
    let (s, _) = form_post(
        &app,
        "/open311/v2/requests.json",
        &[("api_key", &key), ("service_code", "ludeng")],
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(order_count(&app).await, before, "refusals write nothing");

    let (s, body) = form_post(
        &app,
        "/open311/v2/requests.json",
        &[
            ("api_key", &key),
            ("service_code", "ludeng"),
            ("lat", "29.4712"),
            ("long", "113.2733"),
            ("description", "路灯不亮"),
            ("first_name", "伟"),
            ("last_name", "王"),
            ("phone", "13700001111"),
            ("media_url", "https://example.org/p.jpg"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let created: Value = serde_json::from_str(&body).unwrap();
    let id = created[0]["service_request_id"].as_str().unwrap().to_string();
    let token = created[0]["token"].as_str().unwrap().to_string();

    let (s, one) = app.get_json(&format!("/open311/v2/requests/{id}.json")).await;
    assert_eq!(s, StatusCode::OK);
    let r = &one.as_array().expect("an array of one")[0];
    assert_eq!(r["status"], "open");
    assert_eq!(r["service_code"], "ludeng");
    assert_eq!(r["description"], "路灯不亮");
    assert_eq!(r["media_url"], "https://example.org/p.jpg");
    assert_eq!(r["lat"], 29.4712);
    let when = r["requested_datetime"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(when).is_ok() && when.ends_with("+08:00"),
        "{when}"
    );
    assert!(r.get("phone").is_none(), "no personal data");
    let (s, t) = app.get_json(&format!("/open311/v2/tokens/{token}.json")).await;
    assert_eq!(
        (s, t[0]["service_request_id"].as_str()),
        (StatusCode::OK, Some(id.as_str()))
    );
    let (s, _) = app.get_json("/open311/v2/requests/RX000.json").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let xml = app
        .get(&format!("/open311/v2/requests/{id}.xml"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        xml.contains(&format!(
            "<service_requests><request><service_request_id>{id}</service_request_id>"
        )),
        "{xml}"
    );

    // Filters.
    let (_, l) = app
        .get_json("/open311/v2/requests.json?status=open&service_code=ludeng")
        .await;
    assert_eq!(l.as_array().unwrap().len(), 1);
    let (_, l) = app.get_json("/open311/v2/requests.json?status=closed").await;
    assert_eq!(l.as_array().unwrap().len(), 0);
    let (_, l) = app
        .get_json("/open311/v2/requests.json?start_date=2010-01-01T00:00:00Z&end_date=2010-02-01T00:00:00Z")
        .await;
    assert_eq!(l.as_array().unwrap().len(), 0);
    let (s, e) = app.get_json("/open311/v2/requests.json?start_date=yesterday").await;
    assert_eq!((s, e[0]["code"].as_i64()), (StatusCode::BAD_REQUEST, Some(400)));
    let (_, l) = app
        .get_json(&format!(
            "/open311/v2/requests.json?service_request_id={id}&status=closed"
        ))
        .await;
    assert_eq!(
        l.as_array().unwrap().len(),
        1,
        "service_request_id overrides the other filters"
    );
    let (s, _) = app
        .get_json("/open311/v2/services.json?jurisdiction_id=elsewhere")
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, d) = app.get_json("/open311/v2/discovery.json").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        d["endpoints"][0]["specification"],
        "http://wiki.open311.org/GeoReport_v2"
    );

    // A revoked key no longer works.
    let admin = app.token("admin").await;
    let (s, _) = app
        .post_json(
            &format!("/api/v1/open311/keys/{}/revoke", helpers_urlencode("测试客户端")),
            &json!({}),
            Some(&admin),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = form_post(
        &app,
        "/open311/v2/requests.json",
        &[
            ("api_key", &key),
            ("service_code", "ludeng"),
            ("address_string", "云溪路1号"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
});

fn helpers_urlencode(s: &str) -> String {
    crate::helpers::urlencode(s)
}

// The PyPI package `georeport` (an Open311 client written by others) reads our API unmodified; creating goes
// through a plain form POST as the issue allows. .ci/run installs it into target/georeport-venv.
both_backends!(open311_with_the_georeport_client, |app: TestApp| async move {
    let python = std::env::var("TONGBAN_TEST_GEOREPORT_PYTHON").ok().or_else(|| {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/georeport-venv/bin/python");
        p.exists().then(|| p.display().to_string())
    });
    let Some(python) = python else {
        assert!(
            !crate::helpers::require_all(),
            "georeport is not installed (see .ci/run)"
        );
        eprintln!("skipped: the georeport client (run .ci/run or set TONGBAN_TEST_GEOREPORT_PYTHON)");
        return;
    };
    let key = open311_key(&app).await;
    let script = r#"
import json, sys, urllib.parse, urllib.request
from georeport import GeoReport
root, key = sys.argv[1], sys.argv[2]
body = urllib.parse.urlencode({"api_key": key, "service_code": "zaosheng", "lat": "29.47", "long": "113.27",
    "description": "工地夜间施工噪音扰民", "email": "a@example.org"}).encode()
created = json.load(urllib.request.urlopen(urllib.request.Request(root + "/requests.json", data=body)))
rid = created[0]["service_request_id"]
def many(x):
    # xmltodict gives a lone element as a mapping, several as a list
    return x if isinstance(x, list) else [x]
out = {}
for fmt in ("json", "xml"):
    c = GeoReport(root, api_key=key, output_format=fmt)
    out[fmt] = {
        "services": [s["service_code"] for s in many(c.get_service_list())],
        "definition": c.get_service_definition("zaosheng")["service_code"],
        "requests": [r["service_request_id"] for r in many(c.get_service_requests(status="open"))],
        "one": c.get_service_request(rid)["status"],
        "by_id": [r["service_request_id"] for r in many(c.get_service_requests(service_request_id=rid))],
    }
out["id"] = rid
print(json.dumps(out))
"#;
    let root = app.url("/open311/v2");
    // On a blocking thread: the server answering the client runs on this test's runtime.
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(&python)
            .arg("-c")
            .arg(script)
            .arg(&root)
            .arg(&key)
            .output()
    })
    .await
    .unwrap()
    .expect("run python");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = v["id"].as_str().unwrap();
    for fmt in ["json", "xml"] {
        assert!(
            v[fmt]["services"].as_array().unwrap().contains(&json!("zaosheng")),
            "{v}"
        );
        assert_eq!(v[fmt]["definition"], "zaosheng");
        assert_eq!(v[fmt]["one"], "open");
        assert_eq!(v[fmt]["by_id"], json!([id]));
        assert_eq!(v[fmt]["requests"], json!([id]));
    }
});

mod clusters {
    use tongban_app::hotline::cluster::{clusters, keywords, Params, Signal};

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// A problem callers report in their own words: a few phrasings around the same subject words.
    const PROBLEMS: [(&str, &[&str]); 8] = [
        (
            "ludeng",
            &[
                "{p}路灯不亮好几天了",
                "{p}晚上路灯全部不亮",
                "路灯坏了不亮，{p}一片漆黑",
                "{p}那排路灯不亮了",
            ],
        ),
        (
            "gongshui",
            &[
                "{p}停水三天了没有通知",
                "{p}一直停水，什么时候来水",
                "{p}停水了老人吃水困难",
                "{p}又停水了没有来水",
            ],
        ),
        (
            "zaosheng",
            &[
                "{p}工地夜间施工噪音太大",
                "{p}晚上还在施工噪音扰民",
                "{p}夜间施工噪音影响休息",
                "{p}施工噪音半夜不停",
            ],
        ),
        (
            "laji",
            &[
                "{p}垃圾桶满了没人清运",
                "{p}垃圾堆放多日没有清运",
                "{p}垃圾没有清运臭气熏天",
                "{p}的垃圾好几天没清运",
            ],
        ),
        (
            "daolu",
            &[
                "{p}道路坑洼积水严重",
                "{p}路面坑洼车辆难行",
                "{p}道路破损坑洼不平",
                "{p}坑洼积水走路溅一身",
            ],
        ),
        (
            "wuran",
            &[
                "{p}工厂夜间排放刺鼻气体",
                "{p}闻到刺鼻气体像是工厂排放",
                "{p}工厂排放气体刺鼻",
                "{p}晚上工厂偷偷排放刺鼻废气",
            ],
        ),
        (
            "shipin",
            &[
                "{p}超市卖过期食品",
                "{p}超市货架上有过期食品",
                "在{p}超市买到过期食品",
                "{p}超市过期食品没下架",
            ],
        ),
        (
            "qianxin",
            &[
                "{p}工地拖欠农民工工资",
                "{p}工地老板拖欠工资",
                "{p}工地拖欠工资三个月",
                "{p}工地欠薪农民工讨薪",
            ],
        ),
    ];

    /// Everyday requests of the same categories that are not about one shared problem.
    const NOISE: [(&str, &[&str]); 8] = [
        (
            "ludeng",
            &["建议{p}增设路灯", "{p}路灯开得太早浪费电", "{p}新装的灯太刺眼"],
        ),
        (
            "gongshui",
            &["{p}水费账单有疑问", "{p}想申请安装自来水", "{p}水表需要更换"],
        ),
        (
            "zaosheng",
            &["{p}广场舞音响声音大", "{p}邻居装修电钻声", "{p}烧烤店深夜喧哗"],
        ),
        (
            "laji",
            &["{p}垃圾分类怎么分", "建议{p}增加垃圾桶", "{p}建筑垃圾怎么处理"],
        ),
        ("daolu", &["{p}井盖松动有响声", "建议{p}修建人行道", "{p}路边停车占道"]),
        ("wuran", &["{p}河道有漂浮物", "{p}有人焚烧秸秆", "{p}养殖场污水外流"]),
        (
            "shipin",
            &["{p}餐馆后厨卫生差", "{p}早餐店没有健康证", "{p}网购食品包装破损"],
        ),
        (
            "qianxin",
            &["{p}公司不签劳动合同", "{p}加班费怎么计算", "{p}社保没有缴纳"],
        ),
    ];

    const PLACES: [&str; 10] = [
        "八字门社区",
        "文桥社区",
        "荆竹村",
        "和平村",
        "陆城镇中心街",
        "路口镇新街",
        "松杨湖小区",
        "云溪街道步行街",
        "长岭街道三号路",
        "永济乡政府旁",
    ];

    #[test]
    fn precision_and_recall_on_generated_streams() {
        let seg = tongban_app::hotline::cluster::segmenter();
        let p = Params::default();
        let (mut tp, mut fp, mut fn_) = (0usize, 0usize, 0usize);
        for stream in 0..3u64 {
            let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ ((stream + 1) * 0x1000_0001));
            let mut signals = Vec::new();
            // Planted: label = Some(cluster id).
            let mut labels: Vec<Option<usize>> = Vec::new();
            let span = 30 * 24 * 3600;
            // Each planted problem at its own place: two clusters of the same problem in one place at once are one.
            let mut planted: Vec<(usize, usize)> = Vec::new();
            for c in 0..12 {
                let (mut pr, mut place) = (rng.below(PROBLEMS.len()), rng.below(PLACES.len()));
                while planted.contains(&(pr, place)) {
                    (pr, place) = (rng.below(PROBLEMS.len()), rng.below(PLACES.len()));
                }
                planted.push((pr, place));
                let (cat, texts) = PROBLEMS[pr];
                let start = rng.below(span - 3 * 24 * 3600) as i64;
                let size = 3 + rng.below(4);
                let (lat, lon) = (29.40 + place as f64 * 0.02, 113.20 + place as f64 * 0.02);
                for k in 0..size {
                    let text = texts[rng.below(texts.len())].replace("{p}", PLACES[place]);
                    // Half name the community, half only give a position a few dozen metres away.
                    let (area, pos) = if k % 2 == 0 {
                        (format!("430603{place:06}"), None)
                    } else {
                        (
                            String::new(),
                            Some((lat + rng.below(40) as f64 * 1e-5, lon + rng.below(40) as f64 * 1e-5)),
                        )
                    };
                    signals.push(Signal {
                        category: cat.into(),
                        area,
                        lat: pos.map(|p| p.0),
                        lon: pos.map(|p| p.1),
                        at: start + rng.below(2 * 24 * 3600) as i64,
                        words: keywords(seg, &text, PLACES[place]),
                    });
                    labels.push(Some(c));
                    // Half of the points also carry the position.
                    if k % 2 == 0 {
                        let last = signals.len() - 1;
                        signals[last].lat = Some(lat);
                        signals[last].lon = Some(lon);
                    }
                }
            }
            // Noise: the same categories and places, other subjects, spread over the month.
            // Each (subject, place) at most once: two identical reports from one place would be a real cluster.
            let mut combos: Vec<(usize, usize, usize)> = Vec::new();
            for (c, (_, texts)) in NOISE.iter().enumerate() {
                for t in 0..texts.len() {
                    for pl in 0..PLACES.len() {
                        combos.push((c, t, pl));
                    }
                }
            }
            for _ in 0..150 {
                let (c, t, place) = combos.swap_remove(rng.below(combos.len()));
                let (cat, texts) = NOISE[c];
                let text = texts[t].replace("{p}", PLACES[place]);
                signals.push(Signal {
                    category: cat.into(),
                    area: format!("430603{place:06}"),
                    lat: None,
                    lon: None,
                    at: rng.below(span) as i64,
                    words: keywords(seg, &text, PLACES[place]),
                });
                labels.push(None);
            }
            // Pairwise: a pair is positive when both orders belong to the same planted cluster.
            let found = clusters(&signals, &p);
            let mut predicted = vec![None; signals.len()];
            for (g, members) in found.iter().enumerate() {
                for &i in members {
                    predicted[i] = Some(g);
                }
            }
            for i in 0..signals.len() {
                for j in i + 1..signals.len() {
                    let truth = labels[i].is_some() && labels[i] == labels[j];
                    let said = predicted[i].is_some() && predicted[i] == predicted[j];
                    match (truth, said) {
                        (true, true) => tp += 1,
                        (false, true) => fp += 1,
                        (true, false) => fn_ += 1,
                        _ => {}
                    }
                }
            }
        }
        let precision = tp as f64 / (tp + fp).max(1) as f64;
        let recall = tp as f64 / (tp + fn_).max(1) as f64;
        println!("cluster detection: precision {precision:.3}, recall {recall:.3} (pairs: tp {tp}, fp {fp}, fn {fn_})");
        assert!(precision >= 0.9, "precision {precision:.3}");
        assert!(recall >= 0.7, "recall {recall:.3}");
    }
}

/// Waits for the order page after a form post: the old page's elements go stale while the redirect loads.
async fn state_becomes(c: &fantoccini::Client, expected: &str) {
    for _ in 0..100 {
        if let Ok(e) = c.find(fantoccini::Locator::Css("#order-state")).await {
            if e.text().await.is_ok_and(|t| t.contains(expected)) {
                return;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let shown = c.source().await.unwrap_or_default();
    panic!(
        "the order never became {expected}: {}",
        shown.chars().take(3000).collect::<String>()
    );
}

/// In Chromium: an operator takes a call and dispatches it, the department signs and replies, the operator's
/// revisit lets the order be closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_takes_a_call_to_closing_in_chromium() {
    use crate::browser::{browser, sign_in, sign_out, text};
    use fantoccini::Locator;
    let Some(b) = browser().await else { return };
    let app = TestApp::spawn(crate::helpers::Db::Sqlite).await.expect("app");
    app.department_staff().await;
    let c = &b.client;
    let click = |css: &'static str| async move {
        c.find(Locator::Css(css))
            .await
            .expect(css)
            .click()
            .await
            .expect("click");
    };
    let fill = |id: &'static str, v: &'static str| async move {
        c.find(Locator::Id(id))
            .await
            .expect(id)
            .send_keys(v)
            .await
            .expect("type");
    };
    let choose = |css: &'static str| async move {
        c.find(Locator::Css(css))
            .await
            .expect(css)
            .click()
            .await
            .expect("select");
    };

    sign_in(c, &app, "operator").await;
    c.goto(&app.url("/staff/hotline/new")).await.expect("intake");
    choose("#category option[value='ludeng']").await;
    choose("#area_code option[value='430603001002']").await;
    fill("title", "路灯不亮").await;
    fill("content", "八字门社区东门路灯不亮三天了").await;
    fill("caller_name", "张三").await;
    fill("caller_phone", "13812345678").await;
    click("#intake button").await;
    state_becomes(c, "待派单").await;
    let number = text(c, "h1 .mono").await;
    choose("form.action-dispatch option[value='zhzfj']").await;
    click("form.action-dispatch button").await;
    state_becomes(c, "待签收").await;
    sign_out(c).await;

    sign_in(c, &app, "reviewer-zhzfj").await;
    c.goto(&app.url("/staff/hotline?list=inbox")).await.expect("inbox");
    assert!(text(c, "table.grid").await.contains(&number));
    c.goto(&app.url(&format!("/staff/hotline/orders/{number}")))
        .await
        .expect("order");
    assert!(
        text(c, "main").await.contains("13812345678"),
        "the lead department sees the caller's number"
    );
    click("form.action-sign button").await;
    state_becomes(c, "办理中").await;
    fill("reply", "已更换灯具，恢复照明").await;
    click("form.action-reply button").await;
    state_becomes(c, "待回访").await;
    sign_out(c).await;

    sign_in(c, &app, "operator").await;
    c.goto(&app.url("/staff/hotline?list=revisit"))
        .await
        .expect("revisit list");
    assert!(
        text(c, "table.grid").await.contains("138****5678"),
        "lists mask the phone"
    );
    c.goto(&app.url(&format!("/staff/hotline/orders/{number}")))
        .await
        .expect("order");
    assert!(
        c.find(Locator::Css("form.action-close")).await.is_err(),
        "no closing before the revisit"
    );
    choose("#satisfaction option[value='满意']").await;
    click("form.action-revisit button").await;
    state_becomes(c, "待办结").await;
    click("form.action-close button").await;
    state_becomes(c, "已办结").await;
    assert!(text(c, "main").await.contains("回访"));
    b.client.clone().close().await.expect("close");
}

both_backends!(
    similar_orders_raise_one_warning_to_the_department,
    |app: TestApp| async move {
        let op = app.token("operator").await;
        let texts = [
            "八字门社区东门路灯不亮好几天了",
            "八字门社区路灯晚上全部不亮",
            "路灯坏了不亮，八字门社区一片漆黑",
            "八字门社区那排路灯不亮了",
        ];
        let mut numbers = Vec::new();
        for t in texts {
            let mut b = street_light();
            b["content"] = json!(t);
            b["title"] = json!("");
            let (s, o) = new_order(&app, &op, b).await;
            assert_eq!(s, StatusCode::CREATED, "{o}");
            numbers.push(o["number"].as_str().unwrap().to_string());
        }
        // Unrelated orders of the same place and category do not join it.
        let mut b = street_light();
        b["content"] = json!("建议在八字门社区新增一个篮球场");
        b["category"] = json!("jianyi");
        new_order(&app, &op, b).await;
        let (s, w) = app.get_auth("/api/v1/hotline/warnings", &op).await;
        assert_eq!(s, StatusCode::OK, "{w}");
        let w = w.as_array().unwrap();
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(w[0]["department_code"], "zhzfj");
        let got: Vec<String> = w[0]["orders"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        assert!(got.len() >= 3, "{got:?}");
        assert!(got.iter().all(|n| numbers.contains(n)));
        // The department sees it on its page.
        app.department_staff().await;
        let (s, w) = app
            .get_auth("/api/v1/hotline/warnings", &app.token("reviewer-zhzfj").await)
            .await;
        assert_eq!((s, w.as_array().unwrap().len()), (StatusCode::OK, 1));
    }
);

both_backends!(hotline_pages_render, |app: TestApp| async move {
    let page = app.get("/hotline").await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("区长信箱"));
    let r = app
        .client
        .post(app.url("/hotline"))
        .form(&[
            ("channel", "mailbox"),
            ("category", "jianyi"),
            ("title", "建议"),
            ("content", "建议增设公交站"),
            ("name", "王五"),
            ("phone", "13912345678"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("工单编号"));

    // The leaders' bulletin page shows the formulas; the export is a workbook.
    let (sup, _) = crate::web::sign_in(&app, "supervisor").await;
    let page = sup
        .get(app.url("/staff/hotline/bulletin"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("办结率 = 已办结 ÷ 受理量") && page.contains("满意率"),
        "{page}"
    );
    let x = sup.get(app.url("/staff/hotline/bulletin.xlsx")).send().await.unwrap();
    assert_eq!(x.status(), StatusCode::OK);
    assert!(x.headers()["content-type"].to_str().unwrap().contains("spreadsheetml"));
    assert!(x.bytes().await.unwrap().starts_with(b"PK"));
    let page = sup
        .get(app.url("/staff/hotline?list=review"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("督办（不满意）"));

    // An administrator issues a key on the page; it is shown once and works on Open311.
    let (admin, home) = crate::web::sign_in(&app, "admin").await;
    assert!(home.contains("/staff/hotline/keys"));
    let form = admin
        .get(app.url("/staff/hotline/keys"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = crate::web::hidden(&form, "csrf");
    let page = admin
        .post(app.url("/staff/hotline/keys"))
        .form(&[("csrf", csrf.as_str()), ("mode", "add"), ("name", "市级平台")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let start = page.find("id=\"new-key\">").expect("key shown") + "id=\"new-key\">".len();
    let key: String = page[start..].chars().take_while(|c| c.is_ascii_hexdigit()).collect();
    let (s, body) = form_post(
        &app,
        "/open311/v2/requests.json",
        &[
            ("api_key", &key),
            ("service_code", "daolu"),
            ("address_string", "云溪大道88号"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
});

both_backends!(
    a_caller_follows_their_request_by_number_and_phone,
    |app: TestApp| async move {
        let (s, receipt) = app
            .post_json(
                "/api/v1/hotline/requests",
                &json!({"channel": "web", "category": "ludeng", "title": "路灯不亮", "content": "东门路灯不亮三天了",
                "address": "八字门社区东门", "area_code": "430603001002", "name": "张三", "phone": "13812345678"}),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{receipt}");
        let n = receipt["number"].as_str().unwrap().to_string();
        let query = |code: &'static str| {
            let n = n.clone();
            let app = &app;
            async move {
                app.get_json(&format!("/api/v1/hotline/progress?number={n}&code={code}"))
                    .await
            }
        };
        // A wrong code is the same "not found" as a wrong number.
        for code in ["1234", "567", "13812345678"] {
            let (s, b) = query(code).await;
            assert_eq!(s, StatusCode::NOT_FOUND, "{code}: {b}");
        }
        let (s, b) = app
            .get_json("/api/v1/hotline/progress?number=RX00000000&code=5678")
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
        let (s, p) = query("5678").await;
        assert_eq!(s, StatusCode::OK, "{p}");
        assert_eq!(p["state_label"], "待派单");
        assert_eq!(p["department_name"], "");
        assert!(
            !p.to_string().contains("13812345678") && !p.to_string().contains("张三"),
            "{p}"
        );

        // Dispatched, signed and answered: the caller reads who handled it and the reply, in Beijing time.
        // The operator's order page proposes the department of the request's category (路灯照明 → 区综合执法局) and
        // names co-handling departments, not codes.
        let (op_page, _) = crate::web::sign_in(&app, "operator").await;
        let page = crate::web::fetch(&op_page, &app, &format!("/staff/hotline/orders/{n}")).await;
        assert!(
            page.contains("<option value=\"zhzfj\" selected>区综合执法局（按诉求分类）</option>"),
            "{page}"
        );
        assert!(!page.contains("协办部门代码"));
        // Dispatched on that page: the next page says who is next; the history names the operator.
        let csrf = crate::web::hidden(&page, "csrf");
        let r = op_page
            .post(app.url(&format!("/staff/hotline/orders/{n}")))
            .form(&[
                ("csrf", csrf.as_str()),
                ("action", "dispatch"),
                ("version", "1"),
                ("department", "zhzfj"),
            ])
            .send()
            .await
            .unwrap();
        let next = r.headers()["location"].to_str().unwrap().to_string();
        let page = crate::web::fetch(&op_page, &app, &next).await;
        assert!(page.contains("已派单。下一步：签收，由区综合执法局办理"), "{page}");
        assert!(
            page.contains("<td>演示12345热线话务员</td>"),
            "the history names the operator"
        );
        app.department_staff().await;
        let dept = app.token("reviewer-zhzfj").await;
        let mut version = 2;
        for (token, mut body) in [
            (&dept, json!({"action": "sign"})),
            (&dept, json!({"action": "reply", "reply": "已更换灯具，恢复照明"})),
        ] {
            body["version"] = json!(version);
            let (s, b) = app
                .post_json(&format!("/api/v1/hotline/orders/{n}/actions"), &body, Some(token))
                .await;
            assert_eq!(s, StatusCode::OK, "{b}");
            version = b["version"].as_i64().unwrap();
        }
        let (_, p) = query("5678").await;
        assert_eq!(p["state_label"], "待回访");
        assert_eq!(p["reply"], "已更换灯具，恢复照明");
        assert_eq!(p["department_name"], "区综合执法局");
        assert!(p["steps"].as_array().unwrap().len() >= 4, "{p}");
        assert!(
            !p["replied_at"].as_str().unwrap().contains('T'),
            "local time, not ISO UTC: {p}"
        );

        // The same on the page the receipt links to.
        let form = app.get("/hotline").await.text().await.unwrap();
        assert!(
            form.contains("href=\"/hotline/progress\""),
            "the form says where to follow a request"
        );
        let page = app
            .get(&format!("/hotline/progress?number={n}&code=5678"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("已更换灯具，恢复照明") && page.contains("待回访"),
            "{page}"
        );
    }
);
