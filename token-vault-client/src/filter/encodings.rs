//! The encoded forms in which a vault value may appear in output.

/// The encoded forms of a value that are searched for: raw, base64 (standard
/// and URL-safe, padded or not), percent- and form-encoded, JSON-escaped and
/// with escaped slashes.
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
        form_urlencoded_like(value),
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

/// `application/x-www-form-urlencoded` escaping (space as `+`).
fn form_urlencoded_like(value: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'*')
        .remove(b'-')
        .remove(b'.')
        .remove(b'_');
    percent_encoding::utf8_percent_encode(value, SET)
        .to_string()
        .replace("%20", "+")
}
