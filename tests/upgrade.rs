//! Upgrade safety: a database written by an older build (record format and schema of the
//! time, committed as `tests/fixtures/store-format-v1.redb`) opens with this build, migrates,
//! and every record in it decodes and every index points at something.
//!
//! The fixture was written by `write_format_v1_fixture` (ignored; it needs the build whose
//! format it captures) on the commit that added it, before the record format changed:
//! `cargo test --test integration upgrade::write_format_v1_fixture -- --ignored`.

use std::path::{Path, PathBuf};

use reqwest::StatusCode;
use serde_json::{Value, json};
use skerry::app::remote;
use skerry::federation::inbound;
use skerry::model::InboundActivity;
use skerry::store::Store;

use crate::rig::Server;

fn fixture_path() -> PathBuf {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/store-format-v1.redb"
    ))
    .to_path_buf()
}

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
/// Statuses of remote actors the fixture holds.
const REMOTE_NOTES: usize = 12;

/// A `Create` of a Mastodon-shaped Note by `actor`.
fn create_note(actor: &str, n: usize, text: &str, reply_to: Option<&str>) -> Value {
    let id = format!("{actor}/statuses/{}", 100_000 + n);
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{id}/activity"),
        "type": "Create",
        "actor": actor,
        "published": "2026-11-20T10:00:00Z",
        "to": [PUBLIC],
        "cc": [format!("{actor}/followers")],
        "object": {
            "id": id,
            "type": "Note",
            "attributedTo": actor,
            "inReplyTo": reply_to,
            "content": format!("<p>{text} <a href=\"https://example.social/tags/rust\" class=\"mention hashtag\" rel=\"tag\">#<span>rust</span></a></p>"),
            "published": format!("2026-11-20T10:{:02}:00Z", n % 60),
            "url": format!("https://example.social/@someone/{}", 100_000 + n),
            "to": [PUBLIC],
            "cc": [format!("{actor}/followers")],
            "sensitive": false,
            "tag": [{"type": "Hashtag", "href": "https://example.social/tags/rust", "name": "#rust"}],
        }
    })
}

async fn apply(server: &Server, signer: &str, body: &Value) {
    let item = InboundActivity {
        signer: signer.to_string(),
        body: serde_json::to_vec(body).unwrap(),
        received_ms: skerry::util::time::now_ms(),
    };
    inbound::apply_one(&server.app, &item).await.unwrap();
}

/// Writes the fixture: local users with statuses (a poll, a reply, hashtags), favourites,
/// bookmarks, a list, a filter, a marker, remote actors and their statuses through the inbound
/// path, a remote reply to a local status.
#[tokio::test]
#[ignore = "writes the committed fixture; run only on the build whose format it captures"]
async fn write_format_v1_fixture() {
    let server = Server::start_with(&[
        ("SKERRY_FEDERATION_OUTBOUND", "false"),
        ("SKERRY_SERVER_SCHEME", "https"),
    ])
    .await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let first = server.post_status(&alice, "hello #skerry world").await;
    let reply = server
        .post(
            "/api/v1/statuses",
            Some(&bob.token),
            json!({"status": "@alice hi", "in_reply_to_id": first}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    let poll = server
        .post(
            "/api/v1/statuses",
            Some(&alice.token),
            json!({"status": "tea?", "poll": {"options": ["tea", "coffee"], "expires_in": 3600}}),
        )
        .await;
    assert_eq!(poll.status, StatusCode::OK, "{}", poll.json);
    let poll_id = poll.json["poll"]["id"].as_str().unwrap().to_string();
    for (path, body) in [
        (format!("/api/v1/statuses/{first}/favourite"), json!({})),
        (format!("/api/v1/statuses/{first}/bookmark"), json!({})),
        (
            format!("/api/v1/polls/{poll_id}/votes"),
            json!({"choices": [1]}),
        ),
        ("/api/v1/lists".to_string(), json!({"title": "friends"})),
        (
            "/api/v2/filters".to_string(),
            json!({"title": "spoilers", "context": ["home"], "keywords_attributes": [{"keyword": "finale"}]}),
        ),
        (
            "/api/v1/markers".to_string(),
            json!({"home": {"last_read_id": first}}),
        ),
    ] {
        let reply = server.post(&path, Some(&bob.token), body).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.json);
    }
    // Remote actors known without the network, one followed by alice.
    let actors: Vec<String> = (0..3)
        .map(|n| format!("https://example.social/users/someone{n}"))
        .collect();
    for actor in &actors {
        let input = remote::ActorInput {
            uri: actor.clone(),
            username: actor.rsplit('/').next().unwrap().to_string(),
            host: "example.social".into(),
            display_name: "Some One".into(),
            note_html: "<p>I post things</p>".into(),
            inbox: "https://127.0.0.1:1/inbox".into(),
            shared_inbox: Some("https://127.0.0.1:1/inbox".into()),
            followers: Some(format!("{actor}/followers")),
            url: Some(format!("https://example.social/@{}", actor.rsplit('/').next().unwrap())),
            key_id: format!("{actor}#main-key"),
            public_key_pem: "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu\n-----END PUBLIC KEY-----\n".into(),
            ..remote::ActorInput::default()
        };
        let (alice_id, follow) = (alice.id, actor == &actors[0]);
        server
            .app
            .run(move |app| {
                let id = remote::upsert_actor(app, input)?;
                if follow {
                    skerry::app::relationships::follow(app, alice_id, id)?;
                    remote::answer_our_follow(app, alice_id, id, true)?;
                }
                Ok(())
            })
            .await
            .unwrap();
    }
    for n in 0..REMOTE_NOTES {
        let actor = &actors[n % actors.len()];
        let text = format!("remote note number {n} with some words in it");
        apply(&server, actor, &create_note(actor, n, &text, None)).await;
    }
    let local_uri = format!("{}/users/alice/statuses/{first}", server.app.base_url);
    let remote_reply = create_note(&actors[1], 999, "a reply to alice", Some(&local_uri));
    apply(&server, &actors[1], &remote_reply).await;

    let (problems, checked) = server.app.store.check().unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    assert!(checked > 20, "{checked}");
    let path = fixture_path();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let _ = std::fs::remove_file(&path);
    server.app.store.backup(&path).unwrap();
}

/// The committed database opens, migrates and reads back completely.
#[test]
fn a_database_of_format_v1_opens_and_reads_every_record() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("old.redb");
    std::fs::copy(fixture_path(), &path).unwrap();
    let store = Store::open(&path, 4 << 20, 1 << 20).unwrap();
    let (problems, checked) = store.check().unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    let stats = store.stats(&path).unwrap();
    let entries = |name: &str| {
        stats
            .tables
            .iter()
            .find(|table| table.name == name)
            .map_or(0, |table| table.entries)
    };
    // 3 local statuses, the remote ones of the followed actor (every third) and the remote
    // reply to a local status; the others were not wanted (nobody follows their authors).
    assert_eq!(entries("statusid_status"), 3 + REMOTE_NOTES as u64 / 3 + 1);
    assert_eq!(entries("accountid_remoteactor"), 3);
    assert!(checked >= entries("statusid_status") + entries("accountid_account"));
    // Every remote status is still found by its id (URI), and reads back.
    store
        .read(|tx| {
            for n in 0..REMOTE_NOTES {
                let uri = format!(
                    "https://example.social/users/someone{}/statuses/{}",
                    n % 3,
                    100_000 + n
                );
                let found = skerry::store::statuses::status_id_by_uri(tx, &uri)?;
                if n % 3 != 0 {
                    assert_eq!(found, None, "{uri}");
                    continue;
                }
                let id = found.unwrap_or_else(|| panic!("{uri} is not found"));
                let status = skerry::store::statuses::get_status(tx, id, 1 << 20)?.unwrap();
                assert!(
                    status.content_html.contains(&format!("number {n} ")),
                    "{}",
                    status.content_html
                );
                assert_eq!(
                    skerry::store::statuses::status_uri(tx, id)?.as_deref(),
                    Some(uri.as_str())
                );
            }
            for entry in
                redb::ReadableTable::iter(&tx.open_table(skerry::store::schema::REMOTE_ACTORS)?)?
            {
                let (_, bytes) = entry?;
                skerry::store::records::decode::<skerry::model::RemoteActor>(
                    bytes.value(),
                    1 << 20,
                )?;
            }
            for entry in redb::ReadableTable::iter(&tx.open_table(skerry::store::schema::POLLS)?)? {
                let (_, bytes) = entry?;
                skerry::store::records::decode::<skerry::model::Poll>(bytes.value(), 1 << 20)?;
            }
            Ok::<_, skerry::store::StoreError>(())
        })
        .unwrap();
}
