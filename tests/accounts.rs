use reqwest::StatusCode;
use serde_json::json;

use crate::rig::{Server, ids};

#[tokio::test]
async fn credentials_show_source_and_role_and_updates_apply() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    server.user("bob").await;
    let me = server
        .get("/api/v1/accounts/verify_credentials", Some(&alice.token))
        .await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json["acct"], "alice");
    assert_eq!(me.json["source"]["privacy"], "public");
    assert_eq!(me.json["url"], format!("{}/@alice", server.base));
    assert!(
        me.json["created_at"]
            .as_str()
            .unwrap()
            .ends_with("T00:00:00.000Z")
    );

    // A form as Mastodon.py and Rails clients send it, with bracketed field attributes.
    let reply = server
        .send(
            server
                .client
                .patch(server.url("/api/v1/accounts/update_credentials"))
                .form(&[
                    ("display_name", "Alice A."),
                    ("note", "Hello @bob, see #rust"),
                    ("locked", "false"),
                    ("bot", "true"),
                    ("fields_attributes[0][name]", "Site"),
                    ("fields_attributes[0][value]", "https://alice.example"),
                    ("source[privacy]", "unlisted"),
                ]),
            Some(&alice.token),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(reply.json["display_name"], "Alice A.");
    assert_eq!(reply.json["bot"], true);
    let note = reply.json["note"].as_str().unwrap();
    assert!(
        note.contains("class=\"u-url mention\">@<span>bob</span>")
            && note.contains("#<span>rust</span>"),
        "{note}"
    );
    assert_eq!(reply.json["source"]["note"], "Hello @bob, see #rust");
    assert_eq!(reply.json["fields"][0]["name"], "Site");
    assert!(
        reply.json["fields"][0]["value"]
            .as_str()
            .unwrap()
            .starts_with("<a href=\"https://alice.example\"")
    );
    assert_eq!(
        reply.json["source"]["fields"][0]["value"],
        "https://alice.example"
    );
    assert_eq!(reply.json["source"]["privacy"], "unlisted");

    // JSON works too, and limits are enforced with Mastodon's 422.
    let reply = server
        .send(
            server
                .client
                .patch(server.url("/api/v1/accounts/update_credentials"))
                .json(&json!({"display_name": "x".repeat(31)})),
            Some(&alice.token),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        reply.json["error"]
            .as_str()
            .unwrap()
            .starts_with("Validation failed")
    );
    let too_many: Vec<_> = (0..5)
        .map(|index| json!({"name": format!("n{index}"), "value": "v"}))
        .collect();
    let reply = server
        .send(
            server
                .client
                .patch(server.url("/api/v1/accounts/update_credentials"))
                .json(&json!({"fields_attributes": too_many})),
            Some(&alice.token),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Preferences follow the source.
    let prefs = server.get("/api/v1/preferences", Some(&alice.token)).await;
    assert_eq!(prefs.json["posting:default:visibility"], "unlisted");
}

#[tokio::test]
async fn lookup_get_and_unknown_ids() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    let reply = server.get("/api/v1/accounts/lookup?acct=alice", None).await;
    assert_eq!(reply.json["id"], alice.id.to_string());
    let host = server.base.trim_start_matches("http://").to_string();
    let reply = server
        .get(&format!("/api/v1/accounts/lookup?acct=@alice@{host}"), None)
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        server
            .get("/api/v1/accounts/lookup?acct=nobody", None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let reply = server
        .get(&format!("/api/v1/accounts/{}", alice.id), None)
        .await;
    assert_eq!(reply.json["username"], "alice");
    assert!(reply.json.get("source").is_none());
    for path in [
        "/api/v1/accounts/123",
        "/api/v1/accounts/not-a-number",
        "/api/v1/accounts/1/statuses",
    ] {
        let reply = server.get(path, None).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(reply.json["error"], "Record not found");
    }
    let found = server
        .get("/api/v1/accounts/search?q=ali", Some(&alice.token))
        .await;
    assert_eq!(ids(&found.json), vec![alice.id.to_string()]);
}

#[tokio::test]
async fn follow_block_mute_and_their_lists() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;

    let reply = server
        .post(
            &format!("/api/v1/accounts/{}/follow", bob.id),
            Some(&alice.token),
            json!({}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json["following"], true);
    assert_eq!(reply.json["followed_by"], false);
    server
        .post(
            &format!("/api/v1/accounts/{}/follow", bob.id),
            Some(&carol.token),
            json!({}),
        )
        .await;
    // Following twice changes nothing.
    server
        .post(
            &format!("/api/v1/accounts/{}/follow", bob.id),
            Some(&alice.token),
            json!({}),
        )
        .await;

    let relationships = server
        .get(
            &format!(
                "/api/v1/accounts/relationships?id[]={}&id[]={}",
                bob.id, carol.id
            ),
            Some(&alice.token),
        )
        .await;
    assert_eq!(relationships.json[0]["following"], true);
    assert_eq!(relationships.json[1]["following"], false);
    let bobs_view = server
        .get(
            &format!("/api/v1/accounts/relationships?id={}", alice.id),
            Some(&bob.token),
        )
        .await;
    assert_eq!(bobs_view.json[0]["followed_by"], true);

    let followers = server
        .get(
            &format!("/api/v1/accounts/{}/followers?limit=1", bob.id),
            None,
        )
        .await;
    assert_eq!(ids(&followers.json), vec![carol.id.to_string()]);
    let next = followers.link("next").unwrap();
    let older = server.send(server.client.get(&next), None).await;
    assert_eq!(ids(&older.json), vec![alice.id.to_string()]);
    let following = server
        .get(&format!("/api/v1/accounts/{}/following", alice.id), None)
        .await;
    assert_eq!(ids(&following.json), vec![bob.id.to_string()]);
    let bob_account = server
        .get(&format!("/api/v1/accounts/{}", bob.id), None)
        .await;
    assert_eq!(bob_account.json["followers_count"], 2);

    let reply = server
        .post(
            &format!("/api/v1/accounts/{}/unfollow", bob.id),
            Some(&alice.token),
            json!({}),
        )
        .await;
    assert_eq!(reply.json["following"], false);
    assert_eq!(
        server
            .get(&format!("/api/v1/accounts/{}", bob.id), None)
            .await
            .json["followers_count"],
        1
    );

    // Blocking removes follows both ways and shows in the block list.
    server
        .post(
            &format!("/api/v1/accounts/{}/follow", alice.id),
            Some(&bob.token),
            json!({}),
        )
        .await;
    let reply = server
        .post(
            &format!("/api/v1/accounts/{}/block", bob.id),
            Some(&alice.token),
            json!({}),
        )
        .await;
    assert_eq!(reply.json["blocking"], true);
    assert_eq!(reply.json["followed_by"], false);
    let blocked_by = server
        .get(
            &format!("/api/v1/accounts/relationships?id[]={}", alice.id),
            Some(&bob.token),
        )
        .await;
    assert_eq!(blocked_by.json[0]["blocked_by"], true);
    let reply = server
        .post(
            &format!("/api/v1/accounts/{}/follow", alice.id),
            Some(&bob.token),
            json!({}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(
        ids(&server.get("/api/v1/blocks", Some(&alice.token)).await.json),
        vec![bob.id.to_string()]
    );
    server
        .post(
            &format!("/api/v1/accounts/{}/unblock", bob.id),
            Some(&alice.token),
            json!({}),
        )
        .await;
    assert!(ids(&server.get("/api/v1/blocks", Some(&alice.token)).await.json).is_empty());

    let reply = server
        .post(
            &format!("/api/v1/accounts/{}/mute", carol.id),
            Some(&alice.token),
            json!({"notifications": false}),
        )
        .await;
    assert_eq!(reply.json["muting"], true);
    assert_eq!(reply.json["muting_notifications"], false);
    assert_eq!(
        ids(&server.get("/api/v1/mutes", Some(&alice.token)).await.json),
        vec![carol.id.to_string()]
    );
    server
        .post(
            &format!("/api/v1/accounts/{}/unmute", carol.id),
            Some(&alice.token),
            json!({}),
        )
        .await;
    assert!(ids(&server.get("/api/v1/mutes", Some(&alice.token)).await.json).is_empty());

    let reply = server
        .post(
            &format!("/api/v1/accounts/{}/follow", alice.id),
            Some(&alice.token),
            json!({}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let reply = server
        .post("/api/v1/accounts/999/follow", Some(&alice.token), json!({}))
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn locked_accounts_answer_follow_requests() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let reply = server
        .send(
            server
                .client
                .patch(server.url("/api/v1/accounts/update_credentials"))
                .json(&json!({"locked": true})),
            Some(&alice.token),
        )
        .await;
    assert_eq!(reply.json["locked"], true);
    let reply = server
        .post(
            &format!("/api/v1/accounts/{}/follow", alice.id),
            Some(&bob.token),
            json!({}),
        )
        .await;
    assert_eq!(reply.json["following"], false);
    assert_eq!(reply.json["requested"], true);
    server
        .post(
            &format!("/api/v1/accounts/{}/follow", alice.id),
            Some(&carol.token),
            json!({}),
        )
        .await;

    let requests = server
        .get("/api/v1/follow_requests", Some(&alice.token))
        .await;
    assert_eq!(
        ids(&requests.json),
        vec![carol.id.to_string(), bob.id.to_string()]
    );
    let notifications = server
        .get("/api/v1/notifications", Some(&alice.token))
        .await;
    assert_eq!(notifications.json[0]["type"], "follow_request");

    let reply = server
        .post(
            &format!("/api/v1/follow_requests/{}/authorize", bob.id),
            Some(&alice.token),
            json!({}),
        )
        .await;
    assert_eq!(reply.json["followed_by"], true);
    let reply = server
        .post(
            &format!("/api/v1/follow_requests/{}/reject", carol.id),
            Some(&alice.token),
            json!({}),
        )
        .await;
    assert_eq!(reply.json["followed_by"], false);
    assert_eq!(reply.json["requested_by"], false);
    assert!(
        ids(&server
            .get("/api/v1/follow_requests", Some(&alice.token))
            .await
            .json)
        .is_empty()
    );
    let relationship = server
        .get(
            &format!("/api/v1/accounts/relationships?id[]={}", alice.id),
            Some(&bob.token),
        )
        .await;
    assert_eq!(relationship.json[0]["following"], true);
    assert_eq!(relationship.json[0]["requested"], false);
    let again = server
        .post(
            &format!("/api/v1/follow_requests/{}/authorize", carol.id),
            Some(&alice.token),
            json!({}),
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    let (problems, _) = server.app.store.check().unwrap();
    assert!(problems.is_empty(), "{problems:?}");
}
