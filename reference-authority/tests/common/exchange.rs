//! Token exchange requests (RFC 8693) shared by the test binaries that
//! include this file: an ID-JAG request over a fresh ID token, and a plain
//! exchange with the parameters given.
#![allow(dead_code)]

use agent_auth::exchange::{GRANT_TOKEN_EXCHANGE, token_types};
use reference_authority::{
    Authority, GrantFacts, IssueOptions, OAuthError, Params, TokenRequest, TokenResponse,
};

/// A client id and its secret.
pub(crate) type Client<'a> = (&'a str, &'a str);

/// A token exchange by `client` with `params` (the grant type is added).
pub(crate) async fn exchange(
    authority: &Authority,
    client: Client<'_>,
    params: &[(&str, &str)],
) -> Result<TokenResponse, OAuthError> {
    let mut pairs = vec![("grant_type", GRANT_TOKEN_EXCHANGE)];
    pairs.extend_from_slice(params);
    authority
        .token(&TokenRequest::new(Params::from_pairs(pairs)).basic(client.0, client.1))
        .await
}

/// An ID token of `user` issued to `client`, minted now.
pub(crate) fn id_token(authority: &Authority, client: &str, user: &str) -> String {
    let facts = GrantFacts {
        client_id: client.into(),
        user_id: Some(user.into()),
        scope: vec!["openid".into()],
        ..GrantFacts::default()
    };
    let options = IssueOptions {
        id_token: true,
        ..IssueOptions::default()
    };
    authority
        .issue(&facts, options)
        .unwrap()
        .id_token
        .unwrap()
        .expose_secret()
        .to_owned()
}

/// Exchanges an ID token of `user`, minted now, for an ID-JAG for
/// `audience` with `scope`, with the `extra` parameters.
pub(crate) async fn ask_jag(
    authority: &Authority,
    client: Client<'_>,
    user: &str,
    (audience, scope): (&str, &str),
    extra: &[(&str, &str)],
) -> Result<TokenResponse, OAuthError> {
    let subject = id_token(authority, client.0, user);
    let mut params = vec![
        ("subject_token", subject.as_str()),
        ("subject_token_type", token_types::ID_TOKEN),
        ("requested_token_type", token_types::ID_JAG),
        ("audience", audience),
        ("scope", scope),
    ];
    params.extend_from_slice(extra);
    exchange(authority, client, &params).await
}
