//! The inbound worker's batches (`inbound::process_batch`): a batch is applied in one write
//! transaction, in queue order (an activity sees what an earlier one of the same batch
//! wrote); a refused activity is skipped without losing the others; and what the inbox
//! acknowledged survives a restart and is applied exactly once, even when the peer sends it
//! again.

use serde_json::{Value, json};
use skerry::app::{App, accounts, remote};
use skerry::model::{AccountId, InboundActivity, Role};
use skerry::store::{Edge, Page, queues, statuses};

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
const BOB: &str = "https://remote.example/users/bob";
const CAROL: &str = "https://remote.example/users/carol";

/// An app on `directory` without a server or workers: only the test takes batches.
fn open(directory: &std::path::Path) -> App {
    App::open(crate::rig::config(
        directory,
        1,
        &[
            ("SKERRY_FEDERATION_OUTBOUND", "false"),
            ("SKERRY_SERVER_SCHEME", "https"),
        ],
    ))
    .unwrap()
}

/// Alice (local), and Bob and Carol (remote, known, so no fetch is needed).
fn setup(app: &App) -> (AccountId, AccountId, AccountId) {
    let (alice, _) =
        accounts::create_local_account(app, "alice", "a@example.test", Role::User).unwrap();
    let known = |uri: &str, name: &str| {
        remote::upsert_actor(
            app,
            remote::ActorInput {
                uri: uri.into(),
                username: name.into(),
                host: "remote.example".into(),
                inbox: format!("{uri}/inbox"),
                followers: Some(format!("{uri}/followers")),
                key_id: format!("{uri}#main-key"),
                public_key_pem: "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n".into(),
                ..remote::ActorInput::default()
            },
        )
        .unwrap()
    };
    (alice.id, known(BOB, "bob"), known(CAROL, "carol"))
}

/// A Create by `actor` of a public post that mentions alice (so it is stored).
fn create(app: &App, actor: &str, n: u64) -> Value {
    let alice = format!("{}/users/alice", app.base_url);
    let id = format!("{actor}/statuses/{n}");
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{id}/activity"), "type": "Create", "actor": actor,
        "to": [PUBLIC], "cc": [&alice],
        "object": {
            "id": id, "type": "Note", "attributedTo": actor,
            "content": format!("<p>post {n} for @alice</p>"),
            "published": "2026-11-28T10:00:00Z",
            "to": [PUBLIC], "cc": [&alice],
            "tag": [{"type": "Mention", "href": &alice}],
        }
    })
}

fn activity(actor: &str, name: &str, kind: &str, object: Value) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{actor}/activities/{name}"), "type": kind, "actor": actor,
        "to": [PUBLIC], "object": object,
    })
}

/// Commits activities to the inbound queue as the inbox does before its 202.
fn enqueue(app: &App, items: &[(&str, Vec<u8>)]) {
    app.store
        .write(|tx| {
            for (signer, body) in items {
                let item = InboundActivity {
                    signer: signer.to_string(),
                    body: body.clone(),
                    received_ms: skerry::util::time::now_ms(),
                };
                queues::push_inbound(tx, app.next_id(), &item)?;
            }
            Ok::<_, skerry::store::StoreError>(())
        })
        .unwrap();
}

fn status_id(app: &App, uri: &str) -> Option<skerry::model::StatusId> {
    app.store
        .read(|tx| statuses::status_id_by_uri(tx, uri))
        .unwrap()
}

fn queued(app: &App) -> u64 {
    app.store.read(queues::count_inbound).unwrap()
}

fn notifications(app: &App, recipient: AccountId) -> usize {
    app.store
        .read(|tx| {
            skerry::store::notifications::page(
                tx,
                recipient,
                Page::newest(1000),
                1000,
                app.bytes_max(),
                |notification| Ok::<_, skerry::store::StoreError>(Some(notification)),
            )
        })
        .unwrap()
        .len()
}

#[tokio::test]
async fn a_refused_activity_does_not_stop_the_rest_of_its_batch() {
    let directory = tempfile::tempdir().unwrap();
    let app = open(directory.path());
    let (_, bob, carol) = setup(&app);
    let post = |n: u64| format!("{BOB}/statuses/{n}");
    let bytes = |value: Value| serde_json::to_vec(&value).unwrap();
    enqueue(
        &app,
        &[
            (BOB, bytes(create(&app, BOB, 1))),
            // Refused inside the apply phase (the post exists only once the Create above is
            // applied, in the same transaction): Carol deletes Bob's post.
            (
                CAROL,
                bytes(activity(CAROL, "delete", "Delete", json!(post(1)))),
            ),
            // Refused while parsing: not JSON.
            (BOB, b"{ not json".to_vec()),
            // Refused while preparing: an Update of someone else's post.
            (
                CAROL,
                bytes(activity(
                    CAROL,
                    "update",
                    "Update",
                    create(&app, BOB, 1)["object"].clone(),
                )),
            ),
            (BOB, bytes(create(&app, BOB, 2))),
            // Of posts created earlier in the same batch: applied in queue order.
            (
                CAROL,
                bytes(activity(CAROL, "like", "Like", json!(post(1)))),
            ),
            (
                CAROL,
                bytes(activity(CAROL, "announce", "Announce", json!(post(2)))),
            ),
        ],
    );
    let taken = skerry::federation::inbound::process_batch(&app)
        .await
        .unwrap();
    assert_eq!(
        taken, 7,
        "every activity leaves the queue, refused or applied"
    );
    assert_eq!(queued(&app), 0);
    let first = status_id(&app, &post(1)).expect("the first post is stored");
    status_id(&app, &post(2)).expect("the post after the refusals is stored");
    app.store
        .read(|tx| {
            assert!(Edge::FAVOURITE.contains(tx, carol.0, first.0)?, "the Like");
            assert_eq!(statuses::get_counts(tx, first)?.favourites, 1);
            let reblog = statuses::status_id_by_uri(tx, &format!("{CAROL}/activities/announce"))?
                .expect("the Announce is stored as a reblog");
            let reblog = statuses::get_status(tx, reblog, 1 << 20)?.unwrap();
            assert_eq!(reblog.account_id, carol);
            let original = statuses::get_status(tx, first, 1 << 20)?.unwrap();
            assert_eq!(original.account_id, bob, "Carol's Delete changed nothing");
            assert!(original.content_html.contains("post 1"), "nor her Update");
            Ok::<_, skerry::store::StoreError>(())
        })
        .unwrap();
}

#[tokio::test]
async fn acknowledged_activities_survive_a_restart_and_apply_exactly_once() {
    let directory = tempfile::tempdir().unwrap();
    let bodies: Vec<Vec<u8>>;
    {
        let app = open(directory.path());
        setup(&app);
        bodies = (1..=3)
            .map(|n| serde_json::to_vec(&create(&app, BOB, n)).unwrap())
            .collect();
        // Acknowledged: committed to the queue (the inbox answers 202 after this). The
        // process stops before the worker applies anything.
        for body in &bodies {
            let item = InboundActivity {
                signer: BOB.into(),
                body: body.clone(),
                received_ms: skerry::util::time::now_ms(),
            };
            skerry::app::ingest::enqueue(&app, item)
                .await
                .unwrap_or_else(|_| panic!("queued"));
        }
    }
    let app = open(directory.path());
    let alice = skerry::app::accounts::lookup(&app, "alice")
        .unwrap()
        .account
        .id;
    let bob = status_owner(&app);
    assert_eq!(queued(&app), 3, "what was acknowledged is still queued");
    assert_eq!(notifications(&app, alice), 0, "and nothing of it applied");
    assert_eq!(
        skerry::federation::inbound::process_batch(&app)
            .await
            .unwrap(),
        3
    );
    let stored = |app: &App| app.store.read(|tx| accounts_statuses(tx, bob)).unwrap();
    assert_eq!(
        (queued(&app), stored(&app), notifications(&app, alice)),
        (0, 3, 3)
    );
    drop(app);

    // After another restart nothing is applied again, and the peer sending the same
    // activities again (it did not see our 202) changes nothing either.
    let app = open(directory.path());
    assert_eq!(queued(&app), 0);
    enqueue(
        &app,
        &bodies
            .iter()
            .map(|body| (BOB, body.clone()))
            .collect::<Vec<_>>(),
    );
    assert_eq!(
        skerry::federation::inbound::process_batch(&app)
            .await
            .unwrap(),
        3
    );
    assert_eq!(
        (queued(&app), stored(&app), notifications(&app, alice)),
        (0, 3, 3)
    );
}

fn status_owner(app: &App) -> AccountId {
    app.store
        .read(|tx| skerry::store::accounts::account_id_by_actor_uri(tx, BOB))
        .unwrap()
        .expect("bob is known")
}

fn accounts_statuses(
    tx: &impl skerry::store::Reader,
    account: AccountId,
) -> Result<u32, skerry::store::StoreError> {
    Ok(skerry::store::accounts::get_counts(tx, account)?.statuses)
}
