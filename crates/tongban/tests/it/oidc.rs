//! Sign-in through an OpenID Connect identity service, against a provider this test starts: discovery, the
//! authorization redirect, the code exchanged for an ID token signed with the provider's key, the person's identity
//! from its claims — and refusals for a forged token, an unknown or replayed state, and a missing configuration.

use crate::helpers::{Db, TestApp};
use axum::extract::{Form, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Json, Router};
use openidconnect::core::{
    CoreGenderClaim, CoreJsonWebKeySet, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
    CoreProviderMetadata, CoreResponseType, CoreRsaPrivateSigningKey, CoreSubjectIdentifierType,
};
use openidconnect::{
    AdditionalClaims, Audience, AuthUrl, EmptyAdditionalProviderMetadata, EndUserName, EndUserPhoneNumber, IdToken,
    IdTokenClaims, IssuerUrl, JsonWebKeyId, JsonWebKeySetUrl, Nonce, PrivateSigningKey, ResponseTypes, StandardClaims,
    SubjectIdentifier, TokenUrl,
};
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

const CLIENT_ID: &str = "tongban-test";
const PERSON_ID: &str = "11010519491231002X";

/// The province's own claim: the ID number.
#[derive(Clone, Debug, Deserialize, Serialize)]
struct GovClaims {
    id_number: String,
}
impl AdditionalClaims for GovClaims {}

struct Provider {
    base: String,
    key: CoreRsaPrivateSigningKey,
    /// Signs with a key the provider does not publish: a forged token.
    forger: CoreRsaPrivateSigningKey,
    forge: AtomicBool,
    nonces: Mutex<HashMap<String, String>>,
}

fn key(pem: &str) -> CoreRsaPrivateSigningKey {
    CoreRsaPrivateSigningKey::from_pem(pem, Some(JsonWebKeyId::new("k1".into()))).expect("key")
}

async fn discovery(State(p): State<Arc<Provider>>) -> impl IntoResponse {
    let meta = CoreProviderMetadata::new(
        IssuerUrl::new(p.base.clone()).unwrap(),
        AuthUrl::new(format!("{}/authorize", p.base)).unwrap(),
        JsonWebKeySetUrl::new(format!("{}/jwks", p.base)).unwrap(),
        vec![ResponseTypes::new(vec![CoreResponseType::Code])],
        vec![CoreSubjectIdentifierType::Public],
        vec![CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256],
        EmptyAdditionalProviderMetadata {},
    )
    .set_token_endpoint(Some(TokenUrl::new(format!("{}/token", p.base)).unwrap()));
    Json(meta)
}

async fn jwks(State(p): State<Arc<Provider>>) -> impl IntoResponse {
    Json(CoreJsonWebKeySet::new(vec![p.key.as_verification_key()]))
}

#[derive(Deserialize)]
struct AuthorizeQuery {
    redirect_uri: String,
    state: String,
    nonce: String,
    client_id: String,
}

/// The person signs in at the provider (here: at once) and is sent back with a code.
async fn authorize(State(p): State<Arc<Provider>>, Query(q): Query<AuthorizeQuery>) -> impl IntoResponse {
    assert_eq!(q.client_id, CLIENT_ID);
    let code = format!("code-{}", q.state.len() + p.nonces.lock().unwrap().len());
    p.nonces.lock().unwrap().insert(code.clone(), q.nonce);
    Redirect::to(&format!("{}?code={code}&state={}", q.redirect_uri, q.state))
}

async fn token(State(p): State<Arc<Provider>>, Form(f): Form<HashMap<String, String>>) -> impl IntoResponse {
    let nonce = p
        .nonces
        .lock()
        .unwrap()
        .remove(&f["code"])
        .expect("a code the provider gave");
    let now = chrono::Utc::now();
    let claims = IdTokenClaims::new(
        IssuerUrl::new(p.base.clone()).unwrap(),
        vec![Audience::new(CLIENT_ID.into())],
        now + chrono::Duration::minutes(5),
        now,
        StandardClaims::new(SubjectIdentifier::new("gov-user-1".into()))
            .set_name(Some(EndUserName::new("王五".into()).into()))
            .set_phone_number(Some(EndUserPhoneNumber::new("13700001111".into()))),
        GovClaims {
            id_number: PERSON_ID.into(),
        },
    )
    .set_nonce(Some(Nonce::new(nonce)));
    let signer = if p.forge.load(Ordering::SeqCst) {
        &p.forger
    } else {
        &p.key
    };
    let id_token =
        IdToken::<GovClaims, CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm>::new(
            claims,
            signer,
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            None,
            None,
        )
        .expect("sign");
    Json(serde_json::json!({
        "access_token": "access", "token_type": "bearer", "expires_in": 300, "id_token": id_token.to_string()
    }))
}

async fn start_provider() -> Arc<Provider> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let p = Arc::new(Provider {
        base,
        key: key(include_str!("fixtures/oidc_test_key.pem")),
        forger: key(include_str!("fixtures/oidc_other_key.pem")),
        forge: AtomicBool::new(false),
        nonces: Mutex::new(HashMap::new()),
    });
    let router = Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/jwks", get(jwks))
        .route("/authorize", get(authorize))
        .route("/token", post(token))
        .with_state(p.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    p
}

/// Follows the sign-in as a browser would; returns the callback's response.
async fn sign_in(citizen: &reqwest::Client, app: &TestApp) -> reqwest::Response {
    let r = citizen.get(app.url("/my/oidc/start?next=/my")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "to the identity service");
    let to_provider = r.headers()["location"].to_str().unwrap().to_string();
    let r = citizen.get(&to_provider).send().await.unwrap();
    let back = r.headers()["location"].to_str().unwrap().to_string();
    // The provider sends the browser to the registered callback; here the test's server.
    let path = back.split_once("/my/oidc/callback").map(|(_, rest)| rest).unwrap();
    citizen
        .get(app.url(&format!("/my/oidc/callback{path}")))
        .send()
        .await
        .unwrap()
}

async fn oidc_sign_in(db: Db) {
    let provider = start_provider().await;
    let settings = tongban_app::Settings {
        oidc: Some(tongban_app::reform::OidcSettings {
            issuer: provider.base.clone(),
            client_id: CLIENT_ID.into(),
            client_secret: "secret".into(),
            redirect_url: "http://tongban.test/my/oidc/callback".into(),
            id_claim: "id_number".into(),
        }),
        ..Default::default()
    };
    let Some(app) = TestApp::spawn_with(db, settings).await else {
        return;
    };
    let citizen = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login_page = citizen.get(app.url("/my")).send().await.unwrap().text().await.unwrap();
    assert!(login_page.contains("用省统一身份认证登录"), "offered where configured");

    let r = sign_in(&citizen, &app).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap_or_default()
    );
    assert_eq!(r.headers()["location"], "/my");
    let mine = citizen.get(app.url("/my")).send().await.unwrap().text().await.unwrap();
    assert!(
        mine.contains("王五") && mine.contains("退出登录"),
        "signed in as the token says"
    );
    let sessions: (String, String) = sqlx::query_as("SELECT identifier, phone FROM applicant_sessions")
        .fetch_one(app.state.store.pool())
        .await
        .unwrap();
    assert_eq!(sessions, (PERSON_ID.to_string(), "13700001111".to_string()));

    // A forged token (signed with a key the provider does not publish) opens nothing.
    provider.forge.store(true, Ordering::SeqCst);
    let stranger = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = sign_in(&stranger, &app).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // A callback with a state this platform never sent, or one already used, opens nothing either.
    let r = stranger
        .get(app.url("/my/oidc/callback?code=code-1&state=made-up"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM applicant_sessions")
        .fetch_one(app.state.store.pool())
        .await
        .unwrap();
    assert_eq!(count, 1, "only the genuine sign-in opened a session");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidc_sign_in_sqlite() {
    oidc_sign_in(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidc_sign_in_postgres() {
    oidc_sign_in(Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_oidc_the_sms_sign_in_is_the_only_one() {
    let Some(app) = TestApp::spawn(Db::Sqlite).await else {
        return;
    };
    let page = app.get("/my").await.text().await.unwrap();
    assert!(!page.contains("统一身份认证"));
    let r = app.get("/my/oidc/start").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}
