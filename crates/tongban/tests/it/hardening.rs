//! Hardening over HTTP on both databases: security headers on every kind of answer, sign-in that stays on this
//! site and carries its CSRF token, the password rule and account management, throttling by address and account
//! (429 with Retry-After, no lock-out of the owner), limits on the public endpoints, who reads metrics, who rates.

use crate::helpers::{Db, TestApp, APPLICANT_ID as ID, APPLICANT_PHONE as PHONE, LICENCE_ITEM as ITEM, PASSWORD};
use crate::web::{fetch, hidden, sign_in};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn err(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

/// A server that believes `X-Forwarded-For` from the test client (127.0.0.1 stands for the load balancer), so that
/// a test can speak from several addresses.
async fn behind_proxy(db: Db) -> Option<TestApp> {
    let web = tongban_web::WebConfig {
        trusted_proxies: vec!["127.0.0.1".parse().unwrap()],
        metrics_token: Some("prometheus-scrape-token-0123".into()),
        ..Default::default()
    };
    TestApp::spawn_with_web(db, Default::default(), web).await
}

/// Declares the test on both databases with a server behind a trusted proxy.
macro_rules! behind_proxy {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(app) = behind_proxy(Db::Sqlite).await {
                    ($body)(app).await;
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = behind_proxy(Db::Postgres).await {
                    ($body)(app).await;
                }
            }
        }
    };
}

async fn login_from(app: &TestApp, from: &str, username: &str, password: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-for", from)
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap()
}

crate::both_backends!(
    every_kind_of_answer_carries_the_security_headers,
    |app: TestApp| async move {
        let (staff, _) = sign_in(&app, "clerk").await;
        let clerk = app.token("clerk").await;
        let case = app.file_at_window(&clerk).await;
        let number = case["number"].as_str().unwrap();
        let answers = [
            ("portal", app.client.get(app.url("/")).send().await.unwrap()),
            (
                "search",
                app.client.get(app.url("/search?q=社保")).send().await.unwrap(),
            ),
            (
                "guide",
                app.client.get(app.url(&format!("/items/{ITEM}"))).send().await.unwrap(),
            ),
            ("login", app.client.get(app.url("/login")).send().await.unwrap()),
            (
                "missing page",
                app.client.get(app.url("/no-such-page")).send().await.unwrap(),
            ),
            (
                "staff page",
                staff
                    .get(app.url(&format!("/staff/cases/{number}")))
                    .send()
                    .await
                    .unwrap(),
            ),
            (
                "API",
                app.client
                    .get(app.url(&format!("/api/v1/items/{ITEM}")))
                    .send()
                    .await
                    .unwrap(),
            ),
            (
                "API with personal data",
                app.client
                    .get(app.url(&format!("/api/v1/cases/{number}")))
                    .bearer_auth(&clerk)
                    .send()
                    .await
                    .unwrap(),
            ),
            (
                "API error",
                app.client.get(app.url("/api/v1/nothing")).send().await.unwrap(),
            ),
            (
                "OpenAPI",
                app.client.get(app.url("/api/openapi.json")).send().await.unwrap(),
            ),
            ("health", app.client.get(app.url("/healthz")).send().await.unwrap()),
            (
                "Open311",
                app.client
                    .get(app.url("/open311/v2/services.json"))
                    .send()
                    .await
                    .unwrap(),
            ),
        ];
        for (what, r) in &answers {
            let h = r.headers();
            let csp = h
                .get("content-security-policy")
                .map(|v| v.to_str().unwrap())
                .unwrap_or("");
            assert!(
                csp.contains("script-src 'self'")
                    && csp.contains("frame-ancestors 'none'")
                    && !csp.contains("unsafe-inline"),
                "{what}: CSP {csp:?}"
            );
            assert_eq!(
                h.get("x-frame-options").map(|v| v.to_str().unwrap()),
                Some("DENY"),
                "{what}"
            );
            assert_eq!(
                h.get("x-content-type-options").map(|v| v.to_str().unwrap()),
                Some("nosniff"),
                "{what}"
            );
            assert_eq!(
                h.get("referrer-policy").map(|v| v.to_str().unwrap()),
                Some("same-origin"),
                "{what}"
            );
            assert_eq!(
                h.get("cache-control").map(|v| v.to_str().unwrap()),
                Some("no-store"),
                "{what}"
            );
            assert!(
                h.get("strict-transport-security").is_none(),
                "{what}: no HSTS over plain HTTP"
            );
        }
        // The embedded assets keep their own caching.
        let home = fetch(&app.client, &app, "/").await;
        let css = home
            .split("href=\"")
            .find(|s| s.starts_with("/assets/") && s.contains(".css"))
            .unwrap();
        let css = css.split('"').next().unwrap();
        let r = app.client.get(app.url(css)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(
            r.headers()["cache-control"].to_str().unwrap().contains("max-age"),
            "{css}"
        );
        assert!(r.headers().get("content-security-policy").is_some());
    }
);

mod secure_deployment {
    use super::*;

    /// Behind HTTPS (`secure_cookies`): HSTS on every answer and the session cookie marked Secure.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        let web = tongban_web::WebConfig {
            secure_cookies: true,
            ..Default::default()
        };
        let app = TestApp::spawn_with_web(Db::Sqlite, Default::default(), web)
            .await
            .unwrap();
        let r = app.client.get(app.url("/")).send().await.unwrap();
        assert!(r.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .contains("max-age="));
        let page = app.client.get(app.url("/login")).send().await.unwrap();
        let cookie = page.headers()["set-cookie"].to_str().unwrap().to_string();
        assert!(cookie.contains("Secure") && cookie.contains("HttpOnly"), "{cookie}");
    }
}

crate::both_backends!(
    sign_in_stays_on_this_site_and_every_sign_in_form_carries_its_token,
    |app: TestApp| async move {
        let browser = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        // A `next` that browsers would turn into another site leads to the workbench instead.
        for next in [
            "/%09/evil.example",
            "//evil.example",
            "/\\evil.example",
            "https://evil.example/",
        ] {
            let page = fetch(
                &browser,
                &app,
                &format!("/login?next={}", crate::helpers::urlencode(next)),
            )
            .await;
            let csrf = hidden(&page, "csrf");
            let decoded: String = url::form_urlencoded::parse(format!("n={next}").as_bytes())
                .map(|(_, v)| v.into_owned())
                .collect();
            let r = browser
                .post(app.url("/login"))
                .form(&[
                    ("username", "clerk"),
                    ("password", PASSWORD),
                    ("csrf", &csrf),
                    ("next", &decoded),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::SEE_OTHER, "{next}");
            assert_eq!(r.headers()["location"], "/staff", "{next} must not lead off-site");
            let logout_page = fetch(&browser, &app, "/staff").await;
            let csrf = hidden(&logout_page, "csrf");
            browser
                .post(app.url("/logout"))
                .form(&[("csrf", &csrf)])
                .send()
                .await
                .unwrap();
        }
        // The portal's sign-in forms without their token change nothing: no code is sent, nobody signs in.
        let before: i64 = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM outbox")
            .fetch_one(app.state.store.pool())
            .await
            .unwrap();
        let forged = reqwest::Client::new();
        for (path, fields) in [
            ("/my/code", vec![("identifier", ID), ("name", "张三"), ("phone", PHONE)]),
            (
                "/my/login",
                vec![("identifier", ID), ("phone", PHONE), ("password", "whatever-password")],
            ),
        ] {
            let r = forged.post(app.url(path)).form(&fields).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
            assert!(r
                .headers()
                .get("set-cookie")
                .is_some_and(|c| !c.to_str().unwrap().contains("tongban_applicant")));
        }
        let after: i64 = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM outbox")
            .fetch_one(app.state.store.pool())
            .await
            .unwrap();
        assert_eq!(before, after, "no code was texted by a forged form");
        // The API's logout takes the scheme in any case.
        let token = app.token("clerk").await;
        let r = app
            .client
            .post(app.url("/api/v1/auth/logout"))
            .header("authorization", format!("bearer {token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        let (status, _) = app.get_auth("/api/v1/me", &token).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "the session ended");
    }
);

crate::both_backends!(
    passwords_follow_the_rule_and_owners_and_administrators_manage_accounts,
    |app: TestApp| async move {
        let clerk = app.token("clerk").await;
        let other_device = app.token("clerk").await;
        // Weak new passwords are refused, naming why.
        for weak in [
            "short-pw",
            "password1234",
            "123456789012",
            "clerk-clerk-clerk",
            "aaaaaaaaaaaaaaa",
        ] {
            let (status, body) = app
                .post_json(
                    "/api/v1/me/password",
                    &json!({"current_password": PASSWORD, "new_password": weak}),
                    Some(&clerk),
                )
                .await;
            assert_eq!(
                (status, err(&body)),
                (StatusCode::UNPROCESSABLE_ENTITY, "weak_password"),
                "{weak}: {body}"
            );
        }
        let (status, body) = app
            .post_json(
                "/api/v1/me/password",
                &json!({"current_password": "not-my-password", "new_password": "云溪区综窗2026年新密码"}),
                Some(&clerk),
            )
            .await;
        assert_eq!(
            (status, err(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "wrong_current_password")
        );
        // The owner changes it: this session stays, the other device is signed out, the old password is dead.
        let (status, body) = app
            .post_json(
                "/api/v1/me/password",
                &json!({"current_password": PASSWORD, "new_password": "云溪区综窗2026年新密码"}),
                Some(&clerk),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        assert_eq!(app.get_auth("/api/v1/me", &clerk).await.0, StatusCode::OK);
        assert_eq!(
            app.get_auth("/api/v1/me", &other_device).await.0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            login_from(&app, "", "clerk", PASSWORD).await.status(),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            login_from(&app, "", "clerk", "云溪区综窗2026年新密码").await.status(),
            StatusCode::OK
        );

        // An administrator resets a forgotten password and disables an account; a clerk may do neither.
        let admin = app.token("admin").await;
        let reviewer = app.token("reviewer").await;
        let (status, _) = app
            .post_json(
                "/api/v1/staff/reviewer/password",
                &json!({"password": "审查员临时密码-7431"}),
                Some(&clerk),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, body) = app
            .post_json(
                "/api/v1/staff/reviewer/password",
                &json!({"password": "审查员临时密码-7431"}),
                Some(&admin),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        assert_eq!(
            app.get_auth("/api/v1/me", &reviewer).await.0,
            StatusCode::UNAUTHORIZED,
            "reset ends sessions"
        );
        let reviewer = login_from(&app, "", "reviewer", "审查员临时密码-7431").await;
        assert_eq!(reviewer.status(), StatusCode::OK);
        let reviewer = reviewer.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_string();
        let (status, _) = app
            .put_json("/api/v1/staff/reviewer/active", &json!({"active": false}), &admin)
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(
            app.get_auth("/api/v1/me", &reviewer).await.0,
            StatusCode::UNAUTHORIZED,
            "disabled at once"
        );
        let r = login_from(&app, "", "reviewer", "审查员临时密码-7431").await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert_eq!(err(&r.json::<Value>().await.unwrap()), "account_disabled");
        let (status, body) = app
            .put_json("/api/v1/staff/admin/active", &json!({"active": false}), &admin)
            .await;
        assert_eq!((status, err(&body)), (StatusCode::CONFLICT, "own_account"));
        app.put_json("/api/v1/staff/reviewer/active", &json!({"active": true}), &admin)
            .await;
        assert_eq!(
            login_from(&app, "", "reviewer", "审查员临时密码-7431").await.status(),
            StatusCode::OK
        );
        // Each change is in the audit log.
        let actions: Vec<String> =
            sqlx::query_scalar::<_, String>("SELECT action FROM audit_log WHERE action LIKE 'staff.%' ORDER BY id")
                .fetch_all(app.state.store.pool())
                .await
                .unwrap();
        for a in ["staff.password", "staff.active"] {
            assert!(actions.iter().any(|x| x == a), "{a} audited: {actions:?}");
        }

        // The same on the pages: the users page resets and disables, the password page changes one's own.
        let (admin_page, _) = sign_in(&app, "admin").await;
        let users = fetch(&admin_page, &app, "/staff/users").await;
        let csrf = hidden(&users, "csrf");
        let r = admin_page
            .post(app.url("/staff/users/head/active"))
            .form(&[("csrf", csrf.as_str()), ("active", "0")])
            .send()
            .await
            .unwrap();
        assert!(r.text().await.unwrap().contains("已停用“head”"));
        let page = fetch(&admin_page, &app, "/staff/password").await;
        assert!(page.contains("当前密码"));
        let r = admin_page
            .post(app.url("/staff/password"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("current_password", PASSWORD),
                ("new_password", "password1234"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("过于常见"));
    }
);

behind_proxy!(
    guessing_is_slowed_by_address_and_account_without_locking_the_owner_out,
    |app: TestApp| async move {
        // Five wrong passwords for the administrator from one address …
        for _ in 0..5 {
            let r = login_from(&app, "203.0.113.7", "admin", "wrong-password-1").await;
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        }
        // … and that address is refused on that account, even with the right password, and told when to return.
        let r = login_from(&app, "203.0.113.7", "admin", PASSWORD).await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        let retry: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=900).contains(&retry), "{retry}");
        assert_eq!(err(&r.json::<Value>().await.unwrap()), "too_many_attempts");
        // The administrator at their own desk is not locked out.
        assert_eq!(
            login_from(&app, "198.51.100.2", "admin", PASSWORD).await.status(),
            StatusCode::OK
        );
        // Spraying one password across accounts from one address is stopped too.
        let mut refused = false;
        for user in [
            "clerk",
            "reviewer",
            "head",
            "supervisor",
            "operator",
            "discloser",
            "policy",
        ]
        .iter()
        .cycle()
        .take(22)
        {
            if login_from(&app, "203.0.113.99", user, "Spring2026!!x").await.status() == StatusCode::TOO_MANY_REQUESTS {
                refused = true;
                break;
            }
        }
        assert!(refused, "password spraying from one address is refused");
        assert_eq!(
            login_from(&app, "198.51.100.3", "clerk", PASSWORD).await.status(),
            StatusCode::OK
        );

        // The same limits on the staff login page, which answers 429 with Retry-After.
        let browser = reqwest::Client::builder().cookie_store(true).build().unwrap();
        let page = browser
            .get(app.url("/login"))
            .header("x-forwarded-for", "203.0.113.7")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let r = browser
            .post(app.url("/login"))
            .header("x-forwarded-for", "203.0.113.7")
            .form(&[
                ("username", "admin"),
                ("password", PASSWORD),
                ("csrf", &hidden(&page, "csrf")),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(r.headers().contains_key("retry-after"));
        assert!(r.text().await.unwrap().contains("过于频繁"));
    }
);

behind_proxy!(
    the_public_endpoints_are_limited_per_address,
    |app: TestApp| async move {
        // The progress query: the four-character code cannot be tried through from one address.
        let limit = tongban_app::throttle::PROGRESS_QUERIES_PER_ADDRESS.max;
        let query = |from: &'static str, code: &'static str| {
            app.client
                .get(app.url(&format!("/api/v1/progress?number=430603-20260101-0001&code={code}")))
                .header("x-forwarded-for", from)
                .send()
        };
        for _ in 0..limit {
            assert_eq!(
                query("203.0.113.20", "1234").await.unwrap().status(),
                StatusCode::NOT_FOUND
            );
        }
        let r = query("203.0.113.20", "1235").await.unwrap();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(r.headers().contains_key("retry-after"));
        assert_eq!(
            query("203.0.113.21", "1234").await.unwrap().status(),
            StatusCode::NOT_FOUND,
            "another address"
        );
        // The page answers the same.
        let r = app
            .client
            .get(app.url("/progress?number=430603-20260101-0001&code=9999"))
            .header("x-forwarded-for", "203.0.113.20")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);

        // SMS sign-in codes: at most so many from one address, whatever the phones.
        let codes = tongban_app::throttle::SIGN_IN_CODES_PER_ADDRESS.max;
        for i in 0..=codes {
            let phone = format!("139{:08}", 10_000 + i);
            let r = app
                .client
                .post(app.url("/api/v1/applicant/code"))
                .header("x-forwarded-for", "203.0.113.30")
                .json(&json!({"identifier": ID, "phone": phone}))
                .send()
                .await
                .unwrap();
            let expected = if i < codes {
                StatusCode::ACCEPTED
            } else {
                StatusCode::TOO_MANY_REQUESTS
            };
            assert_eq!(r.status(), expected, "code {i}");
        }

        // Anonymous 12345 requests and mayor's-mailbox letters.
        let orders = tongban_app::throttle::ANONYMOUS_ORDERS_PER_ADDRESS.max;
        for i in 0..=orders {
            let r = app
                .client
                .post(app.url("/api/v1/hotline/requests"))
                .header("x-forwarded-for", "203.0.113.40")
                .json(
                    &json!({"channel": "mailbox", "category": "jianyi", "title": "建议增设公园座椅",
                              "content": format!("云溪公园座椅太少{i}"), "name": "王五", "phone": "13700001111"}),
                )
                .send()
                .await
                .unwrap();
            let expected = if i < orders {
                StatusCode::CREATED
            } else {
                StatusCode::TOO_MANY_REQUESTS
            };
            assert_eq!(r.status(), expected, "request {i}: {}", r.text().await.unwrap());
        }
    }
);

behind_proxy!(
    metrics_are_read_by_prometheus_and_supervision_only,
    |app: TestApp| async move {
        let r = app.client.get(app.url("/metrics")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let clerk = app.token("clerk").await;
        let r = app
            .client
            .get(app.url("/metrics"))
            .bearer_auth(&clerk)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let supervisor = app.token("supervisor").await;
        let r = app
            .client
            .get(app.url("/metrics"))
            .bearer_auth(&supervisor)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let r = app
            .client
            .get(app.url("/metrics"))
            .bearer_auth("prometheus-scrape-token-0123")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.text().await.unwrap().contains("tongban_http_requests_total"));
    }
);

crate::both_backends!(
    only_the_window_tablet_or_the_applicant_rates_a_case,
    |app: TestApp| async move {
        let clerk = app.token("clerk").await;
        let reviewer = app.token("reviewer").await;
        let head = app.token("head").await;
        let case = app.file_at_window(&clerk).await;
        let case = app.step(&clerk, case, "accept").await;
        let case = app.step(&reviewer, case, "review").await;
        let case = app.step(&head, case, "approve").await;
        let case = app.step(&reviewer, case, "issue").await;
        let number = case["number"].as_str().unwrap();
        let path = format!("/api/v1/cases/{number}/rating");
        // The department that handled the case cannot rate it in the applicant's place, nor can other staff.
        for who in ["reviewer", "head", "supervisor", "admin", "operator"] {
            let token = app.token(who).await;
            let (status, body) = app.post_json(&path, &json!({"level": 1}), Some(&token)).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{who}: {body}");
        }
        // The applicant still can.
        let link = tongban_app::reform::rating_token(&app.state, number);
        let (status, body) = app.post_json(&path, &json!({"level": 2, "token": link}), None).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        // And a clerk at the window where a case was filed may rate on the tablet.
        let other = app.file_at_window(&clerk).await;
        let other = app.step(&clerk, other, "accept").await;
        let other = app.step(&reviewer, other, "review").await;
        let other = app.step(&head, other, "deny").await;
        let (status, body) = app
            .post_json(
                &format!("/api/v1/cases/{}/rating", other["number"].as_str().unwrap()),
                &json!({"level": 1}),
                Some(&clerk),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
);
