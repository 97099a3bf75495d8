//! Sign-in through the province's unified identity service by OpenID Connect (authorization code flow): the
//! provider is found by discovery from its issuer, the ID token's signature, issuer, audience, expiry and nonce are
//! checked by the openidconnect crate, and the person's ID number, name and phone come from its claims. The SMS
//! sign-in stays the default; this runs only where `[oidc]` is configured.

use super::sign_in::open_session_for;
use crate::App;
use crate::{Error, ErrorKind};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, RedirectUrl, Scope};

/// Where the province's identity service is and who this deployment is to it.
#[derive(Debug, Clone)]
pub struct OidcSettings {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// This deployment's callback, registered with the provider (…/my/oidc/callback).
    pub redirect_url: String,
    /// The claim that carries the ID number (身份证号码); `id_number` unless the provider names it otherwise.
    pub id_claim: String,
}

fn unavailable(e: impl std::fmt::Display) -> Error {
    tracing::warn!(error = %e, "identity service");
    Error::new(
        ErrorKind::Unavailable,
        "identity_service_unavailable",
        "统一身份认证服务暂时无法使用，请改用短信验证码登录",
    )
}

fn refused(why: impl std::fmt::Display) -> Error {
    tracing::warn!(reason = %why, "identity service sign-in refused");
    Error::new(
        ErrorKind::Unauthenticated,
        "identity_service_refused",
        "统一身份认证未通过，请重新登录",
    )
}

fn settings(app: &App) -> Result<&OidcSettings, Error> {
    app.config.oidc.as_ref().ok_or_else(|| {
        Error::new(
            ErrorKind::NotFound,
            "oidc_not_configured",
            "本平台未接入统一身份认证，请使用短信验证码登录",
        )
    })
}

fn http() -> Result<openidconnect::reqwest::Client, Error> {
    // No redirects: the library's advice against SSRF through the provider's answers.
    openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .map_err(unavailable)
}

async fn client(
    o: &OidcSettings,
    http: &openidconnect::reqwest::Client,
) -> Result<
    CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    >,
    Error,
> {
    let issuer = IssuerUrl::new(o.issuer.clone()).map_err(unavailable)?;
    let metadata = CoreProviderMetadata::discover_async(issuer, http)
        .await
        .map_err(unavailable)?;
    let redirect = RedirectUrl::new(o.redirect_url.clone()).map_err(unavailable)?;
    Ok(CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(o.client_id.clone()),
        Some(ClientSecret::new(o.client_secret.clone())),
    )
    .set_redirect_uri(redirect))
}

/// Starts a sign-in: the provider's authorization URL to send the browser to. `next` is where to return after.
pub async fn oidc_start(app: &App, next: &str) -> Result<String, Error> {
    let o = settings(app)?;
    let http = http()?;
    let client = client(o, &http).await?;
    let (url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("phone".into()))
        .url();
    app.store.begin_oidc_login(state.secret(), nonce.secret(), next).await?;
    Ok(url.to_string())
}

/// Completes a sign-in from the provider's callback: the state taken once, the code exchanged, the ID token
/// verified, the person's identity read from its claims and a session opened. Returns (token, csrf, next path).
pub async fn oidc_finish(app: &App, region: &str, code: &str, state: &str) -> Result<(String, String, String), Error> {
    let o = settings(app)?;
    let (nonce, next) = app
        .store
        .take_oidc_login(state)
        .await?
        .ok_or_else(|| refused("unknown or used state"))?;
    let http = http()?;
    let client = client(o, &http).await?;
    let response = client
        .exchange_code(AuthorizationCode::new(code.to_string()))
        .map_err(unavailable)?
        .request_async(&http)
        .await
        .map_err(refused)?;
    use openidconnect::TokenResponse;
    let id_token = response.id_token().ok_or_else(|| refused("no id token"))?;
    let claims = id_token
        .claims(&client.id_token_verifier(), &Nonce::new(nonce))
        .map_err(refused)?;
    let name = claims
        .name()
        .and_then(|n| n.get(None))
        .map(|n| n.to_string())
        .ok_or_else(|| refused("no name claim"))?;
    let phone = claims
        .phone_number()
        .map(|p| p.to_string())
        .ok_or_else(|| refused("no phone_number claim"))?;
    // The ID number is the provider's own claim: read from the verified token's payload.
    let payload = id_token
        .to_string()
        .split('.')
        .nth(1)
        .and_then(|p| {
            use base64::Engine;
            base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(p).ok()
        })
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .ok_or_else(|| refused("unreadable id token"))?;
    let id_number = payload[o.id_claim.as_str()]
        .as_str()
        .ok_or_else(|| refused(format!("no {} claim", o.id_claim)))?
        .to_string();
    let (token, csrf) = open_session_for(app, region, &id_number, &name, &phone).await?;
    Ok((token, csrf, next))
}
