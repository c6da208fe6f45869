//! Mastodon's retention cohorts (`POST /api/v1/admin/retention`,
//! https://docs.joinmastodon.org/methods/admin/retention/): local accounts grouped by the
//! day or month they signed up, and for each later period how many of them were active.
//!
//! Skerry keeps no log of sign-ins, so "active in a period" means "posted a status in it"
//! (the same meaning as `/api/v1/instance/activity`'s `logins`); the sign-up period counts
//! every member (rate 1). Statuses are found through each account's status index, whose ids
//! carry their time, so no status record is read.

use crate::model::Role;
use crate::store::{Page, accounts, timelines};
use crate::util::ids::{id_floor_for_ms, ms_of_id};
use crate::util::time::DAY_MS;

use super::admin::{self, Actor};
use super::{App, AppError};

/// Periods one request covers at most (cohorts × periods / 2 data points in the answer).
pub const PERIODS_MAX: usize = 100;
/// Local accounts looked at at most.
const ACCOUNTS_SCAN_MAX: usize = 20_000;
/// Statuses of one account looked at at most.
const STATUSES_PER_ACCOUNT_MAX: usize = 10_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frequency {
    Day,
    Month,
}

impl Frequency {
    pub fn parse(text: &str) -> Option<Frequency> {
        match text {
            "day" => Some(Frequency::Day),
            "month" => Some(Frequency::Month),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Frequency::Day => "day",
            Frequency::Month => "month",
        }
    }
}

/// One cohort: its period's start and, for it and each later period up to the end, the
/// members active then.
#[derive(Clone, Debug, PartialEq)]
pub struct Cohort {
    pub period_ms: u64,
    pub size: u64,
    /// (period start ms, active members)
    pub data: Vec<(u64, u64)>,
}

/// The start of the UTC month of `ms`, and of the next one.
fn month_bounds(ms: u64) -> (u64, u64) {
    let moment = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let first = |year: i32, month: time::Month| {
        time::Date::from_calendar_date(year, month, 1)
            .map(|date| date.midnight().assume_utc().unix_timestamp())
            .ok()
            .and_then(|seconds| u64::try_from(seconds).ok())
            .map_or(0, |seconds| seconds * 1000)
    };
    let (year, month) = (moment.year(), moment.month());
    let next_year = if month == time::Month::December {
        year + 1
    } else {
        year
    };
    (first(year, month), first(next_year, month.next()))
}

/// The starts of the periods from the one holding `start_ms` to the one holding `end_ms`,
/// plus the end of the last (so period `i` is `[bounds[i], bounds[i + 1])`).
fn period_bounds(frequency: Frequency, start_ms: u64, end_ms: u64) -> Vec<u64> {
    let mut bounds = Vec::new();
    let mut current = match frequency {
        Frequency::Day => start_ms - start_ms % DAY_MS,
        Frequency::Month => month_bounds(start_ms).0,
    };
    while current <= end_ms && bounds.len() < PERIODS_MAX {
        bounds.push(current);
        current = match frequency {
            Frequency::Day => current + DAY_MS,
            Frequency::Month => month_bounds(current).1,
        };
    }
    bounds.push(current);
    bounds
}

fn period_of(bounds: &[u64], ms: u64) -> Option<usize> {
    let last = bounds.len().checked_sub(1)?;
    if ms < bounds[0] || ms >= bounds[last] {
        return None;
    }
    Some(bounds.partition_point(|start| *start <= ms) - 1)
}

/// The cohorts of the periods between `start_ms` and `end_ms` (at most `PERIODS_MAX`).
/// Moderators and up (Mastodon's `view_dashboard`).
pub fn retention(
    app: &App,
    actor: Actor,
    start_ms: u64,
    end_ms: u64,
    frequency: Frequency,
) -> Result<Vec<Cohort>, AppError> {
    if end_ms < start_ms {
        return Err(AppError::Validation("end_at is before start_at".into()));
    }
    let bounds = period_bounds(frequency, start_ms, end_ms);
    let periods = bounds.len() - 1;
    app.store.read(|tx| {
        admin::require_role(app, tx, actor, Role::Moderator)?;
        // active[cohort][period]: members of the cohort active in the period.
        let mut sizes = vec![0u64; periods];
        let mut active = vec![vec![0u64; periods]; periods];
        for id in accounts::local_user_ids(tx, ACCOUNTS_SCAN_MAX)? {
            let Some(account) = accounts::get_account(tx, id, app.bytes_max())? else {
                continue;
            };
            let Some(cohort) = period_of(&bounds, account.created_ms) else {
                continue;
            };
            sizes[cohort] += 1;
            let mut seen = vec![false; periods];
            seen[cohort] = true;
            let page = Page {
                since_id: Some(id_floor_for_ms(bounds[cohort]).saturating_sub(1)),
                max_id: Some(id_floor_for_ms(bounds[periods])),
                ..Page::newest(STATUSES_PER_ACCOUNT_MAX)
            };
            timelines::account_page(tx, id, page, STATUSES_PER_ACCOUNT_MAX, |status| {
                if let Some(period) = period_of(&bounds, ms_of_id(status.0)) {
                    seen[period] = true;
                }
                Ok::<_, AppError>(None::<()>)
            })?;
            for (period, was_active) in seen.iter().enumerate() {
                if *was_active && period >= cohort {
                    active[cohort][period] += 1;
                }
            }
        }
        Ok((0..periods)
            .map(|cohort| Cohort {
                period_ms: bounds[cohort],
                size: sizes[cohort],
                data: (cohort..periods)
                    .map(|period| (bounds[period], active[cohort][period]))
                    .collect(),
            })
            .collect())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_utc_days_or_calendar_months() {
        let day = |text| crate::util::time::parse_day(text).unwrap();
        let days = period_bounds(Frequency::Day, day("2026-11-01") + 5, day("2026-11-03"));
        assert_eq!(
            days,
            vec![
                day("2026-11-01"),
                day("2026-11-02"),
                day("2026-11-03"),
                day("2026-11-04")
            ]
        );
        let months = period_bounds(Frequency::Month, day("2026-11-15"), day("2027-01-02"));
        assert_eq!(
            months,
            vec![
                day("2026-11-01"),
                day("2026-12-01"),
                day("2027-01-01"),
                day("2027-02-01")
            ]
        );
        assert_eq!(period_of(&months, day("2026-12-31")), Some(1));
        assert_eq!(period_of(&months, day("2027-02-01")), None);
        let many = period_bounds(Frequency::Day, 0, 1000 * DAY_MS);
        assert_eq!(many.len(), PERIODS_MAX + 1);
    }
}
