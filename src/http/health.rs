//! Health, readiness, Prometheus metrics and the default avatar.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

use crate::app::{App, instance};

pub async fn health() -> &'static str {
    "OK"
}

/// Ready when the database answers a read.
pub async fn ready(State(app): State<App>) -> impl IntoResponse {
    match app.run(instance::stats).await {
        Ok(_) => (StatusCode::OK, "OK"),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable"),
    }
}

/// Prometheus text format (version 0.0.4).
pub async fn metrics(State(app): State<App>) -> impl IntoResponse {
    let metrics = &app.metrics;
    let mut out = String::new();
    out.push_str("# HELP skerry_http_responses_total HTTP responses by status class.\n# TYPE skerry_http_responses_total counter\n");
    for (index, class) in ["2xx", "3xx", "4xx", "5xx"].iter().enumerate() {
        let _ = writeln!(
            out,
            "skerry_http_responses_total{{class=\"{class}\"}} {}",
            metrics.http_responses[index].load(Ordering::Relaxed)
        );
    }
    for (name, help, counter) in [
        (
            "skerry_statuses_created_total",
            "Statuses posted by local users.",
            &metrics.statuses_created,
        ),
        (
            "skerry_logins_failed_total",
            "Failed password logins.",
            &metrics.logins_failed,
        ),
        (
            "skerry_tokens_issued_total",
            "OAuth access tokens issued.",
            &metrics.tokens_issued,
        ),
        (
            "skerry_retention_statuses_pruned_total",
            "Remote statuses no local user touched, removed by retention or the disk budget.",
            &metrics.statuses_pruned,
        ),
        (
            "skerry_retention_accounts_pruned_total",
            "Remote accounts nothing referred to, removed by retention.",
            &metrics.accounts_pruned,
        ),
        (
            "skerry_retention_emojis_swept_total",
            "Peers' custom emojis no status or account used any more, removed.",
            &metrics.emojis_swept,
        ),
    ] {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
            counter.load(Ordering::Relaxed)
        );
    }
    let _ = writeln!(
        out,
        "# HELP skerry_inbound_queued Verified activities waiting to be applied.\n# TYPE skerry_inbound_queued gauge\nskerry_inbound_queued {}",
        app.ingest.queued.load(Ordering::Relaxed)
    );
    let _ = writeln!(
        out,
        "# HELP skerry_inbound_applied_total Activities taken off the inbound queue (applied or refused).\n# TYPE skerry_inbound_applied_total counter\nskerry_inbound_applied_total {}",
        app.ingest.applied_total.load(Ordering::Relaxed)
    );
    if let Ok(stats) = app.run(instance::stats).await {
        let _ = writeln!(
            out,
            "# HELP skerry_local_users Local accounts.\n# TYPE skerry_local_users gauge\nskerry_local_users {}",
            stats.users
        );
        let _ = writeln!(
            out,
            "# HELP skerry_local_statuses Public statuses of local accounts.\n# TYPE skerry_local_statuses gauge\nskerry_local_statuses {}",
            stats.statuses
        );
    }
    if let Ok(totals) = app
        .run(|app| Ok(app.store.read(crate::store::media::totals)?))
        .await
    {
        let _ = writeln!(
            out,
            "# HELP skerry_media_tier_bytes Bytes of media blobs per tier.\n# TYPE skerry_media_tier_bytes gauge"
        );
        for (tier, bytes) in [
            ("local", totals.local_bytes),
            ("hot", totals.hot_bytes),
            ("cold", totals.cold_bytes),
        ] {
            let _ = writeln!(out, "skerry_media_tier_bytes{{tier=\"{tier}\"}} {bytes}");
        }
        let _ = writeln!(
            out,
            "# HELP skerry_media_tier_blobs Media blobs per tier.\n# TYPE skerry_media_tier_blobs gauge"
        );
        for (tier, count) in [
            ("local", totals.local_count),
            ("hot", totals.hot_count),
            ("cold", totals.cold_count),
        ] {
            let _ = writeln!(out, "skerry_media_tier_blobs{{tier=\"{tier}\"}} {count}");
        }
        let _ = writeln!(
            out,
            "# HELP skerry_media_hot_bytes_max The hot tier's budget.\n# TYPE skerry_media_hot_bytes_max gauge\nskerry_media_hot_bytes_max {}",
            app.config.media.hot_bytes_max
        );
    }
    if let Some(free) = app.media.blobs.disk_free_bytes() {
        let _ = writeln!(
            out,
            "# HELP skerry_media_disk_free_bytes Free space on the data directory's disk.\n# TYPE skerry_media_disk_free_bytes gauge\nskerry_media_disk_free_bytes {free}"
        );
    }
    if let Ok(sizes) = app.store.file_sizes() {
        let _ = writeln!(
            out,
            "# HELP skerry_database_file_bytes Size of the database file.\n# TYPE skerry_database_file_bytes gauge\nskerry_database_file_bytes {}",
            sizes.length
        );
        let _ = writeln!(
            out,
            "# HELP skerry_database_disk_bytes Disk the database file takes (its blocks, as du counts; its length also counts the hole redb leaves when it grows the file).\n# TYPE skerry_database_disk_bytes gauge\nskerry_database_disk_bytes {}",
            sizes.disk
        );
    }
    let _ = writeln!(
        out,
        "# HELP skerry_storage_allocated_bytes Bytes allocated in the database file, at the last budget check or daily sample.\n# TYPE skerry_storage_allocated_bytes gauge\nskerry_storage_allocated_bytes {}",
        metrics.storage_allocated_bytes.load(Ordering::Relaxed)
    );
    let _ = writeln!(
        out,
        "# HELP skerry_storage_budget_exhausted 1 when the database is over storage.db_bytes_max and only touched content is left to prune.\n# TYPE skerry_storage_budget_exhausted gauge\nskerry_storage_budget_exhausted {}",
        metrics.storage_budget_exhausted.load(Ordering::Relaxed)
    );
    // The latest daily growth sample, per table.
    let now = crate::util::time::now_ms();
    if let Ok(samples) = app
        .run(move |app| crate::app::housekeeping::recent_samples(app, now))
        .await
    {
        let last_day = samples.iter().map(|sample| sample.day_ms).max();
        out.push_str("# HELP skerry_table_bytes Bytes of a table at the latest daily sample.\n# TYPE skerry_table_bytes gauge\n");
        for sample in samples
            .iter()
            .filter(|sample| Some(sample.day_ms) == last_day)
        {
            let _ = writeln!(
                out,
                "skerry_table_bytes{{table=\"{}\"}} {}",
                sample.table, sample.bytes
            );
        }
        out.push_str("# HELP skerry_table_entries Entries of a table at the latest daily sample.\n# TYPE skerry_table_entries gauge\n");
        for sample in samples
            .iter()
            .filter(|sample| Some(sample.day_ms) == last_day)
        {
            let _ = writeln!(
                out,
                "skerry_table_entries{{table=\"{}\"}} {}",
                sample.table, sample.entries
            );
        }
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}

/// A 1×1 grey PNG for accounts without an avatar or header (media come with the media issue).
const MISSING_PNG: [u8; 67] = [
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x3a, 0x7e, 0x9b,
    0x55, 0x00, 0x00, 0x00, 0x0a, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0x68, 0x00, 0x00, 0x00,
    0x82, 0x00, 0x81, 0xda, 0x45, 0x08, 0x3b, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

pub async fn missing_image() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "public, max-age=604800, immutable"),
        ],
        MISSING_PNG,
    )
}
