//! Fixed-window rate limits keyed by client address (logins: Mastodon allows 25 per 5 min per
//! IP). IPv6 addresses count per /64, as Mastodon's rack-attack does, since one host holds a
//! whole /64.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// Keys tracked at once; past this, expired windows are dropped and, if still full, the
/// request is refused rather than the map allowed to grow.
const KEYS_MAX: usize = 65_536;

pub struct RateLimiter {
    per_window: u32,
    window_ms: u64,
    exempt_loopback: bool,
    /// A mutex, not a lock-free map: held for a hash lookup only, on rare requests (logins).
    windows: Mutex<HashMap<IpAddr, (u64, u32)>>,
}

impl RateLimiter {
    pub fn new(per_window: u32, window_ms: u64, exempt_loopback: bool) -> Self {
        RateLimiter {
            per_window,
            window_ms,
            exempt_loopback,
            windows: Mutex::new(HashMap::new()),
        }
    }

    pub fn per_window(&self) -> u32 {
        self.per_window
    }

    /// Counts one attempt from `address` at `now_ms`; `Err(seconds until allowed)` when over.
    /// Loopback is exempt, as in Mastodon, unless configured otherwise.
    pub fn check(&self, address: IpAddr, now_ms: u64) -> Result<(), u64> {
        if self.exempt_loopback && address.is_loopback() {
            return Ok(());
        }
        let key = bucket(address);
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if windows.len() >= KEYS_MAX && !windows.contains_key(&key) {
            let window_ms = self.window_ms;
            windows.retain(|_, (start_ms, _)| now_ms.saturating_sub(*start_ms) < window_ms);
            if windows.len() >= KEYS_MAX {
                return Err(self.window_ms / 1000);
            }
        }
        let (start_ms, count) = windows.entry(key).or_insert((now_ms, 0));
        if now_ms.saturating_sub(*start_ms) >= self.window_ms {
            *start_ms = now_ms;
            *count = 0;
        }
        if *count >= self.per_window {
            return Err((*start_ms + self.window_ms)
                .saturating_sub(now_ms)
                .div_ceil(1000));
        }
        *count += 1;
        Ok(())
    }
}

fn bucket(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let segments = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(
                    segments[0],
                    segments[1],
                    segments[2],
                    segments[3],
                    0,
                    0,
                    0,
                    0,
                ))
            }
        },
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_window_per_slash_64_and_exempts_loopback() {
        let limiter = RateLimiter::new(2, 1000, true);
        let a: IpAddr = "2001:db8::1".parse().unwrap();
        let same_64: IpAddr = "2001:db8::2".parse().unwrap();
        assert!(limiter.check(a, 0).is_ok());
        assert!(limiter.check(same_64, 10).is_ok());
        assert_eq!(limiter.check(a, 500), Err(1));
        assert!(limiter.check(a, 1000).is_ok());
        for _ in 0..10 {
            assert!(limiter.check("127.0.0.1".parse().unwrap(), 0).is_ok());
        }
    }
}
