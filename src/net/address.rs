//! Which IP addresses an outbound fetch may connect to: one table per family, checked after
//! unmapping the IPv6 forms that carry an IPv4 address.
//!
//! SECURITY.md §0 item 3 and §2.3: deny-lists fail on unusual forms (`0.0.0.0`, `::`,
//! `::ffff:127.0.0.1`, `::127.0.0.1`), so the rule is an allow-list in spirit: IPv4 is global
//! unless a range below says otherwise, and IPv6 must be inside `2000::/3` (as in GoToSocial)
//! and outside the special ranges Mastodon's `PrivateAddressCheck` lists.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Where an address leads, for the SSRF guard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddressScope {
    /// Global unicast: always allowed.
    Global,
    /// Loopback, private (RFC 1918), shared CGNAT space and IPv6 unique local: allowed only
    /// with `federation.allow_private_networks` (tests, local development).
    Local,
    /// Never a peer: unspecified, multicast, broadcast, link-local (cloud metadata lives at
    /// 169.254.169.254), documentation, benchmarking, reserved and deprecated ranges.
    Never,
}

/// `(first address, prefix length, scope)`: the first matching row wins, so narrower ranges
/// come before the wider ones that contain them. Unlisted addresses are global.
const IPV4_RANGES: &[(Ipv4Addr, u8, AddressScope)] = &[
    // "This network"; 0.0.0.0 reaches the local host on Linux (CVE-2026-33693).
    (Ipv4Addr::new(0, 0, 0, 0), 8, AddressScope::Never),
    (Ipv4Addr::new(10, 0, 0, 0), 8, AddressScope::Local),
    // Shared address space (carrier-grade NAT), RFC 6598.
    (Ipv4Addr::new(100, 64, 0, 0), 10, AddressScope::Local),
    (Ipv4Addr::new(127, 0, 0, 0), 8, AddressScope::Local),
    (Ipv4Addr::new(169, 254, 0, 0), 16, AddressScope::Never),
    (Ipv4Addr::new(172, 16, 0, 0), 12, AddressScope::Local),
    // IETF protocol assignments, RFC 6890.
    (Ipv4Addr::new(192, 0, 0, 0), 24, AddressScope::Never),
    // Documentation: TEST-NET-1, -2, -3 (RFC 5737).
    (Ipv4Addr::new(192, 0, 2, 0), 24, AddressScope::Never),
    (Ipv4Addr::new(198, 51, 100, 0), 24, AddressScope::Never),
    (Ipv4Addr::new(203, 0, 113, 0), 24, AddressScope::Never),
    // 6to4 relay anycast, deprecated by RFC 7526.
    (Ipv4Addr::new(192, 88, 99, 0), 24, AddressScope::Never),
    (Ipv4Addr::new(192, 168, 0, 0), 16, AddressScope::Local),
    // Benchmarking, RFC 2544.
    (Ipv4Addr::new(198, 18, 0, 0), 15, AddressScope::Never),
    // Multicast.
    (Ipv4Addr::new(224, 0, 0, 0), 4, AddressScope::Never),
    // Reserved, with the limited broadcast 255.255.255.255 at its end.
    (Ipv4Addr::new(240, 0, 0, 0), 4, AddressScope::Never),
];

/// IPv6 ranges inside `2000::/3` that are not global, and the ranges outside it that are
/// local. Everything else outside `2000::/3` is never a peer. The forms that embed IPv4
/// (mapped, compatible, NAT64, 6to4) are handled before this table.
const IPV6_RANGES: &[(Ipv6Addr, u8, AddressScope)] = &[
    (Ipv6Addr::LOCALHOST, 128, AddressScope::Local),
    // Unique local addresses, RFC 4193.
    (
        Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0),
        7,
        AddressScope::Local,
    ),
    // IETF protocol assignments, RFC 2928: Teredo 2001::/32, benchmarking 2001:2::/48,
    // ORCHID 2001:10::/28 and ORCHIDv2 2001:20::/28 are all inside.
    (
        Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0),
        23,
        AddressScope::Never,
    ),
    // Documentation, RFC 3849 and RFC 9637.
    (
        Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0),
        32,
        AddressScope::Never,
    ),
    (
        Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0),
        20,
        AddressScope::Never,
    ),
    // AS112 (DNS sink for private reverse zones), as GoToSocial blocks it.
    (
        Ipv6Addr::new(0x2620, 0x4f, 0x8000, 0, 0, 0, 0, 0),
        48,
        AddressScope::Never,
    ),
];

/// The scope of `address`, after unmapping IPv4-mapped (`::ffff:a.b.c.d`) and
/// IPv4-compatible (`::a.b.c.d`) IPv6 addresses.
pub fn address_scope(address: IpAddr) -> AddressScope {
    match address {
        IpAddr::V4(v4) => ipv4_scope(v4),
        IpAddr::V6(v6) => ipv6_scope(v6),
    }
}

/// The address a connection to `address` really reaches: IPv4-mapped IPv6 becomes IPv4, so
/// the resolver hands the connector the very address that was checked, in its plain form.
pub fn canonical_address(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        IpAddr::V4(_) => address,
    }
}

fn ipv4_scope(address: Ipv4Addr) -> AddressScope {
    let bits = u32::from(address);
    IPV4_RANGES
        .iter()
        .find(|(first, prefix, _)| {
            let mask = u32::MAX.checked_shl(32 - u32::from(*prefix)).unwrap_or(0);
            bits & mask == u32::from(*first)
        })
        .map_or(AddressScope::Global, |(_, _, scope)| *scope)
}

fn ipv6_scope(address: Ipv6Addr) -> AddressScope {
    let bits = u128::from(address);
    let segments = address.segments();
    if address.is_unspecified() {
        return AddressScope::Never;
    }
    // ::ffff:0:0/96, IPv4-mapped: the connection goes to the IPv4 address.
    if let Some(v4) = address.to_ipv4_mapped() {
        return ipv4_scope(v4);
    }
    // ::/96 minus :: and ::1, IPv4-compatible (deprecated by RFC 4291). Judged by the IPv4
    // address it carries, but never global: outside 2000::/3, nothing routes it to a peer.
    if bits >> 32 == 0 && address != Ipv6Addr::LOCALHOST {
        let v4 = Ipv4Addr::from(bits as u32);
        return match ipv4_scope(v4) {
            AddressScope::Global => AddressScope::Never,
            scope => scope,
        };
    }
    // 64:ff9b::/96, NAT64 (RFC 6052): an IPv6-only host reaches IPv4 peers through it, so it
    // is as global as the IPv4 address it carries, and never local.
    if bits >> 32 == u128::from(u32::from_be_bytes([0, 0x64, 0xff, 0x9b])) << 64 {
        return embedded_scope(Ipv4Addr::from(bits as u32));
    }
    // 2002::/16, 6to4 (RFC 3056): the IPv4 address is in bits 16..48.
    if segments[0] == 0x2002 {
        return embedded_scope(Ipv4Addr::from((bits >> 80) as u32));
    }
    if let Some((_, _, scope)) = IPV6_RANGES.iter().find(|(first, prefix, _)| {
        let mask = u128::MAX.checked_shl(128 - u32::from(*prefix)).unwrap_or(0);
        bits & mask == u128::from(*first)
    }) {
        return *scope;
    }
    // Global unicast is 2000::/3; the rest (multicast ff00::/8, link-local fe80::/10,
    // site-local fec0::/10, discard 100::/64, local-use NAT64 64:ff9b:1::/48, …) is not.
    if segments[0] & 0xe000 == 0x2000 {
        AddressScope::Global
    } else {
        AddressScope::Never
    }
}

/// An IPv4 address carried inside a translation prefix: allowed only when it is global.
fn embedded_scope(v4: Ipv4Addr) -> AddressScope {
    match ipv4_scope(v4) {
        AddressScope::Global => AddressScope::Global,
        AddressScope::Local | AddressScope::Never => AddressScope::Never,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AddressScope::{Global, Local, Never};

    /// Every form from SECURITY.md item 3 and §2.3, and each range's edges.
    const CASES: &[(&str, AddressScope)] = &[
        // IPv4.
        ("0.0.0.0", Never),
        ("0.255.255.255", Never),
        ("1.1.1.1", Global),
        ("8.8.8.8", Global),
        ("9.255.255.255", Global),
        ("10.0.0.1", Local),
        ("10.255.255.255", Local),
        ("11.0.0.0", Global),
        ("100.63.255.255", Global),
        ("100.64.0.1", Local),
        ("100.127.255.255", Local),
        ("100.128.0.0", Global),
        ("127.0.0.1", Local),
        ("127.255.255.254", Local),
        ("169.254.169.254", Never),
        ("172.15.255.255", Global),
        ("172.16.0.1", Local),
        ("172.31.255.255", Local),
        ("172.32.0.0", Global),
        ("192.0.0.8", Never),
        ("192.0.2.1", Never),
        ("192.88.99.1", Never),
        ("192.168.1.1", Local),
        ("198.17.255.255", Global),
        ("198.18.0.1", Never),
        ("198.19.255.255", Never),
        ("198.20.0.0", Global),
        ("198.51.100.7", Never),
        ("203.0.113.9", Never),
        ("223.255.255.255", Global),
        ("224.0.0.1", Never),
        ("239.255.255.250", Never),
        ("240.0.0.1", Never),
        ("255.255.255.255", Never),
        // IPv6 basics.
        ("::", Never),
        ("::1", Local),
        ("2606:4700::1111", Global),
        ("2a01:4f8::1", Global),
        ("fc00::1", Local),
        ("fd12:3456::1", Local),
        ("fe80::1", Never),
        ("fec0::1", Never),
        ("ff02::1", Never),
        ("ff0e::1", Never),
        ("100::1", Never),
        ("1fff:ffff::1", Never),
        ("4000::1", Never),
        // IPv4-mapped: unmapped, then judged as IPv4.
        ("::ffff:127.0.0.1", Local),
        ("::ffff:0.0.0.0", Never),
        ("::ffff:169.254.169.254", Never),
        ("::ffff:10.1.2.3", Local),
        ("::ffff:8.8.8.8", Global),
        // IPv4-compatible: judged by the IPv4 address, never global.
        ("::127.0.0.1", Local),
        ("::10.0.0.1", Local),
        ("::0.0.0.2", Never),
        ("::8.8.8.8", Never),
        // SIIT IPv4-translated ::ffff:0:a.b.c.d is outside 2000::/3.
        ("::ffff:0:127.0.0.1", Never),
        // NAT64: as global as the IPv4 address inside, never local.
        ("64:ff9b::8.8.8.8", Global),
        ("64:ff9b::127.0.0.1", Never),
        ("64:ff9b::10.0.0.1", Never),
        ("64:ff9b::169.254.169.254", Never),
        ("64:ff9b:1::8.8.8.8", Never),
        // 6to4: the IPv4 address in bits 16..48.
        ("2002:0808:0808::1", Global),
        ("2002:7f00:0001::1", Never),
        ("2002:c0a8:0101::1", Never),
        ("2002:a9fe:a9fe::1", Never),
        // Inside 2000::/3 but special.
        ("2001::1", Never),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", Never),
        ("2001:2::1", Never),
        ("2001:10::1", Never),
        ("2001:20::1", Never),
        ("2001:1ff:ffff::1", Never),
        ("2001:200::1", Global),
        ("2001:db8::1", Never),
        ("2001:db8:ffff::1", Never),
        ("3fff::1", Never),
        ("3fff:fff::1", Never),
        ("3fff:1000::1", Global),
        ("2620:4f:8000::1", Never),
        ("2620:4f:8001::1", Global),
    ];

    #[test]
    fn every_listed_address_has_its_scope() {
        let wrong: Vec<String> = CASES
            .iter()
            .filter_map(|(text, expected)| {
                let address: IpAddr = text.parse().expect("a valid address in the table");
                let actual = address_scope(address);
                (actual != *expected).then(|| format!("{text}: {actual:?}, expected {expected:?}"))
            })
            .collect();
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn mapped_addresses_are_connected_to_as_ipv4() {
        let mapped: IpAddr = "::ffff:8.8.8.8".parse().unwrap();
        assert_eq!(
            canonical_address(mapped),
            "8.8.8.8".parse::<IpAddr>().unwrap()
        );
        let plain: IpAddr = "2606:4700::1111".parse().unwrap();
        assert_eq!(canonical_address(plain), plain);
    }
}
