//! Every payload of `../shared/fixtures/activitypub` through the inbound path of a real
//! server, with the outcome of each file in one table ([`EXPECTED`]).
//!
//! Per file, a fresh server (no private networks, outbound requests paused: no fetch can
//! leave the machine, and every fetch fails as "outbound requests are paused") with a local user
//! `alice` who follows the fixture's actor, known without network (a dummy key, followers at
//! `actor/followers`, an inbox nobody can reach). Then, by what the file is:
//! - an activity: applied as the inbound worker applies it (`inbound::apply_one`, signed by
//!   its `actor`); a Follow or Block whose object is an account id is pointed at alice;
//! - a post (Note, Article, Page, Question, Video…): wrapped in a Create by its author;
//! - an actor: `fetch::actor_input` as if fetched from its id, then `upsert_actor`;
//! - anything else (collections, tombstones, chat messages…): given to the worker as is.
//!
//! The outcome is what the client API shows afterwards (`status <visibility>: <text>`,
//! `account: <acct> "<name>"`, `follow recorded`, …) or the reason of the refusal; the table
//! holds a prefix of it. `every_fixture_has_its_outcome` prints the whole table when it fails.

use std::path::{Path, PathBuf};

use reqwest::StatusCode;
use serde_json::{Value, json};
use skerry::app::remote::{self, ActorInput};
use skerry::federation::vocab::{self, ActivityKind, Object, ObjectRef, ParseOptions};
use skerry::federation::{fetch, inbound};
use skerry::model::{AccountId, InboundActivity};

use crate::rig::{Server, User};

fn fixtures_directory() -> PathBuf {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/fixtures/activitypub"
    ))
    .to_path_buf()
}

/// Every `.json` file as `software/name.json`, sorted.
fn fixture_names() -> Vec<String> {
    let mut names = Vec::new();
    for software in std::fs::read_dir(fixtures_directory()).unwrap() {
        let software = software.unwrap().path();
        if !software.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&software).unwrap() {
            let file = file.unwrap().path();
            if file
                .extension()
                .is_some_and(|extension| extension == "json")
            {
                let relative = file.strip_prefix(fixtures_directory()).unwrap();
                names.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    names.sort();
    names
}

const STRICT: ParseOptions = ParseOptions { allow_http: false };

/// The id of a link or embedded object.
fn id_of(value: &Value) -> Option<String> {
    match value {
        Value::String(id) => Some(id.clone()),
        Value::Object(map) => map.get("id").and_then(Value::as_str).map(str::to_string),
        Value::Array(items) => items.iter().find_map(id_of),
        _ => None,
    }
}

/// A remote account for `uri`, known without fetching it.
fn dummy_actor(uri: &str) -> ActorInput {
    let host = fetch::host_of(uri).unwrap_or_else(|| "unknown.invalid".into());
    let username = uri
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .filter(|name| !name.is_empty())
        .unwrap_or("someone")
        .to_string();
    ActorInput {
        uri: uri.to_string(),
        username,
        host,
        display_name: String::new(),
        // Deliveries to it are refused by the guard before any connection.
        inbox: "https://127.0.0.1:1/inbox".into(),
        followers: Some(format!("{uri}/followers")),
        key_id: format!("{uri}#main-key"),
        public_key_pem: "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n".into(),
        ..ActorInput::default()
    }
}

/// A server for one fixture, and alice following `actor` (if it is a URL).
async fn setup(actor: Option<&str>) -> (Server, User, Option<AccountId>) {
    // `https` ids for local accounts too, so that a strict parse takes them.
    let server = Server::start_with(&[
        ("SKERRY_FEDERATION_OUTBOUND", "false"),
        ("SKERRY_SERVER_SCHEME", "https"),
    ])
    .await;
    let alice = server.user("alice").await;
    let Some(actor) = actor.filter(|actor| actor.starts_with("http")) else {
        return (server, alice, None);
    };
    let (input, alice_id) = (dummy_actor(actor), alice.id);
    let remote = server
        .app
        .run(move |app| {
            let remote = remote::upsert_actor(app, input)?;
            skerry::app::relationships::follow(app, alice_id, remote)?;
            remote::answer_our_follow(app, alice_id, remote, true)?;
            Ok(remote)
        })
        .await
        .unwrap();
    (server, alice, Some(remote))
}

/// Text of an HTML fragment, whitespace collapsed.
fn text_of(html: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for character in html.chars() {
        match character {
            '<' => {
                in_tag = true;
                text.push(' ');
            }
            '>' => in_tag = false,
            _ if !in_tag => text.push(character),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// How a stored status shows through the client API.
async fn shown_status(server: &Server, alice: &User, uri: &str) -> Option<String> {
    let id = server
        .app
        .store
        .read(|tx| skerry::store::statuses::status_id_by_uri(tx, uri))
        .unwrap()?;
    let reply = server
        .get(&format!("/api/v1/statuses/{id}"), Some(&alice.token))
        .await;
    if reply.status != StatusCode::OK {
        let app = &server.app;
        let stored = app
            .store
            .read(|tx| skerry::store::statuses::get_status(tx, id, app.bytes_max()))
            .unwrap()
            .unwrap();
        return Some(format!(
            "status {:?} hidden from alice ({})",
            stored.visibility,
            reply.status.as_u16()
        ));
    }
    let status = &reply.json;
    if !status["reblog"].is_null() {
        return Some(format!(
            "reblog {}: {}",
            status["visibility"].as_str().unwrap(),
            text_of(status["reblog"]["content"].as_str().unwrap())
        ));
    }
    let spoiler = status["spoiler_text"].as_str().unwrap();
    let spoiler = if spoiler.is_empty() {
        String::new()
    } else {
        format!(" cw {spoiler:?}")
    };
    Some(format!(
        "status {}{spoiler}: {}",
        status["visibility"].as_str().unwrap(),
        text_of(status["content"].as_str().unwrap())
    ))
}

async fn shown_account(server: &Server, id: AccountId) -> String {
    let reply = server.get(&format!("/api/v1/accounts/{id}"), None).await;
    if reply.status != StatusCode::OK {
        return format!("account not shown ({})", reply.status);
    }
    format!(
        "account: {} {:?}",
        reply.json["acct"].as_str().unwrap(),
        reply.json["display_name"].as_str().unwrap()
    )
}

/// How an activity reaches the worker's code.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Route {
    /// `inbound::apply_one`, which says why it refuses.
    Direct,
    /// The durable queue, emptied by `inbound::process_batch` (which only logs refusals).
    Queue,
}

/// Gives `body` to the worker's code as if `signer` had signed it; the refusal's text.
async fn apply(server: &Server, route: Route, signer: &str, body: &Value) -> Result<(), String> {
    let item = InboundActivity {
        signer: signer.to_string(),
        body: serde_json::to_vec(body).unwrap(),
        received_ms: skerry::util::time::now_ms(),
    };
    if route == Route::Direct {
        return inbound::apply_one(&server.app, &item)
            .await
            .map_err(|error| format!("refused: {error}"));
    }
    server
        .app
        .run(move |app| {
            app.store
                .write(|tx| skerry::store::queues::push_inbound(tx, app.next_id(), &item))?;
            Ok(())
        })
        .await
        .unwrap();
    // The server's own worker may take it first: either way it is applied once.
    for _ in 0..200 {
        inbound::process_batch(&server.app).await.unwrap();
        let queued = server
            .app
            .store
            .read(skerry::store::queues::count_inbound)
            .unwrap();
        if queued == 0 {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the inbound queue stays full");
}

/// Ingests one fixture and describes what it left behind. Files refused for their `http` ids
/// (test suites' payloads) are tried once more with `https` ids, so their content is checked
/// too: `http ids refused; as https: <outcome>`.
async fn ingest(name: &str, route: Route) -> String {
    let text = std::fs::read_to_string(fixtures_directory().join(name)).unwrap();
    let value: Value = serde_json::from_str(&text).unwrap();
    let http_ids = vocab::parse(&value, STRICT)
        .is_err_and(|error| error.to_string().ends_with("URL: http is not allowed"));
    let outcome = ingest_value(value, route).await;
    if !http_ids {
        return outcome;
    }
    let secure = text.replace("http://", "https://");
    let again = ingest_value(serde_json::from_str(&secure).unwrap(), route).await;
    format!("http ids refused; as https: {again}")
}

async fn ingest_value(mut value: Value, route: Route) -> String {
    match vocab::parse(&value, STRICT) {
        Ok(Object::Activity(activity)) => {
            let (server, alice, _) = setup(Some(&activity.actor)).await;
            let alice_uri = format!("{}/users/alice", server.app.base_url);
            if matches!(activity.kind, ActivityKind::Follow | ActivityKind::Block)
                && value["object"].is_string()
            {
                value["object"] = json!(alice_uri);
            }
            if let Err(refusal) = apply(&server, route, &activity.actor, &value).await {
                return refusal;
            }
            effect(&server, &alice, &activity).await
        }
        Ok(Object::Note(note)) => {
            let (server, alice, _) = setup(Some(&note.attributed_to)).await;
            let create = json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": format!("{}#create", note.attributed_to),
                "type": "Create",
                "actor": note.attributed_to,
                "to": value.get("to").cloned().unwrap_or(Value::Null),
                "cc": value.get("cc").cloned().unwrap_or(Value::Null),
                "object": value,
            });
            if let Err(refusal) = apply(&server, route, &note.attributed_to, &create).await {
                return refusal;
            }
            shown_status(&server, &alice, &note.id)
                .await
                .unwrap_or_else(|| "accepted Create: no status".into())
        }
        Ok(Object::Actor(actor)) => {
            let (server, _, _) = setup(None).await;
            let input = match fetch::actor_input(&actor, &actor.id) {
                Ok(input) => input,
                Err(error) => return format!("refused: {error}"),
            };
            let id = server
                .app
                .run(move |app| remote::upsert_actor(app, input))
                .await
                .unwrap();
            shown_account(&server, id).await
        }
        parsed => {
            // Collections, tombstones, unmodelled types and refused documents go to the
            // worker as they are, signed by whoever they name.
            let signer = ["actor", "attributedTo", "id"]
                .iter()
                .find_map(|key| value.get(*key).and_then(id_of))
                .unwrap_or_default();
            let (server, _, _) = setup(Some(&signer)).await;
            match apply(&server, route, &signer, &value).await {
                Err(refusal) => refusal,
                Ok(()) => format!("accepted {:?}", parsed.map(|object| object.id().to_owned())),
            }
        }
    }
}

/// What an applied activity changed, as the client API shows it.
async fn effect(server: &Server, alice: &User, activity: &vocab::Activity) -> String {
    let kind = activity.kind.name();
    match (&activity.kind, &activity.object) {
        (ActivityKind::Create | ActivityKind::Update, ObjectRef::Embedded(object)) => {
            match object.as_ref() {
                Object::Note(note) => shown_status(server, alice, &note.id)
                    .await
                    .unwrap_or_else(|| format!("accepted {kind}: no status")),
                Object::Actor(actor) => match remote::account_by_uri(&server.app, &actor.id) {
                    Ok(Some(id)) => shown_account(server, id).await,
                    _ => format!("accepted {kind}: no account"),
                },
                other => format!("accepted {kind} of {}", other.kind_name()),
            }
        }
        (ActivityKind::Announce, _) => shown_status(server, alice, &activity.id)
            .await
            .unwrap_or_else(|| format!("accepted {kind}: no reblog")),
        (ActivityKind::Follow, _) => {
            let followers = server
                .get(&format!("/api/v1/accounts/{}/followers", alice.id), None)
                .await;
            if followers
                .json
                .as_array()
                .is_some_and(|list| !list.is_empty())
            {
                "follow recorded".into()
            } else {
                "accepted Follow: no follower".into()
            }
        }
        (ActivityKind::Block, _) => {
            let remote = remote::account_by_uri(&server.app, &activity.actor)
                .unwrap()
                .unwrap();
            let relationship = server
                .get(
                    &format!("/api/v1/accounts/relationships?id[]={remote}"),
                    Some(&alice.token),
                )
                .await;
            if relationship.json[0]["blocked_by"] == true {
                "block recorded".into()
            } else {
                format!("accepted Block: {}", relationship.json[0])
            }
        }
        (ActivityKind::Delete, _) if activity.object.id() == Some(activity.actor.as_str()) => {
            let remote = remote::account_by_uri(&server.app, &activity.actor)
                .unwrap()
                .unwrap();
            let account = server
                .get(&format!("/api/v1/accounts/{remote}"), None)
                .await;
            format!("account deleted ({})", account.status.as_u16())
        }
        _ => format!("accepted {kind}: nothing shown"),
    }
}

/// Each fixture and a prefix of its outcome. Regenerate with the table that a failing
/// `every_fixture_has_its_outcome` prints, after checking each change by hand.
const EXPECTED: &[(&str, &str)] = &[
    (
        "activityrelay/rebased-relay-relay.json",
        "account: relay@relay.mastodon.host \"ActivityRelay\"",
    ),
    (
        "bridgy-fed/rebased-bridgy-actor.json",
        "refused: refused: actor without a key of its own",
    ),
    (
        "bridgy-fed/vernissage-bridgy-note-1.json",
        "status public: Semaphore at Park South. 20 December 2025. #railway #photography",
    ),
    (
        "bridgy-fed/vernissage-bridgy-person.json",
        "account: snarfed@bsky.brid.gy \"Ryan Barrett\"",
    ),
    (
        "bridgy-fed/vernissage-bridgy-service.json",
        "account: bsky.brid.gy@bsky.brid.gy \"Bridgy Fed for Bluesky\"",
    ),
    (
        "discourse/lemmy-objects-group.json",
        "account: threadiverse-wg@socialhub.activitypub.rocks \"Threadiverse Working Group (SocialHu",
    ),
    (
        "discourse/lemmy-objects-person.json",
        "account: angus@socialhub.activitypub.rocks \"Angus McLeod\"",
    ),
    (
        "fedibird/rebased-quote_post-fedibird_quote_mismatched.json",
        "status public: 揺れていたようだ QT: https:// unnerv.jp/@UN_NERV/10771217684 9067434",
    ),
    (
        "fedibird/rebased-quote_post-fedibird_quote_post.json",
        "status public: いつの生まれだシトリン QT: https:// misskey.io/notes/8vsn2izjwh",
    ),
    (
        "fedibuzz-relay/vernissage-fedibuzz-tag-relay-service.json",
        "account: tag-52challenge@relay.fedi.buzz \"#52challenge\"",
    ),
    (
        "fep-examples/rebased-fep-e232.json",
        "refused: refused document: no id",
    ),
    (
        "fep-examples/rebased-quote_post-fep-e232-tag-example.json",
        "accepted Create: no status",
    ),
    (
        "friendica/lemmy-activities-create_note.json",
        "status public: @ jakob test",
    ),
    (
        "friendica/lemmy-activities-create_page_1.json",
        "status public: Test post to community @ lemmy_community",
    ),
    (
        "friendica/lemmy-activities-create_page_2.json",
        "status unlisted: From Friendica to Lemmy Hello Lemmy! https://pirati.ca/display/ec054ce7-5",
    ),
    (
        "friendica/lemmy-activities-delete.json",
        "accepted Delete: nothing shown",
    ),
    (
        "friendica/lemmy-activities-dislike_page.json",
        "accepted Dislike: nothing shown",
    ),
    (
        "friendica/lemmy-activities-like_page.json",
        "accepted Like: nothing shown",
    ),
    (
        "friendica/lemmy-activities-update_note.json",
        "accepted Update: no status",
    ),
    (
        "friendica/lemmy-objects-note_1.json",
        "status public: @ jakob test",
    ),
    (
        "friendica/lemmy-objects-note_2.json",
        "status public: Note that on # Friendica we canquote-share, and we can also do it in commen",
    ),
    (
        "friendica/lemmy-objects-page_1.json",
        "status unlisted: ISS astronauts perform final spacewalk of Expedition 66 Expedition 66 ast",
    ),
    (
        "friendica/lemmy-objects-person_1.json",
        "account: jakob@soc.schuerz.at \"Jakob :friendica:\"",
    ),
    (
        "friendica/rebased-users_mock-friendica_followers.json",
        "http ids refused; as https: refused: refused: not an activity",
    ),
    (
        "funkwhale/rebased-funkwhale_audio.json",
        "status public: Compositions - Test Audio for Pleroma This is a test Audio for Pleroma. htt",
    ),
    (
        "funkwhale/rebased-funkwhale_channel.json",
        "account: compositions@channels.tests.funkwhale.audio \"Compositions\"",
    ),
    (
        "gancio/mobilizon-gancio-actor.json",
        "account: gancio@demo.gancio.org \"gancio\"",
    ),
    (
        "gnusocial/lemmy-activities-create_note.json",
        "status public: yay ^^",
    ),
    (
        "gnusocial/lemmy-activities-like_note.json",
        "accepted Like: nothing shown",
    ),
    (
        "gnusocial/lemmy-objects-group.json",
        "refused: refused: actor without a key of its own",
    ),
    ("gnusocial/lemmy-objects-note.json", "status public: yay ^^"),
    (
        "gnusocial/lemmy-objects-page.json",
        "status public: hello, world. This is an interesting page. https://instance.gnusocial.test/",
    ),
    (
        "gotosocial/gts-accept-announce-impolite.json",
        "http ids refused; as https: refused: refused: an answer to no Follow of ours",
    ),
    (
        "gotosocial/gts-accept-reply-request.json",
        "http ids refused; as https: refused: refused: an answer to no Follow of ours",
    ),
    (
        "gotosocial/gts-announce-self-boost-followers-only.json",
        "http ids refused; as https: refused: refused: outbound requests are paused",
    ),
    (
        "gotosocial/gts-application-bot.json",
        "http ids refused; as https: account: the_mighty_zork@localhost:8080 \"original zork (he/the",
    ),
    (
        "gotosocial/gts-create-note-iri-only.json",
        "http ids refused; as https: refused: refused: outbound requests are paused",
    ),
    (
        "gotosocial/gts-create-note.json",
        "http ids refused; as https: status public cw \"introduction post\": hello everyone!",
    ),
    (
        "gotosocial/gts-delete-public-reply.json",
        "refused: refused document: no id",
    ),
    (
        "gotosocial/gts-dereferenced-local-status.json",
        "http ids refused; as https: status public cw \"introduction post\": hello everyone!",
    ),
    (
        "gotosocial/gts-featured-collection-empty.json",
        "http ids refused; as https: refused: refused: not an activity",
    ),
    (
        "gotosocial/gts-featured-collection-one-item.json",
        "http ids refused; as https: refused: refused: not an activity",
    ),
    (
        "gotosocial/gts-featured-collection-some-items.json",
        "http ids refused; as https: refused: refused: not an activity",
    ),
    (
        "gotosocial/gts-flag-report.json",
        "http ids refused; as https: refused: refused: a Flag of no local account",
    ),
    (
        "gotosocial/gts-followers-collection.json",
        "refused: refused document: no id",
    ),
    (
        "gotosocial/gts-note-interaction-policy-deprecated.json",
        "refused: refused document: no id",
    ),
    (
        "gotosocial/gts-note-interaction-policy.json",
        "refused: refused document: no id",
    ),
    (
        "gotosocial/gts-note-reply-polite-approved.json",
        "http ids refused; as https: status public: Hi @ 1happyturtle , can I reply?",
    ),
    (
        "gotosocial/gts-note-with-tags.json",
        "http ids refused; as https: status public: hello world! # welcome ! first post on the inst",
    ),
    (
        "gotosocial/gts-outbox-first-page.json",
        "http ids refused; as https: refused: refused: not an activity",
    ),
    (
        "gotosocial/gts-person-with-emoji.json",
        "http ids refused; as https: account: the_mighty_zork@localhost:8080 \"original zork (he/the",
    ),
    (
        "gotosocial/gts-person-with-fields.json",
        "http ids refused; as https: account: 1happyturtle@localhost:8080 \"happy little turtle :3\"",
    ),
    (
        "gotosocial/gts-person-with-one-field.json",
        "http ids refused; as https: account: 1happyturtle@localhost:8080 \"happy little turtle :3\"",
    ),
    (
        "gotosocial/gts-person-with-shared-inbox.json",
        "http ids refused; as https: account: the_mighty_zork@localhost:8080 \"original zork (he/the",
    ),
    (
        "gotosocial/gts-person.json",
        "http ids refused; as https: account: the_mighty_zork@localhost:8080 \"original zork (he/the",
    ),
    (
        "gotosocial/gts-poll-vote-create-1.json",
        "http ids refused; as https: accepted Create: no status",
    ),
    (
        "gotosocial/gts-poll-vote-create-2.json",
        "http ids refused; as https: accepted Create: no status",
    ),
    (
        "gotosocial/gts-stub-actor-pubkey.json",
        "refused: refused document: missing inbox",
    ),
    (
        "guppe/rebased-guppe-actor.json",
        "account: Bernie2020@gup.pe \"Bernie2020 group\"",
    ),
    (
        "hubzilla/rebased-hubzilla-actor.json",
        "account: testc6@hub.somaton.com \"testc6 lala\"",
    ),
    (
        "hubzilla/rebased-hubzilla-follow-activity.json",
        "follow recorded",
    ),
    (
        "hubzilla/rebased-kaniini_hubzilla.example.org.json",
        "account: kaniini@hubzilla.example.org \"kaniini\"",
    ),
    (
        "kroeg/rebased-kroeg-announce-with-inline-actor.json",
        "http ids refused; as https: refused: refused: outbound requests are paused",
    ),
    (
        "kroeg/rebased-kroeg-post-activity.json",
        "status public: henlo from my Psion netBook message sent from my Psion netBook",
    ),
    (
        "kroeg/rebased-puckipedia.com.json",
        "account: puckipedia@puckipedia.com \"HACKER TEEN PUCKIPEDIA 👩\\u{200d}💻\"",
    ),
    (
        "lemmy/lemmy-activities-block-block_user.json",
        "http ids refused; as https: block recorded",
    ),
    (
        "lemmy/lemmy-activities-block-undo_block_user.json",
        "http ids refused; as https: accepted Undo: nothing shown",
    ),
    (
        "lemmy/lemmy-activities-community-add_featured_post.json",
        "accepted Add: nothing shown",
    ),
    (
        "lemmy/lemmy-activities-community-announce_create_page.json",
        "http ids refused; as https: refused: refused: outbound requests are paused",
    ),
    (
        "lemmy/lemmy-activities-community-lock_note.json",
        "accepted Lock: nothing shown",
    ),
    (
        "lemmy/lemmy-activities-community-remove_featured_post.json",
        "accepted Remove: nothing shown",
    ),
    (
        "lemmy/lemmy-activities-community-remove_mod.json",
        "http ids refused; as https: accepted Remove: nothing shown",
    ),
    (
        "lemmy/lemmy-activities-community-report_page.json",
        "http ids refused; as https: refused: refused: a Flag of no local account",
    ),
    (
        "lemmy/lemmy-activities-community-undo_lock_page.json",
        "http ids refused; as https: accepted Undo: nothing shown",
    ),
    (
        "lemmy/lemmy-activities-community-update_community.json",
        "http ids refused; as https: refused: refused: an Update of something the actor does not ow",
    ),
    (
        "lemmy/lemmy-activities-create_or_update-create_comment.json",
        "http ids refused; as https: status public: hello",
    ),
    (
        "lemmy/lemmy-activities-create_or_update-create_page.json",
        "http ids refused; as https: status public: test post test body https://ds9.lemmy.ml/post/1",
    ),
    (
        "lemmy/lemmy-activities-create_or_update-create_private_message.json",
        "http ids refused; as https: accepted Create: no status",
    ),
    (
        "lemmy/lemmy-activities-create_or_update-update_page.json",
        "http ids refused; as https: accepted Update: no status",
    ),
    (
        "lemmy/lemmy-activities-deletion-delete_private_message.json",
        "http ids refused; as https: accepted Delete: nothing shown",
    ),
    (
        "lemmy/lemmy-activities-deletion-delete_user.json",
        "http ids refused; as https: account deleted (404)",
    ),
    (
        "lemmy/lemmy-activities-deletion-remove_note.json",
        "http ids refused; as https: refused: refused: a Delete of another origin's object",
    ),
    (
        "lemmy/lemmy-activities-deletion-undo_delete_page.json",
        "http ids refused; as https: accepted Undo: nothing shown",
    ),
    (
        "lemmy/lemmy-activities-deletion-undo_delete_private_message.json",
        "http ids refused; as https: accepted Undo: nothing shown",
    ),
    (
        "lemmy/lemmy-activities-following-accept.json",
        "http ids refused; as https: refused: refused: an answer to no Follow of ours",
    ),
    (
        "lemmy/lemmy-activities-following-follow.json",
        "http ids refused; as https: follow recorded",
    ),
    (
        "lemmy/lemmy-activities-following-undo_follow.json",
        "http ids refused; as https: accepted Undo: nothing shown",
    ),
    (
        "lemmy/lemmy-activities-voting-dislike_page.json",
        "http ids refused; as https: accepted Dislike: nothing shown",
    ),
    (
        "lemmy/lemmy-activities-voting-like_note.json",
        "http ids refused; as https: accepted Like: nothing shown",
    ),
    (
        "lemmy/lemmy-activities-voting-undo_like_note.json",
        "http ids refused; as https: accepted Undo: nothing shown",
    ),
    (
        "lemmy/lemmy-collections-group_featured_posts.json",
        "refused: refused: not an activity",
    ),
    (
        "lemmy/lemmy-collections-group_followers.json",
        "http ids refused; as https: refused: refused: not an activity",
    ),
    (
        "lemmy/lemmy-collections-group_outbox.json",
        "refused: refused: not an activity",
    ),
    (
        "lemmy/lemmy-collections-person_outbox.json",
        "http ids refused; as https: refused: refused: not an activity",
    ),
    (
        "lemmy/lemmy-objects-comment.json",
        "status public: first comment!",
    ),
    (
        "lemmy/lemmy-objects-group.json",
        "account: tenforward@enterprise.lemmy.ml \"Ten Forward\"",
    ),
    (
        "lemmy/lemmy-objects-instance.json",
        "account: enterprise.lemmy.ml@enterprise.lemmy.ml \"Enterprise\"",
    ),
    (
        "lemmy/lemmy-objects-page.json",
        "status public: Post title This is a post in the /c/tenforward community https://enterprise",
    ),
    (
        "lemmy/lemmy-objects-person.json",
        "account: picard@enterprise.lemmy.ml \"Jean-Luc Picard\"",
    ),
    (
        "lemmy/lemmy-objects-private_message.json",
        "accepted Create: no status",
    ),
    (
        "lemmy/rebased-lemmy-page.json",
        "accepted Create: no status",
    ),
    (
        "lemmy/rebased-lemmy-user.json",
        "account: Nutomic@enterprise.lemmy.ml \"nutomic\"",
    ),
    (
        "lotide/lemmy-activities-create_note_reply.json",
        "status unlisted: test comment",
    ),
    (
        "lotide/lemmy-activities-create_page.json",
        "status unlisted: test post from b test post from b https://blog.twitter.com/engineering/en",
    ),
    (
        "lotide/lemmy-activities-create_page_image.json",
        "http ids refused; as https: status unlisted cw \"image\": ",
    ),
    (
        "lotide/lemmy-activities-delete_note.json",
        "accepted Delete: nothing shown",
    ),
    (
        "lotide/lemmy-objects-group.json",
        "account: Iotide@narwhal.city \"Iotide\"",
    ),
    (
        "lotide/lemmy-objects-note.json",
        "status unlisted: ed: now featuring Bob Dylan and RNG",
    ),
    (
        "lotide/lemmy-objects-person.json",
        "account: 57H@narwhal.city \"57H\"",
    ),
    (
        "lotide/lemmy-objects-tombstone.json",
        "refused: refused: not an activity",
    ),
    (
        "mastodon/gts-announce-single-string-to-cc.json",
        "refused: refused: outbound requests are paused",
    ),
    (
        "mastodon/gts-gargron-person.json",
        "account: Gargron@mastodon.social \"Eugen\"",
    ),
    (
        "mastodon/gts-move-2.json",
        "http ids refused; as https: refused: refused: outbound requests are paused",
    ),
    (
        "mastodon/gts-move-invalid-target-is-object.json",
        "http ids refused; as https: refused: refused document: invalid Move: target equals object",
    ),
    (
        "mastodon/gts-note-multiple-attachments.json",
        "status public: ",
    ),
    (
        "mastodon/gts-note-one-attachment-embedded.json",
        "status public: ",
    ),
    (
        "mastodon/gts-public-status-note.json",
        "http ids refused; as https: status public cw \"reading: Punishment and Reward in the Corpor",
    ),
    (
        "mastodon/gts-spam-note-1.json",
        "http ids refused; as https: status public: https:// spammylink.org/ @ Nao_ya_ia22 @ nityos",
    ),
    (
        "mastodon/gts-spam-note-3.json",
        "http ids refused; as https: status public: @ nityosan @ FIzxive @ mendako @ the_mighty_zor",
    ),
    (
        "mastodon/gts-status-with-emojis-and-tags-create.json",
        "http ids refused; as https: status unlisted: just testing activitypub representations of #",
    ),
    (
        "mastodon/gts-status-with-mentions-create.json",
        "http ids refused; as https: status unlisted: @ the_mighty_zork nice there it is: https:// ",
    ),
    (
        "mastodon/lemmy-activities-create_note.json",
        "status unlisted: @ retiolus i have never been disappointed by a thinkpad. if you want to s",
    ),
    (
        "mastodon/lemmy-activities-delete.json",
        "accepted Delete: nothing shown",
    ),
    (
        "mastodon/lemmy-activities-flag.json",
        "refused: refused: a Flag of no local account",
    ),
    (
        "mastodon/lemmy-activities-like_page.json",
        "accepted Like: nothing shown",
    ),
    (
        "mastodon/lemmy-activities-private_message.json",
        "accepted Create: no status",
    ),
    (
        "mastodon/lemmy-activities-undo_follow.json",
        "accepted Undo: nothing shown",
    ),
    (
        "mastodon/lemmy-activities-undo_like_page.json",
        "accepted Undo: nothing shown",
    ),
    (
        "mastodon/lemmy-collections-featured.json",
        "refused: refused: not an activity",
    ),
    (
        "mastodon/lemmy-objects-note_1.json",
        "status unlisted: @ retiolus i have never been disappointed by a thinkpad. if you want to s",
    ),
    (
        "mastodon/lemmy-objects-page.json",
        "status public: @ tenforward Variable never resetting at refresh Hi! I'm using a variable t",
    ),
    (
        "mastodon/lemmy-objects-person.json",
        "account: mastodon@masto.qa.urbanwildlife.biz \"Mastodon\"",
    ),
    (
        "mastodon/mastodon-spec-activitypub-actor.json",
        "account: foo@ap.example.com \"\"",
    ),
    (
        "mastodon/mobilizon-mastodon-actor.json",
        "account: peertube@framapiaf.org \"PeerTube\"",
    ),
    (
        "mastodon/mobilizon-mastodon-post-activity-private.json",
        "accepted Create: no status",
    ),
    (
        "mastodon/mobilizon-mastodon-status-2.json",
        "status public: Mobilizon&nbsp;: Finançons un outil pour sortir nos événements de Facebook&",
    ),
    (
        "mastodon/mobilizon-mastodon-status-4.json",
        "status public: PeerTube v3.1 is out! Better transcoding features, more pleasant interfaces",
    ),
    (
        "mastodon/mobilizon-mastodon-status-5.json",
        "status public: @ framasoft Ça ne serait pas la voix de @ Pouhiou ? 🤔",
    ),
    (
        "mastodon/rebased-admin_mastdon.example.org.json",
        "http ids refused; as https: account: admin@mastodon.example.org \"\"",
    ),
    (
        "mastodon/rebased-emelie.json",
        "account: emelie@mastodon.social \"emelie 🎨\"",
    ),
    (
        "mastodon/rebased-hellpie.json",
        "account: _HellPie@masto.quad.moe \"_HellPie\"",
    ),
    (
        "mastodon/rebased-http___mastodon.example.org_users_admin_status_1234.json",
        "http ids refused; as https: status public: the name's jond (jeans bond)",
    ),
    (
        "mastodon/rebased-lambadalambda.json",
        "account: lambadalambda@mastodon.social \"Critical Value\"",
    ),
    (
        "mastodon/rebased-lucifermysticus.json",
        "account: luciferMysticus@mst3k.interlinked.me \"Louis Cypher\"",
    ),
    (
        "mastodon/rebased-mastodon-accept-activity.json",
        "http ids refused; as https: refused: refused: an answer to no Follow of ours",
    ),
    (
        "mastodon/rebased-mastodon-announce-private.json",
        "http ids refused; as https: refused: refused: outbound requests are paused",
    ),
    (
        "mastodon/rebased-mastodon-block-activity.json",
        "http ids refused; as https: block recorded",
    ),
    (
        "mastodon/rebased-mastodon-create-with-attachment.json",
        "http ids refused; as https: status public: https:// mastodon.example.org/media/hw4 nrZmV5D",
    ),
    (
        "mastodon/rebased-mastodon-delete-user.json",
        "http ids refused; as https: account deleted (404)",
    ),
    (
        "mastodon/rebased-mastodon-follow-activity.json",
        "http ids refused; as https: follow recorded",
    ),
    (
        "mastodon/rebased-mastodon-like.json",
        "http ids refused; as https: accepted Like: nothing shown",
    ),
    (
        "mastodon/rebased-mastodon-note-object.json",
        "http ids refused; as https: status public: yeah.",
    ),
    (
        "mastodon/rebased-mastodon-post-activity-hashtag.json",
        "http ids refused; as https: status public cw \"cw\": @ lain #moo",
    ),
    (
        "mastodon/rebased-mastodon-post-activity-nsfw.json",
        "http ids refused; as https: status public cw \"cw\": @ lain #moo",
    ),
    (
        "mastodon/rebased-mastodon-post-activity.json",
        "http ids refused; as https: status public cw \"cw\": @ lain",
    ),
    (
        "mastodon/rebased-mastodon-question-activity.json",
        "status public: Why is Tenshi eating a corndog so cute?",
    ),
    (
        "mastodon/rebased-mastodon-unblock-activity.json",
        "http ids refused; as https: accepted Undo: nothing shown",
    ),
    (
        "mastodon/rebased-mastodon-undo-announce.json",
        "http ids refused; as https: accepted Undo: nothing shown",
    ),
    (
        "mastodon/rebased-mastodon-undo-like.json",
        "http ids refused; as https: accepted Undo: nothing shown",
    ),
    (
        "mastodon/rebased-mastodon-unfollow-activity.json",
        "http ids refused; as https: accepted Undo: nothing shown",
    ),
    (
        "mastodon/rebased-mastodon-update.json",
        "http ids refused; as https: account: gargron@mastodon.example.org \"gargle\"",
    ),
    (
        "mastodon/rebased-mayumayu.json",
        "account: mayuutann@mstdn.io \"Mayutan☕\"",
    ),
    (
        "mastodon/rebased-mayumayupost.json",
        "status public: @ shpuld @ lain ポポポォォォ",
    ),
    (
        "mastodon/rebased-relay_mastdon.example.org.json",
        "http ids refused; as https: account: admin@mastodon.example.org \"\"",
    ),
    (
        "mastodon/rebased-rinpatch.json",
        "account: rinpatch@mastodon.sdf.org \"rinpatch\"",
    ),
    (
        "mastodon/rebased-rye.json",
        "account: rye@niu.moe \"♡ rye ♡\"",
    ),
    (
        "mastodon/rebased-status.emelie.json",
        "status public: You gotta take whatever bellyrubbing opportunity you can get before she cha",
    ),
    (
        "mastodon/rebased-users_mock-masto_closed_followers.json",
        "http ids refused; as https: refused: refused: not an activity",
    ),
    (
        "mastodon/rebased-users_mock-masto_closed_following.json",
        "http ids refused; as https: refused: refused: not an activity",
    ),
    (
        "mastodon/rebased-users_mock-masto_closed_following_page.json",
        "http ids refused; as https: refused: refused: not an activity",
    ),
    (
        "mastodon/vernissage-mastodon-announce.json",
        "refused: refused: outbound requests are paused",
    ),
    (
        "mastodon/vernissage-mastodon-create-note.json",
        "status public: Holidays almost finished. It's time to review and edit photos from # Prague",
    ),
    (
        "mastodon/vernissage-mastodon-update-person.json",
        "account: alinamiko@mastodon.art \"Colorblind Cowboy\"",
    ),
    (
        "mbin/lemmy-activities-accept.json",
        "refused: refused: an answer to no Follow of ours",
    ),
    (
        "mbin/lemmy-objects-instance.json",
        "account: fedia.io@fedia.io \"Mbin\"",
    ),
    (
        "misskey/rebased-aimu_misskey.io.json",
        "account: aimu@misskey.io \"あいむ\"",
    ),
    (
        "misskey/rebased-birthdays-misskey-user.json",
        "account: mkljczk@misskey.io \"\"",
    ),
    (
        "misskey/rebased-mametsuko_mk.absturztau.be.json",
        "account: mametsuko@mk.absturztau.be \"mametschko\"",
    ),
    (
        "misskey/rebased-misskey-like.json",
        "http ids refused; as https: refused: refused: activity id on another origin than its actor",
    ),
    (
        "misskey/rebased-misskey.io_8vs6wxufd0.json",
        "status public: Fantiaこれできないように過去のやつは従量課金だった気がする",
    ),
    (
        "misskey/rebased-mk.absturztau.be-93e7nm8wqg-activity.json",
        "status public: meow",
    ),
    (
        "misskey/rebased-mk.absturztau.be-93e7nm8wqg.json",
        "status public: meow",
    ),
    (
        "misskey/rebased-sjw.json",
        "account: sjw@skippers-bin.com \"It's ya boi sjw :verified:\"",
    ),
    (
        "mitra/lemmy-activities-accept.json",
        "refused: refused: an answer to no Follow of ours",
    ),
    (
        "mitra/lemmy-activities-create_post.json",
        "status public: Remote post 5",
    ),
    (
        "mitra/rebased-mitra.social_01830912-1357-d4c5-e4a2-76eab347e749.json",
        "status public: FEP-e232 (Object Links) has been accepted into FEP repository: https://code",
    ),
    (
        "mobilizon/lemmy-objects-group.json",
        "account: contribateliers@mobilizon.fr \"Contribateliers\"",
    ),
    (
        "mobilizon/lemmy-objects-person.json",
        "account: sanof44@mobilizon.fr \"Sanof44\"",
    ),
    (
        "mobilizon/mobilizon-mobilizon-join-activity.json",
        "http ids refused; as https: accepted Join: nothing shown",
    ),
    (
        "mobilizon/mobilizon-mobilizon-members-collection.json",
        "http ids refused; as https: refused: refused: not an activity",
    ),
    (
        "mobilizon/mobilizon-mobilizon-post-activity-group.json",
        "http ids refused; as https: refused: refused: a Create of someone else's post",
    ),
    (
        "mobilizon/mobilizon-mobilizon-post-activity.json",
        "status public: My first event @ tcit https://mobilizon.fr/events/39a0c4a6-f2b6-41dc-bbe2-f",
    ),
    (
        "mobilizon/rebased-mobilizon-event-join-accept.json",
        "refused: refused: activity id on another origin than its actor",
    ),
    (
        "mobilizon/rebased-mobilizon-event-join.json",
        "refused: refused: activity id on another origin than its actor",
    ),
    (
        "mobilizon/rebased-mobilizon.org-event.json",
        "status public: Mobilizon Launching Party Mobilizon is now federated! 🎉 You can view this e",
    ),
    (
        "mobilizon/rebased-mobilizon.org-user.json",
        "account: tcit@mobilizon.org \"Thomas Citharel\"",
    ),
    (
        "nodebb/lemmy-objects-group.json",
        "account: general@bb.devnull.land \"General Discussion\"",
    ),
    (
        "nodebb/lemmy-objects-person.json",
        "account: julian@bb.devnull.land \"julian\"",
    ),
    (
        "oeee-cafe/fedify-oeee.cafe-user.json",
        "account: hongminhee@oeee.cafe \"洪兔\"",
    ),
    (
        "osada/rebased-https___osada.macgirvin.com_channel_mike.json",
        "account: mike@osada.macgirvin.com \"Mike Macgirvin (Osada)\"",
    ),
    (
        "osada/rebased-osada-user-indio.json",
        "account: indio@apfed.club \"Indio\"",
    ),
    (
        "owncast/gts-owncast-service.json",
        "account: rgh@owncast.example.org \"Rob's Owncast Server\"",
    ),
    (
        "peertube/gts-peertube-video.json",
        "refused: refused document: missing attributedTo",
    ),
    (
        "peertube/lemmy-activities-announce_video.json",
        "refused: refused: outbound requests are paused",
    ),
    (
        "peertube/lemmy-objects-group.json",
        "account: thelinuxexperiment_channel@tilvids.com \"The Linux Experiment\"",
    ),
    (
        "peertube/lemmy-objects-note.json",
        "status public: @af2@bae.st idk",
    ),
    (
        "peertube/lemmy-objects-person.json",
        "account: thelinuxexperiment@tilvids.com \"The Linux Experiment\"",
    ),
    (
        "peertube/rebased-7even.json",
        "account: 7even@peertube.moe \"7even\"",
    ),
    (
        "peertube/rebased-craigmaloney.json",
        "account: craigmaloney@peertube.social \"Craig Maloney\"",
    ),
    (
        "peertube/rebased-framatube.org-video.json",
        "status public: Déframasoftisons Internet [Framasoft] Après avoir mené avec un certain succ",
    ),
    (
        "peertube/rebased-https___framatube.org_accounts_framasoft.json",
        "account: framasoft@framatube.org \"Framasoft\"",
    ),
    (
        "peertube/rebased-peertube-social.json",
        "status public: Twenty Years in Jail: FreeBSD's Jails, Then and Now Support this and our ot",
    ),
    (
        "peertube/rebased-peertube.moe-vid.json",
        "status public: Friday Night tfw song is 'my old piano' by diana ross https://peertube.moe/",
    ),
    (
        "pixelfed/vernissage-pixelfed-announce.json",
        "refused: refused: outbound requests are paused",
    ),
    (
        "pixelfed/vernissage-pixelfed-create-note.json",
        "status public: Shadows #colorphotography #streetphotography",
    ),
    (
        "pleroma/lemmy-activities-create_note.json",
        "status public: @ lanodan test",
    ),
    (
        "pleroma/lemmy-activities-delete.json",
        "accepted Delete: nothing shown",
    ),
    ("pleroma/lemmy-activities-follow.json", "follow recorded"),
    (
        "pleroma/lemmy-objects-chat_message.json",
        "refused: refused: not an activity",
    ),
    (
        "pleroma/lemmy-objects-note.json",
        "status unlisted: Have what?",
    ),
    (
        "pleroma/lemmy-objects-person.json",
        "account: lanodan@queer.hacktivis.me \"Haelwenn /элвэн/ :bzh:\"",
    ),
    (
        "pleroma/mobilizon-mastodon-status-3.json",
        "status public: @ peertube Pirate Radio TV is updated. You can now remote follow channels o",
    ),
    (
        "pleroma/rebased-create-pleroma-reply-to-misskey-thread.json",
        "status public: @ mametsuko meow",
    ),
    (
        "pleroma/rebased-emoji-reaction-no-emoji.json",
        "http ids refused; as https: accepted EmojiReact: nothing shown",
    ),
    (
        "pleroma/rebased-emoji-reaction-too-long.json",
        "http ids refused; as https: accepted EmojiReact: nothing shown",
    ),
    (
        "pleroma/rebased-fetch_mocks-9wTkLEnuq47B25EehM.json",
        "status public: @ tuxcrafting @ fixpoint @ blobyoumu @ grips @ igel What's bad about nukes?",
    ),
    (
        "pleroma/rebased-fetch_mocks-eal.json",
        "account: eal@social.sakamoto.gq \"ìì\"",
    ),
    (
        "pleroma/rebased-gleasonator-AG3RzWfwEKKrY63qj2.json",
        "status public: @ alex Any idea why my posts are failing? I sent an Accept/Follow from macg",
    ),
    (
        "pleroma/rebased-helene_p.helene.moe.json",
        "account: helene@p.helene.moe \"Hélène\"",
    ),
    (
        "pleroma/rebased-https___info.pleroma.site_actor.json",
        "account: admin@info.pleroma.site \"\"",
    ),
    (
        "pleroma/rebased-https__info.pleroma.site_activity4.json",
        "http ids refused; as https: status public: this post was not actually written by Haelwenn",
    ),
    (
        "pleroma/rebased-macgirvin_gleasonator.com.json",
        "account: macgirvin@gleasonator.com \"macgirvin\"",
    ),
    (
        "pleroma/rebased-mewmew_lm.kazv.moe.json",
        "account: mewmew@lm.kazv.moe \"mew\"",
    ),
    (
        "pleroma/rebased-moonman_shitposter.club.json",
        "account: moonman@shitposter.club \"Captain Howdy\"",
    ),
    (
        "pleroma/rebased-p.helene.moe-AM7S6vZQmL6pI9TgPY.json",
        "status public: @ mametsuko meow",
    ),
    (
        "pleroma/rebased-poll_modified.json",
        "status public: can you vote on this poll?",
    ),
    (
        "pleroma/rebased-poll_original.json",
        "status public: can you vote on this poll?",
    ),
    (
        "pleroma/rebased-rin.json",
        "account: rin@patch.cx \"rinpatch\"",
    ),
    (
        "pleroma/rebased-soapbox_no_mentions_in_content.json",
        "status unlisted: Haha yeah, you can control who you reply to.",
    ),
    (
        "pleroma/rebased-spoofed-object.json",
        "status public cw \"Oracle buys Pleroma\": Oracle Corporation (NYSE: ORCL) today announced th",
    ),
    (
        "pleroma/rebased-users_mock-pleroma_following.json",
        "http ids refused; as https: refused: refused: not an activity",
    ),
    (
        "plume/rebased-baptiste.gelex.xyz-user.json",
        "account: BaptisteGelez@baptiste.gelez.xyz \"Baptiste Gelez\"",
    ),
    (
        "prismo/rebased-https___prismo.news__mxb.json",
        "account: mxb@prismo.news \"mxb\"",
    ),
    (
        "smithereen/lemmy-activities-create_note.json",
        "status public: So does this federate now?",
    ),
    (
        "smithereen/lemmy-objects-note.json",
        "status public: So does this federate now?",
    ),
    (
        "smithereen/lemmy-objects-person.json",
        "account: grishka@friends.grishka.me \"Григорий Клюшников\"",
    ),
    (
        "smithereen/rebased-smithereen_user.json",
        "account: grishka@friends.grishka.me \"Григорий Клюшников\"",
    ),
    (
        "unknown/gts-document-description.json",
        "refused: refused document: no id",
    ),
    (
        "unknown/gts-note-emoji-no-id.json",
        "status public: i hear that the GoToSocial devs are anti-capitalists and even shocked gasp ",
    ),
    (
        "unknown/gts-note-weird-summary-and-name.json",
        "status public cw \"warning: #WEIRD #SUMMARY ;;;;a;;a;asv    khop8273987(*^&^)\": ",
    ),
    (
        "unknown/gts-video-mixed-plain-uris-and-links.json",
        "refused: refused document: missing attributedTo",
    ),
    (
        "vernissage/vernissage-person-emoji-name.json",
        "account: johndoe@example.com \"John Doe :verified:\"",
    ),
    (
        "wordpress/lemmy-activities-announce.json",
        "refused: refused: outbound requests are paused",
    ),
    (
        "wordpress/lemmy-objects-group.json",
        "account: dbzer0.com@dbzer0.com \"A Division by Zer0\"",
    ),
    (
        "wordpress/lemmy-objects-note.json",
        "status public: Nice! Hello from WordPress!",
    ),
    (
        "wordpress/lemmy-objects-person.json",
        "account: matthias@pfefferle.org \"Matthias Pfefferle\"",
    ),
    (
        "wordpress/rebased-wedistribute-article.json",
        "status public: The end is near: Mastodon plans to drop OStatus support The days of OStatus",
    ),
    (
        "wordpress/rebased-wedistribute-user.json",
        "account: blog@wedistribute.org \"We Distribute\"",
    ),
    (
        "wordpress/vernissage-wordpress-person.json",
        "account: johndoe@example.com \"John Doe\"",
    ),
];

/// Outcomes longer than this are cut in the table.
const PREFIX_CHARS: usize = 90;

/// Every fixture's outcome by `route`, a few at a time (each has its own server).
async fn outcomes(names: &[String], route: Route) -> Vec<(String, String)> {
    let mut outcomes = Vec::new();
    for batch in names.chunks(8) {
        let tasks: Vec<_> = batch
            .iter()
            .map(|name| {
                let name = name.clone();
                tokio::spawn(async move { ingest(&name, route).await })
            })
            .collect();
        for (name, task) in batch.iter().zip(tasks) {
            outcomes.push((name.clone(), task.await.unwrap()));
        }
    }
    outcomes
}

/// Whether an outcome shows something that the activity made.
fn shows_an_effect(outcome: &str) -> bool {
    let outcome = outcome
        .strip_prefix("http ids refused; as https: ")
        .unwrap_or(outcome);
    [
        "status ",
        "reblog ",
        "account",
        "follow recorded",
        "block recorded",
    ]
    .iter()
    .any(|start| outcome.starts_with(start))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fixture_has_its_outcome() {
    let names = fixture_names();
    assert!(names.len() >= 250, "fixtures missing: {}", names.len());
    let outcomes = outcomes(&names, Route::Direct).await;
    let mut failures = Vec::new();
    for (name, outcome) in &outcomes {
        match EXPECTED.iter().find(|(listed, _)| listed == name) {
            Some((_, expected)) if outcome.starts_with(expected) => {}
            Some((_, expected)) => failures.push(format!(
                "{name}:\n  got      {outcome}\n  expected {expected}"
            )),
            None => failures.push(format!("{name}: not in EXPECTED ({outcome})")),
        }
    }
    for (listed, _) in EXPECTED {
        if !names.iter().any(|name| name == listed) {
            failures.push(format!("{listed}: listed but not on disk"));
        }
    }
    if !failures.is_empty() {
        let table: Vec<String> = outcomes
            .iter()
            .map(|(name, outcome)| {
                let prefix: String = outcome.chars().take(PREFIX_CHARS).collect();
                format!("    ({name:?}, {prefix:?}),")
            })
            .collect();
        panic!(
            "{}\n\nthe table as it is now:\n{}",
            failures.join("\n"),
            table.join("\n")
        );
    }
}

/// The same files through the durable queue and `process_batch`, as the inbox hands them on:
/// what was applied shows the same, and what was refused shows nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_gives_the_same_outcomes() {
    let names = fixture_names();
    let mut failures = Vec::new();
    for (name, outcome) in outcomes(&names, Route::Queue).await {
        let Some((_, expected)) = EXPECTED.iter().find(|(listed, _)| *listed == name) else {
            continue;
        };
        let same = if expected.contains("refused: ") {
            !shows_an_effect(&outcome)
        } else {
            outcome.starts_with(expected)
        };
        if !same {
            failures.push(format!("{name}:\n  queue  {outcome}\n  direct {expected}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
