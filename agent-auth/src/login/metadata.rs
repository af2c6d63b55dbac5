//! Provider metadata (OpenID Connect Discovery 1.0 section 3, RFC 8414 section 2).

/// The discovery document: the OAuth core's one metadata struct.
pub type ProviderMetadata = crate::oauth::AuthorizationServerMetadata;
