//! The output credential filter: scans agent output (text and JSON) before it
//! reaches a person, for exact values held in the vault (raw, base64,
//! URL-encoded and JSON-escaped) and for token formats by rule (JWTs, OAuth
//! bearer tokens of major providers, cloud keys, private keys). Redacts or blocks.
//! [`OutputFilterLayer`] applies it to tools' outputs as a `tower::Layer`.

mod layer;

pub use layer::{OutputFilterLayer, OutputFilterService};

use agent_auth::secret::SecretString;
use aho_corasick::{AhoCorasick, MatchKind};
use regex::Regex;
use serde_json::Value;

/// What to do with a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FilterMode {
    /// Replace each finding with `[REDACTED:<rule>]`.
    #[default]
    Redact,
    /// Refuse the whole output.
    Block,
}

/// One credential found in output (positions only; never the value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule (`vault-value` for exact vault values).
    pub rule: &'static str,
    /// Byte range in the scanned text.
    pub start: usize,
    /// End of the range.
    pub end: usize,
}

/// The output was blocked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("output blocked: {} credential(s) found ({})", findings.len(), rules(findings))]
pub struct Blocked {
    /// What was found.
    pub findings: Vec<Finding>,
}

fn rules(f: &[Finding]) -> String {
    let mut r: Vec<&str> = f.iter().map(|f| f.rule).collect();
    r.dedup();
    r.join(", ")
}

/// One detection rule.
#[derive(Debug)]
pub struct Rule {
    /// Rule id.
    pub id: &'static str,
    regex: Regex,
    /// Minimum Shannon entropy (bits per char) of the secret group, if any.
    min_entropy: Option<f64>,
}

/// Our rule set: (id, regex, minimum entropy of capture group 1 or the match).
const RULES: &[(&str, &str, Option<f64>)] = &[
    (
        "jwt",
        r"\bey[A-Za-z0-9_-]{15,}\.ey[A-Za-z0-9_/\\-]{15,}\.[A-Za-z0-9_/\\-]*",
        None,
    ),
    (
        "private-key",
        r"-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----",
        None,
    ),
    (
        "aws-access-key-id",
        r"\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b",
        None,
    ),
    (
        "aws-secret-access-key",
        r#"(?i)aws.{0,20}?(?:secret|key).{0,20}?['"=:\s]+([A-Za-z0-9/+=]{40})\b"#,
        Some(3.5),
    ),
    ("gcp-api-key", r"\bAIza[0-9A-Za-z_-]{35}\b", None),
    (
        "google-oauth-access-token",
        r"\bya29\.[0-9A-Za-z_-]{20,}",
        None,
    ),
    (
        "google-oauth-refresh-token",
        r"\b1//0[0-9A-Za-z_-]{30,}",
        None,
    ),
    (
        "gcp-service-account",
        r#""private_key_id"\s*:\s*"[a-f0-9]{40}""#,
        None,
    ),
    (
        "github-token",
        r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,255}\b",
        None,
    ),
    (
        "github-fine-grained-pat",
        r"\bgithub_pat_[A-Za-z0-9_]{60,255}\b",
        None,
    ),
    (
        "gitlab-token",
        r"\bgl(?:pat|dt|ptt|rt|cbt|imt|agent|oas|ft|soat|ffct|cit)-[A-Za-z0-9_-]{20,}",
        None,
    ),
    ("slack-token", r"\bxox[abposre]-[0-9A-Za-z-]{10,}", None),
    (
        "slack-app-token",
        r"(?i)\bxapp-\d-[A-Z0-9]+-\d+-[a-z0-9]+",
        None,
    ),
    (
        "slack-webhook",
        r"hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/]{40,}",
        None,
    ),
    (
        "stripe-key",
        r"\b(?:sk|rk)_(?:live|test|prod)_[0-9A-Za-z]{10,99}",
        None,
    ),
    (
        "openai-api-key",
        r"\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}|\bsk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}",
        None,
    ),
    (
        "anthropic-api-key",
        r"\bsk-ant-(?:api03|admin01)-[A-Za-z0-9_-]{80,}",
        None,
    ),
    (
        "azure-ad-client-secret",
        r"(?:^|[^A-Za-z0-9_~.-])([A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34})",
        None,
    ),
    (
        "azure-storage-key",
        r"(?i)AccountKey=[A-Za-z0-9+/=]{86,88}",
        None,
    ),
    (
        "salesforce-access-token",
        r"\b00D[0-9A-Za-z]{12,15}![0-9A-Za-z._]{80,}",
        None,
    ),
    (
        "shopify-token",
        r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b",
        None,
    ),
    ("twilio-api-key", r"\bSK[0-9a-fA-F]{32}\b", Some(3.0)),
    (
        "sendgrid-api-key",
        r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b",
        None,
    ),
    ("npm-token", r"\bnpm_[A-Za-z0-9]{36}\b", None),
    (
        "pypi-token",
        r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}",
        None,
    ),
    ("digitalocean-token", r"\bdo[opr]_v1_[a-f0-9]{64}\b", None),
    (
        "hashicorp-vault-token",
        r"\bhv[sbr]\.[A-Za-z0-9_-]{24,}",
        None,
    ),
    ("huggingface-token", r"\bhf_[A-Za-z]{34}\b", None),
    ("databricks-token", r"\bdapi[a-f0-9]{32}(?:-\d)?\b", None),
    ("atlassian-api-token", r"\bATATT3[A-Za-z0-9_\-=]{186}", None),
    (
        "age-secret-key",
        r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}",
        None,
    ),
    (
        "1password-service-account-token",
        r"\bops_eyJ[A-Za-z0-9+/]{250,}={0,3}",
        None,
    ),
    ("notion-token", r"\bntn_[0-9]{11}[A-Za-z0-9]{32,35}\b", None),
    (
        "postman-api-key",
        r"(?i)\bPMAK-[a-f0-9]{24}-[a-f0-9]{34}\b",
        None,
    ),
    ("pulumi-token", r"(?i)\bpul-[a-f0-9]{40}\b", None),
    ("rubygems-token", r"(?i)\brubygems_[a-f0-9]{48}\b", None),
    ("sentry-token", r"\bsntry[su]_[A-Za-z0-9+/=_]{64,}", None),
    ("heroku-api-key", r"\bHRKU-AA[0-9A-Za-z_-]{58}\b", None),
    ("perplexity-api-key", r"\bpplx-[A-Za-z0-9]{48}\b", None),
    (
        "artifactory-key",
        r"\bAKCp[A-Za-z0-9]{69}\b|\bcmVmd[A-Za-z0-9]{59}\b",
        None,
    ),
    (
        "teams-webhook",
        r"(?i)webhook\.office\.com/webhookb2/[a-z0-9@/-]{60,}",
        None,
    ),
    (
        "shippo-token",
        r"(?i)\bshippo_(?:live|test)_[a-f0-9]{40}\b",
        None,
    ),
    (
        "sourcegraph-token",
        r"(?i)\bsgp_(?:[a-f0-9]{16}|local)_[a-f0-9]{40}\b|\bsgp_[a-f0-9]{40}\b",
        None,
    ),
    ("readme-api-key", r"\brdme_[a-z0-9]{70}\b", None),
    ("prefect-token", r"\bpnu_[A-Za-z0-9]{36}\b", None),
    ("infracost-token", r"\bico-[A-Za-z0-9]{32}\b", None),
    (
        "harness-token",
        r"\b(?:pat|sat)\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{20}\b",
        None,
    ),
    (
        "flyio-token",
        r"\bfo1_[A-Za-z0-9_-]{43}\b|\bfm[12][ar]?_[A-Za-z0-9+/]{100,}={0,3}",
        None,
    ),
    (
        "bearer-header",
        r"(?i)\bbearer\s+([A-Za-z0-9\-._~+/]{20,}=*)",
        Some(3.0),
    ),
    (
        "credentials-in-url",
        r"[a-z][a-z0-9+.-]{1,20}://[^/\s:@]{1,64}:([^/\s:@]{6,64})@[a-z0-9.-]+",
        Some(2.5),
    ),
    (
        "assigned-secret",
        r#"(?i)(?:api[_-]?key|apikey|secret|token|passw(?:or)?d|pwd|access[_-]?key|client[_-]?secret|auth[_-]?key|credential)s?[\w.-]{0,20}?["']?\s{0,3}(?:=|:|=>|:=|\|\|)\s{0,3}[`"']?([A-Za-z0-9_\-+/=.~]{16,})"#,
        Some(3.5),
    ),
];

fn entropy(s: &str) -> f64 {
    let mut counts = [0u32; 256];
    for b in s.bytes() {
        if let Some(c) = counts.get_mut(usize::from(b)) {
            *c += 1;
        }
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|c| **c > 0)
        .map(|c| {
            let p = f64::from(*c) / n;
            -p * p.log2()
        })
        .sum()
}

/// The filter.
pub struct OutputFilter {
    mode: FilterMode,
    exact: Option<AhoCorasick>,
    rules: Vec<Rule>,
}

impl std::fmt::Debug for OutputFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutputFilter")
            .field("mode", &self.mode)
            .field(
                "exact_patterns",
                &self.exact.as_ref().map_or(0, AhoCorasick::patterns_len),
            )
            .field("rules", &self.rules.len())
            .finish()
    }
}

/// The encoded forms of a value that are searched for.
pub fn encodings(value: &str) -> Vec<String> {
    let b = value.as_bytes();
    let mut out = vec![
        value.to_owned(),
        base64_simd::STANDARD.encode_to_string(b),
        base64_simd::STANDARD_NO_PAD.encode_to_string(b),
        base64_simd::URL_SAFE.encode_to_string(b),
        base64_simd::URL_SAFE_NO_PAD.encode_to_string(b),
        percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC)
            .to_string(),
        form_enc::form_urlencoded_like(value),
    ];
    if let Ok(json) = serde_json::to_string(value) {
        out.push(json.trim_matches('"').to_owned());
    }
    // Escaped slashes, as some JSON encoders write them.
    out.push(value.replace('/', "\\/"));
    out.sort();
    out.dedup();
    out
}

mod form_enc {
    /// `application/x-www-form-urlencoded` escaping (space as `+`).
    pub(super) fn form_urlencoded_like(value: &str) -> String {
        const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
            .remove(b'*')
            .remove(b'-')
            .remove(b'.')
            .remove(b'_');
        percent_encoding::utf8_percent_encode(value, SET)
            .to_string()
            .replace("%20", "+")
    }
}

impl OutputFilter {
    /// A filter with our rules and no exact values.
    pub fn new(mode: FilterMode) -> Self {
        let rules = RULES
            .iter()
            .filter_map(|(id, re, min_entropy)| {
                Regex::new(re).ok().map(|regex| Rule {
                    id,
                    regex,
                    min_entropy: *min_entropy,
                })
            })
            .collect();
        Self {
            mode,
            exact: None,
            rules,
        }
    }

    /// Adds exact values (e.g. [`Vault::secret_values`](crate::Vault::secret_values));
    /// values shorter than 8 bytes are skipped (too many false hits).
    #[must_use]
    pub fn with_values(mut self, values: &[SecretString]) -> Self {
        let mut patterns: Vec<String> = values
            .iter()
            .map(SecretString::expose_secret)
            .filter(|v| v.len() >= 8)
            .flat_map(encodings)
            .collect();
        patterns.sort();
        patterns.dedup();
        self.exact = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)
            .ok();
        use zeroize::Zeroize as _;
        for mut p in patterns {
            p.zeroize();
        }
        self
    }

    /// The rule ids.
    pub fn rule_ids(&self) -> Vec<&'static str> {
        self.rules.iter().map(|r| r.id).collect()
    }

    /// Every finding in `text`, sorted, overlaps merged.
    pub fn scan(&self, text: &str) -> Vec<Finding> {
        let mut found = Vec::new();
        if let Some(ac) = &self.exact {
            for m in ac.find_iter(text) {
                found.push(Finding {
                    rule: "vault-value",
                    start: m.start(),
                    end: m.end(),
                });
            }
        }
        for rule in &self.rules {
            for caps in rule.regex.captures_iter(text) {
                let Some(whole) = caps.get(0) else { continue };
                let secret = caps.get(1).unwrap_or(whole);
                if let Some(min) = rule.min_entropy
                    && entropy(secret.as_str()) < min
                {
                    continue;
                }
                found.push(Finding {
                    rule: rule.id,
                    start: secret.start(),
                    end: secret.end(),
                });
            }
        }
        found.sort_by_key(|f| (f.start, std::cmp::Reverse(f.end)));
        let mut merged: Vec<Finding> = Vec::new();
        for f in found {
            match merged.last_mut() {
                Some(last) if f.start < last.end => last.end = last.end.max(f.end),
                _ => merged.push(f),
            }
        }
        merged
    }

    /// Filters text: redacted copy, or [`Blocked`].
    pub fn filter_text(&self, text: &str) -> Result<String, Blocked> {
        let findings = self.scan(text);
        if findings.is_empty() {
            return Ok(text.to_owned());
        }
        if self.mode == FilterMode::Block {
            return Err(Blocked { findings });
        }
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for f in &findings {
            out.push_str(text.get(at..f.start).unwrap_or_default());
            out.push_str("[REDACTED:");
            out.push_str(f.rule);
            out.push(']');
            at = f.end;
        }
        out.push_str(text.get(at..).unwrap_or_default());
        Ok(out)
    }

    /// Filters every string (keys and values) of a JSON document.
    pub fn filter_json(&self, value: &Value) -> Result<Value, Blocked> {
        Ok(match value {
            Value::String(s) => Value::String(self.filter_text(s)?),
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|v| self.filter_json(v))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(map) => {
                let mut out = serde_json::Map::new();
                for (k, v) in map {
                    out.insert(self.filter_text(k)?, self.filter_json(v)?);
                }
                Value::Object(out)
            }
            other => other.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn every_rule_compiles() {
        assert_eq!(
            OutputFilter::new(FilterMode::Redact).rule_ids().len(),
            RULES.len()
        );
    }

    #[test]
    fn exact_values_in_every_encoding_are_redacted_and_blocked() {
        let secret = "ya29.a0AfB_byC-very/secret+token=";
        let f = OutputFilter::new(FilterMode::Redact).with_values(&[SecretString::new(secret)]);
        for form in encodings(secret) {
            let text = format!("here you go: {form} (done)");
            let out = f.filter_text(&text).unwrap();
            assert!(!out.contains(&form), "{form} survived: {out}");
            assert!(out.contains("[REDACTED:"));
        }
        let json =
            serde_json::json!({"reply": format!("token {secret}"), "n": 1, "list": [secret]});
        let out = f.filter_json(&json).unwrap().to_string();
        assert!(!out.contains("very/secret"));
        let block = OutputFilter::new(FilterMode::Block).with_values(&[SecretString::new(secret)]);
        let err = block.filter_json(&json).unwrap_err();
        assert!(!err.to_string().contains("secret+token"));
        assert_eq!(
            block.filter_text("nothing to see").unwrap(),
            "nothing to see"
        );
    }
}
