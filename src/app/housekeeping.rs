//! Housekeeping: the continuous job that keeps the database at the size the admin chose.
//! Every `retention.interval_secs` one round runs, as many small transactions:
//! - remote statuses no local user touched, older than `retention.remote_status_days`, go
//!   (`store::retention`); remote accounts nothing refers to any more follow them;
//! - applied-activity ids, tombstones and idempotency keys past their windows go;
//! - with a disk budget (`storage.db_bytes_max`), above `BUDGET_HIGH_PERCENT` of it untouched
//!   remote statuses go oldest first whatever their age, until under `BUDGET_LOW_PERCENT`; when
//!   only touched content is left, a warning in the log and on `/metrics`;
//! - zstd dictionaries are trained (and retrained) per record kind, and records moved to them;
//! - once a day, a growth sample of every table (`store::growth`).
//!
//! Nothing here stops the world: each step holds the writer for at most `STEP_SCAN_MAX`
//! records, and the round gives the writer back between steps.

use std::sync::atomic::Ordering;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::{App, AppError};
use crate::store::{growth, retention, schema};

/// Statuses (or accounts, or dedupe keys) looked at in one transaction.
pub const STEP_SCAN_MAX: usize = 500;
/// Statuses deleted in one transaction.
pub const STEP_DELETE_MAX: usize = 200;
/// Steps of each kind in one round, so a round after a long pause does not run for minutes.
pub const ROUND_STEPS_MAX: usize = 64;
/// Records moved to a new dictionary per round and kind.
pub const REWRITE_PER_ROUND: usize = 2_000;
/// Above this share of `storage.db_bytes_max`, retention tightens.
pub const BUDGET_HIGH_PERCENT: u64 = 95;
/// ... until the data in use is under this share again.
pub const BUDGET_LOW_PERCENT: u64 = 90;
/// Milliseconds in a day.
const DAY_MS: u64 = growth::DAY_MS;
/// A pass over a table (statuses, accounts, dedupe records) starts at most this often; a pass
/// that does not finish in one round goes on in the next. Expiry is not urgent, and a pass
/// over dedupe records reads all of them (their keys are hashes, not times).
pub const PASS_INTERVAL_MS: u64 = 3600 * 1000;

/// Where each kind of work goes on in the next round.
#[derive(Debug, Default)]
pub struct Cursors {
    statuses: u64,
    accounts: u64,
    seen: Option<String>,
    seen_hashes: Option<u64>,
    tombstones: Option<String>,
    rewrite: [Option<u64>; 3],
    /// When the current (or last) pass of statuses, accounts and dedupe records started.
    passes_started_ms: [u64; 3],
    /// Where the pass of budget pruning goes on, what it deleted so far, and whether the last
    /// complete pass found only touched content while over budget.
    budget: u64,
    budget_pass_deleted: usize,
    budget_exhausted: bool,
}

/// Whether a pass goes on (`in_progress`) or a new one is due; notes the start of a new one.
fn pass_due(started_ms: &mut u64, in_progress: bool, now_ms: u64) -> bool {
    if in_progress {
        return true;
    }
    if *started_ms != 0 && now_ms.saturating_sub(*started_ms) < PASS_INTERVAL_MS {
        return false;
    }
    *started_ms = now_ms;
    true
}

/// What a round did, for logs, metrics and the simulation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Round {
    pub statuses_pruned: usize,
    pub statuses_budget_pruned: usize,
    pub accounts_pruned: usize,
    pub dedupe_expired: usize,
    pub dictionaries_trained: usize,
    pub records_rewritten: usize,
    pub allocated_bytes: u64,
    /// The budget is exceeded and only touched content is left.
    pub budget_exhausted: bool,
}

/// One housekeeping round at `now_ms` (the simulation passes its own clock).
pub fn round(app: &App, cursors: &mut Cursors, now_ms: u64) -> Result<Round, AppError> {
    let store = &app.store;
    let retention_config = &app.config.retention;
    let bytes_max = app.bytes_max();
    let mut done = Round::default();
    if retention_config.remote_status_days > 0
        && pass_due(
            &mut cursors.passes_started_ms[0],
            cursors.statuses != 0,
            now_ms,
        )
    {
        let cutoff = now_ms.saturating_sub(retention_config.remote_status_days * DAY_MS);
        done.statuses_pruned += prune_until(app, &mut cursors.statuses, cutoff, None)?;
    }
    let accounts_due = pass_due(
        &mut cursors.passes_started_ms[1],
        cursors.accounts != 0,
        now_ms,
    );
    for _ in 0..if accounts_due { ROUND_STEPS_MAX } else { 0 } {
        let step = store.write(|tx| {
            retention::prune_accounts(tx, cursors.accounts, STEP_SCAN_MAX, bytes_max)
        })?;
        done.accounts_pruned += step.deleted;
        cursors.accounts = step.next.unwrap_or(0);
        if step.next.is_none() {
            break;
        }
    }
    let dedupe_due = pass_due(
        &mut cursors.passes_started_ms[2],
        cursors.seen.is_some() || cursors.tombstones.is_some() || cursors.seen_hashes.is_some(),
        now_ms,
    );
    let dedupe_steps = if dedupe_due { ROUND_STEPS_MAX } else { 0 };
    for (table, days, cursor) in [
        (
            schema::SEEN_ACTIVITIES,
            retention_config.seen_activity_days,
            &mut cursors.seen,
        ),
        (
            schema::TOMBSTONES,
            retention_config.tombstone_days,
            &mut cursors.tombstones,
        ),
    ] {
        let cutoff = now_ms.saturating_sub(days * DAY_MS);
        for _ in 0..dedupe_steps {
            let (expired, next) = store.write(|tx| {
                retention::expire_by_time(tx, table, cursor.as_deref(), cutoff, STEP_SCAN_MAX)
            })?;
            done.dedupe_expired += expired;
            *cursor = next;
            if cursor.is_none() {
                break;
            }
        }
    }
    let seen_cutoff = now_ms.saturating_sub(retention_config.seen_activity_days * DAY_MS);
    for _ in 0..dedupe_steps {
        let (expired, next) = store.write(|tx| {
            retention::expire_by_time_u64(
                tx,
                schema::SEEN_HASHES,
                cursors.seen_hashes,
                seen_cutoff,
                STEP_SCAN_MAX,
            )
        })?;
        done.dedupe_expired += expired;
        cursors.seen_hashes = next;
        if next.is_none() {
            break;
        }
    }
    let idempotency_cutoff =
        now_ms.saturating_sub(app.config.limits.idempotency_window_secs * 1000);
    done.dedupe_expired +=
        store.write(|tx| retention::expire_idempotency(tx, idempotency_cutoff))?;

    let budget = app.config.storage.db_bytes_max;
    // Counting allocated pages walks the B-trees' page lists under the writer: only with a
    // budget to check (the daily growth sample counts them anyway).
    if budget > 0 {
        done.allocated_bytes = store.allocated_bytes()?;
    }
    if budget > 0 && done.allocated_bytes > budget / 100 * BUDGET_HIGH_PERCENT {
        // Oldest untouched first, whatever their age, until under the low mark. The pass goes
        // on where the last round left it, so touched content at the front is read once a
        // pass, not every round.
        let low = budget / 100 * BUDGET_LOW_PERCENT;
        let pruned = prune_until(app, &mut cursors.budget, now_ms, Some(low))?;
        done.statuses_budget_pruned = pruned;
        cursors.budget_pass_deleted += pruned;
        done.allocated_bytes = store.allocated_bytes()?;
        let over = done.allocated_bytes > budget / 100 * BUDGET_HIGH_PERCENT;
        if pruned > 0 || !over {
            cursors.budget_exhausted = false;
        }
        if cursors.budget == 0 {
            // A whole pass is done: if it found nothing to prune and the data is still over,
            // only touched content is left.
            if over && cursors.budget_pass_deleted == 0 {
                cursors.budget_exhausted = true;
                tracing::warn!(
                    allocated_bytes = done.allocated_bytes,
                    budget_bytes = budget,
                    "the database is over its budget and only content local users touched is left to prune"
                );
            }
            cursors.budget_pass_deleted = 0;
        }
    } else {
        cursors.budget_exhausted = false;
    }
    done.budget_exhausted = cursors.budget_exhausted;
    app.metrics
        .storage_budget_exhausted
        .store(u64::from(done.budget_exhausted), Ordering::Relaxed);
    if budget > 0 {
        app.metrics
            .storage_allocated_bytes
            .store(done.allocated_bytes, Ordering::Relaxed);
    }
    app.metrics.statuses_pruned.fetch_add(
        (done.statuses_pruned + done.statuses_budget_pruned) as u64,
        Ordering::Relaxed,
    );
    app.metrics
        .accounts_pruned
        .fetch_add(done.accounts_pruned as u64, Ordering::Relaxed);

    for (index, (kind, _)) in crate::store::dictionaries::KINDS.iter().enumerate() {
        if store.dictionary_due(kind, now_ms)? && store.train_dictionary(kind, now_ms)?.is_some() {
            done.dictionaries_trained += 1;
            cursors.rewrite[index] = Some(0);
        }
        let mut moved_this_round = 0;
        while let Some(from) = cursors.rewrite[index] {
            let (moved, next) = store.rewrite_batch(kind, from, STEP_SCAN_MAX)?;
            done.records_rewritten += moved;
            moved_this_round += STEP_SCAN_MAX;
            cursors.rewrite[index] = next;
            if next.is_none() {
                // The pass is complete: no record names an older dictionary of this kind.
                store.drop_inactive_dictionaries(kind)?;
            }
            if moved_this_round >= REWRITE_PER_ROUND {
                break;
            }
        }
    }

    if !store.read(|tx| growth::sampled_today(tx, now_ms))? {
        let samples = store.sample_growth(now_ms)?;
        if let Some(allocated) = samples
            .iter()
            .find(|sample| sample.table == growth::ALLOCATED)
        {
            app.metrics
                .storage_allocated_bytes
                .store(allocated.bytes, Ordering::Relaxed);
        }
    }
    Ok(done)
}

/// Prunes untouched remote statuses created before `cutoff_ms` from `cursor` on, step by
/// step; with `until_bytes`, stops once the allocated bytes are under it. Returns how many
/// went.
fn prune_until(
    app: &App,
    cursor: &mut u64,
    cutoff_ms: u64,
    until_bytes: Option<u64>,
) -> Result<usize, AppError> {
    let mut pruned = 0;
    for _ in 0..ROUND_STEPS_MAX {
        let step = app.store.write(|tx| {
            retention::prune_statuses(
                tx,
                *cursor,
                cutoff_ms,
                STEP_SCAN_MAX,
                STEP_DELETE_MAX,
                app.bytes_max(),
            )
        })?;
        pruned += step.deleted;
        *cursor = step.next.unwrap_or(0);
        if step.next.is_none() {
            break;
        }
        if let Some(until) = until_bytes {
            if app.store.allocated_bytes()? <= until {
                break;
            }
        }
    }
    Ok(pruned)
}

/// Starts the housekeeping loop; it stops when `shutdown` turns true or its sender is dropped.
pub fn spawn(app: App, mut shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let interval = std::time::Duration::from_secs(app.config.retention.interval_secs);
        let mut cursors = Cursors::default();
        loop {
            tokio::select! {
                changed = shutdown.changed() => {
                    if changed.is_err() || *shutdown.borrow() {
                        return;
                    }
                }
                () = tokio::time::sleep(interval) => {}
            }
            let app_for_round = app.clone();
            let outcome = tokio::task::spawn_blocking(move || {
                let now = crate::util::time::now_ms();
                let result = round(&app_for_round, &mut cursors, now);
                (cursors, result)
            })
            .await;
            match outcome {
                Ok((returned, result)) => {
                    cursors = returned;
                    match result {
                        Ok(done) if done != Round::default() => {
                            tracing::debug!(?done, "housekeeping round")
                        }
                        Ok(_) => {}
                        Err(error) => tracing::warn!(%error, "housekeeping round failed"),
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "housekeeping round panicked");
                    cursors = Cursors::default();
                }
            }
        }
    })
}

/// The growth samples of the last two days (for `/metrics`, which shows the latest).
pub fn recent_samples(app: &App, now_ms: u64) -> Result<Vec<growth::Sample>, AppError> {
    Ok(app.store.read(|tx| growth::samples(tx, now_ms, 2))?)
}

/// `skerry storage report`: the latest sample per table with its growth per day over the
/// samples of the last `days` days, and a projection.
pub fn report(app: &App, now_ms: u64, days: u64) -> Result<String, AppError> {
    use std::fmt::Write as _;
    let samples = app.store.read(|tx| growth::samples(tx, now_ms, days))?;
    let mut out = String::new();
    let Some(last_day) = samples.iter().map(|sample| sample.day_ms).max() else {
        return Ok("no growth samples yet: the server takes one a day\n".into());
    };
    let first_day = samples
        .iter()
        .map(|sample| sample.day_ms)
        .min()
        .unwrap_or(last_day);
    let span_days = ((last_day - first_day) / DAY_MS).max(1);
    let _ = writeln!(
        out,
        "samples from {} to {} ({} days)",
        crate::util::time::iso8601_day(first_day),
        crate::util::time::iso8601_day(last_day),
        (last_day - first_day) / DAY_MS + 1
    );
    let _ = writeln!(
        out,
        "{:<40} {:>12} {:>14} {:>14} {:>14}",
        "table", "entries", "bytes", "bytes/day", "in 30 days"
    );
    let mut total_growth: i64 = 0;
    let mut latest: Vec<&growth::Sample> = samples
        .iter()
        .filter(|sample| sample.day_ms == last_day)
        .collect();
    latest.sort_by_key(|sample| std::cmp::Reverse(sample.bytes));
    for sample in latest {
        let first = samples
            .iter()
            .find(|old| old.table == sample.table && old.day_ms == first_day);
        let per_day = first.map_or(0, |first| {
            (sample.bytes as i64 - first.bytes as i64) / span_days as i64
        });
        if growth::is_table(&sample.table) {
            total_growth += per_day;
        }
        let projected = (sample.bytes as i64 + per_day * 30).max(0);
        let _ = writeln!(
            out,
            "{:<40} {:>12} {:>14} {:>+14} {:>14}",
            sample.table, sample.entries, sample.bytes, per_day, projected
        );
    }
    let _ = writeln!(out, "all tables: {total_growth:+} bytes/day");
    if let Some(allocated) = samples
        .iter()
        .find(|sample| sample.day_ms == last_day && sample.table == growth::ALLOCATED)
    {
        let budget = app.config.storage.db_bytes_max;
        if let Some(percent) = (allocated.bytes * 100).checked_div(budget) {
            let _ = writeln!(
                out,
                "budget: {budget} bytes, {} in use ({percent}%)",
                allocated.bytes
            );
            if total_growth > 0 && allocated.bytes < budget {
                let _ = writeln!(
                    out,
                    "at this rate the budget is reached in {} days; retention then prunes untouched remote content sooner",
                    (budget - allocated.bytes) / total_growth as u64
                );
            }
        }
    }
    Ok(out)
}
