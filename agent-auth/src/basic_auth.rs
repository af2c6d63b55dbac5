//! HTTP Basic client authentication as OAuth 2.0 defines it.

use crate::secret::SecretString;
use zeroize::Zeroizing;

/// The `Authorization` header value of `client_secret_basic`: RFC 6749 section
/// 2.3.1 form-urlencodes the client id and secret before joining them with `:`
/// and base64-encoding the pair (RFC 7617).
pub fn client_secret_basic(client_id: &str, secret: &str) -> SecretString {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let pair = Zeroizing::new(format!("{}:{}", enc(client_id), enc(secret)));
    SecretString::new(format!(
        "Basic {}",
        base64_simd::STANDARD.encode_to_string(pair.as_bytes())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_id_and_secret_per_rfc6749() {
        let header = client_secret_basic("s6BhdRkqt3", "gX1fBat3bV");
        assert_eq!(header.expose_secret(), "Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW");
        let header = client_secret_basic("a:b", "p w+");
        // "a%3Ab:p+w%2B"
        assert_eq!(header.expose_secret(), "Basic YSUzQWI6cCt3JTJC");
    }
}
