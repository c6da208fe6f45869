use reqwest::StatusCode;
use serde_json::json;

use crate::rig::{Server, ids};

async fn follow(server: &Server, follower: &crate::rig::User, followee: &crate::rig::User) {
    let reply = server
        .post(
            &format!("/api/v1/accounts/{}/follow", followee.id),
            Some(&follower.token),
            json!({}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
}

#[tokio::test]
async fn lists_crud_members_validation_and_scopes() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    follow(&server, &alice, &bob).await;

    let created = server
        .post(
            "/api/v1/lists",
            Some(&alice.token),
            json!({"title": "Friends"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.json);
    assert_eq!(created.json["title"], "Friends");
    assert_eq!(created.json["replies_policy"], "list");
    assert_eq!(created.json["exclusive"], false);
    let id = created.json["id"].as_str().unwrap().to_string();

    for bad in [
        json!({"title": ""}),
        json!({"title": "x".repeat(300)}),
        json!({"title": "ok", "replies_policy": "everyone"}),
    ] {
        let reply = server
            .post("/api/v1/lists", Some(&alice.token), bad.clone())
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }

    let updated = server
        .send(
            server
                .client
                .put(server.url(&format!("/api/v1/lists/{id}")))
                .json(&json!({"title": "Close", "replies_policy": "none", "exclusive": "true"})),
            Some(&alice.token),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.json);
    assert_eq!(updated.json["title"], "Close");
    assert_eq!(updated.json["replies_policy"], "none");
    assert_eq!(updated.json["exclusive"], true);

    // Members: only followed accounts; forms with `account_ids[]`.
    let added = server
        .post_form(
            &format!("/api/v1/lists/{id}/accounts"),
            Some(&alice.token),
            &[("account_ids[]", &bob.id.to_string())],
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.json);
    let not_followed = server
        .post(
            &format!("/api/v1/lists/{id}/accounts"),
            Some(&alice.token),
            json!({"account_ids": [carol.id.to_string()]}),
        )
        .await;
    assert_eq!(not_followed.status, StatusCode::UNPROCESSABLE_ENTITY);
    let members = server
        .get(&format!("/api/v1/lists/{id}/accounts"), Some(&alice.token))
        .await;
    assert_eq!(ids(&members.json), vec![bob.id.to_string()]);
    let of_bob = server
        .get(
            &format!("/api/v1/accounts/{}/lists", bob.id),
            Some(&alice.token),
        )
        .await;
    assert_eq!(ids(&of_bob.json), vec![id.clone()]);

    // Someone else's list is not found.
    let foreign = server
        .get(&format!("/api/v1/lists/{id}"), Some(&carol.token))
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);

    // Scopes.
    let reader = server.user_with_scopes("reader", "read:lists").await;
    let writer = server.user_with_scopes("writer", "write:lists").await;
    let statuses_only = server.user_with_scopes("other", "read:statuses").await;
    assert_eq!(
        server
            .post("/api/v1/lists", Some(&reader.token), json!({"title": "x"}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        server
            .get("/api/v1/lists", Some(&writer.token))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        server
            .get("/api/v1/lists", Some(&statuses_only.token))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        server
            .get("/api/v1/lists", Some(&reader.token))
            .await
            .status,
        StatusCode::OK
    );

    // Unfollowing ends membership; deleting removes the list.
    server
        .post(
            &format!("/api/v1/accounts/{}/unfollow", bob.id),
            Some(&alice.token),
            json!({}),
        )
        .await;
    let members = server
        .get(&format!("/api/v1/lists/{id}/accounts"), Some(&alice.token))
        .await;
    assert_eq!(ids(&members.json), Vec::<String>::new());
    let deleted = server
        .send(
            server
                .client
                .delete(server.url(&format!("/api/v1/lists/{id}"))),
            Some(&alice.token),
        )
        .await;
    assert_eq!(deleted.status, StatusCode::OK);
    let lists = server.get("/api/v1/lists", Some(&alice.token)).await;
    assert_eq!(lists.json, json!([]));
    let (problems, _) = server.app.store.check().unwrap();
    assert!(problems.is_empty(), "{problems:?}");
}

#[tokio::test]
async fn list_timeline_pages_applies_replies_policy_and_exclusive_lists_leave_home() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let dave = server.user("dave").await;
    follow(&server, &alice, &bob).await;
    follow(&server, &alice, &carol).await;
    let list = server
        .post("/api/v1/lists", Some(&alice.token), json!({"title": "Bob"}))
        .await;
    let id = list.json["id"].as_str().unwrap().to_string();
    server
        .post(
            &format!("/api/v1/lists/{id}/accounts"),
            Some(&alice.token),
            json!({"account_ids": [bob.id.to_string()]}),
        )
        .await;

    let mut bobs = Vec::new();
    for index in 0..5 {
        bobs.push(server.post_status(&bob, &format!("bob {index}")).await);
    }
    let carols = server.post_status(&carol, "carol").await;
    let dave_post = server.post_status(&dave, "dave").await;
    // A reply to dave (not in the list, not followed) stays out under the `list` policy.
    let reply = server
        .post(
            "/api/v1/statuses",
            Some(&bob.token),
            json!({"status": "@dave hi", "in_reply_to_id": dave_post}),
        )
        .await;
    let reply_id = reply.json["id"].as_str().unwrap().to_string();
    bobs.reverse();

    let first = server
        .get(
            &format!("/api/v1/timelines/list/{id}?limit=3"),
            Some(&alice.token),
        )
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.json);
    assert_eq!(ids(&first.json), bobs[0..3]);
    let next = first.link("next").unwrap();
    let second = server
        .send(server.client.get(&next), Some(&alice.token))
        .await;
    assert_eq!(ids(&second.json), bobs[3..5]);
    let min = server
        .get(
            &format!("/api/v1/timelines/list/{id}?min_id={}&limit=2", bobs[4]),
            Some(&alice.token),
        )
        .await;
    assert_eq!(ids(&min.json), bobs[2..4]);

    // `followed` shows replies to followed accounts only; dave is not followed.
    server
        .send(
            server
                .client
                .put(server.url(&format!("/api/v1/lists/{id}")))
                .json(&json!({"replies_policy": "followed"})),
            Some(&alice.token),
        )
        .await;
    let all = server
        .get(&format!("/api/v1/timelines/list/{id}"), Some(&alice.token))
        .await;
    assert!(!ids(&all.json).contains(&reply_id));
    follow(&server, &alice, &dave).await;
    let all = server
        .get(&format!("/api/v1/timelines/list/{id}"), Some(&alice.token))
        .await;
    assert!(ids(&all.json).contains(&reply_id));

    // Muting bob hides him from the list timeline too.
    server
        .post(
            &format!("/api/v1/accounts/{}/mute", bob.id),
            Some(&alice.token),
            json!({}),
        )
        .await;
    let muted = server
        .get(&format!("/api/v1/timelines/list/{id}"), Some(&alice.token))
        .await;
    assert_eq!(ids(&muted.json), Vec::<String>::new());
    server
        .post(
            &format!("/api/v1/accounts/{}/unmute", bob.id),
            Some(&alice.token),
            json!({}),
        )
        .await;

    // Exclusive: bob's new statuses stay out of alice's home, carol's still arrive.
    server
        .send(
            server
                .client
                .put(server.url(&format!("/api/v1/lists/{id}")))
                .json(&json!({"exclusive": true})),
            Some(&alice.token),
        )
        .await;
    let hidden = server.post_status(&bob, "only in the list").await;
    let home = server
        .get("/api/v1/timelines/home", Some(&alice.token))
        .await;
    let home_ids = ids(&home.json);
    assert!(!home_ids.contains(&hidden));
    assert!(home_ids.contains(&carols));
    let listed = server
        .get(&format!("/api/v1/timelines/list/{id}"), Some(&alice.token))
        .await;
    assert_eq!(ids(&listed.json)[0], hidden);

    // Another account's list timeline is not found.
    let foreign = server
        .get(&format!("/api/v1/timelines/list/{id}"), Some(&carol.token))
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    let (problems, _) = server.app.store.check().unwrap();
    assert!(problems.is_empty(), "{problems:?}");
}
