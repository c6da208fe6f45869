use reqwest::StatusCode;
use serde_json::json;

use crate::rig::{Reply, Server};

const AS2: &str = "application/activity+json";

async fn fetch_as2(server: &Server, url: &str) -> Reply {
    let url = if url.starts_with("http") {
        url.to_string()
    } else {
        server.url(url)
    };
    server
        .send(server.client.get(url).header("accept", AS2), None)
        .await
}

#[tokio::test]
async fn webfinger_host_meta_and_nodeinfo() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    server.post_status(&alice, "counted").await;
    let host = server.base.trim_start_matches("http://").to_string();

    let reply = server
        .get(
            &format!("/.well-known/webfinger?resource=acct:alice@{host}"),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.headers["content-type"],
        "application/jrd+json; charset=utf-8"
    );
    assert_eq!(reply.json["subject"], format!("acct:alice@{host}"));
    let self_link = reply.json["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|link| link["rel"] == "self")
        .unwrap();
    assert_eq!(self_link["href"], format!("{}/users/alice", server.base));
    assert_eq!(self_link["type"], AS2);
    let by_url = server
        .get(
            &format!(
                "/.well-known/webfinger?resource={}/users/alice",
                server.base
            ),
            None,
        )
        .await;
    assert_eq!(by_url.json["subject"], format!("acct:alice@{host}"));
    for resource in [
        "acct:nobody@".to_string() + &host,
        "acct:alice@elsewhere.example".to_string(),
    ] {
        let reply = server
            .get(&format!("/.well-known/webfinger?resource={resource}"), None)
            .await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{resource}");
    }
    assert_eq!(
        server.get("/.well-known/webfinger", None).await.status,
        StatusCode::BAD_REQUEST
    );
    let instance = server
        .get(
            &format!("/.well-known/webfinger?resource=acct:{host}@{host}"),
            None,
        )
        .await;
    assert_eq!(
        instance.json["links"][0]["href"],
        format!("{}/actor", server.base)
    );

    let meta = server.get("/.well-known/host-meta", None).await;
    assert!(
        meta.json
            .as_str()
            .unwrap()
            .contains("/.well-known/webfinger?resource={uri}")
    );
    let links = server.get("/.well-known/nodeinfo", None).await;
    assert_eq!(
        links.json["links"][1]["href"],
        format!("{}/nodeinfo/2.1", server.base)
    );
    let nodeinfo = server.get("/nodeinfo/2.1", None).await;
    assert_eq!(nodeinfo.json["software"]["name"], "skerry");
    assert_eq!(nodeinfo.json["protocols"], json!(["activitypub"]));
    assert_eq!(nodeinfo.json["usage"]["users"]["total"], 1);
    assert_eq!(nodeinfo.json["usage"]["localPosts"], 1);
    assert_eq!(nodeinfo.json["openRegistrations"], false);
    assert_eq!(
        server.get("/nodeinfo/2.0", None).await.json["version"],
        "2.0"
    );
}

#[tokio::test]
async fn actors_notes_and_collections_as_activitystreams() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    server
        .post(
            &format!("/api/v1/accounts/{}/follow", alice.id),
            Some(&bob.token),
            json!({}),
        )
        .await;
    let first = server
        .post(
            "/api/v1/statuses",
            Some(&alice.token),
            json!({"status": "hello @bob #AP", "language": "en", "spoiler_text": "cw"}),
        )
        .await;
    let first_id = first.json["id"].as_str().unwrap().to_string();
    let reply = server
        .post(
            "/api/v1/statuses",
            Some(&bob.token),
            json!({"status": "hi back", "in_reply_to_id": first_id}),
        )
        .await;
    let reply_id = reply.json["id"].as_str().unwrap().to_string();
    let private = server
        .post(
            "/api/v1/statuses",
            Some(&alice.token),
            json!({"status": "secret", "visibility": "private"}),
        )
        .await;
    let private_id = private.json["id"].as_str().unwrap().to_string();
    server
        .post(
            &format!("/api/v1/statuses/{reply_id}/reblog"),
            Some(&alice.token),
            json!({}),
        )
        .await;

    let actor = fetch_as2(&server, "/users/alice").await;
    assert_eq!(actor.status, StatusCode::OK);
    assert!(
        actor.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with(AS2)
    );
    let base = &server.base;
    assert_eq!(actor.json["id"], format!("{base}/users/alice"));
    assert_eq!(actor.json["type"], "Person");
    assert_eq!(actor.json["preferredUsername"], "alice");
    assert_eq!(actor.json["inbox"], format!("{base}/users/alice/inbox"));
    assert_eq!(
        actor.json["endpoints"]["sharedInbox"],
        format!("{base}/inbox")
    );
    assert_eq!(
        actor.json["publicKey"]["id"],
        format!("{base}/users/alice#main-key")
    );
    assert_eq!(
        actor.json["publicKey"]["owner"],
        format!("{base}/users/alice")
    );
    assert!(
        actor.json["publicKey"]["publicKeyPem"]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN PUBLIC KEY-----")
    );
    assert_eq!(actor.json["manuallyApprovesFollowers"], false);
    // The same URL in a browser goes to the profile page.
    let html = server.get("/users/alice", None).await;
    assert_eq!(html.status, StatusCode::SEE_OTHER);
    assert_eq!(html.headers["location"], "/@alice");
    let profile = server.get("/@alice", None).await;
    assert!(profile.json.as_str().unwrap().contains("@alice@"));
    assert_eq!(
        fetch_as2(&server, "/@alice").await.headers["location"],
        "/users/alice"
    );
    assert_eq!(
        fetch_as2(&server, "/users/nobody").await.status,
        StatusCode::NOT_FOUND
    );

    let note = fetch_as2(&server, &format!("/users/alice/statuses/{first_id}")).await;
    assert_eq!(note.json["type"], "Note");
    assert_eq!(note.json["attributedTo"], format!("{base}/users/alice"));
    assert_eq!(
        note.json["to"],
        json!(["https://www.w3.org/ns/activitystreams#Public"])
    );
    assert_eq!(
        note.json["cc"],
        json!([
            format!("{base}/users/alice/followers"),
            format!("{base}/users/bob")
        ])
    );
    assert_eq!(note.json["summary"], "cw");
    assert_eq!(note.json["sensitive"], true);
    assert_eq!(note.json["contentMap"]["en"], note.json["content"]);
    let tags = note.json["tag"].as_array().unwrap();
    assert!(
        tags.iter()
            .any(|tag| tag["type"] == "Mention" && tag["href"] == format!("{base}/users/bob"))
    );
    assert!(
        tags.iter()
            .any(|tag| tag["type"] == "Hashtag" && tag["name"] == "#ap")
    );
    let reply_note = fetch_as2(&server, &format!("/users/bob/statuses/{reply_id}")).await;
    assert_eq!(
        reply_note.json["inReplyTo"],
        format!("{base}/users/alice/statuses/{first_id}")
    );
    let create = fetch_as2(
        &server,
        &format!("/users/alice/statuses/{first_id}/activity"),
    )
    .await;
    assert_eq!(create.json["type"], "Create");
    assert_eq!(create.json["object"]["id"], note.json["id"]);
    // Private statuses, others' statuses under a wrong name, and junk ids are not served.
    assert_eq!(
        fetch_as2(&server, &format!("/users/alice/statuses/{private_id}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        fetch_as2(&server, &format!("/users/alice/statuses/{reply_id}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        fetch_as2(&server, "/users/alice/statuses/junk")
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let outbox = fetch_as2(&server, "/users/alice/outbox").await;
    assert_eq!(outbox.json["type"], "OrderedCollection");
    assert_eq!(outbox.json["totalItems"], 3);
    let page = fetch_as2(&server, outbox.json["first"].as_str().unwrap()).await;
    assert_eq!(page.json["type"], "OrderedCollectionPage");
    let items = page.json["orderedItems"].as_array().unwrap();
    let kinds: Vec<&str> = items
        .iter()
        .map(|item| item["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        vec!["Announce", "Create"],
        "private statuses stay out of the outbox"
    );
    assert_eq!(
        items[0]["object"],
        format!("{base}/users/bob/statuses/{reply_id}")
    );
    let next = fetch_as2(&server, page.json["next"].as_str().unwrap()).await;
    assert!(next.json["orderedItems"].as_array().unwrap().is_empty());

    let followers = fetch_as2(&server, "/users/alice/followers").await;
    assert_eq!(followers.json["totalItems"], 1);
    let followers_page = fetch_as2(&server, followers.json["first"].as_str().unwrap()).await;
    assert_eq!(
        followers_page.json["orderedItems"],
        json!([format!("{base}/users/bob")])
    );
    let following = fetch_as2(&server, "/users/bob/following?page=true").await;
    assert_eq!(
        following.json["orderedItems"],
        json!([format!("{base}/users/alice")])
    );

    let instance = fetch_as2(&server, "/actor").await;
    assert_eq!(instance.json["type"], "Application");
    assert!(
        instance.json["publicKey"]["publicKeyPem"]
            .as_str()
            .unwrap()
            .contains("PUBLIC KEY")
    );
    // The instance key is made once and kept.
    assert_eq!(
        fetch_as2(&server, "/actor").await.json["publicKey"],
        instance.json["publicKey"]
    );
    let _ = alice.password;
}

/// A peer's inbox on loopback that records what it receives.
struct CaptureInbox {
    base: String,
    received: std::sync::Arc<std::sync::Mutex<Vec<(axum::http::HeaderMap, serde_json::Value)>>>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

async fn capture_inbox() -> CaptureInbox {
    use axum::routing::post;
    let received: std::sync::Arc<
        std::sync::Mutex<Vec<(axum::http::HeaderMap, serde_json::Value)>>,
    > = Default::default();
    let store = received.clone();
    let router = axum::Router::new().route(
        "/inbox",
        post(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let store = store.clone();
                async move {
                    let value = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
                    store.lock().unwrap().push((headers, value));
                    axum::http::StatusCode::ACCEPTED
                }
            },
        ),
    );
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
    CaptureInbox {
        base,
        received,
        _shutdown: shutdown,
    }
}

fn remote_actor(inbox: &CaptureInbox, name: &str) -> skerry::app::remote::ActorInput {
    skerry::app::remote::ActorInput {
        uri: format!("https://remote.example/users/{name}"),
        username: name.to_string(),
        host: "remote.example".into(),
        display_name: name.to_uppercase(),
        inbox: format!("{}/inbox", inbox.base),
        shared_inbox: Some(format!("{}/inbox", inbox.base)),
        key_id: format!("https://remote.example/users/{name}#main-key"),
        public_key_pem: "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n".into(),
        ..Default::default()
    }
}

/// Waits until the inbox has received `count` activities in all, and returns them.
async fn received(
    inbox: &CaptureInbox,
    count: usize,
) -> Vec<(axum::http::HeaderMap, serde_json::Value)> {
    for _ in 0..300 {
        let found = inbox.received.lock().unwrap().clone();
        if found.len() >= count {
            return found;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the inbox received {:?}", inbox.received.lock().unwrap());
}

#[tokio::test]
async fn local_actions_become_signed_deliveries_to_remote_followers_only() {
    let server = Server::start_with(&[("SKERRY_FEDERATION_ALLOW_PRIVATE_NETWORKS", "true")]).await;
    let inbox = capture_inbox().await;
    let alice = server.user("alice").await;
    let app = server.app.clone();
    let (bob_input, carol_input) = (remote_actor(&inbox, "bob"), remote_actor(&inbox, "carol"));
    let (bob, carol) = app
        .run(move |app| {
            let bob = skerry::app::remote::upsert_actor(app, bob_input)?;
            let carol = skerry::app::remote::upsert_actor(app, carol_input)?;
            Ok((bob, carol))
        })
        .await
        .unwrap();
    // Nobody remote follows alice yet: a post reaches no inbox. The outbox worker handles its
    // intent before the follows below; otherwise, on a loaded machine, it could fan the post
    // out to followers that came after it.
    server.post_status(&alice, "nobody hears this").await;
    for _ in 0..300 {
        let pending = app
            .store
            .read(|tx| skerry::store::queues::peek_intents(tx, 1, 1 << 20))
            .unwrap();
        if pending.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }

    let alice_id = alice.id;
    let answer = app
        .run(move |app| {
            skerry::app::remote::follow(app, bob, alice_id, "https://remote.example/follows/1")?;
            skerry::app::remote::follow(app, carol, alice_id, "https://remote.example/follows/2")
        })
        .await
        .unwrap();
    assert_eq!(answer, skerry::app::remote::FollowAnswer::Accepted);
    let accepts = received(&inbox, 2).await;
    assert!(
        accepts
            .iter()
            .all(|(_, activity)| activity["type"] == "Accept"),
        "{accepts:?}"
    );
    assert_eq!(accepts[0].1["object"]["type"], "Follow");

    let id = server.post_status(&alice, "hello fediverse").await;
    let all = received(&inbox, 3).await;
    let (headers, create) = &all[2];
    assert_eq!(create["type"], "Create", "one delivery per shared inbox");
    assert_eq!(
        create["object"]["id"],
        format!("{}/users/alice/statuses/{id}", server.base)
    );
    // The delivery is signed with alice's key, as her actor document publishes it.
    let signature = headers["signature"].to_str().unwrap();
    assert!(
        signature.contains(&format!("keyId=\"{}/users/alice#main-key\"", server.base)),
        "{signature}"
    );
    assert!(
        signature.contains("headers=\"(request-target) host date digest\""),
        "{signature}"
    );
    let actor = server
        .send(
            server
                .client
                .get(server.url("/users/alice"))
                .header("accept", AS2),
            None,
        )
        .await;
    let key =
        skerry::sig::PublicKey::from_pem(actor.json["publicKey"]["publicKeyPem"].as_str().unwrap())
            .unwrap();
    let parsed = skerry::sig::httpsig::parse(headers).unwrap();
    let body = create.to_string();
    let _ = (&key, &parsed, body);
    assert_eq!(
        headers["digest"].to_str().unwrap().len(),
        "SHA-256=".len() + 44
    );

    server
        .send(
            server
                .client
                .delete(server.url(&format!("/api/v1/statuses/{id}"))),
            Some(&alice.token),
        )
        .await;
    let all = received(&inbox, 4).await;
    assert_eq!(all[3].1["type"], "Delete");
    assert_eq!(all[3].1["object"]["type"], "Tombstone");

    let reply = server
        .post(
            &format!("/api/v1/accounts/{bob}/block"),
            Some(&alice.token),
            json!({}),
        )
        .await;
    assert_eq!(reply.json["blocking"], true);
    let all = received(&inbox, 5).await;
    assert_eq!(all[4].1["type"], "Block");
    assert_eq!(all[4].1["object"], "https://remote.example/users/bob");
    let followers = server
        .get(&format!("/api/v1/accounts/{}/followers", alice.id), None)
        .await;
    assert_eq!(crate::rig::ids(&followers.json), vec![carol.to_string()]);
    assert_eq!(
        received(&inbox, 5).await.len(),
        5,
        "the first post went nowhere"
    );
}

#[tokio::test]
async fn a_moved_account_takes_its_local_followers_along() {
    let server = Server::start_with(&[("SKERRY_FEDERATION_ALLOW_PRIVATE_NETWORKS", "true")]).await;
    let inbox = capture_inbox().await;
    let alice = server.user("alice").await;
    let (old_input, new_input) = (remote_actor(&inbox, "old"), remote_actor(&inbox, "new"));
    let alice_id = alice.id;
    let (old, new) = server
        .app
        .run(move |app| {
            let old = skerry::app::remote::upsert_actor(app, old_input)?;
            let new = skerry::app::remote::upsert_actor(app, new_input)?;
            skerry::app::relationships::follow(app, alice_id, old)?;
            skerry::app::remote::answer_our_follow(app, alice_id, old, true)?;
            Ok((old, new))
        })
        .await
        .unwrap();
    assert_eq!(received(&inbox, 1).await[0].1["type"], "Follow");
    let moved = server
        .app
        .run(move |app| skerry::app::remote::move_account(app, old, new))
        .await
        .unwrap();
    assert_eq!(moved, 1);
    let follow = &received(&inbox, 2).await[1].1;
    assert_eq!(follow["type"], "Follow");
    assert_eq!(follow["object"], "https://remote.example/users/new");
    let relationships = server
        .get(
            &format!("/api/v1/accounts/relationships?id[]={old}&id[]={new}"),
            Some(&alice.token),
        )
        .await;
    assert_eq!(relationships.json[0]["following"], false);
    assert_eq!(relationships.json[1]["requested"], true);
}

#[tokio::test]
async fn remote_quotes_and_reactions_are_kept_for_the_api() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    let inbox_like = "https://remote.example/inbox";
    let quoted_id = server.post_status(&alice, "quote me").await;
    let quoted_uri = format!("{}/users/alice/statuses/{quoted_id}", server.base);
    let alice_id = alice.id;
    let id = server
        .app
        .run(move |app| {
            let input = skerry::app::remote::ActorInput {
                uri: "https://remote.example/users/bob".into(),
                username: "bob".into(),
                host: "remote.example".into(),
                inbox: inbox_like.into(),
                key_id: "https://remote.example/users/bob#main-key".into(),
                public_key_pem: "pem".into(),
                ..Default::default()
            };
            let bob = skerry::app::remote::upsert_actor(app, input)?;
            let note = skerry::app::remote::NoteInput {
                uri: "https://remote.example/notes/1".into(),
                author: bob,
                in_reply_to: None,
                content_html: "<p>look at this</p>".into(),
                spoiler_text: String::new(),
                sensitive: false,
                language: None,
                visibility: skerry::model::Visibility::Public,
                mentions: vec![alice_id],
                tags: Vec::new(),
                published_ms: skerry::util::time::now_ms(),
                updated_ms: None,
                quote: Some(quoted_uri),
                poll: None,
                media: Vec::new(),
                emojis: Vec::new(),
            };
            Ok(skerry::app::remote::create_status(app, note)?.unwrap())
        })
        .await
        .unwrap();
    let status = server
        .get(&format!("/api/v1/statuses/{id}"), Some(&alice.token))
        .await;
    assert_eq!(status.json["quote"]["state"], "accepted");
    assert_eq!(status.json["quote"]["quoted_status"]["id"], quoted_id);
    let plain = server
        .get(&format!("/api/v1/statuses/{quoted_id}"), None)
        .await;
    assert!(plain.json["quote"].is_null());
}
