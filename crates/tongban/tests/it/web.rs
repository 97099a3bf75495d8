//! The server-rendered pages: portal, guide, staff login with CSRF, each role's workbench, guide editing.

use crate::both_backends;
use crate::helpers::{TestApp, PASSWORD};
use reqwest::StatusCode;

pub(crate) fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).map(|i| i + marker.len()).expect("hidden field");
    html[start..].split('"').next().unwrap_or("").to_string()
}

/// The text of a page fetched with a signed-in client.
pub(crate) async fn fetch(client: &reqwest::Client, app: &TestApp, path: &str) -> String {
    client.get(app.url(path)).send().await.unwrap().text().await.unwrap()
}

/// A browser-like client (cookies kept) signed in through the login form.
pub(crate) async fn sign_in(app: &TestApp, username: &str) -> (reqwest::Client, String) {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = fetch(&client, app, "/login?next=/staff").await;
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
    let home = fetch(&client, app, "/staff").await;
    (client, home)
}

/// `sign_in`, giving the session's CSRF token for the forms to post.
pub(crate) async fn sign_in_with_csrf(app: &TestApp, username: &str) -> (reqwest::Client, String) {
    let (client, home) = sign_in(app, username).await;
    let csrf = hidden(&home, "csrf");
    (client, csrf)
}

both_backends!(portal_pages_show_the_catalog, |app: TestApp| async move {
    let home = app.get("/").await.text().await.unwrap();
    assert!(
        home.contains("区行政审批局") && home.contains("1162个事项"),
        "home page"
    );
    assert!(home.contains("入学一件事"));
    assert!(home.contains("<label for=\"q\""), "search field has a label");
    // The seal as the tab's icon, also where browsers look for it unasked.
    assert!(home.contains("<link rel=\"icon\" href=\"/assets/favicon.svg\""));
    let icon = app.get("/favicon.ico").await;
    assert_eq!(icon.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(icon.headers()["location"], "/assets/favicon.svg");
    let svg = app.get("/assets/favicon.svg").await;
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
    assert!(svg.text().await.unwrap().starts_with("<svg"));
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
    let form = fetch(&client, &app, "/staff/catalog/430603-XK-0537/edit").await;
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
            ("materials", "3".to_string()),
            ("m0_name", "食品经营许可申请书".to_string()),
            ("m0_required", "1".to_string()),
            ("m0_originals", "1".to_string()),
            ("m0_copies", "0".to_string()),
            ("m1_name", "营业执照".to_string()),
            ("m1_required", "1".to_string()),
            ("m1_missing", "1".to_string()),
            ("m1_originals", "0".to_string()),
            ("m1_copies", "2".to_string()),
            // A blank row adds nothing.
            ("m2_name", String::new()),
            ("m2_originals", "1".to_string()),
            ("m2_copies", "0".to_string()),
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
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a refused edit shows the form again"
    );
    let page = r.text().await.unwrap();
    assert!(page.contains("超过法定时限"));
    assert!(
        page.contains("value=\"30\"") && page.contains("name=\"m1_name\" value=\"营业执照\""),
        "as typed"
    );
    // Two materials of one name, or a pile of copies: refused by name.
    for (field, value, says) in [("m0_name", "营业执照", "重复"), ("m1_copies", "21", "不超过20份")] {
        let mut bad = fields("2", csrf.clone());
        bad.iter_mut().find(|(k, _)| *k == field).unwrap().1 = value.to_string();
        let r = client
            .post(app.url("/staff/catalog/430603-XK-0537/edit"))
            .form(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert!(r.text().await.unwrap().contains(says), "{field}: {says}");
    }
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
    let (_, item) = app.get_json("/api/v1/items/430603-XK-0537").await;
    let materials = item["guide"]["materials"].as_array().unwrap();
    assert_eq!(materials.len(), 2, "{materials:?}");
    assert_eq!(materials[1]["copies"], 2);
    assert_eq!(materials[1]["originals"], 0);
    assert_eq!(materials[1]["may_be_missing"], true);

    // The application form is edited on the same page, as its JSON definition.
    let form = fetch(&client, &app, "/staff/catalog/430603-XK-0537/edit").await;
    assert!(
        form.contains("使用默认申请表") && form.contains("contact_phone"),
        "the default form shown"
    );
    let mut with_form = fields("2", hidden(&form, "csrf"));
    with_form.push((
        "form_json",
        r#"{"fields": [{"name": "shop", "label": "店铺名称", "type": "text", "required": true}]}"#.to_string(),
    ));
    let r = client
        .post(app.url("/staff/catalog/430603-XK-0537/edit"))
        .form(&with_form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, definition) = app.get_json("/api/v1/items/430603-XK-0537/form").await;
    assert_eq!(
        (
            definition["is_default"].as_bool(),
            definition["fields"][0]["name"].as_str()
        ),
        (Some(false), Some("shop"))
    );
    let mut broken = fields("2", hidden(&form, "csrf"));
    broken.push((
        "form_json",
        r#"{"fields": [{"name": "x", "label": "甲", "type": "choice"}]}"#.to_string(),
    ));
    let r = client
        .post(app.url("/staff/catalog/430603-XK-0537/edit"))
        .form(&broken)
        .send()
        .await
        .unwrap();
    assert!(
        r.text().await.unwrap().contains("须列出选项"),
        "a definition that cannot be filled is refused"
    );
    let mut reset = fields("2", hidden(&form, "csrf"));
    reset.push(("default_form", "1".to_string()));
    client
        .post(app.url("/staff/catalog/430603-XK-0537/edit"))
        .form(&reset)
        .send()
        .await
        .unwrap();
    let (_, definition) = app.get_json("/api/v1/items/430603-XK-0537/form").await;
    assert_eq!(definition["is_default"], true);
    let old = app.get("/items/430603-XK-0537?version=1").await.text().await.unwrap();
    assert!(old.contains("历史版本"));
    let (reviewer, _) = sign_in(&app, "reviewer").await;
    let r = reviewer
        .get(app.url("/staff/catalog/430603-XK-0537/edit"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let quality = fetch(&reviewer, &app, "/staff/quality").await;
    assert!(quality.contains("办事指南质量监测") && quality.contains("到现场次数"));
});

both_backends!(
    window_acceptance_inbox_case_page_and_notices,
    |app: TestApp| async move {
        let (clerk, _) = sign_in(&app, "clerk").await;
        let found = fetch(&clerk, &app, "/staff/cases/new?q=%E5%A5%B6%E8%8C%B6%E5%BA%97").await;
        assert!(
            found.contains("/staff/cases/new?item=430603-XK-0537"),
            "item search on the acceptance page"
        );
        let form = fetch(&clerk, &app, "/staff/cases/new?item=430603-XK-0537").await;
        assert!(form.contains("场所使用权证明") && form.contains("type=\"checkbox\""));
        let csrf = hidden(&form, "csrf");
        let mut fields = vec![
            ("csrf", csrf.clone()),
            ("item", "430603-XK-0537".to_string()),
            ("kind", "person".to_string()),
            ("name", "李四".to_string()),
            ("identifier", "11010519491231002X".to_string()),
            ("phone", "13912345678".to_string()),
            ("agent", String::new()),
            ("comment", String::new()),
            ("material", "申请表".to_string()),
            ("decision", "accept".to_string()),
        ];
        let r = clerk
            .post(app.url("/staff/cases/new"))
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(
            r.text().await.unwrap().contains("缺少必要材料"),
            "acceptance with materials missing is refused"
        );
        let token = app.token("clerk").await;
        let (_, list) = app.get_auth("/api/v1/cases", &token).await;
        assert_eq!(list["total"], 0, "a refused acceptance files nothing");
        fields.pop();
        for m in ["营业执照或统一社会信用代码证明", "场所使用权证明", "相关资质证明材料"]
        {
            fields.push(("material", m.to_string()));
        }
        fields.push(("decision", "accept".to_string()));
        let r = clerk
            .post(app.url("/staff/cases/new"))
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let location = r.headers()["location"].to_str().unwrap().to_string();
        assert!(location.ends_with("?printed=acceptance"), "{location}");
        let number = location
            .trim_start_matches("/staff/cases/")
            .split('?')
            .next()
            .unwrap()
            .to_string();
        let page = fetch(&clerk, &app, &location).await;
        assert!(page.contains("审查中") && page.contains("受理通知书"));
        let notice = fetch(&clerk, &app, &format!("/staff/cases/{number}/notice/acceptance")).await;
        assert!(notice.contains("决定予以受理") && notice.contains(&number));
        let r = clerk
            .get(app.url(&format!("/staff/cases/{number}/notice/refusal")))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "no refusal notice for an accepted case"
        );

        let (reviewer, _) = sign_in(&app, "reviewer").await;
        let inbox = fetch(&reviewer, &app, "/staff/cases").await;
        assert!(
            inbox.contains(&number) && inbox.contains("light-"),
            "the reviewer's inbox shows the case with its light"
        );
        let page = fetch(&reviewer, &app, &format!("/staff/cases/{number}")).await;
        let csrf = hidden(&page, "csrf");
        let version = hidden(&page, "version");
        let r = reviewer
            .post(app.url(&format!("/staff/cases/{number}/act")))
            .form(&[
                ("csrf", csrf.as_str()),
                ("version", version.as_str()),
                ("action", "review"),
                ("comment", ""),
            ])
            .send()
            .await
            .unwrap();
        let back = r.headers()["location"].to_str().unwrap().to_string();
        assert!(
            back.contains("error="),
            "a review without an opinion is refused: {back}"
        );
        let r = reviewer
            .post(app.url(&format!("/staff/cases/{number}/act")))
            .form(&[
                ("csrf", csrf.as_str()),
                ("version", version.as_str()),
                ("action", "review"),
                ("comment", "符合条件"),
            ])
            .send()
            .await
            .unwrap();
        assert!(r.headers()["location"].to_str().unwrap().contains("done="));
        let (supervisor, _) = sign_in(&app, "supervisor").await;
        let board = fetch(&supervisor, &app, "/staff/supervision").await;
        assert!(board.contains("按时办结率") && board.contains("区行政审批局"));
        let page = fetch(&supervisor, &app, &format!("/staff/cases/{number}")).await;
        assert!(
            page.contains("110105********002X") && !page.contains("11010519491231002X"),
            "supervisors see personal data masked"
        );

        let progress = app
            .get(&format!("/progress?number={number}&code=5678"))
            .await
            .text()
            .await
            .unwrap();
        assert!(progress.contains("待决定"), "the applicant follows the case");
    }
);

/// The workflow editor's form fields for a template (as the API gives it), the way the page names them.
fn workflow_form(t: &serde_json::Value, csrf: &str) -> Vec<(String, String)> {
    let mut f = vec![
        ("csrf".to_string(), csrf.to_string()),
        ("name".into(), t["name"].as_str().unwrap().into()),
        ("initial".into(), t["initial"].as_str().unwrap().into()),
    ];
    let states = t["states"].as_array().unwrap();
    f.push(("states".into(), states.len().to_string()));
    for (i, st) in states.iter().enumerate() {
        f.push((format!("s{i}_code"), st["code"].as_str().unwrap().into()));
        f.push((format!("s{i}_label"), st["label"].as_str().unwrap().into()));
        f.push((format!("s{i}_clock"), st["clock"].as_str().unwrap().into()));
        f.push((
            format!("s{i}_budget"),
            st["budget_days"].as_u64().map(|d| d.to_string()).unwrap_or_default(),
        ));
    }
    let actions = t["actions"].as_array().unwrap();
    f.push(("actions".into(), actions.len().to_string()));
    for (j, a) in actions.iter().enumerate() {
        f.push((format!("a{j}_code"), a["code"].as_str().unwrap().into()));
        f.push((format!("a{j}_label"), a["label"].as_str().unwrap().into()));
        for from in a["from"].as_array().unwrap() {
            f.push((format!("a{j}_from"), from.as_str().unwrap().into()));
        }
        let to = a["to"]["state"].as_str().unwrap_or("previous");
        f.push((format!("a{j}_to"), to.into()));
        for actor in a["actors"].as_array().unwrap() {
            // "applicant", or {"staff": "<role>"}
            let value = actor.as_str().or_else(|| actor["staff"].as_str()).unwrap();
            f.push((format!("a{j}_actor"), value.into()));
        }
        if a["comment_required"].as_bool() == Some(true) {
            f.push((format!("a{j}_comment"), "1".into()));
        }
        f.push((
            format!("a{j}_max"),
            a["max_times"].as_u64().map(|d| d.to_string()).unwrap_or_default(),
        ));
    }
    f
}

both_backends!(
    administrator_edits_the_workflow_on_its_page,
    |app: TestApp| async move {
        let (admin, _) = sign_in(&app, "admin").await;
        let page = fetch(&admin, &app, "/staff/workflows/default").await;
        assert!(page.contains("一次性告知补正") && page.contains("部门负责人"));
        assert!(page.contains("<svg class=\"flow\"") && page.contains(">待受理</text>"));
        assert!(!page.contains("<textarea"), "a form, not JSON");
        let csrf = hidden(&page, "csrf");
        let token = app.token("admin").await;
        let (_, t) = app.get_auth("/api/v1/workflows/default", &token).await;
        let post = |fields: Vec<(String, String)>| {
            let admin = admin.clone();
            let url = app.url("/staff/workflows/default");
            async move { admin.post(url).form(&fields).send().await.unwrap() }
        };

        // The form as it stands saves unchanged: it describes the template whole.
        let r = post(workflow_form(&t, &csrf)).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.text().await.unwrap().contains("已保存"));
        let (_, same) = app.get_auth("/api/v1/workflows/default", &token).await;
        assert_eq!(same, t, "saving the form unchanged changes nothing");

        // Refused, naming the problem, keeping what was typed: an action to nowhere, a state without a name, a code
        // that is not one.
        for (field, value, says) in [
            ("a0_to", "", "目标状态"),
            ("s1_label", "", "缺少名称"),
            ("s1_code", "待补正", "只能由小写字母"),
        ] {
            let mut fields = workflow_form(&t, &csrf);
            fields.iter_mut().find(|(k, _)| k == field).unwrap().1 = value.to_string();
            fields.iter_mut().find(|(k, _)| k == "name").unwrap().1 = "改过的名称".into();
            let r = post(fields).await;
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}");
            let body = r.text().await.unwrap();
            assert!(body.contains(says), "{field}: {says}");
            assert!(
                body.contains("value=\"改过的名称\""),
                "{field}: the draft is shown as typed"
            );
        }
        let (_, unchanged) = app.get_auth("/api/v1/workflows/default", &token).await;
        assert_eq!(unchanged, t, "refusals save nothing");

        // A renamed state and a new one, added in the blank row.
        let mut fields = workflow_form(&t, &csrf);
        fields.iter_mut().find(|(k, _)| k == "s3_label").unwrap().1 = "审查中（专窗）".into();
        let n = t["states"].as_array().unwrap().len();
        fields.iter_mut().find(|(k, _)| k == "states").unwrap().1 = (n + 1).to_string();
        fields.extend([
            (format!("s{n}_code"), "hearing".to_string()),
            (format!("s{n}_label"), "听证".to_string()),
            (format!("s{n}_clock"), "stopped".to_string()),
        ]);
        let r = post(fields).await;
        assert!(r.text().await.unwrap().contains("已保存"));
        let (_, saved) = app.get_auth("/api/v1/workflows/default", &token).await;
        assert_eq!(saved["states"][3]["label"], "审查中（专窗）");
        assert_eq!(saved["states"][n]["code"], "hearing");

        let (reviewer, _) = sign_in(&app, "reviewer").await;
        let page = fetch(&reviewer, &app, "/staff/workflows/default").await;
        assert!(
            page.contains("审查中（专窗）") && page.contains("<fieldset disabled>") && !page.contains("校验并保存"),
            "others read the template but cannot edit it"
        );
    }
);

both_backends!(a_town_centre_accepts_for_the_district, |app: TestApp| async move {
    let (clerk, _) = sign_in(&app, "clerk").await;
    let form = fetch(&clerk, &app, "/staff/cases/new?item=430603-GG-0348").await;
    assert!(
        form.contains("路口镇便民服务中心"),
        "town centres are offered as accepting sites"
    );
    let csrf = hidden(&form, "csrf");
    let mut fields = vec![
        ("csrf", csrf),
        ("item", "430603-GG-0348".to_string()),
        ("site", "town-430603102".to_string()),
        ("kind", "enterprise".to_string()),
        ("name", "云溪区路口镇某某茶饮店".to_string()),
        ("identifier", "914403001922038216".to_string()),
        ("phone", "13912345678".to_string()),
        ("agent", "帮代办员小周".to_string()),
        ("comment", String::new()),
    ];
    // 企业登记档案资料查询 is a 全域通办 item: any town centre accepts it.
    for m in ["申请表", "营业执照或统一社会信用代码证明", "相关证明材料"] {
        fields.push(("material", m.to_string()));
    }
    fields.push(("decision", "accept".to_string()));
    let r = clerk
        .post(app.url("/staff/cases/new"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, list) = app.get_auth("/api/v1/cases", &app.token("clerk").await).await;
    let case = &list["data"][0];
    assert_eq!(
        (case["channel"].as_str(), case["site"].as_str()),
        (Some("town"), Some("town-430603102"))
    );
    assert_eq!(
        (case["agent"].as_str(), case["department_code"].as_str()),
        (Some("帮代办员小周"), Some("xzspj"))
    );
    assert_eq!(case["applicant_kind"], "enterprise");
});

/// The catalog as `tongban demo` and `tongban seed` load it: the busiest items carry their own guide content from
/// public guidance (data/guides/common-items.csv) — conditions, steps, specific materials, fees — the guide page shows
/// it, the quality report no longer finds placeholders in them, and the demo's cases come mostly from them.
async fn shipped_guide_content(db: crate::helpers::Db) {
    let Some(app) = TestApp::spawn_shipped(db).await else {
        return;
    };
    let page = app.get("/items/430603-GG-0024").await.text().await.unwrap();
    assert!(page.contains("居民身份证办理"), "{page}");
    assert!(page.contains("申请条件与办理流程") && page.contains("<ol class=\"steps\">"));
    assert!(
        page.contains("居民户口簿") && page.contains("20.00元"),
        "materials and fee from guidance"
    );
    let (_, item) = app.get_json("/api/v1/items/430603-XK-0537").await;
    let names: Vec<&str> = item["guide"]["materials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"食品经营许可申请书") && !names.contains(&"相关资质证明材料"),
        "{names:?}"
    );
    assert!(!item["guide"]["steps"].as_array().unwrap().is_empty());

    let admin = app.token("admin").await;
    let (_, quality) = app.get_auth("/api/v1/catalog/quality", &admin).await;
    let flagged = |code: &str| {
        quality["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"] == code)
            .flat_map(|f| {
                f["issues"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| i["rule"].as_str().unwrap().to_string())
            })
            .collect::<Vec<_>>()
    };
    assert!(!flagged("430603-XK-0537").contains(&"shared_material".to_string()));
    // The namesakes the catalog listed with different limits agree once their guidance is laid over them.
    assert!(flagged("430603-XK-0345").iter().all(|r| r != "same_name_limits_differ"));

    // The demo's cases are drawn by how busy the items are: the 88 busiest of 1,162 take most of them.
    let hash = tongban_store::hash_password(PASSWORD).unwrap();
    tongban::seed::department_staff(&app.state.store, crate::helpers::REGION, &hash)
        .await
        .unwrap();
    let filed = tongban::seed::demo_activity(&app.state, crate::helpers::REGION, 2, 0.05)
        .await
        .unwrap();
    let busy = tongban::seed::item_volumes();
    let cases = app
        .state
        .store
        .cases(crate::helpers::REGION, &Default::default(), 1, 10_000)
        .await
        .unwrap();
    assert_eq!(cases.data.len(), filed);
    let from_busy = cases.data.iter().filter(|c| busy.contains_key(&c.item_code)).count();
    assert!(
        from_busy * 2 > filed,
        "{from_busy} of {filed} cases from the busiest items"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shipped_guide_content_sqlite() {
    shipped_guide_content(crate::helpers::Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shipped_guide_content_postgres() {
    shipped_guide_content(crate::helpers::Db::Postgres).await;
}
