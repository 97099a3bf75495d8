//! End to end in a real headless Chromium through chromedriver. Skipped when chromedriver is not installed,
//! unless TONGBAN_TEST_REQUIRE_ALL=1 (CI), where that fails.

use crate::helpers::{require_all, Db, TestApp, PASSWORD};
use fantoccini::{Client, ClientBuilder, Locator};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub(crate) struct Browser {
    pub(crate) client: Client,
    driver: Child,
    profile: std::path::PathBuf,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn find_chromedriver() -> Option<String> {
    let candidates = [std::env::var("CHROMEDRIVER").ok(), Some("/usr/bin/chromedriver".into())];
    candidates
        .into_iter()
        .flatten()
        .find(|p| std::path::Path::new(p).exists())
}

/// Starts chromedriver on a free port and a headless Chromium with a phone-width window and a fresh profile.
pub(crate) async fn browser() -> Option<Browser> {
    let Some(driver_path) = find_chromedriver() else {
        assert!(
            !require_all(),
            "chromedriver is not installed but TONGBAN_TEST_REQUIRE_ALL=1"
        );
        eprintln!("skipped: browser test (install chromium and chromium-driver)");
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut driver = Command::new(driver_path)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let profile = std::env::temp_dir().join(format!("tongban-chromium-{}-{port}", std::process::id()));
    let caps = serde_json::json!({
        "goog:chromeOptions": {
            "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                     "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--window-size=390,844", format!("--user-data-dir={}", profile.display())]
        }
    });
    let caps = caps.as_object().cloned().expect("caps");
    for _ in 0..50 {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        if let Ok(client) = ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            return Some(Browser {
                client,
                driver,
                profile,
            });
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _ = driver.kill();
    let _ = driver.wait();
    panic!("could not connect to chromedriver");
}

pub(crate) async fn sign_in(c: &Client, app: &TestApp, user: &str) {
    c.goto(&app.url("/login")).await.expect("login page");
    c.find(Locator::Id("username"))
        .await
        .expect("user")
        .send_keys(user)
        .await
        .expect("type");
    c.find(Locator::Id("password"))
        .await
        .expect("pw")
        .send_keys(PASSWORD)
        .await
        .expect("type");
    c.find(Locator::Css("form.form button"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("click");
    c.wait()
        .for_url(url::Url::parse(&app.url("/staff")).expect("url"))
        .await
        .expect("workbench");
}

pub(crate) async fn sign_out(c: &Client) {
    c.find(Locator::Css("form[action='/logout'] button"))
        .await
        .expect("logout")
        .click()
        .await
        .expect("click");
    c.wait()
        .for_element(Locator::Css("a[href='/login']"))
        .await
        .expect("signed out");
}

pub(crate) async fn text(c: &Client, css: &str) -> String {
    c.wait()
        .for_element(Locator::Css(css))
        .await
        .expect(css)
        .text()
        .await
        .expect("text")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn citizen_searches_and_clerk_signs_in_in_chromium() {
    let Some(b) = browser().await else { return };
    let app = TestApp::spawn(Db::Sqlite).await.expect("app");
    let c = &b.client;

    // A citizen asks in her own words, on a phone-width screen.
    c.goto(&app.url("/")).await.expect("home");
    c.find(Locator::Id("q"))
        .await
        .expect("search box")
        .send_keys("我想开个奶茶店要办什么证")
        .await
        .expect("type");
    c.find(Locator::Css("form.searchbox button"))
        .await
        .expect("button")
        .click()
        .await
        .expect("click");
    let results = text(c, "ol.results").await;
    let top3: Vec<&str> = results.lines().filter(|l| !l.contains(" · ")).take(3).collect();
    assert!(top3.iter().any(|l| l.contains("食品经营许可证核发")), "top 3: {top3:?}");
    c.find(Locator::Css("ol.results li a"))
        .await
        .expect("first")
        .click()
        .await
        .expect("open guide");
    assert!(text(c, "h1").await.contains("许可"));

    // A clerk signs in and lands on the workbench of the comprehensive window.
    sign_in(c, &app, "clerk").await;
    assert!(text(c, "main").await.contains("综合受理窗口1号"));
    b.client.clone().close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_from_the_window_to_the_applicants_progress_page_in_chromium() {
    let Some(b) = browser().await else { return };
    let app = TestApp::spawn(Db::Sqlite).await.expect("app");
    let c = &b.client;

    // The clerk accepts at the comprehensive window: finds the item, ticks the materials, enters the applicant.
    sign_in(c, &app, "clerk").await;
    c.goto(&app.url("/staff/cases/new")).await.expect("acceptance page");
    c.find(Locator::Id("q"))
        .await
        .expect("q")
        .send_keys("食品经营许可证核发")
        .await
        .expect("type");
    c.find(Locator::Css("form.searchbox button"))
        .await
        .expect("find")
        .click()
        .await
        .expect("click");
    c.wait()
        .for_element(Locator::Css("a[href='/staff/cases/new?item=430603-XK-0537']"))
        .await
        .expect("hit")
        .click()
        .await
        .expect("pick");
    c.wait()
        .for_element(Locator::Css("input[name=material]"))
        .await
        .expect("checklist");
    for cb in c
        .find_all(Locator::Css("input[name=material]"))
        .await
        .expect("materials")
    {
        cb.click().await.expect("tick");
    }
    c.find(Locator::Id("name"))
        .await
        .expect("name")
        .send_keys("王五")
        .await
        .expect("type");
    c.find(Locator::Id("identifier"))
        .await
        .expect("id")
        .send_keys("11010519491231002X")
        .await
        .expect("type");
    c.find(Locator::Id("phone"))
        .await
        .expect("phone")
        .send_keys("13712345678")
        .await
        .expect("type");
    c.find(Locator::Css("button[value=accept]"))
        .await
        .expect("accept")
        .click()
        .await
        .expect("click");
    let notice = text(c, "p.notice").await;
    assert!(notice.contains("已受理"), "{notice}");
    let number = text(c, "dl.facts dd.mono").await;
    sign_out(c).await;

    // The reviewer examines it and forwards it with an opinion; the head signs.
    for (user, action, opinion) in [
        ("reviewer", "review", "材料齐全，建议准予许可"),
        ("head", "approve", "同意"),
    ] {
        sign_in(c, &app, user).await;
        c.goto(&app.url(&format!("/staff/cases/{number}")))
            .await
            .expect("case page");
        c.wait()
            .for_element(Locator::Id("comment"))
            .await
            .expect("comment")
            .send_keys(opinion)
            .await
            .expect("type");
        c.find(Locator::Css(&format!("button[value={action}]")))
            .await
            .expect(action)
            .click()
            .await
            .expect("click");
        assert!(text(c, "p.notice").await.starts_with("已"), "{user} acted");
        sign_out(c).await;
    }

    // The applicant, without an account, sees the decision on the progress page.
    c.goto(&app.url("/progress")).await.expect("progress page");
    c.find(Locator::Id("number"))
        .await
        .expect("number")
        .send_keys(&number)
        .await
        .expect("type");
    c.find(Locator::Id("code"))
        .await
        .expect("code")
        .send_keys("5678")
        .await
        .expect("type");
    c.find(Locator::Css("form.form button"))
        .await
        .expect("query")
        .click()
        .await
        .expect("click");
    let result = text(c, "dl.facts").await;
    assert!(result.contains("准予许可"), "{result}");
    b.client.clone().close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_newborn_bundle_at_a_town_centre_to_one_delivery_in_chromium() {
    let Some(b) = browser().await else { return };
    let app = TestApp::spawn(Db::Sqlite).await.expect("app");
    app.department_staff().await;
    let c = &b.client;
    // 新生儿出生户口登记 is a district-level item: the district first delegates it to the town (赋权).
    let admin = app.token("admin").await;
    let (status, _) = app
        .post_json(
            "/api/v1/delegations",
            &serde_json::json!({"item_code": "430603-QR-0054", "target_kind": "town", "target_code": "430603102",
                                "from_date": "2023-01-01", "document": "云政发〔2023〕5号"}),
            Some(&admin),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED);

    // The clerk of the town centre files the bundle: one form, one set of materials, and accepts every part.
    sign_in(c, &app, "clerk").await;
    c.goto(&app.url("/staff/bundles/YJS-009/new"))
        .await
        .expect("bundle form");
    c.wait()
        .for_element(Locator::Css("input[name=material]"))
        .await
        .expect("checklist");
    for cb in c
        .find_all(Locator::Css("input[name=material]"))
        .await
        .expect("materials")
    {
        cb.click().await.expect("tick");
    }
    for (id, value) in [
        ("name", "王芳"),
        ("identifier", "11010519491231002X"),
        ("phone", "13812345678"),
        ("note", "新生儿王小宝，2026年11月20日出生"),
    ] {
        c.find(Locator::Id(id))
            .await
            .expect(id)
            .send_keys(value)
            .await
            .expect("type");
    }
    c.find(Locator::Css("#site option[value='town-430603102']"))
        .await
        .expect("town centre")
        .click()
        .await
        .expect("pick site");
    c.find(Locator::Css("#bundle-form button"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("click");
    assert_eq!(text(c, "#bundle-status").await, "办理中");
    let number = c
        .current_url()
        .await
        .expect("url")
        .path()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    c.find(Locator::Css("button[value=accept]"))
        .await
        .expect("accept all")
        .click()
        .await
        .expect("click");
    assert!(text(c, "p.notice").await.contains("已全部受理"));

    // Four departments handle their parts in parallel (their own workbenches, here through the API).
    let (_, bundle) = app
        .get_auth(&format!("/api/v1/bundle-cases/{number}"), &app.token("clerk").await)
        .await;
    for part in bundle["parts"].as_array().expect("parts") {
        let dept = part["department_code"].as_str().unwrap();
        let reviewer = app.token(&format!("reviewer-{dept}")).await;
        let head = app.token(&format!("head-{dept}")).await;
        let path = format!("/api/v1/cases/{}/actions", part["number"].as_str().unwrap());
        let mut version = part["version"].as_i64().unwrap();
        for (token, action) in [(&reviewer, "review"), (&head, "approve"), (&reviewer, "issue")] {
            let (status, case) = app
                .post_json(
                    &path,
                    &serde_json::json!({"action": action, "version": version, "comment": "同意"}),
                    Some(token),
                )
                .await;
            assert_eq!(status, reqwest::StatusCode::OK, "{action}: {case}");
            version = case["version"].as_i64().unwrap();
        }
    }

    // Back at the town centre: the bundle is done and is delivered once.
    c.goto(&app.url(&format!("/staff/bundle-cases/{number}")))
        .await
        .expect("bundle page");
    assert_eq!(text(c, "#bundle-status").await, "已办结，待送达");
    c.find(Locator::Id("comment"))
        .await
        .expect("how")
        .send_keys("EMS 1188000123")
        .await
        .expect("type");
    c.find(Locator::Css("button[value=deliver]"))
        .await
        .expect("deliver")
        .click()
        .await
        .expect("click");
    assert!(text(c, "p.notice").await.contains("已一次送达"));
    assert_eq!(text(c, "#bundle-status").await, "已送达");
    let states: Vec<(String, String)> = {
        let mut v = Vec::new();
        for td in c.find_all(Locator::Css("td.part-state")).await.expect("parts") {
            let code = td.attr("data-state").await.expect("state code").unwrap_or_default();
            v.push((code, td.text().await.expect("state")));
        }
        v
    };
    assert_eq!(
        states,
        vec![("closed".to_string(), "已办结".to_string()); 4],
        "every part delivered, named in words"
    );
    b.client.clone().close().await.expect("close");
}
