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

/// Milliseconds in a day.
pub const DAY_MS: u64 = 24 * 3600 * 1000;

/// The start of the UTC day of `2022-09-14` (or of an ISO 8601 time starting so), in Unix
/// milliseconds; `None` if it is not such a date.
pub fn parse_day(text: &str) -> Option<u64> {
    let day = text.get(..10)?;
    let mut parts = day.split('-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: u8 = parts.next()?.parse().ok()?;
    let day: u8 = parts.next()?.parse().ok()?;
    let date =
        time::Date::from_calendar_date(year, time::Month::try_from(month).ok()?, day).ok()?;
    let seconds = date.midnight().assume_utc().unix_timestamp();
    u64::try_from(seconds).ok().map(|seconds| seconds * 1000)
}

/// Parses an RFC 3339 / ISO 8601 time with an offset (`2026-11-29T10:00:00.000Z`,
/// `2026-11-29T11:00:00+01:00`) into Unix milliseconds; `None` if malformed or before 1970.
pub fn parse_iso8601_ms(text: &str) -> Option<u64> {
    use time::format_description::well_known::Rfc3339;
    let moment = time::OffsetDateTime::parse(text.trim(), &Rfc3339).ok()?;
    u64::try_from(moment.unix_timestamp_nanos() / 1_000_000).ok()
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
    fn days_parse_to_their_utc_midnight() {
        assert_eq!(parse_day("1970-01-02"), Some(DAY_MS));
        assert_eq!(parse_day("2022-09-14T12:00:00Z"), parse_day("2022-09-14"));
        assert_eq!(iso8601_day(parse_day("2024-02-29").unwrap()), "2024-02-29");
        assert_eq!(parse_day("2023-02-29"), None);
        assert_eq!(parse_day("yesterday"), None);
    }

    #[test]
    fn timestamps_keep_three_fraction_digits() {
        assert_eq!(iso8601_ms(1_575_776_913_000), "2019-12-08T03:48:33.000Z");
        assert_eq!(iso8601_ms(1_575_776_913_901), "2019-12-08T03:48:33.901Z");
        assert_eq!(iso8601_day(1_575_776_913_901), "2019-12-08");
    }
}
