//! Every page a person can reach by following links, for the public and for each role: no link leads to a page the
//! reader may not open (403) or to a server error, and no page shows a raw UTC timestamp (times are Beijing time).

use crate::helpers::TestApp;
use crate::web::sign_in;
use reqwest::StatusCode;
use std::collections::{BTreeSet, VecDeque};

/// Pages per reader at most: enough for every kind of page, not every row of every list.
const MAX_PAGES: usize = 120;

/// An attribute's text as the browser reads it: character references decoded.
fn unescape(attr: &str) -> String {
    let mut out = String::new();
    let mut rest = attr;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        let Some(end) = after.find(';').filter(|e| *e <= 8) else {
            out.push('&');
            rest = &after[1..];
            continue;
        };
        let entity = &after[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "quot" => Some('"'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            e if e.starts_with("#x") => u32::from_str_radix(&e[2..], 16).ok().and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The same-site links of a page (href="/…"), without fragments; downloads, sign-out and assets left out.
fn links(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(unescape)
        .filter(|h| h.starts_with('/') && !h.starts_with("//"))
        .map(|h| h.split('#').next().unwrap_or(&h).to_string())
        .filter(|h| !h.starts_with("/assets/") && !h.contains("/logout") && !h.ends_with(".xlsx"))
        .collect()
}

/// A stored UTC instant as the database keeps it (`2026-12-07T03:51:35Z`), which no page may show.
fn utc_instant(text: &str) -> Option<String> {
    let b = text.as_bytes();
    (0..b.len().saturating_sub(20)).find_map(|i| {
        let w = &b[i..i + 20];
        let digits = |r: std::ops::Range<usize>| r.clone().all(|k| w[k].is_ascii_digit());
        let shape = digits(0..4)
            && w[4] == b'-'
            && digits(5..7)
            && w[7] == b'-'
            && digits(8..10)
            && w[10] == b'T'
            && digits(11..13)
            && w[13] == b':'
            && digits(14..16)
            && w[16] == b':'
            && digits(17..19)
            && w[19] == b'Z';
        shape.then(|| String::from_utf8_lossy(w).to_string())
    })
}

/// The text a reader sees: tags, scripts and styles taken out.
fn visible_text(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        out.push(' ');
        let after = &rest[i..];
        let end_tag = if after.starts_with("<script") {
            "</script>"
        } else if after.starts_with("<style") {
            "</style>"
        } else {
            ">"
        };
        rest = after.find(end_tag).map_or("", |e| &after[e + end_tag.len()..]);
    }
    out.push_str(rest);
    unescape(&out)
}

/// A code where a reader expects a name: a state, site, window or department code as a word of its own.
fn raw_code(text: &str, codes: &[String]) -> Option<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .find(|w| codes.iter().any(|c| c == w))
        .map(String::from)
}

/// Follows links from `start` breadth first; the problems found.
async fn crawl(
    app: &TestApp,
    client: &reqwest::Client,
    who: &str,
    start: &str,
    codes: &[String],
) -> (usize, Vec<String>) {
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut kinds: BTreeSet<String> = BTreeSet::new();
    let mut queue: VecDeque<(String, String)> = VecDeque::from([(start.to_string(), "(start)".to_string())]);
    let mut problems = Vec::new();
    while let Some((url, from)) = queue.pop_front() {
        if seen.len() >= MAX_PAGES || !seen.insert(url.clone()) {
            continue;
        }
        let r = client.get(app.url(&url)).send().await.unwrap();
        let status = r.status();
        let html_page = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"));
        let body = r.text().await.unwrap_or_default();
        if status == StatusCode::FORBIDDEN || status.is_server_error() {
            problems.push(format!("{who}: {url} (linked from {from}) answers {status}"));
            continue;
        }
        if !html_page {
            continue;
        }
        let text = visible_text(&body);
        if let Some(t) = utc_instant(&text) {
            problems.push(format!("{who}: {url} shows the UTC instant {t}"));
        }
        // The workflow editor still edits the template as JSON, whose state codes it must show (issue 12).
        let code_shown = if url.starts_with("/staff/workflows/") {
            None
        } else {
            raw_code(&text, codes)
        };
        if let Some(code) = code_shown {
            problems.push(format!("{who}: {url} shows the code “{code}” where a name belongs"));
        }
        for link in links(&body) {
            // One page of each kind: numbers in the path and the values of the query do not make another kind.
            let (path, query) = link.split_once('?').unwrap_or((&link, ""));
            let mut names: Vec<&str> = query.split('&').filter_map(|kv| kv.split('=').next()).collect();
            names.sort();
            let kind = format!(
                "{}?{}",
                path.chars()
                    .map(|c| if c.is_ascii_digit() { '0' } else { c })
                    .collect::<String>(),
                names.join("&")
            );
            if kinds.insert(kind) {
                queue.push_back((link, url.clone()));
            }
        }
    }
    (seen.len(), problems)
}

crate::both_backends!(
    every_page_a_link_leads_to_opens_for_its_reader_and_shows_beijing_time,
    |app: TestApp| async move {
        app.department_staff().await;
        // Some work in every state a list shows: a case through to its licence, one waiting at each step.
        let case = app.issued_case().await;
        assert!(case["licence_id"].is_string());
        let clerk = app.token("clerk").await;
        let waiting = app.file_at_window(&clerk).await;
        app.step(&clerk, waiting, "accept").await;
        // The codes people must never read: every state of the workflow and of the other records' lifecycles,
        // every site, window and department code.
        let pool = app.state.store.pool();
        let mut codes: Vec<String> = Vec::new();
        for sql in [
            "SELECT DISTINCT state FROM cases",
            "SELECT code FROM sites",
            "SELECT code FROM windows",
            "SELECT code FROM departments",
        ] {
            codes.extend(sqlx::query_scalar::<_, String>(sql).fetch_all(pool).await.unwrap());
        }
        codes.extend(
            [
                "under_review",
                "correction_requested",
                "received",
                "approved",
                "issued",
                "delivered",
                "closed",
                "submitted",
            ]
            .map(String::from),
        );
        let mut problems = Vec::new();
        let mut pages = 0;
        let public = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::limited(3))
            .build()
            .unwrap();
        let (n, p) = crawl(&app, &public, "the public", "/", &codes).await;
        pages += n;
        problems.extend(p);
        for who in [
            "admin",
            "clerk",
            "reviewer",
            "head",
            "supervisor",
            "operator",
            "discloser",
            "policy",
            "reviewer-rsj",
        ] {
            let (client, _) = sign_in(&app, who).await;
            let (n, p) = crawl(&app, &client, who, "/staff", &codes).await;
            pages += n;
            problems.extend(p);
        }
        assert!(pages >= 100, "the crawl reached {pages} pages");
        assert!(
            problems.is_empty(),
            "{} problems:\n{}",
            problems.len(),
            problems.join("\n")
        );
    }
);

#[test]
fn a_utc_instant_is_recognised() {
    assert_eq!(
        utc_instant("办理于2026-12-07T03:51:35Z。").as_deref(),
        Some("2026-12-07T03:51:35Z")
    );
    assert_eq!(utc_instant("2026-12-07 11:51"), None);
    assert_eq!(
        unescape("/r?year=2025&amp;department&#61;xzspj"),
        "/r?year=2025&department=xzspj"
    );
}

crate::both_backends!(a_refusal_keeps_the_workbench_around_it, |app: TestApp| async move {
    let clerk = app.token("clerk").await;
    let case = app.file_at_window(&clerk).await;
    let (operator, _) = sign_in(&app, "operator").await;
    let r = operator
        .get(app.url(&format!("/staff/cases/{}", case["number"].as_str().unwrap())))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("无权访问") && page.contains("12345热线"),
        "the menu stays: {page}"
    );
    assert!(page.contains("/logout"), "still signed in");
});
