use reqwest::StatusCode;
use serde_json::json;

use crate::rig::{Server, User, ids};

#[tokio::test]
async fn home_pages_with_link_headers_and_min_since_max() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    server
        .post(
            &format!("/api/v1/accounts/{}/follow", bob.id),
            Some(&alice.token),
            json!({}),
        )
        .await;
    let mut posted = Vec::new();
    for index in 0..7 {
        let author = if index % 2 == 0 { &bob } else { &alice };
        posted.push(server.post_status(author, &format!("post {index}")).await);
    }
    posted.reverse(); // newest first

    let first = server
        .get("/api/v1/timelines/home?limit=3", Some(&alice.token))
        .await;
    assert_eq!(ids(&first.json), posted[0..3]);
    let next = first.link("next").unwrap();
    assert!(
        next.starts_with(&format!("{}/api/v1/timelines/home?", server.base))
            && next.contains("limit=3"),
        "{next}"
    );
    let second = server
        .send(server.client.get(&next), Some(&alice.token))
        .await;
    assert_eq!(ids(&second.json), posted[3..6]);
    let prev = server
        .send(
            server.client.get(second.link("prev").unwrap()),
            Some(&alice.token),
        )
        .await;
    assert_eq!(ids(&prev.json), posted[0..3]);
    let since = server
        .get(
            &format!("/api/v1/timelines/home?since_id={}&limit=2", posted[3]),
            Some(&alice.token),
        )
        .await;
    assert_eq!(ids(&since.json), posted[0..2]);
    let min = server
        .get(
            &format!("/api/v1/timelines/home?min_id={}&limit=2", posted[3]),
            Some(&alice.token),
        )
        .await;
    assert_eq!(ids(&min.json), posted[1..3]);
    let limit = server
        .get("/api/v1/timelines/home?limit=1000", Some(&alice.token))
        .await;
    assert_eq!(
        ids(&limit.json).len(),
        7,
        "the limit is clamped, not refused"
    );

    // Unfollowing clears bob's posts from alice's home; muting hides them from public.
    server
        .post(
            &format!("/api/v1/accounts/{}/unfollow", bob.id),
            Some(&alice.token),
            json!({}),
        )
        .await;
    let home = server
        .get("/api/v1/timelines/home", Some(&alice.token))
        .await;
    assert_eq!(ids(&home.json).len(), 3);
    server
        .post(
            &format!("/api/v1/accounts/{}/mute", bob.id),
            Some(&alice.token),
            json!({}),
        )
        .await;
    let public = server
        .get("/api/v1/timelines/public", Some(&alice.token))
        .await;
    assert_eq!(ids(&public.json).len(), 3);
    assert_eq!(
        ids(&server.get("/api/v1/timelines/public", None).await.json).len(),
        7
    );
}

#[tokio::test]
async fn public_local_remote_tag_and_account_timelines() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    let public = server.post_status(&alice, "hello #Rust").await;
    server
        .post(
            "/api/v1/statuses",
            Some(&alice.token),
            json!({"status": "quiet #rust", "visibility": "unlisted"}),
        )
        .await;
    let reply = server
        .post(
            "/api/v1/statuses",
            Some(&alice.token),
            json!({"status": "reply", "in_reply_to_id": public}),
        )
        .await;
    let reply_id = reply.json["id"].as_str().unwrap().to_string();

    assert_eq!(
        ids(&server
            .get("/api/v1/timelines/public?local=true", None)
            .await
            .json),
        vec![reply_id.clone(), public.clone()]
    );
    assert!(
        ids(&server
            .get("/api/v1/timelines/public?remote=true", None)
            .await
            .json)
        .is_empty()
    );
    assert_eq!(
        ids(&server.get("/api/v1/timelines/tag/rust", None).await.json),
        vec![public.clone()]
    );
    assert_eq!(
        ids(&server.get("/api/v1/timelines/tag/RUST", None).await.json),
        vec![public.clone()]
    );
    assert!(ids(&server.get("/api/v1/timelines/tag/nothing", None).await.json).is_empty());

    let all = server
        .get(&format!("/api/v1/accounts/{}/statuses", alice.id), None)
        .await;
    assert_eq!(ids(&all.json).len(), 3);
    // Self-replies stay with exclude_replies, as in Mastodon.
    let without = server
        .get(
            &format!(
                "/api/v1/accounts/{}/statuses?exclude_replies=true",
                alice.id
            ),
            None,
        )
        .await;
    assert_eq!(ids(&without.json).len(), 3);
    let tagged = server
        .get(
            &format!("/api/v1/accounts/{}/statuses?tagged=rust", alice.id),
            None,
        )
        .await;
    assert_eq!(ids(&tagged.json).len(), 2);
    let media = server
        .get(
            &format!("/api/v1/accounts/{}/statuses?only_media=true", alice.id),
            None,
        )
        .await;
    assert!(ids(&media.json).is_empty());
}

#[tokio::test]
async fn notifications_filter_get_dismiss_clear_and_count() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let id = server.post_status(&alice, "notice me").await;
    server
        .post(
            &format!("/api/v1/accounts/{}/follow", alice.id),
            Some(&bob.token),
            json!({}),
        )
        .await;
    server
        .post(
            &format!("/api/v1/statuses/{id}/favourite"),
            Some(&bob.token),
            json!({}),
        )
        .await;
    server
        .post(
            &format!("/api/v1/statuses/{id}/reblog"),
            Some(&bob.token),
            json!({}),
        )
        .await;
    server.post_status(&bob, "hey @alice").await;

    let all = server
        .get("/api/v1/notifications", Some(&alice.token))
        .await;
    let kinds: Vec<&str> = all
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["mention", "reblog", "favourite", "follow"]);
    assert_eq!(all.json[1]["status"]["id"], id);
    assert_eq!(all.json[3]["account"]["username"], "bob");
    assert!(all.json[3].get("status").is_none());

    let mentions = server
        .get(
            "/api/v1/notifications?types[]=mention&types[]=follow",
            Some(&alice.token),
        )
        .await;
    assert_eq!(mentions.json.as_array().unwrap().len(), 2);
    let excluded = server
        .get(
            "/api/v1/notifications?exclude_types[]=favourite&exclude_types[]=reblog",
            Some(&alice.token),
        )
        .await;
    assert_eq!(excluded.json.as_array().unwrap().len(), 2);
    let unknown = server
        .get(
            "/api/v1/notifications?types[]=severed_relationships",
            Some(&alice.token),
        )
        .await;
    assert!(unknown.json.as_array().unwrap().is_empty());
    let from_bob = server
        .get(
            &format!("/api/v1/notifications?account_id={}", bob.id),
            Some(&alice.token),
        )
        .await;
    assert_eq!(from_bob.json.as_array().unwrap().len(), 4);
    let page = server
        .get("/api/v1/notifications?limit=2", Some(&alice.token))
        .await;
    let older = server
        .send(
            server.client.get(page.link("next").unwrap()),
            Some(&alice.token),
        )
        .await;
    assert_eq!(ids(&older.json), ids(&all.json)[2..4]);

    let first_id = all.json[0]["id"].as_str().unwrap();
    let one = server
        .get(
            &format!("/api/v1/notifications/{first_id}"),
            Some(&alice.token),
        )
        .await;
    assert_eq!(one.json["type"], "mention");
    assert_eq!(
        server
            .get(
                &format!("/api/v1/notifications/{first_id}"),
                Some(&bob.token)
            )
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let count = server
        .get("/api/v1/notifications/unread_count", Some(&alice.token))
        .await;
    assert_eq!(count.json["count"], 4);
    let reply = server
        .post(
            "/api/v1/markers",
            Some(&alice.token),
            json!({"notifications": {"last_read_id": ids(&all.json)[1]}}),
        )
        .await;
    assert_eq!(reply.json["notifications"]["version"], 0);
    assert_eq!(
        server
            .get("/api/v1/notifications/unread_count", Some(&alice.token))
            .await
            .json["count"],
        1
    );
    let markers = server
        .get(
            "/api/v1/markers?timeline[]=notifications&timeline[]=home",
            Some(&alice.token),
        )
        .await;
    assert_eq!(
        markers.json["notifications"]["last_read_id"],
        ids(&all.json)[1]
    );
    assert!(markers.json.get("home").is_none());

    let reply = server
        .post(
            &format!("/api/v1/notifications/{first_id}/dismiss"),
            Some(&alice.token),
            json!({}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        server
            .get("/api/v1/notifications", Some(&alice.token))
            .await
            .json
            .as_array()
            .unwrap()
            .len(),
        3
    );
    server
        .post("/api/v1/notifications/clear", Some(&alice.token), json!({}))
        .await;
    assert!(
        server
            .get("/api/v1/notifications", Some(&alice.token))
            .await
            .json
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn search_instance_and_emojis() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    let alfred = server.user("alfred").await;
    server
        .post_status(&alice, "Talking about \"Rust lang\" and #rustlang today")
        .await;
    let liked = server.post_status(&alfred, "rust is nice").await;
    server
        .post(
            &format!("/api/v1/statuses/{liked}/favourite"),
            Some(&alice.token),
            json!({}),
        )
        .await;
    server.post_status(&alfred, "rust elsewhere").await;

    let found = server.get("/api/v2/search?q=al", Some(&alice.token)).await;
    assert_eq!(found.json["accounts"].as_array().unwrap().len(), 2);
    let found = server
        .get("/api/v2/search?q=%23rust&type=hashtags", Some(&alice.token))
        .await;
    assert_eq!(found.json["hashtags"][0]["name"], "rustlang");
    let found = server
        .get("/api/v2/search?q=rust&type=statuses", Some(&alice.token))
        .await;
    assert_eq!(
        found.json["statuses"].as_array().unwrap().len(),
        2,
        "own and favourited, not others'"
    );
    let phrase = server
        .get(
            "/api/v2/search?q=%22rust%20lang%22&type=statuses",
            Some(&alice.token),
        )
        .await;
    assert_eq!(phrase.json["statuses"].as_array().unwrap().len(), 1);
    assert_eq!(
        server
            .get("/api/v2/search?q=x&type=nonsense", None)
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    let anonymous = server.get("/api/v2/search?q=rust", None).await;
    assert!(anonymous.json["statuses"].as_array().unwrap().is_empty());

    let v1 = server.get("/api/v1/instance", None).await;
    assert!(v1.json["version"].as_str().unwrap().starts_with("4."));
    assert_eq!(v1.json["stats"]["user_count"], 2);
    assert_eq!(v1.json["stats"]["status_count"], 3);
    let v2 = server.get("/api/v2/instance", None).await;
    assert_eq!(v2.json["domain"], server.base.trim_start_matches("http://"));
    assert_eq!(
        v2.json["configuration"]["statuses"]["characters_reserved_per_url"],
        23
    );
    assert_eq!(
        server.get("/api/v1/custom_emojis", None).await.json,
        json!([])
    );
}

#[tokio::test]
async fn link_timeline_lists_public_statuses_that_link_the_url() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let first = server
        .post_status(&alice, "read https://news.example/a today")
        .await;
    server
        .post_status(&bob, "other https://news.example/b")
        .await;
    let second = server
        .post_status(&bob, "also https://news.example/a")
        .await;
    let found = server
        .get(
            "/api/v1/timelines/link?url=https%3A%2F%2Fnews.example%2Fa",
            Some(&alice.token),
        )
        .await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.json);
    assert_eq!(ids(&found.json), vec![second.clone(), first]);
    let one = server
        .get(
            "/api/v1/timelines/link?url=https%3A%2F%2Fnews.example%2Fa&limit=1",
            None,
        )
        .await;
    assert_eq!(ids(&one.json), vec![second]);
    let unknown = server
        .get(
            "/api/v1/timelines/link?url=https%3A%2F%2Fnews.example%2Fz",
            Some(&alice.token),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let missing = server.get("/api/v1/timelines/link", None).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn reactions_to_announcements() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let announcement = server
        .app
        .run(|app| {
            skerry::app::announcements::publish(
                app,
                skerry::app::admin::Actor::Operator,
                "Maintenance tonight",
                None,
            )
        })
        .await
        .unwrap();
    let react = |user: &User, name: &str, put: bool| {
        let path = format!("/api/v1/announcements/{}/reactions/{name}", announcement.id);
        let request = if put {
            server.client.put(server.url(&path))
        } else {
            server.client.delete(server.url(&path))
        };
        let token = user.token.clone();
        let server = &server;
        async move { server.send(request, Some(&token)).await.status }
    };
    let thumbs = "%F0%9F%91%8D";
    let heart = "%E2%9D%A4%EF%B8%8F";
    assert_eq!(react(&alice, thumbs, true).await, StatusCode::OK);
    assert_eq!(react(&bob, thumbs, true).await, StatusCode::OK);
    // Emoji are listed in the order they first came, by the millisecond: make sure the
    // heart comes a millisecond after the thumbs (two in one millisecond tie, and a tie
    // falls back to the emoji's byte order).
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    assert_eq!(react(&alice, heart, true).await, StatusCode::OK);
    let reactions = |user: &User| {
        let token = user.token.clone();
        let server = &server;
        async move {
            server.get("/api/v1/announcements", Some(&token)).await.json[0]["reactions"].clone()
        }
    };
    assert_eq!(
        reactions(&alice).await,
        json!([{"name": "👍", "count": 2, "me": true}, {"name": "❤️", "count": 1, "me": true}])
    );
    assert_eq!(
        reactions(&bob).await,
        json!([{"name": "👍", "count": 2, "me": true}, {"name": "❤️", "count": 1, "me": false}])
    );
    // Custom emoji (and anything else) are not recognized; at most 8 different emoji.
    assert_eq!(
        react(&alice, "blobcat", true).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    for emoji in ["😀", "😂", "🎉", "🚀", "🔥", "👀"] {
        assert_eq!(react(&bob, emoji, true).await, StatusCode::OK, "{emoji}");
    }
    assert_eq!(
        react(&bob, "✅", true).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(react(&alice, thumbs, false).await, StatusCode::OK);
    assert_eq!(
        reactions(&alice).await[0],
        json!({"name": "👍", "count": 1, "me": false})
    );
    let unknown = server
        .send(
            server
                .client
                .put(server.url(&format!("/api/v1/announcements/1/reactions/{thumbs}"))),
            Some(&alice.token),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}
