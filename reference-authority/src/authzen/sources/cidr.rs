//! IP networks in CIDR notation (RFC 4632 section 3.1; RFC 4291 section 2.3).

use std::net::IpAddr;
use std::str::FromStr;

/// An IPv4 or IPv6 network.
///
/// ```
/// use reference_authority::authzen::sources::Cidr;
/// let net: Cidr = "10.0.0.0/8".parse()?;
/// assert!(net.contains("10.1.2.3".parse()?));
/// assert!(!net.contains("192.168.1.1".parse()?));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

/// Why a CIDR string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a network in CIDR notation")]
pub struct CidrError;

impl FromStr for Cidr {
    type Err = CidrError;

    fn from_str(s: &str) -> Result<Self, CidrError> {
        let (ip, prefix) = s.split_once('/').ok_or(CidrError)?;
        let network: IpAddr = ip.parse().map_err(|_| CidrError)?;
        if prefix.is_empty() || prefix.len() > 3 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CidrError);
        }
        let prefix: u8 = prefix.parse().map_err(|_| CidrError)?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        if prefix > max {
            return Err(CidrError);
        }
        Ok(Self { network, prefix })
    }
}

impl Cidr {
    /// Whether `ip` is in this network (an IPv4 address never is in an IPv6 one).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => same_prefix(
                u128::from(n.to_bits()) << 96,
                u128::from(a.to_bits()) << 96,
                self.prefix,
            ),
            (IpAddr::V6(n), IpAddr::V6(a)) => same_prefix(n.to_bits(), a.to_bits(), self.prefix),
            _ => false,
        }
    }
}

fn same_prefix(a: u128, b: u128, prefix: u8) -> bool {
    if prefix == 0 {
        return true;
    }
    let mask = u128::MAX << (128 - u32::from(prefix));
    a & mask == b & mask
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn malformed_networks_are_refused() {
        for bad in [
            "10.0.0.0",
            "10.0.0.0/33",
            "::/129",
            "10.0.0.0/",
            "x/8",
            "10.0.0.0/+8",
            "10.0.0.0/0008",
        ] {
            assert_eq!(bad.parse::<Cidr>(), Err(CidrError), "{bad}");
        }
    }

    #[test]
    fn prefixes_match_bit_by_bit() {
        let net: Cidr = "192.168.1.128/25".parse().unwrap();
        assert!(net.contains("192.168.1.200".parse().unwrap()));
        assert!(!net.contains("192.168.1.127".parse().unwrap()));
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("8.8.8.8".parse().unwrap()));
        assert!(!all.contains("::1".parse().unwrap()));
        let v6: Cidr = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains("2001:db8::1".parse().unwrap()));
        assert!(!v6.contains("2001:db9::1".parse().unwrap()));
    }
}
