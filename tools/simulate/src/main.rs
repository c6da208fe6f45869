//! `skerry-simulate`: N simulated days of relay-heavy traffic through Skerry's real ingest
//! path (`federation::inbound::apply_one`, `app::remote`) with a manual clock, and the real
//! housekeeping job (`app::housekeeping::round`) every simulated hour.
//!
//! Three runs: retention off, retention on, retention on with a disk budget. Writes
//! `OUT/growth.csv` (database size per simulated day and run: file length, allocated bytes,
//! disk use), `OUT/growth.svg` (the chart), `OUT/tables-RUN.txt` (the largest tables at the
//! end) and `OUT/bytes-per-status.md`: the same statuses as raw JSON, as zstd JSON, in SQLite
//! with a GoToSocial-like schema, and in Skerry with all its indexes, by allocated bytes, by
//! disk use and by file length.
//!
//! Traffic comes as from a Mastodon-style relay, through Skerry's relay path: the relay
//! forwards each author's Create, Announce and Delete with its own signature, and the server
//! fetches each post from its origin and each author's actor document, from servers this
//! tool runs on loopback (127.0.0.1 only: a port per simulated host; the server runs in
//! allowlist mode with only 127.0.0.1 allowed, so the links and media URLs of the fixtures'
//! posts are never fetched). The authors the local user follows deliver to it themselves,
//! signed. Every simulated actor has a public key of its own (random, of a real key's shape),
//! as real peers do: a dictionary cannot learn them, and the server keeps only the keys of
//! actors that sign to it.
//!
//! Statuses are the Notes of `../shared/fixtures/activitypub` (all software), each sent again
//! under new ids by authors drawn from a skewed pool: mostly Creates, some Announces of
//! earlier statuses (a relay's makes no reblog: only its seen record), a few Deletes (the
//! post's origin then answers 404). One local user follows a few authors, so part of the
//! traffic is touched and must survive retention.
//!
//! Usage: `cargo run --release -p skerry-simulate -- [--days N] [--per-day N]
//! [--retention-days N] [--budget-bytes N] [--fixtures DIR] [--out DIR] [--runs off,on,budget]
//! [--no-planner] [--fail-over-budget]`

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{Context, bail};
use serde_json::{Value, json};
use skerry::app::housekeeping::{self, Cursors};
use skerry::app::{App, remote};
use skerry::config::{Config, Overrides};
use skerry::federation::inbound;
use skerry::model::InboundActivity;

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
const DAY_MS: u64 = 24 * 3600 * 1000;
/// Simulated time starts here (2026-01-01), so statuses are in the past of the wall clock.
const START_MS: u64 = 1_767_225_600_000;
/// Housekeeping rounds per simulated day (the server runs one a minute; an hour's worth of
/// traffic per round keeps the simulation quick and the steps as small).
const ROUNDS_PER_DAY: usize = 24;
/// Remote hosts the authors live on.
const HOSTS: usize = 200;
/// Authors the local user follows (the last of the pool, who post rarely: relay traffic
/// dwarfs what an instance's users follow).
const FOLLOWED: usize = 20;
/// The DER of an RSA-2048 SubjectPublicKeyInfo before the modulus: SEQUENCE, the
/// rsaEncryption AlgorithmIdentifier, BIT STRING, RSAPublicKey SEQUENCE, INTEGER of 257
/// bytes (a zero, then the 256 bytes of the modulus).
const SPKI_RSA_2048_HEAD: [u8; 33] = [
    0x30, 0x82, 0x01, 0x22, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01,
    0x01, 0x05, 0x00, 0x03, 0x82, 0x01, 0x0f, 0x00, 0x30, 0x82, 0x01, 0x0a, 0x02, 0x82, 0x01, 0x01,
    0x00,
];
/// The public exponent 65537 that ends it.
const SPKI_RSA_2048_TAIL: [u8; 5] = [0x02, 0x03, 0x01, 0x00, 0x01];

/// A public key of the shape real actors have (an RSA-2048 SPKI as PEM) and its own random
/// modulus, so that no actor shares its key with another: the dictionaries cannot learn keys,
/// as with real peers. Nothing verifies signatures here, so the key need not be a real one.
fn public_key_pem(index: usize) -> String {
    use base64::Engine;
    let mut random = Random(
        0x6b65_795f_0000_0000
            ^ (index as u64)
                .wrapping_add(1)
                .wrapping_mul(0x9e37_79b9_7f4a_7c15),
    );
    let mut der = SPKI_RSA_2048_HEAD.to_vec();
    for _ in 0..256 / 8 {
        der.extend_from_slice(&random.next().to_be_bytes());
    }
    // The top bit set: a 2048-bit modulus, odd as an RSA modulus is.
    der[SPKI_RSA_2048_HEAD.len()] |= 0x80;
    *der.last_mut().expect("256 bytes") |= 1;
    der.extend_from_slice(&SPKI_RSA_2048_TAIL);
    let body = base64::engine::general_purpose::STANDARD.encode(&der);
    let mut pem = String::from("-----BEGIN PUBLIC KEY-----\n");
    for line in body.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        pem.push('\n');
    }
    pem.push_str("-----END PUBLIC KEY-----\n");
    pem
}

struct Options {
    days: u64,
    per_day: usize,
    retention_days: u64,
    budget_bytes: u64,
    fixtures: PathBuf,
    out: PathBuf,
    runs: Vec<String>,
    /// Calibrate and compare the planner (2,000 durable ingests: skipped by CI's smoke run).
    planner: bool,
    /// Only draw the chart again from an earlier run's `growth.csv`.
    chart_from: Option<PathBuf>,
    /// Exit with an error if the budget run's file ever ends a housekeeping round over the
    /// budget (CI's smoke run).
    fail_over_budget: bool,
}

fn options() -> anyhow::Result<Options> {
    let mut options = Options {
        days: 30,
        per_day: 1_000,
        retention_days: 7,
        budget_bytes: 0,
        fixtures: PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/fixtures/activitypub"
        )),
        out: PathBuf::from("target/simulate"),
        runs: vec!["off".into(), "on".into(), "budget".into()],
        planner: true,
        chart_from: None,
        fail_over_budget: false,
    };
    let mut arguments = std::env::args().skip(1);
    while let Some(flag) = arguments.next() {
        let mut value = || {
            arguments
                .next()
                .with_context(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--days" => options.days = value()?.parse()?,
            "--per-day" => options.per_day = value()?.parse()?,
            "--retention-days" => options.retention_days = value()?.parse()?,
            "--budget-bytes" => options.budget_bytes = value()?.parse()?,
            "--fixtures" => options.fixtures = value()?.into(),
            "--out" => options.out = value()?.into(),
            "--runs" => options.runs = value()?.split(',').map(str::to_string).collect(),
            "--no-planner" => options.planner = false,
            "--chart-from" => options.chart_from = Some(value()?.into()),
            "--fail-over-budget" => options.fail_over_budget = true,
            other => bail!("unknown option {other}"),
        }
    }
    if options.days == 0 || options.per_day < ROUNDS_PER_DAY {
        bail!("--days must be at least 1 and --per-day at least {ROUNDS_PER_DAY}");
    }
    Ok(options)
}

/// Every Note of the fixtures (plain, or embedded in a Create).
fn fixture_notes(directory: &Path) -> anyhow::Result<Vec<Value>> {
    let mut notes = Vec::new();
    let mut stack = vec![directory.to_path_buf()];
    while let Some(path) = stack.pop() {
        for entry in std::fs::read_dir(&path).with_context(|| path.display().to_string())? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|extension| extension != "json") {
                continue;
            }
            let Ok(value) = serde_json::from_str::<Value>(&std::fs::read_to_string(&path)?) else {
                continue;
            };
            let note = match value["type"].as_str() {
                Some("Note") => Some(value.clone()),
                Some("Create") if value["object"]["type"] == "Note" => {
                    Some(value["object"].clone())
                }
                _ => None,
            };
            notes.extend(note);
        }
    }
    notes.sort_by_key(|note| note["id"].as_str().unwrap_or_default().to_string());
    if notes.is_empty() {
        bail!("no Notes under {}", directory.display());
    }
    Ok(notes)
}

/// A small deterministic generator (xorshift), so runs are repeatable.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A float in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Documents the simulated servers serve, by URL.
type Documents = Arc<Mutex<HashMap<String, Value>>>;

/// The simulated authors' servers and the relay, on loopback: a listener per host on
/// 127.0.0.1, each its own origin (its own port), answering GETs from one map of documents
/// by URL: the actor documents, and each post from when it is sent until the server has
/// fetched it. After that a post is 404, as a deleted one is: the server asks again only to
/// check a relayed Delete.
struct Origins {
    hosts: Vec<String>,
    relay: String,
    documents: Documents,
    _shutdown: Vec<tokio::sync::oneshot::Sender<()>>,
}

impl Origins {
    async fn start(hosts: usize) -> anyhow::Result<Origins> {
        let documents: Documents = Arc::default();
        let mut bases = Vec::new();
        let mut shutdown = Vec::new();
        for _ in 0..=hosts {
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
            let base = format!("http://{}", listener.local_addr()?);
            let router = axum::Router::new()
                .fallback(serve_document)
                .with_state((documents.clone(), base.clone()));
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            tokio::spawn(async move {
                let _ = axum::serve(listener, router)
                    .with_graceful_shutdown(async move {
                        let _ = stopped.await;
                    })
                    .await;
            });
            bases.push(base);
            shutdown.push(stop);
        }
        let relay = bases.pop().expect("one more than the hosts");
        Ok(Origins {
            hosts: bases,
            relay,
            documents,
            _shutdown: shutdown,
        })
    }

    fn author_uri(&self, index: usize) -> String {
        format!(
            "{}/users/author{index}",
            self.hosts[index % self.hosts.len()]
        )
    }

    /// The relay's inbox (what the admin subscribes to) and its actor.
    fn relay_inbox(&self) -> String {
        format!("{}/inbox", self.relay)
    }

    fn relay_actor(&self) -> String {
        format!("{}/actor", self.relay)
    }

    fn publish(&self, id: &str, document: Value) {
        self.documents
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(id.to_string(), document);
    }

    fn unpublish(&self, id: &str) {
        self.documents
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(id);
    }

    /// Publishes the actor documents of the authors `0..count` and of the relay.
    fn publish_actors(&self, count: usize) {
        for index in 0..count {
            let uri = self.author_uri(index);
            let host = &self.hosts[index % self.hosts.len()];
            self.publish(
                &uri,
                actor_document(
                    &uri,
                    host,
                    "Person",
                    &format!("author{index}"),
                    &format!("Author number {index}"),
                    &public_key_pem(index),
                ),
            );
        }
        let relay = self.relay_actor();
        self.publish(
            &relay,
            actor_document(
                &relay,
                &self.relay,
                "Application",
                "relay",
                "",
                &public_key_pem(usize::MAX),
            ),
        );
    }
}

/// An actor document as Mastodon serves one (the fields Skerry stores).
fn actor_document(
    uri: &str,
    host: &str,
    kind: &str,
    name: &str,
    display: &str,
    pem: &str,
) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": uri,
        "type": kind,
        "preferredUsername": name,
        "name": display,
        "summary": "<p>Posting about things I like, mostly photos and links.</p>",
        "inbox": format!("{uri}/inbox"),
        "outbox": format!("{uri}/outbox"),
        "followers": format!("{uri}/followers"),
        "endpoints": {"sharedInbox": format!("{host}/inbox")},
        "url": format!("{host}/@{name}"),
        "publicKey": {"id": format!("{uri}#main-key"), "owner": uri, "publicKeyPem": pem},
    })
}

async fn serve_document(
    axum::extract::State((documents, base)): axum::extract::State<(Documents, String)>,
    uri: axum::http::Uri,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let found = documents
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(&format!("{base}{}", uri.path()))
        .cloned();
    match found {
        Some(document) => (
            [(
                axum::http::header::CONTENT_TYPE,
                "application/activity+json",
            )],
            document.to_string(),
        )
            .into_response(),
        None => axum::http::StatusCode::NOT_FOUND.into_response(),
    }
}

fn iso(ms: u64) -> String {
    skerry::util::time::iso8601_ms(ms)
}

/// A fixture Note sent again by `author` under a new id at `ms`: its content, summary, tags
/// and attachments kept; ids, addressing and dates its own.
fn note_from(template: &Value, author: &str, serial: u64, ms: u64) -> Value {
    let mut note = template.clone();
    let id = format!("{author}/statuses/{serial}");
    let object = note.as_object_mut().expect("a Note is an object");
    for field in [
        "inReplyTo",
        "replies",
        "likes",
        "shares",
        "context",
        "conversation",
        "quoteUri",
        "_misskey_quote",
        "quote",
    ] {
        object.remove(field);
    }
    object.insert("id".into(), json!(id));
    object.insert("url".into(), json!(id));
    object.insert("attributedTo".into(), json!(author));
    object.insert("published".into(), json!(iso(ms)));
    object.insert("to".into(), json!([PUBLIC]));
    object.insert("cc".into(), json!([format!("{author}/followers")]));
    // Mentions would make the real path fetch unknown actors; hashtags and emoji stay.
    if let Some(tags) = object.get_mut("tag").and_then(Value::as_array_mut) {
        tags.retain(|tag| tag["type"] != "Mention");
    }
    note
}

/// A config for one run: its own data directory; fetches may reach the loopback servers
/// (`allow_private_networks`) and nothing else (`allowlist_mode`, 127.0.0.1 the one domain
/// allowed, in `run`): the fixtures' posts link to real hosts.
fn config(directory: &Path, retention_days: u64, budget_bytes: u64) -> anyhow::Result<Config> {
    let environment = [
        ("SKERRY_SERVER_HOST", "skerry.example"),
        ("SKERRY_SERVER_SCHEME", "https"),
        ("SKERRY_FEDERATION_ALLOW_PRIVATE_NETWORKS", "true"),
        ("SKERRY_FEDERATION_ALLOWLIST_MODE", "true"),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_string(), value.to_string()))
    .chain([
        (
            "SKERRY_RETENTION_REMOTE_STATUS_DAYS".to_string(),
            retention_days.to_string(),
        ),
        (
            "SKERRY_STORAGE_DB_BYTES_MAX".to_string(),
            budget_bytes.to_string(),
        ),
    ]);
    let overrides = Overrides {
        data_dir: Some(directory.to_path_buf()),
        ..Overrides::default()
    };
    Ok(Config::load(None, environment, &overrides)?)
}

/// What one run measured at the end of each simulated day.
#[derive(Clone, Debug, Default)]
struct Day {
    day: u64,
    /// The file's length.
    file_bytes: u64,
    /// What the file occupies on disk (`st_blocks` × 512, as `du` counts): redb grows the file
    /// with `set_len`, so the tail past the pages written is a hole that takes no blocks.
    disk_bytes: u64,
    allocated_bytes: u64,
    statuses: u64,
    accounts: u64,
}

/// The statuses a run sent (for the comparisons): their Note JSON.
struct Run {
    name: String,
    days: Vec<Day>,
    notes_json: Vec<Vec<u8>>,
    /// Statuses stored at the end and the tables' bytes then.
    stored_statuses: u64,
    allocated_bytes: u64,
    status_table_bytes: u64,
    refused: usize,
    /// The largest file length seen at the end of a housekeeping round, and the file's length
    /// at the end.
    file_bytes_max: u64,
    file_bytes: u64,
    /// Disk use of the file at the end (`Day::disk_bytes`).
    disk_bytes: u64,
    /// Process CPU seconds per simulated day (ingest and housekeeping), one per day.
    cpu_seconds_per_day: Vec<f64>,
    /// Resident memory at the end of the run, before the comparisons.
    rss_bytes: u64,
}

async fn ingest(app: &App, signer: &str, body: &Value) -> bool {
    let item = InboundActivity {
        signer: signer.to_string(),
        body: serde_json::to_vec(body).expect("JSON"),
        received_ms: skerry::util::time::now_ms(),
    };
    inbound::apply_one(app, &item).await.is_ok()
}

async fn run(
    name: &str,
    options: &Options,
    origins: &Origins,
    notes: &[Value],
    retention_days: u64,
    budget_bytes: u64,
) -> anyhow::Result<Run> {
    let directory = options.out.join(format!("db-{name}"));
    let _ = std::fs::remove_dir_all(&directory);
    let config = config(&directory, retention_days, budget_bytes)?;
    let database_path = config.database_path();
    skerry::util::time::set_manual_ms(START_MS);
    let app = App::open(config)?;
    // The local user, following the most active authors.
    let local = app
        .run(|app| {
            skerry::app::accounts::create_local_account(
                app,
                "admin",
                "admin@skerry.example",
                skerry::model::Role::Owner,
            )
        })
        .await?
        .0
        .id;
    let authors_pool = options.per_day.max(100);
    // The admin allows the loopback servers (and so nothing else), subscribes to the relay,
    // and the relay accepts (its Follow is not sent: this tool has no delivery worker).
    let (relay_inbox, relay_actor) = (origins.relay_inbox(), origins.relay_actor());
    app.run(move |app| {
        use skerry::app::admin::Actor;
        skerry::app::domains::allow_domain(app, Actor::Operator, "127.0.0.1")?;
        let (relay, _) = skerry::app::relays::add(app, Actor::Operator, &relay_inbox)?;
        skerry::app::relays::answer(app, relay.relay.id, &relay_actor, true)?;
        Ok(())
    })
    .await?;
    // The followed authors: fetched when the local user followed them, their keys with
    // their first signed delivery (the Accept).
    for index in authors_pool - FOLLOWED..authors_pool {
        let account = skerry::federation::fetch::fetch_signer(&app, &origins.author_uri(index))
            .await
            .map_err(|error| anyhow::anyhow!("author {index}: {error}"))?;
        app.run(move |app| {
            skerry::app::relationships::follow(app, local, account)?;
            remote::answer_our_follow(app, local, account, true)
        })
        .await?;
    }
    let mut random = Random(0x5eed_cafe_f00d_u64);
    let mut recent: Vec<(String, usize)> = Vec::new();
    let mut cursors = Cursors::default();
    let mut result = Run {
        name: name.to_string(),
        days: Vec::new(),
        notes_json: Vec::new(),
        stored_statuses: 0,
        allocated_bytes: 0,
        status_table_bytes: 0,
        refused: 0,
        file_bytes_max: 0,
        file_bytes: 0,
        disk_bytes: 0,
        cpu_seconds_per_day: Vec::new(),
        rss_bytes: 0,
    };
    let mut serial = 0u64;
    let mut file_bytes_last = std::fs::metadata(&database_path)?.len();
    let mut last_round = housekeeping::Round::default();
    let step_ms = DAY_MS / options.per_day as u64;
    let per_round = options.per_day / ROUNDS_PER_DAY;
    for day in 0..options.days {
        let cpu_start = cpu_seconds();
        for slot in 0..options.per_day {
            let now = START_MS + day * DAY_MS + slot as u64 * step_ms;
            skerry::util::time::set_manual_ms(now);
            // Skewed: a few authors post a lot, most post rarely.
            let author = (authors_pool as f64 * random.unit().powi(3)) as usize;
            let actor = origins.author_uri(author);
            // Who the activity is by: the author, or for a Delete the post's.
            let mut by = author;
            let mut published = None;
            serial += 1;
            let dice = random.next() % 100;
            let activity = if dice < 10 && !recent.is_empty() {
                let (object, _) = &recent[(random.next() as usize) % recent.len()];
                json!({
                    "@context": "https://www.w3.org/ns/activitystreams",
                    "id": format!("{actor}/statuses/{serial}/activity"),
                    "type": "Announce",
                    "actor": actor,
                    "published": iso(now),
                    "to": [PUBLIC],
                    "cc": [format!("{actor}/followers")],
                    "object": object,
                })
            } else if dice < 13 && !recent.is_empty() {
                let index = (random.next() as usize) % recent.len();
                let (object, author) = recent.swap_remove(index);
                by = author;
                let actor = origins.author_uri(by);
                json!({
                    "@context": "https://www.w3.org/ns/activitystreams",
                    "id": format!("{object}#delete"),
                    "type": "Delete",
                    "actor": actor,
                    "to": [PUBLIC],
                    "object": {"id": object, "type": "Tombstone"},
                })
            } else {
                let template = &notes[(random.next() as usize) % notes.len()];
                let note = note_from(template, &actor, serial, now);
                result
                    .notes_json
                    .push(serde_json::to_vec(&note).expect("JSON"));
                recent.push((note["id"].as_str().unwrap_or_default().to_string(), author));
                if recent.len() > 5_000 {
                    recent.swap_remove(0);
                }
                let id = note["id"].as_str().unwrap_or_default().to_string();
                origins.publish(&id, note.clone());
                published = Some(id);
                json!({
                    "@context": "https://www.w3.org/ns/activitystreams",
                    "id": format!("{actor}/statuses/{serial}/activity"),
                    "type": "Create",
                    "actor": actor,
                    "published": iso(now),
                    "to": [PUBLIC],
                    "cc": [format!("{actor}/followers")],
                    "object": note,
                })
            };
            // Followed authors deliver themselves; the rest comes forwarded by the relay.
            let signer = if by >= authors_pool - FOLLOWED {
                activity["actor"].as_str().unwrap_or_default().to_string()
            } else {
                origins.relay_actor()
            };
            if !ingest(&app, &signer, &activity).await {
                result.refused += 1;
            }
            if let Some(id) = published {
                origins.unpublish(&id);
            }
            let file_bytes = std::fs::metadata(&database_path)?.len();
            if file_bytes > file_bytes_last {
                eprintln!(
                    "{name}: day {} the file grew from {file_bytes_last} to {file_bytes} B while ingesting ({} B allocated)",
                    day + 1,
                    app.store.allocated_bytes()?
                );
            }
            file_bytes_last = file_bytes;
            if (slot + 1) % per_round == 0 {
                let mut taken = std::mem::take(&mut cursors);
                let done;
                (cursors, done) = app
                    .run(move |app| {
                        let done = housekeeping::round(app, &mut taken, now)?;
                        Ok((taken, done))
                    })
                    .await?;
                let file_bytes = std::fs::metadata(&database_path)?.len();
                if file_bytes > file_bytes_last {
                    eprintln!(
                        "{name}: day {} the file grew from {file_bytes_last} to {file_bytes} B in a housekeeping round: {done:?}",
                        day + 1
                    );
                }
                if std::env::var_os("SKERRY_SIMULATE_ROUNDS").is_some() {
                    eprintln!("{name}: day {} round {done:?}", day + 1);
                }
                last_round = done;
                file_bytes_last = file_bytes;
                result.file_bytes_max = result.file_bytes_max.max(file_bytes);
            }
        }
        result.cpu_seconds_per_day.push(cpu_seconds() - cpu_start);
        let stats = app.store.stats(&database_path)?;
        let entries = |name: &str| {
            stats
                .tables
                .iter()
                .find(|table| table.name == name)
                .map_or(0, |table| table.entries)
        };
        let measured = Day {
            day: day + 1,
            file_bytes: stats.file_bytes,
            disk_bytes: skerry::store::growth::file_sizes(&database_path)?.disk,
            allocated_bytes: app.store.allocated_bytes()?,
            statuses: entries("statusid_status"),
            accounts: entries("accountid_account"),
        };
        eprintln!(
            "{name}: day {} file {} B disk {} B allocated {} B statuses {} accounts {} ({} B/status allocated, {} by disk use)",
            measured.day,
            measured.file_bytes,
            measured.disk_bytes,
            measured.allocated_bytes,
            measured.statuses,
            measured.accounts,
            measured.allocated_bytes / measured.statuses.max(1),
            measured.disk_bytes / measured.statuses.max(1)
        );
        if budget_bytes > 0 {
            eprintln!("{name}: day {} last round {last_round:?}", measured.day);
        }
        result.days.push(measured);
    }
    let stats = app.store.stats(&database_path)?;
    let last = result.days.last().cloned().unwrap_or_default();
    result.stored_statuses = last.statuses;
    result.allocated_bytes = last.allocated_bytes;
    result.file_bytes = last.file_bytes;
    result.disk_bytes = last.disk_bytes;
    result.rss_bytes = rss_bytes();
    result.status_table_bytes = stats
        .tables
        .iter()
        .filter(|table| {
            [
                "statusid_status",
                "urihash_statusid",
                "statusid_cardurl",
                "cardurlhash_statusid",
                "accountid_statusid",
                "public_statusid",
                "tagid_statusid",
                "parentid_statusid",
                "statusid_counts",
            ]
            .contains(&table.name.as_str())
        })
        .map(|table| table.stored_bytes + table.metadata_bytes + table.fragmented_bytes)
        .sum();
    // The largest tables, also in a file of the run: on stderr alone the listing was lost
    // among the progress lines when only the tool's output was kept.
    let mut table_report =
        format!("{name}: largest tables at the end (bytes: stored / metadata / fragmented)\n");
    let mut tables = stats.tables.clone();
    tables.sort_by_key(|table| {
        std::cmp::Reverse(table.stored_bytes + table.metadata_bytes + table.fragmented_bytes)
    });
    for table in tables.iter().take(16) {
        let _ = writeln!(
            table_report,
            "  {:<40} {:>8} entries {:>10} B ({} / {} / {})",
            table.name,
            table.entries,
            table.stored_bytes + table.metadata_bytes + table.fragmented_bytes,
            table.stored_bytes,
            table.metadata_bytes,
            table.fragmented_bytes
        );
    }
    eprint!("{table_report}");
    std::fs::write(
        options.out.join(format!("tables-{name}.txt")),
        &table_report,
    )?;
    eprintln!(
        "{name}: dictionaries {:?}",
        app.store
            .dictionary_infos()?
            .iter()
            .map(|info| (info.kind.clone(), info.bytes))
            .collect::<Vec<_>>()
    );
    Ok(result)
}

/// Process CPU time (user + system) in seconds, from `/proc/self/stat` (0 elsewhere).
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (which may hold spaces) start at ')'; utime and stime are
    // the 12th and 13th, in USER_HZ (100 on every mainstream architecture).
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
    let ticks = |index: usize| {
        fields
            .get(index)
            .and_then(|field| field.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// Resident memory now, from `/proc/self/status` (0 elsewhere).
fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
        })
        .map_or(0, |kib| kib * 1024)
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied().unwrap_or(0.0)
}

/// The same statuses in SQLite with a schema like GoToSocial's `statuses` table (string ULID
/// ids, URIs and URLs, the author's URI, content, and its indexes), and the `status_to_tags`
/// join; the file size after the inserts, per status.
fn sqlite_bytes_per_status(directory: &Path, notes: &[Vec<u8>]) -> anyhow::Result<u64> {
    let path = directory.join("gotosocial-like.sqlite");
    let _ = std::fs::remove_file(&path);
    let connection = rusqlite::Connection::open(&path)?;
    connection.execute_batch(
        "PRAGMA journal_mode = WAL;
         CREATE TABLE statuses (
           id CHAR(26) PRIMARY KEY, created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL,
           edited_at TIMESTAMP, fetched_at TIMESTAMP, pinned_at TIMESTAMP,
           uri VARCHAR NOT NULL UNIQUE, url VARCHAR, content VARCHAR, attachment_ids VARCHAR,
           tag_ids VARCHAR, mention_ids VARCHAR, emoji_ids VARCHAR, local BOOLEAN,
           account_id CHAR(26) NOT NULL, account_uri VARCHAR NOT NULL,
           in_reply_to_id CHAR(26), in_reply_to_uri VARCHAR, in_reply_to_account_id CHAR(26),
           boost_of_id CHAR(26), boost_of_account_id CHAR(26), thread_id CHAR(26),
           content_warning VARCHAR, visibility VARCHAR NOT NULL, sensitive BOOLEAN,
           language VARCHAR, created_with_application_id CHAR(26),
           activity_streams_type VARCHAR NOT NULL, text VARCHAR, federated BOOLEAN,
           pending_approval BOOLEAN);
         CREATE INDEX statuses_account_id_idx ON statuses (account_id);
         CREATE INDEX statuses_in_reply_to_id_idx ON statuses (in_reply_to_id);
         CREATE INDEX statuses_boost_of_id_idx ON statuses (boost_of_id);
         CREATE INDEX statuses_thread_id_idx ON statuses (thread_id);
         CREATE INDEX statuses_created_at_idx ON statuses (created_at);
         CREATE INDEX statuses_local_idx ON statuses (local);
         CREATE INDEX statuses_account_view_idx ON statuses (account_id, in_reply_to_id, boost_of_id, id);
         CREATE TABLE status_to_tags (status_id CHAR(26), tag_id CHAR(26), PRIMARY KEY (status_id, tag_id));
         CREATE INDEX status_to_tags_tag_id_idx ON status_to_tags (tag_id);",
    )?;
    let transaction = connection.unchecked_transaction()?;
    {
        let mut insert = transaction.prepare(
            "INSERT INTO statuses (id, created_at, updated_at, fetched_at, uri, url, content,
               tag_ids, mention_ids, emoji_ids, attachment_ids, local, account_id, account_uri,
               thread_id, content_warning, visibility, sensitive, language,
               activity_streams_type, federated, pending_approval)
             VALUES (?1, ?2, ?2, ?2, ?3, ?4, ?5, ?6, '', '', '', 0, ?7, ?8, ?9, ?10, 'public',
               ?11, ?12, 'Note', 1, 0)",
        )?;
        let mut tag =
            transaction.prepare("INSERT OR IGNORE INTO status_to_tags VALUES (?1, ?2)")?;
        for (index, bytes) in notes.iter().enumerate() {
            let note: Value = serde_json::from_slice(bytes)?;
            let ulid = |n: usize| format!("01J{:023}", n);
            let author = note["attributedTo"].as_str().unwrap_or_default();
            let tags: Vec<String> = note["tag"]
                .as_array()
                .map(|tags| {
                    tags.iter()
                        .filter(|tag| tag["type"] == "Hashtag")
                        .map(|tag| ulid(tag["name"].as_str().unwrap_or_default().len() + 1_000_000))
                        .collect()
                })
                .unwrap_or_default();
            insert.execute(rusqlite::params![
                ulid(index),
                note["published"].as_str().unwrap_or_default(),
                note["id"].as_str().unwrap_or_default(),
                note["url"].as_str().unwrap_or_default(),
                note["content"].as_str().unwrap_or_default(),
                tags.join(","),
                ulid(author.len() * 7919 % 100_000 + 2_000_000),
                author,
                ulid(index + 3_000_000),
                note["summary"].as_str().unwrap_or_default(),
                note["sensitive"].as_bool().unwrap_or(false),
                note["contentMap"]
                    .as_object()
                    .and_then(|map| map.keys().next().cloned())
                    .unwrap_or_default(),
            ])?;
            for tag_id in &tags {
                tag.execute(rusqlite::params![ulid(index), tag_id])?;
            }
        }
    }
    transaction.commit()?;
    connection.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
    drop(connection);
    Ok(std::fs::metadata(&path)?.len() / notes.len().max(1) as u64)
}

/// A line chart of the allocated bytes per day of each run, as SVG.
fn chart(runs: &[Run], budget_bytes: u64) -> String {
    let (width, height, margin) = (720.0, 360.0, 60.0);
    let days = runs
        .iter()
        .map(|run| run.days.len())
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let top = runs
        .iter()
        .flat_map(|run| {
            run.days
                .iter()
                .map(|day| day.allocated_bytes.max(day.file_bytes))
        })
        .chain([budget_bytes])
        .max()
        .unwrap_or(1)
        .max(1) as f64
        * 1.1;
    let x = |day: f64| margin + (width - 2.0 * margin) * day / days;
    let y = |bytes: f64| height - margin - (height - 2.0 * margin) * bytes / top;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    );
    let _ = writeln!(
        svg,
        "<line x1=\"{margin}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"black\"/><line x1=\"{margin}\" y1=\"{margin}\" x2=\"{margin}\" y2=\"{}\" stroke=\"black\"/>",
        height - margin,
        width - margin,
        height - margin,
        height - margin
    );
    let _ = writeln!(
        svg,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">simulated day</text><text x=\"12\" y=\"{}\" transform=\"rotate(-90 12 {})\" text-anchor=\"middle\">MB: allocated (solid), disk use (dashed), file (dotted)</text>",
        width / 2.0,
        height - 20.0,
        height / 2.0,
        height / 2.0
    );
    for step in 0..=4 {
        let bytes = top / 4.0 * f64::from(step);
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{:.1}</text>",
            margin - 6.0,
            y(bytes) + 4.0,
            bytes / 1e6
        );
    }
    let _ = writeln!(
        svg,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
        x(days),
        height - margin + 16.0,
        days
    );
    if budget_bytes > 0 {
        let _ = writeln!(
            svg,
            "<line x1=\"{margin}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" stroke=\"gray\" stroke-dasharray=\"6 4\"/><text x=\"{1}\" y=\"{2}\" text-anchor=\"end\" fill=\"gray\">budget</text>",
            y(budget_bytes as f64),
            width - margin,
            y(budget_bytes as f64) - 4.0
        );
    }
    for (index, run) in runs.iter().enumerate() {
        let color = ["#d62728", "#1f77b4", "#2ca02c"][index % 3];
        let points: Vec<String> = std::iter::once(format!("{},{}", x(0.0), y(0.0)))
            .chain(run.days.iter().map(|day| {
                format!(
                    "{:.1},{:.1}",
                    x(day.day as f64),
                    y(day.allocated_bytes as f64)
                )
            }))
            .collect();
        let file: Vec<String> = run
            .days
            .iter()
            .map(|day| format!("{:.1},{:.1}", x(day.day as f64), y(day.file_bytes as f64)))
            .collect();
        let disk: Vec<String> = run
            .days
            .iter()
            .map(|day| format!("{:.1},{:.1}", x(day.day as f64), y(day.disk_bytes as f64)))
            .collect();
        let _ = writeln!(
            svg,
            "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1\" stroke-dasharray=\"3 3\" points=\"{}\"/>",
            file.join(" ")
        );
        let _ = writeln!(
            svg,
            "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.5\" stroke-dasharray=\"8 4\" points=\"{}\"/>",
            disk.join(" ")
        );
        let _ = writeln!(
            svg,
            "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{}\"/><text x=\"{}\" y=\"{}\" fill=\"{color}\">{}</text>",
            points.join(" "),
            margin + 10.0,
            margin + 16.0 * (index as f64 + 1.0),
            run.name
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// The runs of a `growth.csv`, for drawing the chart again.
fn runs_from_csv(text: &str) -> anyhow::Result<Vec<Run>> {
    let mut runs: Vec<Run> = Vec::new();
    for line in text.lines().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        // Files written before the disk use column have six.
        let (name, day, file, allocated, statuses, accounts, disk) = match fields[..] {
            [name, day, file, allocated, statuses, accounts] => {
                (name, day, file, allocated, statuses, accounts, "0")
            }
            [name, day, file, allocated, statuses, accounts, disk] => {
                (name, day, file, allocated, statuses, accounts, disk)
            }
            _ => bail!("bad CSV line {line:?}"),
        };
        let day = Day {
            day: day.parse()?,
            file_bytes: file.parse()?,
            disk_bytes: disk.parse()?,
            allocated_bytes: allocated.parse()?,
            statuses: statuses.parse()?,
            accounts: accounts.parse()?,
        };
        match runs.iter_mut().find(|run| run.name == name) {
            Some(run) => run.days.push(day),
            None => runs.push(Run {
                name: name.to_string(),
                days: vec![day],
                notes_json: Vec::new(),
                stored_statuses: 0,
                allocated_bytes: 0,
                status_table_bytes: 0,
                refused: 0,
                file_bytes_max: 0,
                file_bytes: 0,
                disk_bytes: 0,
                cpu_seconds_per_day: Vec::new(),
                rss_bytes: 0,
            }),
        }
    }
    Ok(runs)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = options()?;
    std::fs::create_dir_all(&options.out)?;
    if let Some(csv) = &options.chart_from {
        let runs = runs_from_csv(&std::fs::read_to_string(csv)?)?;
        std::fs::write(
            options.out.join("growth.svg"),
            chart(&runs, options.budget_bytes),
        )?;
        return Ok(());
    }
    let notes = fixture_notes(&options.fixtures)?;
    eprintln!("{} fixture Notes", notes.len());
    let origins = Origins::start(HOSTS).await?;
    origins.publish_actors(options.per_day.max(100));
    let mut runs = Vec::new();
    for name in &options.runs {
        let (retention, budget) = match name.as_str() {
            "off" => (0, 0),
            "on" => (options.retention_days, 0),
            "budget" => (options.retention_days * 4, options.budget_bytes),
            other => bail!("unknown run {other}: off, on or budget"),
        };
        if name == "budget" && budget == 0 {
            eprintln!("budget run skipped: no --budget-bytes");
            continue;
        }
        runs.push(run(name, &options, &origins, &notes, retention, budget).await?);
    }
    let mut csv = String::from("run,day,file_bytes,allocated_bytes,statuses,accounts,disk_bytes\n");
    for run in &runs {
        for day in &run.days {
            let _ = writeln!(
                csv,
                "{},{},{},{},{},{},{}",
                run.name,
                day.day,
                day.file_bytes,
                day.allocated_bytes,
                day.statuses,
                day.accounts,
                day.disk_bytes
            );
        }
    }
    std::fs::write(options.out.join("growth.csv"), csv)?;
    std::fs::write(
        options.out.join("growth.svg"),
        chart(&runs, options.budget_bytes),
    )?;
    let Some(reference) = runs.first() else {
        return Ok(());
    };
    let sent = reference.notes_json.len().max(1) as u64;
    let raw: u64 = reference
        .notes_json
        .iter()
        .map(|note| note.len() as u64)
        .sum::<u64>()
        / sent;
    let zstd_json: u64 = reference
        .notes_json
        .iter()
        .map(|note| zstd::bulk::compress(note, 3).map_or(note.len(), |packed| packed.len()) as u64)
        .sum::<u64>()
        / sent;
    let sqlite = sqlite_bytes_per_status(&options.out, &reference.notes_json)?;
    let mut table = String::from("| Stored as | Bytes per status |\n| --- | ---: |\n");
    let _ = writeln!(table, "| Note JSON as received (raw) | {raw} |");
    let _ = writeln!(table, "| zstd-3 JSON, each Note alone | {zstd_json} |");
    let _ = writeln!(
        table,
        "| SQLite, GoToSocial-like `statuses` schema and indexes | {sqlite} |"
    );
    for run in &runs {
        let statuses = run.stored_statuses.max(1);
        let _ = writeln!(
            table,
            "| Skerry `{}`: status tables and their indexes | {} |",
            run.name,
            run.status_table_bytes / statuses
        );
        let _ = writeln!(
            table,
            "| Skerry `{}`: whole database (accounts, dedupe records, dictionaries…), allocated | {} |",
            run.name,
            run.allocated_bytes / statuses
        );
        let _ = writeln!(
            table,
            "| Skerry `{}`: whole database, by disk use of the file (`du`: blocks × 512) | {} |",
            run.name,
            run.disk_bytes / statuses
        );
        let _ = writeln!(
            table,
            "| Skerry `{}`: whole database, by file length (`ls`) | {} |",
            run.name,
            run.file_bytes / statuses
        );
    }
    let _ = writeln!(
        table,
        "\n{} days × {} activities/day, retention {} days; {} Notes sent in the first run, {} statuses stored at its end; activities refused: {}.",
        options.days,
        options.per_day,
        options.retention_days,
        reference.notes_json.len(),
        reference.stored_statuses,
        runs.iter()
            .map(|run| format!("{} {}", run.name, run.refused))
            .collect::<Vec<_>>()
            .join(", ")
    );
    // The planner against the run with retention: calibrated on this machine, given the
    // simulated workload.
    if let Some(on) = runs
        .iter()
        .find(|run| run.name == "on")
        .filter(|_| options.planner)
    {
        skerry::util::time::set_manual_ms(0);
        let base = config(&options.out.join("calibrate"), 0, 0)?;
        let costs =
            skerry::federation::capacity::calibrate(&base, &options.out.join("calibrate")).await?;
        let activities = (options.per_day as u64 * options.days) as f64;
        let profile = skerry::federation::capacity::Profile {
            local_users: 1,
            followed_accounts: FOLLOWED as u64,
            posts_per_followed_account_per_day: 0.0,
            relay_activities_per_day: options.per_day as f64,
            relay_post_share: on.notes_json.len() as f64 / activities,
            // What this tool sends besides posts (see the loop in `run`).
            relay_boost_share: 0.10,
            relay_delete_share: 0.03,
            remote_accounts_active: on.days.last().map_or(0, |day| day.accounts),
            // Attachments per post among the Notes sent.
            media_share: on
                .notes_json
                .iter()
                .map(|note| {
                    serde_json::from_slice::<Value>(note)
                        .map_or(0, |note| note["attachment"].as_array().map_or(0, Vec::len))
                })
                .sum::<usize>() as f64
                / on.notes_json.len().max(1) as f64,
            retention_days: options.retention_days as f64,
            ..skerry::federation::capacity::Profile::default()
        };
        let plan = skerry::federation::capacity::plan(&profile, &costs);
        let measured = on.allocated_bytes as f64;
        let _ = writeln!(
            table,
            "\nPlanner (`skerry capacity`, calibrated on this machine: {:.0} B/status, {:.0} B/media record, {:.0} B/account, {:.0} B/seen activity, {:.0} B/tombstone, {:.0} µs CPU/activity) for this workload: steady state {:.2} MB; the simulation measured {:.2} MB at its end ({:+.1} %).",
            costs.bytes_per_status,
            costs.bytes_per_media,
            costs.bytes_per_account,
            costs.bytes_per_seen_activity,
            costs.bytes_per_tombstone,
            costs.cpu_us_per_activity,
            plan.steady_state_bytes / 1e6,
            measured / 1e6,
            (plan.steady_state_bytes - measured) / measured * 100.0
        );
        let _ = writeln!(
            table,
            "Profile: relay_activities_per_day = {}, relay_post_share = {:.3}, media_share = {:.3}, remote_accounts_active = {}, retention_days = {}.",
            profile.relay_activities_per_day,
            profile.relay_post_share,
            profile.media_share,
            profile.remote_accounts_active,
            profile.retention_days
        );
    }
    for run in &runs {
        let _ = writeln!(
            table,
            "\nRun `{}`: file {} B at the end ({} B on disk), largest at a round's end {} B; {} statuses; process CPU {:.2} s per simulated day (median); RSS at the end {:.1} MiB.",
            run.name,
            run.file_bytes,
            run.disk_bytes,
            run.file_bytes_max,
            run.stored_statuses,
            median(&run.cpu_seconds_per_day),
            run.rss_bytes as f64 / 1_048_576.0
        );
    }
    std::fs::write(options.out.join("bytes-per-status.md"), &table)?;
    print!("{table}");
    if options.fail_over_budget {
        for run in runs.iter().filter(|run| run.name == "budget") {
            if run.file_bytes_max > options.budget_bytes {
                bail!(
                    "the budget run's file reached {} B, over the budget of {} B",
                    run.file_bytes_max,
                    options.budget_bytes
                );
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simulated_keys_are_distinct_rsa_2048_spki() {
        use base64::Engine;
        let (one, two) = (public_key_pem(1), public_key_pem(2));
        assert_ne!(one, two);
        let body: String = one
            .lines()
            .filter(|line| !line.starts_with("-----"))
            .collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap();
        assert_eq!(der.len(), 294);
        assert_eq!(der[..SPKI_RSA_2048_HEAD.len()], SPKI_RSA_2048_HEAD);
        assert!(der[SPKI_RSA_2048_HEAD.len()] & 0x80 != 0);
        assert!(der.ends_with(&SPKI_RSA_2048_TAIL));
        assert_eq!(public_key_pem(usize::MAX), public_key_pem(usize::MAX));
    }

    #[test]
    fn a_resent_note_has_its_own_ids_and_no_mentions() {
        let template = json!({
            "id": "https://a.example/notes/1", "type": "Note", "content": "<p>hi</p>",
            "attributedTo": "https://a.example/users/x", "inReplyTo": "https://b.example/1",
            "tag": [{"type": "Mention", "href": "https://c.example/u"}, {"type": "Hashtag", "name": "#x"}],
        });
        let author = "http://127.0.0.1:8/users/author7".to_string();
        let note = note_from(&template, &author, 42, START_MS);
        assert_eq!(note["id"], format!("{author}/statuses/42"));
        assert_eq!(note["attributedTo"], author);
        assert_eq!(note["content"], "<p>hi</p>");
        assert!(note.get("inReplyTo").is_none());
        assert_eq!(note["tag"].as_array().unwrap().len(), 1);
        assert_eq!(note["published"], iso(START_MS));
    }

    #[test]
    fn the_chart_has_lines_per_run_and_the_budget() {
        let run = |name: &str, bytes: u64| Run {
            name: name.into(),
            days: (1..=3)
                .map(|day| Day {
                    day,
                    allocated_bytes: bytes * day,
                    ..Day::default()
                })
                .collect(),
            notes_json: vec![],
            stored_statuses: 0,
            allocated_bytes: 0,
            status_table_bytes: 0,
            refused: 0,
            file_bytes_max: 0,
            file_bytes: 0,
            disk_bytes: 0,
            cpu_seconds_per_day: Vec::new(),
            rss_bytes: 0,
        };
        let svg = chart(&[run("off", 1000), run("on", 500)], 2500);
        let csv = "run,day,file_bytes,allocated_bytes,statuses,accounts\non,1,9,8,7,6\non,2,19,18,17,16\n";
        let parsed = runs_from_csv(csv).unwrap();
        assert_eq!(parsed.len(), 1);
        assert_eq!(parsed[0].days[1].allocated_bytes, 18);
        let csv =
            "run,day,file_bytes,allocated_bytes,statuses,accounts,disk_bytes\non,1,9,8,7,6,5\n";
        assert_eq!(runs_from_csv(csv).unwrap()[0].days[0].disk_bytes, 5);
        // Allocated, disk use and file length per run.
        assert_eq!(svg.matches("<polyline").count(), 6);
        assert!(svg.contains(">budget<") && svg.contains(">off<") && svg.contains(">on<"));
    }
}
