//! Relays against a real server: the test plays a relay on loopback (its own actor and key,
//! signed requests), checks the subscription Skerry sends it (signature verified with the
//! instance actor's published key), accepts it, delivers posts in both forms relays use
//! (Announce of a post, forwarded Create), and reads them from the federated timeline through
//! the client API. Domain blocks apply to relayed posts; unsubscribing sends an Undo.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue, Method, header};
use reqwest::StatusCode;
use serde_json::{Value, json};
use skerry::model::Role;
use skerry::sig::httpsig::{self, RequestParts, VerifyPolicy, sign_request};
use skerry::sig::{PublicKey, SigningKey};

use crate::rig::{Server, User};

const AS2: &str = "application/activity+json";
const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
/// How long the server's workers may take before a check gives up.
const PATIENCE: Duration = Duration::from_secs(20);

type Documents = Arc<Mutex<HashMap<String, Value>>>;
/// POSTs the relay received: (path, headers, body).
type Received = Arc<Mutex<Vec<(String, HeaderMap, Vec<u8>)>>>;

/// A fediverse host on loopback: serves the documents it is given and records every POST.
struct Host {
    base: String,
    documents: Documents,
    received: Received,
    /// GET requests served (found or not).
    gets: Arc<std::sync::atomic::AtomicUsize>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

/// An actor of a host with its private key.
struct Actor {
    id: String,
    key_id: String,
    key: SigningKey,
}

async fn start_host(ip: &str) -> Host {
    use axum::extract::{Path, State};
    use axum::response::IntoResponse;
    let documents: Documents = Arc::default();
    let received: Received = Arc::default();
    let gets: Arc<std::sync::atomic::AtomicUsize> = Arc::default();
    let counter = gets.clone();
    let router = axum::Router::new()
        .route(
            "/{*path}",
            axum::routing::get(
                move |State((documents, _)): State<(Documents, Received)>,
                      Path(path): Path<String>| async move {
                    counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let found = documents.lock().unwrap().get(&format!("/{path}")).cloned();
                    match found {
                        Some(document) => (
                            [(header::CONTENT_TYPE, AS2)],
                            serde_json::to_vec(&document).unwrap(),
                        )
                            .into_response(),
                        None => axum::http::StatusCode::NOT_FOUND.into_response(),
                    }
                },
            )
            .post(
                |State((_, received)): State<(Documents, Received)>,
                 Path(path): Path<String>,
                 headers: HeaderMap,
                 body: axum::body::Bytes| async move {
                    received
                        .lock()
                        .unwrap()
                        .push((format!("/{path}"), headers, body.to_vec()));
                    axum::http::StatusCode::ACCEPTED
                },
            ),
        )
        .with_state((documents.clone(), received.clone()));
    let listener = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
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
    Host {
        base,
        documents,
        received,
        gets,
        _shutdown: shutdown,
    }
}

impl Host {
    /// Publishes an actor at `path` with a fresh key.
    fn actor(&self, path: &str, kind: &str, name: &str) -> Actor {
        let der = skerry::sig::generate_rsa_pkcs8().unwrap();
        let id = format!("{}{path}", self.base);
        let document = json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": id,
            "type": kind,
            "preferredUsername": name,
            "inbox": format!("{}/inbox", self.base),
            "followers": format!("{id}/followers"),
            "endpoints": {"sharedInbox": format!("{}/inbox", self.base)},
            "publicKey": {
                "id": format!("{id}#main-key"),
                "owner": id,
                "publicKeyPem": skerry::sig::public_key_pem(&der).unwrap(),
            },
        });
        self.documents
            .lock()
            .unwrap()
            .insert(path.to_string(), document);
        Actor {
            key_id: format!("{id}#main-key"),
            id,
            key: SigningKey::from_pkcs8(&der).unwrap(),
        }
    }

    /// Publishes a public note by `author` at `path`; returns its id.
    fn note(&self, author: &Actor, path: &str, text: &str) -> Value {
        let note = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}{path}", self.base),
            "type": "Note",
            "attributedTo": author.id,
            "content": format!("<p>{text}</p>"),
            "to": [PUBLIC],
            "cc": [format!("{}/followers", author.id)],
            "published": "2026-11-28T12:00:00Z",
        });
        self.documents
            .lock()
            .unwrap()
            .insert(path.to_string(), note.clone());
        note
    }

    /// The POSTs received so far whose activity has `kind`, as JSON.
    fn received_of(&self, kind: &str) -> Vec<(String, HeaderMap, Vec<u8>, Value)> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .filter_map(|(path, headers, body)| {
                let value: Value = serde_json::from_slice(body).ok()?;
                (value["type"] == kind)
                    .then(|| (path.clone(), headers.clone(), body.clone(), value))
            })
            .collect()
    }

    async fn wait_for(&self, kind: &str) -> (String, HeaderMap, Vec<u8>, Value) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if let Some(found) = self.received_of(kind).pop() {
                return found;
            }
            assert!(tokio::time::Instant::now() < deadline, "no {kind} arrived");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// POSTs `activity` to `path` on `server`, signed by `signer` as a relay signs.
async fn deliver(server: &Server, signer: &Actor, path: &str, activity: &Value) -> StatusCode {
    let body = serde_json::to_vec(activity).unwrap();
    let mut headers = HeaderMap::new();
    let host = server.base.trim_start_matches("http://");
    headers.insert(header::HOST, HeaderValue::from_str(host).unwrap());
    let now_secs = skerry::util::time::now_ms() / 1000;
    sign_request(
        &signer.key,
        &signer.key_id,
        &Method::POST,
        path,
        &mut headers,
        Some(&body),
        now_secs,
    )
    .unwrap();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(AS2));
    server
        .client
        .post(server.url(path))
        .headers(headers)
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
}

/// Checks the HTTP signature of a request the relay received against the key that the
/// server's instance actor publishes.
async fn assert_signed_by_instance_actor(
    server: &Server,
    host: &Host,
    got: &(String, HeaderMap, Vec<u8>, Value),
) {
    let actor = server
        .send(
            server
                .client
                .get(server.url("/actor"))
                .header("accept", AS2),
            None,
        )
        .await;
    let pem = actor.json["publicKey"]["publicKeyPem"].as_str().unwrap();
    let key = PublicKey::from_pem(pem).unwrap();
    let (path, headers, body, _) = got;
    let parsed = httpsig::parse(headers).unwrap();
    assert_eq!(parsed.key_id(), format!("{}/actor#main-key", server.base));
    let authority = host.base.trim_start_matches("http://");
    let parts = RequestParts {
        method: &Method::POST,
        scheme: "http",
        authority,
        path_and_query: path,
        headers,
        body: Some(body),
    };
    httpsig::verify_request(
        &parsed,
        &parts,
        &key,
        skerry::util::time::now_ms() / 1000,
        &VerifyPolicy::default(),
    )
    .unwrap();
}

async fn relays(server: &Server, admin: &User) -> Vec<Value> {
    let reply = server.get("/api/v1/admin/relays", Some(&admin.token)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    reply.json.as_array().unwrap().clone()
}

async fn wait_relay_state(server: &Server, admin: &User, state: &str) -> Value {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let list = relays(server, admin).await;
        if list.first().is_some_and(|relay| relay["state"] == state) {
            return list[0].clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "relay never {state}: {list:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Contents of the federated timeline, as a client sees it.
async fn federated(server: &Server, user: &User) -> Vec<String> {
    let reply = server
        .get("/api/v1/timelines/public?remote=true", Some(&user.token))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    reply
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|status| status["content"].as_str().unwrap().to_string())
        .collect()
}

async fn wait_federated(server: &Server, user: &User, count: usize) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let contents = federated(server, user).await;
        if contents.len() >= count {
            return contents;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timeline: {contents:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the inbound worker has taken everything off the queue.
async fn drained(server: &Server) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while server
        .app
        .store
        .read(skerry::store::queues::count_inbound)
        .unwrap()
        > 0
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the queue stays full"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn admin(server: &Server) -> User {
    server
        .user_with_role("admin", Role::Admin, "read write admin:read admin:write")
        .await
}

#[tokio::test]
async fn a_mastodon_style_relay_is_subscribed_accepted_and_its_posts_reach_the_federated_timeline()
{
    let server = Server::start_with(&[("SKERRY_FEDERATION_ALLOW_PRIVATE_NETWORKS", "true")]).await;
    let admin = admin(&server).await;
    let relay_host = start_host("127.0.0.1").await;
    let relay = relay_host.actor("/actor", "Application", "relay");
    let origin = start_host("127.0.0.1").await;
    let author = origin.actor("/users/carol", "Person", "carol");
    let blocked_origin = start_host("127.0.0.2").await;
    let spammer = blocked_origin.actor("/users/spam", "Person", "spam");

    // Subscribing: the Follow of the public collection goes to the relay's inbox, signed by
    // the instance actor.
    let inbox_url = format!("{}/inbox", relay_host.base);
    let added = server
        .post(
            "/api/v1/admin/relays",
            Some(&admin.token),
            json!({"url": inbox_url}),
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.json);
    assert_eq!(added.json["state"], "pending");
    assert_eq!(added.json["style"], "mastodon");
    let follow = relay_host.wait_for("Follow").await;
    assert_eq!(follow.0, "/inbox");
    assert_eq!(follow.3["object"], PUBLIC);
    assert_eq!(follow.3["actor"], format!("{}/actor", server.base));
    assert_signed_by_instance_actor(&server, &relay_host, &follow).await;

    // Someone else's Accept of it changes nothing; the relay's own does.
    let accept = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/activities/accept-1", relay_host.base),
        "type": "Accept",
        "actor": relay.id,
        "object": follow.3.clone(),
    });
    let mut forged = accept.clone();
    forged["id"] = json!(format!("{}/activities/forged", origin.base));
    forged["actor"] = json!(author.id);
    assert_eq!(
        deliver(&server, &author, "/actor/inbox", &forged).await,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        deliver(&server, &relay, "/actor/inbox", &accept).await,
        StatusCode::ACCEPTED
    );
    let accepted = wait_relay_state(&server, &admin, "accepted").await;
    assert_eq!(accepted["actor"], relay.id);

    // Both delivery forms: an Announce of a post (fetched from its origin), and another
    // server's Create forwarded with the relay's signature (its object fetched again too).
    let first = origin.note(&author, "/users/carol/statuses/1", "relayed by announce");
    let announce = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/activities/announce-1", relay_host.base),
        "type": "Announce",
        "actor": relay.id,
        "object": first["id"],
        "to": [format!("{}/followers", relay.id)],
    });
    assert_eq!(
        deliver(&server, &relay, "/inbox", &announce).await,
        StatusCode::ACCEPTED
    );
    let second = origin.note(&author, "/users/carol/statuses/2", "relayed as a create");
    let mut embedded = second.clone();
    // What the relay embeds is not believed: the stored text is the origin's.
    embedded["content"] = json!("<p>tampered on the way</p>");
    let create = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/users/carol/statuses/2/activity", origin.base),
        "type": "Create",
        "actor": author.id,
        "object": embedded,
        "to": [PUBLIC],
    });
    assert_eq!(
        deliver(&server, &relay, "/inbox", &create).await,
        StatusCode::ACCEPTED
    );
    // A Like forwarded by the relay is not relay content.
    let like = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/likes/1", origin.base),
        "type": "Like",
        "actor": author.id,
        "object": first["id"],
    });
    assert_eq!(
        deliver(&server, &relay, "/inbox", &like).await,
        StatusCode::ACCEPTED
    );

    let viewer = server.user("viewer").await;
    let mut contents = wait_federated(&server, &viewer, 2).await;
    contents.sort();
    assert_eq!(
        contents,
        vec![
            "<p>relayed as a create</p>".to_string(),
            "<p>relayed by announce</p>".to_string()
        ]
    );
    let listed = relays(&server, &admin).await;
    assert_eq!(listed[0]["received_today"], 2);
    assert!(listed[0]["last_seen_at"].is_string());

    // A suspended domain's posts do not come in through the relay either.
    let blocked = server
        .post(
            "/api/v1/admin/domain_blocks",
            Some(&admin.token),
            json!({"domain": "127.0.0.2", "severity": "suspend"}),
        )
        .await;
    assert_eq!(blocked.status, StatusCode::OK, "{}", blocked.json);
    let spam = blocked_origin.note(&spammer, "/users/spam/statuses/1", "spam via relay");
    let spam_announce = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/activities/announce-2", relay_host.base),
        "type": "Announce",
        "actor": relay.id,
        "object": spam["id"],
    });
    assert_eq!(
        deliver(&server, &relay, "/inbox", &spam_announce).await,
        StatusCode::ACCEPTED
    );
    let marker = origin.note(&author, "/users/carol/statuses/3", "after the blocked post");
    let mut marker_announce = spam_announce.clone();
    marker_announce["id"] = json!(format!("{}/activities/announce-3", relay_host.base));
    marker_announce["object"] = marker["id"].clone();
    assert_eq!(
        deliver(&server, &relay, "/inbox", &marker_announce).await,
        StatusCode::ACCEPTED
    );
    let contents = wait_federated(&server, &viewer, 3).await;
    assert_eq!(contents.len(), 3, "{contents:?}");
    assert!(
        !contents
            .iter()
            .any(|content| content.contains("spam via relay")),
        "{contents:?}"
    );

    // A forwarded Delete is believed only when the post's origin says it is gone.
    let delete_of = |object: &Value, n: u32| {
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/users/carol#deletes/{n}", origin.base),
            "type": "Delete",
            "actor": author.id,
            "object": {"id": object["id"], "type": "Tombstone"},
            "to": [PUBLIC],
        })
    };
    assert_eq!(
        deliver(&server, &relay, "/inbox", &delete_of(&second, 1)).await,
        StatusCode::ACCEPTED
    );
    drained(&server).await;
    assert_eq!(federated(&server, &viewer).await.len(), 3);
    origin
        .documents
        .lock()
        .unwrap()
        .remove("/users/carol/statuses/2");
    assert_eq!(
        deliver(&server, &relay, "/inbox", &delete_of(&second, 2)).await,
        StatusCode::ACCEPTED
    );
    drained(&server).await;
    let contents = federated(&server, &viewer).await;
    assert_eq!(contents.len(), 2, "{contents:?}");
    assert!(
        !contents
            .iter()
            .any(|content| content.contains("as a create")),
        "{contents:?}"
    );
    // A Delete of a post we never stored costs no fetch.
    let fetches = origin.gets.load(std::sync::atomic::Ordering::Relaxed);
    let never = json!({"id": format!("{}/users/carol/statuses/99", origin.base)});
    assert_eq!(
        deliver(&server, &relay, "/inbox", &delete_of(&never, 3)).await,
        StatusCode::ACCEPTED
    );
    drained(&server).await;
    assert_eq!(
        origin.gets.load(std::sync::atomic::Ordering::Relaxed),
        fetches
    );

    // Unsubscribing sends the Undo of the Follow to the relay's inbox.
    let id = listed[0]["id"].as_str().unwrap();
    let removed = server
        .send(
            server
                .client
                .delete(server.url(&format!("/api/v1/admin/relays/{id}"))),
            Some(&admin.token),
        )
        .await;
    assert_eq!(removed.status, StatusCode::OK);
    let undo = relay_host.wait_for("Undo").await;
    assert_eq!(undo.3["object"]["id"], follow.3["id"]);
    assert_signed_by_instance_actor(&server, &relay_host, &undo).await;
    assert!(relays(&server, &admin).await.is_empty());
}

#[tokio::test]
async fn a_litepub_relay_is_followed_through_its_actor_and_can_reject() {
    let server = Server::start_with(&[("SKERRY_FEDERATION_ALLOW_PRIVATE_NETWORKS", "true")]).await;
    let admin = admin(&server).await;
    let relay_host = start_host("127.0.0.1").await;
    let relay = relay_host.actor("/relay", "Application", "relay");
    let added = server
        .post(
            "/api/v1/admin/relays",
            Some(&admin.token),
            json!({"url": relay.id}),
        )
        .await;
    assert_eq!(added.json["style"], "litepub");
    let follow = relay_host.wait_for("Follow").await;
    assert_eq!(follow.0, "/inbox", "the actor's shared inbox");
    assert_eq!(follow.3["object"], relay.id);
    assert_signed_by_instance_actor(&server, &relay_host, &follow).await;
    let reject = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/activities/reject-1", relay_host.base),
        "type": "Reject",
        "actor": relay.id,
        "object": follow.3["id"],
    });
    assert_eq!(
        deliver(&server, &relay, "/actor/inbox", &reject).await,
        StatusCode::ACCEPTED
    );
    wait_relay_state(&server, &admin, "rejected").await;
    // A rejected relay's deliveries are not counted as relay content.
    let note = relay_host.note(&relay, "/notes/1", "not relayed");
    let announce = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/activities/announce-1", relay_host.base),
        "type": "Announce",
        "actor": relay.id,
        "object": note["id"],
    });
    assert_eq!(
        deliver(&server, &relay, "/inbox", &announce).await,
        StatusCode::ACCEPTED
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(relays(&server, &admin).await[0]["received_today"], 0);

    // Only admins manage relays.
    let user = server.user("user").await;
    let refused = server.get("/api/v1/admin/relays", Some(&user.token)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_key_that_cannot_be_found_is_not_fetched_again_for_a_while() {
    let server = Server::start_with(&[("SKERRY_FEDERATION_ALLOW_PRIVATE_NETWORKS", "true")]).await;
    let host = start_host("127.0.0.1").await;
    // A signer whose actor document does not exist.
    let der = skerry::sig::generate_rsa_pkcs8().unwrap();
    let ghost = Actor {
        id: format!("{}/users/ghost", host.base),
        key_id: format!("{}/users/ghost#main-key", host.base),
        key: SigningKey::from_pkcs8(&der).unwrap(),
    };
    let follow = |n: u32| {
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/follows/{n}", host.base),
            "type": "Follow",
            "actor": ghost.id,
            "object": server.url("/actor"),
        })
    };
    assert_eq!(
        deliver(&server, &ghost, "/inbox", &follow(1)).await,
        StatusCode::UNAUTHORIZED
    );
    let fetched = host.gets.load(std::sync::atomic::Ordering::Relaxed);
    assert!(fetched >= 1);
    for n in 2..5 {
        assert_eq!(
            deliver(&server, &ghost, "/inbox", &follow(n)).await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        host.gets.load(std::sync::atomic::Ordering::Relaxed),
        fetched
    );
}
