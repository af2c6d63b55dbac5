//! Tokens signed from arbitrary header and claims text, the way an attacker
//! (or a careless issuer) would write them, and a validator for every kind.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use agent_auth::clock::ManualClock;
use agent_auth::jose::{Algorithm, SigningKey, base64url};
use agent_auth::validate::{
    AccessToken, BACKCHANNEL_LOGOUT_EVENT, Generic, GlobalTokenRevocation, IdJag, IdToken,
    LogoutToken, SecurityEvent, StaticKeys, TokenKind, ValidationError, Validator,
};
use serde_json::{Value, json};
use std::sync::Arc;

pub const NOW: i64 = 1_800_000_000;
pub const ISS: &str = "https://idp.example";
pub const AUD: &str = "https://api.example";
pub const SESSION_REVOKED: &str =
    "https://schemas.openid.net/secevent/caep/event-type/session-revoked";

pub fn es256() -> SigningKey {
    SigningKey::generate(Algorithm::Es256).unwrap()
}

pub fn trusted(key: &SigningKey) -> StaticKeys {
    StaticKeys::single(key.verifying_key().clone())
}

pub fn validator<K: TokenKind>(key: &SigningKey) -> Validator<K> {
    Validator::<K>::builder(trusted(key))
        .issuer(ISS)
        .audience(AUD)
        .clock(Arc::new(ManualClock::new(NOW)))
        .build()
}

/// Signs `header` and `payload` exactly as given.
pub fn forge_raw(key: &SigningKey, header: &[u8], payload: &[u8]) -> String {
    let input = format!(
        "{}.{}",
        base64url::encode(header),
        base64url::encode(payload)
    );
    let sig = key.sign(input.as_bytes()).unwrap();
    format!("{input}.{}", base64url::encode(sig))
}

/// Signs a JSON header and JSON claims.
pub fn forge(key: &SigningKey, header: &Value, claims: &Value) -> String {
    forge_raw(
        key,
        header.to_string().as_bytes(),
        claims.to_string().as_bytes(),
    )
}

/// Every token kind, with claims that its profile accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Id,
    Access,
    IdJag,
    SecurityEvent,
    GlobalTokenRevocation,
    Logout,
    Generic,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Id,
        Kind::Access,
        Kind::IdJag,
        Kind::SecurityEvent,
        Kind::GlobalTokenRevocation,
        Kind::Logout,
        Kind::Generic,
    ];

    /// The header a well-formed token of this kind carries.
    pub fn header(self, key: &SigningKey) -> Value {
        let typ = match self {
            Kind::Id | Kind::Generic => "JWT",
            Kind::Access => "at+jwt",
            Kind::IdJag => "oauth-id-jag+jwt",
            Kind::SecurityEvent => "secevent+jwt",
            Kind::GlobalTokenRevocation => "global-token-revocation+jwt",
            Kind::Logout => "logout+jwt",
        };
        json!({"alg": key.algorithm().name(), "typ": typ, "kid": key.kid()})
    }

    /// Claims this kind's profile accepts.
    pub fn claims(self) -> Value {
        let mut c = json!({"iss": ISS, "aud": AUD, "iat": NOW});
        let more = match self {
            Kind::Id => json!({"sub": "sarah", "exp": NOW + 300, "nonce": "n-1"}),
            Kind::Access | Kind::IdJag => json!({
                "sub": "sarah", "exp": NOW + 300, "jti": "j-1", "client_id": "agent"
            }),
            Kind::SecurityEvent => json!({
                "jti": "set-1",
                "events": {SESSION_REVOKED: {"event_timestamp": NOW}},
                "sub_id": {"format": "email", "email": "sarah@example.com"}
            }),
            Kind::GlobalTokenRevocation => json!({
                "exp": NOW + 300, "jti": "gtr-1",
                "sub_id": {"format": "email", "email": "sarah@example.com"}
            }),
            Kind::Logout => json!({
                "exp": NOW + 300, "jti": "lo-1", "sid": "s-1",
                "events": {BACKCHANNEL_LOGOUT_EVENT: {}}
            }),
            Kind::Generic => json!({"exp": NOW + 300}),
        };
        for (name, value) in more.as_object().unwrap() {
            c[name] = value.clone();
        }
        c
    }

    /// Validates `token` as this kind, trusting `key`.
    pub fn validate(self, key: &SigningKey, token: &str) -> Result<(), ValidationError> {
        fn run<K: TokenKind>(key: &SigningKey, token: &str) -> Result<(), ValidationError> {
            validator::<K>(key).validate_cached(token).map(|_| ())
        }
        match self {
            Kind::Id => run::<IdToken>(key, token),
            Kind::Access => run::<AccessToken>(key, token),
            Kind::IdJag => run::<IdJag>(key, token),
            Kind::SecurityEvent => run::<SecurityEvent>(key, token),
            Kind::GlobalTokenRevocation => run::<GlobalTokenRevocation>(key, token),
            Kind::Logout => run::<LogoutToken>(key, token),
            Kind::Generic => run::<Generic>(key, token),
        }
    }

    /// Signs `claims` with this kind's header and validates the token.
    pub fn check(self, key: &SigningKey, claims: &Value) -> Result<(), ValidationError> {
        self.validate(key, &forge(key, &self.header(key), claims))
    }
}
