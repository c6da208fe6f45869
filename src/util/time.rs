//! Wall-clock time as Unix milliseconds, and its text forms for the API.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A manual clock for the whole process, in Unix ms (0: the wall clock). Only the simulation
/// tool (`tools/simulate`) sets it, to run days of traffic in minutes through the real code;
/// a global rather than a handle field because every layer reads the time.
static MANUAL_MS: AtomicU64 = AtomicU64::new(0);

/// Sets the manual clock (`0` goes back to the wall clock). Never called by the server.
pub fn set_manual_ms(ms: u64) {
    MANUAL_MS.store(ms, Ordering::Relaxed);
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    let manual = MANUAL_MS.load(Ordering::Relaxed);
    if manual != 0 {
        return manual;
    }
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as u64)
        .unwrap_or(0)
}

/// `2019-12-08T03:48:33.901Z`: ISO 8601 with milliseconds always present, as Mastodon sends it
/// (Toot! rejects the form without them).
pub fn iso8601_ms(ms: u64) -> String {
    let (date, clock) = split(ms);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        date.year(),
        date.month() as u8,
        date.day(),
        clock.hour(),
        clock.minute(),
        clock.second(),
        ms % 1000
    )
}

/// `2019-12-08`: the day only, as Mastodon's `last_status_at`.
pub fn iso8601_day(ms: u64) -> String {
    let (date, _) = split(ms);
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        date.month() as u8,
        date.day()
    )
}

fn split(ms: u64) -> (time::Date, time::Time) {
    let nanos = i128::from(ms) * 1_000_000;
    let moment = time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    (moment.date(), moment.time())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_keep_three_fraction_digits() {
        assert_eq!(iso8601_ms(1_575_776_913_000), "2019-12-08T03:48:33.000Z");
        assert_eq!(iso8601_ms(1_575_776_913_901), "2019-12-08T03:48:33.901Z");
        assert_eq!(iso8601_day(1_575_776_913_901), "2019-12-08");
    }
}
