//! Operating tongban, on both databases: an audit trail that tells when it was rewritten, backups taken under load
//! and restored with licences still valid, two servers on one database (each notification delivered once through a
//! real HTTP gateway, sessions and catalog edits seen by both), and logs that hold no secrets.

use crate::helpers::{
    Db, TestApp, APPLICANT_ID as ID, APPLICANT_PHONE as PHONE, LICENCE_ITEM as ITEM, LICENCE_MATERIALS as MATERIALS,
    REGION,
};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

fn kinds(report: &tongban_app::audit::AuditReport) -> Vec<(String, &'static str)> {
    let mut k: Vec<(String, &'static str)> = report
        .problems
        .iter()
        .map(|p| (p.case_number.clone(), p.kind))
        .collect();
    k.sort();
    k.dedup();
    k
}

async fn exec(app: &TestApp, sql: &str, number: &str) {
    sqlx::query(sql)
        .bind(number)
        .execute(app.state.store.pool())
        .await
        .unwrap();
}

crate::both_backends!(the_audit_trail_tells_when_it_was_rewritten, |app: TestApp| async move {
    let clerk = app.token("clerk").await;
    let mut numbers = Vec::new();
    for _ in 0..5 {
        let case = app.file_at_window(&clerk).await;
        let case = app.step(&clerk, case, "accept").await;
        numbers.push(case["number"].as_str().unwrap().to_string());
    }
    let c = tongban_app::audit::checkpoint(&app.state, None)
        .await
        .unwrap()
        .expect("a checkpoint");
    assert_eq!(c.events, 10);
    assert!(
        tongban_app::audit::checkpoint(&app.state, None)
            .await
            .unwrap()
            .is_none(),
        "nothing new"
    );
    let clean = tongban_app::audit::verify(&app.state).await.unwrap();
    assert_eq!(
        (clean.cases, clean.events, clean.checkpoints, clean.problems.len()),
        (5, 10, 1, 0)
    );

    // 1. A state changed without an event.
    exec(&app, "UPDATE cases SET state = 'issued' WHERE number = $1", &numbers[0]).await;
    // 2. The last event deleted (and the case row's head left as it was).
    exec(
        &app,
        "DELETE FROM case_events WHERE seq = 2 AND case_id = (SELECT id FROM cases WHERE number = $1)",
        &numbers[1],
    )
    .await;
    // 3. A whole history deleted.
    exec(
        &app,
        "DELETE FROM case_events WHERE case_id = (SELECT id FROM cases WHERE number = $1)",
        &numbers[2],
    )
    .await;
    // 4. A chain rewritten with freshly computed hashes, the case row's head updated to match: every chain and
    //    head check passes, only the signed checkpoint can tell.
    let events = app.state.store.all_case_events(None).await.unwrap();
    let mut prev = tongban_core::audit::GENESIS.to_string();
    for e in events.iter().filter(|e| e.content.case_number == numbers[3]) {
        let mut content = e.content.clone();
        if content.seq == 2 {
            content.comment = "已按要求补正（改写）".into();
        }
        let hash = tongban_core::audit::event_hash(&prev, &content);
        sqlx::query(
            "UPDATE case_events SET comment = $1, prev_hash = $2, hash = $3 \
                 WHERE seq = $4 AND case_id = (SELECT id FROM cases WHERE number = $5)",
        )
        .bind(&content.comment)
        .bind(&prev)
        .bind(&hash)
        .bind(content.seq)
        .bind(&numbers[3])
        .execute(app.state.store.pool())
        .await
        .unwrap();
        prev = hash;
    }
    sqlx::query("UPDATE cases SET event_head = $1 WHERE number = $2")
        .bind(&prev)
        .bind(&numbers[3])
        .execute(app.state.store.pool())
        .await
        .unwrap();
    let report = tongban_app::audit::verify(&app.state).await.unwrap();
    let found = kinds(&report);
    for expected in [
        (numbers[0].clone(), "state_without_event"),
        (numbers[1].clone(), "head_mismatch"),
        (numbers[2].clone(), "history_missing"),
        (String::new(), "checkpoint_mismatch"),
    ] {
        assert!(found.contains(&expected), "{expected:?} in {found:?}");
    }
    assert!(
        !found.iter().any(|(n, _)| n == &numbers[3] || n == &numbers[4]),
        "the rewritten chain is consistent by itself; the untouched case is clean: {found:?}"
    );
    // 5. The checkpoints deleted too: the log in the data directory still names them.
    sqlx::query("DELETE FROM audit_checkpoints")
        .execute(app.state.store.pool())
        .await
        .unwrap();
    let report = tongban_app::audit::verify(&app.state).await.unwrap();
    assert!(
        kinds(&report).contains(&(String::new(), "checkpoint_removed")),
        "{:?}",
        report.problems
    );
    // 6. A checkpoint forged without the key is refused.
    sqlx::query(
        "INSERT INTO audit_checkpoints (after_event_id, at, last_event_id, events, digest, signature) \
             VALUES (0, '2026-01-01T00:00:00Z', 1, 1, 'ab', 'cd')",
    )
    .execute(app.state.store.pool())
    .await
    .unwrap();
    let report = tongban_app::audit::verify(&app.state).await.unwrap();
    assert!(
        kinds(&report).contains(&(String::new(), "checkpoint_forged")),
        "{:?}",
        report.problems
    );
});

/// A database of the same backend, empty, for a restore; its URL.
async fn empty_database(db: Db, dir: &std::path::Path) -> String {
    match db {
        Db::Sqlite => tongban::config::sqlite_url(dir),
        Db::Postgres => {
            let admin = std::env::var("TONGBAN_TEST_POSTGRES_URL").unwrap();
            let name = format!("tongban_restore_{}_{}", std::process::id(), rand_suffix());
            let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&format!("{admin}/postgres"))
                .await
                .unwrap();
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .unwrap();
            format!("{admin}/{name}")
        }
    }
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64 % 1_000_000_000)
        .unwrap_or(0)
}

async fn drop_database(db: Db, url: &str) {
    if let Db::Postgres = db {
        let admin = std::env::var("TONGBAN_TEST_POSTGRES_URL").unwrap();
        let name = url.rsplit('/').next().unwrap();
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&format!("{admin}/postgres"))
            .await
            .unwrap();
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut conn)
            .await;
    }
}

async fn backup_under_load_restores_with_licences_valid(app: TestApp, db: Db) {
    let licensed = app.issued_case().await;
    let licence_id = licensed["licence_id"].as_str().expect("a licence").to_string();
    tongban_app::audit::checkpoint(&app.state, None).await.unwrap();
    // Clerks keep filing while the backup is taken.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let clerk = app.token("clerk").await;
    let (client, base) = (app.client.clone(), app.base.clone());
    let load = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut filed = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let r = client
                    .post(format!("{base}/api/v1/cases"))
                    .bearer_auth(&clerk)
                    .json(&json!({"item_code": ITEM, "channel": "window", "materials": MATERIALS,
                                  "applicant": {"kind": "person", "name": "张三", "id_number": ID, "phone": PHONE}}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), StatusCode::CREATED);
                filed += 1;
            }
            filed
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let backup_dir = std::env::temp_dir().join(format!("tongban_backup_{}_{}", std::process::id(), rand_suffix()));
    let manifest = tongban::backup::backup(&app.state.store, &app.url, &app.files, &backup_dir)
        .await
        .unwrap();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let filed = load.await.unwrap();
    assert!(filed > 0, "the backup ran under load");
    assert!(
        manifest.files.iter().any(|(f, _)| f == "data/licence-signing.key"),
        "{:?}",
        manifest.files
    );
    // A second backup into the same directory is refused.
    assert!(
        tongban::backup::backup(&app.state.store, &app.url, &app.files, &backup_dir)
            .await
            .is_err()
    );

    // Restored into a new data directory and database: the licence verifies, the audit trail holds.
    let restored_dir = std::env::temp_dir().join(format!("tongban_restored_{}_{}", std::process::id(), rand_suffix()));
    let url = empty_database(db, &restored_dir).await;
    tongban::backup::restore(&backup_dir, &url, &restored_dir)
        .await
        .unwrap();
    let settings = tongban_app::Settings {
        data_dir: restored_dir.clone(),
        ..Default::default()
    };
    let restored = tongban::build_app(&url, settings.clone()).await.unwrap();
    let v = tongban_app::reform::verify_licence(&restored, &licence_id, None, tongban_app::time::today())
        .await
        .unwrap();
    assert_eq!(v.status, "valid", "{v:?}");
    let report = tongban_app::audit::verify(&restored).await.unwrap();
    assert_eq!(report.problems, vec![], "the copy is one consistent point in time");
    assert!(report.checkpoints >= 1);
    let cases: i64 = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM cases")
        .fetch_one(restored.store.pool())
        .await
        .unwrap();
    assert!(cases >= 2, "{cases}");
    drop(restored);
    // A restore over existing data is refused.
    assert!(tongban::backup::restore(&backup_dir, &url, &restored_dir)
        .await
        .is_err());
    // Started without its key, the restored deployment refuses instead of minting a new one.
    std::fs::remove_file(restored_dir.join("licence-signing.key")).unwrap();
    let refused = tongban::build_app(&url, settings.clone()).await.err().expect("refused");
    assert!(refused.to_string().contains("签名密钥"), "{refused}");
    assert!(
        !restored_dir.join("licence-signing.key").exists(),
        "no new key was made"
    );
    // Nor with another deployment's key.
    std::fs::copy(
        app.files.join("licence-signing.key"),
        restored_dir.join("licence-signing.key"),
    )
    .unwrap();
    let other =
        tongban_app::reform::signing_key(&std::env::temp_dir().join(format!("tongban_otherkey_{}", rand_suffix())))
            .unwrap();
    std::fs::write(restored_dir.join("licence-signing.key"), other.to_bytes()).unwrap();
    let refused = tongban::build_app(&url, settings).await.err().expect("refused");
    assert!(refused.to_string().contains("不是签发"), "{refused}");
    drop_database(db, &url).await;
    let _ = std::fs::remove_dir_all(&backup_dir);
    let _ = std::fs::remove_dir_all(&restored_dir);
}

mod a_backup_taken_under_load_restores_with_licences_still_valid {
    use super::*;
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        if let Some(app) = TestApp::spawn(Db::Sqlite).await {
            backup_under_load_restores_with_licences_valid(app, Db::Sqlite).await;
        }
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        if let Some(app) = TestApp::spawn(Db::Postgres).await {
            backup_under_load_restores_with_licences_valid(app, Db::Postgres).await;
        }
    }
}

/// The province's SMS platform as a real HTTP server: records each message by its id, and fails the first
/// `failures` requests.
#[derive(Clone, Default)]
struct Gateway {
    received: Arc<Mutex<HashMap<String, Vec<Value>>>>,
    failures: Arc<std::sync::atomic::AtomicUsize>,
}

async fn start_gateway(failures: usize) -> (String, Gateway) {
    let gw = Gateway::default();
    gw.failures.store(failures, std::sync::atomic::Ordering::SeqCst);
    let state = gw.clone();
    let router = axum::Router::new().route(
        "/sms",
        axum::routing::post(
            |axum::extract::State(g): axum::extract::State<Gateway>,
             headers: axum::http::HeaderMap,
             axum::Json(body): axum::Json<Value>| async move {
                if g.failures
                    .fetch_update(
                        std::sync::atomic::Ordering::SeqCst,
                        std::sync::atomic::Ordering::SeqCst,
                        |n| n.checked_sub(1),
                    )
                    .is_ok()
                {
                    return axum::http::StatusCode::SERVICE_UNAVAILABLE;
                }
                let key = headers["idempotency-key"].to_str().unwrap().to_string();
                assert_eq!(body["id"], key.as_str());
                g.received.lock().unwrap().entry(key).or_default().push(body);
                axum::http::StatusCode::OK
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router.with_state(state)).await.unwrap();
    });
    (format!("http://{addr}/sms"), gw)
}

crate::both_backends!(
    two_servers_on_one_database_deliver_each_notification_once,
    |app: TestApp| async move {
        let second = tongban::build_app(
            &app.url,
            tongban_app::Settings {
                data_dir: app.files.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        // Thirty messages to applicants queued by thirty filings.
        let clerk = app.token("clerk").await;
        let mut numbers = Vec::new();
        for _ in 0..30 {
            numbers.push(app.file_at_window(&clerk).await["number"].as_str().unwrap().to_string());
        }
        let queued: i64 =
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM outbox WHERE channel = 'sms' AND delivered_at IS NULL")
                .fetch_one(app.state.store.pool())
                .await
                .unwrap();
        assert!(queued >= 30, "{queued}");
        // The gateway is down for its first three requests.
        let (url, gateway) = start_gateway(3).await;
        let notifier = tongban_app::cases::Notifier::webhook(&url).unwrap();
        let mut now = chrono::Utc::now();
        for _ in 0..20 {
            let (a, b) = tokio::join!(
                tongban_app::cases::deliver_notifications(&app.state.store, &notifier, now),
                tongban_app::cases::deliver_notifications(&second.store, &notifier, now),
            );
            let ((_, _), (_, _)) = (a.unwrap(), b.unwrap());
            let left: i64 = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL")
                .fetch_one(app.state.store.pool())
                .await
                .unwrap();
            if left == 0 {
                break;
            }
            // A failed message waits for its retry.
            now += chrono::Duration::minutes(3);
        }
        let received = gateway.received.lock().unwrap().clone();
        let sms: i64 = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM outbox WHERE channel = 'sms'")
            .fetch_one(app.state.store.pool())
            .await
            .unwrap();
        assert_eq!(received.len() as i64, sms, "every SMS reached the gateway");
        assert!(received.values().all(|v| v.len() == 1), "none twice");
        let one = received.values().next().unwrap()[0].clone();
        assert_eq!(one["phone"], PHONE);
        assert!(one["text"].as_str().unwrap().starts_with("【云溪区政务服务】"), "{one}");
        let texts: Vec<String> = received
            .values()
            .map(|v| v[0]["text"].as_str().unwrap().to_string())
            .collect();
        assert!(
            numbers.iter().all(|n| texts.iter().any(|t| t.contains(n.as_str()))),
            "each filing was told: {texts:?}"
        );
        let failed: i64 = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM outbox WHERE last_error <> ''")
            .fetch_one(app.state.store.pool())
            .await
            .unwrap();
        assert_eq!(failed, 3, "the three refused messages were retried");

        // A session signed in on one server is good on the other; signed out on one, it ends on both (within the
        // session cache's seconds).
        let token = app.token("supervisor").await;
        let on_second = tongban_app::auth::session(&second, &token, tongban_store::SessionKind::Api)
            .await
            .unwrap();
        assert_eq!(on_second.map(|s| s.staff.username).as_deref(), Some("supervisor"));

        // A catalog edit on the first server reaches the second's search at its next follow pass.
        let mut seen = None;
        assert!(!tongban_app::catalog::follow_catalog(&second, REGION, &mut seen)
            .await
            .unwrap());
        let admin = app.token("admin").await;
        let (status, body) = app
            .put_json(
                &format!("/api/v1/items/{ITEM}"),
                &json!({"name": "食品经营许可证核发（小餐饮星火试点）"}),
                &admin,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let named = |hits: &[tongban_search::Hit]| hits.iter().any(|h| h.name.contains("星火试点"));
        let (_, before) = second.search.search(REGION, "星火试点", 10, 0).unwrap();
        assert!(!named(&before), "not yet seen by the second server");
        assert!(tongban_app::catalog::follow_catalog(&second, REGION, &mut seen)
            .await
            .unwrap());
        let (_, after) = second.search.search(REGION, "星火试点", 10, 0).unwrap();
        assert!(named(&after), "seen after the follow pass");
    }
);

/// The server binary, as an operator runs it, with every log level on: the log never holds a sign-in code, a
/// rating link's token or a whole phone number.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_the_log() {
    let dir = std::env::temp_dir().join(format!("tongban_logs_{}_{}", std::process::id(), rand_suffix()));
    std::fs::create_dir_all(&dir).unwrap();
    let bin = env!("CARGO_BIN_EXE_tongban");
    let seeded = std::process::Command::new(bin)
        .args(["--data-dir", dir.to_str().unwrap(), "seed"])
        .output()
        .unwrap();
    assert!(seeded.status.success(), "{}", String::from_utf8_lossy(&seeded.stderr));
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let log_path = dir.join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut server = std::process::Command::new(bin)
        .args([
            "--data-dir",
            dir.to_str().unwrap(),
            "--listen",
            &format!("127.0.0.1:{port}"),
            "serve",
        ])
        .env("RUST_LOG", "debug")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut up = false;
    for _ in 0..100 {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(up, "the server started");
    let r = client
        .post(format!("{base}/api/v1/applicant/code"))
        .json(&json!({"identifier": ID, "phone": PHONE}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    // A rating link and an identity service's callback carry their secrets in the query string.
    client
        .get(format!("{base}/rate/430603-20260101-000001?t=feedfacecafebeef0123"))
        .send()
        .await
        .unwrap();
    client
        .get(format!("{base}/my/oidc/callback?code=c0dec0dec0de&state=5747e5747e"))
        .send()
        .await
        .unwrap();
    // The outbox worker delivers within seconds.
    let pool = sqlx::AnyPool::connect(&tongban::config::sqlite_url(&dir))
        .await
        .unwrap();
    let mut body = String::new();
    for _ in 0..150 {
        if let Some(b) =
            sqlx::query_scalar::<_, String>("SELECT body FROM outbox WHERE recipient = $1 AND delivered_at IS NOT NULL")
                .bind(PHONE)
                .fetch_optional(&pool)
                .await
                .unwrap()
        {
            body = b;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let _ = server.kill();
    let _ = server.wait();
    assert!(!body.is_empty(), "the code was delivered");
    let code: String = body.chars().filter(|c| c.is_ascii_digit()).take(6).collect();
    let logged = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        logged.contains("notification delivered"),
        "the delivery is logged:\n{logged}"
    );
    assert!(logged.contains("138****5678"), "the recipient, masked");
    for secret in [
        code.as_str(),
        PHONE,
        "feedfacecafebeef0123",
        "c0dec0dec0de",
        "5747e5747e",
    ] {
        assert!(!logged.contains(secret), "{secret} must not be in the log");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
