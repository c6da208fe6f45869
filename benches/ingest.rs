//! The hot parts of inbound federation: checking an HTTP signature (RSA-2048, as Mastodon
//! signs), parsing an activity (`vocab::parse` of a Create of a Note), and applying a batch
//! of queued Creates as the inbound worker does (`inbound::process_batch`: parse and prepare,
//! then one durable write transaction per slice of at most `ingest::APPLY_SLICE_MS_MAX`;
//! the fsync is part of the figure).
//!
//! Run with `cargo bench --bench ingest`; `cargo test --benches` runs each benchmark once.

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use http::{HeaderMap, HeaderValue, Method, header};
use serde_json::{Value, json};
use skerry::app::remote::{self, ActorInput};
use skerry::app::{App, accounts};
use skerry::config::{Config, Overrides};
use skerry::federation::{fetch, inbound, vocab};
use skerry::model::{InboundActivity, Role};
use skerry::sig::httpsig::{self, RequestParts, VerifyPolicy};
use skerry::sig::{PublicKey, SigningKey};
use skerry::store::queues;

/// Activities applied per batch: the inbound worker's batch.
const BATCH: usize = inbound::ACTIVITIES_PER_BATCH;
const ACTOR: &str = "https://remote.example/users/bob";

fn create(number: u64) -> Value {
    let id = format!("{ACTOR}/statuses/{number}");
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{id}/activity"),
        "type": "Create",
        "actor": ACTOR,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": {
            "id": id,
            "type": "Note",
            "attributedTo": ACTOR,
            "content": "<p>A post as a relay carries them: a sentence or two, a <a href=\"https://example.org\">link</a>, and a mention of <span class=\"h-card\"><a href=\"https://local.example/users/alice\" class=\"u-url mention\">@alice</a></span> #fediverse</p>",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "cc": ["https://remote.example/users/bob/followers", "https://local.example/users/alice"],
            "tag": [
                {"type": "Mention", "href": "https://local.example/users/alice"},
                {"type": "Hashtag", "name": "#fediverse", "href": "https://remote.example/tags/fediverse"}
            ],
            "published": "2026-11-28T12:00:00Z",
        },
    })
}

fn verify(c: &mut Criterion) {
    let der = skerry::sig::generate_rsa_pkcs8().expect("a key");
    let key = SigningKey::from_pkcs8(&der).expect("the key parses");
    let public = PublicKey::from_pem(&skerry::sig::public_key_pem(&der).expect("pem"))
        .expect("the public key parses");
    let body = create(1).to_string().into_bytes();
    let mut headers = HeaderMap::new();
    headers.insert(header::HOST, HeaderValue::from_static("local.example"));
    let now = skerry::util::time::now_ms() / 1000;
    httpsig::sign_request(
        &key,
        &format!("{ACTOR}#main-key"),
        &Method::POST,
        "/inbox",
        &mut headers,
        Some(&body),
        now,
    )
    .expect("signed");
    c.bench_function(
        "inbound: verify an RSA-2048 signed POST (parse, digest, signature)",
        |b| {
            b.iter(|| {
                let parsed = httpsig::parse(&headers).expect("parses");
                let parts = RequestParts {
                    method: &Method::POST,
                    scheme: "https",
                    authority: "local.example",
                    path_and_query: "/inbox",
                    headers: &headers,
                    body: Some(&body),
                };
                httpsig::verify_request(&parsed, &parts, &public, now, &VerifyPolicy::default())
                    .expect("verifies");
            })
        },
    );
}

fn parse(c: &mut Criterion) {
    let body = create(1).to_string().into_bytes();
    let options = vocab::ParseOptions { allow_http: false };
    c.bench_function("inbound: parse a Create of a Note (JSON and vocab)", |b| {
        b.iter(|| {
            let value: Value = serde_json::from_slice(&body).expect("json");
            vocab::parse(&value, options).expect("an activity")
        })
    });
}

fn open_app(directory: &std::path::Path) -> App {
    let config_path = directory.join("skerry.toml");
    std::fs::write(&config_path, "").expect("the temporary directory is writable");
    let overrides = Overrides {
        data_dir: Some(directory.join("data")),
        ..Overrides::default()
    };
    let environment = vec![
        (
            "SKERRY_SERVER_HOST".to_string(),
            "local.example".to_string(),
        ),
        (
            "SKERRY_FEDERATION_OUTBOUND".to_string(),
            "false".to_string(),
        ),
    ];
    let config = Config::load(Some(&config_path), environment, &overrides)
        .expect("the configuration is valid");
    App::open(config).expect("a fresh database opens")
}

fn apply_batch(c: &mut Criterion) {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let app = open_app(directory.path());
    accounts::create_local_account(&app, "alice", "alice@example.org", Role::User).expect("alice");
    let der = skerry::sig::generate_rsa_pkcs8().expect("a key");
    remote::upsert_actor(
        &app,
        ActorInput {
            uri: ACTOR.into(),
            username: "bob".into(),
            host: "remote.example".into(),
            inbox: format!("{ACTOR}/inbox"),
            followers: Some(format!("{ACTOR}/followers")),
            key_id: format!("{ACTOR}#main-key"),
            public_key_pem: skerry::sig::public_key_pem(&der).expect("pem"),
            // It signs the requests the bench verifies.
            keep_key: true,
            ..ActorInput::default()
        },
    )
    .expect("bob is known");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let _ = fetch::parse_options(&app);
    let mut next = 0u64;
    c.bench_function(
        &format!("inbound: apply a batch of {BATCH} Creates (one write transaction per slice)"),
        |b| {
            b.iter_custom(|iterations| {
                let mut spent = Duration::ZERO;
                for _ in 0..iterations {
                    app.store
                        .write(|tx| {
                            for _ in 0..BATCH {
                                next += 1;
                                let item = InboundActivity {
                                    signer: ACTOR.into(),
                                    body: create(next).to_string().into_bytes(),
                                    received_ms: 0,
                                };
                                queues::push_inbound(tx, app.next_id(), &item)?;
                            }
                            Ok::<_, skerry::store::StoreError>(())
                        })
                        .expect("queued");
                    let started = Instant::now();
                    let applied = runtime
                        .block_on(inbound::process_batch(&app))
                        .expect("applied");
                    spent += started.elapsed();
                    assert_eq!(applied, BATCH);
                }
                spent
            })
        },
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(5));
    targets = verify, parse, apply_batch
}
criterion_main!(benches);
