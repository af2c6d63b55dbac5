//! Detection of RSA moduli from the vulnerable Infineon generator (ROCA,
//! CVE-2017-15361): such a modulus is, for each of a set of small primes, a power
//! of 65537 modulo that prime. A random modulus passes all tests with negligible
//! probability; a ROCA modulus always does.

const PRIMES: [u32; 38] = [
    3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97,
    101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167,
];

/// Whether the big-endian modulus `n` carries the ROCA fingerprint.
pub(crate) fn has_roca_fingerprint(n: &[u8]) -> bool {
    PRIMES.iter().all(|&p| {
        let residue = n
            .iter()
            .fold(0u32, |acc, &b| (acc * 256 + u32::from(b)) % p);
        let generator = 65_537 % p;
        let mut power = 1u32;
        for _ in 0..p {
            if power == residue {
                return true;
            }
            power = power * generator % p;
        }
        false
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_power_of_65537_product_is_flagged_and_random_moduli_are_not() {
        // 65537^k for any k is trivially in every subgroup.
        let n = 65_537u64.pow(3).to_be_bytes();
        assert!(has_roca_fingerprint(&n));
        assert!(!has_roca_fingerprint(&[0xff; 256]));
    }
}
