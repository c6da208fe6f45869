//! The SSRF guard: which URLs may be fetched, and the one resolver that turns a host into
//! the addresses the connector may use.
//!
//! A URL is checked before each hop ([`check_url`]): scheme, userinfo, and the address when the
//! host is an IP literal (hyper's connector does not resolve literals, so they never reach
//! the resolver). A host name is resolved once per connection by [`GuardedResolver`], every
//! address it gets is checked, and only those checked addresses go to the connector, which
//! connects to one of them: no second lookup can answer differently (DNS rebinding).

use std::error::Error as StdError;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::Host;

use super::NetError;
use super::address::{AddressScope, address_scope, canonical_address};

/// Addresses of one host handed to the connector; it tries them in order. Mastodon takes 2;
/// a few more let a host with both families and a dead address still be reached.
pub const RESOLVED_ADDRESSES_MAX: usize = 4;

/// Whether a connection to `address` is allowed.
pub fn is_address_allowed(address: IpAddr, allow_private_networks: bool) -> bool {
    match address_scope(address) {
        AddressScope::Global => true,
        AddressScope::Local => allow_private_networks,
        AddressScope::Never => false,
    }
}

/// The check of one hop before anything is sent: `https` only (`http` too when private
/// networks are allowed), no userinfo, a host, and an allowed address if the host is an IP
/// literal. A host name is checked later, by the resolver, on the addresses it resolves to.
pub fn check_url(url: &Url, allow_private_networks: bool) -> Result<(), NetError> {
    match url.scheme() {
        "https" => {}
        "http" if allow_private_networks => {}
        scheme => return Err(NetError::SchemeNotAllowed(scheme.to_string())),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(NetError::InvalidUrl(
            "a URL with a user name or password".into(),
        ));
    }
    let address = match url.host() {
        None => return Err(NetError::InvalidUrl("a URL without a host".into())),
        Some(Host::Domain(_)) => return Ok(()),
        Some(Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(Host::Ipv6(v6)) => IpAddr::V6(v6),
    };
    if is_address_allowed(address, allow_private_networks) {
        Ok(())
    } else {
        Err(NetError::Blocked(address))
    }
}

/// The resolver plugged into reqwest: one lookup per connection, every answer checked, and
/// the connector given only what passed.
#[derive(Debug)]
pub struct GuardedResolver {
    pub allow_private_networks: bool,
    pub resolve_timeout: Duration,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        let allow_private_networks = self.allow_private_networks;
        let resolve_timeout = self.resolve_timeout;
        Box::pin(async move {
            let addresses = resolve_host(&host, allow_private_networks, resolve_timeout).await?;
            Ok(Box::new(addresses.into_iter()) as Addrs)
        })
    }
}

/// Why the resolver gave the connector nothing. It travels inside reqwest's error as a
/// source, and the client finds it there again to report it as a `NetError`.
#[derive(Debug)]
pub enum ResolveRefusal {
    Blocked(IpAddr),
    NotFound(String),
    Timeout,
}

impl fmt::Display for ResolveRefusal {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResolveRefusal::Blocked(address) => write!(formatter, "address {address} blocked"),
            ResolveRefusal::NotFound(detail) => write!(formatter, "name not resolved: {detail}"),
            ResolveRefusal::Timeout => write!(formatter, "name resolution timed out"),
        }
    }
}

impl StdError for ResolveRefusal {}

/// Resolves `host` once and checks every address. One blocked address refuses the whole
/// name, as in Mastodon: a peer has no reason to publish a private address beside a public
/// one, and trying only the public ones would still let the name point inside.
pub async fn resolve_host(
    host: &str,
    allow_private_networks: bool,
    resolve_timeout: Duration,
) -> Result<Vec<SocketAddr>, ResolveRefusal> {
    // Port 0: reqwest puts the URL's port in.
    let lookup = tokio::net::lookup_host((host, 0));
    let found = tokio::time::timeout(resolve_timeout, lookup)
        .await
        .map_err(|_| ResolveRefusal::Timeout)?
        .map_err(|error| ResolveRefusal::NotFound(error.to_string()))?;
    let mut addresses: Vec<SocketAddr> = Vec::new();
    for found in found {
        let address = canonical_address(found.ip());
        if !is_address_allowed(address, allow_private_networks) {
            return Err(ResolveRefusal::Blocked(address));
        }
        let address = SocketAddr::new(address, 0);
        if !addresses.contains(&address) {
            addresses.push(address);
        }
    }
    addresses.truncate(RESOLVED_ADDRESSES_MAX);
    if addresses.is_empty() {
        return Err(ResolveRefusal::NotFound(format!("no address for {host}")));
    }
    Ok(addresses)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `url::Url` makes of the odd IPv4 spellings: the WHATWG parser normalizes them
    /// to a plain IPv4 host, so the literal check sees the real address.
    #[test]
    fn the_url_parser_normalizes_odd_ipv4_forms_to_the_address() {
        let cases = [
            ("https://127.1/", "127.0.0.1"),
            ("https://0177.0.0.1/", "127.0.0.1"),
            ("https://0x7f.0.0.1/", "127.0.0.1"),
            ("https://2130706433/", "127.0.0.1"),
            ("https://127.0.0.1./", "127.0.0.1"),
            ("https://0/", "0.0.0.0"),
            ("https://[::ffff:127.0.0.1]/", "[::ffff:7f00:1]"),
            ("https://[::127.0.0.1]/", "[::7f00:1]"),
            ("https://[0:0:0:0:0:0:0:0]/", "[::]"),
        ];
        for (text, host) in cases {
            let url = Url::parse(text).unwrap();
            assert_eq!(url.host_str(), Some(host), "{text}");
            assert!(
                matches!(check_url(&url, false), Err(NetError::Blocked(_))),
                "{text} must be blocked"
            );
        }
    }

    #[test]
    fn each_hop_is_checked_for_scheme_userinfo_and_literal_address() {
        let check = |text: &str, allow_private_networks| {
            check_url(&Url::parse(text).unwrap(), allow_private_networks)
        };
        assert!(check("https://social.example/users/a", false).is_ok());
        assert!(check("https://8.8.8.8:8443/", false).is_ok());
        assert!(check("https://[2606:4700::1111]/", false).is_ok());
        assert!(matches!(
            check("http://social.example/", false),
            Err(NetError::SchemeNotAllowed(_))
        ));
        assert!(matches!(
            check("ftp://social.example/", true),
            Err(NetError::SchemeNotAllowed(_))
        ));
        assert!(matches!(
            check("file:///etc/passwd", true),
            Err(NetError::SchemeNotAllowed(_))
        ));
        assert!(matches!(
            check("https://user:secret@social.example/", false),
            Err(NetError::InvalidUrl(_))
        ));
        assert!(matches!(
            check("https://10.0.0.1/", false),
            Err(NetError::Blocked(_))
        ));
        assert!(matches!(
            check("https://[::1]/", false),
            Err(NetError::Blocked(_))
        ));
        assert!(matches!(
            check("https://169.254.169.254/", false),
            Err(NetError::Blocked(_))
        ));
        // Permissive: private networks and http, but still never the unspecified address
        // or link-local.
        assert!(check("http://127.0.0.1:3000/", true).is_ok());
        assert!(check("http://[::1]:3000/", true).is_ok());
        assert!(check("http://192.168.1.10/", true).is_ok());
        assert!(matches!(
            check("http://0.0.0.0:3000/", true),
            Err(NetError::Blocked(_))
        ));
        assert!(matches!(
            check("http://169.254.169.254/", true),
            Err(NetError::Blocked(_))
        ));
    }

    /// `localhost` resolves from the hosts file, without the network.
    #[tokio::test]
    async fn the_resolver_refuses_a_name_that_leads_to_loopback() {
        let timeout = Duration::from_secs(5);
        let refused = resolve_host("localhost", false, timeout).await;
        assert!(
            matches!(refused, Err(ResolveRefusal::Blocked(address)) if address.is_loopback()),
            "{refused:?}"
        );
        let allowed = resolve_host("localhost", true, timeout).await.unwrap();
        assert!(allowed.iter().all(|address| address.ip().is_loopback()));
        // An IP literal given to the resolver is checked too.
        let refused = resolve_host("127.0.0.1", false, timeout).await;
        assert!(matches!(refused, Err(ResolveRefusal::Blocked(_))));
    }
}
