//! 一网通办 over HTTP on both databases: an online filing needs the applicant signed in and is filed in their name;
//! items' application forms as data (definition, JSON Schema, validation, an administrator's edit); sessions that
//! can be listed and ended; the apply page from the guide to "my cases".

use crate::both_backends;
use crate::helpers::{multipart, TestApp, APPLICANT_ID as ID, APPLICANT_PHONE as PHONE, LICENCE_ITEM as ITEM};
use reqwest::StatusCode;
use serde_json::{json, Value};

const OTHER_ID: &str = "110101199003071233";

fn err(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

/// The last sign-in code texted to the phone, as the applicant reads it off the SMS.
async fn texted_code(app: &TestApp, phone: &str) -> String {
    let sms: String = sqlx::query_scalar::<_, String>(
        "SELECT body FROM outbox WHERE recipient = $1 AND body LIKE '%验证码%' ORDER BY id DESC",
    )
    .bind(phone)
    .fetch_one(app.state.store.pool())
    .await
    .unwrap();
    sms.chars().filter(|c| c.is_ascii_digit()).take(6).collect()
}

async fn applicant_token(app: &TestApp, id: &str, name: &str, phone: &str) -> String {
    let (status, body) = app
        .post_json(
            "/api/v1/applicant/code",
            &json!({"identifier": id, "phone": phone}),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let code = texted_code(app, phone).await;
    let (status, body) = app
        .post_json(
            "/api/v1/applicant/login",
            &json!({"identifier": id, "name": name, "phone": phone, "code": code}),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["token"].as_str().unwrap().to_string()
}

fn complete_form() -> Value {
    json!({"contact_name": "张三", "contact_phone": PHONE, "address": "云溪区云溪大道1号", "purpose": "开一家小吃店"})
}

async fn cases_count(app: &TestApp) -> i64 {
    sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM cases")
        .fetch_one(app.state.store.pool())
        .await
        .unwrap()
}

both_backends!(
    online_filing_is_in_the_signed_in_applicants_name,
    |app: TestApp| async move {
        let body = json!({"item_code": ITEM, "channel": "online", "form": complete_form()});
        let (status, anon) = app.post_json("/api/v1/cases", &body, None).await;
        assert_eq!(
            (status, err(&anon)),
            (StatusCode::UNAUTHORIZED, "applicant_login_required")
        );
        let (status, bad) = app.post_json("/api/v1/cases", &body, Some("not-a-token")).await;
        assert_eq!((status, err(&bad)), (StatusCode::UNAUTHORIZED, "invalid_token"));

        let token = applicant_token(&app, ID, "张三", PHONE).await;
        let before = cases_count(&app).await;
        // Someone else's name in the body: refused, nothing filed.
        let mut other = body.clone();
        other["applicant"] = json!({"kind": "person", "name": "李四", "id_number": OTHER_ID, "phone": "13900001111"});
        let (status, refused) = app.post_json("/api/v1/cases", &other, Some(&token)).await;
        assert_eq!(
            (status, err(&refused)),
            (StatusCode::FORBIDDEN, "applicant_mismatch"),
            "{refused}"
        );
        // A form that breaks the item's definition: every failing field named, nothing filed.
        let mut broken = body.clone();
        broken["form"] = json!({"contact_phone": "12345", "address": "", "unknown": 1});
        let (status, invalid) = app.post_json("/api/v1/cases", &broken, Some(&token)).await;
        assert_eq!(
            (status, err(&invalid)),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_form")
        );
        let fields: Vec<&str> = invalid["error"]["details"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["field"].as_str().unwrap())
            .collect();
        assert_eq!(
            fields,
            vec!["unknown", "contact_name", "contact_phone", "address", "purpose"],
            "{invalid}"
        );
        assert_eq!(cases_count(&app).await, before, "refusals write nothing");

        let (status, case) = app.post_json("/api/v1/cases", &body, Some(&token)).await;
        assert_eq!(status, StatusCode::CREATED, "{case}");
        assert_eq!(case["channel"], "online");
        assert_eq!(case["applicant_name"], "张三");
        let number = case["number"].as_str().unwrap();
        let (status, mine) = app.get_auth("/api/v1/my/cases", &token).await;
        assert_eq!(status, StatusCode::OK);
        assert!(mine.as_array().unwrap().iter().any(|c| c["number"] == number), "{mine}");
        // Materials uploaded online (multipart), by content; only the applicant's own open case takes them.
        let upload = |token: Option<String>, number: String, material: &'static str, bytes: &'static [u8]| {
            let (content_type, body) = multipart(&[("material", material)], &[("file", "材料.pdf", bytes)]);
            let mut req = app
                .client
                .post(app.url(&format!("/api/v1/cases/{number}/files")))
                .header("Content-Type", content_type)
                .body(body);
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            async move {
                let r = req.send().await.unwrap();
                let status = r.status();
                (status, r.json::<Value>().await.unwrap_or(Value::Null))
            }
        };
        let pdf: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF";
        let (status, list) = upload(Some(token.clone()), number.to_string(), "申请表", pdf).await;
        assert_eq!(status, StatusCode::CREATED, "{list}");
        assert!(
            list.as_array()
                .unwrap()
                .iter()
                .any(|m| m["name"] == "申请表" && m["received"] == true && m["files"][0]["uploaded_by"] == "applicant"),
            "{list}"
        );
        let (status, body) = upload(Some(token.clone()), number.to_string(), "申请表", b"MZ not a pdf").await;
        assert_eq!(
            (status, err(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "unsupported_file_type")
        );
        let (status, body) = upload(Some(token.clone()), number.to_string(), "../../etc/passwd", pdf).await;
        assert_eq!(
            (status, err(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "unknown_material")
        );
        let (status, body) = upload(None, number.to_string(), "申请表", pdf).await;
        assert_eq!(
            (status, err(&body)),
            (StatusCode::UNAUTHORIZED, "applicant_login_required")
        );
        let stranger = applicant_token(&app, OTHER_ID, "李四", "13900001111").await;
        let (status, _) = upload(Some(stranger), number.to_string(), "申请表", pdf).await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "another person's case does not exist for them"
        );

        // The case reaches the comprehensive window's list like a window filing.
        let clerk = app.token("clerk").await;
        let (status, at_window) = app.get_auth(&format!("/api/v1/cases/{number}"), &clerk).await;
        assert_eq!(status, StatusCode::OK, "{at_window}");
        assert_eq!(at_window["state"], "submitted");

        // Sessions: listed, one ended from another device, and signing out ends the token.
        let second = applicant_token(&app, ID, "张三", PHONE).await;
        let (status, sessions) = app.get_auth("/api/v1/applicant/sessions", &token).await;
        assert_eq!(status, StatusCode::OK);
        let sessions = sessions.as_array().unwrap().clone();
        assert_eq!(sessions.len(), 2, "{sessions:?}");
        assert!(
            sessions.iter().all(|s| s.get("csrf_token").is_none()),
            "no secret in the list"
        );
        assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
        let newest = sessions.iter().find(|s| s["current"] == false).unwrap()["session_id"]
            .as_str()
            .unwrap();
        let r = app
            .client
            .delete(app.url(&format!("/api/v1/applicant/sessions/{newest}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        let (status, _) = app.get_auth("/api/v1/my/cases", &second).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "the ended session no longer opens");
        let r = app
            .client
            .post(app.url("/api/v1/applicant/logout"))
            .header("Authorization", format!("bearer {token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        let (status, _) = app.get_auth("/api/v1/my/cases", &token).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, body) = app.post_json("/api/v1/cases", &body, Some(&token)).await;
        assert_eq!((status, err(&body)), (StatusCode::UNAUTHORIZED, "invalid_token"));
    }
);

both_backends!(
    forms_are_data_published_as_schema_and_edited_by_an_administrator,
    |app: TestApp| async move {
        let (status, form) = app.get_json(&format!("/api/v1/items/{ITEM}/form")).await;
        assert_eq!(status, StatusCode::OK, "{form}");
        assert_eq!(form["is_default"], true);
        let (status, schema) = app.get_json(&format!("/api/v1/items/{ITEM}/form.schema.json")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            schema["required"],
            json!(["contact_name", "contact_phone", "address", "purpose"])
        );
        let (status, _) = app.get_json("/api/v1/items/NOPE/form").await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        let definition = json!({"fields": [
            {"name": "shop", "label": "店铺名称", "type": "text", "required": true, "max_length": 30},
            {"name": "kind", "label": "经营类别", "type": "choice", "required": true, "options": ["餐饮", "零售"]},
            {"name": "seats", "label": "座位数", "type": "number", "required": true, "min": 1, "max": 500,
             "show_when": {"field": "kind", "equals": "餐饮"}},
            {"name": "opened", "label": "开业日期", "type": "date"},
            {"name": "staff", "label": "从业人员", "type": "table", "columns": [
                {"name": "name", "label": "姓名", "type": "text", "required": true},
                {"name": "id", "label": "身份证号码", "type": "id_number", "required": true}]}
        ]});
        let admin = app.token("admin").await;
        let clerk = app.token("clerk").await;
        let (status, _) = app
            .put_json(&format!("/api/v1/items/{ITEM}/form"), &definition, &clerk)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "only administrators edit forms");
        let mut broken = definition.clone();
        broken["fields"][2]["show_when"]["field"] = json!("later");
        let (status, body) = app
            .put_json(&format!("/api/v1/items/{ITEM}/form"), &broken, &admin)
            .await;
        assert_eq!(
            (status, err(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_form_definition")
        );
        let (_, before) = app.get_json(&format!("/api/v1/items/{ITEM}")).await;
        let (status, body) = app
            .put_json(&format!("/api/v1/items/{ITEM}/form"), &definition, &admin)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["is_default"], false);
        let (_, after) = app.get_json(&format!("/api/v1/items/{ITEM}")).await;
        assert_eq!(
            after["version"].as_i64(),
            before["version"].as_i64().map(|v| v + 1),
            "a form edit is a new guide version"
        );
        let (_, schema) = app.get_json(&format!("/api/v1/items/{ITEM}/form.schema.json")).await;
        assert_eq!(schema["allOf"][0]["then"]["required"], json!(["seats"]));

        let token = applicant_token(&app, ID, "张三", PHONE).await;
        let file = |form: Value| json!({"item_code": ITEM, "channel": "online", "form": form});
        let (status, body) = app
            .post_json(
                "/api/v1/cases",
                &file(
                    json!({"shop": "小店", "kind": "餐饮", "seats": 900, "opened": "2026-02-30",
                    "staff": [{"name": "王五", "id": "123"}]}),
                ),
                Some(&token),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let codes: Vec<(&str, &str)> = body["error"]["details"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| (d["field"].as_str().unwrap(), d["code"].as_str().unwrap()))
            .collect();
        assert_eq!(
            codes,
            vec![
                ("seats", "too_large"),
                ("opened", "not_date"),
                ("staff[0].id", "invalid_id_number")
            ]
        );
        let (status, case) = app
            .post_json(
                "/api/v1/cases",
                &file(json!({"shop": "小店", "kind": "零售", "seats": 900})),
                Some(&token),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "a hidden field is not asked for: {case}");

        let r = app
            .client
            .delete(app.url(&format!("/api/v1/items/{ITEM}/form")))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let (_, form) = app.get_json(&format!("/api/v1/items/{ITEM}/form")).await;
        assert_eq!(form["is_default"], true);
    }
);

both_backends!(
    a_citizen_applies_on_the_portal_from_the_guide_to_my_cases,
    |app: TestApp| async move {
        let citizen = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let guide = citizen
            .get(app.url(&format!("/items/{ITEM}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            guide.contains(&format!("/items/{ITEM}/apply")),
            "the guide offers to apply online"
        );
        let r = citizen
            .get(app.url(&format!("/items/{ITEM}/apply")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let to_login = r.headers()["location"].to_str().unwrap().to_string();
        assert!(to_login.starts_with("/my?next=/items/"), "{to_login}");
        let next = format!("/items/{ITEM}/apply");
        let sign_in = citizen
            .get(app.url(&to_login))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let r = citizen
            .post(app.url("/my/code"))
            .form(&[
                ("csrf", crate::web::hidden(&sign_in, "csrf").as_str()),
                ("identifier", ID),
                ("name", "张三"),
                ("phone", PHONE),
                ("next", next.as_str()),
            ])
            .send()
            .await
            .unwrap();
        let sent = r.text().await.unwrap();
        assert!(sent.contains("验证码已发送"));
        let code = texted_code(&app, PHONE).await;
        let r = citizen
            .post(app.url("/my/login"))
            .form(&[
                ("csrf", crate::web::hidden(&sent, "csrf").as_str()),
                ("identifier", ID),
                ("name", "张三"),
                ("phone", PHONE),
                ("code", &code),
                ("next", &next),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.headers()["location"],
            next.as_str(),
            "back to the form after signing in"
        );

        let page = citizen.get(app.url(&next)).send().await.unwrap().text().await.unwrap();
        assert!(
            page.contains("申请事由") && page.contains("value=\"张三\""),
            "known fields filled in"
        );
        let csrf = crate::web::hidden(&page, "csrf");
        let before = cases_count(&app).await;
        let fields = [
            ("csrf", csrf.as_str()),
            ("contact_name", "张三"),
            ("contact_phone", "123"),
            ("address", ""),
            ("purpose", "开一家小吃店"),
        ];
        let page = citizen
            .post(app.url(&next))
            .form(&fields)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("field-error") && page.contains("联系地址"),
            "errors beside the fields"
        );
        assert!(page.contains("开一家小吃店"), "what was typed is kept");
        assert_eq!(cases_count(&app).await, before, "nothing filed");
        let forged = [("csrf", "x"), ("contact_name", "张三")];
        let r = citizen.post(app.url(&next)).form(&forged).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);

        let fields = [
            ("csrf", csrf.as_str()),
            ("contact_name", "张三"),
            ("contact_phone", PHONE),
            ("address", "云溪区云溪大道1号"),
            ("purpose", "开一家小吃店"),
        ];
        let r = citizen.post(app.url(&next)).form(&fields).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let done = r.headers()["location"].to_str().unwrap().to_string();
        assert!(done.starts_with("/my?filed="), "{done}");
        let number = done.trim_start_matches("/my?filed=").to_string();
        let again = citizen.post(app.url(&next)).form(&fields).send().await.unwrap();
        assert_eq!(
            again.headers()["location"],
            done.as_str(),
            "a second press files no second case"
        );
        assert_eq!(cases_count(&app).await, before + 1);
        let mine = citizen.get(app.url(&done)).send().await.unwrap().text().await.unwrap();
        assert!(mine.contains(&number) && mine.contains("申请已提交"), "{mine}");
        let again = citizen.get(app.url(&next)).send().await.unwrap().text().await.unwrap();
        assert!(
            again.contains("云溪区云溪大道1号"),
            "the address given last time is filled in"
        );

        // The case's own page: where it stands, and materials uploaded from the browser.
        let page = citizen
            .get(app.url(&format!("/my/cases/{number}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("办理过程与告知") && page.contains("场所使用权证明"),
            "{page}"
        );
        let case_csrf = crate::web::hidden(&page, "csrf");
        let (content_type, body) = multipart(
            &[("csrf", case_csrf.as_str()), ("material", "场所使用权证明")],
            &[("file", "租赁合同.pdf", b"%PDF-1.4\n%%EOF")],
        );
        let r = citizen
            .post(app.url(&format!("/my/cases/{number}/files")))
            .header("Content-Type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let back = r.headers()["location"].to_str().unwrap().to_string();
        let page = citizen.get(app.url(&back)).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("已上传") && page.contains("1个文件"), "{page}");
        let others = citizen
            .get(app.url("/my/cases/430603-20000101-000001"))
            .send()
            .await
            .unwrap();
        assert_eq!(others.status(), StatusCode::NOT_FOUND, "no one else's case");

        let logout_csrf = crate::web::hidden(&mine, "csrf");
        let r = citizen
            .post(app.url("/my/logout"))
            .form(&[("csrf", logout_csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let r = citizen.get(app.url(&next)).send().await.unwrap();
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "signed out: the form asks to sign in again"
        );
        // `next` leads only to a path of this site.
        let sign_in = citizen.get(app.url("/my")).send().await.unwrap().text().await.unwrap();
        let r = citizen
            .post(app.url("/my/login"))
            .form(&[
                ("csrf", crate::web::hidden(&sign_in, "csrf").as_str()),
                ("identifier", ID),
                ("name", "张三"),
                ("phone", PHONE),
                ("code", "000000"),
                ("next", "//evil.example"),
            ])
            .send()
            .await
            .unwrap();
        let body = r.text().await.unwrap();
        assert!(!body.contains("evil.example"), "an off-site next is dropped");
    }
);

const PAYMENT_SECRET: &str = "test-secret-shared-with-the-payment-platform";

/// The payment platform's notification, signed as the platform signs it (or not, or wrongly).
async fn notify(app: &TestApp, body: &Value, secret: Option<&str>) -> (StatusCode, Value) {
    notify_at(app, "/api/v1/payments/notify", body, secret).await
}

async fn notify_at(app: &TestApp, path: &str, body: &Value, secret: Option<&str>) -> (StatusCode, Value) {
    use hmac::{Hmac, Mac};
    let raw = serde_json::to_vec(body).unwrap();
    let mut req = app
        .client
        .post(app.url(path))
        .header("Content-Type", "application/json")
        .body(raw.clone());
    if let Some(secret) = secret {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(&raw);
        req = req.header("X-Signature", hex::encode(mac.finalize().into_bytes()));
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn act(app: &TestApp, token: &str, number: &str, body: Value) -> (StatusCode, Value) {
    app.post_json(&format!("/api/v1/cases/{number}/actions"), &body, Some(token))
        .await
}

/// 网上预审 with a one-time correction fixed online, the fee paid through the signed notification, and the result
/// posted with its waybill — the applicant following it all in "my case".
async fn correction_fee_and_delivery(app: TestApp) {
    let admin = app.token("admin").await;
    let (status, body) = app
        .put_json(
            &format!("/api/v1/items/{ITEM}"),
            &json!({"fee_fen": 1250, "fee_basis": "《测试收费标准》"}),
            &admin,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = applicant_token(&app, ID, "张三", PHONE).await;
    let mut filing = json!({"item_code": ITEM, "channel": "online", "form": complete_form(),
        "delivery": {"method": "post", "address": "x"}});
    let (status, body) = app.post_json("/api/v1/cases", &filing, Some(&token)).await;
    assert_eq!(
        (status, err(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_delivery_address")
    );
    filing["delivery"]["address"] = json!("云溪区云溪大道1号 张三收");
    let (status, case) = app.post_json("/api/v1/cases", &filing, Some(&token)).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let number = case["number"].as_str().unwrap().to_string();

    // Pre-review: the clerk names what to fix; a name that is in neither the form nor the guide is refused.
    let clerk = app.token("clerk").await;
    let (status, body) = act(
        &app,
        &clerk,
        &number,
        json!({"action": "request_correction", "version": 1,
        "comment": "请补正", "fix_fields": ["nope"]}),
    )
    .await;
    assert_eq!(
        (status, err(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "unknown_field")
    );
    let (status, body) = act(
        &app,
        &clerk,
        &number,
        json!({"action": "request_correction", "version": 1,
        "comment": "地址不详", "fix_fields": ["address"], "fix_materials": ["场所使用权证明"]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, mine) = app.get_auth(&format!("/api/v1/my/cases/{number}"), &token).await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert_eq!(mine["state"], "correction_requested");
    assert!(
        mine["applicant_actions"]
            .as_array()
            .unwrap()
            .contains(&json!("resubmit")),
        "{mine}"
    );
    let notice = mine["notices"].as_array().unwrap().last().unwrap()["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        notice.contains("联系地址") && notice.contains("场所使用权证明"),
        "{notice}"
    );
    let sms: String = sqlx::query_scalar::<_, String>(
        "SELECT body FROM outbox WHERE recipient = $1 AND body LIKE '%补正%' ORDER BY id DESC",
    )
    .bind(PHONE)
    .fetch_one(app.state.store.pool())
    .await
    .unwrap();
    assert!(sms.contains("联系地址"), "the SMS names what to fix: {sms}");

    // The applicant fixes it online and resubmits the same case: the material first, then the form.
    let (content_type, upload) = multipart(
        &[("material", "场所使用权证明")],
        &[("file", "租赁合同.pdf", b"%PDF-1.4\n%%EOF".as_slice())],
    );
    let r = app
        .client
        .post(app.url(&format!("/api/v1/cases/{number}/files")))
        .bearer_auth(&token)
        .header("Content-Type", content_type)
        .body(upload)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let (status, body) = app
        .post_json(
            &format!("/api/v1/my/cases/{number}/actions"),
            &json!({"action": "resubmit", "version": 3, "form": {"contact_name": "张三"}}),
            Some(&token),
        )
        .await;
    assert_eq!((status, err(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_form"));
    let mut fixed = complete_form();
    fixed["address"] = json!("云溪区云溪大道1号3栋201室");
    let (status, mine) = app
        .post_json(
            &format!("/api/v1/my/cases/{number}/actions"),
            &json!({"action": "resubmit", "version": 3, "form": fixed}),
            Some(&token),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert_eq!(
        (mine["state"].as_str(), mine["number"].as_str()),
        (Some("submitted"), Some(number.as_str()))
    );
    assert_eq!(mine["form"]["address"], "云溪区云溪大道1号3栋201室");
    let (status, _) = app
        .post_json(
            &format!("/api/v1/my/cases/{number}/actions"),
            &json!({"action": "resubmit", "version": 4}),
            Some(&token),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not awaiting a correction any more"
    );

    // Accepted: a payment order with a 20-digit code; the result is not issued until it is paid.
    let materials = [
        "申请表",
        "营业执照或统一社会信用代码证明",
        "场所使用权证明",
        "相关资质证明材料",
    ];
    let (status, body) = act(
        &app,
        &clerk,
        &number,
        json!({"action": "accept", "version": 4, "materials": materials}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, order) = app.get_auth(&format!("/api/v1/cases/{number}/payment"), &token).await;
    assert_eq!(status, StatusCode::OK, "{order}");
    assert_eq!(
        (order["amount_fen"].as_i64(), order["state"].as_str()),
        (Some(1250), Some("unpaid"))
    );
    let code = order["code"].as_str().unwrap().to_string();
    assert!(code.len() == 20 && code.chars().all(|c| c.is_ascii_digit()), "{code}");
    let reviewer = app.token("reviewer").await;
    let head = app.token("head").await;
    act(
        &app,
        &reviewer,
        &number,
        json!({"action": "review", "version": 5, "comment": "符合条件"}),
    )
    .await;
    let (status, _) = act(
        &app,
        &head,
        &number,
        json!({"action": "approve", "version": 6, "comment": "同意"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = act(&app, &reviewer, &number, json!({"action": "issue", "version": 7})).await;
    assert_eq!((status, err(&body)), (StatusCode::CONFLICT, "fee_unpaid"));

    // The payment platform's notification: signed, for this order and this amount, taken once.
    let paid = json!({"payment_code": code, "amount_fen": 1250, "notice_id": "PAY-0001"});
    let (status, body) = notify(&app, &paid, None).await;
    assert_eq!((status, err(&body)), (StatusCode::UNAUTHORIZED, "invalid_signature"));
    let (status, _) = notify(&app, &paid, Some("another-secret-of-enough-length")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let mut wrong = paid.clone();
    wrong["amount_fen"] = json!(1);
    let (status, body) = notify(&app, &wrong, Some(PAYMENT_SECRET)).await;
    assert_eq!(
        (status, err(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "amount_mismatch")
    );
    let mut unknown = paid.clone();
    unknown["payment_code"] = json!("43060326120799999995");
    let (status, _) = notify(&app, &unknown, Some(PAYMENT_SECRET)).await;
    assert!(
        matches!(status, StatusCode::NOT_FOUND | StatusCode::UNPROCESSABLE_ENTITY),
        "{status}"
    );
    let (_, order) = app.get_auth(&format!("/api/v1/cases/{number}/payment"), &token).await;
    assert_eq!(order["state"], "unpaid", "refused notifications change nothing");
    let (status, body) = notify(&app, &paid, Some(PAYMENT_SECRET)).await;
    assert_eq!(
        (status, body["newly_paid"].as_bool()),
        (StatusCode::OK, Some(true)),
        "{body}"
    );
    let (status, body) = notify_at(&app, "/callbacks/fees", &paid, Some(PAYMENT_SECRET)).await;
    assert_eq!(
        (status, body["newly_paid"].as_bool()),
        (StatusCode::OK, Some(false)),
        "the same notice pays once, at the configured path too"
    );
    let mut second = paid.clone();
    second["notice_id"] = json!("PAY-0002");
    let (status, body) = notify(&app, &second, Some(PAYMENT_SECRET)).await;
    assert_eq!((status, err(&body)), (StatusCode::CONFLICT, "already_paid"));

    let supervisor = app.token("supervisor").await;
    let (status, day) = app.get_auth("/api/v1/payments/reconciliation", &supervisor).await;
    assert_eq!(status, StatusCode::OK, "{day}");
    assert_eq!(
        (
            day["orders"].as_i64(),
            day["paid"].as_i64(),
            day["paid_fen"].as_i64(),
            day["unpaid_fen"].as_i64()
        ),
        (Some(1), Some(1), Some(1250), Some(0))
    );
    let (status, _) = app.get_auth("/api/v1/payments/reconciliation", &clerk).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Issued once paid; the delivery can no longer change; posting needs the waybill, which the applicant sees.
    let (status, body) = act(&app, &reviewer, &number, json!({"action": "issue", "version": 7})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let r = app
        .client
        .put(app.url(&format!("/api/v1/my/cases/{number}/delivery")))
        .bearer_auth(&token)
        .json(&json!({"method": "window"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let (status, body) = act(&app, &clerk, &number, json!({"action": "deliver", "version": 8})).await;
    assert_eq!(
        (status, err(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "missing_waybill")
    );
    let (status, body) = act(
        &app,
        &clerk,
        &number,
        json!({"action": "deliver", "version": 8,
        "carrier": "中国邮政EMS", "waybill": "EA123456789CN"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, mine) = app.get_auth(&format!("/api/v1/my/cases/{number}"), &token).await;
    assert_eq!(mine["delivery"]["waybill"], "EA123456789CN");
    assert_eq!(mine["payment"]["notice_id"], "PAY-0001");
    assert!(
        mine["licence_id"].is_string(),
        "the approval issued an e-licence: {mine}"
    );

    // The next application reuses: the e-licence for one material, the first case's file for another.
    let next_item = "430603-QT-0001";
    let (status, body) = app
        .put_json(
            &format!("/api/v1/items/{next_item}"),
            &json!({"materials": [{"name": "申请表"}, {"name": "食品经营许可证"}, {"name": "场所使用权证明"}]}),
            &admin,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, case) = app
        .post_json(
            "/api/v1/cases",
            &json!({"item_code": next_item, "channel": "online", "form": complete_form()}),
            Some(&token),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let second = case["number"].as_str().unwrap().to_string();
    let (_, mine) = app.get_auth(&format!("/api/v1/my/cases/{second}"), &token).await;
    let offers = mine["reusable"].as_array().unwrap();
    let licence_offer = offers
        .iter()
        .find(|r| r["material"] == "食品经营许可证")
        .expect("licence offered");
    let licence_id = licence_offer["licences"][0]["licence_id"].as_str().unwrap().to_string();
    let file_offer = offers
        .iter()
        .find(|r| r["material"] == "场所使用权证明")
        .expect("the file uploaded on the first case is offered");
    assert_eq!(file_offer["earlier_cases"], json!([number.clone()]));
    let reuse = |body: Value| {
        let app = &app;
        let token = token.clone();
        let second = second.clone();
        async move {
            app.post_json(
                &format!("/api/v1/my/cases/{second}/materials/reuse"),
                &body,
                Some(&token),
            )
            .await
        }
    };
    let (status, body) = reuse(json!({"material": "申请表", "licence_id": licence_id})).await;
    assert_eq!(
        (status, err(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "licence_does_not_match")
    );
    let (status, body) = reuse(json!({"material": "食品经营许可证", "licence_id": "nope"})).await;
    assert_eq!((status, err(&body)), (StatusCode::NOT_FOUND, "not_found"));
    let stranger = applicant_token(&app, OTHER_ID, "李四", "13900001111").await;
    let (status, _) = app
        .post_json(
            &format!("/api/v1/my/cases/{second}/materials/reuse"),
            &json!({"material": "食品经营许可证", "licence_id": licence_id}),
            Some(&stranger),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not their case");
    let (_, theirs) = app
        .post_json(
            "/api/v1/cases",
            &json!({"item_code": next_item, "channel": "online", "form": complete_form()}),
            Some(&stranger),
        )
        .await;
    let (status, _) = app
        .post_json(
            &format!(
                "/api/v1/my/cases/{}/materials/reuse",
                theirs["number"].as_str().unwrap()
            ),
            &json!({"material": "食品经营许可证", "licence_id": licence_id}),
            Some(&stranger),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another person's licence serves nobody else"
    );
    let (status, mine) = reuse(json!({"material": "食品经营许可证", "licence_id": licence_id})).await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    let entry = mine["materials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "食品经营许可证")
        .unwrap();
    assert_eq!(
        (entry["received"].as_bool(), entry["files"][0]["source"].as_str()),
        (Some(true), Some("licence"))
    );
    // A file handed in on the first case is reused with the applicant's confirmation; one never handed in is not.
    let (status, body) = reuse(json!({"material": "申请表", "from_case": number, "confirm": true})).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the first case has no uploaded 申请表 file: {body}"
    );
    let (status, body) = reuse(json!({"material": "场所使用权证明", "from_case": number})).await;
    assert_eq!(
        (status, err(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "confirmation_required")
    );
    // Revoked, a licence no longer stands for a material.
    let head = app.token("head").await;
    let (status, body) = app
        .post_json(
            &format!("/api/v1/licences/{licence_id}/revoke"),
            &json!({"reason": "经营者申请注销"}),
            Some(&head),
        )
        .await;
    assert!(status.is_success(), "revoking the licence: {status} {body}");
    let (_, third) = app
        .post_json(
            "/api/v1/cases",
            &json!({"item_code": next_item, "channel": "online", "form": complete_form()}),
            Some(&token),
        )
        .await;
    let third = third["number"].as_str().unwrap();
    let (status, body) = app
        .post_json(
            &format!("/api/v1/my/cases/{third}/materials/reuse"),
            &json!({"material": "食品经营许可证", "licence_id": licence_id}),
            Some(&token),
        )
        .await;
    assert_eq!(
        (status, err(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "licence_revoked")
    );
    let clerk_view = app
        .get_auth(&format!("/api/v1/cases/{second}/materials"), &clerk)
        .await
        .1;
    assert!(
        clerk_view.to_string().contains("\"source\":\"licence\""),
        "the clerk sees how it came: {clerk_view}"
    );
}

async fn with_payment_secret(db: crate::helpers::Db) -> Option<TestApp> {
    let settings = tongban_app::Settings {
        payment_secret: Some(PAYMENT_SECRET.into()),
        payment_notify_path: Some("/callbacks/fees".into()),
        ..Default::default()
    };
    TestApp::spawn_with(db, settings).await
}

mod correction_fee_and_delivery_online {
    use super::*;
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        if let Some(app) = with_payment_secret(crate::helpers::Db::Sqlite).await {
            correction_fee_and_delivery(app).await;
        }
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        if let Some(app) = with_payment_secret(crate::helpers::Db::Postgres).await {
            correction_fee_and_delivery(app).await;
        }
    }
}

const ENTERPRISE: &str = "91430603MA4L16JF0D";

async fn enterprise_token(app: &TestApp, id: &str, name: &str, phone: &str) -> (StatusCode, Value) {
    let (status, body) = app
        .post_json(
            "/api/v1/applicant/code",
            &json!({"identifier": id, "phone": phone}),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let code = texted_code(app, phone).await;
    app.post_json(
        "/api/v1/applicant/login",
        &json!({"identifier": id, "name": name, "phone": phone, "code": code, "enterprise": ENTERPRISE}),
        None,
    )
    .await
}

both_backends!(
    enterprises_apply_through_their_representative_and_authorised_agents,
    |app: TestApp| async move {
        let (status, body) = enterprise_token(&app, ID, "张三", PHONE).await;
        assert_eq!(
            (status, err(&body)),
            (StatusCode::FORBIDDEN, "not_authorised_for_enterprise"),
            "nobody acts for an enterprise before its representative is on record"
        );
        let admin = app.token("admin").await;
        let (status, body) = app
            .put_json(
                &format!("/api/v1/enterprises/{ENTERPRISE}/representative"),
                &json!({"enterprise_name": "云溪示例化工有限公司", "id_number": ID, "name": "张三"}),
                &admin,
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        let (status, login) = enterprise_token(&app, ID, "张三", PHONE).await;
        assert_eq!(status, StatusCode::OK, "{login}");
        let rep = login["token"].as_str().unwrap().to_string();
        let filing = json!({"item_code": ITEM, "channel": "online", "form": complete_form()});
        let (status, case) = app.post_json("/api/v1/cases", &filing, Some(&rep)).await;
        assert_eq!(status, StatusCode::CREATED, "{case}");
        assert_eq!(
            (case["applicant_kind"].as_str(), case["applicant_name"].as_str()),
            (Some("enterprise"), Some("云溪示例化工有限公司"))
        );
        assert!(
            case["agent"].as_str().unwrap().starts_with("法定代表人：张三"),
            "{case}"
        );

        // The representative authorises an agent, who then files for the enterprise, recorded as its agent.
        let (status, body) = app
            .post_json(
                "/api/v1/my/agents",
                &json!({"id_number": OTHER_ID, "name": "李四"}),
                Some(&rep),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (status, body) = app
            .post_json(
                "/api/v1/my/agents",
                &json!({"id_number": OTHER_ID, "name": "李四"}),
                Some(&rep),
            )
            .await;
        assert_eq!((status, err(&body)), (StatusCode::CONFLICT, "already_authorised"));
        let (status, login) = enterprise_token(&app, OTHER_ID, "李四", "13900001111").await;
        assert_eq!(status, StatusCode::OK, "{login}");
        let agent = login["token"].as_str().unwrap().to_string();
        let (status, case) = app.post_json("/api/v1/cases", &filing, Some(&agent)).await;
        assert_eq!(status, StatusCode::CREATED, "{case}");
        assert!(case["agent"].as_str().unwrap().starts_with("经办人"), "{case}");
        let (_, mine) = app.get_auth("/api/v1/my/cases", &agent).await;
        assert_eq!(
            mine.as_array().unwrap().len(),
            2,
            "the agent follows the enterprise's cases: {mine}"
        );
        let (status, body) = app.get_auth("/api/v1/my/agents", &agent).await;
        assert_eq!((status, err(&body)), (StatusCode::FORBIDDEN, "representative_only"));

        // Withdrawn: the agent's session ends and a new one is refused.
        let r = app
            .client
            .delete(app.url(&format!("/api/v1/my/agents/{OTHER_ID}")))
            .bearer_auth(&rep)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        let (status, body) = app.post_json("/api/v1/cases", &filing, Some(&agent)).await;
        assert_eq!((status, err(&body)), (StatusCode::UNAUTHORIZED, "invalid_token"));
        let (status, body) = enterprise_token(&app, OTHER_ID, "李四", "13900001111").await;
        assert_eq!(
            (status, err(&body)),
            (StatusCode::FORBIDDEN, "not_authorised_for_enterprise")
        );
        let (_, agents) = app.get_auth("/api/v1/my/agents", &rep).await;
        assert_eq!(agents, json!([]));
        // 李四 signed in as himself sees none of the enterprise's cases.
        let own = applicant_token(&app, OTHER_ID, "李四", "13900001111").await;
        let (_, mine) = app.get_auth("/api/v1/my/cases", &own).await;
        assert_eq!(mine, json!([]));
    }
);

both_backends!(
    drafts_are_saved_finished_later_and_submitted_once,
    |app: TestApp| async move {
        let token = applicant_token(&app, ID, "张三", PHONE).await;
        let (status, draft) = app
            .post_json(
                "/api/v1/my/drafts",
                &json!({"item_code": ITEM, "form": {"contact_name": "张三"}}),
                Some(&token),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{draft}");
        let id = draft["id"].as_i64().unwrap();
        let (_, mine) = app.get_auth("/api/v1/my/cases", &token).await;
        assert_eq!(mine[0]["state"], "draft", "drafts are listed with the cases: {mine}");
        assert_eq!(mine[0]["draft_id"].as_i64(), Some(id));
        let before = cases_count(&app).await;
        let (status, body) = app
            .post_json(&format!("/api/v1/my/drafts/{id}/submit"), &json!({}), Some(&token))
            .await;
        assert_eq!((status, err(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_form"));
        assert_eq!(cases_count(&app).await, before, "an incomplete draft files nothing");
        let (status, _) = app
            .put_json(
                &format!("/api/v1/my/drafts/{id}"),
                &json!({"item_code": ITEM, "form": complete_form()}),
                &token,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let (status, first) = app
            .post_json(&format!("/api/v1/my/drafts/{id}/submit"), &json!({}), Some(&token))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{first}");
        let (status, again) = app
            .post_json(&format!("/api/v1/my/drafts/{id}/submit"), &json!({}), Some(&token))
            .await;
        assert_eq!(status, StatusCode::OK, "submitting again answers the same case");
        assert_eq!(again["number"], first["number"]);
        assert_eq!(cases_count(&app).await, before + 1);
        let (_, mine) = app.get_auth("/api/v1/my/cases", &token).await;
        assert!(mine.as_array().unwrap().iter().all(|c| c["state"] != "draft"), "{mine}");
        let other = applicant_token(&app, OTHER_ID, "李四", "13900001111").await;
        let (status, _) = app.get_auth(&format!("/api/v1/my/drafts/{id}"), &other).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "no one else's draft");

        // On the portal: save half-filled, continue later from /my, submit.
        let citizen = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let sign_in = citizen.get(app.url("/my")).send().await.unwrap().text().await.unwrap();
        let sent = citizen
            .post(app.url("/my/code"))
            .form(&[
                ("csrf", crate::web::hidden(&sign_in, "csrf").as_str()),
                ("identifier", ID),
                ("name", "张三"),
                ("phone", PHONE),
            ])
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let code = texted_code(&app, PHONE).await;
        citizen
            .post(app.url("/my/login"))
            .form(&[
                ("csrf", crate::web::hidden(&sent, "csrf").as_str()),
                ("identifier", ID),
                ("name", "张三"),
                ("phone", PHONE),
                ("code", &code),
            ])
            .send()
            .await
            .unwrap();
        let next = format!("/items/{ITEM}/apply");
        let page = citizen.get(app.url(&next)).send().await.unwrap().text().await.unwrap();
        let csrf = crate::web::hidden(&page, "csrf");
        let r = citizen
            .post(app.url(&next))
            .form(&[("csrf", csrf.as_str()), ("purpose", "开一家面馆"), ("save", "draft")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["location"], "/my?saved=1");
        let list = citizen
            .get(app.url("/my?saved=1"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(list.contains("草稿已保存") && list.contains("继续填写"), "{list}");
        let href = list
            .split("href=\"")
            .find(|s| s.contains("?draft="))
            .and_then(|s| s.split('"').next())
            .unwrap()
            .replace("&amp;", "&");
        let page = citizen.get(app.url(&href)).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("开一家面馆"), "the draft's answers are back");
        let draft_id = crate::web::hidden(&page, "draft_id");
        let r = citizen
            .post(app.url(&next))
            .form(&[
                ("csrf", csrf.as_str()),
                ("draft_id", draft_id.as_str()),
                ("contact_name", "张三"),
                ("contact_phone", PHONE),
                ("address", "云溪区云溪大道1号"),
                ("purpose", "开一家面馆"),
            ])
            .send()
            .await
            .unwrap();
        let done = r.headers()["location"].to_str().unwrap().to_string();
        assert!(done.starts_with("/my?filed="), "{done}");
    }
);

both_backends!(
    applicants_register_a_password_for_later_sign_ins,
    |app: TestApp| async move {
        let token = applicant_token(&app, ID, "张三", PHONE).await;
        for weak in ["short", "111111111111111", "aaaaaaaaaaaaaaaa", "pw13812345678pw"] {
            let (status, body) = app
                .post_json("/api/v1/applicant/password", &json!({"password": weak}), Some(&token))
                .await;
            assert_eq!(
                (status, err(&body)),
                (StatusCode::UNPROCESSABLE_ENTITY, "weak_password"),
                "{weak}"
            );
        }
        let r = app
            .client
            .post(app.url("/api/v1/applicant/password"))
            .bearer_auth(&token)
            .json(&json!({"password": "云溪-correct-horse-7"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        let login = |phone: &'static str, password: &'static str| {
            let app = &app;
            async move {
                app.post_json(
                    "/api/v1/applicant/login",
                    &json!({"identifier": ID, "phone": phone, "password": password}),
                    None,
                )
                .await
            }
        };
        let (status, body) = login(PHONE, "wrong-password-123").await;
        assert_eq!((status, err(&body)), (StatusCode::UNAUTHORIZED, "wrong_password"));
        let (status, body) = login("13900001111", "云溪-correct-horse-7").await;
        assert_eq!(
            (status, err(&body)),
            (StatusCode::UNAUTHORIZED, "wrong_password"),
            "another phone"
        );
        let (status, body) = login(PHONE, "云溪-correct-horse-7").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let by_password = body["token"].as_str().unwrap();
        let (status, sessions) = app.get_auth("/api/v1/applicant/sessions", by_password).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(sessions[0]["name"], "张三", "the registered name is the session's");
        let (status, body) = app
            .post_json(
                "/api/v1/applicant/login",
                &json!({"identifier": ID, "phone": PHONE}),
                None,
            )
            .await;
        assert_eq!(
            (status, err(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "code_or_password")
        );
        let stored: String = sqlx::query_scalar("SELECT password_hash FROM applicant_passwords")
            .fetch_one(app.state.store.pool())
            .await
            .unwrap();
        assert!(
            stored.starts_with("$argon2id$") && !stored.contains("horse"),
            "only a hash is kept"
        );
    }
);
