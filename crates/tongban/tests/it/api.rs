//! The JSON API as a program would use it, on both databases.

use crate::both_backends;
use crate::helpers::{urlencode, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn codes(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|h| h["code"].as_str().unwrap_or("").to_string())
        .collect()
}

fn error_code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

both_backends!(search_answers_colloquial_questions, |app: TestApp| async move {
    for (q, want) in [
        ("我想开个奶茶店要办什么证", "430603-XK-0537"),
        ("孩子上小学怎么报名", "430603-GG-0014"),
        ("社保卡", "430603-GG-0198"),
    ] {
        let (status, body) = app
            .get_json(&format!("/api/v1/search?q={}&per_page=3", urlencode(q)))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(codes(&body).contains(&want.to_string()), "{q}: {body}");
        let first = &body["data"][0];
        assert!(first["name"].is_string() && first["department"].is_string() && first["score"].is_number());
        assert_eq!(body["per_page"], 3);
        assert!(body["total"].as_i64().unwrap_or(0) >= 3);
    }
    let (status, body) = app.get_json("/api/v1/search?q=").await;
    assert_eq!((status, error_code(&body)), (StatusCode::BAD_REQUEST, "empty_query"));
    let (status, body) = app.get_json("/api/v1/search?q=x&per_page=1000").await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_per_page")
    );
    // A page number far out of range is refused (API) or answered empty (page); the server stays up.
    let (status, body) = app
        .get_json(&format!("/api/v1/search?q={}&page=100000000000", urlencode("社保")))
        .await;
    assert_eq!((status, error_code(&body)), (StatusCode::BAD_REQUEST, "invalid_page"));
    for path in [
        "/search?q=%E7%A4%BE%E4%BF%9D&page=100000000000",
        "/search?q=%E7%A4%BE%E4%BF%9D&page=9223372036854775807",
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
    }
    let (status, _) = app.get_json("/api/v1/items?page=9223372036854775807").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = app.get_json("/api/v1/search?q=x&per_page=3").await;
    assert_eq!(status, StatusCode::OK, "still serving");
    let (status, body) = app.get_json("/api/v1/search?q=x&colour=red").await;
    assert_eq!((status, error_code(&body)), (StatusCode::BAD_REQUEST, "invalid_query"));
});

both_backends!(items_are_listed_filtered_and_paged, |app: TestApp| async move {
    let (status, all) = app.get_json("/api/v1/items").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(all["total"], 1162);
    assert_eq!((all["page"].as_i64(), all["per_page"].as_i64()), (Some(1), Some(20)));
    assert_eq!(all["data"].as_array().map(Vec::len), Some(20));

    let (_, dept) = app.get_json("/api/v1/items?department=jktj&per_page=100").await;
    assert_eq!(dept["total"], 23);
    assert!(dept["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["department"] == "区教科体局"));

    let (_, village) = app.get_json("/api/v1/items?level=village&per_page=100").await;
    assert_eq!(village["total"], 42);
    let (_, permits) = app.get_json("/api/v1/items?type=01&page=2&per_page=50").await;
    assert_eq!(permits["total"], 549);
    assert_eq!(permits["page"], 2);
    assert!(permits["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["item_type_code"] == "01"));
    let (_, named) = app
        .get_json(&format!("/api/v1/items?q={}", urlencode("食品经营许可证")))
        .await;
    assert_eq!(named["total"], 4);

    let (status, body) = app.get_json("/api/v1/items?level=moon").await;
    assert_eq!((status, error_code(&body)), (StatusCode::BAD_REQUEST, "invalid_level"));
    let (status, body) = app.get_json("/api/v1/items?department=nope").await;
    assert_eq!((status, error_code(&body)), (StatusCode::NOT_FOUND, "not_found"));
    assert!(body["error"]["message"].as_str().unwrap().contains("nope"));
    let (status, body) = app.get_json("/api/v1/items?page=0").await;
    assert_eq!((status, error_code(&body)), (StatusCode::BAD_REQUEST, "invalid_page"));
    let (status, _) = app.get_json("/api/v1/items?region=999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
});

both_backends!(
    editing_a_guide_publishes_a_new_version_and_search_follows,
    |app: TestApp| async move {
        let code = "430603-XK-0537";
        let (status, v1) = app.get_json(&format!("/api/v1/items/{code}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(v1["version"], 1);
        assert_eq!(v1["guide"]["name"], "食品经营许可证核发");
        assert!(v1["guide"]["materials"].as_array().is_some_and(|m| !m.is_empty()));

        let admin = app.token("admin").await;
        let change =
            json!({"name": "食品经营许可证核发（含夜市摊点）", "promised_limit_days": 3, "visit_reason": "现场核验"});
        let (status, v2) = app.put_json(&format!("/api/v1/items/{code}"), &change, &admin).await;
        assert_eq!(status, StatusCode::OK, "{v2}");
        assert_eq!(
            (v2["version"].as_i64(), v2["current_version"].as_i64()),
            (Some(2), Some(2))
        );
        assert_eq!(v2["versions"], json!([1, 2]));
        assert_eq!(v2["guide"]["promised_limit_days"], 3);

        let (_, old) = app.get_json(&format!("/api/v1/items/{code}?version=1")).await;
        assert_eq!(old["guide"]["name"], "食品经营许可证核发");
        assert_eq!(old["current_version"], 2);
        let (status, _) = app.get_json(&format!("/api/v1/items/{code}?version=9")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        let (_, found) = app
            .get_json(&format!("/api/v1/search?q={}&per_page=3", urlencode("夜市摊点")))
            .await;
        assert_eq!(codes(&found).first().map(String::as_str), Some(code), "{found}");

        // The same edit again publishes nothing new.
        let (_, same) = app.put_json(&format!("/api/v1/items/{code}"), &change, &admin).await;
        assert_eq!(same["version"], 2);

        let reviewer = app.token("reviewer").await;
        let (status, body) = app.put_json(&format!("/api/v1/items/{code}"), &change, &reviewer).await;
        assert_eq!((status, error_code(&body)), (StatusCode::FORBIDDEN, "forbidden"));
        let (status, body) = app
            .put_json(
                &format!("/api/v1/items/{code}"),
                &json!({"promised_limit_days": 99}),
                &admin,
            )
            .await;
        assert_eq!(
            (status, error_code(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_guide"),
            "{body}"
        );
        let (status, body) = app
            .put_json(&format!("/api/v1/items/{code}"), &json!({"colour": "red"}), &admin)
            .await;
        assert_eq!(
            (status, error_code(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_fields")
        );
        assert!(body["error"]["message"].as_str().unwrap().contains("colour"));
        let (status, body) = app
            .put_json(
                &format!("/api/v1/items/{code}"),
                &json!({"department": "区不存在局"}),
                &admin,
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let (status, _) = app.put_json("/api/v1/items/NOPE-1", &change, &admin).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let r = app
            .client
            .put(app.url(&format!("/api/v1/items/{code}")))
            .bearer_auth(&admin)
            .header("content-type", "application/json")
            .body("{\"name\": ")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert_eq!(error_code(&r.json::<Value>().await.unwrap()), "invalid_json");
        let huge = json!({"name": "长".repeat(100_000)});
        let (status, body) = app.put_json(&format!("/api/v1/items/{code}"), &huge, &admin).await;
        assert_eq!(
            (status, error_code(&body)),
            (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
        );
        // Nothing of the refused edits was written.
        let (_, now) = app.get_json(&format!("/api/v1/items/{code}")).await;
        assert_eq!(now["version"], 2);
    }
);

both_backends!(login_tokens_and_throttling, |app: TestApp| async move {
    let token = app.token("clerk").await;
    let (status, me) = app.get_auth("/api/v1/me", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (me["role"].as_str(), me["window_name"].as_str()),
        (Some("clerk"), Some("综合受理窗口1号"))
    );
    let (_, head) = app.get_auth("/api/v1/me", &app.token("head").await).await;
    assert_eq!(head["department_name"], "区行政审批局");

    let (status, body) = app.get_auth("/api/v1/me", "not-a-token").await;
    assert_eq!((status, error_code(&body)), (StatusCode::UNAUTHORIZED, "invalid_token"));
    let (status, body) = app.get_json("/api/v1/me").await;
    assert_eq!((status, error_code(&body)), (StatusCode::UNAUTHORIZED, "unauthorized"));

    let r = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let (status, _) = app.get_auth("/api/v1/me", &token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let wrong = json!({"username": "operator", "password": "wrong-password"});
    for _ in 0..5 {
        let (status, body) = app.post_json("/api/v1/auth/login", &wrong, None).await;
        assert_eq!(
            (status, error_code(&body)),
            (StatusCode::UNAUTHORIZED, "invalid_credentials")
        );
    }
    let (status, body) = app.post_json("/api/v1/auth/login", &wrong, None).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts")
    );
    // Throttled even with the right password, until the window passes.
    let right = json!({"username": "operator", "password": crate::helpers::PASSWORD});
    let (status, _) = app.post_json("/api/v1/auth/login", &right, None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let (status, body) = app
        .post_json("/api/v1/auth/login", &json!({"username": "x"}), None)
        .await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_fields")
    );
});

both_backends!(regions_departments_and_bundles, |app: TestApp| async move {
    let (status, county) = app.get_json("/api/v1/regions/430603").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(county["name"], "云溪区");
    assert_eq!(county["children"].as_array().map(Vec::len), Some(5));
    let path: Vec<&str> = county["path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(path, vec!["湖南省", "岳阳市", "云溪区"]);
    let (_, town) = app.get_json("/api/v1/regions/430603102").await;
    assert_eq!(town["level"], "town");
    assert!(!town["children"].as_array().unwrap().is_empty());
    let (status, _) = app.get_json("/api/v1/regions/370683").await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app.get_json("/api/v1/regions/999999").await;
    assert_eq!((status, error_code(&body)), (StatusCode::NOT_FOUND, "not_found"));
    let (status, body) = app.get_json("/api/v1/regions/43x").await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_region_code")
    );

    let (_, depts) = app.get_json("/api/v1/departments").await;
    let depts = depts.as_array().unwrap();
    assert_eq!(
        depts.len(),
        42,
        "36 departments, the park committee and 5 town governments"
    );
    assert_eq!(
        depts.iter().map(|d| d["item_count"].as_i64().unwrap()).sum::<i64>(),
        1162
    );
    let (_, bundles) = app.get_json("/api/v1/bundles").await;
    assert_eq!(bundles.as_array().map(Vec::len), Some(9));
    assert!(bundles[0]["items"].as_array().is_some_and(|i| !i.is_empty()));
});

both_backends!(quality_report_is_scoped_by_role, |app: TestApp| async move {
    let admin = app.token("admin").await;
    let (status, all) = app.get_auth("/api/v1/catalog/quality", &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(all["checked"], 1162);
    // The shipped catalog gives no reason for its 552 items that need a visit.
    let visits = all["by_rule"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "visits_without_reason")
        .unwrap();
    assert_eq!(visits["count"], 552);
    let reviewer = app.token("reviewer").await;
    let (status, own) = app.get_auth("/api/v1/catalog/quality", &reviewer).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(own["checked"], 357);
    assert!(own["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["department_code"] == "xzspj"));
    let (status, _) = app.get_auth("/api/v1/catalog/quality?department=rsj", &reviewer).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.get_auth("/api/v1/catalog/quality", &app.token("clerk").await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = app.get_auth("/api/v1/catalog/quality?rule=nope", &admin).await;
    assert_eq!((status, error_code(&body)), (StatusCode::BAD_REQUEST, "invalid_rule"));

    // The rules only the whole catalog tells, counted for the region.
    let count = |rule: &str| {
        all["by_rule"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule"] == rule)
            .unwrap()["count"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(count("same_name_limits_differ"), 4);
    assert!(count("shared_material") > 600);

    // Fixing a guide takes it off the list: the reason for the visit given, its materials named for what they are.
    let fixable = ["visits_without_reason", "shared_material"];
    let code = all["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["issues"]
                .as_array()
                .unwrap()
                .iter()
                .all(|i| fixable.contains(&i["rule"].as_str().unwrap()))
        })
        .unwrap()["code"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, _) = app
        .put_json(
            &format!("/api/v1/items/{code}"),
            &json!({"visit_reason": "需现场核验原件", "visits": 1, "online_depth": 3,
                "materials": [{"name": "申请表"}, {"name": "申请人居民身份证", "copies": 1},
                    {"name": "本事项现场核验记录表", "required": false}]}),
            &admin,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, after) = app.get_auth("/api/v1/catalog/quality", &admin).await;
    assert_eq!(after["failing"].as_i64().unwrap(), all["failing"].as_i64().unwrap() - 1);
});

const CATALOG_HEADER: &str = "code,name,department,item_type_code,item_type,service_object,legal_limit_days,promised_limit_days,visits,online_depth,fee_yuan,legal_basis,levels,all_region,cross_province,tolerance,materials,consult_phone,address,implementation_code,keywords";

fn catalog_row(code: &str, name: &str, department: &str, legal: &str, promised: &str) -> String {
    format!("{code},{name},{department},01,行政许可,法人,{legal},{promised},0,4,0,《行政许可法》,区,N,N,N,申请书,0730-1,大厅,,")
}

both_backends!(catalog_import_is_all_or_nothing, |app: TestApp| async move {
    let admin = app.token("admin").await;
    let bad = format!(
        "{CATALOG_HEADER}\n{}\n{}\n{}\n",
        catalog_row("T-1", "测试事项一", "区行政审批局", "20", "5"),
        catalog_row("T-2", "测试事项二", "区不存在局", "20", "5"),
        catalog_row("T-3", "测试事项三", "区人社局", "5", "abc"),
    );
    let post = |body: String, query: &'static str| {
        app.client
            .post(app.url(&format!("/api/v1/catalog/import{query}")))
            .bearer_auth(&admin)
            .body(body)
            .send()
    };
    let r = post(bad.clone(), "").await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = r.json().await.unwrap();
    assert_eq!(error_code(&body), "import_rejected");
    let details = body["error"]["details"].as_array().unwrap();
    assert!(
        details.iter().any(|d| d["line"] == 3 && d["column"] == "department"),
        "{body}"
    );
    assert!(
        details
            .iter()
            .any(|d| d["line"] == 4 && d["column"] == "promised_limit_days"),
        "{body}"
    );
    let (_, items) = app.get_json("/api/v1/items").await;
    assert_eq!(items["total"], 1162, "nothing may be imported from a bad file");

    let r = post(bad, "?skip_bad=true").await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let report: Value = r.json().await.unwrap();
    assert_eq!(report["created"], 1);
    assert_eq!(report["skipped"].as_array().map(Vec::len), Some(2));
    let (_, found) = app
        .get_json(&format!("/api/v1/search?q={}", urlencode("测试事项一")))
        .await;
    assert_eq!(codes(&found).first().map(String::as_str), Some("T-1"));

    let r = app
        .client
        .post(app.url("/api/v1/catalog/import"))
        .bearer_auth(app.token("clerk").await)
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
});

both_backends!(openapi_document_matches_the_routes, |app: TestApp| async move {
    let (status, doc) = app.get_json("/api/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for required in [
        "/api/v1/items",
        "/api/v1/items/{code}",
        "/api/v1/search",
        "/api/v1/departments",
        "/api/v1/regions/{code}",
        "/api/v1/auth/login",
    ] {
        assert!(paths.contains_key(required), "{required} missing from the document");
    }
    // Every documented operation is answered by the router (never "no such route" or "method not allowed").
    for (path, ops) in paths {
        let concrete = path.replace("{code}", "430603");
        for method in ops.as_object().unwrap().keys() {
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let r = app.client.request(m, app.url(&concrete)).send().await.unwrap();
            let status = r.status();
            let body: Value = r.json().await.unwrap_or(Value::Null);
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            assert!(
                !(status == StatusCode::NOT_FOUND
                    && body["error"]["message"].as_str().unwrap_or("").starts_with("接口")),
                "{method} {path} is documented but not routed"
            );
        }
    }
});

both_backends!(health_and_metrics, |app: TestApp| async move {
    let (status, body) = app.get_json("/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    app.get_json("/api/v1/search?q=%E7%A4%BE%E4%BF%9D").await;
    // Prometheus figures are for supervision (or the scrape token), not for anyone who asks.
    assert_eq!(app.get("/metrics").await.status(), StatusCode::UNAUTHORIZED);
    let supervisor = app.token("supervisor").await;
    let r = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(&supervisor)
        .send()
        .await
        .unwrap();
    let text = r.text().await.unwrap();
    assert!(text.contains("tongban_http_requests_total"), "{text}");
    let (status, body) = app.get_json("/api/v1/nothing-here").await;
    assert_eq!((status, error_code(&body)), (StatusCode::NOT_FOUND, "not_found"));
});
