//! The capacity planner: per-operation costs measured on this machine (`skerry capacity
//! --calibrate`), and a workload profile turned into RAM, disk per day, steady-state disk and
//! CPU share (`skerry capacity --profile FILE`).
//!
//! Calibration drives `CALIBRATION_ACTIVITIES` synthetic relay Creates (~1.2 KB of JSON each,
//! the median of the fixtures) through the real inbound path into a scratch database, trains
//! the dictionaries as the housekeeping job would, and divides: CPU time and bytes per status,
//! bytes per remote account, bytes per dedupe record. `tools/simulate` checks the projection
//! against days of simulated traffic.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::app::{App, AppError, remote};
use crate::config::Config;
use crate::model::InboundActivity;

use super::FederationError;

/// Activities ingested by a calibration: the first third must hold `SAMPLES_MIN` posts so the
/// rest is measured with dictionaries, as a running server is; ~10 s on tmpfs, well under a
/// minute on a disk with fsync, on the 2-core reference machine.
pub const CALIBRATION_ACTIVITIES: usize = 6_000;
/// Distinct authors among them (relay traffic: most authors post rarely).
const CALIBRATION_AUTHORS: usize = 1_400;
/// Signed inbox requests verified by a calibration (draft-cavage rsa-sha256 over a ~1.2 KB
/// body with its digest, RSA-2048): enough for a steady figure, ~0.1 s.
const CALIBRATION_SIGNATURES: usize = 1_000;
/// The daily growth sample: ~76 tables × ~90 bytes.
const GROWTH_SAMPLE_BYTES_PER_DAY: f64 = 7_000.0;
/// Largest profile file read, in bytes.
pub const PROFILE_BYTES_MAX: u64 = 64 * 1024;

/// Costs measured by `--calibrate`. Unknown fields are ignored, unlike a profile's: a
/// calibration is written by a program, perhaps another version of it, not typed by hand.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Calibration {
    /// CPU time to verify-free apply one inbound Create (parse, sanitize, store), in µs.
    pub cpu_us_per_activity: f64,
    /// CPU time to check the signature of one signed inbox request (parse, digest, RSA-2048
    /// verification), in µs: every delivered activity is one.
    #[serde(default)]
    pub cpu_us_per_signature: f64,
    /// Bytes on disk per stored remote status: record, URI, indexes, B-tree pages.
    pub bytes_per_status: f64,
    /// Bytes on disk per remote account: account, actor (key), acct and URI indexes, counts.
    pub bytes_per_account: f64,
    /// Bytes on disk per remembered activity id.
    pub bytes_per_seen_activity: f64,
    /// Bytes on disk per remembered deleted object id.
    #[serde(default)]
    pub bytes_per_tombstone: f64,
    /// Bytes of the record of one remote attachment (its URL, type, alt text, sizes, blurhash;
    /// the file itself is the media cache's, bounded by its own budgets).
    #[serde(default)]
    pub bytes_per_media: f64,
    /// Bytes of the trained dictionaries (a constant, a few per kind).
    pub dictionary_bytes: f64,
    /// Resident memory of the process before any work, in bytes.
    pub rss_base_bytes: f64,
    /// CPU time of one small durable commit (fsync included), in µs. Relay traffic arrives a
    /// few activities a second at most, so each is its own group commit: one to queue it, one
    /// to apply it.
    #[serde(default)]
    pub cpu_us_per_commit: f64,
    /// Resident memory a serving process adds to `rss_base_bytes` and the page cache once it
    /// ingests (the HTTP stack and runtime, the heaps of its worker and blocking threads, key
    /// caches). Not measured by `--calibrate`: `tools/capacity-check.sh` measured it against a
    /// real server (README, "The planner against a real server").
    #[serde(default = "rss_ingest_bytes_default")]
    pub rss_ingest_bytes: f64,
}

/// `Calibration::rss_ingest_bytes` as `tools/capacity-check.sh` measured it (release build,
/// 2-core VM): RSS under `skerry-load` at 200 and 1,000 activities/s (64–66 MB) less the
/// calibrating process's own (8 MB) and a full 16 MiB page cache.
fn rss_ingest_bytes_default() -> f64 {
    40e6
}

impl Default for Calibration {
    /// Figures measured by `tools/simulate` and `--calibrate` on the reference machine
    /// (2 shared cores), for a profile run without a calibration file.
    fn default() -> Self {
        Calibration {
            cpu_us_per_activity: 900.0,
            cpu_us_per_signature: 60.0,
            // Schema 3: the URI in the status record, actors' keys (each its own) as DER,
            // tombstones by hash, a media dictionary.
            bytes_per_status: 155.0,
            bytes_per_account: 750.0,
            bytes_per_seen_activity: 25.0,
            bytes_per_tombstone: 25.0,
            bytes_per_media: 265.0,
            dictionary_bytes: 4.0 * 16384.0,
            rss_base_bytes: 12e6,
            cpu_us_per_commit: 300.0,
            rss_ingest_bytes: rss_ingest_bytes_default(),
        }
    }
}

/// A workload: what the instance does in a day.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Profile {
    pub local_users: u64,
    /// Remote accounts local users follow (their posts are kept: touched).
    pub followed_accounts: u64,
    /// Posts a followed account makes per day.
    pub posts_per_followed_account_per_day: f64,
    /// Activities relays deliver per day (all relay subscriptions together).
    pub relay_activities_per_day: f64,
    /// Share of relay activities that are new posts.
    pub relay_post_share: f64,
    /// Share of relay activities that are boosts. A relay's boost makes no status of its own
    /// (`inbound::relay_content`): it costs its seen-activity record. (A boost of a post not
    /// stored yet brings the post: count those in `relay_post_share`.)
    pub relay_boost_share: f64,
    /// Share of relay activities that are deletes (each leaves a tombstone).
    pub relay_delete_share: f64,
    pub tombstone_days: f64,
    /// Distinct remote accounts seen within a retention window.
    pub remote_accounts_active: u64,
    /// Attachments per post, on average: each is a media record in the database (the files
    /// are the media cache's, bounded by `media.*` budgets, not counted here).
    pub media_share: f64,
    pub retention_days: f64,
    pub seen_activity_days: f64,
    /// The disk budget (`storage.db_bytes_max`), 0 for none.
    pub db_bytes_max: f64,
    /// The page cache (`storage.cache_bytes`).
    pub cache_bytes: f64,
    /// Cores of the machine.
    pub cores: f64,
}

impl Default for Profile {
    fn default() -> Self {
        Profile {
            local_users: 1,
            followed_accounts: 200,
            posts_per_followed_account_per_day: 3.0,
            relay_activities_per_day: 3_000.0,
            relay_post_share: 0.87,
            relay_boost_share: 0.10,
            relay_delete_share: 0.03,
            tombstone_days: 30.0,
            remote_accounts_active: 3_000,
            media_share: 0.2,
            retention_days: 30.0,
            seen_activity_days: 7.0,
            db_bytes_max: 0.0,
            cache_bytes: 16.0 * 1024.0 * 1024.0,
            cores: 1.0,
        }
    }
}

/// What a profile needs.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub ram_bytes: f64,
    pub disk_bytes_per_day: f64,
    /// Where the database levels off with retention (or the budget, if lower).
    pub steady_state_bytes: f64,
    /// Touched content (followed accounts' posts) keeps growing by this much a day.
    pub touched_bytes_per_day: f64,
    pub cpu_share: f64,
}

/// The projection of `profile` from `calibration`.
pub fn plan(profile: &Profile, calibration: &Calibration) -> Plan {
    let relay = profile.relay_activities_per_day;
    let relay_posts = relay * profile.relay_post_share;
    let deletes = relay * profile.relay_delete_share;
    let touched_posts =
        profile.followed_accounts as f64 * profile.posts_per_followed_account_per_day;
    let activities = relay + touched_posts;
    let per_status = calibration.bytes_per_status;
    let disk_bytes_per_day = (relay_posts + touched_posts) * per_status
        + (relay_posts + touched_posts) * profile.media_share * calibration.bytes_per_media
        + activities * calibration.bytes_per_seen_activity
        + deletes * calibration.bytes_per_tombstone
        + GROWTH_SAMPLE_BYTES_PER_DAY;
    let window = if profile.retention_days > 0.0 {
        profile.retention_days
    } else {
        f64::INFINITY
    };
    // Deletes remove posts of the window: what stays is posts minus deletes.
    let kept_per_day = (relay_posts - deletes).max(0.0);
    let mut steady = kept_per_day * window * per_status
        + (relay_posts - deletes).max(0.0)
            * window
            * profile.media_share
            * calibration.bytes_per_media
        + activities * profile.seen_activity_days * calibration.bytes_per_seen_activity
        + deletes * profile.tombstone_days * calibration.bytes_per_tombstone
        + profile.remote_accounts_active as f64 * calibration.bytes_per_account
        + calibration.dictionary_bytes
        + GROWTH_SAMPLE_BYTES_PER_DAY * window.min(400.0);
    if profile.db_bytes_max > 0.0 {
        steady = steady.min(profile.db_bytes_max);
    }
    Plan {
        ram_bytes: calibration.rss_base_bytes
            + if activities > 0.0 {
                calibration.rss_ingest_bytes
            } else {
                0.0
            }
            + profile.cache_bytes
            + profile.local_users as f64 * 256.0 * 1024.0,
        disk_bytes_per_day,
        steady_state_bytes: steady,
        touched_bytes_per_day: touched_posts * per_status,
        cpu_share: activities
            * (calibration.cpu_us_per_activity
                + calibration.cpu_us_per_signature
                + 2.0 * calibration.cpu_us_per_commit)
            / 86_400e6
            / profile.cores.max(1.0),
    }
}

/// Reads a profile file (TOML), refusing more than `PROFILE_BYTES_MAX` bytes.
pub fn read_profile(path: &std::path::Path) -> Result<Profile, String> {
    let length = std::fs::metadata(path)
        .map_err(|error| format!("{}: {error}", path.display()))?
        .len();
    if length > PROFILE_BYTES_MAX {
        return Err(format!(
            "{}: {length} bytes is over {PROFILE_BYTES_MAX}",
            path.display()
        ));
    }
    let text =
        std::fs::read_to_string(path).map_err(|error| format!("{}: {error}", path.display()))?;
    toml::from_str(&text).map_err(|error| format!("{}: {error}", path.display()))
}

/// The plan as text.
pub fn render(profile: &Profile, plan: &Plan) -> String {
    let mb = |bytes: f64| bytes / 1e6;
    let mut out = format!(
        "RAM: {:.0} MB (page cache {:.0} MB included)\n",
        mb(plan.ram_bytes),
        mb(profile.cache_bytes)
    );
    out.push_str(&format!(
        "disk per day: {:.2} MB (touched content, kept: {:.2} MB/day)\n",
        mb(plan.disk_bytes_per_day),
        mb(plan.touched_bytes_per_day)
    ));
    if profile.retention_days > 0.0 || profile.db_bytes_max > 0.0 {
        out.push_str(&format!(
            "steady-state disk: {:.2} MB (data in use) after {} days, plus the touched content\n",
            mb(plan.steady_state_bytes),
            profile.retention_days
        ));
    } else {
        out.push_str("steady-state disk: none (no retention and no budget: it grows)\n");
    }
    out.push_str(&format!(
        "CPU share: {:.3} % of {} core(s) for verifying, queueing and applying inbound activities (HTTP and media not included): {:.1} CPU seconds a day\n",
        plan.cpu_share * 100.0,
        profile.cores,
        plan.cpu_share * 86_400.0 * profile.cores.max(1.0)
    ));
    out
}

/// Process CPU time (user + system) in µs, from `/proc/self/stat`.
fn cpu_time_us() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) start at ')'.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // Linux reports in USER_HZ, 100 on every mainstream architecture.
    Some(ticks * 10_000.0)
}

/// CPU time of the calling thread in µs, from `/proc/thread-self/schedstat` (nanoseconds, so
/// short loops are measured finely, unlike the 10 ms ticks of `/proc/self/stat`).
fn thread_cpu_time_us() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanoseconds: f64 = text.split_whitespace().next()?.parse().ok()?;
    Some(nanoseconds / 1000.0)
}

/// CPU µs to check one signed inbox request: parse the `Signature` header, check the date and
/// the body's digest, verify RSA-2048 (what `federation::inbox` does before queueing).
fn calibrate_signature_us() -> Result<f64, FederationError> {
    use crate::sig::httpsig;
    let der = crate::sig::generate_rsa_pkcs8()?;
    let signing = crate::sig::SigningKey::from_pkcs8(&der)?;
    let public = crate::sig::PublicKey::from_pem(&crate::sig::public_key_pem(&der)?)?;
    let now_secs = crate::util::time::now_ms() / 1000;
    let (actor, activity) = synthetic_create(0, 0, now_secs * 1000);
    let body =
        serde_json::to_vec(&activity).map_err(|error| FederationError::Json(error.to_string()))?;
    let mut headers = http::HeaderMap::new();
    headers.insert(
        http::header::HOST,
        http::HeaderValue::from_static("skerry.example"),
    );
    let method = http::Method::POST;
    httpsig::sign_request(
        &signing,
        &format!("{actor}#main-key"),
        &method,
        "/inbox",
        &mut headers,
        Some(&body),
        now_secs,
    )?;
    let policy = httpsig::VerifyPolicy::default();
    let start = thread_cpu_time_us().unwrap_or(0.0);
    for _ in 0..CALIBRATION_SIGNATURES {
        let parsed = httpsig::parse(&headers)?;
        let request = httpsig::RequestParts {
            method: &method,
            scheme: "https",
            authority: "skerry.example",
            path_and_query: "/inbox",
            headers: &headers,
            body: Some(&body),
        };
        httpsig::verify_request(&parsed, &request, &public, now_secs, &policy)?;
    }
    Ok((thread_cpu_time_us().unwrap_or(0.0) - start) / CALIBRATION_SIGNATURES as f64)
}

/// Small durable commits timed by a calibration.
const CALIBRATION_COMMITS: usize = 200;

/// CPU µs of one small durable commit (a 64-byte value, fsync included), on this thread.
fn calibrate_commit_us(app: &App) -> Result<f64, AppError> {
    let start = thread_cpu_time_us().unwrap_or(0.0);
    for serial in 0..CALIBRATION_COMMITS {
        let value = [serial as u8; 64];
        app.store
            .write(|tx| crate::store::meta::put(tx, "calibration_commit", &value))?;
    }
    Ok((thread_cpu_time_us().unwrap_or(0.0) - start) / CALIBRATION_COMMITS as f64)
}

/// Resident memory now, from `/proc/self/status`.
fn rss_bytes() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024.0)
}

/// A synthetic relay Create of ~1.2 KB (the fixtures' median Note) by author `author`.
fn synthetic_create(author: usize, serial: usize, now_ms: u64) -> (String, serde_json::Value) {
    let actor = format!("https://host{}.example/users/author{author}", author % 200);
    let id = format!("{actor}/statuses/{}", 110_000_000 + serial);
    let words = [
        "the",
        "fediverse",
        "is",
        "small",
        "servers",
        "talking",
        "with",
        "each",
        "other",
        "about",
        "photos",
        "birds",
        "rust",
        "bread",
        "trains",
        "weather",
        "music",
        "today",
    ];
    let text: Vec<&str> = (0..40)
        .map(|n| words[(serial * 7 + n * 13) % words.len()])
        .collect();
    let content = format!(
        "<p>{} <a href=\"https://host{}.example/tags/rust\" class=\"mention hashtag\" rel=\"tag\">#<span>rust</span></a> <a href=\"https://example.org/article/{serial}\" rel=\"nofollow noopener\" target=\"_blank\">example.org/article/{serial}</a></p>",
        text.join(" "),
        author % 200
    );
    let published = crate::util::time::iso8601_ms(now_ms);
    // One post in four has a photo, as Mastodon sends it, so a media record is measured.
    let attachment = if serial % 4 == 0 {
        json!([{
            "type": "Document", "mediaType": "image/jpeg",
            "url": format!("https://host{}.example/system/media_attachments/files/{serial}/original/photo.jpg", author % 200),
            "name": "A photo of a bird on a branch, in the morning light",
            "blurhash": "UBL_:rOpGG-oBUNG,qRj2so|=eE1w^n4S5NH", "width": 1600, "height": 1200,
        }])
    } else {
        json!([])
    };
    let note = json!({
        "id": id, "type": "Note", "attributedTo": actor, "content": content,
        "contentMap": {"en": content}, "published": published, "url": id,
        "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [format!("{actor}/followers")],
        "sensitive": false, "summary": null,
        "tag": [{"type": "Hashtag", "href": format!("https://host{}.example/tags/rust", author % 200), "name": "#rust"}],
        "attachment": attachment,
    });
    let create = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{id}/activity"), "type": "Create", "actor": actor,
        "published": published, "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [format!("{actor}/followers")], "object": note,
    });
    (actor, create)
}

/// Table bytes and entries of a database, by groups of tables.
struct Measure {
    status: (f64, f64),
    account: (f64, f64),
    seen: (f64, f64),
    tombstone: (f64, f64),
    media: (f64, f64),
    dictionary: f64,
}

fn measure(app: &App) -> Result<Measure, crate::app::AppError> {
    let stats = app.store.stats(&app.config.database_path())?;
    let group = |names: &[&str]| -> (f64, f64) {
        let mut bytes = 0.0;
        let mut entries = 0.0;
        for table in stats
            .tables
            .iter()
            .filter(|table| names.contains(&table.name.as_str()))
        {
            bytes += (table.stored_bytes + table.metadata_bytes + table.fragmented_bytes) as f64;
            entries = f64::max(entries, table.entries as f64);
        }
        (bytes, entries)
    };
    Ok(Measure {
        status: group(&[
            "statusid_status",
            "urihash_statusid",
            "statusid_cardurl",
            "cardurlhash_statusid",
            "accountid_statusid",
            "public_statusid",
            "tagid_statusid",
            "parentid_statusid",
            "statusid_counts",
        ]),
        account: group(&[
            "accountid_account",
            "accountid_remoteactor",
            "actoruri_accountid",
            "acct_accountid",
            "accountid_counts",
        ]),
        seen: group(&["activityhash_seenms"]),
        tombstone: group(&["objecthash_deletedms"]),
        media: group(&["mediaid_media"]),
        dictionary: group(&["dictionaryid_kind_trainedms_dictionary"]).0,
    })
}

/// The cost of one more: bytes added per entry added between two measures (fixed costs such
/// as a table's first pages cancel out).
fn marginal(before: (f64, f64), after: (f64, f64)) -> f64 {
    let entries = after.1 - before.1;
    if entries <= 0.0 {
        return 0.0;
    }
    (after.0 - before.0) / entries
}

/// The calibration's relay (never reached: outbound requests are off).
const RELAY_ACTOR: &str = "https://relay.example/actor";
const RELAY_INBOX: &str = "https://relay.example/inbox";

/// Measures the costs on this machine, in a scratch database under `scratch` (removed after).
///
/// `CALIBRATION_ACTIVITIES` relay activities (posts, 10 % boosts, 3 % deletes, as
/// `tools/simulate` sends); dictionaries are trained after the first third, as the
/// housekeeping job would; the costs are what the second half (by new authors) added per
/// item. Not from the training on: moving the first records to a dictionary shrinks them and
/// leaves room in their pages, which the next inserts fill for nothing (that measured 100 B
/// per status where the 40-day simulation's status tables take 190).
pub async fn calibrate(
    base: &Config,
    scratch: &std::path::Path,
) -> Result<Calibration, FederationError> {
    let rss_base_bytes = rss_bytes().unwrap_or(0.0);
    let mut config = base.clone();
    config.storage.data_dir = scratch.to_path_buf();
    config.federation.outbound = false;
    // Nothing is fetched (outbound is off); the stand-in relay's domain must not be refused.
    config.federation.allowlist_mode = false;
    config.retention.remote_status_days = 0;
    let app = App::open(config).map_err(|error| FederationError::App(error.into()))?;
    let relay = stand_in(&app, RELAY_ACTOR).await?;
    // Subscribed and accepted (no Follow is sent: outbound is off), so that the boosts come
    // forwarded by it, as a relay's do, and make no status.
    app.run(|app| {
        use crate::app::admin::Actor;
        let (subscribed, _) = crate::app::relays::add(app, Actor::Operator, RELAY_INBOX)?;
        crate::app::relays::answer(app, subscribed.relay.id, RELAY_ACTOR, true)?;
        Ok(())
    })
    .await?;
    let now = crate::util::time::now_ms();
    let (trained, half) = (CALIBRATION_ACTIVITIES / 3, CALIBRATION_ACTIVITIES / 2);
    let mut known = std::collections::HashSet::new();
    let mut posts: Vec<(String, String)> = Vec::new();
    let mut cpu_us = 0.0;
    let mut first = None;
    for serial in 0..CALIBRATION_ACTIVITIES {
        if serial == trained {
            // Dictionaries, as the housekeeping job trains them.
            app.run(move |app| {
                for (kind, _) in crate::store::dictionaries::KINDS {
                    app.store.train_dictionary(kind, now)?;
                    let mut from = Some(0);
                    while let Some(start) = from {
                        from = app.store.rewrite_batch(kind, start, 1_000)?.1;
                    }
                }
                Ok(())
            })
            .await?;
        }
        if serial == half {
            first = Some(app.run(measure).await?);
        }
        let phase = usize::from(serial >= half);
        let author = (serial * 7919) % (CALIBRATION_AUTHORS / 2) + phase * CALIBRATION_AUTHORS / 2;
        let ms = now - 1000 * (CALIBRATION_ACTIVITIES - serial) as u64;
        let (actor, mut activity) = synthetic_create(author, serial, ms);
        let dice = (serial * 37) % 100;
        if dice < 10 && !posts.is_empty() {
            let (object, _) = &posts[(serial * 13) % posts.len()];
            activity = json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": format!("{actor}/boosts/{serial}"), "type": "Announce", "actor": actor,
                "to": ["https://www.w3.org/ns/activitystreams#Public"], "object": object,
            });
        } else if dice < 13 && !posts.is_empty() {
            let (object, by) = posts.swap_remove((serial * 13) % posts.len());
            activity = json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": format!("{object}#delete"), "type": "Delete", "actor": by,
                "object": {"id": object, "type": "Tombstone"},
            });
        } else {
            let id = activity["object"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            posts.push((id, actor.clone()));
        }
        let signer = if activity["type"] == "Announce" {
            RELAY_ACTOR.to_string()
        } else {
            activity["actor"].as_str().unwrap_or_default().to_string()
        };
        if known.insert(author) {
            // As a fetch of the actor would, and followed by the relay stand-in so the inbound
            // path keeps its posts.
            let author_id = stand_in(&app, &actor).await?;
            let follow_id = app.next_id();
            app.run(move |app| {
                Ok(app.store.write(|tx| {
                    crate::store::Edge::FOLLOW.add(tx, relay.0, author_id.0, follow_id)
                })?)
            })
            .await?;
        }
        let item = InboundActivity {
            signer,
            body: serde_json::to_vec(&activity)
                .map_err(|error| FederationError::Json(error.to_string()))?,
            received_ms: now,
        };
        let cpu_start = cpu_time_us().unwrap_or(0.0);
        // A refusal (a boost of a deleted post) costs what it costs, like in real traffic.
        let _ = super::inbound::apply_one(&app, &item).await;
        cpu_us += cpu_time_us().unwrap_or(0.0) - cpu_start;
    }
    let first = first.expect("measured at half way");
    let second = app.run(measure).await?;
    let cpu_us_per_signature = tokio::task::spawn_blocking(calibrate_signature_us)
        .await
        .map_err(|error| FederationError::App(AppError::Internal(error.to_string())))??;
    let cpu_us_per_commit = app.run(calibrate_commit_us).await?;
    let calibration = Calibration {
        cpu_us_per_activity: cpu_us / CALIBRATION_ACTIVITIES as f64,
        cpu_us_per_signature,
        cpu_us_per_commit,
        rss_ingest_bytes: rss_ingest_bytes_default(),
        bytes_per_status: marginal(first.status, second.status),
        bytes_per_account: marginal(first.account, second.account),
        bytes_per_seen_activity: marginal(first.seen, second.seen),
        // A tombstone is a (hash, time) entry like a seen activity's; the ~60 deletes of the
        // second half often fit the pages the first left, which measures as 0.
        bytes_per_tombstone: marginal(first.tombstone, second.tombstone)
            .max(marginal(first.seen, second.seen)),
        bytes_per_media: marginal(first.media, second.media),
        dictionary_bytes: second.dictionary,
        rss_base_bytes,
    };
    drop(app);
    let _ = std::fs::remove_dir_all(scratch);
    Ok(calibration)
}

/// A public key of the shape and size real actors have (an RSA-2048 SPKI) with a random
/// modulus of its own, as every real actor's key differs: a shared key would be learnt by the
/// dictionary and make actors look smaller than they are. The calibration's authors come as a
/// relay's do and never sign, so their keys are not stored (`ActorInput::keep_key`): one
/// stored key (the relay's) is too small a share to calibrate. Nothing verifies with it.
fn stand_in_key() -> String {
    // SEQUENCE, rsaEncryption, BIT STRING, RSAPublicKey SEQUENCE, INTEGER of 257 bytes.
    const HEAD: [u8; 33] = [
        0x30, 0x82, 0x01, 0x22, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
        0x01, 0x01, 0x05, 0x00, 0x03, 0x82, 0x01, 0x0f, 0x00, 0x30, 0x82, 0x01, 0x0a, 0x02, 0x82,
        0x01, 0x01, 0x00,
    ];
    let mut modulus = [0u8; 256];
    crate::util::random::fill(&mut modulus);
    modulus[0] |= 0x80;
    let der: Vec<u8> = HEAD
        .iter()
        .chain(&modulus)
        .chain(&[0x02, 0x03, 0x01, 0x00, 0x01])
        .copied()
        .collect();
    crate::util::pem::encode("PUBLIC KEY", &der)
}

/// A remote account known without the network (the calibration's authors and relay).
async fn stand_in(app: &App, uri: &str) -> Result<crate::model::AccountId, FederationError> {
    let host = super::fetch::host_of(uri).unwrap_or_default();
    let input = remote::ActorInput {
        uri: uri.to_string(),
        username: uri.rsplit('/').next().unwrap_or("someone").to_string(),
        display_name: "Someone posting".into(),
        note_html: "<p>Posting about things I like, mostly photos and links.</p>".into(),
        inbox: format!("{uri}/inbox"),
        shared_inbox: Some(format!("https://{host}/inbox")),
        followers: Some(format!("{uri}/followers")),
        url: Some(uri.to_string()),
        key_id: format!("{uri}#main-key"),
        public_key_pem: stand_in_key(),
        host,
        ..remote::ActorInput::default()
    };
    Ok(app.run(move |app| remote::upsert_actor(app, input)).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Retention bounds the disk; without it there is no steady state; a budget caps it.
    #[test]
    fn plans_follow_the_profile() {
        let calibration = Calibration::default();
        let profile = Profile::default();
        let planned = plan(&profile, &calibration);
        let relay_posts = 3_000.0 * 0.87;
        assert!(planned.steady_state_bytes > relay_posts * 30.0 * 220.0);
        assert!(planned.disk_bytes_per_day > relay_posts * 220.0);
        let longer = plan(
            &Profile {
                retention_days: 60.0,
                ..profile.clone()
            },
            &calibration,
        );
        assert!(longer.steady_state_bytes > planned.steady_state_bytes * 1.8);
        let capped = plan(
            &Profile {
                db_bytes_max: 1e6,
                ..profile.clone()
            },
            &calibration,
        );
        assert_eq!(capped.steady_state_bytes, 1e6);
        assert!(planned.cpu_share > 0.0 && planned.cpu_share < 1.0);
        let text: Profile =
            toml::from_str("relay_activities_per_day = 10\nretention_days = 7").unwrap();
        assert_eq!(text.retention_days, 7.0);
        assert!(toml::from_str::<Profile>("unknown = 1").is_err());
    }
}
