//! The inbound side's shared state: the group commit of the inbox (many verified activities,
//! one durable write), the count that backpressure reads, the bound on signature checks
//! running at once, and caches of signer keys (found and failed).
//!
//! The committer is the single writer of the inbound path: each of its transactions holds the
//! acknowledgements waiting (new queue rows) and, when the inbound worker has one ready, a
//! slice of prepared activities to apply (`ApplyJob`), cut short when acknowledgements wait.
//! So an acknowledgement never waits behind a separate apply transaction and its fsync.
//!
//! Architecture Invariant: an inbox answers 202 only after the commit that holds its activity
//! returned Ok; a failed commit answers every waiter with the error, so nothing acknowledged
//! is lost and nothing lost was acknowledged.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc, oneshot};

use crate::model::InboundActivity;
use crate::sig::PublicKey;
use crate::store::queues;

use super::{App, AppError};

/// Activities waiting for the committer at once; the inbox answers 503 when it is full.
pub const COMMIT_CHANNEL_CAPACITY: usize = 4096;
/// Activities in one durable commit of the inbox.
pub const COMMIT_BATCH_MAX: usize = 1024;
/// Bytes of activity bodies waiting for the committer at once: with the channel's capacity,
/// what bounds the committer's memory at any arrival rate.
pub const COMMIT_PENDING_BYTES_MAX: usize = 8 * 1024 * 1024;
/// Longest an apply slice runs inside one committer transaction while no acknowledgement
/// waits: bounds how long other writers (the client API, fetched actors) wait for the write
/// lock. A new acknowledgement cuts the slice short (`APPLY_SLICE_US_ACKS_WAITING`); long
/// slices make each commit's two fsyncs count for more activities.
pub const APPLY_SLICE_MS_MAX: u64 = 16;
/// Once acknowledgements wait, the apply slice stops after this long, so that they ride on
/// the next transaction soon: under a flood of deliveries, a peer's acknowledgement costs
/// about one and a half transactions, so this is kept short against the commit's fsync.
pub const APPLY_SLICE_US_ACKS_WAITING: u64 = 300;
/// What a 503 of a full queue asks peers to wait, in seconds.
pub const RETRY_AFTER_SECS: u64 = 30;
/// Signer keys kept parsed in memory.
pub const KEY_CACHE_ENTRIES_MAX: usize = 4096;
/// Key ids whose lookup failed, remembered so that a flood of requests naming a dead or
/// bogus key costs no fetch each (Fedify's CVE-2026-34148 asked for the same).
pub const KEY_FAILURES_MAX: usize = 4096;
/// How long a failed key lookup is remembered.
pub const KEY_FAILURE_TTL_MS: u64 = 5 * 60 * 1000;

/// Why an activity was not queued.
#[derive(Debug)]
pub enum EnqueueError {
    /// The queue is past `federation.inbound_queue_max`, or the committer is saturated.
    Full,
    Unavailable(AppError),
}

struct Pending {
    /// The activity's queue row (`queues::encode_inbound`), encoded by the inbox's task so
    /// that the single writer does not compress bodies inside its transaction.
    row: Vec<u8>,
    done: oneshot::Sender<Result<(), String>>,
}

/// Applies part of a slice of prepared activities inside the committer's transaction; the
/// predicate says when to stop taking activities (at least one is taken). An `Err` aborts
/// the transaction (the acknowledgements are then committed alone).
pub type ApplyFn = Box<
    dyn FnOnce(&App, &redb::WriteTransaction, &dyn Fn() -> bool) -> Result<(), AppError> + Send,
>;

/// The inbound worker's slice handed to the committer, answered after the commit.
pub struct ApplyJob {
    apply: ApplyFn,
    done: oneshot::Sender<Result<(), AppError>>,
}

/// A signer's key as last looked up: the key, its actor, when the actor was fetched.
#[derive(Clone)]
pub struct CachedKey {
    pub key: PublicKey,
    pub actor_uri: String,
    pub fetched_ms: u64,
}

/// Lives in `App`.
pub struct Ingest {
    /// The committer's end; set when the workers start (`spawn_committer`). Without it (tests
    /// that run no workers, offline tools) activities are committed one by one.
    sender: std::sync::OnceLock<mpsc::Sender<Pending>>,
    /// The committer's end for apply slices (one at a time: the worker holds `apply_turn`).
    jobs: std::sync::OnceLock<mpsc::Sender<ApplyJob>>,
    /// Activities committed to the inbound queue and not yet applied (the queue's length,
    /// kept here so that backpressure costs no read transaction).
    pub queued: AtomicU64,
    /// Activities the worker took off the queue since start (applied or refused), for
    /// `/metrics` and the load tool.
    pub applied_total: AtomicU64,
    /// Bytes of bodies in the channel (`COMMIT_PENDING_BYTES_MAX`).
    pending_bytes: Semaphore,
    /// Bounds signature checks running at once on the blocking pool
    /// (`federation.verify_threads_max`).
    pub verify_permits: Semaphore,
    /// Parsed keys by key id. A plain map behind a mutex: lookups are short, and when full it
    /// is cleared rather than kept in order (a refill costs a read per key).
    keys: Mutex<HashMap<String, CachedKey>>,
    /// Key ids whose lookup failed, with the time.
    key_failures: Mutex<HashMap<String, u64>>,
    /// Held by the inbound worker for a whole batch (prepare, apply, commit): a second
    /// caller (a test, a tool) waits instead of preparing and fetching for the same
    /// activities.
    pub apply_turn: tokio::sync::Mutex<()>,
}

impl Ingest {
    pub fn new(verify_threads_max: usize) -> Ingest {
        let threads = if verify_threads_max == 0 {
            std::thread::available_parallelism().map_or(2, usize::from)
        } else {
            verify_threads_max
        };
        Ingest {
            sender: std::sync::OnceLock::new(),
            jobs: std::sync::OnceLock::new(),
            queued: AtomicU64::new(0),
            applied_total: AtomicU64::new(0),
            pending_bytes: Semaphore::new(COMMIT_PENDING_BYTES_MAX),
            verify_permits: Semaphore::new(threads),
            keys: Mutex::new(HashMap::new()),
            key_failures: Mutex::new(HashMap::new()),
            apply_turn: tokio::sync::Mutex::new(()),
        }
    }

    pub fn cached_key(&self, key_id: &str) -> Option<CachedKey> {
        self.keys
            .lock()
            .expect("the key cache lock is never held across a panic")
            .get(key_id)
            .cloned()
    }

    pub fn cache_key(&self, key_id: &str, key: CachedKey) {
        let mut keys = self
            .keys
            .lock()
            .expect("the key cache lock is never held across a panic");
        if keys.len() >= KEY_CACHE_ENTRIES_MAX {
            keys.clear();
        }
        keys.insert(key_id.to_string(), key);
    }

    pub fn forget_key(&self, key_id: &str) {
        self.keys
            .lock()
            .expect("the key cache lock is never held across a panic")
            .remove(key_id);
    }

    /// Whether the lookup of `key_id` failed less than `KEY_FAILURE_TTL_MS` ago.
    pub fn key_failed_recently(&self, key_id: &str, now_ms: u64) -> bool {
        self.key_failures
            .lock()
            .expect("the failure cache lock is never held across a panic")
            .get(key_id)
            .is_some_and(|failed_ms| now_ms.saturating_sub(*failed_ms) < KEY_FAILURE_TTL_MS)
    }

    pub fn record_key_failure(&self, key_id: &str, now_ms: u64) {
        let mut failures = self
            .key_failures
            .lock()
            .expect("the failure cache lock is never held across a panic");
        if failures.len() >= KEY_FAILURES_MAX {
            failures.retain(|_, failed_ms| now_ms.saturating_sub(*failed_ms) < KEY_FAILURE_TTL_MS);
            if failures.len() >= KEY_FAILURES_MAX {
                failures.clear();
            }
        }
        failures.insert(key_id.to_string(), now_ms);
    }

    /// Whether acknowledgements wait in the committer's channel.
    fn acks_waiting(&self) -> bool {
        self.sender
            .get()
            .is_some_and(|sender| sender.capacity() < sender.max_capacity())
    }

    /// The worker took `count` activities off the queue.
    pub fn applied(&self, count: u64) {
        self.applied_total.fetch_add(count, Ordering::Relaxed);
        let _ = self
            .queued
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |queued| {
                Some(queued.saturating_sub(count))
            });
    }
}

/// Commits a verified activity to the inbound queue; Ok means it is on disk.
pub async fn enqueue(app: &App, item: InboundActivity) -> Result<(), EnqueueError> {
    if app.ingest.queued.load(Ordering::Relaxed) >= app.config.federation.inbound_queue_max {
        return Err(EnqueueError::Full);
    }
    let Some(sender) = app.ingest.sender.get() else {
        app.run(move |app| {
            app.store
                .write(|tx| queues::push_inbound(tx, app.next_id(), &item))?;
            Ok(())
        })
        .await
        .map_err(EnqueueError::Unavailable)?;
        app.ingest.queued.fetch_add(1, Ordering::Relaxed);
        app.inbound_ready.notify_one();
        return Ok(());
    };
    let bytes = u32::try_from(item.body.len()).unwrap_or(u32::MAX);
    // Held until the committer answers: bodies waiting in memory stay under the cap.
    let _bytes = app
        .ingest
        .pending_bytes
        .try_acquire_many(bytes)
        .map_err(|_| EnqueueError::Full)?;
    let row =
        queues::encode_inbound(&item).map_err(|error| EnqueueError::Unavailable(error.into()))?;
    drop(item);
    let (done, answer) = oneshot::channel();
    sender
        .try_send(Pending { row, done })
        .map_err(|_| EnqueueError::Full)?;
    match answer.await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(EnqueueError::Unavailable(AppError::Internal(error))),
        Err(_) => Err(EnqueueError::Unavailable(AppError::Internal(
            "the inbound committer stopped".into(),
        ))),
    }
}

/// Runs `apply` in the committer's next transaction, beside the acknowledgements waiting;
/// `None` when no committer runs (tests without workers, offline tools): the caller writes
/// itself.
pub async fn apply_in_committer(app: &App, apply: ApplyFn) -> Option<Result<(), AppError>> {
    let jobs = app.ingest.jobs.get()?;
    let (done, answer) = oneshot::channel();
    if jobs.send(ApplyJob { apply, done }).await.is_err() {
        return Some(Err(AppError::Internal(
            "the inbound committer stopped".into(),
        )));
    }
    Some(
        answer
            .await
            .unwrap_or_else(|_| Err(AppError::Internal("the inbound committer stopped".into()))),
    )
}

/// Starts the inbox's group commit (once per `App`; it runs until the runtime stops). Also
/// counts what is queued already (a restart resumes it).
pub fn spawn_committer(app: &App) -> Option<tokio::task::JoinHandle<()>> {
    let (sender, receiver) = mpsc::channel(COMMIT_CHANNEL_CAPACITY);
    if app.ingest.sender.set(sender).is_err() {
        return None;
    }
    let (job_sender, jobs) = mpsc::channel(1);
    let _ = app.ingest.jobs.set(job_sender);
    let queued = app.store.read(queues::count_inbound).unwrap_or(0);
    app.ingest.queued.store(queued, Ordering::Relaxed);
    Some(tokio::spawn(commit_loop(app.clone(), receiver, jobs)))
}

async fn commit_loop(
    app: App,
    mut receiver: mpsc::Receiver<Pending>,
    mut jobs: mpsc::Receiver<ApplyJob>,
) {
    let window = Duration::from_millis(app.config.federation.inbound_batch_window_ms);
    loop {
        let mut batch = Vec::new();
        let mut job = None;
        // Acknowledgements first: they are what a peer waits for.
        tokio::select! {
            biased;
            pending = receiver.recv() => match pending {
                Some(pending) => batch.push(pending),
                None => return,
            },
            next = jobs.recv() => match next {
                Some(next) => job = Some(next),
                None => return,
            },
        }
        if !batch.is_empty() {
            let deadline = tokio::time::Instant::now() + window;
            while batch.len() < COMMIT_BATCH_MAX {
                // What arrived during the last commit is taken at once; then the window,
                // unless a slice to apply waits (its transaction gives the time anyway).
                match receiver.try_recv() {
                    Ok(pending) => batch.push(pending),
                    Err(_) if window.is_zero() || job.is_some() => break,
                    Err(_) => {
                        tokio::select! {
                            biased;
                            pending = tokio::time::timeout_at(deadline, receiver.recv()) => match pending {
                                Ok(Some(pending)) => batch.push(pending),
                                _ => break,
                            },
                            next = jobs.recv(), if job.is_none() => match next {
                                Some(next) => job = Some(next),
                                None => break,
                            },
                        }
                    }
                }
            }
        }
        if job.is_none() {
            job = jobs.try_recv().ok();
        }
        while batch.len() < COMMIT_BATCH_MAX {
            match receiver.try_recv() {
                Ok(pending) => batch.push(pending),
                Err(_) => break,
            }
        }
        let items: Vec<Vec<u8>> = batch
            .iter_mut()
            .map(|pending| std::mem::take(&mut pending.row))
            .collect();
        let count = items.len() as u64;
        let (apply, job_done) = match job {
            Some(ApplyJob { apply, done }) => (Some(apply), Some(done)),
            None => (None, None),
        };
        let (acks, applied) = app
            .run(move |app| Ok::<_, AppError>(commit(app, &items, apply)))
            .await
            .unwrap_or_else(|error| {
                let message = error.to_string();
                (Err(message.clone()), Some(Err(AppError::Internal(message))))
            });
        if acks.is_ok() && count > 0 {
            app.ingest.queued.fetch_add(count, Ordering::Relaxed);
            app.inbound_ready.notify_one();
        }
        if let Err(error) = &acks {
            tracing::warn!(%error, "inbound queue commit failed");
        }
        for pending in batch {
            let _ = pending.done.send(acks.clone());
        }
        if let (Some(done), Some(applied)) = (job_done, applied) {
            let _ = done.send(applied);
        }
    }
}

/// One committer transaction: the acknowledgements' queue rows and, if given, a slice of
/// applies. If the apply fails, the acknowledgements are committed alone. Returns the
/// acknowledgements' outcome and the apply's.
fn commit(
    app: &App,
    items: &[Vec<u8>],
    apply: Option<ApplyFn>,
) -> (Result<(), String>, Option<Result<(), AppError>>) {
    let push = |tx: &redb::WriteTransaction| {
        if !items.is_empty() {
            queues::push_inbound_rows(tx, items.iter().map(|row| (app.next_id(), row.as_slice())))?;
        }
        Ok::<_, AppError>(())
    };
    let Some(apply) = apply else {
        return (
            app.store.write(push).map_err(|error| error.to_string()),
            None,
        );
    };
    let started = std::time::Instant::now();
    let stop = || {
        let elapsed = started.elapsed();
        elapsed >= Duration::from_millis(APPLY_SLICE_MS_MAX)
            || (elapsed >= Duration::from_micros(APPLY_SLICE_US_ACKS_WAITING)
                && app.ingest.acks_waiting())
    };
    let mut apply_failed = false;
    let result = app.write(|tx| {
        push(tx)?;
        apply(app, tx, &stop).inspect_err(|_| apply_failed = true)
    });
    match result {
        Ok(()) => (Ok(()), Some(Ok(()))),
        Err(error) if apply_failed && !items.is_empty() => {
            let acks = app.store.write(push).map_err(|error| error.to_string());
            (acks, Some(Err(error)))
        }
        Err(error) => (Err(error.to_string()), Some(Err(error))),
    }
}
