//! Token kinds and their validation profiles: one profile per kind, so a token
//! valid as one kind is never accepted as another (RFC 8725 section 3.11-3.12).

use super::{Claims, ValidationError};

/// How a profile constrains the header `typ`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypRule {
    /// Exactly this media type (compared per RFC 7515 section 4.1.9: the
    /// `application/` prefix may be left out, case is ignored).
    Exact(&'static str),
    /// Absent, or `JWT` (OpenID Connect ID tokens).
    JwtOrAbsent,
    /// Whatever the validator was configured with ([`Generic`] only).
    Configured,
}

/// The fixed rules of one token kind.
#[derive(Debug)]
pub struct Profile {
    /// Name of the kind, for error messages.
    pub name: &'static str,
    /// The `typ` rule.
    pub typ: TypRule,
    /// The `typ` written when minting this kind.
    pub mint_typ: Option<&'static str>,
    /// Claims that must be present.
    pub required: &'static [&'static str],
    /// Whether `aud` must hold exactly one value.
    pub single_audience: bool,
    /// Whether every `aud` value must be trusted: an accepted audience or one
    /// of the additionally trusted ones (OpenID Connect Core 1.0 section
    /// 3.1.3.7 step 3). Such kinds implement [`StrictAudienceKind`].
    pub every_audience_trusted: bool,
    /// Whether an HMAC shared secret may be allowed for this kind.
    pub shared_secret_allowed: bool,
    /// Further rules of the kind.
    pub check: fn(&Claims, &[String]) -> Result<(), &'static str>,
}

mod sealed {
    pub trait Sealed {}
}

/// A kind of token with its own validation profile. Implemented by the marker
/// types of this module only.
pub trait TokenKind: sealed::Sealed + Send + Sync + 'static {
    /// The profile.
    const PROFILE: &'static Profile;
}

/// Kinds for which a profile allows HMAC with a shared secret (OpenID Connect
/// Core section 10.1: `client_secret`-keyed ID tokens and logout tokens).
pub trait SharedSecretKind: TokenKind {}

/// Kinds whose every `aud` value must be trusted (OpenID Connect Core 1.0
/// section 3.1.3.7 step 3; Back-Channel Logout 1.0 section 2.6 step 5 applies
/// the same rule to logout tokens). Their validators can be told of audiences
/// trusted besides the accepted ones.
pub trait StrictAudienceKind: TokenKind {}

fn no_rule(_: &Claims, _: &[String]) -> Result<(), &'static str> {
    Ok(())
}

macro_rules! kind {
    ($(#[$doc:meta])* $name:ident = $profile:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        pub struct $name;
        impl sealed::Sealed for $name {}
        impl TokenKind for $name {
            const PROFILE: &'static Profile = &$profile;
        }
    };
}

kind!(
    /// An OpenID Connect ID token (Core section 2 and 3.1.3.7).
    IdToken = Profile {
        name: "ID token",
        typ: TypRule::JwtOrAbsent,
        mint_typ: Some("JWT"),
        required: &["iss", "sub", "aud", "exp", "iat"],
        single_audience: false,
        every_audience_trusted: true,
        shared_secret_allowed: true,
        check: id_token_rules,
    }
);

/// OpenID Connect Core 3.1.3.7 (4, 5): several audiences need `azp`; an `azp`
/// must be the client (an accepted audience). Step 3, every audience trusted,
/// is the validator's, through [`Profile::every_audience_trusted`]. A token
/// carrying `events` is a SET or logout token.
fn id_token_rules(claims: &Claims, audiences: &[String]) -> Result<(), &'static str> {
    match claims.extra.get("azp") {
        Some(serde_json::Value::String(azp)) if audiences.contains(azp) => {}
        Some(_) => return Err("`azp` is not this client"),
        None if claims.aud.len() > 1 => return Err("several audiences without `azp`"),
        None => {}
    }
    if claims.extra.contains_key("events") {
        return Err("an ID token carries no `events`");
    }
    Ok(())
}

kind!(
    /// An OAuth 2.0 JWT access token (RFC 9068 section 2 and 4).
    AccessToken = Profile {
        name: "access token",
        typ: TypRule::Exact("at+jwt"),
        mint_typ: Some("at+jwt"),
        required: &["iss", "exp", "aud", "sub", "client_id", "iat", "jti"],
        single_audience: false,
        every_audience_trusted: false,
        shared_secret_allowed: false,
        check: no_rule,
    }
);

kind!(
    /// An access token in an identity provider's own JWT shape, from before
    /// RFC 9068 (Auth0's default dialect, Okta, Keycloak, Entra ID): header
    /// `typ` `JWT` or absent, `iss`, `sub`, `aud`, `exp`, `iat` present. Such
    /// a token looks like an ID token of the same provider, so this profile
    /// only refuses what marks an ID token or a SET everywhere; the caller adds
    /// the provider's own positive marker of an access token (mcp-guard's
    /// presets do).
    ProviderAccessToken = Profile {
        name: "provider access token",
        typ: TypRule::JwtOrAbsent,
        mint_typ: Some("JWT"),
        required: &["iss", "sub", "aud", "exp", "iat"],
        single_audience: false,
        every_audience_trusted: false,
        shared_secret_allowed: false,
        check: provider_access_rules,
    }
);

/// `at_hash` and `c_hash` exist only in ID tokens (OpenID Connect Core 1.0
/// sections 3.1.3.6, 3.3.2.11); `events` only in SETs and logout tokens (RFC
/// 8417 section 2.2). Either marks a token that is not an access token.
fn provider_access_rules(claims: &Claims, _: &[String]) -> Result<(), &'static str> {
    for id_token_only in ["at_hash", "c_hash"] {
        if claims.extra.contains_key(id_token_only) {
            return Err("carries an ID token's hash claim");
        }
    }
    if claims.extra.contains_key("events") {
        return Err("an access token carries no `events`");
    }
    Ok(())
}

kind!(
    /// A DPoP proof (RFC 9449 section 4.2): `typ` `dpop+jwt`, the public key in
    /// the header `jwk`, claims `jti`, `htm`, `htu`, `iat`. It names no issuer
    /// and no audience, so it is checked by [`crate::dpop::ProofVerifier`], which
    /// reads this profile, not by a [`Validator`](super::Validator).
    DpopProof = Profile {
        name: "DPoP proof",
        typ: TypRule::Exact("dpop+jwt"),
        mint_typ: Some("dpop+jwt"),
        required: &["jti", "htm", "htu", "iat"],
        single_audience: false,
        every_audience_trusted: false,
        shared_secret_allowed: false,
        check: not_by_validator,
    }
);

/// A DPoP proof names no issuer or audience and carries its own key: only
/// [`crate::dpop::ProofVerifier`] checks it, so a [`Validator`](super::Validator)
/// of this kind refuses every token.
fn not_by_validator(_: &Claims, _: &[String]) -> Result<(), &'static str> {
    Err("a DPoP proof is checked by dpop::ProofVerifier")
}

kind!(
    /// An Identity Assertion JWT Authorization Grant (draft-ietf-oauth-identity-
    /// assertion-authz-grant, section 3): `aud` is one authorization server.
    IdJag = Profile {
        name: "ID-JAG",
        typ: TypRule::Exact("oauth-id-jag+jwt"),
        mint_typ: Some("oauth-id-jag+jwt"),
        required: &["iss", "sub", "aud", "client_id", "jti", "exp", "iat"],
        single_audience: true,
        every_audience_trusted: false,
        shared_secret_allowed: false,
        check: no_rule,
    }
);

kind!(
    /// A Security Event Token (RFC 8417 section 2.2, SSF 1.0 section 4.1):
    /// `events` is a non-empty object of objects; no `sub`, no `exp`.
    SecurityEvent = Profile {
        name: "security event token",
        typ: TypRule::Exact("secevent+jwt"),
        mint_typ: Some("secevent+jwt"),
        required: &["iss", "iat", "jti", "aud", "events"],
        single_audience: false,
        every_audience_trusted: false,
        shared_secret_allowed: false,
        check: set_rules,
    }
);

/// RFC 8417 section 2.2: `events` is a non-empty object whose every value is
/// an object. SSF 1.0 sections 4.1.2 and 4.1.7 (after RFC 8417 sections 4.5 and
/// 4.6, which keep SETs apart from ID and access tokens): no `sub` (the subject
/// is in `sub_id` or the event) and no `exp`.
fn set_rules(claims: &Claims, _: &[String]) -> Result<(), &'static str> {
    match claims.extra.get("events") {
        Some(serde_json::Value::Object(events)) if !events.is_empty() => {
            if !events.values().all(serde_json::Value::is_object) {
                return Err("every value of `events` must be an object");
            }
        }
        _ => return Err("`events` must be a non-empty object"),
    }
    if claims.sub.is_some() {
        return Err("a security event token carries no `sub`");
    }
    if claims.exp.is_some() {
        return Err("a security event token carries no `exp`");
    }
    Ok(())
}

kind!(
    /// A Global Token Revocation request (draft-parecki-oauth-global-token-revocation
    /// section 3.2) as a signed JWT: `sub_id` is a subject identifier object
    /// (RFC 9493), and the only subject.
    GlobalTokenRevocation = Profile {
        name: "global token revocation request",
        typ: TypRule::Exact("global-token-revocation+jwt"),
        mint_typ: Some("global-token-revocation+jwt"),
        required: &["iss", "aud", "iat", "exp", "jti", "sub_id"],
        single_audience: false,
        every_audience_trusted: false,
        shared_secret_allowed: false,
        check: gtr_rules,
    }
);

/// draft-parecki-oauth-global-token-revocation section 3.2: the request names
/// its subject once, in `sub_id`, a subject identifier (RFC 9493 section 3):
/// an object with a string `format` and at least one other member. A top-level
/// `sub` would be a second, possibly different, subject, so it is refused.
fn gtr_rules(claims: &Claims, _: &[String]) -> Result<(), &'static str> {
    match claims.extra.get("sub_id") {
        Some(serde_json::Value::Object(id))
            if id.get("format").is_some_and(serde_json::Value::is_string) && id.len() > 1 => {}
        _ => return Err("`sub_id` must be an object with a `format` and an identifier"),
    }
    if claims.sub.is_some() {
        return Err("the subject is named by `sub_id` only, not `sub`");
    }
    Ok(())
}

/// The event type a logout token must carry.
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

kind!(
    /// An OpenID Connect Back-Channel Logout token (section 2.4 and 2.6).
    LogoutToken = Profile {
        name: "logout token",
        typ: TypRule::Exact("logout+jwt"),
        mint_typ: Some("logout+jwt"),
        required: &["iss", "aud", "iat", "exp", "jti", "events"],
        single_audience: false,
        every_audience_trusted: true,
        shared_secret_allowed: true,
        check: logout_rules,
    }
);

/// Back-Channel Logout 2.6 (3, 4, 5): the logout event member is an object, `sub`
/// or `sid` is present, and `nonce` is absent.
fn logout_rules(claims: &Claims, _: &[String]) -> Result<(), &'static str> {
    let event = claims
        .extra
        .get("events")
        .and_then(|e| e.get(BACKCHANNEL_LOGOUT_EVENT));
    if !event.is_some_and(serde_json::Value::is_object) {
        return Err("`events` lacks the back-channel logout event");
    }
    if claims.sub.is_none() && claims.str("sid").is_none() {
        return Err("neither `sub` nor `sid`");
    }
    if claims.extra.contains_key("nonce") {
        return Err("a logout token carries no `nonce`");
    }
    Ok(())
}

kind!(
    /// Any other JWT: the caller configures `typ` and required claims.
    Generic = Profile {
        name: "generic JWT",
        typ: TypRule::Configured,
        mint_typ: None,
        required: &[],
        single_audience: false,
        every_audience_trusted: false,
        shared_secret_allowed: true,
        check: no_rule,
    }
);

impl SharedSecretKind for IdToken {}
impl SharedSecretKind for LogoutToken {}
impl SharedSecretKind for Generic {}

macro_rules! strict_audience {
    ($($kind:ty),*) => {$(
        impl StrictAudienceKind for $kind {}
        const _: () = assert!(<$kind as TokenKind>::PROFILE.every_audience_trusted);
    )*};
}
strict_audience!(IdToken, LogoutToken);

/// Compares a `typ` value with a media type per RFC 7515 section 4.1.9.
pub(crate) fn typ_matches(found: &str, expected: &str) -> bool {
    let found = match found.get(..12) {
        Some(prefix) if prefix.eq_ignore_ascii_case("application/") => {
            found.get(12..).unwrap_or("")
        }
        _ => found,
    };
    found.eq_ignore_ascii_case(expected)
}

pub(crate) fn check_typ(
    rule: TypRule,
    configured: Option<&str>,
    found: Option<&str>,
) -> Result<(), ValidationError> {
    let ok = match (rule, found) {
        (TypRule::Exact(expected), Some(found)) => typ_matches(found, expected),
        (TypRule::JwtOrAbsent, None) => true,
        (TypRule::JwtOrAbsent, Some(found)) => typ_matches(found, "JWT"),
        (TypRule::Configured, found) => match (configured, found) {
            (None, _) => true,
            (Some(expected), Some(found)) => typ_matches(found, expected),
            (Some(_), None) => false,
        },
        (TypRule::Exact(_), None) => false,
    };
    if ok {
        return Ok(());
    }
    let expected = match rule {
        TypRule::Exact(t) => t,
        TypRule::JwtOrAbsent => "JWT or none",
        TypRule::Configured => "the configured type",
    };
    Err(ValidationError::WrongType { expected })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typ_comparison_follows_rfc7515() {
        assert!(typ_matches("at+jwt", "at+jwt"));
        assert!(typ_matches("application/at+JWT", "at+jwt"));
        assert!(typ_matches("AT+JWT", "at+jwt"));
        assert!(!typ_matches("application/jwt", "at+jwt"));
        assert!(!typ_matches("xapplication/at+jwt", "at+jwt"));
        assert!(!typ_matches("at+jwt ", "at+jwt"));
    }
}
