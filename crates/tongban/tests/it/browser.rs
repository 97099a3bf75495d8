//! End to end in a real headless Chromium through chromedriver: a citizen searches the portal, a clerk signs in.
//! Skipped when chromedriver is not installed, unless TONGBAN_TEST_REQUIRE_ALL=1 (CI), where that fails.

use crate::helpers::{require_all, Db, TestApp, PASSWORD};
use fantoccini::{ClientBuilder, Locator};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn find_chromedriver() -> Option<String> {
    let candidates = [std::env::var("CHROMEDRIVER").ok(), Some("/usr/bin/chromedriver".into())];
    candidates
        .into_iter()
        .flatten()
        .find(|p| std::path::Path::new(p).exists())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn citizen_searches_and_clerk_signs_in_in_chromium() {
    let Some(driver_path) = find_chromedriver() else {
        assert!(
            !require_all(),
            "chromedriver is not installed but TONGBAN_TEST_REQUIRE_ALL=1"
        );
        eprintln!("skipped: browser test (install chromium and chromium-driver)");
        return;
    };
    let app = TestApp::spawn(Db::Sqlite).await.expect("app");
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
        l.local_addr().expect("addr").port()
    };
    let _driver = Driver(
        Command::new(driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver"),
    );
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
    let mut client = None;
    for _ in 0..50 {
        match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => {
                client = Some(c);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    let c = client.expect("connect to chromedriver");

    // A citizen asks in her own words, on a phone-width screen.
    c.goto(&app.url("/")).await.expect("home");
    let q = c.find(Locator::Id("q")).await.expect("search box");
    q.send_keys("我想开个奶茶店要办什么证").await.expect("type");
    c.find(Locator::Css("form.searchbox button"))
        .await
        .expect("button")
        .click()
        .await
        .expect("click");
    let first = c
        .wait()
        .for_element(Locator::Css("ol.results li a"))
        .await
        .expect("results");
    let results = c
        .find(Locator::Css("ol.results"))
        .await
        .expect("list")
        .text()
        .await
        .expect("text");
    let top3: Vec<&str> = results
        .lines()
        .filter(|l| l.contains("许可") || !l.contains("·"))
        .take(6)
        .collect();
    assert!(results.contains("食品经营许可证核发"), "results: {results}");
    assert!(!top3.is_empty());
    first.click().await.expect("open guide");
    let h1 = c
        .wait()
        .for_element(Locator::Css("h1"))
        .await
        .expect("guide")
        .text()
        .await
        .expect("text");
    assert!(h1.contains("许可"), "guide title: {h1}");

    // A clerk signs in and lands on the workbench of the comprehensive window.
    c.goto(&app.url("/login")).await.expect("login page");
    c.find(Locator::Id("username"))
        .await
        .expect("user")
        .send_keys("clerk")
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
    let body = c
        .find(Locator::Css("main"))
        .await
        .expect("main")
        .text()
        .await
        .expect("text");
    assert!(body.contains("综合受理窗口1号"), "workbench: {body}");
    c.close().await.expect("close");
    let _ = std::fs::remove_dir_all(profile);
}
