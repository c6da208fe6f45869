//! Housekeeping: the continuous job that keeps the database at the size the admin chose.
//! Every `retention.interval_secs` one round runs, as many small transactions:
//! - remote statuses no local user touched, older than `retention.remote_status_days`, go
//!   (`store::retention`); remote accounts nothing refers to any more follow them;
//! - peers' custom emojis that no status or account uses any more go (`app::emoji`);
//! - applied-activity ids, tombstones and idempotency keys past their windows go;
//! - with a disk budget (`storage.db_bytes_max`), above a high mark (`BUDGET_HIGH_PERCENT` of
//!   the allocation ceiling, `budget_ceiling`, less twice the transient writes seen) untouched
//!   remote statuses go oldest first whatever their age, until `BUDGET_HYSTERESIS_PERCENT`
//!   under it, so that the FILE stays within the budget; when only touched content is left, a
//!   warning in the log and on `/metrics`;
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
/// Above this share of the allocation ceiling (`budget_ceiling`), less twice the largest
/// transient seen at a check (`Cursors::transient_bytes`), retention tightens. The rest is
/// headroom for the pages a group commit's non-durable transactions copy and free, which redb
/// hands out again only after the batch's durable commit (in the simulation, a batch of ~125
/// activities took up to 10 % of an 8 MB file for a moment, invisible to a check between
/// batches), and for free pages that are not where an allocation can use them (the buddy
/// allocator needs aligned runs for anything over a page). The file grew once 77 % of it was
/// in use at the last check under an 80 % mark; not at 70 %.
pub const BUDGET_HIGH_PERCENT: u64 = 70;
/// ... until the allocated pages are this share of the ceiling under the high mark.
pub const BUDGET_HYSTERESIS_PERCENT: u64 = 5;
/// Statuses deleted in one step of budget pruning. Smaller than `STEP_DELETE_MAX`: a step
/// copies every index page it changes (the URI-hash and per-account indexes are spread over
/// the whole tree) and the old copies stay allocated until the next commit, so a large step
/// would itself use up the headroom.
pub const BUDGET_STEP_DELETE_MAX: usize = 50;

/// The most the allocated pages may take for the file to stay within `budget_bytes`.
///
/// redb never shrinks a file except for free pages at its end, and when its allocator has no
/// free page left it grows the file by doubling its usable space (one region up to 4 GiB).
/// So while a doubling still fits (`file_bytes` at most half the budget) the budget itself is
/// the ceiling, and nothing needs pruning yet; once the next doubling would cross the budget,
/// the file as it is becomes the ceiling, and the pruner keeps free pages in it so that redb
/// reuses them instead of growing. The file's plateau is therefore between half the budget and
/// the budget. A file already over the budget (a budget lowered, a database from before) keeps
/// its length; the data in it is held under the budget.
pub fn budget_ceiling(budget_bytes: u64, file_bytes: u64) -> u64 {
    if file_bytes < budget_bytes && file_bytes.saturating_mul(2) > budget_bytes {
        file_bytes
    } else {
        budget_bytes
    }
}
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
    tombstones: Option<u64>,
    rewrite: [Option<u64>; crate::store::dictionaries::KINDS.len()],
    /// When the current (or last) pass of statuses, accounts and dedupe records started.
    passes_started_ms: [u64; 3],
    /// Where the pass of budget pruning goes on, what it deleted so far, and whether the last
    /// complete pass found only touched content while over budget.
    budget: u64,
    budget_pass_deleted: usize,
    budget_exhausted: bool,
    /// The largest count of freed pages not yet reusable seen at a check: at a round's start
    /// (what was written since the last durable commit) and after the steps of budget pruning.
    /// Decays by 1/64 a round, so one burst counts for about an hour.
    transient_bytes: u64,
    /// Where the sweep of peers' emojis goes on (`None`: from the first), whether a pass is
    /// under way, and when the last one started.
    emoji: Option<(String, String)>,
    emoji_in_pass: bool,
    emoji_pass_started_ms: u64,
}

/// Keeps the largest transient seen, decaying the old one by 1/64.
fn note_transient(cursors: &mut Cursors, bytes: u64) {
    let decayed = cursors.transient_bytes - cursors.transient_bytes / 64;
    cursors.transient_bytes = decayed.max(bytes);
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
    /// The database file's length at the budget check (0 without a budget).
    pub file_bytes: u64,
    /// The transient the budget's high mark leaves room for (`Cursors::transient_bytes`).
    pub transient_bytes: u64,
    /// The budget is exceeded and only touched content is left.
    pub budget_exhausted: bool,
    /// Peers' emojis that nothing uses any more, removed.
    pub emojis_swept: usize,
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
        done.statuses_pruned +=
            prune_until(app, &mut cursors.statuses, cutoff, STEP_DELETE_MAX, None)?;
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
    // Peers' emojis after the statuses and accounts that used them.
    let emoji_due = pass_due(
        &mut cursors.emoji_pass_started_ms,
        cursors.emoji_in_pass,
        now_ms,
    );
    for _ in 0..if emoji_due { ROUND_STEPS_MAX } else { 0 } {
        let step = store.write(|tx| {
            if !super::emoji::fill_uses_step(app, tx, STEP_SCAN_MAX)? {
                return Ok::<_, AppError>(None);
            }
            let after = cursors
                .emoji
                .as_ref()
                .map(|(domain, shortcode)| (domain.as_str(), shortcode.as_str()));
            Ok(Some(super::emoji::sweep_step(
                app,
                tx,
                after,
                STEP_SCAN_MAX,
            )?))
        })?;
        let Some(step) = step else {
            // The uses index is being filled: the pass waits for it.
            cursors.emoji_in_pass = true;
            continue;
        };
        done.emojis_swept += step.emojis;
        cursors.emoji = step.next;
        cursors.emoji_in_pass = !step.done;
        if step.done {
            cursors.emoji = None;
            break;
        }
    }
    let dedupe_due = pass_due(
        &mut cursors.passes_started_ms[2],
        cursors.seen.is_some() || cursors.tombstones.is_some() || cursors.seen_hashes.is_some(),
        now_ms,
    );
    let dedupe_steps = if dedupe_due { ROUND_STEPS_MAX } else { 0 };
    for (table, days, cursor) in [(
        schema::SEEN_ACTIVITIES,
        retention_config.seen_activity_days,
        &mut cursors.seen,
    )] {
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
    for (table, days, cursor) in [
        (
            schema::SEEN_HASHES,
            retention_config.seen_activity_days,
            &mut cursors.seen_hashes,
        ),
        (
            schema::TOMBSTONE_HASHES,
            retention_config.tombstone_days,
            &mut cursors.tombstones,
        ),
    ] {
        let cutoff = now_ms.saturating_sub(days * DAY_MS);
        for _ in 0..dedupe_steps {
            let (expired, next) = store.write(|tx| {
                retention::expire_by_time_u64(tx, table, *cursor, cutoff, STEP_SCAN_MAX)
            })?;
            done.dedupe_expired += expired;
            *cursor = next;
            if next.is_none() {
                break;
            }
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
        let unsettled = store.allocated_bytes()?;
        store.release_freed_pages()?;
        done.allocated_bytes = store.allocated_bytes()?;
        done.file_bytes = store.file_bytes()?;
        note_transient(cursors, unsettled.saturating_sub(done.allocated_bytes));
    }
    let ceiling = budget_ceiling(budget, done.file_bytes);
    let high = (ceiling / 100 * BUDGET_HIGH_PERCENT).saturating_sub(2 * cursors.transient_bytes);
    done.transient_bytes = cursors.transient_bytes;
    if budget > 0 && done.allocated_bytes > high {
        // Oldest untouched first, whatever their age, until under the low mark. The pass goes
        // on where the last round left it, so touched content at the front is read once a
        // pass, not every round.
        let low = high.saturating_sub(ceiling / 100 * BUDGET_HYSTERESIS_PERCENT);
        let pruned = prune_until(
            app,
            &mut cursors.budget,
            now_ms,
            BUDGET_STEP_DELETE_MAX,
            Some(low),
        )?;
        done.statuses_budget_pruned = pruned;
        cursors.budget_pass_deleted += pruned;
        // What the steps left queued as freed is the steps' transient.
        let unsettled = store.allocated_bytes()?;
        store.release_freed_pages()?;
        done.allocated_bytes = store.allocated_bytes()?;
        note_transient(cursors, unsettled.saturating_sub(done.allocated_bytes));
        done.transient_bytes = cursors.transient_bytes;
        done.file_bytes = store.file_bytes()?;
        let over = done.allocated_bytes > high;
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
                    file_bytes = done.file_bytes,
                    budget_bytes = budget,
                    ceiling_bytes = ceiling,
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
    app.metrics
        .emojis_swept
        .fetch_add(done.emojis_swept as u64, Ordering::Relaxed);

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
/// step, at most `delete_max` a step; with `until_bytes`, stops once the allocated bytes are
/// under it. Returns how many went.
fn prune_until(
    app: &App,
    cursor: &mut u64,
    cutoff_ms: u64,
    delete_max: usize,
    until_bytes: Option<u64>,
) -> Result<usize, AppError> {
    let mut pruned = 0;
    for _ in 0..ROUND_STEPS_MAX {
        let step = app.store.write(|tx| {
            let step = retention::prune_statuses(
                tx,
                *cursor,
                cutoff_ms,
                STEP_SCAN_MAX,
                delete_max,
                app.bytes_max(),
            )?;
            // Their attachments' records go with them; files nothing names any more go with
            // eviction and the orphan sweep, as for a status its author deleted.
            for media in &step.media {
                super::media::drop_media(app, tx, *media)?;
            }
            Ok::<_, AppError>(step)
        })?;
        pruned += step.deleted;
        *cursor = step.next.unwrap_or(0);
        if step.next.is_none() {
            break;
        }
        if let Some(until) = until_bytes {
            // What the step freed is reusable only after a later durable commit: released
            // first, or the count would stay high and the loop delete far past `until`.
            app.store.release_freed_pages()?;
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
    let mut latest: Vec<growth::Sample> = samples
        .iter()
        .filter(|sample| sample.day_ms == last_day)
        .cloned()
        .collect();
    // An empty table has no row (`store::growth`): one sampled on the first day and not on
    // the last shrank to nothing.
    for old in samples.iter().filter(|sample| sample.day_ms == first_day) {
        if !latest.iter().any(|sample| sample.table == old.table) {
            latest.push(growth::Sample {
                day_ms: last_day,
                table: old.table.clone(),
                entries: 0,
                bytes: 0,
            });
        }
    }
    latest.sort_by_key(|sample| std::cmp::Reverse(sample.bytes));
    for sample in &latest {
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
    // The file as it is now: its length counts the hole redb leaves when it grows the file,
    // its disk use does not (`growth::FileSizes`).
    if let Ok(sizes) = app.store.file_sizes() {
        let _ = writeln!(
            out,
            "database file now: {} bytes long, {} bytes on disk",
            sizes.length, sizes.disk
        );
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ceiling_is_the_file_once_its_next_doubling_would_cross_the_budget() {
        const MB: u64 = 1_000_000;
        // A doubling still fits: the budget, and nothing to prune below the file's length.
        assert_eq!(budget_ceiling(12 * MB, 4 * MB), 12 * MB);
        assert_eq!(budget_ceiling(12 * MB, 6 * MB), 12 * MB);
        // It would not: the file as it is, so redb reuses its free pages.
        assert_eq!(budget_ceiling(12 * MB, 6 * MB + 1), 6 * MB + 1);
        assert_eq!(budget_ceiling(12 * MB, 9 * MB), 9 * MB);
        // Already over (a budget lowered): the budget bounds the data in it.
        assert_eq!(budget_ceiling(12 * MB, 12 * MB), 12 * MB);
        assert_eq!(budget_ceiling(12 * MB, 28 * MB), 12 * MB);
        // Far from it, a round prunes nothing: its high mark is above the whole file.
        assert!(budget_ceiling(12 * MB, 5 * MB) / 100 * BUDGET_HIGH_PERCENT > 5 * MB);
    }
}
