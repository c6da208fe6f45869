use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::rig::{Server, User};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Longest wait for anything a test expects to arrive.
const WAIT: Duration = Duration::from_secs(10);

async fn connect(server: &Server, query: &str, header: Option<(&str, &str)>) -> Socket {
    let url = format!(
        "{}/api/v1/streaming{query}",
        server.base.replace("http://", "ws://")
    );
    let mut request = url.into_client_request().unwrap();
    if let Some((name, value)) = header {
        request.headers_mut().insert(
            reqwest::header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
    }
    let (socket, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(request))
        .await
        .expect("connect in time")
        .expect("the upgrade succeeds");
    socket
}

async fn connect_with_token(server: &Server, query: &str, user: &User) -> Socket {
    let bearer = format!("Bearer {}", user.token);
    connect(server, query, Some(("authorization", &bearer))).await
}

/// The next JSON frame (events and errors), skipping pings.
async fn next_frame(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(WAIT, socket.next())
            .await
            .expect("a frame in time")
            .expect("the socket is open")
            .expect("a valid frame");
        if let Message::Text(text) = message {
            return serde_json::from_str(text.as_str()).unwrap();
        }
    }
}

/// The next frame of `event`; payloads of `update`/`notification` parsed, `delete`'s kept as
/// the string it is.
async fn next_event(socket: &mut Socket, event: &str) -> (Value, Value) {
    loop {
        let frame = next_frame(socket).await;
        if frame["event"] == event {
            let payload = frame["payload"].as_str().unwrap();
            let parsed = match event {
                "delete" => Value::String(payload.into()),
                _ => serde_json::from_str(payload).unwrap(),
            };
            return (frame["stream"].clone(), parsed);
        }
    }
}

/// Sends `message`, then a message that always fails and waits for its error: the server
/// handles a socket's messages in order, so the first has been applied.
async fn send_and_sync(socket: &mut Socket, message: Value) {
    socket
        .send(Message::Text(message.to_string().into()))
        .await
        .unwrap();
    socket
        .send(Message::Text(
            json!({"type": "subscribe", "stream": "nonsense"})
                .to_string()
                .into(),
        ))
        .await
        .unwrap();
    loop {
        let frame = next_frame(socket).await;
        if frame["error"] == "Unknown stream type" {
            return;
        }
        assert!(frame.get("error").is_none(), "{frame}");
    }
}

async fn follow(server: &Server, follower: &User, followee: &User) {
    let reply = server
        .post(
            &format!("/api/v1/accounts/{}/follow", followee.id),
            Some(&follower.token),
            json!({}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
}

async fn post_visibility(server: &Server, user: &User, text: &str, visibility: &str) -> String {
    let reply = server
        .post(
            "/api/v1/statuses",
            Some(&user.token),
            json!({"status": text, "visibility": visibility}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    reply.json["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn user_stream_carries_home_posts_notifications_and_deletes() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    follow(&server, &alice, &bob).await;
    let mut socket = connect_with_token(&server, "?stream=user", &alice).await;
    send_and_sync(
        &mut socket,
        json!({"type": "subscribe", "stream": "user:notification"}),
    )
    .await;

    // Carol is not followed: her public post is not in Alice's home feed.
    server.post_status(&carol, "not for alice's home").await;
    let hello = server.post_status(&bob, "hello followers").await;
    let (stream, status) = next_event(&mut socket, "update").await;
    assert_eq!(stream, json!(["user"]));
    assert_eq!(status["id"], hello.as_str());
    assert_eq!(status["account"]["username"], "bob");

    let mention = server.post_status(&carol, "@alice hi there").await;
    let (_, notification) = next_event(&mut socket, "notification").await;
    assert_eq!(notification["type"], "mention");
    assert_eq!(notification["status"]["id"], mention.as_str());

    let deleted = server
        .send(
            server
                .client
                .delete(server.url(&format!("/api/v1/statuses/{hello}"))),
            Some(&bob.token),
        )
        .await;
    assert_eq!(deleted.status, StatusCode::OK);
    let (_, id) = next_event(&mut socket, "delete").await;
    assert_eq!(id, Value::String(hello.clone()));

    // Edits arrive as `status.update`.
    let edited = server.post_status(&bob, "first draft").await;
    next_event(&mut socket, "update").await;
    let reply = server
        .send(
            server
                .client
                .put(server.url(&format!("/api/v1/statuses/{edited}")))
                .json(&json!({"status": "second draft"})),
            Some(&bob.token),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    let (_, status) = next_event(&mut socket, "status.update").await;
    assert_eq!(status["id"], edited.as_str());
    assert!(status["content"].as_str().unwrap().contains("second draft"));
}

#[tokio::test]
async fn public_streams_never_carry_what_the_viewer_may_not_see() {
    let server = Server::start().await;
    let viewer = server.user("viewer").await;
    let dave = server.user("dave").await;
    let mut signed_in = connect_with_token(&server, "?stream=public", &viewer).await;
    let mut anonymous = connect(&server, "?stream=public:local", None).await;
    post_visibility(&server, &dave, "followers only", "private").await;
    post_visibility(&server, &dave, "quietly", "unlisted").await;
    post_visibility(&server, &dave, "@viewer secret", "direct").await;
    let public = server.post_status(&dave, "for everyone").await;
    for socket in [&mut signed_in, &mut anonymous] {
        let (_, status) = next_event(socket, "update").await;
        assert_eq!(status["id"], public.as_str());
    }
    // A muted author's posts stay out of the viewer's streams.
    let reply = server
        .post(
            &format!("/api/v1/accounts/{}/mute", dave.id),
            Some(&viewer.token),
            json!({}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    server.post_status(&dave, "muted now").await;
    let erin = server.user("erin").await;
    let after = server.post_status(&erin, "from erin").await;
    let (_, status) = next_event(&mut signed_in, "update").await;
    assert_eq!(status["id"], after.as_str());
}

#[tokio::test]
async fn hashtag_streams_and_subscription_errors() {
    let server = Server::start().await;
    let viewer = server.user("viewer").await;
    let poster = server.user("poster").await;
    let mut socket = connect_with_token(&server, "", &viewer).await;
    send_and_sync(
        &mut socket,
        json!({"type": "subscribe", "stream": "hashtag", "tag": "Rust"}),
    )
    .await;
    server.post_status(&poster, "no tag here").await;
    let tagged = server.post_status(&poster, "I like #rust").await;
    let (stream, status) = next_event(&mut socket, "update").await;
    assert_eq!(stream, json!(["hashtag", "rust"]));
    assert_eq!(status["id"], tagged.as_str());

    // An unknown (or someone else's) list is 404; a user stream needs a token; a hashtag
    // stream needs a tag.
    socket
        .send(Message::Text(
            json!({"type": "subscribe", "stream": "list", "list": "1"})
                .to_string()
                .into(),
        ))
        .await
        .unwrap();
    assert_eq!(next_frame(&mut socket).await["status"], 404);
    let mut anonymous = connect(&server, "", None).await;
    anonymous
        .send(Message::Text(
            json!({"type": "subscribe", "stream": "user"})
                .to_string()
                .into(),
        ))
        .await
        .unwrap();
    assert_eq!(next_frame(&mut anonymous).await["status"], 401);
    anonymous
        .send(Message::Text(
            json!({"type": "subscribe", "stream": "hashtag"})
                .to_string()
                .into(),
        ))
        .await
        .unwrap();
    assert_eq!(next_frame(&mut anonymous).await["status"], 400);
}

#[tokio::test]
async fn the_token_is_checked_on_connect_by_scope_and_while_open() {
    let server = Server::start().await;
    let viewer = server.user("viewer").await;
    let health = server.get("/api/v1/streaming/health", None).await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.json, "OK");

    // No token, a bad token, a token without `read:statuses` or `read:notifications`.
    let user = server.get("/api/v1/streaming/user", None).await;
    assert_eq!(user.status, StatusCode::UNAUTHORIZED);
    let user = server.get("/api/v1/streaming/user", Some("nope")).await;
    assert_eq!(user.status, StatusCode::UNAUTHORIZED);
    let writer = server.user_with_scopes("writer", "write").await;
    let user = server
        .get("/api/v1/streaming/user", Some(&writer.token))
        .await;
    assert_eq!(user.status, StatusCode::FORBIDDEN);
    let reader = server.user_with_scopes("reader", "read:statuses").await;
    let notifications = server
        .get("/api/v1/streaming/user/notification", Some(&reader.token))
        .await;
    assert_eq!(notifications.status, StatusCode::FORBIDDEN);

    // The token as `Sec-WebSocket-Protocol`, as Mastodon's web client sends it.
    let mut socket = connect(
        &server,
        "?stream=user",
        Some(("sec-websocket-protocol", &viewer.token)),
    )
    .await;
    let mine = server.post_status(&viewer, "my own").await;
    let (_, status) = next_event(&mut socket, "update").await;
    assert_eq!(status["id"], mine.as_str());

    // A revoked token closes the socket within a bounded time, with no event to wake it.
    let (registered, token) = server
        .app
        .run(move |app| {
            let registered = skerry::app::oauth::create_app(
                app,
                "client",
                "urn:ietf:wg:oauth:2.0:oob",
                "read",
                None,
            )?;
            let (token, _) = skerry::app::oauth::issue_token(
                app,
                Some(registered.id),
                Some(viewer.id),
                skerry::model::ScopeSet::parse("read").unwrap(),
            )?;
            Ok((registered, token))
        })
        .await
        .unwrap();
    let bearer = format!("Bearer {token}");
    let mut socket = connect(&server, "?stream=user", Some(("authorization", &bearer))).await;
    let (client_id, client_secret, revoked) = (
        registered.client_id.clone(),
        registered.client_secret.clone(),
        token.clone(),
    );
    server
        .app
        .run(move |app| skerry::app::oauth::revoke(app, &client_id, &client_secret, &revoked))
        .await
        .unwrap();
    let closed = tokio::time::timeout(WAIT, async {
        loop {
            match socket.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the socket stays open after revocation");
    // And it cannot open again.
    let refused = server.get("/api/v1/streaming/public", Some(&token)).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn server_sent_events_of_the_public_stream() {
    let server = Server::start().await;
    let poster = server.user("poster").await;
    let response = server
        .client
        .get(server.url("/api/v1/streaming/public"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let mut body = response.bytes_stream();
    let id = server.post_status(&poster, "over server-sent events").await;
    let mut text = String::new();
    let found = tokio::time::timeout(WAIT, async {
        while let Some(chunk) = body.next().await {
            text.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
            if text.contains("event: update") && text.contains(&format!("\"id\":\"{id}\"")) {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(found, Ok(true), "{text}");
}

#[tokio::test]
async fn list_streams_carry_members_posts_and_direct_streams_carry_conversations() {
    let server = Server::start().await;
    let owner = server.user("owner").await;
    let member = server.user("member").await;
    let outsider = server.user("outsider").await;
    follow(&server, &owner, &member).await;
    follow(&server, &owner, &outsider).await;
    let list = server
        .post("/api/v1/lists", Some(&owner.token), json!({"title": "L"}))
        .await;
    let list_id = list.json["id"].as_str().unwrap().to_string();
    let added = server
        .post(
            &format!("/api/v1/lists/{list_id}/accounts"),
            Some(&owner.token),
            json!({"account_ids": [member.id.to_string()]}),
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.json);

    // Someone else cannot subscribe to the owner's list.
    let mut intruder = connect_with_token(&server, "", &outsider).await;
    intruder
        .send(Message::Text(
            json!({"type": "subscribe", "stream": "list", "list": list_id})
                .to_string()
                .into(),
        ))
        .await
        .unwrap();
    assert_eq!(next_frame(&mut intruder).await["status"], 404);

    let mut socket = connect_with_token(&server, "", &owner).await;
    send_and_sync(
        &mut socket,
        json!({"type": "subscribe", "stream": "list", "list": list_id}),
    )
    .await;
    send_and_sync(
        &mut socket,
        json!({"type": "subscribe", "stream": "direct"}),
    )
    .await;
    server.post_status(&outsider, "not on the list").await;
    let on_list = server.post_status(&member, "on the list").await;
    let (stream, status) = next_event(&mut socket, "update").await;
    assert_eq!(stream, json!(["list", list_id]));
    assert_eq!(status["id"], on_list.as_str());

    // Changing a filter tells the user stream, without a payload.
    send_and_sync(&mut socket, json!({"type": "subscribe", "stream": "user"})).await;
    let filter = server
        .post(
            "/api/v2/filters",
            Some(&owner.token),
            json!({"title": "f", "context": ["home"], "keywords_attributes": [{"keyword": "x"}]}),
        )
        .await;
    assert_eq!(filter.status, StatusCode::OK, "{}", filter.json);
    loop {
        let frame = next_frame(&mut socket).await;
        if frame["event"] == "filters_changed" {
            assert_eq!(frame["stream"], json!(["user"]));
            assert!(frame.get("payload").is_none(), "{frame}");
            break;
        }
    }

    // A direct message to the owner: a `conversation` event on the direct stream.
    let direct = post_visibility(&server, &outsider, "@owner psst", "direct").await;
    let (stream, conversation) = next_event(&mut socket, "conversation").await;
    assert_eq!(stream, json!(["direct"]));
    assert_eq!(conversation["last_status"]["id"], direct.as_str());
    assert_eq!(conversation["unread"], true);
    assert_eq!(conversation["accounts"][0]["id"], outsider.id.to_string());

    // Server-sent events of a list.
    let response = server
        .client
        .get(server.url(&format!("/api/v1/streaming/list?list={list_id}")))
        .bearer_auth(&owner.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let missing = server
        .get("/api/v1/streaming/list", Some(&owner.token))
        .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn followed_hashtags_reach_the_user_stream_and_home() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let followed = server
        .post(
            "/api/v1/tags/RustLang/follow",
            Some(&alice.token),
            json!({}),
        )
        .await;
    assert_eq!(followed.status, StatusCode::OK, "{}", followed.json);
    let mut socket = connect_with_token(&server, "?stream=user", &alice).await;

    // Bob is not followed: his unlisted post with the tag stays out (only public statuses
    // reach tag followers, as Mastodon), his public one arrives.
    post_visibility(&server, &bob, "quiet #rustlang", "unlisted").await;
    let tagged = post_visibility(&server, &bob, "loud #RustLang", "public").await;
    let (stream, status) = next_event(&mut socket, "update").await;
    assert_eq!(stream, json!(["user"]));
    assert_eq!(status["id"], tagged.as_str());

    // From federation: a remote status with the tag takes the path of an inbound `Create`
    // (`remote::create_status`) and arrives as well.
    let remote = server
        .app
        .run(|app| {
            let carol = skerry::app::remote::upsert_actor(
                app,
                skerry::app::remote::ActorInput {
                    uri: "https://remote.example/users/carol".into(),
                    username: "carol".into(),
                    host: "remote.example".into(),
                    inbox: "https://remote.example/inbox".into(),
                    key_id: "https://remote.example/users/carol#main-key".into(),
                    public_key_pem: "pem".into(),
                    ..Default::default()
                },
            )?;
            let note = skerry::app::remote::NoteInput {
                uri: "https://remote.example/notes/tagged".into(),
                author: carol,
                in_reply_to: None,
                content_html: "<p>from afar #rustlang</p>".into(),
                spoiler_text: String::new(),
                sensitive: false,
                language: None,
                visibility: skerry::model::Visibility::Public,
                mentions: Vec::new(),
                tags: vec!["rustlang".into()],
                published_ms: skerry::util::time::now_ms(),
                updated_ms: None,
                quote: None,
                poll: None,
                media: Vec::new(),
                emojis: Vec::new(),
            };
            Ok(skerry::app::remote::create_status(app, note)?.unwrap())
        })
        .await
        .unwrap()
        .to_string();
    let (_, status) = next_event(&mut socket, "update").await;
    assert_eq!(status["id"], remote.as_str());
    assert_eq!(status["account"]["acct"], "carol@remote.example");
    let home = server
        .get("/api/v1/timelines/home", Some(&alice.token))
        .await;
    assert_eq!(crate::rig::ids(&home.json), vec![remote, tagged]);
}
