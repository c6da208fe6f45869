use reqwest::StatusCode;
use serde_json::json;

use crate::rig::{Server, ids};

#[tokio::test]
async fn posting_formats_text_and_enforces_limits() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let reply = server
        .post("/api/v1/statuses", Some(&alice.token), json!({"status": "Hi @bob!\n\nSee https://example.com/page #Skerry", "language": "en", "spoiler_text": "cw"}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    let status = &reply.json;
    assert_eq!(status["visibility"], "public");
    assert_eq!(status["language"], "en");
    assert_eq!(status["spoiler_text"], "cw");
    assert_eq!(status["sensitive"], true);
    assert_eq!(status["mentions"][0]["id"], bob.id.to_string());
    assert_eq!(status["tags"][0]["name"], "skerry");
    let content = status["content"].as_str().unwrap();
    assert!(
        content.starts_with("<p>Hi <span class=\"h-card\""),
        "{content}"
    );
    assert!(content.contains("</p><p>See <a href=\"https://example.com/page\""));
    let created_at = status["created_at"].as_str().unwrap();
    assert!(
        created_at.len() == 24 && created_at.ends_with('Z'),
        "{created_at}"
    );
    assert_eq!(
        status["url"],
        format!("{}/@alice/{}", server.base, status["id"].as_str().unwrap())
    );
    assert_eq!(status["account"]["statuses_count"], 1);
    assert_eq!(status["favourited"], false);

    // The limit counts a URL as 23 characters.
    let long_url = format!("https://example.com/{}", "x".repeat(6000));
    let ok = server
        .post(
            "/api/v1/statuses",
            Some(&alice.token),
            json!({"status": format!("{} {long_url}", "a".repeat(4970))}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    let reply = server
        .post(
            "/api/v1/statuses",
            Some(&alice.token),
            json!({"status": "a".repeat(5001)}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        reply.json["error"],
        "Validation failed: Text character limit of 5000 exceeded"
    );
    let reply = server
        .post(
            "/api/v1/statuses",
            Some(&alice.token),
            json!({"status": "  "}),
        )
        .await;
    assert_eq!(
        reply.json["error"],
        "Validation failed: Text can't be blank"
    );
    let reply = server
        .post(
            "/api/v1/statuses",
            Some(&alice.token),
            json!({"status": "x", "visibility": "everyone"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let reply = server
        .post(
            "/api/v1/statuses",
            Some(&alice.token),
            json!({"status": "x", "in_reply_to_id": "12345"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let reply = server
        .post(
            "/api/v1/statuses",
            Some(&alice.token),
            json!({"status": "x", "media_ids": ["1"]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_configured_limit_and_form_posts() {
    let server = Server::start_with(&[("SKERRY_LIMITS_STATUS_CHARS_MAX", "10")]).await;
    let alice = server.user("alice").await;
    let reply = server
        .post_form(
            "/api/v1/statuses",
            Some(&alice.token),
            &[("status", "eleven char"), ("visibility", "unlisted")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let reply = server
        .post_form(
            "/api/v1/statuses",
            Some(&alice.token),
            &[
                ("status", "ten chars!"),
                ("visibility", "unlisted"),
                ("sensitive", "True"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(reply.json["visibility"], "unlisted");
    assert_eq!(reply.json["sensitive"], true);
    let instance = server.get("/api/v1/instance", None).await;
    assert_eq!(
        instance.json["configuration"]["statuses"]["max_characters"],
        10
    );
}

#[tokio::test]
async fn idempotency_key_returns_the_same_status() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    let post = || {
        server.send(
            server
                .client
                .post(server.url("/api/v1/statuses"))
                .header("Idempotency-Key", "abc-123")
                .json(&json!({"status": "once"})),
            Some(&alice.token),
        )
    };
    let first = post().await;
    let second = post().await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.json["id"], second.json["id"]);
    let me = server
        .get("/api/v1/accounts/verify_credentials", Some(&alice.token))
        .await;
    assert_eq!(me.json["statuses_count"], 1);
}

#[tokio::test]
async fn visibility_decides_who_sees_a_status() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    server
        .post(
            &format!("/api/v1/accounts/{}/follow", alice.id),
            Some(&bob.token),
            json!({}),
        )
        .await;
    let private = server
        .post(
            "/api/v1/statuses",
            Some(&alice.token),
            json!({"status": "followers only", "visibility": "private"}),
        )
        .await;
    let private_id = private.json["id"].as_str().unwrap();
    let direct = server
        .post(
            "/api/v1/statuses",
            Some(&alice.token),
            json!({"status": "@carol secret", "visibility": "direct"}),
        )
        .await;
    let direct_id = direct.json["id"].as_str().unwrap();

    let path = |id: &str| format!("/api/v1/statuses/{id}");
    assert_eq!(
        server.get(&path(private_id), Some(&bob.token)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        server
            .get(&path(private_id), Some(&carol.token))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        server.get(&path(private_id), None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        server
            .get(&path(direct_id), Some(&carol.token))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        server.get(&path(direct_id), Some(&bob.token)).await.status,
        StatusCode::NOT_FOUND
    );
    // Private statuses cannot be reblogged.
    let reply = server
        .post(
            &format!("/api/v1/statuses/{private_id}/reblog"),
            Some(&bob.token),
            json!({}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    // The direct message reached carol's home, not bob's.
    let carol_home = server
        .get("/api/v1/timelines/home", Some(&carol.token))
        .await;
    assert_eq!(ids(&carol_home.json), vec![direct_id.to_string()]);
    let bob_home = server.get("/api/v1/timelines/home", Some(&bob.token)).await;
    assert_eq!(ids(&bob_home.json), vec![private_id.to_string()]);
}

#[tokio::test]
async fn context_delete_and_redraft() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let root = server.post_status(&alice, "root").await;
    let reply = server
        .post(
            "/api/v1/statuses",
            Some(&bob.token),
            json!({"status": "reply", "in_reply_to_id": root}),
        )
        .await;
    let reply_id = reply.json["id"].as_str().unwrap().to_string();
    assert_eq!(reply.json["in_reply_to_account_id"], alice.id.to_string());
    assert_eq!(
        reply.json["mentions"][0]["username"], "alice",
        "a reply mentions its parent's author"
    );
    let nested = server
        .post(
            "/api/v1/statuses",
            Some(&alice.token),
            json!({"status": "nested", "in_reply_to_id": reply_id}),
        )
        .await;
    let nested_id = nested.json["id"].as_str().unwrap().to_string();

    let context = server
        .get(&format!("/api/v1/statuses/{reply_id}/context"), None)
        .await;
    assert_eq!(ids(&context.json["ancestors"]), vec![root.clone()]);
    assert_eq!(ids(&context.json["descendants"]), vec![nested_id.clone()]);
    let root_view = server.get(&format!("/api/v1/statuses/{root}"), None).await;
    assert_eq!(root_view.json["replies_count"], 1);

    // Only the author deletes; the answer carries the source text.
    let reply = server
        .send(
            server
                .client
                .delete(server.url(&format!("/api/v1/statuses/{reply_id}"))),
            Some(&alice.token),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let reply = server
        .send(
            server
                .client
                .delete(server.url(&format!("/api/v1/statuses/{reply_id}"))),
            Some(&bob.token),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json["text"], "reply");
    assert_eq!(
        server
            .get(&format!("/api/v1/statuses/{reply_id}"), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        server
            .get(&format!("/api/v1/statuses/{root}"), None)
            .await
            .json["replies_count"],
        0
    );
    let me = server
        .get("/api/v1/accounts/verify_credentials", Some(&bob.token))
        .await;
    assert_eq!(me.json["statuses_count"], 0);
    // The database is consistent after all of it.
    let (problems, _) = server.app.store.check().unwrap();
    assert!(problems.is_empty(), "{problems:?}");
}

#[tokio::test]
async fn favourite_reblog_bookmark_pin_and_their_undos() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let id = server.post_status(&alice, "likeable").await;
    let action = |name: &str| format!("/api/v1/statuses/{id}/{name}");

    let reply = server
        .post(&action("favourite"), Some(&bob.token), json!({}))
        .await;
    assert_eq!(reply.json["favourited"], true);
    assert_eq!(reply.json["favourites_count"], 1);
    let by = server.get(&action("favourited_by"), None).await;
    assert_eq!(ids(&by.json), vec![bob.id.to_string()]);
    assert_eq!(
        ids(&server
            .get("/api/v1/favourites", Some(&bob.token))
            .await
            .json),
        vec![id.clone()]
    );

    let reblog = server
        .post(&action("reblog"), Some(&bob.token), json!({}))
        .await;
    assert_eq!(reblog.status, StatusCode::OK);
    assert_eq!(reblog.json["reblog"]["id"], id);
    assert_eq!(reblog.json["reblog"]["reblogged"], true);
    assert_eq!(reblog.json["reblog"]["reblogs_count"], 1);
    let reblog_id = reblog.json["id"].as_str().unwrap().to_string();
    // Reblogging twice gives the same reblog.
    assert_eq!(
        server
            .post(&action("reblog"), Some(&bob.token), json!({}))
            .await
            .json["id"],
        reblog_id
    );
    assert_eq!(
        ids(&server.get(&action("reblogged_by"), None).await.json),
        vec![bob.id.to_string()]
    );
    // Acting on the reblog acts on the original.
    let via_reblog = server
        .post(
            &format!("/api/v1/statuses/{reblog_id}/bookmark"),
            Some(&bob.token),
            json!({}),
        )
        .await;
    assert_eq!(via_reblog.json["id"], id);
    assert_eq!(via_reblog.json["bookmarked"], true);
    assert_eq!(
        ids(&server.get("/api/v1/bookmarks", Some(&bob.token)).await.json),
        vec![id.clone()]
    );

    let pinned = server
        .post(&action("pin"), Some(&alice.token), json!({}))
        .await;
    assert_eq!(pinned.json["pinned"], true);
    let reply = server
        .post(&action("pin"), Some(&bob.token), json!({}))
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let pins = server
        .get(
            &format!("/api/v1/accounts/{}/statuses?pinned=true", alice.id),
            None,
        )
        .await;
    assert_eq!(ids(&pins.json), vec![id.clone()]);

    assert_eq!(
        server
            .post(&action("unfavourite"), Some(&bob.token), json!({}))
            .await
            .json["favourites_count"],
        0
    );
    let undone = server
        .post(&action("unreblog"), Some(&bob.token), json!({}))
        .await;
    assert_eq!(undone.json["reblogged"], false);
    assert_eq!(undone.json["reblogs_count"], 0);
    assert_eq!(
        server
            .get(&format!("/api/v1/statuses/{reblog_id}"), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        server
            .post(&action("unbookmark"), Some(&bob.token), json!({}))
            .await
            .json["bookmarked"],
        false
    );
    assert_eq!(
        server
            .post(&action("unpin"), Some(&alice.token), json!({}))
            .await
            .json["pinned"],
        false
    );
    assert!(
        ids(&server
            .get("/api/v1/favourites", Some(&bob.token))
            .await
            .json)
        .is_empty()
    );
    assert_eq!(
        server
            .post("/api/v1/statuses/42/favourite", Some(&bob.token), json!({}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let (problems, _) = server.app.store.check().unwrap();
    assert!(problems.is_empty(), "{problems:?}");
}

#[tokio::test]
async fn edits_change_the_text_and_keep_the_source() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let id = server.post_status(&alice, "first version").await;
    let reply = server
        .send(
            server
                .client
                .put(server.url(&format!("/api/v1/statuses/{id}")))
                .json(&json!({"status": "second version", "spoiler_text": "cw"})),
            Some(&alice.token),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(reply.json["content"], "<p>second version</p>");
    assert_eq!(reply.json["spoiler_text"], "cw");
    assert!(reply.json["edited_at"].as_str().unwrap().ends_with('Z'));
    let source = server
        .get(&format!("/api/v1/statuses/{id}/source"), Some(&alice.token))
        .await;
    assert_eq!(source.json["text"], "second version");
    let other = server
        .send(
            server
                .client
                .put(server.url(&format!("/api/v1/statuses/{id}")))
                .json(&json!({"status": "mine now"})),
            Some(&bob.token),
        )
        .await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);
    assert_eq!(
        server
            .get(&format!("/api/v1/statuses/{id}/source"), Some(&bob.token))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let blank = server
        .send(
            server
                .client
                .put(server.url(&format!("/api/v1/statuses/{id}")))
                .json(&json!({"status": ""})),
            Some(&alice.token),
        )
        .await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn polls_are_created_read_and_voted_on() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let reply = server
        .post_form(
            "/api/v1/statuses",
            Some(&alice.token),
            &[
                ("status", "tea or coffee?"),
                ("poll[options][]", "tea"),
                ("poll[options][]", "coffee"),
                ("poll[expires_in]", "3600"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    let poll = &reply.json["poll"];
    assert_eq!(
        poll["options"],
        json!([{"title": "tea", "votes_count": 0}, {"title": "coffee", "votes_count": 0}])
    );
    assert_eq!(poll["multiple"], false);
    assert_eq!(poll["expired"], false);
    assert_eq!(poll["voted"], false);
    let id = poll["id"].as_str().unwrap().to_string();

    let voted = server
        .post(
            &format!("/api/v1/polls/{id}/votes"),
            Some(&bob.token),
            json!({"choices": [1]}),
        )
        .await;
    assert_eq!(voted.status, StatusCode::OK, "{}", voted.json);
    assert_eq!(voted.json["options"][1]["votes_count"], 1);
    assert_eq!(voted.json["voters_count"], 1);
    assert_eq!(voted.json["own_votes"], json!([1]));
    let again = server
        .post_form(
            &format!("/api/v1/polls/{id}/votes"),
            Some(&bob.token),
            &[("choices[]", "0")],
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    let two = server
        .post(
            &format!("/api/v1/polls/{id}/votes"),
            Some(&alice.token),
            json!({"choices": [0, 1]}),
        )
        .await;
    assert_eq!(
        two.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a single-choice poll takes one choice"
    );
    let out_of_range = server
        .post(
            &format!("/api/v1/polls/{id}/votes"),
            Some(&alice.token),
            json!({"choices": [7]}),
        )
        .await;
    assert_eq!(out_of_range.status, StatusCode::UNPROCESSABLE_ENTITY);
    let anonymous = server.get(&format!("/api/v1/polls/{id}"), None).await;
    assert_eq!(anonymous.json["votes_count"], 1);
    assert!(anonymous.json.get("voted").is_none());

    for bad in [
        json!({"status": "x", "poll": {"options": ["only one"], "expires_in": 3600}}),
        json!({"status": "x", "poll": {"options": ["a", "b", "c", "d", "e"], "expires_in": 3600}}),
        json!({"status": "x", "poll": {"options": ["a", "a"], "expires_in": 3600}}),
        json!({"status": "x", "poll": {"options": ["a", "b"], "expires_in": 10}}),
    ] {
        let reply = server
            .post("/api/v1/statuses", Some(&alice.token), bad.clone())
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    let plain = server.post_status(&alice, "no poll").await;
    assert_eq!(
        server
            .get(&format!("/api/v1/polls/{plain}"), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}
