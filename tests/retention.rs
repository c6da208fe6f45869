//! Retention through a real server: what a local user touched stays, the rest goes after
//! `retention.remote_status_days`; the growth sample reaches `skerry storage report` and
//! `/metrics`.

use reqwest::StatusCode;
use serde_json::{Value, json};
use skerry::app::housekeeping::{self, Cursors};
use skerry::app::remote;
use skerry::federation::inbound;
use skerry::model::InboundActivity;

use crate::rig::Server;

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
const DAY_MS: u64 = 24 * 3600 * 1000;

fn create(actor: &str, n: u64) -> Value {
    let id = format!("{actor}/statuses/{n}");
    // The first post has an image: its media record must go with it.
    let attachment = if n == 1 {
        json!([{"type": "Document", "mediaType": "image/png", "url": "https://remote.example/media/1.png", "name": "a photo"}])
    } else {
        json!([])
    };
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{id}/activity"), "type": "Create", "actor": actor,
        "to": [PUBLIC], "cc": [format!("{actor}/followers")],
        "object": {
            "id": id, "type": "Note", "attributedTo": actor,
            "content": format!("<p>post {n}</p>"), "published": "2026-11-01T10:00:00Z",
            "to": [PUBLIC], "cc": [format!("{actor}/followers")], "attachment": attachment,
        }
    })
}

#[tokio::test]
async fn untouched_remote_statuses_expire_and_touched_ones_stay() {
    let server = Server::start_with(&[
        ("SKERRY_FEDERATION_OUTBOUND", "false"),
        ("SKERRY_SERVER_SCHEME", "https"),
        ("SKERRY_RETENTION_REMOTE_STATUS_DAYS", "30"),
    ])
    .await;
    let alice = server.user("alice").await;
    let actor = "https://remote.example/users/bob".to_string();
    let input = remote::ActorInput {
        uri: actor.clone(),
        username: "bob".into(),
        host: "remote.example".into(),
        inbox: "https://127.0.0.1:1/inbox".into(),
        followers: Some(format!("{actor}/followers")),
        key_id: format!("{actor}#main-key"),
        public_key_pem: "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n".into(),
        ..remote::ActorInput::default()
    };
    let alice_id = alice.id;
    let bob = server
        .app
        .run(move |app| {
            let bob = remote::upsert_actor(app, input)?;
            skerry::app::relationships::follow(app, alice_id, bob)?;
            remote::answer_our_follow(app, alice_id, bob, true)?;
            Ok(bob)
        })
        .await
        .unwrap();
    for n in 1..=2 {
        let item = InboundActivity {
            signer: actor.clone(),
            body: serde_json::to_vec(&create(&actor, n)).unwrap(),
            received_ms: skerry::util::time::now_ms(),
        };
        inbound::apply_one(&server.app, &item).await.unwrap();
    }
    let id_of = |n: u64| {
        server
            .app
            .store
            .read(|tx| {
                skerry::store::statuses::status_id_by_uri(
                    tx,
                    &format!("https://remote.example/users/bob/statuses/{n}"),
                )
            })
            .unwrap()
            .unwrap()
    };
    let (first, second) = (id_of(1), id_of(2));
    let media_ids = server
        .app
        .store
        .read(|tx| skerry::store::statuses::get_status(tx, first, 1 << 20))
        .unwrap()
        .unwrap()
        .media_ids;
    assert_eq!(media_ids.len(), 1);
    let reply = server
        .post(
            &format!("/api/v1/statuses/{second}/favourite"),
            Some(&alice.token),
            json!({}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    // While alice follows bob, his posts are touched and stay, however old.
    let later = skerry::util::time::now_ms() + 60 * DAY_MS;
    let app = server.app.clone();
    let round = tokio::task::spawn_blocking(move || {
        housekeeping::round(&app, &mut Cursors::default(), later).unwrap()
    })
    .await
    .unwrap();
    assert_eq!(round.statuses_pruned, 0, "{round:?}");
    server
        .app
        .run(move |app| skerry::app::relationships::unfollow(app, alice_id, bob).map(drop))
        .await
        .unwrap();
    let app = server.app.clone();
    let round = tokio::task::spawn_blocking(move || {
        housekeeping::round(&app, &mut Cursors::default(), later).unwrap()
    })
    .await
    .unwrap();
    assert_eq!(round.statuses_pruned, 1, "{round:?}");
    let gone = server
        .get(&format!("/api/v1/statuses/{first}"), Some(&alice.token))
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    // Its attachment's record went with it (the budget would otherwise be eaten by media
    // records of statuses long gone).
    let media = server
        .app
        .store
        .read(|tx| skerry::store::media::get_media(tx, media_ids[0], 1 << 20))
        .unwrap();
    assert!(media.is_none(), "{media:?}");
    let kept = server
        .get(&format!("/api/v1/statuses/{second}"), Some(&alice.token))
        .await;
    assert_eq!(kept.status, StatusCode::OK, "{}", kept.json);
    let (problems, _) = server.app.store.check().unwrap();
    assert!(problems.is_empty(), "{problems:?}");

    // The round took the day's growth sample: the report and the metrics show it.
    let app = server.app.clone();
    let report = tokio::task::spawn_blocking(move || {
        skerry::admin::execute(&app, skerry::admin::Command::StorageReport { days: 365 })
    })
    .await
    .unwrap()
    .unwrap();
    assert!(report.contains("statusid_status"), "{report}");
    assert!(report.contains("bytes/day"), "{report}");
    assert!(report.contains("bytes on disk"), "{report}");
    let metrics = server.get("/metrics", None).await;
    let text = metrics.json.as_str().unwrap().to_string();
    assert!(
        text.contains("skerry_table_bytes{table=\"statusid_status\"}"),
        "{text}"
    );
    assert!(text.contains("skerry_storage_budget_exhausted 0"), "{text}");
    assert!(
        text.contains("skerry_retention_statuses_pruned_total 1"),
        "{text}"
    );
}

/// Over a tiny budget, untouched statuses go whatever their age; once only touched content is
/// left, the round says so and `/metrics` shows it.
#[tokio::test]
async fn over_budget_untouched_goes_first_then_the_budget_is_exhausted() {
    let server = Server::start_with(&[
        ("SKERRY_FEDERATION_OUTBOUND", "false"),
        ("SKERRY_SERVER_SCHEME", "https"),
        ("SKERRY_RETENTION_REMOTE_STATUS_DAYS", "0"),
        ("SKERRY_STORAGE_DB_BYTES_MAX", "1000"),
    ])
    .await;
    let alice = server.user("alice").await;
    let actor = "https://remote.example/users/carol".to_string();
    let input = remote::ActorInput {
        uri: actor.clone(),
        username: "carol".into(),
        host: "remote.example".into(),
        inbox: "https://127.0.0.1:1/inbox".into(),
        followers: Some(format!("{actor}/followers")),
        key_id: format!("{actor}#main-key"),
        public_key_pem: "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n".into(),
        ..remote::ActorInput::default()
    };
    let alice_id = alice.id;
    let carol = server
        .app
        .run(move |app| {
            let carol = remote::upsert_actor(app, input)?;
            skerry::app::relationships::follow(app, alice_id, carol)?;
            remote::answer_our_follow(app, alice_id, carol, true)?;
            Ok(carol)
        })
        .await
        .unwrap();
    for n in 1..=2 {
        let item = InboundActivity {
            signer: actor.clone(),
            body: serde_json::to_vec(&create(&actor, n)).unwrap(),
            received_ms: skerry::util::time::now_ms(),
        };
        inbound::apply_one(&server.app, &item).await.unwrap();
    }
    let second = server
        .app
        .store
        .read(|tx| {
            skerry::store::statuses::status_id_by_uri(
                tx,
                "https://remote.example/users/carol/statuses/2",
            )
        })
        .unwrap()
        .unwrap();
    let reply = server
        .post(
            &format!("/api/v1/statuses/{second}/bookmark"),
            Some(&alice.token),
            json!({}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    server
        .app
        .run(move |app| skerry::app::relationships::unfollow(app, alice_id, carol).map(drop))
        .await
        .unwrap();
    let app = server.app.clone();
    let now = skerry::util::time::now_ms();
    let (first_round, second_round) = tokio::task::spawn_blocking(move || {
        let mut cursors = Cursors::default();
        let first = housekeeping::round(&app, &mut cursors, now).unwrap();
        let second = housekeeping::round(&app, &mut cursors, now).unwrap();
        (first, second)
    })
    .await
    .unwrap();
    // The unbookmarked one goes (no age limit: the budget), the bookmarked one stays.
    assert_eq!(first_round.statuses_budget_pruned, 1, "{first_round:?}");
    assert!(!first_round.budget_exhausted);
    assert_eq!(second_round.statuses_budget_pruned, 0, "{second_round:?}");
    assert!(second_round.budget_exhausted, "{second_round:?}");
    let kept = server
        .get(&format!("/api/v1/statuses/{second}"), Some(&alice.token))
        .await;
    assert_eq!(kept.status, StatusCode::OK);
    let metrics = server.get("/metrics", None).await;
    let text = metrics.json.as_str().unwrap().to_string();
    assert!(text.contains("skerry_storage_budget_exhausted 1"), "{text}");
}
