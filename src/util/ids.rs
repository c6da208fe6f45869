//! 64-bit time-sortable ids: 48 bits of milliseconds since the Unix epoch, 16 bits of sequence,
//! as Mastodon's snowflakes. Every timeline is then a range scan in id order.

use std::sync::atomic::{AtomicU64, Ordering};

/// Bits of an id below the millisecond timestamp.
pub const SEQUENCE_BITS: u32 = 16;

/// Hands out strictly increasing ids within one process.
///
/// An atomic rather than a lock: `next` is called on every write path, and a compare-exchange
/// loop is all that monotonicity needs.
#[derive(Debug, Default)]
pub struct IdGenerator {
    last: AtomicU64,
}

impl IdGenerator {
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts above `floor`, so ids stay increasing after a restart with a clock that went back.
    pub fn starting_after(floor: u64) -> Self {
        Self {
            last: AtomicU64::new(floor),
        }
    }

    /// The next id for an object created at `now_ms`.
    pub fn next(&self, now_ms: u64) -> u64 {
        let candidate = id_floor_for_ms(now_ms);
        let mut last = self.last.load(Ordering::Relaxed);
        loop {
            let next = candidate.max(last + 1);
            match self
                .last
                .compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return next,
                Err(actual) => last = actual,
            }
        }
    }
}

/// The smallest id of the given millisecond: the bound of a range scan by time.
pub fn id_floor_for_ms(ms: u64) -> u64 {
    ms << SEQUENCE_BITS
}

/// The millisecond an id was made in.
pub fn ms_of_id(id: u64) -> u64 {
    id >> SEQUENCE_BITS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_increase_within_one_millisecond_and_keep_their_time() {
        let ids = IdGenerator::new();
        let a = ids.next(1_700_000_000_000);
        let b = ids.next(1_700_000_000_000);
        let c = ids.next(1_699_999_999_000); // the clock went back
        assert!(a < b && b < c);
        assert_eq!(ms_of_id(a), 1_700_000_000_000);
    }
}
