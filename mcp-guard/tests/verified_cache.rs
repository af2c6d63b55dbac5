//! The cache of verified JWT access tokens: hits skip the signature and claim
//! checks, never the time or revocation checks; entries are bounded in number
//! and age.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use agent_auth::jose::{Algorithm, VerifyingKey};
use agent_auth::validate::{KeySource, StaticKeys, ValidationError};
use common::*;
use mcp_guard::{Guard, GuardBuilder, Subject, TrustedIssuer, VerifyError};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Static keys that count lookups: one lookup per full verification.
#[derive(Debug)]
struct Counting {
    keys: StaticKeys,
    finds: Arc<AtomicUsize>,
}

#[async_trait::async_trait]
impl KeySource for Counting {
    fn find(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Arc<VerifyingKey>, ValidationError> {
        self.finds.fetch_add(1, Ordering::SeqCst);
        self.keys.find(kid, alg)
    }
}

struct Setup {
    f: Fixture,
    finds: Arc<AtomicUsize>,
}

impl Setup {
    fn new() -> Self {
        Self {
            f: Fixture::new(),
            finds: Arc::default(),
        }
    }

    fn builder(&self) -> GuardBuilder {
        let keys = Counting {
            keys: StaticKeys::single(self.f.key_a.verifying_key().clone()),
            finds: self.finds.clone(),
        };
        Guard::builder(RESOURCE)
            .unwrap()
            .trust(TrustedIssuer::new(ISS_A, keys))
            .clock(self.f.shared_clock())
    }

    fn finds(&self) -> usize {
        self.finds.load(Ordering::SeqCst)
    }

    /// A token of a subject of its own (so revocations can tell them apart).
    fn token_of(&self, sub: &str, jti: &str) -> String {
        let mut c = self.f.claims(ISS_A, "mcp:crm:read");
        c.sub = Some(sub.into());
        c.jti = Some(jti.into());
        self.f.sign(&c)
    }
}

#[tokio::test]
async fn hit_skips_verification_but_revocation_still_refuses() {
    let s = Setup::new();
    let guard = s.builder().build().unwrap();
    let v = guard.verifier();
    let t1 = s.token_of("sarah", "j1");
    let t2 = s.token_of("sarah", "j2");
    let t3 = s.token_of("tom", "j3");
    for t in [&t1, &t2, &t3] {
        v.verify(t).await.unwrap();
    }
    assert_eq!(s.finds(), 3);
    assert_eq!(v.cached_tokens(), 3);
    let p = v.verify(&t1).await.unwrap();
    assert_eq!(p.subject.as_deref(), Some("sarah"));
    assert_eq!(s.finds(), 3, "a hit verifies nothing again");

    // A revoked token is refused on a hit, and its entry goes.
    guard.revocations().revoke_token(ISS_A, "j1", NOW + 300);
    assert_eq!(v.verify(&t1).await, Err(VerifyError::Revoked));
    assert_eq!(s.finds(), 3);
    assert_eq!(v.cached_tokens(), 2);

    // A subject revocation evicts the subject's entries at the next request,
    // whichever token it carries.
    guard.revocations().revoke_subject(
        Subject::IssSub {
            iss: ISS_A.into(),
            sub: "sarah".into(),
        },
        NOW,
    );
    v.verify(&t3).await.unwrap();
    assert_eq!(v.cached_tokens(), 1, "sarah's j2 entry was evicted");
    assert_eq!(v.verify(&t2).await, Err(VerifyError::Revoked));
    // Refused on the miss as well, and not cached.
    assert_eq!(v.verify(&t1).await, Err(VerifyError::Revoked));
    assert_eq!(v.cached_tokens(), 1);
}

#[tokio::test]
async fn hit_through_the_layer_still_refuses_a_revoked_token() {
    let s = Setup::new();
    let guard = s.builder().build().unwrap();
    let app = app(&guard);
    let token = s.token_of("sarah", "j1");
    let list = rpc("tools/list", serde_json::json!({}));
    let (status, _, _) = send(&app, post(Some(&token), list.clone())).await;
    assert_eq!(status, 200);
    let (status, _, _) = send(&app, post(Some(&token), list.clone())).await;
    assert_eq!(status, 200);
    assert_eq!(s.finds(), 1);
    guard.revocations().revoke_token(ISS_A, "j1", NOW + 300);
    let (status, challenge, _) = send(&app, post(Some(&token), list)).await;
    assert_eq!(status, 401);
    let challenge = challenge.unwrap();
    assert_eq!(param(&challenge, "error").as_deref(), Some("invalid_token"));
}

#[tokio::test]
async fn expired_token_refused_even_when_cached() {
    let s = Setup::new();
    // A max age beyond the token's life: only `exp` ends the entry.
    let guard = s
        .builder()
        .verified_token_cache(100, Duration::from_secs(3600))
        .build()
        .unwrap();
    let token = s.token_of("sarah", "j1");
    guard.verifier().verify(&token).await.unwrap();
    s.f.clock.advance(299);
    guard.verifier().verify(&token).await.unwrap();
    assert_eq!(s.finds(), 1);
    s.f.clock.advance(1);
    assert_eq!(
        guard.verifier().verify(&token).await,
        Err(VerifyError::Jwt(ValidationError::Expired))
    );
    assert_eq!(guard.verifier().cached_tokens(), 0);
}

#[tokio::test]
async fn leeway_past_exp_is_never_served_from_the_cache() {
    let s = Setup::new();
    let guard = s.builder().leeway(30).build().unwrap();
    let token = s.token_of("sarah", "j1");
    guard.verifier().verify(&token).await.unwrap();
    s.f.clock.advance(310);
    // Within the leeway the full verification accepts it; the cache does not.
    guard.verifier().verify(&token).await.unwrap();
    guard.verifier().verify(&token).await.unwrap();
    assert_eq!(s.finds(), 3);
}

#[tokio::test]
async fn clock_before_nbf_is_a_miss_and_refused() {
    let s = Setup::new();
    let guard = s.builder().build().unwrap();
    let mut c = s.f.claims(ISS_A, "mcp:crm:read");
    c.nbf = Some(NOW);
    let token = s.f.sign(&c);
    guard.verifier().verify(&token).await.unwrap();
    s.f.clock.set(NOW - 10);
    assert_eq!(
        guard.verifier().verify(&token).await,
        Err(VerifyError::Jwt(ValidationError::NotYetValid))
    );
}

#[tokio::test]
async fn entry_not_used_past_max_age() {
    let s = Setup::new();
    let guard = s
        .builder()
        .verified_token_cache(100, Duration::from_secs(10))
        .build()
        .unwrap();
    let token = s.token_of("sarah", "j1");
    guard.verifier().verify(&token).await.unwrap();
    s.f.clock.advance(9);
    guard.verifier().verify(&token).await.unwrap();
    assert_eq!(s.finds(), 1);
    s.f.clock.advance(1);
    guard.verifier().verify(&token).await.unwrap();
    assert_eq!(s.finds(), 2, "verified in full once the entry is 10 s old");
    guard.verifier().verify(&token).await.unwrap();
    assert_eq!(s.finds(), 2, "and cached afresh");
}

#[tokio::test]
async fn bound_respected() {
    for (bound, tokens) in [(3, 10), (1024, 1100)] {
        let s = Setup::new();
        let guard = s
            .builder()
            .verified_token_cache(bound, Duration::from_secs(60))
            .build()
            .unwrap();
        for i in 0..tokens {
            let t = s.token_of("sarah", &format!("j{i}"));
            guard.verifier().verify(&t).await.unwrap();
            assert!(guard.verifier().cached_tokens() <= bound);
        }
        assert!(guard.verifier().cached_tokens() > 0);
        assert_eq!(s.finds(), tokens);
    }
}

#[tokio::test]
async fn one_byte_different_is_a_miss_and_refused() {
    let s = Setup::new();
    let guard = s.builder().build().unwrap();
    let token = s.token_of("sarah", "j1");
    guard.verifier().verify(&token).await.unwrap();
    let dot = token.rfind('.').unwrap();
    for at in [dot + 10, dot - 10] {
        let mut bytes = token.clone().into_bytes();
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        let forged = String::from_utf8(bytes).unwrap();
        // A hit would answer Ok: the refusal shows the full check ran.
        assert!(guard.verifier().verify(&forged).await.is_err());
    }
    assert_eq!(guard.verifier().cached_tokens(), 1);
    guard.verifier().verify(&token).await.unwrap();
}

#[tokio::test]
async fn cache_off_verifies_every_time() {
    let s = Setup::new();
    let guard = s.builder().no_verified_token_cache().build().unwrap();
    let token = s.token_of("sarah", "j1");
    for _ in 0..3 {
        guard.verifier().verify(&token).await.unwrap();
    }
    assert_eq!(s.finds(), 3);
    assert_eq!(guard.verifier().cached_tokens(), 0);
}
