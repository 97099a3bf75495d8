//! The access matrix of docs/access.md, walked on both databases: every role (and someone signed out, and a
//! department that does not handle the record) against every route of the table — the API, the pages and the
//! exports — and which of them see an applicant's ID number and phone whole. The document is the expectation: the
//! test reads its table, so the two cannot disagree. `TONGBAN_PRINT_ACCESS=1` prints the table as the server answers.

use crate::helpers::{
    TestApp, APPLICANT_ID as ID, APPLICANT_PHONE as PHONE, LICENCE_ITEM as ITEM, LICENCE_MATERIALS as MATERIALS,
};
use crate::web::sign_in;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::HashMap;

const DOC: &str = include_str!("../../../../docs/access.md");
const NEWBORN: &str = "YJS-009";
const ENTERPRISE: &str = "91430603MA4L16JF0D";

/// The table of the document: (route, [(reader, expected cell)]) in order.
fn table() -> (Vec<String>, Vec<(String, Vec<String>)>) {
    let mut readers = Vec::new();
    let mut rows = Vec::new();
    let lines: Vec<&str> = DOC
        .lines()
        .skip_while(|l| !l.starts_with("<!-- matrix -->"))
        .skip(1)
        .take_while(|l| l.starts_with('|'))
        .collect();
    for (i, line) in lines.iter().enumerate() {
        let cells: Vec<String> = line
            .trim_matches('|')
            .split('|')
            .map(|c| c.trim().trim_matches('`').to_string())
            .collect();
        if i == 0 {
            readers = cells[1..].to_vec();
        } else if i > 1 {
            rows.push((cells[0].clone(), cells[1..].to_vec()));
        }
    }
    (readers, rows)
}

/// The records the routes name, made for the test.
struct Records {
    case: String,
    bundle: String,
    licence: String,
    enterprise: String,
}

async fn records(app: &TestApp) -> Records {
    let clerk = app.token("clerk").await;
    let case = app.issued_case().await;
    let (_, guide) = app.get_json(&format!("/api/v1/bundles/{NEWBORN}")).await;
    let materials: Vec<Value> = guide["materials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].clone())
        .collect();
    let (status, bundle) = app
        .post_json(
            "/api/v1/bundle-cases",
            &json!({"bundle_code": NEWBORN, "channel": "window", "materials": materials,
                    "form": {"新生儿姓名": "王小宝"},
                    "applicant": {"kind": "person", "name": "王芳", "id_number": ID, "phone": PHONE}}),
            Some(&clerk),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{bundle}");
    // An enterprise with a case, so that it has a life-cycle record.
    let (status, firm) = app
        .post_json(
            "/api/v1/cases",
            &json!({"item_code": ITEM, "channel": "window", "materials": MATERIALS,
                    "applicant": {"kind": "enterprise", "name": "云溪奶茶店", "credit_code": ENTERPRISE, "phone": PHONE}}),
            Some(&clerk),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{firm}");
    Records {
        case: case["number"].as_str().unwrap().to_string(),
        bundle: bundle["number"].as_str().unwrap().to_string(),
        licence: case["licence_id"].as_str().unwrap().to_string(),
        enterprise: ENTERPRISE.into(),
    }
}

/// What a reader gets from a route: the status, and for the personal-data rows whether the ID number shows whole.
async fn answer(
    app: &TestApp,
    route: &str,
    token: Option<&str>,
    page_client: Option<&reqwest::Client>,
    r: &Records,
) -> String {
    let (path, personal) = match route.strip_suffix(" (ID number)") {
        Some(p) => (p, true),
        None => (route, false),
    };
    let path = path
        .replace("{case}", &r.case)
        .replace("{bundle}", &r.bundle)
        .replace("{licence}", &r.licence)
        .replace("{enterprise}", &r.enterprise);
    let path = path.trim_start_matches("GET ").to_string();
    let response = if path.starts_with("/staff") {
        match page_client {
            Some(c) => c.get(app.url(&path)).send().await.unwrap(),
            None => app.client.get(app.url(&path)).send().await.unwrap(),
        }
    } else {
        let mut req = app.client.get(app.url(&path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap()
    };
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    if !personal {
        // A signed-out page sends the browser to the login page.
        return if status == StatusCode::SEE_OTHER {
            "login".into()
        } else {
            status.as_u16().to_string()
        };
    }
    if !status.is_success() {
        return "—".into();
    }
    if text.contains(ID) {
        "whole".into()
    } else {
        "masked".into()
    }
}

crate::both_backends!(
    every_role_reads_what_the_access_table_says_and_no_more,
    |app: TestApp| async move {
        app.department_staff().await;
        let r = records(&app).await;
        let (readers, rows) = table();
        assert!(rows.len() >= 20, "the table has its rows: {}", rows.len());
        let mut tokens: HashMap<String, String> = HashMap::new();
        let mut pages: HashMap<String, reqwest::Client> = HashMap::new();
        for reader in readers.iter().filter(|r| r.as_str() != "signed out") {
            tokens.insert(reader.clone(), app.token(reader).await);
            pages.insert(reader.clone(), sign_in(&app, reader).await.0);
        }
        let print = std::env::var("TONGBAN_PRINT_ACCESS").is_ok();
        let mut wrong = Vec::new();
        for (route, expected) in &rows {
            let mut got_row = Vec::new();
            for (reader, want) in readers.iter().zip(expected) {
                let got = answer(
                    &app,
                    route,
                    tokens.get(reader).map(String::as_str),
                    pages.get(reader),
                    &r,
                )
                .await;
                if &got != want {
                    wrong.push(format!("{route} as {reader}: table says {want}, server answers {got}"));
                }
                got_row.push(got);
            }
            if print {
                println!("| `{route}` | {} |", got_row.join(" | "));
            }
        }
        assert!(wrong.is_empty(), "{} cells differ:\n{}", wrong.len(), wrong.join("\n"));
    }
);
