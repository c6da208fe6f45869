use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::rig::{Reply, Server, User, ids};

/// Mastodon's entity conventions, checked on every answer of these tests: ids (`id`,
/// `*_id`, `*_ids`) are strings, times (`*_at`) are ISO 8601 with milliseconds and `Z`
/// (`last_status_at` is a date), never numbers.
pub fn check_shape(value: &Value) {
    fn is_iso_ms(text: &str) -> bool {
        let bytes = text.as_bytes();
        text.len() == 24
            && bytes[4] == b'-'
            && bytes[10] == b'T'
            && bytes[19] == b'.'
            && text.ends_with('Z')
            && text[20..23].bytes().all(|byte| byte.is_ascii_digit())
    }
    fn walk(key: &str, value: &Value) {
        match value {
            Value::Object(map) => {
                for (name, inner) in map {
                    walk(name, inner);
                }
            }
            Value::Array(items) if key.ends_with("_ids") => {
                for item in items {
                    assert!(item.is_string(), "{key} holds a non-string id: {item}");
                }
            }
            Value::Array(items) => {
                for item in items {
                    walk(key, item);
                }
            }
            Value::Null => {}
            _ if key == "id" || key.ends_with("_id") => {
                assert!(value.is_string(), "{key} is not a string: {value}");
            }
            _ if key == "last_status_at" => {
                let text = value.as_str().unwrap_or_default();
                assert!(
                    text.len() == 10 && text.as_bytes()[4] == b'-',
                    "{key}: {value}"
                );
            }
            _ if key.ends_with("_at") => {
                let text = value.as_str().unwrap_or_default();
                assert!(is_iso_ms(text), "{key} is not ISO 8601 with ms: {value}");
            }
            _ => {}
        }
    }
    walk("", value);
}

async fn ok(reply: Reply) -> Value {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    check_shape(&reply.json);
    reply.json
}

async fn put(server: &Server, path: &str, token: &str, body: Value) -> Reply {
    server
        .send(server.client.put(server.url(path)).json(&body), Some(token))
        .await
}

async fn delete(server: &Server, path: &str, token: &str) -> Reply {
    server
        .send(server.client.delete(server.url(path)), Some(token))
        .await
}

async fn follow(server: &Server, follower: &User, followee: &User) {
    ok(server
        .post(
            &format!("/api/v1/accounts/{}/follow", followee.id),
            Some(&follower.token),
            json!({}),
        )
        .await)
    .await;
}

async fn post(server: &Server, user: &User, body: Value) -> Value {
    ok(server
        .post("/api/v1/statuses", Some(&user.token), body)
        .await)
    .await
}

fn id_of(value: &Value) -> String {
    value["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn status_history_mute_conversation_and_translate() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let id = server.post_status(&alice, "first").await;
    let history = ok(server
        .get(
            &format!("/api/v1/statuses/{id}/history"),
            Some(&alice.token),
        )
        .await)
    .await;
    assert_eq!(history.as_array().unwrap().len(), 1);
    assert_eq!(history[0]["content"], "<p>first</p>");
    for text in ["second", "third"] {
        let edited = put(
            &server,
            &format!("/api/v1/statuses/{id}"),
            &alice.token,
            json!({"status": text, "spoiler_text": if text == "third" { "cw" } else { "" }}),
        )
        .await;
        assert_eq!(edited.status, StatusCode::OK, "{}", edited.json);
    }
    let history = ok(server
        .get(&format!("/api/v1/statuses/{id}/history"), None)
        .await)
    .await;
    let contents: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|version| version["content"].as_str().unwrap())
        .collect();
    assert_eq!(contents, ["<p>first</p>", "<p>second</p>", "<p>third</p>"]);
    assert_eq!(history[2]["spoiler_text"], "cw");
    assert_eq!(history[0]["account"]["id"], alice.id.to_string());
    assert!(history[0]["created_at"].as_str() <= history[2]["created_at"].as_str());
    let missing = server.get("/api/v1/statuses/1/history", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    // Muting the thread: bob's reply notifies alice of nothing; unmuted, it does again.
    let muted = ok(server
        .post(
            &format!("/api/v1/statuses/{id}/mute"),
            Some(&alice.token),
            json!({}),
        )
        .await)
    .await;
    assert_eq!(muted["muted"], true);
    let reply = post(
        &server,
        &bob,
        json!({"status": "@alice hello", "in_reply_to_id": id}),
    )
    .await;
    let reply_id = id_of(&reply);
    let reply_seen = ok(server
        .get(&format!("/api/v1/statuses/{reply_id}"), Some(&alice.token))
        .await)
    .await;
    assert_eq!(
        reply_seen["muted"], true,
        "a reply in a muted thread is muted"
    );
    let notifications = ok(server
        .get("/api/v1/notifications", Some(&alice.token))
        .await)
    .await;
    assert_eq!(notifications, json!([]));
    let unmuted = ok(server
        .post(
            &format!("/api/v1/statuses/{id}/unmute"),
            Some(&alice.token),
            json!({}),
        )
        .await)
    .await;
    assert_eq!(unmuted["muted"], false);
    ok(server
        .post(
            &format!("/api/v1/statuses/{id}/favourite"),
            Some(&bob.token),
            json!({}),
        )
        .await)
    .await;
    let notifications = ok(server
        .get("/api/v1/notifications", Some(&alice.token))
        .await)
    .await;
    assert_eq!(notifications[0]["type"], "favourite");

    // No translation service: 404, as Mastodon answers when none is configured.
    let translate = server
        .post(
            &format!("/api/v1/statuses/{id}/translate"),
            Some(&bob.token),
            json!({}),
        )
        .await;
    assert_eq!(translate.status, StatusCode::NOT_FOUND);
    assert!(translate.json["error"].is_string());
    let languages = ok(server
        .get("/api/v1/instance/translation_languages", None)
        .await)
    .await;
    assert_eq!(languages, json!({}));
}

#[tokio::test]
async fn conversations_list_read_and_remove() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    server
        .post_status(&alice, "@bob public, not a conversation")
        .await;
    let first = post(
        &server,
        &alice,
        json!({"status": "@bob secret", "visibility": "direct"}),
    )
    .await;
    let listed = ok(server.get("/api/v1/conversations", Some(&bob.token)).await).await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    let conversation = &listed[0];
    assert_eq!(conversation["unread"], true);
    assert_eq!(conversation["accounts"][0]["id"], alice.id.to_string());
    assert_eq!(conversation["last_status"]["id"], first["id"]);
    let conversation_id = id_of(conversation);

    // A reply stays in the conversation and becomes its last status; the author's own
    // entry is read.
    let reply = post(
        &server,
        &bob,
        json!({"status": "@alice noted", "visibility": "direct", "in_reply_to_id": first["id"]}),
    )
    .await;
    let listed = ok(server
        .get("/api/v1/conversations", Some(&alice.token))
        .await)
    .await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["id"], conversation_id.as_str());
    assert_eq!(listed[0]["last_status"]["id"], reply["id"]);
    assert_eq!(listed[0]["unread"], true);
    let bobs = ok(server.get("/api/v1/conversations", Some(&bob.token)).await).await;
    assert_eq!(bobs[0]["unread"], false, "{bobs}");
    assert_eq!(bobs[0]["last_status"]["id"], reply["id"]);

    // A new thread is a second conversation, newest first, and pages with Link headers.
    let other = post(
        &server,
        &carol,
        json!({"status": "@alice another", "visibility": "direct"}),
    )
    .await;
    let page = server
        .get("/api/v1/conversations?limit=1", Some(&alice.token))
        .await;
    assert_eq!(page.json[0]["last_status"]["id"], other["id"]);
    let next = page.link("next").expect("a next link");
    let next = server
        .send(server.client.get(next), Some(&alice.token))
        .await;
    assert_eq!(next.json[0]["id"], conversation_id.as_str());

    let read = ok(server
        .post(
            &format!("/api/v1/conversations/{conversation_id}/read"),
            Some(&alice.token),
            json!({}),
        )
        .await)
    .await;
    assert_eq!(read["unread"], false);
    assert_eq!(
        ok(delete(
            &server,
            &format!("/api/v1/conversations/{conversation_id}"),
            &alice.token
        )
        .await)
        .await,
        json!({})
    );
    let listed = ok(server
        .get("/api/v1/conversations", Some(&alice.token))
        .await)
    .await;
    assert_eq!(ids(&listed).len(), 1);
    let again = delete(
        &server,
        &format!("/api/v1/conversations/{conversation_id}"),
        &alice.token,
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    // Someone else's conversation id is not found.
    let foreign = server
        .post(
            &format!("/api/v1/conversations/{conversation_id}/read"),
            Some(&carol.token),
            json!({}),
        )
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn scheduled_statuses_are_kept_listed_changed_and_published() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let now_ms = skerry::util::time::now_ms();
    let at = |ms: u64| skerry::util::time::iso8601_ms(ms);
    let too_soon = server
        .post(
            "/api/v1/statuses",
            Some(&alice.token),
            json!({"status": "soon", "scheduled_at": at(now_ms + 60_000)}),
        )
        .await;
    assert_eq!(too_soon.status, StatusCode::UNPROCESSABLE_ENTITY);
    let bad = server
        .post(
            "/api/v1/statuses",
            Some(&alice.token),
            json!({"status": "x", "scheduled_at": "tomorrow"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let blank = server
        .post(
            "/api/v1/statuses",
            Some(&alice.token),
            json!({"status": "", "scheduled_at": at(now_ms + 3_600_000)}),
        )
        .await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);

    let hour_ms = 3_600_000;
    let scheduled = post(
        &server,
        &alice,
        json!({
            "status": "later", "visibility": "unlisted", "scheduled_at": at(now_ms + hour_ms),
            "poll": {"options": ["a", "b"], "expires_in": 600}
        }),
    )
    .await;
    assert_eq!(scheduled["params"]["text"], "later");
    assert_eq!(scheduled["params"]["visibility"], "unlisted");
    assert_eq!(scheduled["params"]["poll"]["options"], json!(["a", "b"]));
    let id = id_of(&scheduled);
    let other = post(
        &server,
        &alice,
        json!({"status": "never", "scheduled_at": at(now_ms + 2 * hour_ms)}),
    )
    .await;
    let listed = ok(server
        .get("/api/v1/scheduled_statuses", Some(&alice.token))
        .await)
    .await;
    assert_eq!(ids(&listed).len(), 2);
    assert_eq!(
        ok(server
            .get(
                &format!("/api/v1/scheduled_statuses/{id}"),
                Some(&alice.token)
            )
            .await)
        .await["params"]["text"],
        "later"
    );
    let foreign = server
        .get(
            &format!("/api/v1/scheduled_statuses/{id}"),
            Some(&bob.token),
        )
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    let moved = ok(put(
        &server,
        &format!("/api/v1/scheduled_statuses/{id}"),
        &alice.token,
        json!({"scheduled_at": at(now_ms + 3 * hour_ms)}),
    )
    .await)
    .await;
    assert_eq!(moved["scheduled_at"], at(now_ms + 3 * hour_ms).as_str());
    ok(delete(
        &server,
        &format!("/api/v1/scheduled_statuses/{}", id_of(&other)),
        &alice.token,
    )
    .await)
    .await;

    // Publishing is the scheduler's job; run one pass as if four hours had passed.
    let published = server
        .app
        .run(move |app| skerry::app::scheduled::publish_due(app, now_ms + 4 * hour_ms))
        .await
        .unwrap();
    assert_eq!(published, 1);
    let listed = ok(server
        .get("/api/v1/scheduled_statuses", Some(&alice.token))
        .await)
    .await;
    assert_eq!(listed, json!([]));
    let statuses = ok(server
        .get(
            &format!("/api/v1/accounts/{}/statuses", alice.id),
            Some(&alice.token),
        )
        .await)
    .await;
    assert_eq!(statuses.as_array().unwrap().len(), 1, "{statuses}");
    assert_eq!(statuses[0]["content"], "<p>later</p>");
    assert_eq!(statuses[0]["visibility"], "unlisted");
    assert_eq!(statuses[0]["poll"]["options"][1]["title"], "b");
}

#[tokio::test]
async fn the_scheduler_publishes_due_statuses_by_itself() {
    let server = Server::start_with(&[("SKERRY_LIMITS_SCHEDULED_STATUS_LEAD_SECS_MIN", "0")]).await;
    let alice = server.user("alice").await;
    let at = skerry::util::time::iso8601_ms(skerry::util::time::now_ms() + 500);
    post(
        &server,
        &alice,
        json!({"status": "on time", "scheduled_at": at}),
    )
    .await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let statuses = ok(server
            .get(&format!("/api/v1/accounts/{}/statuses", alice.id), None)
            .await)
        .await;
        if statuses.as_array().unwrap().len() == 1 {
            assert_eq!(statuses[0]["content"], "<p>on time</p>");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not published in time"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let listed = ok(server
        .get("/api/v1/scheduled_statuses", Some(&alice.token))
        .await)
    .await;
    assert_eq!(listed, json!([]));
}

#[tokio::test]
async fn followed_and_featured_tags() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    let carol = server.user("carol").await;
    let unknown = server.get("/api/v1/tags/nothing", None).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let followed = ok(server
        .post("/api/v1/tags/Rust/follow", Some(&alice.token), json!({}))
        .await)
    .await;
    assert_eq!(followed["name"], "rust");
    assert_eq!(followed["following"], true);
    assert_eq!(followed["history"].as_array().unwrap().len(), 7);
    assert!(followed["history"][0]["uses"].is_string());
    let bad = server
        .post(
            "/api/v1/tags/not%20a%20tag/follow",
            Some(&alice.token),
            json!({}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    // A followed tag brings statuses of accounts alice does not follow into her home.
    let tagged = server.post_status(&carol, "news about #rust").await;
    server.post_status(&carol, "no tag").await;
    let home = ok(server
        .get("/api/v1/timelines/home", Some(&alice.token))
        .await)
    .await;
    assert_eq!(ids(&home), vec![tagged.clone()]);
    let tag = ok(server.get("/api/v1/tags/rust", Some(&alice.token)).await).await;
    assert_eq!(tag["history"][0]["uses"], "1");
    assert_eq!(tag["history"][0]["accounts"], "1");
    let list = ok(server
        .get("/api/v1/followed_tags", Some(&alice.token))
        .await)
    .await;
    assert_eq!(list[0]["name"], "rust");
    let unfollowed = ok(server
        .post("/api/v1/tags/rust/unfollow", Some(&alice.token), json!({}))
        .await)
    .await;
    assert_eq!(unfollowed["following"], false);
    assert_eq!(
        ok(server
            .get("/api/v1/followed_tags", Some(&alice.token))
            .await)
        .await,
        json!([])
    );

    // Featured tags.
    server.post_status(&alice, "my #rust and #cats").await;
    let featured = ok(server
        .post(
            "/api/v1/featured_tags",
            Some(&alice.token),
            json!({"name": "#Rust"}),
        )
        .await)
    .await;
    assert_eq!(featured["name"], "rust");
    assert_eq!(featured["statuses_count"], "1");
    assert!(
        featured["url"]
            .as_str()
            .unwrap()
            .ends_with("/@alice/tagged/rust")
    );
    let again = server
        .post(
            "/api/v1/featured_tags",
            Some(&alice.token),
            json!({"name": "rust"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    let suggestions = ok(server
        .get("/api/v1/featured_tags/suggestions", Some(&alice.token))
        .await)
    .await;
    assert_eq!(suggestions[0]["name"], "cats", "{suggestions}");
    let public = ok(server
        .get(
            &format!("/api/v1/accounts/{}/featured_tags", alice.id),
            None,
        )
        .await)
    .await;
    assert_eq!(public[0]["id"], featured["id"]);
    let removed = delete(
        &server,
        &format!("/api/v1/featured_tags/{}", id_of(&featured)),
        &carol.token,
    )
    .await;
    assert_eq!(
        removed.status,
        StatusCode::NOT_FOUND,
        "only the owner removes it"
    );
    ok(delete(
        &server,
        &format!("/api/v1/featured_tags/{}", id_of(&featured)),
        &alice.token,
    )
    .await)
    .await;
    assert_eq!(
        ok(server
            .get("/api/v1/featured_tags", Some(&alice.token))
            .await)
        .await,
        json!([])
    );
}

#[tokio::test]
async fn endorsements_notes_familiar_followers_suggestions_and_directory() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let not_following = server
        .post(
            &format!("/api/v1/accounts/{}/endorse", bob.id),
            Some(&alice.token),
            json!({}),
        )
        .await;
    assert_eq!(not_following.status, StatusCode::UNPROCESSABLE_ENTITY);
    follow(&server, &alice, &bob).await;
    let endorsed = ok(server
        .post(
            &format!("/api/v1/accounts/{}/pin", bob.id),
            Some(&alice.token),
            json!({}),
        )
        .await)
    .await;
    assert_eq!(endorsed["endorsed"], true);
    let mine = ok(server.get("/api/v1/endorsements", Some(&alice.token)).await).await;
    assert_eq!(ids(&mine), vec![bob.id.to_string()]);
    let theirs = ok(server
        .get(&format!("/api/v1/accounts/{}/endorsements", alice.id), None)
        .await)
    .await;
    assert_eq!(ids(&theirs), vec![bob.id.to_string()]);

    let noted = ok(server
        .post(
            &format!("/api/v1/accounts/{}/note", carol.id),
            Some(&alice.token),
            json!({"comment": "met at the conference"}),
        )
        .await)
    .await;
    assert_eq!(noted["note"], "met at the conference");
    let relationships = ok(server
        .get(
            &format!(
                "/api/v1/accounts/relationships?id[]={}&id[]={}",
                carol.id, bob.id
            ),
            Some(&alice.token),
        )
        .await)
    .await;
    assert_eq!(relationships[0]["note"], "met at the conference");
    assert_eq!(relationships[1]["endorsed"], true);
    let long = server
        .post(
            &format!("/api/v1/accounts/{}/note", carol.id),
            Some(&alice.token),
            json!({"comment": "x".repeat(2001)}),
        )
        .await;
    assert_eq!(long.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Bob follows carol: carol is suggested to alice, and bob is her familiar follower.
    follow(&server, &bob, &carol).await;
    let familiar = ok(server
        .get(
            &format!("/api/v1/accounts/familiar_followers?id[]={}", carol.id),
            Some(&alice.token),
        )
        .await)
    .await;
    assert_eq!(familiar[0]["id"], carol.id.to_string());
    assert_eq!(ids(&familiar[0]["accounts"]), vec![bob.id.to_string()]);
    let suggested = ok(server.get("/api/v2/suggestions", Some(&alice.token)).await).await;
    assert_eq!(
        suggested[0]["account"]["id"],
        carol.id.to_string(),
        "{suggested}"
    );
    assert_eq!(suggested[0]["sources"], json!(["friends_of_friends"]));
    let v1 = ok(server.get("/api/v1/suggestions", Some(&alice.token)).await).await;
    assert!(
        !ids(&v1).contains(&bob.id.to_string()),
        "followed accounts are not suggested"
    );
    ok(delete(
        &server,
        &format!("/api/v1/suggestions/{}", carol.id),
        &alice.token,
    )
    .await)
    .await;
    let v1 = ok(server.get("/api/v1/suggestions", Some(&alice.token)).await).await;
    assert!(!ids(&v1).contains(&carol.id.to_string()), "dismissed");

    // Unfollowing ends the endorsement.
    ok(server
        .post(
            &format!("/api/v1/accounts/{}/unfollow", bob.id),
            Some(&alice.token),
            json!({}),
        )
        .await)
    .await;
    assert_eq!(
        ok(server.get("/api/v1/endorsements", Some(&alice.token)).await).await,
        json!([])
    );

    let directory = ok(server
        .get("/api/v1/directory?local=true&order=new", None)
        .await)
    .await;
    assert_eq!(
        ids(&directory),
        vec![
            carol.id.to_string(),
            bob.id.to_string(),
            alice.id.to_string()
        ]
    );
    server.post_status(&bob, "active").await;
    let active = ok(server
        .get("/api/v1/directory?order=active&limit=1", None)
        .await)
    .await;
    assert_eq!(ids(&active), vec![bob.id.to_string()]);
    let offset = ok(server
        .get("/api/v1/directory?order=new&offset=2", None)
        .await)
    .await;
    assert_eq!(ids(&offset), vec![alice.id.to_string()]);
}

#[tokio::test]
async fn trends_instance_reports_and_announcements() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let limited = server.user_with_scopes("limited", "read").await;
    let popular = server
        .post_status(&alice, "#rust is fun https://example.com/post")
        .await;
    server
        .post_status(&bob, "#rust and #cats, see https://example.com/post")
        .await;
    server.post_status(&bob, "#cats").await;
    ok(server
        .post(
            &format!("/api/v1/statuses/{popular}/favourite"),
            Some(&bob.token),
            json!({}),
        )
        .await)
    .await;
    let tags = ok(server.get("/api/v1/trends/tags", None).await).await;
    assert_eq!(tags[0]["name"], "rust", "{tags}");
    assert_eq!(tags[0]["history"][0]["accounts"], "2");
    assert_eq!(tags[1]["name"], "cats");
    assert_eq!(
        ok(server.get("/api/v1/trends?limit=1", None).await).await[0]["name"],
        "rust"
    );
    let statuses = ok(server.get("/api/v1/trends/statuses", None).await).await;
    assert_eq!(ids(&statuses), vec![popular.clone()]);
    let links = ok(server.get("/api/v1/trends/links", None).await).await;
    assert_eq!(links[0]["url"], "https://example.com/post", "{links}");
    assert_eq!(links[0]["type"], "link");
    assert_eq!(links[0]["history"][0]["accounts"], "2");

    assert_eq!(
        ok(server.get("/api/v1/instance/rules", None).await).await,
        json!([])
    );
    assert_eq!(
        ok(server.get("/api/v1/instance/peers", None).await).await,
        json!([])
    );
    let activity = ok(server.get("/api/v1/instance/activity", None).await).await;
    assert_eq!(activity.as_array().unwrap().len(), 12);
    assert_eq!(activity[0]["statuses"], "3");
    assert_eq!(activity[0]["logins"], "2");
    assert_eq!(activity[0]["registrations"], "3");
    assert!(
        activity[1]["week"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            < activity[0]["week"]
                .as_str()
                .unwrap()
                .parse::<u64>()
                .unwrap()
    );
    let description = ok(server
        .get("/api/v1/instance/extended_description", None)
        .await)
    .await;
    assert!(description["content"].is_string());

    let report = ok(server
        .post(
            "/api/v1/reports",
            Some(&bob.token),
            json!({"account_id": alice.id.to_string(), "status_ids": [popular], "comment": "spam", "category": "spam"}),
        )
        .await)
    .await;
    assert_eq!(report["target_account"]["id"], alice.id.to_string());
    assert_eq!(report["status_ids"], json!([popular]));
    assert_eq!(report["category"], "spam");
    assert_eq!(report["action_taken"], false);
    let own = server.post_status(&bob, "mine").await;
    for bad in [
        json!({"account_id": alice.id.to_string(), "status_ids": [own]}),
        json!({"account_id": bob.id.to_string()}),
        json!({"account_id": alice.id.to_string(), "category": "dislike"}),
        json!({"comment": "who?"}),
    ] {
        let reply = server
            .post("/api/v1/reports", Some(&bob.token), bad.clone())
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    let scope = server
        .post(
            "/api/v1/reports",
            Some(&limited.token),
            json!({"account_id": alice.id.to_string()}),
        )
        .await;
    assert_eq!(scope.status, StatusCode::FORBIDDEN);
    let count = server
        .app
        .run(|app| {
            Ok(app
                .store
                .read(|tx| {
                    use redb::ReadableTableMetadata;
                    Ok::<_, skerry::store::StoreError>(
                        skerry::store::Reader::table(tx, skerry::store::schema::REPORTS)?.len()?,
                    )
                })
                .unwrap())
        })
        .await
        .unwrap();
    assert_eq!(count, 1, "only the valid report is stored");

    assert_eq!(
        ok(server.get("/api/v1/announcements", Some(&bob.token)).await).await,
        json!([])
    );
    let dismiss = server
        .post(
            "/api/v1/announcements/1/dismiss",
            Some(&bob.token),
            json!({}),
        )
        .await;
    assert_eq!(dismiss.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn grouped_notifications_policy_and_requests() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let status = server.post_status(&alice, "like me").await;
    for fan in [&bob, &carol] {
        ok(server
            .post(
                &format!("/api/v1/statuses/{status}/favourite"),
                Some(&fan.token),
                json!({}),
            )
            .await)
        .await;
    }
    follow(&server, &bob, &alice).await;
    server.post_status(&carol, "@alice hi").await;

    let grouped = ok(server
        .get("/api/v2/notifications", Some(&alice.token))
        .await)
    .await;
    let groups = grouped["notification_groups"].as_array().unwrap();
    let kinds: Vec<&str> = groups.iter().map(|g| g["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["mention", "follow", "favourite"], "{grouped}");
    let favourites = &groups[2];
    assert_eq!(favourites["group_key"], format!("favourite-{status}"));
    assert_eq!(favourites["notifications_count"], 2);
    assert_eq!(
        favourites["sample_account_ids"],
        json!([carol.id.to_string(), bob.id.to_string()])
    );
    assert_eq!(favourites["status_id"], status.as_str());
    assert!(
        groups[0]["group_key"]
            .as_str()
            .unwrap()
            .starts_with("ungrouped-")
    );
    // Each account and status once.
    let accounts = ids(&grouped["accounts"]);
    assert_eq!(accounts.len(), 2, "{accounts:?}");
    assert_eq!(ids(&grouped["statuses"]).len(), 2);

    // Grouping only reblogs: favourites come one by one.
    let ungrouped = ok(server
        .get(
            "/api/v2/notifications?grouped_types[]=reblog",
            Some(&alice.token),
        )
        .await)
    .await;
    assert_eq!(
        ungrouped["notification_groups"].as_array().unwrap().len(),
        4
    );
    let limited = server
        .get("/api/v2/notifications?limit=2", Some(&alice.token))
        .await;
    assert_eq!(
        limited.json["notification_groups"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let next = limited.link("next").expect("a next link");
    let next = server
        .send(server.client.get(next), Some(&alice.token))
        .await;
    assert_eq!(next.json["notification_groups"][0]["type"], "favourite");

    let key = format!("favourite-{status}");
    let one = ok(server
        .get(&format!("/api/v2/notifications/{key}"), Some(&alice.token))
        .await)
    .await;
    assert_eq!(one["notification_groups"][0]["notifications_count"], 2);
    let accounts = ok(server
        .get(
            &format!("/api/v2/notifications/{key}/accounts"),
            Some(&alice.token),
        )
        .await)
    .await;
    assert_eq!(
        ids(&accounts),
        vec![carol.id.to_string(), bob.id.to_string()]
    );
    assert_eq!(
        ok(server
            .get("/api/v2/notifications/unread_count", Some(&alice.token))
            .await)
        .await["count"],
        4
    );
    ok(server
        .post(
            &format!("/api/v2/notifications/{key}/dismiss"),
            Some(&alice.token),
            json!({}),
        )
        .await)
    .await;
    let gone = server
        .get(&format!("/api/v2/notifications/{key}"), Some(&alice.token))
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let v1 = ok(server
        .get("/api/v1/notifications", Some(&alice.token))
        .await)
    .await;
    assert_eq!(v1.as_array().unwrap().len(), 2);
    assert!(v1[1]["group_key"].as_str().unwrap().starts_with("follow-"));

    let policy = ok(server
        .get("/api/v2/notifications/policy", Some(&alice.token))
        .await)
    .await;
    assert_eq!(policy["for_not_following"], "accept");
    assert_eq!(policy["summary"]["pending_requests_count"], 0);
    let accept = server
        .send(
            server
                .client
                .patch(server.url("/api/v2/notifications/policy"))
                .json(&json!({"for_new_accounts": "accept"})),
            Some(&alice.token),
        )
        .await;
    assert_eq!(accept.status, StatusCode::OK);
    let filter = server
        .send(
            server
                .client
                .patch(server.url("/api/v2/notifications/policy"))
                .json(&json!({"for_new_accounts": "filter"})),
            Some(&alice.token),
        )
        .await;
    assert_eq!(filter.json["for_new_accounts"], "filter");
    let unknown = server
        .send(
            server
                .client
                .patch(server.url("/api/v2/notifications/policy"))
                .json(&json!({"for_new_accounts": "ignore"})),
            Some(&alice.token),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        ok(server
            .get("/api/v1/notifications/requests", Some(&alice.token))
            .await)
        .await,
        json!([])
    );
    assert_eq!(
        ok(server
            .get("/api/v1/notifications/requests/merged", Some(&alice.token))
            .await)
        .await,
        json!({"merged": true})
    );
    let request = server
        .get("/api/v1/notifications/requests/1", Some(&alice.token))
        .await;
    assert_eq!(request.status, StatusCode::NOT_FOUND);
    let v1_policy = ok(server
        .get("/api/v1/notifications/policy", Some(&alice.token))
        .await)
    .await;
    assert_eq!(v1_policy["filter_not_following"], false);
}

#[tokio::test]
async fn status_search_with_operators_and_opted_in_public_statuses() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let opted = server
        .send(
            server
                .client
                .patch(server.url("/api/v1/accounts/update_credentials"))
                .json(&json!({"indexable": true})),
            Some(&bob.token),
        )
        .await;
    assert_eq!(opted.json["indexable"], true);
    let public = server.post_status(&bob, "Rust in public").await;
    let hidden = server.post_status(&carol, "Rust in private life").await;
    let polled = post(
        &server,
        &alice,
        json!({"status": "rust poll", "poll": {"options": ["y", "n"], "expires_in": 600}}),
    )
    .await;
    let reply = post(
        &server,
        &alice,
        json!({"status": "@bob rust reply with https://example.com/x", "in_reply_to_id": public}),
    )
    .await;
    let search = |query: &str| {
        let path = format!(
            "/api/v2/search?type=statuses&q={}",
            query
                .replace(' ', "%20")
                .replace('"', "%22")
                .replace(':', "%3A")
        );
        let server = &server;
        let token = alice.token.clone();
        async move { ids(&ok(server.get(&path, Some(&token)).await).await["statuses"]) }
    };
    let (polled, reply) = (id_of(&polled), id_of(&reply));
    assert_eq!(
        search("rust").await,
        vec![reply.clone(), polled.clone(), public.clone()]
    );
    assert_eq!(search("from:bob").await, vec![public.clone()]);
    assert_eq!(
        search("from:carol rust").await,
        Vec::<String>::new(),
        "not indexable"
    );
    assert_eq!(
        search("in:library rust").await,
        vec![reply.clone(), polled.clone(), public.clone()],
        "a replied-to status is in the library"
    );
    assert_eq!(search("in:public rust").await, vec![public.clone()]);
    assert_eq!(search("rust has:poll").await, vec![polled.clone()]);
    assert_eq!(search("rust -has:poll is:reply").await, vec![reply.clone()]);
    assert_eq!(search("has:link").await, vec![reply.clone()]);
    assert_eq!(search("has:media").await, Vec::<String>::new());
    assert_eq!(search("\"in public\"").await, vec![public.clone()]);
    assert_eq!(search("rust before:2000-01-01").await, Vec::<String>::new());
    assert_eq!(
        search("rust after:2000-01-01 from:me").await,
        vec![reply.clone(), polled.clone()]
    );
    // Once alice favourites carol's status, it is in her library.
    ok(server
        .post(
            &format!("/api/v1/statuses/{hidden}/favourite"),
            Some(&alice.token),
            json!({}),
        )
        .await)
    .await;
    assert_eq!(search("from:carol").await, vec![hidden]);
    assert_eq!(search("from:nobody rust").await, Vec::<String>::new());
}

#[tokio::test]
async fn mastodon_csv_exports_and_imports() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let dave = server.user("dave").await;
    let erin = server.user("erin").await;
    let host = server.base.trim_start_matches("http://").to_string();
    follow(&server, &alice, &bob).await;
    ok(server
        .post(
            &format!("/api/v1/accounts/{}/block", carol.id),
            Some(&alice.token),
            json!({}),
        )
        .await)
    .await;
    ok(server
        .post(
            &format!("/api/v1/accounts/{}/mute", dave.id),
            Some(&alice.token),
            json!({"notifications": true}),
        )
        .await)
    .await;
    let saved = server.post_status(&bob, "worth keeping").await;
    ok(server
        .post(
            &format!("/api/v1/statuses/{saved}/bookmark"),
            Some(&alice.token),
            json!({}),
        )
        .await)
    .await;
    let list = ok(server
        .post(
            "/api/v1/lists",
            Some(&alice.token),
            json!({"title": "Close, friends"}),
        )
        .await)
    .await;
    ok(server
        .post(
            &format!("/api/v1/lists/{}/accounts", id_of(&list)),
            Some(&alice.token),
            json!({"account_ids": [bob.id.to_string()]}),
        )
        .await)
    .await;

    let export = |file: &'static str| {
        let server = &server;
        let token = alice.token.clone();
        async move {
            let reply = server
                .get(&format!("/settings/exports/{file}"), Some(&token))
                .await;
            assert_eq!(reply.status, StatusCode::OK, "{file}");
            assert!(
                reply.headers["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("text/csv")
            );
            reply.json.as_str().unwrap_or_default().to_string()
        }
    };
    let follows = export("follows.csv").await;
    assert_eq!(
        follows,
        format!(
            "Account address,Show boosts,Notify on new posts,Languages\nbob@{host},true,false,\n"
        )
    );
    assert_eq!(export("blocks.csv").await, format!("carol@{host}\n"));
    assert_eq!(
        export("mutes.csv").await,
        format!("Account address,Hide notifications\ndave@{host},true\n")
    );
    let lists = export("lists.csv").await;
    assert_eq!(lists, format!("\"Close, friends\",bob@{host}\n"));
    let bookmarks = export("bookmarks.csv").await;
    assert_eq!(
        bookmarks,
        format!("{}/users/bob/statuses/{saved}\n", server.base)
    );
    ok(server
        .post(
            "/api/v1/domain_blocks",
            Some(&alice.token),
            json!({"domain": "spam.example"}),
        )
        .await)
    .await;
    let domains = export("domain_blocks.csv").await;
    assert_eq!(domains, "spam.example\n");
    let unknown = server
        .get("/settings/exports/secrets.csv", Some(&alice.token))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let anonymous = server.get("/settings/exports/follows.csv", None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

    // Erin imports alice's files: as Mastodon's form (multipart) and as a CSV body.
    let import_form = |kind: &'static str, data: String| {
        let server = &server;
        let token = erin.token.clone();
        async move {
            // Mastodon's import form, as a browser sends it.
            let boundary = "skerry-test-boundary";
            let body = format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"form_import[type]\"\r\n\r\n{kind}\r\n\
                 --{boundary}\r\nContent-Disposition: form-data; name=\"form_import[mode]\"\r\n\r\nmerge\r\n\
                 --{boundary}\r\nContent-Disposition: form-data; name=\"form_import[data]\"; filename=\"export.csv\"\r\n\
                 Content-Type: text/csv\r\n\r\n{data}\r\n--{boundary}--\r\n"
            );
            server
                .send(
                    server
                        .client
                        .post(server.url("/settings/imports"))
                        .header(
                            "content-type",
                            format!("multipart/form-data; boundary={boundary}"),
                        )
                        .body(body),
                    Some(&token),
                )
                .await
        }
    };
    let imported =
        ok(import_form("following", format!("{follows}nobody@{host},true,false,\n")).await).await;
    assert_eq!(imported["imported"], 1);
    assert_eq!(imported["failed"][0]["row"], format!("nobody@{host},true"));
    for (kind, data) in [
        ("blocking", export("blocks.csv").await),
        ("muting", export("mutes.csv").await),
    ] {
        let reply = server
            .send(
                server
                    .client
                    .post(server.url(&format!("/settings/imports?type={kind}")))
                    .header("content-type", "text/csv")
                    .body(data),
                Some(&erin.token),
            )
            .await;
        assert_eq!(reply.json["imported"], 1, "{kind}: {}", reply.json);
    }
    assert_eq!(ok(import_form("lists", lists).await).await["imported"], 1);
    assert_eq!(
        ok(import_form("bookmarks", bookmarks).await).await["imported"],
        1
    );
    let relationships = ok(server
        .get(
            &format!(
                "/api/v1/accounts/relationships?id[]={}&id[]={}&id[]={}",
                bob.id, carol.id, dave.id
            ),
            Some(&erin.token),
        )
        .await)
    .await;
    assert_eq!(relationships[0]["following"], true);
    assert_eq!(relationships[1]["blocking"], true);
    assert_eq!(relationships[2]["muting"], true);
    assert_eq!(relationships[2]["muting_notifications"], true);
    let erins_lists = ok(server.get("/api/v1/lists", Some(&erin.token)).await).await;
    assert_eq!(erins_lists[0]["title"], "Close, friends");
    let erins_bookmarks = ok(server.get("/api/v1/bookmarks", Some(&erin.token)).await).await;
    assert_eq!(ids(&erins_bookmarks), vec![saved]);

    assert_eq!(
        ok(import_form("domain_blocking", domains).await).await["imported"],
        1
    );
    assert_eq!(
        ok(server.get("/api/v1/domain_blocks", Some(&erin.token)).await).await,
        json!(["spam.example"])
    );
    // Overwrite: the follows become the file's; bob, followed before and not listed, is
    // unfollowed. An unknown mode is refused.
    let overwrite = |mode: &'static str| {
        let (server, token) = (&server, erin.token.clone());
        let file = format!("Account address,Show boosts\ndave@{host},true\n");
        async move {
            server
                .send(
                    server
                        .client
                        .post(server.url(&format!("/settings/imports?type=following&mode={mode}")))
                        .header("content-type", "text/csv")
                        .body(file),
                    Some(&token),
                )
                .await
        }
    };
    assert_eq!(
        overwrite("replace").await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let replaced = ok(overwrite("overwrite").await).await;
    assert_eq!(
        (&replaced["imported"], &replaced["removed"]),
        (&json!(1), &json!(1))
    );
    let relationships = ok(server
        .get(
            &format!(
                "/api/v1/accounts/relationships?id[]={}&id[]={}",
                bob.id, dave.id
            ),
            Some(&erin.token),
        )
        .await)
    .await;
    assert_eq!(relationships[0]["following"], false);
    assert_eq!(relationships[1]["following"], true);
    let read_only = server.user_with_scopes("reader", "read").await;
    let forbidden = server
        .send(
            server
                .client
                .post(server.url("/settings/imports?type=blocking"))
                .body("x@y\n"),
            Some(&read_only.token),
        )
        .await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_users_own_domain_blocks_hide_that_domain() {
    let server = Server::start_with(&[("SKERRY_FEDERATION_OUTBOUND", "false")]).await;
    let alice = server.user("alice").await;
    let alice_id = alice.id;
    let (remote, status) = server
        .app
        .run(move |app| {
            let input = skerry::app::remote::ActorInput {
                uri: "https://remote.example/users/bob".into(),
                username: "bob".into(),
                host: "remote.example".into(),
                inbox: "https://remote.example/inbox".into(),
                key_id: "https://remote.example/users/bob#main-key".into(),
                public_key_pem: "pem".into(),
                ..Default::default()
            };
            let bob = skerry::app::remote::upsert_actor(app, input)?;
            let note = skerry::app::remote::NoteInput {
                uri: "https://remote.example/notes/1".into(),
                author: bob,
                in_reply_to: None,
                content_html: "<p>hello @alice</p>".into(),
                spoiler_text: String::new(),
                sensitive: false,
                language: None,
                visibility: skerry::model::Visibility::Public,
                mentions: vec![alice_id],
                tags: Vec::new(),
                published_ms: skerry::util::time::now_ms(),
                updated_ms: None,
                quote: None,
                poll: None,
                media: Vec::new(),
                emojis: Vec::new(),
            };
            Ok((bob, skerry::app::remote::create_status(app, note)?.unwrap()))
        })
        .await
        .unwrap();
    let public = ok(server
        .get("/api/v1/timelines/public", Some(&alice.token))
        .await)
    .await;
    assert_eq!(ids(&public), vec![status.to_string()]);
    let blocked = ok(server
        .post(
            "/api/v1/domain_blocks",
            Some(&alice.token),
            json!({"domain": "Remote.Example"}),
        )
        .await)
    .await;
    assert_eq!(blocked, json!({}));
    for bad in [
        "",
        "not a domain",
        server.base.trim_start_matches("http://"),
    ] {
        let reply = server
            .post(
                "/api/v1/domain_blocks",
                Some(&alice.token),
                json!({"domain": bad}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    assert_eq!(
        ok(server
            .get("/api/v1/domain_blocks", Some(&alice.token))
            .await)
        .await,
        json!(["remote.example"])
    );
    let relationship = ok(server
        .get(
            &format!("/api/v1/accounts/relationships?id[]={remote}"),
            Some(&alice.token),
        )
        .await)
    .await;
    assert_eq!(relationship[0]["domain_blocking"], true);
    let public = ok(server
        .get("/api/v1/timelines/public", Some(&alice.token))
        .await)
    .await;
    assert_eq!(public, json!([]), "statuses of a blocked domain are hidden");
    let anonymous = ok(server.get("/api/v1/timelines/public", None).await).await;
    assert_eq!(
        ids(&anonymous),
        vec![status.to_string()],
        "only for the blocker"
    );
    assert_eq!(
        server
            .get("/settings/exports/domain_blocks.csv", Some(&alice.token))
            .await
            .json,
        "remote.example\n"
    );
    let unblocked = server
        .send(
            server
                .client
                .delete(server.url("/api/v1/domain_blocks?domain=remote.example")),
            Some(&alice.token),
        )
        .await;
    assert_eq!(unblocked.status, StatusCode::OK);
    assert_eq!(
        ok(server
            .get("/api/v1/domain_blocks", Some(&alice.token))
            .await)
        .await,
        json!([])
    );
    let public = ok(server
        .get("/api/v1/timelines/public", Some(&alice.token))
        .await)
    .await;
    assert_eq!(ids(&public), vec![status.to_string()]);
}

#[tokio::test]
async fn statuses_by_ids_and_removing_a_follower() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let public = server.post_status(&alice, "one").await;
    let private = post(
        &server,
        &alice,
        json!({"status": "two", "visibility": "private"}),
    )
    .await;
    let private = id_of(&private);
    let path = format!("/api/v1/statuses?id[]={private}&id[]={public}&id[]=1");
    assert_eq!(
        ids(&ok(server.get(&path, Some(&alice.token)).await).await),
        vec![private.clone(), public.clone()]
    );
    assert_eq!(
        ids(&ok(server.get(&path, Some(&bob.token)).await).await),
        vec![public.clone()]
    );
    let too_many: String = (0..21).map(|n| format!("id[]={n}&")).collect();
    let reply = server
        .get(&format!("/api/v1/statuses?{too_many}"), None)
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);

    follow(&server, &bob, &alice).await;
    let removed = ok(server
        .post(
            &format!("/api/v1/accounts/{}/remove_from_followers", bob.id),
            Some(&alice.token),
            json!({}),
        )
        .await)
    .await;
    assert_eq!(removed["followed_by"], false);
    let followers = ok(server
        .get(&format!("/api/v1/accounts/{}/followers", alice.id), None)
        .await)
    .await;
    assert_eq!(followers, json!([]));
}
