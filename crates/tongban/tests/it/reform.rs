//! Approval-reform services over HTTP on both databases: ratings and rectification, e-licences, tolerance
//! acceptance, bundles, where items may be accepted (全域通办, 跨省通办, 赋权), helpers, applicants signing in.

use crate::both_backends;
use crate::helpers::{
    urlencode, TestApp, APPLICANT_ID as ID, APPLICANT_PHONE as PHONE, LICENCE_ITEM, LICENCE_MATERIALS,
};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// 社会团体注销登记 (区行政审批局): 容缺 allowed, 相关证明材料 may be missing.
const TOLERANCE_ITEM: &str = "430603-XK-0239";
const NEWBORN: &str = "YJS-009";

fn err(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

fn person(name: &str) -> Value {
    json!({"kind": "person", "name": name, "id_number": ID, "phone": PHONE})
}

async fn file(app: &TestApp, clerk: &str, item: &str, materials: &[&str]) -> Value {
    let (status, case) = app
        .post_json(
            "/api/v1/cases",
            &json!({"item_code": item, "applicant": person("张三"), "channel": "window", "materials": materials}),
            Some(clerk),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    case
}

async fn act(app: &TestApp, token: &str, case: &Value, action: &str, extra: Value) -> (StatusCode, Value) {
    let mut body = json!({"action": action, "version": case["version"], "comment": format!("{action}意见")});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let number = case["number"].as_str().unwrap();
    app.post_json(&format!("/api/v1/cases/{number}/actions"), &body, Some(token))
        .await
}

async fn step(app: &TestApp, token: &str, case: Value, action: &str) -> Value {
    let (status, next) = act(app, token, &case, action, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{action}: {next}");
    next
}

both_backends!(
    ratings_one_per_case_and_bad_ones_are_rectified,
    |app: TestApp| async move {
        let clerk = app.token("clerk").await;
        // Not finished yet: refused.
        let open = file(&app, &clerk, LICENCE_ITEM, &LICENCE_MATERIALS).await;
        let open_no = open["number"].as_str().unwrap();
        let (status, body) = app
            .post_json(
                &format!("/api/v1/cases/{open_no}/rating"),
                &json!({"level": 1}),
                Some(&clerk),
            )
            .await;
        assert_eq!(
            (status, err(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "case_not_finished")
        );

        let case = app.issued_case().await;
        let number = case["number"].as_str().unwrap();
        let path = format!("/api/v1/cases/{number}/rating");
        let (status, body) = app.post_json(&path, &json!({"level": 7}), Some(&clerk)).await;
        assert_eq!(
            (status, err(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_level")
        );
        let (status, body) = app.post_json(&path, &json!({"level": 4}), None).await;
        assert_eq!((status, err(&body)), (StatusCode::UNAUTHORIZED, "unauthorized"));
        let (status, body) = app
            .post_json(&path, &json!({"level": 4, "token": "0123456789abcdef0123"}), None)
            .await;
        assert_eq!((status, err(&body)), (StatusCode::FORBIDDEN, "invalid_rating_link"));

        // The link in the applicant's notice rates it; the tablet at the window cannot rate it again.
        let token = tongban_app::reform::rating_token(&app.state, number);
        let (status, rated) = app
            .post_json(&path, &json!({"level": 5, "comment": "等了很久", "token": token}), None)
            .await;
        assert_eq!(status, StatusCode::CREATED, "{rated}");
        assert_eq!(rated["rating"]["channel"], "sms");
        let task = rated["rectification_id"]
            .as_i64()
            .expect("a bad rating opens a rectification task");
        let (status, body) = app
            .post_json(&path, &json!({"level": 1, "comment": "好"}), Some(&clerk))
            .await;
        assert_eq!((status, err(&body)), (StatusCode::CONFLICT, "already_rated"));

        // The department replies, the supervisor revisits the rater.
        let reviewer = app.token("reviewer").await;
        let supervisor = app.token("supervisor").await;
        let task_path = format!("/api/v1/rectifications/{task}");
        let (status, body) = app
            .post_json(
                &task_path,
                &json!({"step": "revisit", "verdict": "satisfied"}),
                Some(&supervisor),
            )
            .await;
        assert_eq!(
            (status, err(&body)),
            (StatusCode::CONFLICT, "wrong_task_state"),
            "revisit before the reply"
        );
        let (status, body) = app
            .post_json(
                &task_path,
                &json!({"step": "reply", "text": "已增设窗口"}),
                Some(&clerk),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        let (status, body) = app
            .post_json(
                &task_path,
                &json!({"step": "reply", "text": "已增设窗口，缩短等候"}),
                Some(&reviewer),
            )
            .await;
        assert_eq!(
            (status, body["state"].as_str()),
            (StatusCode::OK, Some("replied")),
            "{body}"
        );
        let (status, body) = app
            .post_json(
                &task_path,
                &json!({"step": "revisit", "verdict": "satisfied", "text": "电话回访，满意"}),
                Some(&supervisor),
            )
            .await;
        assert_eq!(
            (status, body["state"].as_str()),
            (StatusCode::OK, Some("closed")),
            "{body}"
        );
        let (_, tasks) = app.get_auth("/api/v1/rectifications", &reviewer).await;
        assert_eq!(tasks[0]["verdict"], "satisfied");

        // A visit rated on the window's tablet (一次一评), and the published rates.
        let (status, visit) = app
            .post_json("/api/v1/visits/rating", &json!({"level": 1}), Some(&clerk))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{visit}");
        assert_eq!(visit["rating"]["window_code"], "zc-01");
        let (status, summary) = app.get_json("/api/v1/ratings/summary?by=department").await;
        assert_eq!(status, StatusCode::OK);
        let row = summary["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["key"] == "xzspj")
            .expect("the department's row");
        assert_eq!(
            (row["ratings"].as_i64(), row["bad"].as_i64()),
            (Some(1), Some(1)),
            "{summary}"
        );
        let (_, by_window) = app.get_json("/api/v1/ratings/summary?by=window").await;
        let zc = by_window["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["key"] == "zc-01")
            .unwrap();
        assert_eq!(zc["ratings"], 2, "the case filed at zc-01 and the visit");
        let page = app.get("/ratings").await.text().await.unwrap();
        assert!(
            page.contains("好评率") && page.contains("区行政审批局"),
            "public summary page"
        );
    }
);

both_backends!(
    an_appeal_upheld_takes_a_malicious_rating_out,
    |app: TestApp| async move {
        let clerk = app.token("clerk").await;
        let case = app.issued_case().await;
        let number = case["number"].as_str().unwrap();
        let (_, rated) = app
            .post_json(
                &format!("/api/v1/cases/{number}/rating"),
                &json!({"level": 5}),
                Some(&clerk),
            )
            .await;
        let task = rated["rectification_id"].as_i64().unwrap();
        let head = app.token("head").await;
        let supervisor = app.token("supervisor").await;
        let path = format!("/api/v1/rectifications/{task}");
        let (status, body) = app
            .post_json(&path, &json!({"step": "appeal", "text": ""}), Some(&head))
            .await;
        assert_eq!((status, err(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "missing_text"));
        let (status, _) = app
            .post_json(
                &path,
                &json!({"step": "appeal", "text": "评价人与办件无关，系恶意差评"}),
                Some(&head),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let (status, body) = app
            .post_json(
                &path,
                &json!({"step": "decide_appeal", "upheld": true, "text": "核实属实"}),
                Some(&supervisor),
            )
            .await;
        assert_eq!(
            (status, body["state"].as_str()),
            (StatusCode::OK, Some("closed")),
            "{body}"
        );
        let (_, summary) = app.get_json("/api/v1/ratings/summary").await;
        assert!(
            summary["rows"].as_array().unwrap().iter().all(|r| r["key"] != "xzspj"),
            "an upheld appeal's rating no longer counts: {summary}"
        );
    }
);

both_backends!(
    approval_issues_a_signed_licence_that_verifies,
    |app: TestApp| async move {
        let case = app.issued_case().await;
        let id = case["licence_id"]
            .as_str()
            .expect("the case shows its licence")
            .to_string();
        assert!(id.starts_with("1.2.156.3005.2."), "{id}");
        let verify = |query: String| {
            let app = &app;
            let id = id.clone();
            async move {
                app.get_json(&format!("/api/v1/licences/{}/verify{query}", urlencode(&id)))
                    .await
                    .1
            }
        };
        let v = verify(String::new()).await;
        assert_eq!(
            (v["status"].as_str(), v["licence"]["type_name"].as_str()),
            (Some("valid"), Some("食品经营许可证")),
            "{v}"
        );
        assert_eq!(
            v["licence"]["holder_code"], "110105********002X",
            "the public sees the ID masked"
        );
        let signature = v["licence"]["signature"].as_str().unwrap().to_string();
        assert_eq!(
            verify(format!("?signature={}", urlencode(&signature))).await["status"],
            "valid"
        );

        // A copy whose signature was changed, and a record altered behind the platform's back, are forgeries.
        let mut forged = signature.clone().into_bytes();
        forged[5] = if forged[5] == b'A' { b'B' } else { b'A' };
        let forged = String::from_utf8(forged).unwrap();
        assert_eq!(
            verify(format!("?signature={}", urlencode(&forged))).await["status"],
            "forged"
        );
        let pool = sqlx_pool(&app).await;
        sqlx::query("UPDATE licences SET holder = '李四' WHERE licence_id = $1")
            .bind(&id)
            .execute(&pool)
            .await
            .unwrap();
        assert_eq!(verify(String::new()).await["status"], "forged");
        sqlx::query("UPDATE licences SET holder = '张三' WHERE licence_id = $1")
            .bind(&id)
            .execute(&pool)
            .await
            .unwrap();
        assert_eq!(verify(String::new()).await["status"], "valid");

        // Unknown and mistyped identifiers.
        let (_, v) = app
            .get_json("/api/v1/licences/1.2.156.3005.2.X.Y.00000001.1.Z/verify")
            .await;
        assert_eq!(v["status"], "unknown");

        // Expiry: a licence re-signed with a past validity verifies as expired.
        let stored = app.state.store.licence(&id).await.unwrap().unwrap();
        let mut past = stored.content.clone();
        past.valid_until = Some("2020-01-01".into());
        sqlx::query("UPDATE licences SET valid_until = $1, signature = $2 WHERE licence_id = $3")
            .bind("2020-01-01")
            .bind(past.sign(&app.state.signing_key))
            .bind(&id)
            .execute(&pool)
            .await
            .unwrap();
        assert_eq!(verify(String::new()).await["status"], "expired");

        // Revocation: the head of the issuing department, with a reason; audited; a second time 409.
        let clerk = app.token("clerk").await;
        let head = app.token("head").await;
        let revoke = format!("/api/v1/licences/{}/revoke", urlencode(&id));
        let (status, _) = app.post_json(&revoke, &json!({"reason": "吊销"}), Some(&clerk)).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, body) = app
            .post_json(&revoke, &json!({"reason": "经营者申请注销"}), Some(&head))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(verify(String::new()).await["status"], "revoked");
        let (status, _) = app.post_json(&revoke, &json!({"reason": "再次"}), Some(&head)).await;
        assert_eq!(status, StatusCode::CONFLICT);
        let page = app
            .get(&format!("/licences/verify?id={}", urlencode(&id)))
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains("已注销"), "the public verification page");
    }
);

async fn sqlx_pool(app: &TestApp) -> sqlx::AnyPool {
    app.state.store.pool().clone()
}

both_backends!(
    tolerance_acceptance_commitment_supplement_and_credit,
    |app: TestApp| async move {
        let clerk = app.token("clerk").await;
        let reviewer = app.token("reviewer").await;
        let head = app.token("head").await;
        // Not a tolerance item: refused.
        let other = file(&app, &clerk, LICENCE_ITEM, &["申请表"]).await;
        let (status, body) = act(&app, &clerk, &other, "accept", json!({"tolerance": true})).await;
        assert_eq!(
            (status, err(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "tolerance_not_allowed")
        );
        // A material that may not be missing: refused, nothing written.
        let case = file(&app, &clerk, TOLERANCE_ITEM, &["申请表"]).await;
        let (status, body) = act(&app, &clerk, &case, "accept", json!({"tolerance": true})).await;
        assert_eq!(
            (status, err(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "material_not_tolerable"),
            "{body}"
        );
        let number = case["number"].as_str().unwrap().to_string();
        let (_, now) = app.get_auth(&format!("/api/v1/cases/{number}"), &clerk).await;
        assert_eq!(
            (now["state"].as_str(), now["version"].as_i64()),
            (Some("submitted"), case["version"].as_i64())
        );

        let (status, accepted) = act(
            &app,
            &clerk,
            &case,
            "accept",
            json!({"tolerance": true, "materials": ["营业执照或统一社会信用代码证明"]}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{accepted}");
        assert_eq!(accepted["tolerance"], true);
        let (_, list) = app.get_auth("/api/v1/commitments?state=open", &clerk).await;
        assert_eq!(list["data"][0]["case_number"], number.as_str());
        assert_eq!(list["data"][0]["materials"], json!(["相关证明材料"]));
        assert_eq!(list["figures"]["cases"], 1);
        assert_eq!(list["figures"]["items_allowed"], 37, "the report's 37 tolerance items");
        // Review goes on; the result waits for the supplement.
        let case = step(&app, &reviewer, accepted, "review").await;
        let case = step(&app, &head, case, "approve").await;
        let (status, body) = act(&app, &reviewer, &case, "issue", json!({})).await;
        assert_eq!(
            (status, err(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "supplements_pending")
        );
        let (status, body) = app
            .post_json(
                &format!("/api/v1/cases/{number}/supplements"),
                &json!({"version": case["version"], "materials": ["不相干的材料"]}),
                Some(&clerk),
            )
            .await;
        assert_eq!(
            (status, err(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_supplement")
        );
        let (status, body) = app
            .post_json(
                &format!("/api/v1/cases/{number}/supplements"),
                &json!({"version": case["version"], "materials": ["相关证明材料"]}),
                Some(&clerk),
            )
            .await;
        assert_eq!(
            (status, body["commitment"]["state"].as_str()),
            (StatusCode::OK, Some("fulfilled")),
            "{body}"
        );
        let (_, case) = app.get_auth(&format!("/api/v1/cases/{number}"), &head).await;
        step(&app, &reviewer, case, "issue").await;

        // A second tolerance case whose commitment runs out: a credit record, the applicant told, tolerance blocked.
        let late = file(
            &app,
            &clerk,
            TOLERANCE_ITEM,
            &["申请表", "营业执照或统一社会信用代码证明"],
        )
        .await;
        let (status, _) = act(&app, &clerk, &late, "accept", json!({"tolerance": true})).await;
        assert_eq!(status, StatusCode::OK);
        let far = tongban_app::time::today() + chrono::Duration::days(60);
        let marked = tongban_app::reform::sweep_commitments(&app.state, "430603", far)
            .await
            .unwrap();
        assert_eq!(marked, 1);
        let (_, credit) = app
            .get_auth(&format!("/api/v1/applicants/{ID}/credit-records"), &clerk)
            .await;
        assert_eq!(credit.as_array().unwrap().len(), 1, "{credit}");
        let third = file(
            &app,
            &clerk,
            TOLERANCE_ITEM,
            &["申请表", "营业执照或统一社会信用代码证明"],
        )
        .await;
        let (status, body) = act(&app, &clerk, &third, "accept", json!({"tolerance": true})).await;
        assert_eq!(
            (status, err(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "applicant_has_credit_record")
        );
        let outbox: Vec<String> = sqlx::query_scalar::<_, String>("SELECT body FROM outbox WHERE body LIKE '%失信%'")
            .fetch_all(&sqlx_pool(&app).await)
            .await
            .unwrap();
        assert_eq!(outbox.len(), 1, "the applicant is told");
        // The administrator clears it; tolerance works again.
        let admin = app.token("admin").await;
        let id = credit[0]["id"].as_i64().unwrap();
        let (status, _) = app
            .post_json(
                &format!("/api/v1/credit-records/{id}/clear"),
                &json!({"reason": "已补齐并说明原因"}),
                Some(&admin),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, body) = act(&app, &clerk, &third, "accept", json!({"tolerance": true})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
);

both_backends!(
    a_bundle_runs_in_parallel_and_is_delivered_once,
    |app: TestApp| async move {
        app.department_staff().await;
        let clerk = app.token("clerk").await;
        let admin = app.token("admin").await;
        let (status, guide) = app.get_json(&format!("/api/v1/bundles/{NEWBORN}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(guide["items"].as_array().unwrap().len(), 4);
        let shared = guide["materials"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == "申请表")
            .unwrap();
        assert_eq!(
            shared["needed_by"].as_array().unwrap().len(),
            4,
            "asked once, shared by all four"
        );
        let materials: Vec<String> = guide["materials"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["name"].as_str().unwrap().to_string())
            .collect();
        let request = |bundle: &str, site: &str| {
            json!({"bundle_code": bundle, "applicant": person("王芳"), "channel": "town", "site": site,
               "form": {"新生儿姓名": "王小宝"}, "materials": materials, "delivery": "邮寄"})
        };
        // 新生儿出生户口登记 is not acceptable at a town centre until it is delegated there.
        let town = "town-430603102";
        let (status, body) = app
            .post_json("/api/v1/bundle-cases", &request(NEWBORN, town), Some(&clerk))
            .await;
        assert_eq!(
            (status, err(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "site_may_not_accept"),
            "{body}"
        );
        let (status, body) = app
            .post_json("/api/v1/bundle-cases", &request("YJS-999", town), Some(&clerk))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        let (status, d) = app
            .post_json(
                "/api/v1/delegations",
                &json!({"item_code": "430603-QR-0054", "target_kind": "town", "target_code": "430603102",
                    "from_date": "2023-01-01", "document": "云政发〔2023〕5号"}),
                Some(&admin),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{d}");
        let (status, filed) = app
            .post_json("/api/v1/bundle-cases", &request(NEWBORN, town), Some(&clerk))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{filed}");
        let number = filed["number"].as_str().unwrap().to_string();
        assert_eq!(filed["parts"].as_array().unwrap().len(), 4);
        assert_eq!(filed["status"], "in_progress");
        let path = format!("/api/v1/bundle-cases/{number}/actions");
        let (status, accepted) = app.post_json(&path, &json!({"action": "accept"}), Some(&clerk)).await;
        assert_eq!(status, StatusCode::OK, "{accepted}");
        let dues: Vec<&str> = accepted["parts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["due_date"].as_str().unwrap())
            .collect();
        assert_eq!(
            accepted["due_date"].as_str(),
            dues.iter().max().copied(),
            "the bundle's deadline is the latest"
        );
        let (status, body) = app.post_json(&path, &json!({"action": "deliver"}), Some(&clerk)).await;
        assert_eq!(
            (status, err(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "bundle_not_finished")
        );
        // Each department handles its part; the hukou part is denied.
        for part in accepted["parts"].as_array().unwrap() {
            let dept = part["department_code"].as_str().unwrap();
            let reviewer = app.token(&format!("reviewer-{dept}")).await;
            let head = app.token(&format!("head-{dept}")).await;
            let (_, case) = app
                .get_auth(&format!("/api/v1/cases/{}", part["number"].as_str().unwrap()), &head)
                .await;
            let case = step(&app, &reviewer, case, "review").await;
            if part["item_code"] == "430603-QR-0054" {
                assert_eq!(
                    dept, "town-430603102",
                    "the delegated power is decided by the town government"
                );
                let (status, _) = act(&app, &head, &case, "deny", json!({"comment": "父母户籍不在本区"})).await;
                assert_eq!(status, StatusCode::OK);
            } else {
                let case = step(&app, &head, case, "approve").await;
                step(&app, &reviewer, case, "issue").await;
            }
        }
        let (_, now) = app.get_auth(&format!("/api/v1/bundle-cases/{number}"), &clerk).await;
        assert_eq!(now["status"], "partly_done", "{now}");
        assert_eq!(now["failed"][0]["reason"], "父母户籍不在本区");
        let told: Vec<String> = sqlx::query_scalar::<_, String>("SELECT body FROM outbox WHERE body LIKE '%未获批准%'")
            .fetch_all(&sqlx_pool(&app).await)
            .await
            .unwrap();
        assert!(
            told.iter()
                .any(|b| b.contains("新生儿出生户口登记") && b.contains("父母户籍不在本区")),
            "{told:?}"
        );
        let (status, delivered) = app
            .post_json(
                &path,
                &json!({"action": "deliver", "comment": "EMS 1234567890"}),
                Some(&clerk),
            )
            .await;
        assert_eq!(
            (status, delivered["status"].as_str()),
            (StatusCode::OK, Some("delivered")),
            "{delivered}"
        );
        let delivered_parts = delivered["parts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["state"] == "closed")
            .count();
        assert_eq!(delivered_parts, 3, "each approved part delivered (closed)");
        let (status, _) = app.post_json(&path, &json!({"action": "deliver"}), Some(&clerk)).await;
        assert_eq!(status, StatusCode::CONFLICT, "delivered once");
    }
);

both_backends!(sites_partners_delegations_and_figures, |app: TestApp| async move {
    let clerk = app.token("clerk").await;
    let admin = app.token("admin").await;
    let filing = |item: &str, channel: &str, site: &str| json!({"item_code": item, "applicant": person("赵六"), "channel": channel, "site": site, "materials": []});
    // A district-only item at a village station: refused; a 全域通办 item: accepted.
    let (status, body) = app
        .post_json(
            "/api/v1/cases",
            &filing("430603-XK-0213", "village", "village-430603102204"),
            Some(&clerk),
        )
        .await;
    assert_eq!(
        (status, err(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "site_may_not_accept"),
        "{body}"
    );
    let (status, body) = app
        .post_json(
            "/api/v1/cases",
            &filing("430603-GG-0348", "village", "village-430603102204"),
            Some(&clerk),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // A partner county's window takes the agreed 跨省通办 items only.
    let (status, body) = app
        .post_json(
            "/api/v1/cases",
            &filing("430603-GG-0348", "partner", "partner-370683"),
            Some(&clerk),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = app
        .post_json(
            "/api/v1/cases",
            &filing("430603-XK-0213", "partner", "partner-370683"),
            Some(&clerk),
        )
        .await;
    assert_eq!(
        (status, err(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "site_may_not_accept")
    );
    let (status, body) = app
        .post_json(
            "/api/v1/cases",
            &filing("430603-GG-0348", "town", "partner-370683"),
            Some(&clerk),
        )
        .await;
    assert_eq!(
        (status, err(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "site_channel_mismatch")
    );
    let (_, partners) = app.get_json("/api/v1/partners").await;
    assert_eq!(partners.as_array().unwrap().len(), 3);
    assert_eq!(
        partners[0]["items"].as_array().unwrap().len(),
        186,
        "the report's 186 cross-province items"
    );
    let (status, body) = app
        .put_json(
            "/api/v1/partners/370685",
            &json!({"name": "招远市", "items": ["430603-XK-0213"]}),
            &admin,
        )
        .await;
    assert_eq!(
        (status, err(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "not_cross_province")
    );

    // 赋权 to the park: the item becomes acceptable there; undone, it is not.
    let (status, body) = app
        .post_json(
            "/api/v1/cases",
            &filing("430603-XK-0213", "window", "park"),
            Some(&clerk),
        )
        .await;
    assert_eq!(
        (status, err(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "site_may_not_accept")
    );
    let grant = json!({"item_code": "430603-XK-0213", "target_kind": "park", "target_code": "park",
                       "from_date": "2023-03-01", "document": "岳政发〔2023〕3号"});
    let (status, _) = app.post_json("/api/v1/delegations", &grant, Some(&clerk)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, d) = app.post_json("/api/v1/delegations", &grant, Some(&admin)).await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    let (status, _) = app.post_json("/api/v1/delegations", &grant, Some(&admin)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, body) = app
        .post_json(
            "/api/v1/cases",
            &filing("430603-XK-0213", "window", "park"),
            Some(&clerk),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        body["department_code"], "park",
        "decided by the park committee it was delegated to"
    );
    let (_, figures) = app.get_json("/api/v1/anywhere/figures").await;
    assert_eq!(figures["delegations"]["park"], 1);
    assert_eq!(
        (
            figures["items_anywhere"].as_i64(),
            figures["items_cross_province"].as_i64()
        ),
        (Some(241), Some(186)),
        "the report's 241 全域通办 and 186 跨省通办 items"
    );
    assert_eq!(
        (figures["items_town"].as_i64(), figures["items_village"].as_i64()),
        (Some(124), Some(42))
    );
    let by_partner = figures["by_partner"].as_array().unwrap();
    assert_eq!(
        (by_partner[0]["key"].as_str(), by_partner[0]["cases"].as_i64()),
        (Some("370683"), Some(1)),
        "{figures}"
    );
    let id = d["id"].as_i64().unwrap();
    let (status, body) = app
        .post_json(
            &format!("/api/v1/delegations/{id}/revoke"),
            &json!({"on": "2024-01-01", "document": "岳政发〔2024〕1号"}),
            Some(&admin),
        )
        .await;
    assert_eq!(
        (status, body["revoke_document"].as_str()),
        (StatusCode::OK, Some("岳政发〔2024〕1号"))
    );
    let (status, _) = app
        .post_json(
            "/api/v1/cases",
            &filing("430603-XK-0213", "window", "park"),
            Some(&clerk),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
});

both_backends!(
    helpers_file_for_their_enterprises_and_applicants_see_their_cases,
    |app: TestApp| async move {
        let clerk = app.token("clerk").await;
        let admin = app.token("admin").await;
        let code = "91430603MA4L16JF0D";
        let (status, body) = app
            .post_json(
                "/api/v1/helpers",
                &json!({"credit_code": code, "enterprise_name": "云溪示例化工有限公司", "helper": "clerk"}),
                Some(&admin),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (status, body) = app
            .post_json(
                "/api/v1/helpers",
                &json!({"credit_code": "91430603MA4L16JF0X", "enterprise_name": "x", "helper": "clerk"}),
                Some(&admin),
            )
            .await;
        assert_eq!(
            (status, err(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_credit_code")
        );
        let enterprise =
            json!({"kind": "enterprise", "name": "云溪示例化工有限公司", "credit_code": code, "phone": "13912345678"});
        for item in ["430603-QT-0001", LICENCE_ITEM] {
            let (status, case) = app
                .post_json(
                    "/api/v1/cases",
                    &json!({"item_code": item, "applicant": enterprise, "channel": "window"}),
                    Some(&clerk),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{case}");
            assert!(case["agent"].as_str().unwrap().starts_with("帮代办"), "{case}");
        }
        let (status, view) = app.get_auth(&format!("/api/v1/enterprises/{code}"), &clerk).await;
        assert_eq!(status, StatusCode::OK, "{view}");
        assert_eq!(view["cases"].as_array().unwrap().len(), 2);
        assert_eq!(view["cases"][0]["stage"], "项目建设");
        assert_eq!(view["helpers"][0]["helper"], "clerk");
        let reviewer = app.token("reviewer").await;
        let (status, _) = app.get_auth(&format!("/api/v1/enterprises/{code}"), &reviewer).await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // The enterprise signs in through its legal representative, with the code sent to the representative's
        // phone, and sees its own cases only; the credit code alone signs nobody in.
        let (status, body) = app
            .post_json(
                "/api/v1/applicant/code",
                &json!({"identifier": code, "phone": "139-1234-5678"}),
                None,
            )
            .await;
        assert_eq!(
            (status, err(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "enterprise_signs_in_through_a_person")
        );
        let (status, body) = app
            .put_json(
                &format!("/api/v1/enterprises/{code}/representative"),
                &json!({"enterprise_name": "云溪示例化工有限公司", "id_number": ID, "name": "张三"}),
                &admin,
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        let (status, body) = app
            .post_json(
                "/api/v1/applicant/code",
                &json!({"identifier": ID, "phone": "139-1234-5678"}),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        let sms: String =
            sqlx::query_scalar::<_, String>("SELECT body FROM outbox WHERE body LIKE '%验证码%' ORDER BY id DESC")
                .fetch_one(&sqlx_pool(&app).await)
                .await
                .unwrap();
        let sent: String = sms.chars().filter(|c| c.is_ascii_digit()).take(6).collect();
        let (status, body) = app
            .post_json(
                "/api/v1/applicant/login",
                &json!({"identifier": ID, "name": "张三", "phone": "13912345678", "code": "000000x", "enterprise": code}),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        let (status, login) = app
            .post_json(
                "/api/v1/applicant/login",
                &json!({"identifier": ID, "name": "张三", "phone": "13912345678", "code": sent, "enterprise": code}),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{login}");
        let token = login["token"].as_str().unwrap();
        let (status, mine) = app.get_auth("/api/v1/my/cases", token).await;
        assert_eq!((status, mine.as_array().unwrap().len()), (StatusCode::OK, 2), "{mine}");
        let (status, _) = app.get_auth("/api/v1/cases", token).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "an applicant token is not a staff token"
        );
        // The code is spent.
        let (status, _) = app
            .post_json(
                "/api/v1/applicant/login",
                &json!({"identifier": ID, "name": "张三", "phone": "13912345678", "code": sent, "enterprise": code}),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
);

/// Posts a form with a signed-in client and returns where it redirected to.
async fn post_form(client: &reqwest::Client, app: &TestApp, path: &str, fields: &[(&str, &str)]) -> String {
    let r = client.post(app.url(path)).form(fields).send().await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{path}: {}",
        r.text().await.unwrap_or_default()
    );
    r.headers()["location"].to_str().unwrap().to_string()
}

both_backends!(
    reform_pages_for_clerks_departments_and_applicants,
    |app: TestApp| async move {
        use crate::web::{fetch, hidden, sign_in};
        // 容缺受理 at the window: the button, the printable commitment, the supplement form.
        let (clerk, _) = sign_in(&app, "clerk").await;
        let form = fetch(&clerk, &app, &format!("/staff/cases/new?item={TOLERANCE_ITEM}")).await;
        assert!(form.contains("容缺受理（签承诺书）") && form.contains("可容缺"));
        let csrf = hidden(&form, "csrf");
        let fields = [
            ("csrf", csrf.as_str()),
            ("item", TOLERANCE_ITEM),
            ("site", "hall"),
            ("kind", "person"),
            ("name", "张三"),
            ("identifier", ID),
            ("phone", PHONE),
            ("agent", ""),
            ("comment", ""),
            ("material", "申请表"),
            ("material", "营业执照或统一社会信用代码证明"),
            ("decision", "accept_tolerance"),
        ];
        let to = post_form(&clerk, &app, "/staff/cases/new", &fields).await;
        assert!(to.ends_with("?printed=commitment"), "{to}");
        let number = to
            .trim_start_matches("/staff/cases/")
            .split('?')
            .next()
            .unwrap()
            .to_string();
        let page = fetch(&clerk, &app, &to).await;
        assert!(
            page.contains("已容缺受理") && page.contains("收取补交材料"),
            "case page"
        );
        let notice = fetch(&clerk, &app, &format!("/staff/cases/{number}/notice/commitment")).await;
        assert!(
            notice.contains("容缺受理承诺书") && notice.contains("相关证明材料"),
            "printable commitment"
        );
        let version = hidden(&page, "version");
        let to = post_form(
            &clerk,
            &app,
            &format!("/staff/cases/{number}/supplements"),
            &[("csrf", &csrf), ("version", &version), ("material", "相关证明材料")],
        )
        .await;
        assert!(to.contains("done="), "{to}");
        assert!(fetch(&clerk, &app, &to).await.contains("已履行"));

        // A bad rating, rectified through the pages by the department and the supervisor.
        let case = app.issued_case().await;
        let token = app.token("clerk").await;
        let (_, rated) = app
            .post_json(
                &format!("/api/v1/cases/{}/rating", case["number"].as_str().unwrap()),
                &json!({"level": 4, "comment": "窗口态度差"}),
                Some(&token),
            )
            .await;
        let task = rated["rectification_id"].as_i64().unwrap().to_string();
        let (reviewer, _) = sign_in(&app, "reviewer").await;
        let page = fetch(&reviewer, &app, "/staff/rectifications").await;
        assert!(page.contains("窗口态度差") && page.contains("整改答复"));
        let rcsrf = hidden(&page, "csrf");
        let to = post_form(
            &reviewer,
            &app,
            &format!("/staff/rectifications/{task}"),
            &[("csrf", &rcsrf), ("step", "reply"), ("text", "已约谈窗口人员")],
        )
        .await;
        assert!(to.contains("done="), "{to}");
        let page = fetch(&reviewer, &app, &to).await;
        assert!(
            page.contains("已办理。下一步：效能监察人员回访评价人"),
            "the next party named"
        );
        let (supervisor, _) = sign_in(&app, "supervisor").await;
        // The revisit waits on the supervisor's to-do list, as a rectification at its step.
        let (_, todo) = app.get_auth("/api/v1/me/todo", &app.token("supervisor").await).await;
        assert!(
            todo["entries"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["kind"] == "rectification" && e["step"] == "回访评价人"),
            "{todo}"
        );
        let page = fetch(&supervisor, &app, "/staff/rectifications").await;
        let scsrf = hidden(&page, "csrf");
        let to = post_form(
            &supervisor,
            &app,
            &format!("/staff/rectifications/{task}"),
            &[("csrf", &scsrf), ("step", "revisit_satisfied"), ("text", "回访满意")],
        )
        .await;
        assert!(to.contains("done="), "{to}");
        let (_, tasks) = app
            .get_auth("/api/v1/rectifications", &app.token("supervisor").await)
            .await;
        assert_eq!(tasks[0]["state"], "closed");

        // The administrator records a delegation and pairs a helper on their pages.
        let (admin, _) = sign_in(&app, "admin").await;
        let page = fetch(&admin, &app, "/staff/delegations").await;
        assert!(page.contains("山东省莱州市") && page.contains("186项"));
        let acsrf = hidden(&page, "csrf");
        let to = post_form(
            &admin,
            &app,
            "/staff/delegations",
            &[
                ("csrf", &acsrf),
                ("item_code", "430603-XK-0213"),
                ("target_kind", "park"),
                ("target_code", "park"),
                ("from_date", "2023-03-01"),
                ("document", ""),
            ],
        )
        .await;
        assert!(
            to.contains("error="),
            "a delegation without its document is refused: {to}"
        );
        let to = post_form(
            &admin,
            &app,
            "/staff/delegations",
            &[
                ("csrf", &acsrf),
                ("item_code", "430603-XK-0213"),
                ("target_kind", "park"),
                ("target_code", "park"),
                ("from_date", "2023-03-01"),
                ("document", "岳政发〔2023〕3号"),
            ],
        )
        .await;
        assert!(to.contains("done="), "{to}");
        assert!(fetch(&admin, &app, "/staff/delegations")
            .await
            .contains("岳政发〔2023〕3号"));
        let to = post_form(
            &admin,
            &app,
            "/staff/helpers",
            &[
                ("csrf", &acsrf),
                ("credit_code", "91430603MA4L16JF0D"),
                ("enterprise_name", "云溪示例化工有限公司"),
                ("helper", "clerk"),
            ],
        )
        .await;
        assert_eq!(to, "/staff/enterprises?code=91430603MA4L16JF0D");
        assert!(fetch(&admin, &app, &to).await.contains("云溪示例化工有限公司"));

        // The licence is revoked from its verification page by the issuing department's head.
        let id = case["licence_id"].as_str().unwrap();
        let (head, _) = sign_in(&app, "head").await;
        let page = fetch(&head, &app, &format!("/licences/verify?id={}", urlencode(id))).await;
        assert!(
            page.contains("注销证照") && page.contains("<svg"),
            "revoke form and QR code"
        );
        let hcsrf = hidden(&page, "csrf");
        post_form(
            &head,
            &app,
            "/staff/licences/revoke",
            &[("csrf", &hcsrf), ("id", id), ("reason", "经营者申请注销")],
        )
        .await;
        assert!(fetch(&head, &app, &format!("/licences/verify?id={}", urlencode(id)))
            .await
            .contains("已注销"));

        // The applicant signs in on the portal with the SMS code and sees the cases and the licence.
        let citizen = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let sign_in = citizen.get(app.url("/my")).send().await.unwrap().text().await.unwrap();
        let page = citizen
            .post(app.url("/my/code"))
            .form(&[
                ("csrf", crate::web::hidden(&sign_in, "csrf").as_str()),
                ("identifier", ID),
                ("phone", PHONE),
            ])
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("验证码已发送"), "{page}");
        let sms: String =
            sqlx::query_scalar::<_, String>("SELECT body FROM outbox WHERE body LIKE '%验证码%' ORDER BY id DESC")
                .fetch_one(&sqlx_pool(&app).await)
                .await
                .unwrap();
        let code: String = sms.chars().filter(|c| c.is_ascii_digit()).take(6).collect();
        let r = citizen
            .post(app.url("/my/login"))
            .form(&[
                ("csrf", crate::web::hidden(&page, "csrf").as_str()),
                ("identifier", ID),
                ("name", "张三"),
                ("phone", PHONE),
                ("code", &code),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let mine = citizen.get(app.url("/my")).send().await.unwrap().text().await.unwrap();
        assert!(
            mine.contains(&number) && mine.contains("食品经营许可证"),
            "my cases and licences"
        );

        // The tablet at the window: a visit rating (一次一评) in the clerk's session.
        let tablet = fetch(&clerk, &app, "/staff/tablet").await;
        assert!(tablet.contains("非常满意") && tablet.contains("综合受理窗口1号"));
        let thanks = clerk
            .post(app.url("/staff/tablet"))
            .form(&[("csrf", csrf.as_str()), ("level", "2"), ("number", ""), ("comment", "")])
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(thanks.contains("感谢您的评价"), "{thanks}");
    }
);

both_backends!(
    administrators_edit_bundles_and_partners_on_their_pages,
    |app: TestApp| async move {
        use crate::web::{fetch, hidden, sign_in};
        let (admin, _) = sign_in(&app, "admin").await;
        let page = fetch(&admin, &app, "/staff/bundles").await;
        let csrf = hidden(&page, "csrf");
        let to = post_form(
            &admin,
            &app,
            "/staff/bundles/edit",
            &[
                ("csrf", &csrf),
                ("code", "YJS-010"),
                ("name", "开办餐饮店一件事"),
                ("items", "430603-XK-0537\n430603-NOPE-1"),
            ],
        )
        .await;
        assert!(to.contains("error="), "an unknown item refuses the edit: {to}");
        assert_eq!(
            app.get_json("/api/v1/bundles/YJS-010").await.0,
            StatusCode::NOT_FOUND,
            "nothing written"
        );
        let to = post_form(
            &admin,
            &app,
            "/staff/bundles/edit",
            &[
                ("csrf", &csrf),
                ("code", "YJS-010"),
                ("name", "开办餐饮店一件事"),
                ("items", "430603-XK-0537\n430603-QT-0001"),
            ],
        )
        .await;
        assert!(to.contains("done="), "{to}");
        let (status, guide) = app.get_json("/api/v1/bundles/YJS-010").await;
        assert_eq!(
            (status, guide["items"].as_array().map(|a| a.len())),
            (StatusCode::OK, Some(2))
        );
        assert!(fetch(&admin, &app, "/staff/bundles").await.contains("开办餐饮店一件事"));

        let to = post_form(
            &admin,
            &app,
            "/staff/partners",
            &[
                ("csrf", &csrf),
                ("code", "440203"),
                ("name", "广东省韶关市武江区"),
                ("agreement", ""),
                ("items", "430603-XK-0213"),
            ],
        )
        .await;
        assert!(to.contains("error="), "not a 跨省通办 item: {to}");
        let to = post_form(
            &admin,
            &app,
            "/staff/partners",
            &[
                ("csrf", &csrf),
                ("code", "440203"),
                ("name", "广东省韶关市武江区"),
                ("agreement", "2023年协议"),
                ("items", "430603-GG-0348, 430603-GG-0347"),
            ],
        )
        .await;
        assert!(to.contains("done="), "{to}");
        let (_, partners) = app.get_json("/api/v1/partners").await;
        let wj = partners
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["code"] == "440203")
            .unwrap();
        assert_eq!(wj["items"].as_array().unwrap().len(), 2, "{wj}");
    }
);
