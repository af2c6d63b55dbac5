//! SPIFFE IDs of agents: `spiffe://<trust-domain>/agent/<id>`.

use super::CertError;

/// The longest SPIFFE ID accepted (SPIFFE-ID §2.3: at most 2048 bytes).
const MAX_ID: usize = 2048;

/// The SPIFFE ID of `agent` in `trust_domain`, checked against the SPIFFE ID
/// standard: the trust domain holds only lowercase letters, digits, `.`, `-`
/// and `_` (SPIFFE-ID §2.1), each path segment only letters, digits, `.`,
/// `-` and `_`, and is neither empty, `.` nor `..` (SPIFFE-ID §2.2).
pub fn spiffe_id(trust_domain: &str, agent: &str) -> Result<String, CertError> {
    let domain_ok = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b);
    if trust_domain.is_empty() || !trust_domain.bytes().all(domain_ok) {
        return Err(CertError::InvalidId(
            "the trust domain holds lowercase letters, digits, '.', '-' and '_' only",
        ));
    }
    let segment_ok = |b: u8| b.is_ascii_alphanumeric() || b"._-".contains(&b);
    if agent.is_empty() || agent == "." || agent == ".." || !agent.bytes().all(segment_ok) {
        return Err(CertError::InvalidId(
            "the agent id is one path segment of letters, digits, '.', '-' and '_'",
        ));
    }
    let id = format!("spiffe://{trust_domain}/agent/{agent}");
    if id.len() > MAX_ID {
        return Err(CertError::InvalidId("a SPIFFE ID is at most 2048 bytes"));
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_the_spiffe_grammar() {
        assert_eq!(
            spiffe_id("acme.example", "crm-agent_2").ok().as_deref(),
            Some("spiffe://acme.example/agent/crm-agent_2")
        );
        for (domain, agent) in [
            ("Acme.example", "a"),
            ("", "a"),
            ("acme", ""),
            ("acme", ".."),
            ("acme", "a/b"),
            ("acme", "a b"),
            ("acme:8080", "a"),
        ] {
            assert!(
                matches!(spiffe_id(domain, agent), Err(CertError::InvalidId(_))),
                "{domain} {agent}"
            );
        }
        assert!(spiffe_id("acme", &"a".repeat(MAX_ID)).is_err());
    }
}
