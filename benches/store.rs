//! The store through the application layer, as the API uses it: posting a status (the record,
//! its indexes, counters, home-feed fan-out and a mention notification) and reading a page of
//! a home timeline.
//!
//! Each post is one `Store::write`: a redb transaction with two-phase commit and
//! `Durability::Immediate`, so every iteration includes the fsyncs of a durable commit. The
//! figure is therefore bound by the disk the temporary directory lives on, which is the real
//! cost of a post on that machine, not the cost of the code alone.
//!
//! Run with `cargo bench --bench store`; `cargo test --benches` runs each benchmark once.

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use skerry::app::statuses::NewStatus;
use skerry::app::{App, accounts, relationships, statuses, timelines};
use skerry::config::{Config, Overrides};
use skerry::model::{AccountId, Role};
use skerry::store::Page;

/// Statuses in the database before the home timeline is read. The home feed itself is capped
/// at `limits.home_feed_entries_max` (800 by default), so the feed is full when the bench runs.
const PREFILL_STATUSES: usize = 1_000;
/// Statuses in a home timeline page: Mastodon's largest `limit`.
const PAGE_STATUSES: usize = 40;

/// A post as people write them: prose, a link, a mention of the follower, two hashtags.
const POST_TEXT: &str = "Spent the weekend moving our small community server from a 4 GB VPS to a \
    1 GB one, and it went better than expected. Memory at idle is now around 30 MB, and the \
    database file is a tenth of what it was before the move.\n\n\
    The write-up with all the numbers, the backup procedure and the one thing that went wrong \
    is here: https://blog.example.org/2024/05/moving-to-a-smaller-box?utm_source=fediverse\n\n\
    Thanks @bob for reviewing the migration plan and catching the missing fsync. \
    Questions welcome, replies are open. #selfhosting #fediverse";

/// An app on a fresh database in `directory`, with the default configuration.
fn open_app(directory: &Path) -> App {
    let config_path = directory.join("skerry.toml");
    std::fs::write(&config_path, "").expect("the temporary directory is writable");
    let overrides = Overrides {
        data_dir: Some(directory.join("data")),
        ..Overrides::default()
    };
    let config = Config::load(Some(&config_path), Vec::new(), &overrides)
        .expect("the default configuration is valid");
    App::open(config).expect("a fresh database opens")
}

fn new_post() -> NewStatus {
    NewStatus {
        text: POST_TEXT.to_string(),
        ..NewStatus::default()
    }
}

/// Alice posts; Bob follows her, so each of her posts goes into two home feeds.
struct Fixture {
    app: App,
    alice: AccountId,
    bob: AccountId,
    /// Kept so the database outlives the benches; removed on drop.
    _directory: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let directory = tempfile::tempdir().expect("a temporary directory");
        let app = open_app(directory.path());
        let (alice, _) =
            accounts::create_local_account(&app, "alice", "alice@example.org", Role::User)
                .expect("alice");
        let (bob, _) = accounts::create_local_account(&app, "bob", "bob@example.org", Role::User)
            .expect("bob");
        relationships::follow(&app, bob.id, alice.id).expect("bob follows alice");
        Fixture {
            app,
            alice: alice.id,
            bob: bob.id,
            _directory: directory,
        }
    }
}

fn store(criterion: &mut Criterion) {
    let fixture = Fixture::new();
    let (app, alice, bob) = (&fixture.app, fixture.alice, fixture.bob);
    for _ in 0..PREFILL_STATUSES {
        statuses::post(app, alice, new_post()).expect("prefill post");
    }
    let page = timelines::home(app, bob, Page::newest(PAGE_STATUSES)).expect("bob's home timeline");
    assert_eq!(
        page.len(),
        PAGE_STATUSES,
        "bob's home timeline has a full page"
    );

    let mut group = criterion.benchmark_group("store");
    // One durable commit (two-phase, Durability::Immediate, so fsync) per iteration.
    group.bench_function("post_status", |bencher| {
        bencher.iter(|| statuses::post(app, alice, black_box(new_post())).expect("post"))
    });
    group.bench_function("home_timeline_40", |bencher| {
        bencher.iter(|| {
            timelines::home(app, bob, black_box(Page::newest(PAGE_STATUSES)))
                .expect("home timeline")
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    // Short runs: the whole `cargo bench` is meant to finish in a couple of minutes on 2 cores.
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = store
}
criterion_main!(benches);
