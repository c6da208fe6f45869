//! `skerry-load`: plays remote instances on loopback against a running `skerry serve` (started
//! with `federation.allow_private_networks = true`) and measures it.
//!
//! - `ingest`: M instances with real RSA key pairs serve their actors' documents and posts;
//!   every request is signed before the clock starts (the tool's own signing cost is outside
//!   the measurement), then Create, Announce, Like, Update and Delete are sent flat out or at
//!   a target rate. Reports accepted and applied activities per second, p50/p99 acknowledgement
//!   latency, errors by kind, the server's RSS (from /proc) and the database's growth.
//! - `fanout`: followers on H hosts, each with a shared inbox; a local user posts and the tool
//!   counts deliveries per second.
//!
//! Loopback only: the target must be 127.0.0.1, ::1 or localhost; every count and wait is
//! bounded by a flag.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use http::{HeaderMap, HeaderValue, Method, header};
use serde_json::{Value, json};
use skerry::sig::SigningKey;
use skerry::sig::httpsig::sign_request;

const AS2: &str = "application/activity+json";
const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
/// Largest number of activities one run sends (their signed bodies are held in memory).
const ACTIVITIES_MAX: usize = 1_000_000;
/// Largest number of played instances or hosts.
const INSTANCES_MAX: usize = 1000;

struct Options {
    values: BTreeMap<String, String>,
}

impl Options {
    fn parse(args: &[String]) -> anyhow::Result<Options> {
        let mut values = BTreeMap::new();
        let mut iter = args.iter();
        while let Some(flag) = iter.next() {
            let name = flag
                .strip_prefix("--")
                .with_context(|| format!("unexpected argument {flag}"))?;
            let value = iter
                .next()
                .with_context(|| format!("--{name} needs a value"))?;
            values.insert(name.to_string(), value.clone());
        }
        Ok(Options { values })
    }
    fn text(&self, name: &str, default: &str) -> String {
        self.values
            .get(name)
            .cloned()
            .unwrap_or_else(|| default.to_string())
    }
    fn number(&self, name: &str, default: u64) -> anyhow::Result<u64> {
        match self.values.get(name) {
            Some(value) => value.parse().with_context(|| format!("--{name} {value}")),
            None => Ok(default),
        }
    }
}

const USAGE: &str = "usage:
  skerry-load ingest --target http://127.0.0.1:8080 --user alice [--instances 8]
      [--actors 4 (per instance)] [--activities 20000] [--rate 0 (0: flat out, else per second)]
      [--concurrency 64] [--pid PID (for RSS)] [--seconds-max 300]
  skerry-load fanout --target http://127.0.0.1:8080 --user alice --token TOKEN [--hosts 50]
      [--posts 20] [--pid PID] [--seconds-max 300]";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(mode) = args.first() else {
        bail!("{USAGE}");
    };
    let options = Options::parse(&args[1..])?;
    let target = options.text("target", "http://127.0.0.1:8080");
    check_loopback(&target)?;
    match mode.as_str() {
        "ingest" => {
            let report = ingest(&target, &options).await?;
            // A run where something acknowledged was not applied is a failure of the server.
            if report.applied < report.accepted as u64 {
                bail!(
                    "{} of {} accepted activities were applied ({} errors)",
                    report.applied,
                    report.accepted,
                    report.errors
                );
            }
            Ok(())
        }
        "fanout" => fanout(&target, &options).await,
        _ => bail!("{USAGE}"),
    }
}

fn check_loopback(target: &str) -> anyhow::Result<()> {
    let rest = target
        .strip_prefix("http://")
        .context("the target is http://127.0.0.1:PORT (loopback only)")?;
    let host = rest.split('/').next().unwrap_or_default();
    let name = host.rsplit_once(':').map_or(host, |(name, _)| name);
    if !["127.0.0.1", "[::1]", "localhost"].contains(&name) {
        bail!("the target must be on loopback, not {host}");
    }
    Ok(())
}

/// A played instance: its base URL and its actors' keys.
struct Instance {
    base: String,
    actors: Vec<Actor>,
}

struct Actor {
    id: String,
    key_id: String,
    key: SigningKey,
}

/// Counts POSTs to the played inboxes (fan-out deliveries) and when the last one came.
#[derive(Default)]
struct Inboxes {
    received: AtomicU64,
    last_ms: AtomicU64,
}

/// Starts an instance on a free loopback port with `names` as actors. It serves their
/// documents, and any `/users/NAME/statuses/N` as a public post of NAME that mentions
/// `mention`; it takes POSTs to `/inbox` and counts them.
async fn start_instance(
    names: &[String],
    mention: &str,
    inboxes: Arc<Inboxes>,
    started: Instant,
) -> anyhow::Result<Instance> {
    use axum::extract::{Path, State};
    use axum::response::IntoResponse;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let mut documents = BTreeMap::new();
    let mut actors = Vec::new();
    for name in names {
        let der = skerry::sig::generate_rsa_pkcs8()?;
        let id = format!("{base}/users/{name}");
        documents.insert(
            format!("/users/{name}"),
            json!({
                "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
                "id": id, "type": "Person", "preferredUsername": name,
                "inbox": format!("{id}/inbox"), "followers": format!("{id}/followers"),
                "endpoints": {"sharedInbox": format!("{base}/inbox")},
                "publicKey": {"id": format!("{id}#main-key"), "owner": id,
                              "publicKeyPem": skerry::sig::public_key_pem(&der)?},
            }),
        );
        actors.push(Actor {
            key_id: format!("{id}#main-key"),
            id,
            key: SigningKey::from_pkcs8(&der)?,
        });
    }
    let state = Arc::new((base.clone(), documents, mention.to_string()));
    type Shared = Arc<(String, BTreeMap<String, Value>, String)>;
    let router = axum::Router::new()
        .route(
            "/{*path}",
            axum::routing::get(
                |State(shared): State<Shared>, Path(path): Path<String>| async move {
                    let (base, documents, mention) = shared.as_ref();
                    let path = format!("/{path}");
                    let document = documents.get(&path).cloned().or_else(|| {
                        let (actor, number) = path.split_once("/statuses/")?;
                        let number: u64 = number.parse().ok()?;
                        Some(note(
                            &format!("{base}{actor}"),
                            &format!("{base}{path}"),
                            number,
                            mention,
                        ))
                    });
                    match document {
                        Some(document) => {
                            ([(header::CONTENT_TYPE, AS2)], document.to_string()).into_response()
                        }
                        None => http::StatusCode::NOT_FOUND.into_response(),
                    }
                },
            )
            .post(move || {
                let inboxes = inboxes.clone();
                async move {
                    inboxes.received.fetch_add(1, Ordering::Relaxed);
                    inboxes
                        .last_ms
                        .fetch_max(started.elapsed().as_millis() as u64, Ordering::Relaxed);
                    http::StatusCode::ACCEPTED
                }
            }),
        )
        .with_state(state);
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok(Instance { base, actors })
}

fn note(actor: &str, id: &str, number: u64, mention: &str) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": id, "type": "Note", "attributedTo": actor,
        "content": format!("<p>load post {number} for <a href=\"{mention}\">@someone</a>, with a few words to make it look like a real post of a busy relay</p>"),
        "to": [PUBLIC], "cc": [format!("{actor}/followers"), mention],
        "tag": [{"type": "Mention", "href": mention}],
        "published": "2026-11-28T12:00:00Z",
    })
}

/// A signed POST ready to send.
struct Prepared {
    headers: HeaderMap,
    body: Vec<u8>,
}

fn sign(target_host: &str, actor: &Actor, activity: &Value) -> anyhow::Result<Prepared> {
    let body = activity.to_string().into_bytes();
    let mut headers = HeaderMap::new();
    headers.insert(header::HOST, HeaderValue::from_str(target_host)?);
    let now_secs = skerry::util::time::now_ms() / 1000;
    sign_request(
        &actor.key,
        &actor.key_id,
        &Method::POST,
        "/inbox",
        &mut headers,
        Some(&body),
        now_secs,
    )
    .map_err(|error| anyhow::anyhow!("signing: {error}"))?;
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(AS2));
    Ok(Prepared { headers, body })
}

/// Signs `activities` on every core (the signing happens before the measurement).
async fn sign_all(
    target_host: &str,
    plan: Vec<(Arc<Actor>, Value)>,
) -> anyhow::Result<Vec<Prepared>> {
    let threads = std::thread::available_parallelism().map_or(2, usize::from);
    let chunk = plan.len().div_ceil(threads).max(1);
    let mut tasks = Vec::new();
    let mut plan = plan;
    while !plan.is_empty() {
        let rest = plan.split_off(chunk.min(plan.len()));
        let part = std::mem::replace(&mut plan, rest);
        let host = target_host.to_string();
        tasks.push(tokio::task::spawn_blocking(move || {
            part.iter()
                .map(|(actor, activity)| sign(&host, actor, activity))
                .collect::<anyhow::Result<Vec<_>>>()
        }));
    }
    let mut out = Vec::new();
    for task in tasks {
        out.extend(task.await??);
    }
    Ok(out)
}

/// Reads one value of the server's `/metrics`.
async fn metric(client: &reqwest::Client, target: &str, name: &str) -> anyhow::Result<u64> {
    let text = client
        .get(format!("{target}/metrics"))
        .send()
        .await?
        .text()
        .await?;
    text.lines()
        .find_map(|line| {
            line.strip_prefix(name)?
                .strip_prefix(' ')?
                .trim()
                .parse()
                .ok()
        })
        .with_context(|| format!("{name} not in /metrics"))
}

/// Samples VmRSS of `pid` every 100 ms; the largest value seen, in KiB.
fn watch_rss(pid: Option<u64>) -> Arc<AtomicU64> {
    let peak = Arc::new(AtomicU64::new(0));
    if let Some(pid) = pid {
        let peak = peak.clone();
        tokio::spawn(async move {
            loop {
                if let Some(kib) = rss_kib(pid) {
                    peak.fetch_max(kib, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
    }
    peak
}

fn rss_kib(pid: u64) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Waits until the server's inbound queue is empty; false if `deadline` passed first.
async fn drained(
    client: &reqwest::Client,
    target: &str,
    deadline: Instant,
) -> anyhow::Result<bool> {
    while Instant::now() < deadline {
        if metric(client, target, "skerry_inbound_queued").await? == 0 {
            return Ok(true);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(false)
}

fn client() -> anyhow::Result<reqwest::Client> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    Ok(reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(1024)
        .build()?)
}

fn percentile(sorted: &[u64], fraction: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let index = ((sorted.len() - 1) as f64 * fraction).round() as usize;
    sorted[index]
}

/// What an ingest run counted (also printed).
#[derive(Debug)]
struct IngestReport {
    accepted: usize,
    applied: u64,
    errors: u64,
}

async fn ingest(target: &str, options: &Options) -> anyhow::Result<IngestReport> {
    let instances_count = (options.number("instances", 8)? as usize).clamp(1, INSTANCES_MAX);
    let actors_per_instance = (options.number("actors", 4)? as usize).clamp(1, 100);
    let total = (options.number("activities", 20_000)? as usize).min(ACTIVITIES_MAX);
    let rate = options.number("rate", 0)?;
    let concurrency = (options.number("concurrency", 64)? as usize).clamp(1, 4096);
    let pid = options
        .values
        .get("pid")
        .map(|pid| pid.parse())
        .transpose()?;
    let seconds_max = options.number("seconds-max", 300)?;
    let user = options.text("user", "alice");
    let target_host = target
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_string();
    let mention = format!("{target}/users/{user}");
    let client = client()?;
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds_max);

    println!(
        "setting up {instances_count} instances × {actors_per_instance} actors (key generation)…"
    );
    let inboxes = Arc::new(Inboxes::default());
    let mut actors: Vec<Arc<Actor>> = Vec::new();
    for instance in 0..instances_count {
        let names: Vec<String> = (0..actors_per_instance)
            .map(|n| format!("u{instance}x{n}"))
            .collect();
        let played = start_instance(&names, &mention, inboxes.clone(), started).await?;
        actors.extend(played.actors.into_iter().map(Arc::new));
        let _ = played.base;
    }
    // Warm-up (not measured): each actor follows the user, so the server fetches every key.
    let warmup: Vec<_> = actors
        .iter()
        .map(|actor| {
            (
                actor.clone(),
                json!({"@context": "https://www.w3.org/ns/activitystreams",
                "id": format!("{}/follows/warmup", actor.id), "type": "Follow",
                "actor": actor.id, "object": mention}),
            )
        })
        .collect();
    for prepared in sign_all(&target_host, warmup).await? {
        let answer = client
            .post(format!("{target}/inbox"))
            .headers(prepared.headers)
            .body(prepared.body)
            .send()
            .await?;
        if !answer.status().is_success() {
            bail!(
                "warm-up Follow answered {}: {}",
                answer.status(),
                answer.text().await?
            );
        }
    }
    if !drained(&client, target, deadline).await? {
        bail!("the warm-up did not drain");
    }

    // The plan: half Creates, then Announces, Likes, Updates and Deletes of earlier posts.
    let mut plan = Vec::with_capacity(total);
    let mut posts: Vec<(usize, String, u64)> = Vec::new();
    for index in 0..total {
        let actor_index = index % actors.len();
        let actor = &actors[actor_index];
        let slot = index % 20;
        let activity = if slot < 10 || posts.is_empty() {
            let number = index as u64;
            let id = format!("{}/statuses/{number}", actor.id);
            posts.push((actor_index, id.clone(), number));
            json!({"@context": "https://www.w3.org/ns/activitystreams",
                "id": format!("{id}/activity"), "type": "Create", "actor": actor.id,
                "to": [PUBLIC], "object": note(&actor.id, &id, number, &mention)})
        } else {
            let (owner, post, number) =
                posts[posts.len() - 1 - (index * 7919) % posts.len().min(200)].clone();
            let kind = match slot {
                10..=12 => "Announce",
                13..=16 => "Like",
                17 | 18 => "Update",
                _ => "Delete",
            };
            // Updates and Deletes are by the post's author; the others by whoever's turn it is.
            let actor = if matches!(kind, "Update" | "Delete") {
                &actors[owner]
            } else {
                actor
            };
            let object = match kind {
                "Update" => {
                    let mut edited = note(&actor.id, &post, number, &mention);
                    edited["content"] = json!(format!("<p>edited load post {number}</p>"));
                    edited["updated"] = json!("2026-11-28T13:00:00Z");
                    edited
                }
                _ => json!(post),
            };
            let result = json!({"@context": "https://www.w3.org/ns/activitystreams",
                "id": format!("{}/activities/{index}", actor.id), "type": kind,
                "actor": actor.id, "to": [PUBLIC], "object": object});
            plan.push((actor.clone(), result));
            continue;
        };
        plan.push((actor.clone(), activity));
    }
    println!("signing {total} activities…");
    let prepared = Arc::new(sign_all(&target_host, plan).await?);

    let rss_peak = watch_rss(pid);
    let db_before = metric(&client, target, "skerry_database_file_bytes")
        .await
        .unwrap_or(0);
    let applied_before = metric(&client, target, "skerry_inbound_applied_total").await?;
    println!(
        "sending {total} signed activities ({}), {concurrency} at once…",
        if rate == 0 {
            "flat out".to_string()
        } else {
            format!("{rate}/s")
        }
    );
    let next = Arc::new(AtomicUsize::new(0));
    let send_start = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (client, prepared, next, target) = (
            client.clone(),
            prepared.clone(),
            next.clone(),
            target.to_string(),
        );
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors: BTreeMap<String, u64> = BTreeMap::new();
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(request) = prepared.get(index) else {
                    break;
                };
                if rate > 0 {
                    let due = send_start + Duration::from_secs_f64(index as f64 / rate as f64);
                    tokio::time::sleep_until(due.into()).await;
                }
                let sent = Instant::now();
                let answer = client
                    .post(format!("{target}/inbox"))
                    .headers(request.headers.clone())
                    .body(request.body.clone())
                    .send()
                    .await;
                match answer {
                    Ok(answer) if answer.status() == reqwest::StatusCode::ACCEPTED => {
                        latencies.push(sent.elapsed().as_micros() as u64);
                    }
                    Ok(answer) => {
                        *errors
                            .entry(format!("http {}", answer.status().as_u16()))
                            .or_default() += 1
                    }
                    Err(error) if error.is_timeout() => {
                        *errors.entry("timeout".into()).or_default() += 1
                    }
                    Err(error) if error.is_connect() => {
                        *errors.entry("connect".into()).or_default() += 1
                    }
                    Err(_) => *errors.entry("other".into()).or_default() += 1,
                }
            }
            (latencies, errors)
        }));
    }
    let mut latencies = Vec::new();
    let mut errors: BTreeMap<String, u64> = BTreeMap::new();
    for worker in workers {
        let (mut part, part_errors) = worker.await?;
        latencies.append(&mut part);
        for (kind, count) in part_errors {
            *errors.entry(kind).or_default() += count;
        }
    }
    let send_secs = send_start.elapsed().as_secs_f64();
    let drained_in_time = drained(&client, target, deadline).await?;
    let apply_secs = send_start.elapsed().as_secs_f64();
    let applied = metric(&client, target, "skerry_inbound_applied_total").await? - applied_before;
    let db_after = metric(&client, target, "skerry_database_file_bytes")
        .await
        .unwrap_or(0);
    latencies.sort_unstable();
    let accepted = latencies.len();
    println!(
        "accepted {accepted} of {total} in {send_secs:.2} s: {:.0} activities/s",
        accepted as f64 / send_secs
    );
    println!(
        "applied {applied} in {apply_secs:.2} s from the first send: {:.0} activities/s{}",
        applied as f64 / apply_secs,
        if drained_in_time {
            ""
        } else {
            " (queue not drained by --seconds-max)"
        }
    );
    println!(
        "ack latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(&latencies, 0.5) as f64 / 1000.0,
        percentile(&latencies, 0.99) as f64 / 1000.0,
        latencies.last().copied().unwrap_or(0) as f64 / 1000.0
    );
    println!(
        "errors: {}",
        if errors.is_empty() {
            "none".to_string()
        } else {
            errors
                .iter()
                .map(|(kind, count)| format!("{kind}: {count}"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    if pid.is_some() {
        println!(
            "server RSS peak {:.1} MiB",
            rss_peak.load(Ordering::Relaxed) as f64 / 1024.0
        );
    }
    println!(
        "database grew {:.1} MiB ({} → {} bytes)",
        db_after.saturating_sub(db_before) as f64 / 1_048_576.0,
        db_before,
        db_after
    );
    println!(
        "result accepted_per_s={:.0} applied_per_s={:.0} p50_ms={:.2} p99_ms={:.2} rss_kib={} errors={}",
        accepted as f64 / send_secs,
        applied as f64 / apply_secs,
        percentile(&latencies, 0.5) as f64 / 1000.0,
        percentile(&latencies, 0.99) as f64 / 1000.0,
        rss_peak.load(Ordering::Relaxed),
        errors.values().sum::<u64>()
    );
    Ok(IngestReport {
        accepted,
        applied,
        errors: errors.values().sum(),
    })
}

async fn fanout(target: &str, options: &Options) -> anyhow::Result<()> {
    let hosts = (options.number("hosts", 50)? as usize).clamp(1, INSTANCES_MAX);
    let posts = options.number("posts", 20)?.clamp(1, 10_000);
    let pid = options
        .values
        .get("pid")
        .map(|pid| pid.parse())
        .transpose()?;
    let seconds_max = options.number("seconds-max", 300)?;
    let user = options.text("user", "alice");
    let token = options
        .values
        .get("token")
        .context("--token of the user is needed to post")?
        .clone();
    let target_host = target
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_string();
    let mention = format!("{target}/users/{user}");
    let client = client()?;
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds_max);
    let inboxes = Arc::new(Inboxes::default());
    println!("setting up {hosts} follower hosts…");
    let mut follows = Vec::new();
    for host in 0..hosts {
        let played =
            start_instance(&[format!("f{host}")], &mention, inboxes.clone(), started).await?;
        for actor in played.actors {
            let follow = json!({"@context": "https://www.w3.org/ns/activitystreams",
                "id": format!("{}/follows/1", actor.id), "type": "Follow",
                "actor": actor.id, "object": mention});
            follows.push((Arc::new(actor), follow));
        }
    }
    for prepared in sign_all(&target_host, follows).await? {
        let answer = client
            .post(format!("{target}/inbox"))
            .headers(prepared.headers)
            .body(prepared.body)
            .send()
            .await?;
        if !answer.status().is_success() {
            bail!("Follow answered {}", answer.status());
        }
    }
    if !drained(&client, target, deadline).await? {
        bail!("the follows were not applied in time");
    }
    // The Accepts of the follows are deliveries too: wait for them, then count from zero.
    let accepts_deadline = Instant::now() + Duration::from_secs(30).min(deadline - Instant::now());
    while inboxes.received.load(Ordering::Relaxed) < hosts as u64
        && Instant::now() < accepts_deadline
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let rss_peak = watch_rss(pid);
    let before = inboxes.received.load(Ordering::Relaxed);
    println!(
        "posting {posts} statuses, expecting {} deliveries…",
        posts * hosts as u64
    );
    let post_start_ms = started.elapsed().as_millis() as u64;
    for number in 0..posts {
        let answer = client
            .post(format!("{target}/api/v1/statuses"))
            .bearer_auth(&token)
            .header(header::CONTENT_TYPE, "application/json")
            .body(json!({"status": format!("fan-out post {number}")}).to_string())
            .send()
            .await?;
        if !answer.status().is_success() {
            bail!(
                "posting answered {}: {}",
                answer.status(),
                answer.text().await?
            );
        }
    }
    let expected = posts * hosts as u64;
    while inboxes.received.load(Ordering::Relaxed) - before < expected && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let received = inboxes.received.load(Ordering::Relaxed) - before;
    let secs = (inboxes
        .last_ms
        .load(Ordering::Relaxed)
        .saturating_sub(post_start_ms)) as f64
        / 1000.0;
    println!(
        "{received} of {expected} deliveries in {secs:.2} s: {:.0} deliveries/s",
        received as f64 / secs.max(0.001)
    );
    if pid.is_some() {
        println!(
            "server RSS peak {:.1} MiB",
            rss_peak.load(Ordering::Relaxed) as f64 / 1024.0
        );
    }
    println!(
        "result deliveries={received} expected={expected} deliveries_per_s={:.0}",
        received as f64 / secs.max(0.001)
    );
    if received < expected {
        bail!("not every delivery arrived by --seconds-max");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_off_loopback_are_refused() {
        assert!(check_loopback("http://127.0.0.1:8080").is_ok());
        assert!(check_loopback("http://localhost:8080/").is_ok());
        assert!(check_loopback("http://[::1]:8080").is_ok());
        assert!(check_loopback("http://192.0.2.1:8080").is_err());
        assert!(check_loopback("https://127.0.0.1:8080").is_err());
        assert!(check_loopback("http://example.org").is_err());
    }

    #[test]
    fn percentiles_of_sorted_latencies() {
        let sorted: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&sorted, 0.5), 51);
        assert_eq!(percentile(&sorted, 0.99), 99);
        assert_eq!(percentile(&[], 0.99), 0);
    }

    /// The tool against a real server in this process: a short run where every activity must
    /// be accepted and applied.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_short_ingest_run_against_a_server_is_accepted_and_applied() {
        use skerry::config::{Config, Overrides};
        let directory = tempfile::tempdir().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let host = listener.local_addr().unwrap().to_string();
        let file = directory.path().join("skerry.toml");
        std::fs::write(&file, "").unwrap();
        let environment: Vec<(String, String)> = [
            ("SKERRY_SERVER_SCHEME", "http"),
            ("SKERRY_SERVER_HOST", host.as_str()),
            ("SKERRY_SERVER_LISTEN", host.as_str()),
            ("SKERRY_FEDERATION_ALLOW_PRIVATE_NETWORKS", "true"),
        ]
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect();
        let overrides = Overrides {
            data_dir: Some(directory.path().join("data")),
            ..Overrides::default()
        };
        let app =
            skerry::app::App::open(Config::load(Some(&file), environment, &overrides).unwrap())
                .unwrap();
        skerry::app::accounts::create_local_account(
            &app,
            "alice",
            "alice@example.org",
            skerry::model::Role::User,
        )
        .unwrap();
        tokio::spawn(skerry::http::serve(app, listener, std::future::pending()));
        let args: Vec<String> = [
            "--instances",
            "2",
            "--actors",
            "1",
            "--activities",
            "60",
            "--concurrency",
            "4",
            "--seconds-max",
            "60",
        ]
        .iter()
        .map(|arg| arg.to_string())
        .collect();
        let options = Options::parse(&args).unwrap();
        let report = ingest(&format!("http://{host}"), &options).await.unwrap();
        assert_eq!(
            (report.accepted, report.applied, report.errors),
            (60, 60, 0)
        );
    }
}
