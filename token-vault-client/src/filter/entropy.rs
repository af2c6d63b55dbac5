//! Shannon entropy, the randomness test that separates secrets from words.

/// Shannon entropy of `s` in bits per byte (0 for an empty string).
pub(crate) fn shannon(s: &str) -> f64 {
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

#[cfg(test)]
mod tests {
    use super::shannon;

    #[test]
    fn repeated_bytes_carry_no_entropy_and_distinct_bytes_carry_log2_n() {
        assert!(shannon("aaaaaaaa").abs() < 1e-9);
        assert!((shannon("abcdefgh") - 3.0).abs() < 1e-9);
        assert!(shannon("").abs() < 1e-9);
    }
}
