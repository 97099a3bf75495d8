//! The server-rendered pages: portal, guide, staff login with CSRF, each role's workbench, guide editing.

use crate::both_backends;
use crate::helpers::{TestApp, PASSWORD};
use reqwest::StatusCode;

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).map(|i| i + marker.len()).expect("hidden field");
    html[start..].split('"').next().unwrap_or("").to_string()
}

/// A browser-like client (cookies kept) signed in through the login form.
async fn sign_in(app: &TestApp, username: &str) -> (reqwest::Client, String) {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = client
        .get(app.url("/login?next=/staff"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden(&form, "csrf");
    let r = client
        .post(app.url("/login"))
        .form(&[
            ("username", username),
            ("password", PASSWORD),
            ("csrf", &csrf),
            ("next", "/staff"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "login of {username}");
    assert_eq!(r.headers()["location"], "/staff");
    let home = client
        .get(app.url("/staff"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    (client, home)
}

both_backends!(portal_pages_show_the_catalog, |app: TestApp| async move {
    let home = app.get("/").await.text().await.unwrap();
    assert!(
        home.contains("区行政审批局") && home.contains("1162个事项"),
        "home page"
    );
    assert!(home.contains("入学一件事"));
    assert!(home.contains("<label for=\"q\""), "search field has a label");
    let results = app
        .get("/search?q=%E5%AD%A9%E5%AD%90%E4%B8%8A%E5%B0%8F%E5%AD%A6%E6%80%8E%E4%B9%88%E6%8A%A5%E5%90%8D")
        .await
        .text()
        .await
        .unwrap();
    assert!(results.contains("义务教育阶段入学办理"), "search results page");
    let guide = app.get("/items/430603-XK-0537").await.text().await.unwrap();
    for element in [
        "申请材料",
        "法定办结时限",
        "承诺办结时限",
        "到办事现场次数",
        "咨询电话",
        "设定依据",
        "办理地点",
    ] {
        assert!(guide.contains(element), "guide page lacks {element}");
    }
    let r = app.get("/items/NOPE").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.text().await.unwrap().contains("NOPE"));
    let css = app.get("/assets/app.css").await;
    assert_eq!(css.status(), StatusCode::OK);
    assert!(!css.text().await.unwrap().contains("http"), "no external assets");
});

both_backends!(
    staff_login_is_csrf_protected_and_each_role_has_a_home,
    |app: TestApp| async move {
        // Without the login form's token the attempt is refused and no session is made.
        let r = app
            .client
            .post(app.url("/login"))
            .form(&[
                ("username", "admin"),
                ("password", PASSWORD),
                ("csrf", "forged"),
                ("next", "/staff"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert!(r
            .headers()
            .get("set-cookie")
            .is_none_or(|c| !c.to_str().unwrap_or("").contains("tongban_session")));
        let r = app.get("/staff").await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);

        for (user, expect) in [
            ("admin", "人员管理"),
            ("clerk", "综合受理窗口1号"),
            ("reviewer", "本部门待整改的办事指南"),
            ("head", "区行政审批局"),
            ("supervisor", "待整改的办事指南"),
            ("operator", "快速查询办事指南"),
            ("discloser", "政务公开专员"),
            ("policy", "惠企政策专员"),
        ] {
            let (_, home) = sign_in(&app, user).await;
            assert!(home.contains(expect), "{user}'s home lacks {expect}");
        }

        let (client, home) = sign_in(&app, "clerk").await;
        let r = client.get(app.url("/staff/quality")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let r = client.get(app.url("/staff/users")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let csrf = hidden(&home, "csrf");
        let r = client
            .post(app.url("/logout"))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            client.get(app.url("/staff")).send().await.unwrap().status(),
            StatusCode::SEE_OTHER
        );
    }
);

both_backends!(admin_edits_a_guide_through_the_form, |app: TestApp| async move {
    let (client, _) = sign_in(&app, "admin").await;
    let form = client
        .get(app.url("/staff/catalog/430603-XK-0537/edit"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden(&form, "csrf");
    let fields = |promised: &'static str, csrf: String| {
        vec![
            ("csrf", csrf),
            ("name", "食品经营许可证核发".to_string()),
            ("department", "区行政审批局".to_string()),
            ("legal_limit_days", "20".to_string()),
            ("promised_limit_days", promised.to_string()),
            ("visits", "0".to_string()),
            ("online_depth", "4".to_string()),
            ("visit_reason", String::new()),
            ("legal_basis", "《中华人民共和国食品安全法》".to_string()),
            ("materials", "食品经营许可申请书\n营业执照*".to_string()),
            ("fee_yuan", "0".to_string()),
            ("fee_basis", String::new()),
            ("consult_phone", "0730-8302221".to_string()),
            ("supervise_phone", "12345".to_string()),
            ("address", "云溪区政务服务中心".to_string()),
            ("hours", String::new()),
            ("keywords", "开饭店;小吃店".to_string()),
        ]
    };
    let r = client
        .post(app.url("/staff/catalog/430603-XK-0537/edit"))
        .form(&fields("30", csrf.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "a refused edit shows the form again");
    assert!(r.text().await.unwrap().contains("超过法定时限"));
    let r = client
        .post(app.url("/staff/catalog/430603-XK-0537/edit"))
        .form(&fields("2", "bad".into()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = client
        .post(app.url("/staff/catalog/430603-XK-0537/edit"))
        .form(&fields("2", csrf))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let guide = app.get("/items/430603-XK-0537").await.text().await.unwrap();
    assert!(guide.contains("2个工作日") && guide.contains("可容缺后补") && guide.contains("第2版"));
    let old = app.get("/items/430603-XK-0537?version=1").await.text().await.unwrap();
    assert!(old.contains("历史版本"));
    let (reviewer, _) = sign_in(&app, "reviewer").await;
    let r = reviewer
        .get(app.url("/staff/catalog/430603-XK-0537/edit"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let quality = reviewer
        .get(app.url("/staff/quality"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(quality.contains("办事指南质量监测") && quality.contains("到现场次数"));
});
