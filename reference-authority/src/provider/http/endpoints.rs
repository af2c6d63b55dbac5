//! Request handlers: HTTP in, the authority's methods, HTTP out.

use super::{cookies, pages};
use crate::provider::{
    Authority, AuthorizeOutcome, BrowserBinding, Credentials, ErrorCode, LoginError, LogoutOutcome,
    OAuthError, Params, RegistrationError, TokenRequest,
};
use agent_auth::secret::SecretString;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use zeroize::Zeroizing;

fn no_store(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

pub(super) fn json(status: StatusCode, body: serde_json::Value) -> Response {
    no_store((status, axum::Json(body)).into_response())
}

/// RFC 6749 section 5.2 error response; `invalid_client` after an
/// `Authorization` header also gets `WWW-Authenticate` (401).
pub(super) fn oauth_error(err: &OAuthError, had_auth_header: bool) -> Response {
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = json(status, err.to_json());
    if err.code() == &ErrorCode::InvalidClient && had_auth_header {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"token\""),
        );
    }
    response
}

fn redirect(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    no_store(response)
}

pub(super) fn html(status: StatusCode, body: String) -> Response {
    let mut response = (status, Html(body)).into_response();
    response.headers_mut().insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action *; frame-ancestors 'none'",
        ),
    );
    no_store(response)
}

fn error_page(err: &OAuthError) -> Response {
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::BAD_REQUEST);
    html(status, pages::error(err.code().as_str(), err.description()))
}

pub(super) fn token_request(headers: &HeaderMap, body: &str) -> Result<TokenRequest, OAuthError> {
    let params = Params::parse(body)?;
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(SecretString::new);
    // RFC 9449 section 4.3 check 1: one `DPoP` header at most.
    let mut proofs = headers.get_all("dpop").iter();
    let dpop_proof = match (proofs.next(), proofs.next()) {
        (None, _) => None,
        (Some(one), None) => Some(agent_auth::secret::Token::new(
            one.to_str()
                .map_err(|_| dpop_error("the DPoP header is not a JWT"))?,
        )),
        (Some(_), Some(_)) => return Err(dpop_error("more than one DPoP header")),
    };
    Ok(TokenRequest {
        params,
        authorization,
        dpop_proof,
    })
}

fn dpop_error(why: &'static str) -> OAuthError {
    OAuthError::new(
        ErrorCode::Extension(agent_auth::dpop::INVALID_DPOP_PROOF.into()),
        why,
    )
}

pub(super) async fn metadata(State(a): State<Authority>) -> Response {
    (StatusCode::OK, axum::Json(a.metadata())).into_response()
}

pub(super) async fn jwks(State(a): State<Authority>) -> Response {
    (StatusCode::OK, axum::Json(a.keys().jwks())).into_response()
}

/// The browser's binding, or a new one (then `true`: set the cookie), so that
/// the interactions a browser starts stay its own.
/// `None` when no binding can be made (the random generator failed).
fn browser_binding(headers: &HeaderMap) -> Option<(BrowserBinding, bool)> {
    match cookies::browser(headers) {
        Some(b) => Some((b, false)),
        None => BrowserBinding::generate().map(|b| (b, true)),
    }
}

fn no_randomness() -> Response {
    error_page(&OAuthError::server_error("randomness unavailable"))
}

fn authorize(a: &Authority, headers: &HeaderMap, raw: &str) -> Response {
    let params = match Params::parse(raw) {
        Ok(p) => p,
        Err(e) => return error_page(&e),
    };
    let session = cookies::session(headers);
    let Some((browser, new_browser)) = browser_binding(headers) else {
        return no_randomness();
    };
    let mut response = match a.authorize_in_browser(&params, session.as_ref(), &browser) {
        Ok(AuthorizeOutcome::Redirect(url)) => return redirect(url.expose_secret()),
        Ok(AuthorizeOutcome::Interaction(i)) => html(
            StatusCode::OK,
            pages::login(a.issuer(), &i, &a.connections(), None),
        ),
        Ok(AuthorizeOutcome::Consent(c)) => html(StatusCode::OK, pages::consent(a.issuer(), &c)),
        Err(e) => return error_page(&e),
    };
    if new_browser {
        cookies::set_browser(a, &mut response, &browser);
    }
    response
}

/// A login, consent or callback request refused because another browser
/// started the interaction (login CSRF); nothing changed.
fn other_browser() -> Response {
    html(
        StatusCode::FORBIDDEN,
        pages::error(
            ErrorCode::AccessDenied.as_str(),
            &LoginError::OtherBrowser.to_string(),
        ),
    )
}

/// Fetches the metadata document of a URL `client_id` in the form `raw`
/// (draft-ietf-oauth-client-id-metadata-document), so that the client is
/// registered before the request is handled, and its `jwks_uri` again when
/// the form's `client_assertion` names a key it lacks; a refusal as an
/// OAuth error.
async fn url_client(a: &Authority, raw: &str) -> Result<(), OAuthError> {
    let Ok(params) = Params::parse(raw) else {
        return Ok(());
    };
    let Some(client_id) = params.get("client_id") else {
        return Ok(());
    };
    let resolved = a
        .resolve_url_client(client_id)
        .await
        .map_err(|e| OAuthError::invalid_client(e.to_string()))?;
    if resolved && let Some(assertion) = params.get("client_assertion") {
        a.refresh_url_client_keys(client_id, assertion).await;
    }
    Ok(())
}

pub(super) async fn authorize_get(
    State(a): State<Authority>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let raw = query.as_deref().unwrap_or_default();
    if let Err(e) = url_client(&a, raw).await {
        return error_page(&e);
    }
    authorize(&a, &headers, raw)
}

pub(super) async fn authorize_post(
    State(a): State<Authority>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if let Err(e) = url_client(&a, &body).await {
        return error_page(&e);
    }
    authorize(&a, &headers, &body)
}

pub(super) async fn login(
    State(a): State<Authority>,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    body: String,
) -> Response {
    // The body holds the password.
    let body = Zeroizing::new(body);
    let params = match Params::parse(&body) {
        Ok(p) => p,
        Err(e) => return error_page(&e),
    };
    let Some(id) = params.get("interaction") else {
        return error_page(&OAuthError::invalid_request("missing interaction"));
    };
    let browser = cookies::browser(&headers);
    let interaction = match a.interaction_in_browser(id, browser.as_ref()) {
        Ok(i) => i,
        Err(LoginError::OtherBrowser) => return other_browser(),
        Err(e) => return error_page(&OAuthError::invalid_request(e.to_string())),
    };
    if let Some(connection) = params.get("connection") {
        return match a
            .begin_federated_login(id, browser.as_ref(), connection)
            .await
        {
            Ok(url) => redirect(url.expose_secret()),
            Err(e) => html(
                StatusCode::BAD_REQUEST,
                pages::login(
                    a.issuer(),
                    &interaction,
                    &a.connections(),
                    Some(&e.to_string()),
                ),
            ),
        };
    }
    let mut credentials = Credentials::password(
        params.get("username").unwrap_or_default(),
        params.get("password").unwrap_or_default(),
    )
    .from_address(super::client_addr::client_address(
        &a,
        &headers,
        &extensions,
    ));
    if let Some(code) = params.get("totp") {
        credentials = credentials.with_totp(code);
    }
    match a.complete_login_in_browser(id, browser.as_ref(), &credentials) {
        Ok(done) => {
            let mut response = redirect(done.redirect.expose_secret());
            cookies::set(&a, &mut response, &done.session);
            response
        }
        Err(LoginError::OtherBrowser) => other_browser(),
        Err(e) => html(
            StatusCode::UNAUTHORIZED,
            pages::login(
                a.issuer(),
                &interaction,
                &a.connections(),
                Some(&e.to_string()),
            ),
        ),
    }
}

/// The consent page of an interaction, for the browser that started it.
pub(super) async fn consent_get(
    State(a): State<Authority>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let params = match Params::parse(query.as_deref().unwrap_or_default()) {
        Ok(p) => p,
        Err(e) => return error_page(&e),
    };
    let Some(id) = params.get("interaction") else {
        return error_page(&OAuthError::invalid_request("missing interaction"));
    };
    match a.consent_request(id, cookies::browser(&headers).as_ref()) {
        Ok(c) => html(StatusCode::OK, pages::consent(a.issuer(), &c)),
        Err(LoginError::OtherBrowser) => other_browser(),
        Err(e) => error_page(&OAuthError::invalid_request(e.to_string())),
    }
}

/// The user's answer on the consent page: needs the session of the user who
/// was asked and the browser that started the request.
pub(super) async fn consent_post(
    State(a): State<Authority>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let params = match Params::parse(&body) {
        Ok(p) => p,
        Err(e) => return error_page(&e),
    };
    let (Some(id), Some(decision)) = (params.get("interaction"), params.get("decision")) else {
        return error_page(&OAuthError::invalid_request(
            "missing interaction or decision",
        ));
    };
    let approve = match decision {
        "approve" => true,
        "deny" => false,
        _ => return error_page(&OAuthError::invalid_request("unknown decision")),
    };
    let Some(session) = cookies::session(&headers) else {
        return error_page(&OAuthError::new(
            ErrorCode::AccessDenied,
            LoginError::NotSignedIn.to_string(),
        ));
    };
    match a.decide_consent(id, &session, cookies::browser(&headers).as_ref(), approve) {
        Ok(url) => redirect(url.expose_secret()),
        Err(LoginError::OtherBrowser) => other_browser(),
        Err(e) => error_page(&OAuthError::invalid_request(e.to_string())),
    }
}

pub(super) async fn federation_callback(
    State(a): State<Authority>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let params = match Params::parse(query.as_deref().unwrap_or_default()) {
        Ok(p) => p,
        Err(e) => return error_page(&e),
    };
    let browser = cookies::browser(&headers);
    match a.complete_federated_login(&params, browser.as_ref()).await {
        Ok(done) => {
            let mut response = redirect(done.redirect.expose_secret());
            cookies::set(&a, &mut response, &done.session);
            response
        }
        Err(LoginError::OtherBrowser) => other_browser(),
        Err(e) => error_page(&OAuthError::new(ErrorCode::AccessDenied, e.to_string())),
    }
}

pub(super) async fn token(
    State(a): State<Authority>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let had_auth = headers.contains_key(header::AUTHORIZATION);
    if let Err(e) = url_client(&a, &body).await {
        return oauth_error(&e, had_auth);
    }
    let request = match token_request(&headers, &body) {
        Ok(r) => r,
        Err(e) => return oauth_error(&e, had_auth),
    };
    let mut response = match a.token(&request).await {
        Ok(tokens) => json(StatusCode::OK, tokens.to_json()),
        Err(e) => oauth_error(&e, had_auth),
    };
    // RFC 9449 section 8: the nonce to use, with `use_dpop_nonce` and after.
    if let Some(nonce) = a.dpop_nonce()
        && let Ok(v) = HeaderValue::from_str(&nonce)
    {
        response.headers_mut().insert("dpop-nonce", v);
    }
    response
}

pub(super) async fn par(State(a): State<Authority>, headers: HeaderMap, body: String) -> Response {
    let had_auth = headers.contains_key(header::AUTHORIZATION);
    if let Err(e) = url_client(&a, &body).await {
        return oauth_error(&e, had_auth);
    }
    match token_request(&headers, &body).and_then(|r| a.push_authorization_request(&r)) {
        Ok(body) => json(StatusCode::CREATED, body),
        Err(e) => oauth_error(&e, had_auth),
    }
}

/// RFC 6750 section 3: `WWW-Authenticate: Bearer` with the error code.
fn bearer_error(err: &OAuthError) -> Response {
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::UNAUTHORIZED);
    let mut response = json(status, err.to_json());
    let value = format!(
        "Bearer error=\"{}\", error_description=\"{}\"",
        err.code().as_str(),
        err.description().replace(['"', '\\'], "'")
    );
    if let Ok(v) = HeaderValue::from_str(&value) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    response
}

/// The token of an `Authorization: DPoP` header (RFC 9449 section 7.1).
fn dpop_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.get(..5)
                .filter(|p| p.eq_ignore_ascii_case("dpop "))
                .and_then(|_| v.get(5..))
        })
        .map(str::trim)
}

/// UserInfo with the `DPoP` scheme: exactly one proof (RFC 9449 section 4.3
/// check 1); errors in a `DPoP` challenge with the nonce when one is required.
fn dpop_userinfo(a: &Authority, method: &str, headers: &HeaderMap, token: &str) -> Response {
    let mut proofs = headers.get_all("dpop").iter();
    let result = match (proofs.next(), proofs.next()) {
        (Some(one), None) => match one.to_str() {
            Ok(proof) => a.userinfo_with_dpop(token, proof, method),
            Err(_) => Err(dpop_error("the DPoP header is not a JWT")),
        },
        (None, _) => Err(dpop_error("no DPoP proof")),
        (Some(_), Some(_)) => Err(dpop_error("more than one DPoP header")),
    };
    let mut response = match result {
        Ok(body) => json(StatusCode::OK, body),
        Err(e) => {
            let status = match e.code() {
                ErrorCode::InsufficientScope => StatusCode::FORBIDDEN,
                _ => StatusCode::UNAUTHORIZED,
            };
            let mut response = json(status, e.to_json());
            let value = format!(
                "DPoP error=\"{}\", error_description=\"{}\"",
                e.code().as_str(),
                e.description().replace(['"', '\\'], "'")
            );
            if let Ok(v) = HeaderValue::from_str(&value) {
                response.headers_mut().insert(header::WWW_AUTHENTICATE, v);
            }
            response
        }
    };
    if let Some(nonce) = a.dpop_nonce()
        && let Ok(v) = HeaderValue::from_str(&nonce)
    {
        response.headers_mut().insert("dpop-nonce", v);
    }
    response
}

/// The token of an `Authorization: Bearer` header (RFC 6750 section 2.1).
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.get(..7)
                .filter(|p| p.eq_ignore_ascii_case("bearer "))
                .and_then(|_| v.get(7..))
        })
        .map(str::trim)
}

pub(super) async fn userinfo(
    State(a): State<Authority>,
    method: axum::http::Method,
    headers: HeaderMap,
) -> Response {
    if let Some(token) = dpop_token(&headers) {
        return dpop_userinfo(&a, method.as_str(), &headers, token);
    }
    let Some(token) = bearer(&headers) else {
        // RFC 6750 section 3.1: no credentials, no error code.
        let mut response = StatusCode::UNAUTHORIZED.into_response();
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return response;
    };
    match a.userinfo(token) {
        Ok(body) => json(StatusCode::OK, body),
        Err(e) => bearer_error(&e),
    }
}

pub(super) async fn revoke(
    State(a): State<Authority>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let had_auth = headers.contains_key(header::AUTHORIZATION);
    let result = token_request(&headers, &body).and_then(|r| a.revoke(&r));
    match result {
        Ok(()) => no_store(StatusCode::OK.into_response()),
        Err(e) => oauth_error(&e, had_auth),
    }
}

pub(super) async fn introspect(
    State(a): State<Authority>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let had_auth = headers.contains_key(header::AUTHORIZATION);
    match token_request(&headers, &body).and_then(|r| a.introspect(&r)) {
        Ok(body) => json(StatusCode::OK, body),
        Err(e) => oauth_error(&e, had_auth),
    }
}

fn logout(a: &Authority, headers: &HeaderMap, raw: &str) -> Response {
    let params = match Params::parse(raw) {
        Ok(p) => p,
        Err(e) => return error_page(&e),
    };
    let session = cookies::session(headers);
    if let Some(token) = params.get("confirm") {
        let browser = cookies::browser(headers);
        let mut response = match a.confirm_logout(token, browser.as_ref()) {
            Ok(to) => logged_out(to),
            Err(e) => {
                return html(
                    StatusCode::FORBIDDEN,
                    pages::error(e.code().as_str(), e.description()),
                );
            }
        };
        if session.is_some_and(|h| a.session(&h).is_none()) {
            cookies::clear(a, &mut response);
        }
        return response;
    }
    let Some((browser, new_browser)) = browser_binding(headers) else {
        return no_randomness();
    };
    let mut response = match a.end_session_in_browser(&params, session.as_ref(), &browser) {
        Ok(LogoutOutcome::Done(to)) => {
            let mut response = logged_out(to);
            cookies::clear(a, &mut response);
            return response;
        }
        Ok(LogoutOutcome::Confirm(c)) => html(
            StatusCode::OK,
            pages::logout_confirm(
                a.issuer(),
                c.token.expose_secret(),
                c.client_name.as_deref(),
            ),
        ),
        Err(e) => return error_page(&e),
    };
    if new_browser {
        cookies::set_browser(a, &mut response, &browser);
    }
    response
}

fn logged_out(to: Option<String>) -> Response {
    match to {
        Some(to) => redirect(&to),
        None => html(StatusCode::OK, pages::logged_out()),
    }
}

pub(super) async fn logout_get(
    State(a): State<Authority>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    logout(&a, &headers, query.as_deref().unwrap_or_default())
}

pub(super) async fn logout_post(
    State(a): State<Authority>,
    headers: HeaderMap,
    body: String,
) -> Response {
    logout(&a, &headers, &body)
}

/// Largest registration request body accepted.
const MAX_REGISTRATION_BODY: usize = 64 * 1024;

/// RFC 7591 section 3.2.2 errors; a refused bearer token is answered as
/// RFC 6750 section 3 asks (401, `WWW-Authenticate: Bearer error="invalid_token"`).
fn registration_error(err: &RegistrationError) -> Response {
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = json(status, err.to_json());
    if matches!(err, RegistrationError::InvalidToken(_)) {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer error=\"invalid_token\""),
        );
    }
    response
}

/// Whether the request says its body is JSON (RFC 7591 section 3.1).
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

pub(super) async fn register(
    State(a): State<Authority>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if !a.registration_enabled() {
        return registration_error(&RegistrationError::Disabled);
    }
    if !is_json(&headers) {
        return registration_error(&RegistrationError::InvalidClientMetadata(
            "the body must be application/json".into(),
        ));
    }
    if body.len() > MAX_REGISTRATION_BODY {
        return registration_error(&RegistrationError::InvalidClientMetadata(
            "the registration request is too large".into(),
        ));
    }
    match a.register_dynamic(&body, bearer(&headers)) {
        Ok(registration) => json(StatusCode::CREATED, registration.to_json(&a)),
        Err(e) => registration_error(&e),
    }
}

pub(super) async fn read_registration(
    State(a): State<Authority>,
    headers: HeaderMap,
    axum::extract::Path(client_id): axum::extract::Path<String>,
) -> Response {
    match a.read_registration(&client_id, bearer(&headers)) {
        Ok(body) => json(StatusCode::OK, body),
        Err(e) => registration_error(&e),
    }
}
