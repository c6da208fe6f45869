//! Two Skerry instances on loopback ports federating, checked through the client API on both
//! sides. Deliveries are asynchronous, so each check polls for a bounded time.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::rig::{Server, User, ids};

/// How long a delivery may take to show on the other side before the test fails.
pub const PATIENCE: Duration = Duration::from_secs(30);

pub async fn instance() -> Server {
    Server::start_with(&[("SKERRY_FEDERATION_ALLOW_PRIVATE_NETWORKS", "true")]).await
}

pub fn host(server: &Server) -> String {
    server.base.trim_start_matches("http://").to_string()
}

/// Polls `check` until it returns `Some`, for at most `PATIENCE`.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The id on `server` of the account `acct`, resolved through WebFinger.
pub async fn resolve(server: &Server, viewer: &User, acct: &str) -> String {
    let reply = server
        .get(
            &format!("/api/v2/search?q={acct}&resolve=true&type=accounts"),
            Some(&viewer.token),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    let accounts = reply.json["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 1, "{acct} resolved to {accounts:?}");
    accounts[0]["id"].as_str().unwrap().to_string()
}

pub async fn relationship(server: &Server, viewer: &User, id: &str) -> Value {
    server
        .get(
            &format!("/api/v1/accounts/relationships?id[]={id}"),
            Some(&viewer.token),
        )
        .await
        .json[0]
        .clone()
}

async fn notification_types(server: &Server, user: &User) -> Vec<String> {
    let reply = server.get("/api/v1/notifications", Some(&user.token)).await;
    reply
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["type"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn two_instances_follow_post_reply_boost_favourite_edit_delete_and_unfollow() {
    let a = instance().await;
    let b = instance().await;
    let alice = a.user("alice").await;
    let bob = b.user("bob").await;

    // Follow across servers: pending until bob's server accepts.
    let bob_on_a = resolve(&a, &alice, &format!("bob@{}", host(&b))).await;
    let reply = a
        .post(
            &format!("/api/v1/accounts/{bob_on_a}/follow"),
            Some(&alice.token),
            json!({}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    eventually("alice follows bob", || async {
        let found = relationship(&a, &alice, &bob_on_a).await;
        (found["following"] == true).then_some(())
    })
    .await;
    let followers = b
        .get(&format!("/api/v1/accounts/{}/followers", bob.id), None)
        .await;
    assert_eq!(followers.json[0]["acct"], format!("alice@{}", host(&a)));
    assert!(
        notification_types(&b, &bob)
            .await
            .contains(&"follow".to_string())
    );

    // A post with a mention reaches the follower's home and notifies the mentioned.
    let post = b
        .post(
            "/api/v1/statuses",
            Some(&bob.token),
            json!({"status": format!("hello @alice@{} #fediverse", host(&a))}),
        )
        .await;
    assert_eq!(post.status, StatusCode::OK, "{}", post.json);
    assert_eq!(
        post.json["mentions"][0]["acct"],
        format!("alice@{}", host(&a))
    );
    // The mention links to the profile page the remote actor gives (`url`), not a guess.
    assert!(
        post.json["content"]
            .as_str()
            .unwrap()
            .contains(&format!("href=\"{}/@alice\"", a.base)),
        "{}",
        post.json["content"]
    );
    let status_on_a = eventually("bob's post in alice's home", || async {
        let home = a.get("/api/v1/timelines/home", Some(&alice.token)).await;
        home.json
            .as_array()
            .unwrap()
            .first()
            .filter(|status| status["account"]["id"] == bob_on_a.as_str())
            .cloned()
    })
    .await;
    let remote_id = status_on_a["id"].as_str().unwrap().to_string();
    assert!(status_on_a["content"].as_str().unwrap().contains("hello"));
    assert_eq!(status_on_a["tags"][0]["name"], "fediverse");
    assert!(
        notification_types(&a, &alice)
            .await
            .contains(&"mention".to_string())
    );

    // Reply, favourite and boost travel back.
    let reply = a
        .post(
            "/api/v1/statuses",
            Some(&alice.token),
            json!({"status": "hi bob", "in_reply_to_id": remote_id}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(reply.json["mentions"][0]["id"], bob_on_a.as_str());
    a.post(
        &format!("/api/v1/statuses/{remote_id}/favourite"),
        Some(&alice.token),
        json!({}),
    )
    .await;
    a.post(
        &format!("/api/v1/statuses/{remote_id}/reblog"),
        Some(&alice.token),
        json!({}),
    )
    .await;
    let bob_status = post.json["id"].as_str().unwrap().to_string();
    eventually(
        "reply, favourite and boost counted on bob's server",
        || async {
            let status = b
                .get(&format!("/api/v1/statuses/{bob_status}"), Some(&bob.token))
                .await
                .json;
            (status["replies_count"] == 1
                && status["favourites_count"] == 1
                && status["reblogs_count"] == 1)
                .then_some(())
        },
    )
    .await;
    let kinds = notification_types(&b, &bob).await;
    for kind in ["mention", "favourite", "reblog", "follow"] {
        assert!(
            kinds.contains(&kind.to_string()),
            "{kind} missing from {kinds:?}"
        );
    }
    let context = b
        .get(
            &format!("/api/v1/statuses/{bob_status}/context"),
            Some(&bob.token),
        )
        .await;
    assert_eq!(context.json["descendants"][0]["content"], "<p>hi bob</p>");

    // An edit and a profile update reach alice's server.
    b.send(
        b.client
            .put(b.url(&format!("/api/v1/statuses/{bob_status}")))
            .json(&json!({"status": "hello, edited"})),
        Some(&bob.token),
    )
    .await;
    b.send(
        b.client
            .patch(b.url("/api/v1/accounts/update_credentials"))
            .json(&json!({"display_name": "Bob B."})),
        Some(&bob.token),
    )
    .await;
    eventually(
        "the edit and the new display name on alice's server",
        || async {
            let status = a
                .get(&format!("/api/v1/statuses/{remote_id}"), Some(&alice.token))
                .await
                .json;
            let edited = status["content"]
                .as_str()
                .is_some_and(|content| content.contains("edited"));
            (edited && status["account"]["display_name"] == "Bob B.").then_some(())
        },
    )
    .await;

    // A post found by its URL (as apps do with a pasted link) is the same status.
    let url = format!("{}/users/bob/statuses/{bob_status}", b.base);
    let found = a
        .get(
            &format!("/api/v2/search?q={url}&resolve=true"),
            Some(&alice.token),
        )
        .await;
    assert_eq!(
        found.json["statuses"][0]["id"],
        remote_id.as_str(),
        "{}",
        found.json
    );
    let found = a
        .get(
            &format!("/api/v2/search?q={}/users/bob&resolve=true", b.base),
            Some(&alice.token),
        )
        .await;
    assert_eq!(found.json["accounts"][0]["id"], bob_on_a.as_str());

    // A delete removes it there too.
    b.send(
        b.client
            .delete(b.url(&format!("/api/v1/statuses/{bob_status}"))),
        Some(&bob.token),
    )
    .await;
    eventually("the delete on alice's server", || async {
        (a.get(&format!("/api/v1/statuses/{remote_id}"), Some(&alice.token))
            .await
            .status
            == StatusCode::NOT_FOUND)
            .then_some(())
    })
    .await;

    // Unfollow ends the follow on bob's server.
    a.post(
        &format!("/api/v1/accounts/{bob_on_a}/unfollow"),
        Some(&alice.token),
        json!({}),
    )
    .await;
    eventually("bob loses his follower", || async {
        let account = b
            .get(&format!("/api/v1/accounts/{}", bob.id), None)
            .await
            .json;
        (account["followers_count"] == 0).then_some(())
    })
    .await;
    for server in [&a, &b] {
        let (problems, _) = server.app.store.check().unwrap();
        assert!(problems.is_empty(), "{problems:?}");
    }
}

#[tokio::test]
async fn locked_accounts_and_blocks_across_instances() {
    let a = instance().await;
    let b = instance().await;
    let alice = a.user("alice").await;
    let carol = b.user("carol").await;
    b.send(
        b.client
            .patch(b.url("/api/v1/accounts/update_credentials"))
            .json(&json!({"locked": true})),
        Some(&carol.token),
    )
    .await;

    let carol_on_a = resolve(&a, &alice, &format!("carol@{}", host(&b))).await;
    a.post(
        &format!("/api/v1/accounts/{carol_on_a}/follow"),
        Some(&alice.token),
        json!({}),
    )
    .await;
    let request = eventually("the follow request at carol's server", || async {
        let requests = b.get("/api/v1/follow_requests", Some(&carol.token)).await;
        requests.json.as_array().unwrap().first().cloned()
    })
    .await;
    assert_eq!(
        relationship(&a, &alice, &carol_on_a).await["requested"],
        true
    );
    let requester = request["id"].as_str().unwrap();
    b.post(
        &format!("/api/v1/follow_requests/{requester}/authorize"),
        Some(&carol.token),
        json!({}),
    )
    .await;
    eventually("alice follows carol once accepted", || async {
        (relationship(&a, &alice, &carol_on_a).await["following"] == true).then_some(())
    })
    .await;

    // Carol blocks alice: the follow ends on both sides.
    b.post(
        &format!("/api/v1/accounts/{requester}/block"),
        Some(&carol.token),
        json!({}),
    )
    .await;
    eventually("the block ends alice's follow", || async {
        (relationship(&a, &alice, &carol_on_a).await["following"] == false).then_some(())
    })
    .await;
    let followers = b
        .get(&format!("/api/v1/accounts/{}/followers", carol.id), None)
        .await;
    assert!(ids(&followers.json).is_empty());

    // A mention of an account alice's server has never seen is looked up while posting.
    let dave = b.user("dave").await;
    let post = a
        .post(
            "/api/v1/statuses",
            Some(&alice.token),
            json!({"status": format!("hello @dave@{}", host(&b))}),
        )
        .await;
    assert_eq!(
        post.json["mentions"][0]["acct"],
        format!("dave@{}", host(&b))
    );
    eventually("dave is notified of the mention", || async {
        notification_types(&b, &dave)
            .await
            .contains(&"mention".to_string())
            .then_some(())
    })
    .await;
}

#[tokio::test]
async fn authorized_fetch_requires_signed_gets() {
    let a = Server::start_with(&[
        ("SKERRY_FEDERATION_ALLOW_PRIVATE_NETWORKS", "true"),
        ("SKERRY_FEDERATION_AUTHORIZED_FETCH", "true"),
    ])
    .await;
    let b = instance().await;
    let alice = a.user("alice").await;
    let id = a.post_status(&alice, "only for signed fetches").await;
    let as2 = |url: String| {
        a.client
            .get(url)
            .header("accept", "application/activity+json")
    };
    let unsigned = a.send(as2(a.url("/users/alice")), None).await;
    assert_eq!(unsigned.status, StatusCode::UNAUTHORIZED);
    let note_url = a.url(&format!("/users/alice/statuses/{id}"));
    assert_eq!(
        a.send(as2(note_url.clone()), None).await.status,
        StatusCode::UNAUTHORIZED
    );
    // The instance actor stays open: peers need its key to verify our signatures.
    assert_eq!(
        a.send(as2(a.url("/actor")), None).await.status,
        StatusCode::OK
    );
    // Another server's signed fetch goes through (its instance actor signs).
    let (note, _) = skerry::federation::fetch::get_json(&b.app, &note_url, true)
        .await
        .unwrap();
    assert_eq!(note["content"], "<p>only for signed fetches</p>");
    let (actor, _) = skerry::federation::fetch::get_json(&b.app, &a.url("/users/alice"), true)
        .await
        .unwrap();
    assert_eq!(actor["preferredUsername"], "alice");
}

#[tokio::test]
async fn a_reply_brings_its_thread_along() {
    let a = instance().await;
    let b = instance().await;
    let alice = a.user("alice").await;
    let bob = b.user("bob").await;
    let carol = b.user("carol").await;
    let bob_on_a = resolve(&a, &alice, &format!("bob@{}", host(&b))).await;
    a.post(
        &format!("/api/v1/accounts/{bob_on_a}/follow"),
        Some(&alice.token),
        json!({}),
    )
    .await;
    eventually("alice follows bob", || async {
        (relationship(&a, &alice, &bob_on_a).await["following"] == true).then_some(())
    })
    .await;
    // Carol, whom nobody on alice's server follows, starts a thread; bob answers.
    let root = b.post_status(&carol, "the start of a thread").await;
    let reply = b
        .post(
            "/api/v1/statuses",
            Some(&bob.token),
            json!({"status": "an answer", "in_reply_to_id": root}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let on_a = eventually("bob's answer at alice's server", || async {
        let home = a.get("/api/v1/timelines/home", Some(&alice.token)).await;
        home.json
            .as_array()
            .unwrap()
            .first()
            .filter(|status| status["content"] == "<p>an answer</p>")
            .cloned()
    })
    .await;
    let context = eventually("the thread's start fetched for context", || async {
        let id = on_a["id"].as_str().unwrap();
        let context = a
            .get(
                &format!("/api/v1/statuses/{id}/context"),
                Some(&alice.token),
            )
            .await;
        (!context.json["ancestors"].as_array().unwrap().is_empty()).then_some(context)
    })
    .await;
    assert_eq!(
        context.json["ancestors"][0]["content"],
        "<p>the start of a thread</p>"
    );
    assert_eq!(
        context.json["ancestors"][0]["account"]["acct"],
        format!("carol@{}", host(&b))
    );
}

#[tokio::test]
async fn polls_travel_as_questions_and_votes_come_back() {
    let a = instance().await;
    let b = instance().await;
    let alice = a.user("alice").await;
    let bob = b.user("bob").await;
    let alice_on_b = resolve(&b, &bob, &format!("alice@{}", host(&a))).await;
    b.post(
        &format!("/api/v1/accounts/{alice_on_b}/follow"),
        Some(&bob.token),
        json!({}),
    )
    .await;
    eventually("bob follows alice", || async {
        (relationship(&b, &bob, &alice_on_b).await["following"] == true).then_some(())
    })
    .await;
    let post = a
        .post("/api/v1/statuses", Some(&alice.token), json!({"status": "which one?", "poll": {"options": ["this", "that"], "expires_in": 3600}}))
        .await;
    let poll_id = post.json["id"].as_str().unwrap().to_string();
    let on_b = eventually("the poll at bob's server", || async {
        let home = b.get("/api/v1/timelines/home", Some(&bob.token)).await;
        home.json
            .as_array()
            .unwrap()
            .first()
            .filter(|status| !status["poll"].is_null())
            .cloned()
    })
    .await;
    assert_eq!(on_b["poll"]["options"][1]["title"], "that");
    let remote_poll = on_b["poll"]["id"].as_str().unwrap();
    let voted = b
        .post(
            &format!("/api/v1/polls/{remote_poll}/votes"),
            Some(&bob.token),
            json!({"choices": [1]}),
        )
        .await;
    assert_eq!(voted.status, StatusCode::OK, "{}", voted.json);
    eventually("bob's vote counted at alice's server", || async {
        let poll = a
            .get(&format!("/api/v1/polls/{poll_id}"), Some(&alice.token))
            .await
            .json;
        (poll["options"][1]["votes_count"] == 1 && poll["voters_count"] == 1).then_some(())
    })
    .await;
}
