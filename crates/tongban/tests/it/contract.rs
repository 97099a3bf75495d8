//! The API document tells the truth: schemathesis (PyPI, independently written) reads /api/openapi.json and sends
//! generated requests — valid and invalid — to every operation, signed in as the administrator, and checks that no
//! answer is a server error, every status is documented for its operation, and every JSON body matches its schema.
//! `.ci/run` installs it (into target/georeport-venv) and names it in TONGBAN_TEST_SCHEMATHESIS; without it the
//! test skips, unless TONGBAN_TEST_REQUIRE_ALL=1.

use crate::helpers::{require_all, Db, TestApp};

/// Operations left out, and why: signing the caller out, or changing the administrator's own account, would end
/// the session the rest of the run uses.
const LEFT_OUT: &str = "^/api/v1/(auth/logout|me/password|staff/.*|applicant/logout)$";

async fn contract(db: Db) {
    let Ok(schemathesis) = std::env::var("TONGBAN_TEST_SCHEMATHESIS") else {
        assert!(
            !require_all(),
            "TONGBAN_TEST_SCHEMATHESIS is not set but TONGBAN_TEST_REQUIRE_ALL=1"
        );
        eprintln!("skipped: schemathesis (set TONGBAN_TEST_SCHEMATHESIS to its executable)");
        return;
    };
    let Some(app) = TestApp::spawn(db).await else {
        return;
    };
    let admin = app.token("admin").await;
    let report = std::env::temp_dir().join(format!("tongban_schemathesis_{}_{:?}", std::process::id(), db));
    let out = tokio::process::Command::new(&schemathesis)
        .arg("run")
        .arg(app.url("/api/openapi.json"))
        .args(["--url", &app.base])
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
        ])
        .args(["--header", &format!("Authorization: Bearer {admin}")])
        .args(["--exclude-path-regex", LEFT_OUT])
        .args(["--max-examples", "8", "--seed", "20261207", "--workers", "2"])
        .args(["--phases", "examples,coverage,fuzzing"])
        .args(["--report-dir", report.to_str().unwrap_or("schemathesis-report")])
        .arg("--no-color")
        // No example database: every run generates afresh from the seed.
        .args(["--generation-database", "none"])
        .env("SCHEMATHESIS_HOOKS", "")
        .output()
        .await
        .expect("run schemathesis");
    let stdout = String::from_utf8_lossy(&out.stdout);
    // The run really covered the document: at least a few generated requests per operation.
    let generated: usize = stdout
        .lines()
        .find_map(|l| {
            l.trim()
                .split_once(" generated")
                .and_then(|(n, _)| n.trim().parse().ok())
        })
        .unwrap_or(0);
    assert!(
        generated >= 1_000,
        "schemathesis generated only {generated} requests:\n{stdout}"
    );
    assert!(
        out.status.success(),
        "schemathesis found answers that break the document:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&report);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_requests_follow_the_document_sqlite() {
    contract(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_requests_follow_the_document_postgres() {
    contract(Db::Postgres).await;
}
