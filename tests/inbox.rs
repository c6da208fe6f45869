//! Hostile and normal requests to a real server's inbox, signed by a fake peer on loopback
//! (an axum router serving actor documents with keys made by `skerry::sig`). Each case checks
//! the HTTP answer and what the inbound worker did with it, through the client API.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue, Method, header};
use reqwest::StatusCode;
use serde_json::{Value, json};
use skerry::sig::SigningKey;
use skerry::sig::httpsig::sign_request;

use crate::rig::{Server, User};

const AS2: &str = "application/activity+json";
/// How long the inbound worker may take before a check gives up.
const PATIENCE: Duration = Duration::from_secs(20);

fn now_secs() -> u64 {
    skerry::util::time::now_ms() / 1000
}

/// A fediverse server on loopback: serves the documents it is given (by path), answers 410
/// Gone for a document set to `null` (as Mastodon does for a deleted account), 404 for
/// everything else, and takes any POST with 202.
struct Peer {
    base: String,
    documents: Arc<Mutex<HashMap<String, Value>>>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

/// An actor of a peer with its private key.
struct Actor {
    id: String,
    key_id: String,
    key: SigningKey,
}

async fn start_peer() -> Peer {
    use axum::extract::{Path, State};
    use axum::response::IntoResponse;
    let documents: Arc<Mutex<HashMap<String, Value>>> = Arc::default();
    let router = axum::Router::new()
        .route(
            "/{*path}",
            axum::routing::get(
                |State(documents): State<Arc<Mutex<HashMap<String, Value>>>>,
                 Path(path): Path<String>| async move {
                    let found = documents.lock().unwrap().get(&format!("/{path}")).cloned();
                    match found {
                        Some(Value::Null) => axum::http::StatusCode::GONE.into_response(),
                        Some(document) => (
                            [(header::CONTENT_TYPE, AS2)],
                            serde_json::to_vec(&document).unwrap(),
                        )
                            .into_response(),
                        None => axum::http::StatusCode::NOT_FOUND.into_response(),
                    }
                },
            )
            .post(|| async { axum::http::StatusCode::ACCEPTED }),
        )
        .with_state(documents.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await
            .unwrap();
    });
    Peer {
        base,
        documents,
        _shutdown: shutdown,
    }
}

impl Peer {
    /// Publishes `/users/{name}` with a fresh key; `id` overrides the document's id.
    fn actor_with_id(&self, name: &str, id: Option<&str>) -> Actor {
        let der = skerry::sig::generate_rsa_pkcs8().unwrap();
        let actor_id = format!("{}/users/{name}", self.base);
        let document_id = id.unwrap_or(&actor_id).to_string();
        let actor = Actor {
            key_id: format!("{actor_id}#main-key"),
            id: actor_id,
            key: SigningKey::from_pkcs8(&der).unwrap(),
        };
        self.publish_actor(name, &document_id, &der);
        actor
    }

    fn actor(&self, name: &str) -> Actor {
        self.actor_with_id(name, None)
    }

    fn publish_actor(&self, name: &str, document_id: &str, der: &[u8]) {
        let document = json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": document_id,
            "type": "Person",
            "preferredUsername": name,
            "name": name.to_uppercase(),
            "inbox": format!("{document_id}/inbox"),
            "followers": format!("{document_id}/followers"),
            "endpoints": {"sharedInbox": format!("{}/inbox", self.base)},
            "publicKey": {
                "id": format!("{document_id}#main-key"),
                "owner": document_id,
                "publicKeyPem": skerry::sig::public_key_pem(der).unwrap(),
            },
        });
        self.documents
            .lock()
            .unwrap()
            .insert(format!("/users/{name}"), document);
    }

    /// Gives `name` a new key: the document changes, and the returned actor signs with it.
    fn rotate(&self, name: &str) -> Actor {
        self.actor(name)
    }
}

fn host(server: &Server) -> String {
    server.base.trim_start_matches("http://").to_string()
}

/// The headers of a request to `path` on `server`, signed by `actor` at `at_secs` over
/// `signed_body` (no body: the signature leaves out `digest`).
fn signed_headers(
    server: &Server,
    actor: &Actor,
    path: &str,
    signed_body: Option<&[u8]>,
    at_secs: u64,
) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(header::HOST, HeaderValue::from_str(&host(server)).unwrap());
    sign_request(
        &actor.key,
        &actor.key_id,
        &Method::POST,
        path,
        &mut headers,
        signed_body,
        at_secs,
    )
    .unwrap();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(AS2));
    headers
}

/// POSTs `body` to the shared inbox with `headers`; the status and the answer's text.
async fn post_raw(server: &Server, headers: HeaderMap, body: Vec<u8>) -> (StatusCode, String) {
    let response = server
        .client
        .post(server.url("/inbox"))
        .headers(headers)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.text().await.unwrap())
}

/// POSTs an activity signed as it should be.
async fn deliver(server: &Server, actor: &Actor, activity: &Value) -> (StatusCode, String) {
    let body = serde_json::to_vec(activity).unwrap();
    let headers = signed_headers(server, actor, "/inbox", Some(&body), now_secs());
    post_raw(server, headers, body).await
}

/// Waits until the inbound worker has taken everything off the queue.
async fn drained(server: &Server) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let queued = server
            .app
            .store
            .read(skerry::store::queues::count_inbound)
            .unwrap();
        if queued == 0 {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the queue stays full"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn note(actor: &Actor, id: &str, text: &str, mention: &str) -> Value {
    json!({
        "id": id,
        "type": "Note",
        "attributedTo": actor.id,
        "content": format!("<p>{text}</p>"),
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [mention],
        "tag": [{"type": "Mention", "href": mention}],
        "published": "2026-01-01T00:00:00Z",
    })
}

fn create(actor: &Actor, activity_id: &str, object: Value) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": activity_id,
        "type": "Create",
        "actor": actor.id,
        "object": object,
    })
}

/// Alice's notifications as `(type, content of the status)`.
async fn notifications(server: &Server, user: &User) -> Vec<(String, String)> {
    let reply = server.get("/api/v1/notifications", Some(&user.token)).await;
    assert_eq!(reply.status, StatusCode::OK);
    reply
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|notification| {
            (
                notification["type"].as_str().unwrap().to_string(),
                notification["status"]["content"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect()
}

/// The contents of the statuses the remote `actor` has on `server`, if it is known there.
async fn statuses_of(server: &Server, user: &User, actor: &Actor) -> Vec<String> {
    let name = actor.id.rsplit('/').next().unwrap();
    let peer_host = actor.id.trim_start_matches("http://").split('/').next();
    let acct = format!("{name}@{}", peer_host.unwrap());
    let account = server
        .get(&format!("/api/v1/accounts/lookup?acct={acct}"), None)
        .await;
    if account.status == StatusCode::NOT_FOUND {
        return Vec::new();
    }
    let id = account.json["id"].as_str().unwrap();
    let reply = server
        .get(
            &format!("/api/v1/accounts/{id}/statuses"),
            Some(&user.token),
        )
        .await;
    reply
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|status| status["content"].as_str().unwrap().to_string())
        .collect()
}

async fn permissive_server() -> Server {
    Server::start_with(&[("SKERRY_FEDERATION_ALLOW_PRIVATE_NETWORKS", "true")]).await
}

#[tokio::test]
async fn signed_follow_and_create_are_applied() {
    let server = permissive_server().await;
    let alice = server.user("alice").await;
    let peer = start_peer().await;
    let mallory = peer.actor("mallory");
    let alice_uri = server.url("/users/alice");

    let follow = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/follows/1", peer.base),
        "type": "Follow",
        "actor": mallory.id,
        "object": alice_uri,
    });
    let (status, text) = deliver(&server, &mallory, &follow).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{text}");
    let note = note(
        &mallory,
        &format!("{}/notes/1", peer.base),
        "hello alice",
        &alice_uri,
    );
    let activity = create(&mallory, &format!("{}/notes/1/activity", peer.base), note);
    let (status, text) = deliver(&server, &mallory, &activity).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{text}");
    drained(&server).await;

    let followers = server
        .get(&format!("/api/v1/accounts/{}/followers", alice.id), None)
        .await;
    assert_eq!(
        followers.json[0]["acct"],
        format!("mallory@{}", peer.base.trim_start_matches("http://"))
    );
    let found = notifications(&server, &alice).await;
    assert!(
        found.contains(&("follow".into(), String::new())),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|(kind, content)| kind == "mention" && content.contains("hello alice")),
        "{found:?}"
    );
    assert_eq!(
        statuses_of(&server, &alice, &mallory).await,
        ["<p>hello alice</p>"]
    );
}

#[tokio::test]
async fn bad_signatures_are_refused_with_401_or_400_and_change_nothing() {
    let server = permissive_server().await;
    let alice = server.user("alice").await;
    let peer = start_peer().await;
    let mallory = peer.actor("mallory");
    let eve = peer.actor("eve");
    let alice_uri = server.url("/users/alice");
    let activity = |n: u32| {
        create(
            &mallory,
            &format!("{}/notes/{n}/activity", peer.base),
            note(
                &mallory,
                &format!("{}/notes/{n}", peer.base),
                &format!("attempt {n}"),
                &alice_uri,
            ),
        )
    };
    let body = |n: u32| serde_json::to_vec(&activity(n)).unwrap();

    // Unsigned.
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(AS2));
    let (status, text) = post_raw(&server, headers, body(1)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{text}");
    assert!(text.contains("not signed"), "{text}");

    // Signed by another actor than the activity's.
    let headers = signed_headers(&server, &eve, "/inbox", Some(&body(2)), now_secs());
    let (status, text) = post_raw(&server, headers, body(2)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{text}");
    assert!(text.contains("not the activity's actor"), "{text}");

    // Two hours old, two hours ahead.
    for (at, reason) in [
        (now_secs() - 2 * 3600, "expired"),
        (now_secs() + 2 * 3600, "future"),
    ] {
        let headers = signed_headers(&server, &mallory, "/inbox", Some(&body(3)), at);
        let (status, text) = post_raw(&server, headers, body(3)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{text}");
        assert!(text.contains(reason), "{text}");
    }

    // The body changed after signing.
    let headers = signed_headers(&server, &mallory, "/inbox", Some(&body(4)), now_secs());
    let (status, text) = post_raw(&server, headers, body(5)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{text}");
    assert!(text.contains("digest"), "{text}");

    // A POST whose signature does not cover `digest`.
    let headers = signed_headers(&server, &mallory, "/inbox", None, now_secs());
    let (status, text) = post_raw(&server, headers, body(6)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{text}");
    assert!(text.contains("digest"), "{text}");

    // A parameter twice in the Signature header: malformed, 400.
    let mut headers = signed_headers(&server, &mallory, "/inbox", Some(&body(7)), now_secs());
    let signature = headers["signature"].to_str().unwrap().to_string();
    let doubled = format!("keyId=\"{}\",{signature}", eve.key_id);
    headers.insert("signature", HeaderValue::from_str(&doubled).unwrap());
    let (status, text) = post_raw(&server, headers, body(7)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    assert!(text.contains("duplicate"), "{text}");

    // An algorithm nobody should accept.
    let mut headers = signed_headers(&server, &mallory, "/inbox", Some(&body(8)), now_secs());
    let signature = headers["signature"].to_str().unwrap().to_string();
    let unknown = signature.replace("algorithm=\"rsa-sha256\"", "algorithm=\"rsa-md5\"");
    assert_ne!(unknown, signature);
    headers.insert("signature", HeaderValue::from_str(&unknown).unwrap());
    let (status, text) = post_raw(&server, headers, body(8)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{text}");
    assert!(text.contains("algorithm"), "{text}");

    // A garbled signature value.
    let mut headers = signed_headers(&server, &mallory, "/inbox", Some(&body(9)), now_secs());
    let signature = headers["signature"].to_str().unwrap().to_string();
    let (head, _) = signature.split_once("signature=\"").unwrap();
    let forged = format!("{head}signature=\"{}\"", "A".repeat(344));
    headers.insert("signature", HeaderValue::from_str(&forged).unwrap());
    let (status, text) = post_raw(&server, headers, body(9)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{text}");

    // The same activity, properly signed, is taken: the refusals were about the signatures.
    let (status, text) = deliver(&server, &mallory, &activity(10)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{text}");
    drained(&server).await;
    assert_eq!(
        statuses_of(&server, &alice, &mallory).await,
        ["<p>attempt 10</p>"]
    );
    assert_eq!(notifications(&server, &alice).await.len(), 1);
}

#[tokio::test]
async fn bodies_that_are_too_large_not_json_or_not_objects() {
    let server = permissive_server().await;
    let alice = server.user("alice").await;
    let peer = start_peer().await;
    let mallory = peer.actor("mallory");
    let cases: Vec<(Vec<u8>, &str, StatusCode)> = vec![
        (
            serde_json::to_vec(&json!({
                "id": format!("{}/big", peer.base),
                "type": "Create",
                "actor": mallory.id,
                "padding": "x".repeat(1024 * 1024),
            }))
            .unwrap(),
            AS2,
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            b"{}".to_vec(),
            "text/plain",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            b"<html></html>".to_vec(),
            "text/html",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            b"{\"type\": \"Create\",".to_vec(),
            AS2,
            StatusCode::BAD_REQUEST,
        ),
        (b"[1, 2, 3]".to_vec(), AS2, StatusCode::BAD_REQUEST),
        (b"\"Create\"".to_vec(), AS2, StatusCode::BAD_REQUEST),
        (
            format!("{}1{}", "[".repeat(200), "]".repeat(200)).into_bytes(),
            "application/json",
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (body, content_type, expected) in cases {
        let mut headers = signed_headers(&server, &mallory, "/inbox", Some(&body), now_secs());
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_str(content_type).unwrap(),
        );
        let size = body.len();
        let (status, text) = post_raw(&server, headers, body).await;
        assert_eq!(status, expected, "{content_type}, {size} bytes: {text}");
    }
    // A chunked body over the cap: no Content-Length to refuse it early.
    assert_eq!(chunked_post(&server, 17, 65536).await, 413);
    assert_eq!(
        chunked_post(&server, 1, 16).await,
        400,
        "a small one is read"
    );
    drained(&server).await;
    assert!(statuses_of(&server, &alice, &mallory).await.is_empty());
}

/// POSTs `chunks` chunks of `size` spaces to the shared inbox with chunked transfer coding,
/// over a raw connection (reqwest always knows the length of a body it is given); returns
/// the status code of the answer.
async fn chunked_post(server: &Server, chunks: usize, size: usize) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(host(server)).await.unwrap();
    let head = format!(
        "POST /inbox HTTP/1.1\r\nHost: {}\r\nContent-Type: {AS2}\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        host(server)
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = format!("{size:x}\r\n{}\r\n", " ".repeat(size));
    for _ in 0..chunks {
        // The server may answer and close before it has read everything.
        if stream.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(PATIENCE, stream.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    answer
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {answer:?}"))
}

#[tokio::test]
async fn spoofed_objects_and_deletes_of_others_are_refused() {
    let server = permissive_server().await;
    let alice = server.user("alice").await;
    let peer = start_peer().await;
    // The origin that the spoofed note claims: it knows nothing of it.
    let elsewhere = start_peer().await;
    let mallory = peer.actor("mallory");
    let eve = peer.actor("eve");
    let alice_uri = server.url("/users/alice");

    // Mallory's note claims an id on another host: the worker refetches it from there, gets
    // 404, and stores nothing.
    let spoofed = note(
        &mallory,
        &format!("{}/notes/spoofed", elsewhere.base),
        "spoofed",
        &alice_uri,
    );
    let activity = create(&mallory, &format!("{}/activities/1", peer.base), spoofed);
    let (status, text) = deliver(&server, &mallory, &activity).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{text}");
    // An activity whose id is on another host than its actor.
    let foreign_id = create(
        &mallory,
        &format!("{}/activities/2", elsewhere.base),
        note(
            &mallory,
            &format!("{}/notes/foreign-activity", peer.base),
            "foreign activity id",
            &alice_uri,
        ),
    );
    let (status, text) = deliver(&server, &mallory, &foreign_id).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{text}");
    // A Create by mallory of a note attributed to eve.
    let mut eves = note(
        &eve,
        &format!("{}/notes/eves", peer.base),
        "not mallory's",
        &alice_uri,
    );
    eves["attributedTo"] = json!(eve.id);
    let (status, text) = deliver(
        &server,
        &mallory,
        &create(&mallory, &format!("{}/activities/3", peer.base), eves),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{text}");
    // The other origin does serve a note, and says mallory wrote it: a note is only ever
    // attributed to an actor of its own origin (Mastodon's `trustworthy_attribution?`).
    let hosted = note(
        &mallory,
        &format!("{}/notes/hosted", elsewhere.base),
        "hosted elsewhere",
        &alice_uri,
    );
    elsewhere
        .documents
        .lock()
        .unwrap()
        .insert("/notes/hosted".into(), hosted.clone());
    let (status, text) = deliver(
        &server,
        &mallory,
        &create(&mallory, &format!("{}/activities/8", peer.base), hosted),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{text}");
    drained(&server).await;
    assert!(statuses_of(&server, &alice, &mallory).await.is_empty());
    assert!(statuses_of(&server, &alice, &eve).await.is_empty());
    assert!(notifications(&server, &alice).await.is_empty());

    // Mallory posts; eve, on the same server, tries to delete it; so does a third origin.
    let genuine = note(
        &mallory,
        &format!("{}/notes/genuine", peer.base),
        "genuine",
        &alice_uri,
    );
    let (status, _) = deliver(
        &server,
        &mallory,
        &create(&mallory, &format!("{}/activities/4", peer.base), genuine),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    drained(&server).await;
    assert_eq!(
        statuses_of(&server, &alice, &mallory).await,
        ["<p>genuine</p>"]
    );
    let delete = |actor: &Actor, id: String| {
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": id,
            "type": "Delete",
            "actor": actor.id,
            "object": {"id": format!("{}/notes/genuine", peer.base), "type": "Tombstone"},
        })
    };
    let (status, _) = deliver(
        &server,
        &eve,
        &delete(&eve, format!("{}/activities/5", peer.base)),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let trent = elsewhere.actor("trent");
    let (status, _) = deliver(
        &server,
        &trent,
        &delete(&trent, format!("{}/activities/6", elsewhere.base)),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    drained(&server).await;
    assert_eq!(
        statuses_of(&server, &alice, &mallory).await,
        ["<p>genuine</p>"]
    );
    // Mallory's own Delete still works: the refused ones left no tombstone behind.
    let (status, _) = deliver(
        &server,
        &mallory,
        &delete(&mallory, format!("{}/activities/7", peer.base)),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    drained(&server).await;
    assert!(statuses_of(&server, &alice, &mallory).await.is_empty());
}

#[tokio::test]
async fn an_activity_id_is_applied_once() {
    let server = permissive_server().await;
    let alice = server.user("alice").await;
    let peer = start_peer().await;
    let mallory = peer.actor("mallory");
    let alice_uri = server.url("/users/alice");
    let activity_id = format!("{}/activities/once", peer.base);
    for n in 1..=2 {
        let note = note(
            &mallory,
            &format!("{}/notes/{n}", peer.base),
            &format!("copy {n}"),
            &alice_uri,
        );
        let (status, text) =
            deliver(&server, &mallory, &create(&mallory, &activity_id, note)).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{text}");
        drained(&server).await;
    }
    assert_eq!(
        statuses_of(&server, &alice, &mallory).await,
        ["<p>copy 1</p>"]
    );
    assert_eq!(notifications(&server, &alice).await.len(), 1);
}

#[tokio::test]
async fn keys_from_documents_whose_id_is_not_their_url_are_refused() {
    let server = permissive_server().await;
    let alice = server.user("alice").await;
    let peer = start_peer().await;
    // `/users/trent` says it is `/users/someone`.
    let trent = peer.actor_with_id("trent", Some(&format!("{}/users/someone", peer.base)));
    let follow = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/follows/1", peer.base),
        "type": "Follow",
        "actor": trent.id,
        "object": server.url("/users/alice"),
    });
    let (status, text) = deliver(&server, &trent, &follow).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{text}");
    assert!(text.contains("is not its URL"), "{text}");
    let account = server
        .get(&format!("/api/v1/accounts/{}", alice.id), None)
        .await;
    assert_eq!(account.json["followers_count"], 0);
}

#[tokio::test]
async fn a_rotated_key_is_fetched_again_at_most_once_a_minute() {
    let server = permissive_server().await;
    let alice = server.user("alice").await;
    let peer = start_peer().await;
    let alice_uri = server.url("/users/alice");
    let first = peer.actor("mallory");
    let post = |actor: &Actor, n: u32| {
        create(
            actor,
            &format!("{}/activities/{n}", peer.base),
            note(
                actor,
                &format!("{}/notes/{n}", peer.base),
                &format!("key {n}"),
                &alice_uri,
            ),
        )
    };
    let (status, text) = deliver(&server, &first, &post(&first, 1)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{text}");
    let second = peer.rotate("mallory");
    // Right after a fetch, a failed check does not fetch again (bad signatures cannot make
    // the server fetch at will): the new key is refused for now.
    let (status, text) = deliver(&server, &second, &post(&second, 4)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{text}");
    // A minute later (the stored actor backdated), the failed check refetches the key.
    let mallory_uri = format!("{}/users/mallory", peer.base);
    server
        .app
        .run(move |app| {
            let (_, mut stored) = skerry::app::remote::actor_by_uri(app, &mallory_uri)?.unwrap();
            stored.fetched_ms -= skerry::federation::inbox::KEY_REFETCH_INTERVAL_MS + 1;
            app.store
                .write(|tx| skerry::store::accounts::put_remote_actor(tx, &stored))?;
            Ok(())
        })
        .await
        .unwrap();
    let (status, text) = deliver(&server, &second, &post(&second, 2)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{text}");
    // The old key is gone now.
    let (status, text) = deliver(&server, &first, &post(&first, 3)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{text}");
    drained(&server).await;
    let mut found = statuses_of(&server, &alice, &first).await;
    found.sort();
    assert_eq!(found, ["<p>key 1</p>", "<p>key 2</p>"]);
}

/// The stored key of a remote actor, by its id: `None` if the actor is not known, empty if it
/// is known without its key.
async fn stored_key(server: &Server, actor_uri: &str) -> Option<Vec<u8>> {
    let uri = actor_uri.to_string();
    server
        .app
        .run(move |app| skerry::app::remote::actor_by_uri(app, &uri))
        .await
        .unwrap()
        .map(|(_, actor)| actor.public_key_der)
}

/// When a remote account was suspended (or deleted), by its actor id.
async fn suspended_ms(server: &Server, actor_uri: &str) -> Option<u64> {
    let uri = actor_uri.to_string();
    server
        .app
        .run(move |app| {
            let (account, _) = skerry::app::remote::actor_by_uri(app, &uri)?.unwrap();
            Ok(account.suspended_ms)
        })
        .await
        .unwrap()
}

/// Makes `actor` known as a search with `resolve` does (a fetch of its document).
async fn found_by_search(server: &Server, user: &User, actor: &Actor) {
    let reply = server
        .get(
            &format!("/api/v2/search?resolve=true&type=accounts&q={}", actor.id),
            Some(&user.token),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.json);
    assert_eq!(reply.json["accounts"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn an_actor_known_without_its_key_is_fetched_when_it_signs_and_removed_when_gone() {
    let server = permissive_server().await;
    let alice = server.user("alice").await;
    let peer = start_peer().await;
    let alice_uri = server.url("/users/alice");
    let carol = peer.actor("carol");
    let dave = peer.actor("dave");
    // Found by a search, as a relay's authors are found: they have not signed to us, and
    // their keys are not stored.
    for actor in [&carol, &dave] {
        found_by_search(&server, &alice, actor).await;
        assert_eq!(stored_key(&server, &actor.id).await, Some(Vec::new()));
    }
    // Carol signs: her document is fetched for its key, which is kept from now on.
    let activity = create(
        &carol,
        &format!("{}/activities/c1", peer.base),
        note(
            &carol,
            &format!("{}/notes/c1", peer.base),
            "signed",
            &alice_uri,
        ),
    );
    let (status, text) = deliver(&server, &carol, &activity).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{text}");
    let key = stored_key(&server, &carol.id).await.unwrap();
    assert!(skerry::sig::PublicKey::from_der(&key).is_ok(), "{key:?}");
    drained(&server).await;
    assert_eq!(
        statuses_of(&server, &alice, &carol).await,
        ["<p>signed</p>"]
    );
    // Dave deletes his account: his server answers 410 for his document, so his `Delete`
    // cannot be checked with a key we never stored; the 410 from his own origin removes him.
    peer.documents
        .lock()
        .unwrap()
        .insert("/users/dave".into(), Value::Null);
    let delete = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}#delete", dave.id),
        "type": "Delete",
        "actor": dave.id,
        "object": dave.id,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    });
    let (status, text) = deliver(&server, &dave, &delete).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{text}");
    assert!(
        suspended_ms(&server, &dave.id).await.is_some(),
        "the gone actor is removed"
    );
    // A 404 is not a deletion: erin's document missing for a moment refuses her request and
    // leaves her as she is.
    let erin = peer.actor("erin");
    found_by_search(&server, &alice, &erin).await;
    peer.documents.lock().unwrap().remove("/users/erin");
    let activity = create(
        &erin,
        &format!("{}/activities/e1", peer.base),
        note(
            &erin,
            &format!("{}/notes/e1", peer.base),
            "lost",
            &alice_uri,
        ),
    );
    let (status, text) = deliver(&server, &erin, &activity).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{text}");
    assert_eq!(suspended_ms(&server, &erin.id).await, None);
    assert_eq!(stored_key(&server, &erin.id).await, Some(Vec::new()));
}

#[tokio::test]
async fn without_the_private_network_switch_loopback_keys_cannot_be_fetched() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    let peer = start_peer().await;
    let mallory = peer.actor("mallory");
    let activity = create(
        &mallory,
        &format!("{}/activities/1", peer.base),
        note(
            &mallory,
            &format!("{}/notes/1", peer.base),
            "from loopback",
            &server.url("/users/alice"),
        ),
    );
    let (status, text) = deliver(&server, &mallory, &activity).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{text}");
    drained(&server).await;
    assert!(notifications(&server, &alice).await.is_empty());

    // The guarded client itself: a loopback URL, plain or https, is refused before any
    // connection, and so is a redirect to one (checked per hop in `net`'s own tests).
    let client =
        skerry::net::Client::new(skerry::net::Settings::from_config(&server.app.config)).unwrap();
    for url in [
        format!("{}/users/mallory", peer.base),
        peer.base.replace("http://", "https://") + "/users/mallory",
        "https://localhost/users/mallory".to_string(),
    ] {
        let fetched = client
            .get(
                &skerry::net::Url::parse(&url).unwrap(),
                skerry::net::ACCEPT_ACTIVITY_JSON,
                &skerry::net::HeaderMap::new(),
                skerry::net::JSON_BODY_BYTES_MAX,
                None,
            )
            .await;
        assert!(
            fetched.is_err(),
            "{url}: {:?}",
            fetched.map(|f| f.http_status)
        );
    }
    // A public peer that redirects to loopback: the hop is refused.
    let current = skerry::net::Url::parse("https://social.example/users/mallory").unwrap();
    for location in [peer.base.clone(), peer.base.replace("http://", "https://")] {
        let hop = skerry::net::next_hop(
            &current,
            &HeaderValue::from_str(&location).unwrap(),
            std::slice::from_ref(&current),
            false,
        );
        assert!(hop.is_err(), "{location}: {hop:?}");
    }
}

#[tokio::test]
async fn a_full_inbound_queue_answers_503_with_retry_after_and_takes_nothing() {
    let server = Server::start_with(&[
        ("SKERRY_FEDERATION_ALLOW_PRIVATE_NETWORKS", "true"),
        ("SKERRY_FEDERATION_INBOUND_QUEUE_MAX", "5"),
    ])
    .await;
    let alice = server.user("alice").await;
    let peer = start_peer().await;
    let mallory = peer.actor("mallory");
    let follow = |n: u32| {
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/follows/{n}", peer.base),
            "type": "Follow",
            "actor": mallory.id,
            "object": server.url("/users/alice"),
        })
    };
    // The queue counts as full: answered before any key lookup, nothing is queued.
    let queued = &server.app.ingest.queued;
    queued.store(5, std::sync::atomic::Ordering::Relaxed);
    let body = serde_json::to_vec(&follow(1)).unwrap();
    let headers = signed_headers(&server, &mallory, "/inbox", Some(&body), now_secs());
    let response = server
        .client
        .post(server.url("/inbox"))
        .headers(headers)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "30");
    assert_eq!(
        server
            .app
            .store
            .read(skerry::store::queues::count_inbound)
            .unwrap(),
        0
    );
    // Room again: the peer's retry is taken and applied.
    queued.store(0, std::sync::atomic::Ordering::Relaxed);
    let (status, text) = deliver(&server, &mallory, &follow(1)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{text}");
    drained(&server).await;
    let followers = server
        .get(&format!("/api/v1/accounts/{}/followers", alice.id), None)
        .await;
    assert_eq!(followers.json.as_array().unwrap().len(), 1);
    assert_eq!(queued.load(std::sync::atomic::Ordering::Relaxed), 0);
}
