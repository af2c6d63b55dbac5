//! Which addresses the authority may fetch a client's document from: not its
//! own network (loopback, private, link-local, shared, unique-local,
//! multicast, unspecified), unless the policy allows it, so that a client id
//! cannot turn the authority against internal services (server-side request
//! forgery).

use super::CimdPolicy;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Whether the policy allows fetching from `ip`.
pub(super) fn allowed(ip: IpAddr, policy: &CimdPolicy) -> bool {
    if policy.allow_private_addresses {
        return !ip.is_unspecified() && !ip.is_multicast();
    }
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    };
    if ip.is_loopback() {
        return policy.allow_http_loopback;
    }
    match ip {
        IpAddr::V4(v4) => public_v4(v4),
        IpAddr::V6(v6) => public_v6(v6),
    }
}

fn public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        // 100.64.0.0/10, shared address space (RFC 6598).
        || (a == 100 && (64..128).contains(&b))
        // 0.0.0.0/8 and 240.0.0.0/4.
        || a == 0
        || a >= 240)
}

fn public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments().first().copied().unwrap_or_default();
    !(ip.is_unspecified()
        || ip.is_multicast()
        // fc00::/7 unique local, fe80::/10 link-local.
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_internal_addresses_by_default() {
        let p = CimdPolicy::new();
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:10.0.0.1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!allowed(ip.parse().unwrap(), &p), "{ip}");
        }
        assert!(allowed("93.184.215.14".parse().unwrap(), &p));
        assert!(allowed(
            "2606:2800:21f:cb07:6820:80da:af6b:8b2c".parse().unwrap(),
            &p
        ));
    }

    #[test]
    fn local_development_allows_loopback_only() {
        let p = CimdPolicy::new().local_development();
        assert!(allowed("127.0.0.1".parse().unwrap(), &p));
        assert!(!allowed("10.0.0.1".parse().unwrap(), &p));
    }

    #[test]
    fn the_private_flag_allows_private_ranges() {
        let p = CimdPolicy::new().allow_private_addresses();
        assert!(allowed("10.0.0.1".parse().unwrap(), &p));
        assert!(!allowed("0.0.0.0".parse().unwrap(), &p));
    }
}
