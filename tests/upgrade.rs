//! Upgrade safety: a database written by an older build (record format and schema of the
//! time, committed as `tests/fixtures/store-format-v1.redb`) opens with this build, migrates,
//! and every record in it decodes and every index points at something.
//!
//! The fixture was written by `write_format_v1_fixture` (ignored; it needs the build whose
//! format it captures) on the commit that added it, before the record format changed:
//! `cargo test --test integration upgrade::write_format_v1_fixture -- --ignored`.
//!
//! Likewise `tests/fixtures/store-schema-v2.redb`, the last database of schema version 2
//! (with a trained status dictionary, media and card links), written by
//! `write_schema_v2_fixture` on the build before schema version 3.

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

/// The database of schema version 2 (URIs of remote statuses in `statusid_uri`, actors' keys
/// as PEM, card links indexed by URL text), with a trained status dictionary.
fn fixture_v2_path() -> PathBuf {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/store-schema-v2.redb"
    ))
    .to_path_buf()
}

/// Remote statuses of the followed actor in the version-2 fixture: more than a dictionary
/// needs (`dictionaries::SAMPLES_MIN`), so most of them name one.
const V2_REMOTE_NOTES: usize = 1_100;

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

/// A `Create` of a Note with an attachment and a link, as the version-2 fixture holds them.
fn create_note_with_media(actor: &str, n: usize) -> Value {
    let mut body = create_note(
        actor,
        n,
        &format!(
            "note {n} of a relay-heavy day, see <a href=\"https://news.example/article/{}\">this</a>",
            n % 40
        ),
        None,
    );
    if n % 4 == 0 {
        body["object"]["attachment"] = json!([{
            "type": "Document",
            "mediaType": "image/jpeg",
            "url": format!("https://files.example.social/media/{n}.jpg"),
            "name": format!("picture {n}"),
            "blurhash": "UBL_:rOpGG-oBUNG,qRj2so|=eE1w^n4S5NH",
            "width": 1200,
            "height": 800,
        }]);
    }
    body
}

/// Writes the version-2 fixture: what the version-1 one holds (local users and their
/// statuses, remote actors), plus `V2_REMOTE_NOTES` remote statuses of a followed actor with
/// media and card links, a trained status dictionary, and actors with real RSA keys.
#[tokio::test]
#[ignore = "writes the committed fixture; run only on the build whose format it captures"]
async fn write_schema_v2_fixture() {
    let server = Server::start_with(&[
        ("SKERRY_FEDERATION_OUTBOUND", "false"),
        ("SKERRY_SERVER_SCHEME", "https"),
        ("SKERRY_MEDIA_PREFETCH_FOLLOWED", "false"),
        ("SKERRY_MEDIA_PREVIEW_CARDS", "false"),
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
    let actors: Vec<String> = (0..3)
        .map(|n| format!("https://example.social/users/someone{n}"))
        .collect();
    for actor in &actors {
        let key = skerry::sig::generate_rsa_pkcs8().unwrap();
        let input = remote::ActorInput {
            uri: actor.clone(),
            username: actor.rsplit('/').next().unwrap().to_string(),
            host: "example.social".into(),
            display_name: "Some One".into(),
            note_html: "<p>I post things</p>".into(),
            inbox: "https://127.0.0.1:1/inbox".into(),
            shared_inbox: Some("https://127.0.0.1:1/inbox".into()),
            followers: Some(format!("{actor}/followers")),
            url: Some(format!(
                "https://example.social/@{}",
                actor.rsplit('/').next().unwrap()
            )),
            key_id: format!("{actor}#main-key"),
            public_key_pem: skerry::sig::public_key_pem(&key).unwrap(),
            keep_key: true,
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
    let trained_at = V2_REMOTE_NOTES - 50;
    for n in 0..V2_REMOTE_NOTES {
        if n == trained_at {
            let trained = server
                .app
                .store
                .train_dictionary("status", skerry::util::time::now_ms())
                .unwrap();
            assert!(trained.is_some());
        }
        apply(&server, &actors[0], &create_note_with_media(&actors[0], n)).await;
    }
    let local_uri = format!("{}/users/alice/statuses/{first}", server.app.base_url);
    let remote_reply = create_note(&actors[1], 99_999, "a reply to alice", Some(&local_uri));
    apply(&server, &actors[1], &remote_reply).await;
    // Card links as the card job would have recorded them (no fetch here).
    server
        .app
        .store
        .write(|tx| {
            for n in 0..V2_REMOTE_NOTES {
                let uri = format!("{}/statuses/{}", actors[0], 100_000 + n);
                let id = skerry::store::statuses::status_id_by_uri(tx, &uri)?.unwrap();
                let url = format!("https://news.example/article/{}", n % 40);
                skerry::store::media::set_status_card(tx, id, Some(&url))?;
            }
            Ok::<_, skerry::store::StoreError>(())
        })
        .unwrap();

    let (problems, checked) = server.app.store.check().unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    assert!(checked > V2_REMOTE_NOTES as u64, "{checked}");
    let path = fixture_v2_path();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let _ = std::fs::remove_file(&path);
    server.app.store.backup(&path).unwrap();
}

/// The committed version-2 database opens, migrates to version 3 (URIs into the status
/// records, card links by URL hash, actors' keys as DER) and reads back completely.
#[test]
fn a_database_of_schema_v2_migrates_and_reads_every_record() {
    use skerry::store::{schema, statuses};
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("old.redb");
    std::fs::copy(fixture_v2_path(), &path).unwrap();
    let store = Store::open(&path, 4 << 20, 1 << 20).unwrap();
    let (problems, checked) = store.check().unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    let stats = store.stats(&path).unwrap();
    let entries = |name: &str| {
        stats
            .tables
            .iter()
            .find(|table| table.name == name)
            .map(|table| table.entries)
    };
    // 2 local statuses, the followed actor's, the remote reply to a local status.
    assert_eq!(
        entries("statusid_status"),
        Some(2 + V2_REMOTE_NOTES as u64 + 1)
    );
    assert!(checked > 2 + V2_REMOTE_NOTES as u64);
    assert_eq!(
        entries("cardurlhash_statusid"),
        Some(V2_REMOTE_NOTES as u64)
    );
    assert_eq!(entries("mediaid_media"), Some(V2_REMOTE_NOTES as u64 / 4));
    let infos = store.dictionary_infos().unwrap();
    assert!(infos.iter().any(|info| info.kind == "status"), "{infos:?}");
    let actor = "https://example.social/users/someone0";
    store
        .read(|tx| {
            // The legacy tables are gone.
            for name in ["statusid_uri", "cardurl_statusid"] {
                let gone = tx
                    .list_tables()?
                    .all(|table| redb::TableHandle::name(&table) != name);
                assert!(gone, "{name} is still there");
            }
            for n in 0..V2_REMOTE_NOTES {
                let uri = format!("{actor}/statuses/{}", 100_000 + n);
                let id = statuses::status_id_by_uri(tx, &uri)?
                    .unwrap_or_else(|| panic!("{uri} is not found"));
                let status = statuses::get_status(tx, id, 1 << 20)?.unwrap();
                assert_eq!(status.uri.as_deref(), Some(uri.as_str()));
                assert!(
                    status.content_html.contains(&format!("note {n} ")),
                    "{}",
                    status.content_html
                );
                assert_eq!(status.media_ids.len(), usize::from(n % 4 == 0), "{n}");
                let url = format!("https://news.example/article/{}", n % 40);
                assert_eq!(
                    skerry::store::media::status_card_url(tx, id)?.as_deref(),
                    Some(url.as_str())
                );
                assert!(skerry::store::media::card_in_use(tx, &url)?);
            }
            assert!(!skerry::store::media::card_in_use(
                tx,
                "https://news.example/article/999"
            )?);
            let reply = format!("https://example.social/users/someone1/statuses/{}", 199_999);
            assert!(statuses::status_id_by_uri(tx, &reply)?.is_some());
            // Every actor's key reads as DER and is the RSA-2048 key its PEM was.
            let mut actors = 0;
            for entry in redb::ReadableTable::iter(&tx.open_table(schema::REMOTE_ACTORS)?)? {
                let (_, bytes) = entry?;
                let actor = skerry::store::records::decode::<skerry::model::RemoteActor>(
                    bytes.value(),
                    1 << 20,
                )?;
                let key = skerry::sig::PublicKey::from_der(&actor.public_key_der).unwrap();
                assert_eq!(format!("{key:?}"), "PublicKey(RSA-2048)");
                actors += 1;
            }
            assert_eq!(actors, 3);
            for entry in redb::ReadableTable::iter(&tx.open_table(schema::MEDIA)?)? {
                let (_, bytes) = entry?;
                skerry::store::records::decode::<skerry::model::Media>(bytes.value(), 1 << 20)?;
            }
            Ok::<_, skerry::store::StoreError>(())
        })
        .unwrap();
    drop(store);
    // Opening again finds version 3 and changes nothing.
    let store = Store::open(&path, 4 << 20, 1 << 20).unwrap();
    assert!(store.check().unwrap().0.is_empty());
}
