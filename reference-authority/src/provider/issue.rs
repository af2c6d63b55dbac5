//! Minting tokens: RFC 9068 access tokens, OpenID Connect ID tokens, rotating
//! refresh tokens grouped in grant families, and their revocation.

use super::crypto::{half_hash, handle_key, random_handle};
use super::model::{FamilyRecord, GrantFacts, RefreshRecord};
use super::store::Table;
use super::{Authority, AuthorityEvent, OAuthError};
use agent_auth::audit::{AuditAction, Outcome};
use agent_auth::jose::sign_compact;
use agent_auth::secret::{SecretString, Token};
use agent_auth::validate::{AccessToken, Claims, IdToken, TokenKind};
use serde_json::{Map, Value};

/// A successful token response (RFC 6749 section 5.1).
#[derive(Debug, Clone)]
pub struct TokenResponse {
    /// The access token.
    pub access_token: Token,
    /// `Bearer`, or an extension's type (`N_A` for some token exchange results).
    pub token_type: String,
    /// Lifetime of the access token in seconds.
    pub expires_in: i64,
    /// A refresh token, if one was issued.
    pub refresh_token: Option<Token>,
    /// An ID token, if one was issued.
    pub id_token: Option<Token>,
    /// The granted scope.
    pub scope: Option<String>,
    /// RFC 8693 `issued_token_type`.
    pub issued_token_type: Option<String>,
    /// Further members of the response.
    pub extra: Map<String, Value>,
}

impl TokenResponse {
    /// The JSON body of RFC 6749 section 5.1.
    ///
    /// # Security
    /// The result holds the tokens in clear: send it to the client and nowhere else.
    pub fn to_json(&self) -> Value {
        let mut body = self.extra.clone();
        body.insert(
            "access_token".into(),
            self.access_token.expose_secret().into(),
        );
        body.insert("token_type".into(), self.token_type.clone().into());
        body.insert("expires_in".into(), self.expires_in.into());
        if let Some(rt) = &self.refresh_token {
            body.insert("refresh_token".into(), rt.expose_secret().into());
        }
        if let Some(id) = &self.id_token {
            body.insert("id_token".into(), id.expose_secret().into());
        }
        if let Some(scope) = &self.scope {
            body.insert("scope".into(), scope.clone().into());
        }
        if let Some(t) = &self.issued_token_type {
            body.insert("issued_token_type".into(), t.clone().into());
        }
        Value::Object(body)
    }
}

/// What to issue besides the access token.
#[derive(Debug, Clone, Default)]
pub struct IssueOptions {
    /// Issue an ID token (needs a user and the `openid` scope).
    pub id_token: bool,
    /// The `nonce` of the authorization request, echoed in the ID token.
    pub nonce: Option<String>,
    /// The authorization code, for `c_hash` in the ID token.
    pub code: Option<SecretString>,
    /// Issue a (rotating) refresh token.
    pub refresh_token: bool,
    /// The grant family the tokens belong to (a new one when `None` and a
    /// refresh token is issued).
    pub family: Option<String>,
    /// Extra claims of the access token (`act`, `authorization_details`, ...).
    pub access_claims: Map<String, Value>,
    /// Access token lifetime, instead of the configured one.
    pub access_token_ttl: Option<i64>,
    /// Extra claims of the ID token (CIBA's `urn:openid:params:jwt:claim:auth_req_id`, ...).
    pub id_token_claims: Map<String, Value>,
    /// Put `rt_hash` (the refresh token's half hash) in the ID token, as CIBA
    /// push mode requires (CIBA Core 1.0 section 10.3.1).
    pub refresh_token_hash: bool,
}

impl Authority {
    /// Issues the tokens of a grant. Grant handlers of extensions call this after
    /// their own checks.
    pub fn issue(
        &self,
        facts: &GrantFacts,
        options: IssueOptions,
    ) -> Result<TokenResponse, OAuthError> {
        let now = self.now();
        let cfg = &self.inner.config;
        let key = self.keys().active();
        let ttl = options.access_token_ttl.unwrap_or(cfg.access_token_ttl);
        let jti = random_handle()?;
        let subject = facts.user_id.clone().unwrap_or(facts.client_id.clone());

        let mut at = Claims::new();
        at.iss = Some(self.issuer().to_owned());
        at.sub = Some(subject.clone());
        at.aud = if facts.resource.is_empty() {
            vec![self.issuer().to_owned()]
        } else {
            facts.resource.clone()
        };
        at.iat = Some(now);
        at.exp = Some(now + ttl);
        at.jti = Some(jti.clone());
        at.extra
            .insert("client_id".into(), facts.client_id.clone().into());
        if !facts.scope.is_empty() {
            at.extra
                .insert("scope".into(), facts.scope.join(" ").into());
        }
        if let Some(t) = facts.auth_time {
            at.extra.insert("auth_time".into(), t.into());
        }
        if let Some(acr) = &facts.acr {
            at.extra.insert("acr".into(), acr.clone().into());
        }
        if let Some(sid) = &facts.sid {
            at.extra.insert("sid".into(), sid.clone().into());
        }
        for (k, v) in &options.access_claims {
            at.extra.insert(k.clone(), v.clone());
        }
        // RFC 9449 section 6.1: bound to the key the request proved.
        let dpop_jkt = super::dpop::binding::current();
        if let Some(jkt) = &dpop_jkt {
            at.extra
                .insert("cnf".into(), serde_json::json!({ "jkt": jkt }));
        }
        let access_token = sign_compact(&key, AccessToken::PROFILE.mint_typ, &at)
            .map_err(|_| OAuthError::server_error("signing failed"))?;
        crate::kill_switch::ledger::record(self, &jti, facts, now + ttl)?;

        let mut refresh_token = None;
        let family = match (&options.family, options.refresh_token) {
            (Some(f), _) => Some(f.clone()),
            (None, true) => Some(random_handle()?),
            (None, false) => None,
        };
        if let Some(family) = &family {
            let handle = if options.refresh_token {
                Some(random_handle()?)
            } else {
                None
            };
            let refresh_expires = now + cfg.refresh_token_ttl;
            let digest = handle.as_deref().map(handle_key);
            let alive =
                self.tables()
                    .update::<FamilyRecord, bool>(Table::Families, family, |f| {
                        let mut f = f.unwrap_or_else(|| FamilyRecord {
                            facts: facts.clone(),
                            revoked: false,
                            access_tokens: Vec::new(),
                            current_refresh: None,
                            expires: now,
                            dpop_jkt: None,
                        });
                        if f.revoked {
                            return (None, false);
                        }
                        f.access_tokens.retain(|(_, exp)| *exp > now);
                        f.access_tokens.push((jti.clone(), now + ttl));
                        f.facts.scope.clone_from(&facts.scope);
                        if digest.is_some() {
                            f.current_refresh.clone_from(&digest);
                            f.expires = refresh_expires;
                            if f.dpop_jkt.is_none() {
                                f.dpop_jkt.clone_from(&dpop_jkt);
                            }
                        }
                        (Some(f), true)
                    })?;
            if !alive {
                return Err(OAuthError::invalid_grant("the grant was revoked"));
            }
            if let (Some(handle), Some(digest)) = (handle, digest) {
                self.tables().put(
                    Table::RefreshTokens,
                    &digest,
                    &RefreshRecord {
                        family: family.clone(),
                        expires: refresh_expires,
                        rotated: false,
                    },
                )?;
                refresh_token = Some(Token::new(handle));
            }
        }

        let openid = facts.scope.iter().any(|s| s == "openid");
        let id_token = match (&facts.user_id, options.id_token && openid) {
            (Some(user_id), true) => Some(self.id_token(
                facts,
                user_id,
                &options,
                (&access_token, refresh_token.as_ref()),
                family.as_deref(),
            )?),
            _ => None,
        };

        self.audit(AuditAction::TokenIssued, Outcome::Success, |e| {
            let e = e
                .agent(facts.client_id.clone())
                .detail("jti", jti.clone())
                .detail("scope", facts.scope.join(" "))
                .detail("aud", at.aud.clone())
                .detail("refresh_token", refresh_token.is_some())
                .detail("id_token", id_token.is_some())
                .detail("dpop_jkt", dpop_jkt.clone());
            match &facts.user_id {
                Some(u) => e.user(u.clone()),
                None => e,
            }
        });
        Ok(TokenResponse {
            access_token,
            // RFC 9449 section 5.
            token_type: if dpop_jkt.is_some() { "DPoP" } else { "Bearer" }.into(),
            expires_in: ttl,
            refresh_token,
            id_token,
            scope: (!facts.scope.is_empty()).then(|| facts.scope.join(" ")),
            issued_token_type: None,
            extra: Map::new(),
        })
    }

    fn id_token(
        &self,
        facts: &GrantFacts,
        user_id: &str,
        options: &IssueOptions,
        (access_token, refresh_token): (&Token, Option<&Token>),
        family: Option<&str>,
    ) -> Result<Token, OAuthError> {
        let now = self.now();
        let key = self.keys().active();
        let alg = key.algorithm();
        let jti = random_handle()?;
        let mut c = Claims::new();
        c.iss = Some(self.issuer().to_owned());
        c.sub = Some(user_id.to_owned());
        c.aud = vec![facts.client_id.clone()];
        c.iat = Some(now);
        c.exp = Some(now + self.inner.config.id_token_ttl);
        c.jti = Some(jti.clone());
        if let Some(user) = self.user(user_id).ok().flatten() {
            for (k, v) in super::userinfo::released_claims(&user, &facts.scope) {
                c.extra.insert(k, v);
            }
        }
        if let Some(t) = facts.auth_time {
            c.extra.insert("auth_time".into(), t.into());
        }
        if let Some(nonce) = &options.nonce {
            c.extra.insert("nonce".into(), nonce.clone().into());
        }
        if let Some(acr) = &facts.acr {
            c.extra.insert("acr".into(), acr.clone().into());
        }
        if !facts.amr.is_empty() {
            c.extra.insert("amr".into(), facts.amr.clone().into());
        }
        c.extra.insert("azp".into(), facts.client_id.clone().into());
        for (k, v) in &options.id_token_claims {
            c.extra.insert(k.clone(), v.clone());
        }
        if let Some(sid) = &facts.sid {
            c.extra.insert("sid".into(), sid.clone().into());
        }
        // OpenID Connect Core 3.1.3.6 and 3.3.2.11.
        c.extra.insert(
            "at_hash".into(),
            half_hash(alg, access_token.expose_secret()).into(),
        );
        if let Some(code) = &options.code {
            c.extra
                .insert("c_hash".into(), half_hash(alg, code.expose_secret()).into());
        }
        if options.refresh_token_hash
            && let Some(rt) = refresh_token
        {
            c.extra
                .insert("rt_hash".into(), half_hash(alg, rt.expose_secret()).into());
        }
        for (k, v) in &options.id_token_claims {
            c.extra.insert(k.clone(), v.clone());
        }
        let token = sign_compact(&key, IdToken::PROFILE.mint_typ, &c)
            .map_err(|_| OAuthError::server_error("signing failed"))?;
        self.record_id_token_grant(&jti, facts, family, now + self.inner.config.id_token_ttl)?;
        Ok(token)
    }

    /// Revokes a grant family: its refresh tokens and every access token issued
    /// under it. Returns whether it was live.
    pub(crate) fn revoke_family(
        &self,
        family: &str,
        reason: &'static str,
    ) -> Result<bool, OAuthError> {
        let now = self.now();
        let revoked = self.tables().update::<FamilyRecord, Option<FamilyRecord>>(
            Table::Families,
            family,
            |f| match f {
                Some(mut f) if !f.revoked => {
                    f.revoked = true;
                    (Some(f.clone()), Some(f))
                }
                _ => (None, None),
            },
        )?;
        let Some(f) = revoked else {
            return Ok(false);
        };
        let mut ids = Vec::new();
        for (jti, exp) in f.access_tokens.iter().filter(|(_, exp)| *exp > now) {
            self.tables().put(Table::RevokedJti, jti, exp)?;
            ids.push(jti.clone());
        }
        self.audit(AuditAction::TokenRevoked, Outcome::Success, |e| {
            let e = e
                .agent(f.facts.client_id.clone())
                .reason(reason)
                .detail("access_tokens", ids.len());
            match &f.facts.user_id {
                Some(u) => e.user(u.clone()),
                None => e,
            }
        });
        self.emit(AuthorityEvent::GrantRevoked {
            issuer: self.issuer().to_owned(),
            client_id: f.facts.client_id.clone(),
            user_id: f.facts.user_id.clone(),
            reason,
            access_token_ids: ids,
        });
        Ok(true)
    }

    pub(crate) fn revoke_families_where(
        &self,
        pred: impl Fn(&FamilyRecord) -> bool,
        reason: &'static str,
    ) -> Result<usize, OAuthError> {
        let mut n = 0;
        for (id, f) in self.tables().scan::<FamilyRecord>(Table::Families)? {
            if !f.revoked && pred(&f) && self.revoke_family(&id, reason)? {
                n += 1;
            }
        }
        Ok(n)
    }

    /// Whether the access token with this `jti` was revoked.
    pub fn is_access_token_revoked(&self, jti: &str) -> bool {
        self.tables()
            .get::<i64>(Table::RevokedJti, jti)
            .ok()
            .flatten()
            .is_some()
    }

    /// Revokes one access token by `jti` until its expiry.
    pub(crate) fn revoke_access_token(&self, jti: &str, exp: i64) -> Result<(), OAuthError> {
        self.tables().put(Table::RevokedJti, jti, &exp)?;
        self.emit(AuthorityEvent::AccessTokenRevoked {
            issuer: self.issuer().to_owned(),
            jti: jti.to_owned(),
            exp,
        });
        Ok(())
    }
}
