//! Counters exported on `/metrics`. Atomics, so counting costs no lock on the request path.

use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct Metrics {
    /// Responses by class: 2xx, 3xx, 4xx, 5xx (index 0 to 3).
    pub http_responses: [AtomicU64; 4],
    pub statuses_created: AtomicU64,
    pub logins_failed: AtomicU64,
    pub tokens_issued: AtomicU64,
    /// Remote statuses and accounts removed by retention (`housekeeping`).
    pub statuses_pruned: AtomicU64,
    pub accounts_pruned: AtomicU64,
    /// Bytes allocated in the database file at the last budget check or daily sample (a gauge).
    pub storage_allocated_bytes: AtomicU64,
    /// 1 while the database is over `storage.db_bytes_max` with only touched content left.
    pub storage_budget_exhausted: AtomicU64,
    /// Peers' custom emojis that nothing used any more, removed by housekeeping.
    pub emojis_swept: AtomicU64,
}

impl Metrics {
    pub fn count_response(&self, http_status: u16) {
        let class = usize::from(http_status / 100).clamp(2, 5) - 2;
        self.http_responses[class].fetch_add(1, Ordering::Relaxed);
    }

    pub fn add(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}
