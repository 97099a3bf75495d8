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
                     "--window-size=390,844", format!("--user-data-dir={}", profile.display())],
            // A desktop window cannot be narrower than 500 px headless; the phone's viewport is emulated.
            "mobileEmulation": {"deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 3.0}}
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

/// The page fits the phone: nothing wider than the window, so nothing scrolls sideways.
async fn fits_the_phone(c: &Client, what: &str) {
    let widths = c
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            vec![],
        )
        .await
        .expect("widths");
    let (page, window) = (widths[0].as_i64().unwrap_or(0), widths[1].as_i64().unwrap_or(0));
    assert!(
        window <= 400,
        "{what}: the window is phone-sized, not {window} px (a page wider than the phone widens it)"
    );
    assert!(
        page <= window,
        "{what}: the page is {page} px wide in a {window} px window"
    );
}

/// Waits until an element matching `css` says `needle` (the page after a submit may still be loading).
async fn wait_for_text(c: &Client, css: &str, needle: &str) {
    for _ in 0..100 {
        if let Ok(e) = c.find(Locator::Css(css)).await {
            if let Ok(t) = e.text().await {
                if t.contains(needle) {
                    return;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let page = c.source().await.unwrap_or_default();
    panic!("no {css} saying “{needle}” on the page: {page}");
}

async fn fill(c: &Client, css: &str, value: &str) {
    let e = c.wait().for_element(Locator::Css(css)).await.expect(css);
    e.clear().await.expect("clear");
    e.send_keys(value).await.expect("type");
}

async fn click(c: &Client, css: &str) {
    c.wait()
        .for_element(Locator::Css(css))
        .await
        .expect(css)
        .click()
        .await
        .expect("click");
}

/// 一网通办 on a 390 px phone: a citizen finds the item by an everyday question, signs in with the SMS code, fills
/// the form the item defines, uploads a material, submits; the window sends a correction notice naming the field;
/// she fixes it online; the case runs to posting with a waybill and she rates it — in large text part of the way;
/// her next application calls the e-licence the first one issued instead of an upload.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizen_applies_online_on_a_phone_in_chromium() {
    let Some(b) = browser().await else { return };
    let app = TestApp::spawn(Db::Sqlite).await.expect("app");
    let c = &b.client;
    const ID: &str = "11010519491231002X";
    const PHONE: &str = "13812345678";

    c.goto(&app.url("/")).await.expect("home");
    fits_the_phone(c, "home").await;
    // 适老化: large text, kept from page to page, still without sideways scrolling.
    click(c, "button[data-text-size]").await;
    fill(c, "#q", "开饭店要办什么证").await;
    click(c, "form.searchbox button").await;
    let results = text(c, "ol.results").await;
    assert!(results.contains("食品经营许可证核发"), "{results}");
    let large = c
        .execute("return document.documentElement.classList.contains('large');", vec![])
        .await
        .expect("class");
    assert_eq!(large, serde_json::json!(true), "large text follows to the next page");
    fits_the_phone(c, "search results in large text").await;
    c.goto(&app.url("/items/430603-XK-0537")).await.expect("guide");
    fits_the_phone(c, "guide").await;
    click(c, "a.button.primary").await;

    // Signing in brings her back to the form.
    fill(c, "#identifier", ID).await;
    fill(c, "#name", "张三").await;
    fill(c, "#phone", PHONE).await;
    click(c, "form[action='/my/code'] button").await;
    c.wait().for_element(Locator::Id("code")).await.expect("code field");
    let sms: String = sqlx::query_scalar::<_, String>(
        "SELECT body FROM outbox WHERE recipient = $1 AND body LIKE '%验证码%' ORDER BY id DESC",
    )
    .bind(PHONE)
    .fetch_one(app.state.store.pool())
    .await
    .expect("sms");
    let code: String = sms.chars().filter(|ch| ch.is_ascii_digit()).take(6).collect();
    fill(c, "#code", &code).await;
    click(c, "form[action='/my/login']:has(#code) button").await;
    c.wait().for_element(Locator::Id("f-purpose")).await.expect("the form");
    fits_the_phone(c, "apply form in large text").await;
    click(c, "button[data-text-size]").await;
    let name = c
        .find(Locator::Id("f-contact_name"))
        .await
        .expect("name")
        .prop("value")
        .await
        .expect("value");
    assert_eq!(name.as_deref(), Some("张三"), "what the platform knows is filled in");
    fill(c, "#f-address", "云溪区").await;
    fill(c, "#f-purpose", "开一家小吃店").await;
    click(c, "input[name='delivery_method'][value='post']").await;
    fill(c, "#delivery_address", "云溪区云溪大道1号 张三收").await;
    click(c, "form.apply .buttons button[type='submit']:not([name='save'])").await;
    wait_for_text(c, "p.notice", "申请已提交").await;
    let filed = text(c, "p.notice").await;
    let number: String = filed
        .split("办件编号")
        .nth(1)
        .and_then(|s| s.split('。').next())
        .expect("number")
        .to_string();
    fits_the_phone(c, "my cases").await;

    // A material from the phone.
    let pdf = std::env::temp_dir().join(format!("tongban-lease-{}.pdf", std::process::id()));
    std::fs::write(&pdf, b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF").expect("pdf");
    c.goto(&app.url(&format!("/my/cases/{number}")))
        .await
        .expect("case page");
    fits_the_phone(c, "my case").await;
    c.find(Locator::Css("input[aria-label='上传场所使用权证明']"))
        .await
        .expect("file input")
        .send_keys(&pdf.display().to_string())
        .await
        .expect("choose file");
    click(c, "form:has(input[aria-label='上传场所使用权证明']) button").await;
    wait_for_text(c, "p.notice", "已上传").await;
    let _ = std::fs::remove_file(&pdf);

    // The window's pre-review names the address; she fixes it online on the same case.
    let clerk = app.token("clerk").await;
    let act = |token: String, body: serde_json::Value| {
        let app = &app;
        let number = number.clone();
        async move {
            let (status, out) = app
                .post_json(&format!("/api/v1/cases/{number}/actions"), &body, Some(&token))
                .await;
            assert_eq!(status, reqwest::StatusCode::OK, "{body}: {out}");
        }
    };
    act(
        clerk.clone(),
        serde_json::json!({"action": "request_correction", "version": 2, "comment": "地址不详",
            "fix_fields": ["address"]}),
    )
    .await;
    c.refresh().await.expect("reload");
    wait_for_text(c, "ol.timeline", "联系地址").await;
    fill(c, "#f-address", "云溪区云溪大道1号3栋201室").await;
    click(c, "form[action$='/resubmit'] button[type='submit']").await;
    wait_for_text(c, "p.notice", "已重新提交").await;

    let materials = [
        "申请表",
        "营业执照或统一社会信用代码证明",
        "场所使用权证明",
        "相关资质证明材料",
    ];
    act(
        clerk.clone(),
        serde_json::json!({"action": "accept", "version": 4, "materials": materials}),
    )
    .await;
    let reviewer = app.token("reviewer").await;
    let head = app.token("head").await;
    act(
        reviewer.clone(),
        serde_json::json!({"action": "review", "version": 5, "comment": "符合"}),
    )
    .await;
    act(
        head,
        serde_json::json!({"action": "approve", "version": 6, "comment": "同意"}),
    )
    .await;
    act(reviewer, serde_json::json!({"action": "issue", "version": 7})).await;
    act(
        clerk,
        serde_json::json!({"action": "deliver", "version": 8, "carrier": "中国邮政EMS", "waybill": "EA123456789CN"}),
    )
    .await;
    c.refresh().await.expect("reload");
    assert!(
        text(c, "dl.facts").await.contains("EA123456789CN"),
        "she sees the waybill"
    );

    // And rates it from her list.
    c.goto(&app.url("/my")).await.expect("my");
    click(c, &format!("a[href='/my/rate/{number}']")).await;
    fits_the_phone(c, "rating").await;
    click(c, "form.narrow button[type='submit']").await;
    wait_for_text(c, "main", "感谢").await;

    // Her next application calls the e-licence the first one issued instead of uploading it.
    let admin = app.token("admin").await;
    let (status, body) = app
        .put_json(
            "/api/v1/items/430603-QT-0001",
            &serde_json::json!({"materials": [{"name": "申请表"}, {"name": "食品经营许可证"}]}),
            &admin,
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{body}");
    c.goto(&app.url("/items/430603-QT-0001/apply")).await.expect("apply");
    fill(c, "#f-address", "云溪区云溪大道1号").await;
    fill(c, "#f-purpose", "变更经营项目").await;
    click(c, "form.apply .buttons button[type='submit']:not([name='save'])").await;
    wait_for_text(c, "p.notice", "申请已提交").await;
    let filed = text(c, "p.notice").await;
    let second: String = filed
        .split("办件编号")
        .nth(1)
        .and_then(|s| s.split('。').next())
        .expect("number")
        .to_string();
    c.goto(&app.url(&format!("/my/cases/{second}")))
        .await
        .expect("case page");
    fits_the_phone(c, "my second case").await;
    click(c, "form[action$='/reuse'] button").await;
    wait_for_text(c, "table.grid", "已调用电子证照").await;
    b.client.clone().close().await.expect("close");
}

/// 待我办理 in a real browser: a case filed at the window goes clerk → reviewer → head → reviewer → clerk, each
/// person starting from their home page and following only the to-do link to the case; the page after each step
/// names who is next, and that person finds it on their own home page; at a phone's width the to-do list fits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_through_every_role_from_the_home_pages_in_chromium() {
    let Some(b) = browser().await else { return };
    let app = TestApp::spawn(Db::Sqlite).await.expect("app");
    let c = &b.client;
    let clerk = app.token("clerk").await;
    let case = app.file_at_window(&clerk).await;
    let number = case["number"].as_str().expect("number").to_string();
    let link = format!("table.todo a.step[href='/staff/cases/{number}']");
    let steps = [
        ("clerk", "受理", "accept", "区行政审批局审查人员"),
        ("reviewer", "审查并提出意见", "review", "区行政审批局负责人"),
        ("head", "准予许可", "approve", "区行政审批局审查人员"),
        ("reviewer", "出证", "issue", "综合窗口"),
        ("clerk", "送达", "deliver", "办理结束"),
    ];
    for (user, step, action, next) in steps {
        sign_in(c, &app, user).await;
        // The home page lists it with the step to take; nothing else is followed.
        assert_eq!(text(c, &link).await, step, "{user}'s home page");
        fits_the_phone(c, &format!("{user}'s home page")).await;
        click(c, &link).await;
        fits_the_phone(c, &format!("the case page for {user}")).await;
        if let Ok(comment) = c.wait().for_element(Locator::Id("comment")).await {
            comment.send_keys("同意").await.expect("type");
        }
        click(c, &format!("button[value={action}]")).await;
        let notice = text(c, "p.notice").await;
        assert!(notice.contains(next), "after {action}: {notice}");
        sign_out(c).await;
    }
    // Over: on nobody's home page any more.
    sign_in(c, &app, "clerk").await;
    assert!(
        c.find(Locator::Css(&link)).await.is_err(),
        "a closed case waits for nobody"
    );
    // The lists fit the phone too (a wide table scrolls inside its frame, the page does not).
    for path in [
        "/staff/todo",
        "/staff/cases?state=all",
        "/staff/cases/new?item=430603-XK-0537",
    ] {
        c.goto(&app.url(path)).await.expect(path);
        fits_the_phone(c, path).await;
    }
    // And the administrator's and supervisor's tools.
    sign_out(c).await;
    sign_in(c, &app, "admin").await;
    for path in [
        "/staff",
        "/staff/users",
        "/staff/workflows/default",
        "/staff/supervision",
        "/staff/quality",
        "/staff/catalog/430603-XK-0537/edit",
    ] {
        c.goto(&app.url(path)).await.expect(path);
        fits_the_phone(c, path).await;
    }
    b.client.clone().close().await.expect("close");
}
