//! 12345 hotline, second step: the category tree edited on its page, files attached to work orders (API, phone
//! desk, order page, portal), acknowledging early warnings, the deployment's hotline settings, and Open311's
//! checks of lat/long.

use crate::both_backends;
use crate::helpers::{multipart, Db, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let row = sqlx::query(sql).fetch_one(app.state.store.pool()).await.unwrap();
    sqlx::Row::try_get::<i64, _>(&row, 0).unwrap()
}

fn street_light() -> Value {
    json!({
        "channel": "phone", "category": "ludeng", "title": "路灯不亮", "content": "八字门社区东门路灯不亮三天了",
        "address": "八字门社区东门", "area_code": "430603001002", "caller_name": "张三", "caller_phone": "13812345678"
    })
}

async fn new_order(app: &TestApp, op: &str, body: Value) -> Value {
    let (s, o) = app.post_json("/api/v1/hotline/orders", &body, Some(op)).await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    o
}

async fn order_count(app: &TestApp) -> i64 {
    count(app, "SELECT COUNT(*) FROM hotline_orders").await
}

/// A small but real PNG: the signature, then an IHDR chunk.
fn png() -> Vec<u8> {
    let mut b = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    b.extend_from_slice(b"\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89");
    b
}

async fn upload(app: &TestApp, token: &str, number: &str, files: &[(&str, &str, &[u8])]) -> (StatusCode, Value) {
    let (ct, body) = multipart(&[], files);
    let r = app
        .client
        .post(app.url(&format!("/api/v1/hotline/orders/{number}/files")))
        .bearer_auth(token)
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

async fn post_multipart(
    client: &reqwest::Client,
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
    files: &[(&str, &str, &[u8])],
) -> reqwest::Response {
    let (ct, body) = multipart(fields, files);
    client
        .post(app.url(path))
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap()
}

both_backends!(category_tree_is_edited_on_its_page, |app: TestApp| async move {
    let (admin, home) = crate::web::sign_in(&app, "admin").await;
    assert!(
        home.contains("/staff/hotline/categories"),
        "linked from the staff navigation"
    );
    let page = crate::web::fetch(&admin, &app, "/staff/hotline/categories").await;
    assert!(
        page.contains("路灯照明") && page.contains("城市建设与管理") && page.contains("区综合执法局"),
        "{page}"
    );
    let csrf = crate::web::hidden(&page, "csrf");
    let post = |form: Vec<(&'static str, String)>| {
        let admin = admin.clone();
        let url = app.url("/staff/hotline/categories");
        async move { admin.post(url).form(&form).send().await.unwrap() }
    };
    let form = |code: &str, name: &str, parent: &str, kind: &str, dept: &str, limit: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("code", code.to_string()),
            ("name", name.to_string()),
            ("parent_code", parent.to_string()),
            ("kind", kind.to_string()),
            ("department_code", dept.to_string()),
            ("limit_days", limit.to_string()),
            ("keywords", "井盖 缺失".to_string()),
            ("position", "9".to_string()),
            ("active", "1".to_string()),
        ]
    };

    // Add a leaf, then edit it; each change audited, as through the API.
    let r = post(form("jinggai", "井盖缺失", "csgl", "complaint", "zjj", "")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, cats) = app.get_json("/api/v1/hotline/categories").await;
    let c = cats
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "jinggai")
        .unwrap()
        .clone();
    assert_eq!(
        (c["parent_code"].as_str(), c["limit_days"].as_i64()),
        (Some("csgl"), Some(15)),
        "{c}"
    );
    let r = post(form("jinggai", "井盖缺失或破损", "csgl", "help", "zjj", "7")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = crate::web::fetch(&admin, &app, "/staff/hotline/categories?edit=jinggai").await;
    assert!(
        page.contains("value=\"井盖缺失或破损\"") && page.contains("value=\"7\""),
        "{page}"
    );
    let (_, cats) = app.get_json("/api/v1/hotline/categories").await;
    let c = cats
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "jinggai")
        .unwrap()
        .clone();
    assert_eq!(
        (c["kind"].as_str(), c["limit_days"].as_i64()),
        (Some("help"), Some(7)),
        "{c}"
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'hotline.category' AND target = 'jinggai'"
        )
        .await,
        2
    );

    // Bad input: a clear Chinese message on the page and nothing changed.
    let before = app.get_json("/api/v1/hotline/categories").await.1;
    let audits = count(&app, "SELECT COUNT(*) FROM audit_log WHERE action = 'hotline.category'").await;
    for (f, says) in [
        (
            form("jinggai", "井盖", "csgl", "help", "no-such-dept", ""),
            "部门“no-such-dept”不存在",
        ),
        (
            form("jinggai", "井盖", "no-such-group", "help", "zjj", ""),
            "上级分类“no-such-group”不存在",
        ),
        (form("jinggai", "井盖", "csgl", "gossip", "zjj", ""), "类型“gossip”无效"),
        (
            form("jinggai", "井盖", "csgl", "help", "zjj", "-3"),
            "办理时限应为1到60个工作日",
        ),
        (
            form("jinggai", "井盖", "csgl", "help", "zjj", "三天"),
            "办理时限“三天”应为1到60之间的整数",
        ),
        // A group put under its own leaf would make a loop.
        (
            form("csgl", "城市建设与管理", "ludeng", "help", "", ""),
            "分类树会形成环",
        ),
        (form("csgl", "城市建设与管理", "csgl", "help", "", ""), "分类树会形成环"),
    ] {
        let r = post(f).await;
        assert_eq!(r.status(), StatusCode::OK);
        let page = r.text().await.unwrap();
        assert!(
            page.contains("id=\"category-error\"") && page.contains(says),
            "{says}: {page}"
        );
    }
    assert_eq!(
        app.get_json("/api/v1/hotline/categories").await.1,
        before,
        "nothing changed"
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM audit_log WHERE action = 'hotline.category'").await,
        audits
    );
    // The API refuses the same through the same use case.
    let token = app.token("admin").await;
    let (s, b) = app
        .put_json(
            "/api/v1/hotline/categories/csgl",
            &json!({"name": "城市建设与管理", "parent_code": "ludeng", "kind": "help"}),
            &token,
        )
        .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "category_cycle"),
        "{b}"
    );
    let (s, b) = app
        .put_json(
            "/api/v1/hotline/categories/x1",
            &json!({"name": "X", "parent_code": "nothing", "kind": "help"}),
            &token,
        )
        .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "unknown_parent"),
        "{b}"
    );

    // A stale form token, or someone not an administrator: refused.
    let mut f = form("jinggai", "改名", "csgl", "help", "zjj", "");
    f[0].1 = "wrong".into();
    assert_eq!(post(f).await.status(), StatusCode::FORBIDDEN);
    let (op, _) = crate::web::sign_in(&app, "operator").await;
    let r = op.get(app.url("/staff/hotline/categories")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
});

both_backends!(files_are_attached_to_orders, |app: TestApp| async move {
    app.department_staff().await;
    let op = app.token("operator").await;
    let o = new_order(&app, &op, street_light()).await;
    let n = o["number"].as_str().unwrap().to_string();

    // Upload over the API: type told by content, kept by SHA-256, listed, in the history.
    let (s, files) = upload(
        &app,
        &op,
        &n,
        &[("file", "现场照片.png", &png()), ("file", "说明.pdf", b"%PDF-1.4 test")],
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{files}");
    let files = files.as_array().unwrap().clone();
    assert_eq!(files.len(), 2);
    assert_eq!(
        (files[0]["name"].as_str(), files[0]["content_type"].as_str()),
        (Some("现场照片.png"), Some("image/png"))
    );
    let sha = files[0]["sha256"].as_str().unwrap().to_string();
    assert!(sha.len() == 64 && sha.chars().all(|c| c.is_ascii_hexdigit()), "{sha}");
    let kept = std::fs::read(app.files.join("files").join(&sha[..2]).join(&sha)).unwrap();
    assert_eq!(kept, png(), "kept under the data directory by content hash");
    let (s, d) = app.get_auth(&format!("/api/v1/hotline/orders/{n}"), &op).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(d["files"].as_array().unwrap().len(), 2);
    let last = d["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "attach");
    assert!(last["note"].as_str().unwrap().contains("现场照片.png"), "{last}");
    assert_eq!(d["order"]["version"], 1, "attaching changes no field of the order");
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM audit_log WHERE action = 'hotline.attach' AND target = '{n}'")
        )
        .await,
        1
    );

    // A disguised file (a program named .jpg) is refused by content: 422 with a code, nothing recorded.
    let (s, b) = upload(
        &app,
        &op,
        &n,
        &[("file", "photo.jpg", b"MZ\x90\0\x03\0\0\0 this is a program")],
    )
    .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "unsupported_file_type"),
        "{b}"
    );
    assert!(b["error"]["message"].as_str().unwrap().contains("photo.jpg"));
    // One bad file among good ones: none is kept.
    let (s, _) = upload(
        &app,
        &op,
        &n,
        &[("file", "a.pdf", b"%PDF-1.4 a"), ("file", "b.png", b"GIF89a")],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    // Larger than the limit: 413.
    let mut big = b"%PDF-1.4\n".to_vec();
    big.resize(app.state.config.max_upload_bytes + 1, b'x');
    let (s, b) = upload(&app, &op, &n, &[("file", "big.pdf", &big)]).await;
    assert_eq!((s, code(&b)), (StatusCode::PAYLOAD_TOO_LARGE, "file_too_large"), "{b}");
    // No file at all: 422.
    let (s, b) = upload(&app, &op, &n, &[]).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "file_required"),
        "{b}"
    );
    let (_, list) = app.get_auth(&format!("/api/v1/hotline/orders/{n}/files"), &op).await;
    assert_eq!(
        list.as_array().unwrap().len(),
        2,
        "nothing added by the refused uploads"
    );

    // Dispatched to zhzfj: its staff download and add files; another department can do neither.
    let (s, b) = app
        .post_json(
            &format!("/api/v1/hotline/orders/{n}/actions"),
            &json!({"action": "dispatch", "version": 1, "department": "zhzfj"}),
            Some(&op),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let dept = app.token("reviewer-zhzfj").await;
    let other = app.token("reviewer-rsj").await;
    let path = format!("/api/v1/hotline/orders/{n}/files/{sha}");
    let r = app.client.get(app.url(&path)).bearer_auth(&dept).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    assert_eq!(r.bytes().await.unwrap().to_vec(), png());
    let r = app.client.get(app.url(&path)).bearer_auth(&other).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (s, _) = app.get_auth(&format!("/api/v1/hotline/orders/{n}/files"), &other).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = upload(&app, &other, &n, &[("file", "x.png", &png())]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, b) = app
        .get_auth(&format!("/api/v1/hotline/orders/{n}/files/{}", "0".repeat(64)), &dept)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
    let (s, _) = upload(&app, &dept, &n, &[("file", "整改后.jpg", b"\xFF\xD8\xFF\xE0 jpeg")]).await;
    assert_eq!(s, StatusCode::CREATED);

    // The order page lists them with download links that only readers of the order may follow.
    let (opc, _) = crate::web::sign_in(&app, "operator").await;
    let page = crate::web::fetch(&opc, &app, &format!("/staff/hotline/orders/{n}")).await;
    let link = format!("/staff/hotline/orders/{n}/files/{sha}");
    assert!(
        page.contains(&link) && page.contains("整改后.jpg") && page.contains("上传附件"),
        "{page}"
    );
    let r = opc.get(app.url(&link)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.bytes().await.unwrap().to_vec(), png());
    let (rsj, _) = crate::web::sign_in(&app, "reviewer-rsj").await;
    assert_eq!(
        rsj.get(app.url(&link)).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    // Upload on the order page (multipart with the CSRF token).
    let csrf = crate::web::hidden(&page, "csrf");
    let r = post_multipart(
        &opc,
        &app,
        &format!("/staff/hotline/orders/{n}/files"),
        &[("csrf", &csrf)],
        &[("files", "回访记录.pdf", b"%PDF-1.7 revisit")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = post_multipart(
        &opc,
        &app,
        &format!("/staff/hotline/orders/{n}/files"),
        &[("csrf", &csrf)],
        &[("files", "fake.pdf", b"<html>not a pdf</html>")],
    )
    .await;
    let page = r.text().await.unwrap();
    assert!(
        page.contains("fake.pdf") && page.contains("不是PDF、JPG、PNG或OFD"),
        "{page}"
    );
    let (_, list) = app.get_auth(&format!("/api/v1/hotline/orders/{n}/files"), &op).await;
    assert_eq!(list.as_array().unwrap().len(), 4);

    // The phone desk's form takes files with the order, in one go.
    let page = crate::web::fetch(&opc, &app, "/staff/hotline/new").await;
    assert!(page.contains("multipart/form-data"));
    let fields = [
        ("csrf", csrf.as_str()),
        ("channel", "phone"),
        ("category", "daolu"),
        ("urgency", "normal"),
        ("content", "云溪大道井盖缺失"),
        ("caller_phone", "13812345678"),
    ];
    let before = order_count(&app).await;
    let r = post_multipart(
        &opc,
        &app,
        "/staff/hotline/new",
        &fields,
        &[("files", "ok.png", &png()), ("files", "bad.png", b"BM bitmap")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("bad.png"));
    assert_eq!(order_count(&app).await, before, "a bad file: no order");
    let r = post_multipart(
        &opc,
        &app,
        "/staff/hotline/new",
        &fields,
        &[("files", "井盖.png", &png())],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    let m = loc.rsplit('/').next().unwrap().to_string();
    let (_, d) = app.get_auth(&format!("/api/v1/hotline/orders/{m}"), &op).await;
    assert_eq!(d["files"][0]["name"], "井盖.png", "{d}");
    let actions: Vec<&str> = d["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["receive", "attach"]);

    // The public form too (no login, no CSRF: it grants nothing the public API does not).
    let public = [
        ("channel", "web"),
        ("category", "ludeng"),
        ("content", "永兴路路灯不亮"),
        ("name", "王五"),
        ("phone", "13912345678"),
    ];
    let r = post_multipart(
        &app.client,
        &app,
        "/hotline",
        &public,
        &[("files", "夜景.jpg", b"\xFF\xD8\xFF\xDB jpeg")],
    )
    .await;
    let page = r.text().await.unwrap();
    let start = page.find("id=\"receipt\">").expect("receipt") + "id=\"receipt\">".len();
    let p: String = page[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    let (_, d) = app.get_auth(&format!("/api/v1/hotline/orders/{p}"), &op).await;
    assert_eq!(
        (d["files"][0]["name"].as_str(), d["files"][0]["uploaded_by"].as_str()),
        (Some("夜景.jpg"), Some("portal"))
    );
    let before = order_count(&app).await;
    let r = post_multipart(
        &app.client,
        &app,
        "/hotline",
        &public,
        &[("files", "virus.jpg", b"#!/bin/sh\nrm -rf /")],
    )
    .await;
    assert!(r.text().await.unwrap().contains("virus.jpg"));
    assert_eq!(order_count(&app).await, before);
    // The plain form without files still works as before.
    let r = app.client.post(app.url("/hotline")).form(&public).send().await.unwrap();
    assert!(r.text().await.unwrap().contains("工单编号"));
});

async fn raise_warning(app: &TestApp, op: &str) -> i64 {
    for t in [
        "八字门社区东门路灯不亮好几天了",
        "八字门社区路灯晚上全部不亮",
        "路灯坏了不亮，八字门社区一片漆黑",
    ] {
        let mut b = street_light();
        b["content"] = json!(t);
        b["title"] = json!("");
        new_order(app, op, b).await;
    }
    let (s, w) = app.get_auth("/api/v1/hotline/warnings", op).await;
    assert_eq!(s, StatusCode::OK, "{w}");
    assert_eq!(w.as_array().unwrap().len(), 1, "{w}");
    assert!(w[0]["acknowledged_by"].is_null());
    w[0]["id"].as_i64().unwrap()
}

both_backends!(warnings_are_acknowledged_once, |app: TestApp| async move {
    app.department_staff().await;
    let op = app.token("operator").await;
    let id = raise_warning(&app, &op).await;
    let path = format!("/api/v1/hotline/warnings/{id}/acknowledge");

    // Another department may not take it on; a note is required; an unknown warning is 404.
    let other = app.token("reviewer-rsj").await;
    let (s, b) = app.post_json(&path, &json!({"note": "我们来处理"}), Some(&other)).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    let (s, b) = app
        .post_json(&path, &json!({"note": "  "}), Some(&app.token("clerk").await))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    let dept = app.token("reviewer-zhzfj").await;
    let (s, b) = app.post_json(&path, &json!({"note": "  "}), Some(&dept)).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "note_required"),
        "{b}"
    );
    let (s, _) = app
        .post_json(
            "/api/v1/hotline/warnings/999999/acknowledge",
            &json!({"note": "x"}),
            Some(&dept),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // The department's page shows it open, with the form; an empty note is refused on the page.
    let (web, _) = crate::web::sign_in(&app, "reviewer-zhzfj").await;
    let page = crate::web::fetch(&web, &app, "/staff/hotline/warnings").await;
    assert!(
        page.contains("待认领（1）") && page.contains(&format!("ack-{id}")),
        "{page}"
    );
    let csrf = crate::web::hidden(&page, "csrf");
    let id_text = id.to_string();
    let r = web
        .post(app.url("/staff/hotline/warnings"))
        .form(&[("csrf", csrf.as_str()), ("id", id_text.as_str()), ("note", "")])
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("请填写拟采取的处置措施"));
    let r = web
        .post(app.url("/staff/hotline/warnings"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("id", id_text.as_str()),
            ("note", "今晚安排巡查八字门社区全部路灯并更换"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = crate::web::fetch(&web, &app, "/staff/hotline/warnings").await;
    assert!(
        page.contains("已认领（1）")
            && page.contains("待认领（0）")
            && page.contains("今晚安排巡查八字门社区全部路灯并更换"),
        "{page}"
    );

    // Twice: 409, whoever tries (the department again, or the hotline), and the first note stays.
    let (s, b) = app.post_json(&path, &json!({"note": "再次认领"}), Some(&dept)).await;
    assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "already_acknowledged"), "{b}");
    let (s, b) = app.post_json(&path, &json!({"note": "热线代认领"}), Some(&op)).await;
    assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "already_acknowledged"), "{b}");
    let (_, w) = app.get_auth("/api/v1/hotline/warnings", &dept).await;
    assert_eq!(w[0]["acknowledged_by"], "reviewer-zhzfj");
    assert_eq!(w[0]["acknowledgement"], "今晚安排巡查八字门社区全部路灯并更换");
    assert!(w[0]["acknowledged_at"].is_string());
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'hotline.warning_ack'"
        )
        .await,
        1
    );
});

both_backends!(operators_acknowledge_for_the_department, |app: TestApp| async move {
    let op = app.token("operator").await;
    let id = raise_warning(&app, &op).await;
    let (s, w) = app
        .post_json(
            &format!("/api/v1/hotline/warnings/{id}/acknowledge"),
            &json!({"note": "已电话通知综合行政执法局值班室"}),
            Some(&op),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{w}");
    assert_eq!(
        (w["acknowledged_by"].as_str(), w["id"].as_i64()),
        (Some("operator"), Some(id))
    );
});

/// Open311 POST of a point, JSON.
async fn post_point(app: &TestApp, key: &str, point: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut form = vec![
        ("api_key", key),
        ("service_code", "ludeng"),
        ("description", "路灯不亮"),
    ];
    form.extend_from_slice(point);
    let r = app
        .client
        .post(app.url("/open311/v2/requests.json"))
        .form(&form)
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, serde_json::from_str(&r.text().await.unwrap()).unwrap_or(Value::Null))
}

async fn open311_key(app: &TestApp) -> String {
    let (s, k) = app
        .post_json(
            "/api/v1/open311/keys",
            &json!({"name": "测试客户端"}),
            Some(&app.token("admin").await),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{k}");
    k["api_key"].as_str().unwrap().to_string()
}

both_backends!(open311_checks_lat_and_long, |app: TestApp| async move {
    let key = open311_key(&app).await;
    let before = order_count(&app).await;
    for (point, says) in [
        (vec![("lat", "91"), ("long", "113.27")], "lat 91 is out of range"),
        (vec![("lat", "-90.5"), ("long", "113.27")], "out of range"),
        (
            vec![("lat", "29.47"), ("long", "180.01")],
            "long 180.01 is out of range",
        ),
        (vec![("lat", "29.47"), ("long", "-181")], "out of range"),
        (vec![("lat", "abc"), ("long", "113.27")], "lat must be a number"),
        (vec![("lat", "29.47"), ("long", "1e999")], "out of range"),
        (vec![("lat", "NaN"), ("long", "113.27")], "out of range"),
        (vec![("lat", "29.47")], "lat was given without long"),
        (
            vec![("lat", "29.47"), ("address_string", "云溪大道")],
            "lat was given without long",
        ),
        (vec![("long", "113.27")], "long was given without lat"),
    ] {
        let (s, e) = post_point(&app, &key, &point).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{point:?}: {e}");
        assert_eq!(e[0]["code"], 400, "{point:?}: {e}");
        assert!(e[0]["description"].as_str().unwrap().contains(says), "{point:?}: {e}");
    }
    // The XML form of the same error.
    let r = app
        .client
        .post(app.url("/open311/v2/requests.xml"))
        .form(&[
            ("api_key", key.as_str()),
            ("service_code", "ludeng"),
            ("lat", "95"),
            ("long", "113"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("<errors><error><code>400</code><description>lat 95"));
    assert_eq!(order_count(&app).await, before, "nothing written");
    // Without a bounding box any valid point on the globe is taken.
    let (s, b) = post_point(&app, &key, &[("lat", "-33.86"), ("long", "151.21")]).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // Orders with and without a point, one after another on the same pooled connections (on PostgreSQL a NULL
    // lat once made the next order's lat fail to bind).
    let op = app.token("operator").await;
    for _ in 0..6 {
        new_order(&app, &op, street_light()).await;
        let mut b = street_light();
        b["lat"] = json!(29.47);
        b["lon"] = json!(113.27);
        let o = new_order(&app, &op, b).await;
        assert_eq!((o["lat"].as_f64(), o["lon"].as_f64()), (Some(29.47), Some(113.27)));
        let (s, b) = post_point(&app, &key, &[("lat", "29.48"), ("long", "113.28")]).await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }
});

/// The deployment's hotline settings, as `[hotline]` of tongban.toml would set them.
fn settings() -> tongban_app::Settings {
    let mut h = tongban_app::hotline::HotlineSettings::default();
    for (k, d) in h.kind_days.iter_mut() {
        if k == "consultation" {
            *d = 5;
        }
    }
    h.emergency_hours = 2;
    h.bbox = Some([29.3, 113.1, 29.6, 113.5]);
    tongban_app::Settings {
        hotline: h,
        ..Default::default()
    }
}

async fn settings_apply(app: TestApp) {
    let op = app.token("operator").await;
    // A consultation category without a limit of its own takes the configured 5 working days.
    let (_, cats) = app.get_json("/api/v1/hotline/categories").await;
    let yibao = cats.as_array().unwrap().iter().find(|c| c["code"] == "yibao").unwrap();
    assert_eq!(yibao["limit_days"], 5, "{yibao}");
    // An emergency is due the configured 2 hours after receipt.
    let mut b = street_light();
    b["urgency"] = json!("emergency");
    let o = new_order(&app, &op, b).await;
    let received = chrono::DateTime::parse_from_rfc3339(o["received_at"].as_str().unwrap()).unwrap();
    let due = chrono::DateTime::parse_from_rfc3339(o["due_at"].as_str().unwrap()).unwrap();
    assert_eq!(due - received, chrono::Duration::hours(2), "{o}");
    // The intake page states the configured limits.
    let (web, _) = crate::web::sign_in(&app, "operator").await;
    let page = crate::web::fetch(&web, &app, "/staff/hotline/new").await;
    assert!(page.contains("咨询5个工作日") && page.contains("特急2小时"), "{page}");

    // Points outside the district's box are refused: Open311 in its own format, the API with a code.
    let key = open311_key(&app).await;
    let (s, e) = post_point(&app, &key, &[("lat", "39.9"), ("long", "116.4")]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert!(
        e[0]["description"].as_str().unwrap().contains("outside the area"),
        "{e}"
    );
    let (s, b) = post_point(&app, &key, &[("lat", "29.47"), ("long", "113.27")]).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let mut b = street_light();
    b["lat"] = json!(29.0);
    b["lon"] = json!(113.27);
    let (s, r) = app.post_json("/api/v1/hotline/orders", &b, Some(&op)).await;
    assert_eq!(
        (s, code(&r)),
        (StatusCode::UNPROCESSABLE_ENTITY, "location_outside"),
        "{r}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hotline_settings_apply_sqlite() {
    if let Some(app) = TestApp::spawn_with(Db::Sqlite, settings()).await {
        settings_apply(app).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hotline_settings_apply_postgres() {
    if let Some(app) = TestApp::spawn_with(Db::Postgres, settings()).await {
        settings_apply(app).await;
    }
}
