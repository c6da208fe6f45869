use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::rig::{Reply, Server, User, ids};

async fn set_policy(server: &Server, user: &User, body: Value) -> Reply {
    server
        .send(
            server
                .client
                .patch(server.url("/api/v2/notifications/policy"))
                .json(&body),
            Some(&user.token),
        )
        .await
}

async fn ok(server: &Server, user: &User, path: &str) -> Value {
    let reply = server.get(path, Some(&user.token)).await;
    assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.json);
    reply.json
}

async fn post_ok(server: &Server, user: &User, path: &str, body: Value) -> Value {
    let reply = server.post(path, Some(&user.token), body).await;
    assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.json);
    reply.json
}

#[tokio::test]
async fn filtered_notifications_wait_in_requests_and_dropped_ones_are_not_kept() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let dave = server.user("dave").await;

    // Mastodon's defaults; an unknown value is refused.
    let policy = ok(&server, &alice, "/api/v2/notifications/policy").await;
    assert_eq!(policy["for_not_following"], "accept");
    assert_eq!(policy["for_private_mentions"], "filter");
    assert_eq!(policy["for_limited_accounts"], "filter");
    assert_eq!(
        policy["summary"],
        json!({"pending_requests_count": 0, "pending_notifications_count": 0})
    );
    let refused = set_policy(&server, &alice, json!({"for_not_following": "maybe"})).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let updated = set_policy(
        &server,
        &alice,
        json!({"for_not_following": "filter", "for_not_followers": "drop"}),
    )
    .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.json);
    assert_eq!(updated.json["for_not_following"], "filter");
    assert_eq!(updated.json["for_not_followers"], "drop");
    assert_eq!(updated.json["for_new_accounts"], "accept");
    let v1 = ok(&server, &alice, "/api/v1/notifications/policy").await;
    assert_eq!(v1["filter_not_following"], true);
    assert_eq!(v1["filter_new_accounts"], false);

    // Bob follows Alice (not followed back): filtered. Carol does not follow her: dropped.
    let status = server.post_status(&alice, "notice me").await;
    post_ok(
        &server,
        &bob,
        &format!("/api/v1/accounts/{}/follow", alice.id),
        json!({}),
    )
    .await;
    post_ok(
        &server,
        &bob,
        &format!("/api/v1/statuses/{status}/favourite"),
        json!({}),
    )
    .await;
    post_ok(
        &server,
        &carol,
        &format!("/api/v1/statuses/{status}/favourite"),
        json!({}),
    )
    .await;
    assert_eq!(
        ok(&server, &alice, "/api/v1/notifications").await,
        json!([])
    );
    assert_eq!(
        ok(&server, &alice, "/api/v1/notifications/unread_count").await["count"],
        0
    );
    assert_eq!(
        ok(&server, &alice, "/api/v2/notifications").await["notification_groups"],
        json!([])
    );
    let requests = ok(&server, &alice, "/api/v1/notifications/requests").await;
    assert_eq!(requests.as_array().unwrap().len(), 1, "{requests}");
    let request = &requests[0];
    assert_eq!(request["account"]["id"], bob.id.to_string());
    assert_eq!(request["notifications_count"], "2");
    assert_eq!(request["last_status"]["id"], status.as_str());
    assert!(request["id"].is_string() && request["updated_at"].is_string());
    let request_id = request["id"].as_str().unwrap().to_string();
    assert_eq!(
        ok(
            &server,
            &alice,
            &format!("/api/v1/notifications/requests/{request_id}")
        )
        .await["account"]["username"],
        "bob"
    );
    let summary = ok(&server, &alice, "/api/v2/notifications/policy").await["summary"].clone();
    assert_eq!(
        summary,
        json!({"pending_requests_count": 1, "pending_notifications_count": 2})
    );
    // A request's notifications are listed by sender, or with `include_filtered`.
    let of_bob = ok(
        &server,
        &alice,
        &format!("/api/v1/notifications?account_id={}", bob.id),
    )
    .await;
    let kinds: Vec<&str> = of_bob
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["favourite", "follow"]);
    let included = ok(
        &server,
        &alice,
        "/api/v1/notifications?include_filtered=true",
    )
    .await;
    assert_eq!(ids(&included), ids(&of_bob));
    let one = ok(
        &server,
        &alice,
        &format!(
            "/api/v1/notifications/{}",
            of_bob[0]["id"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(one["type"], "favourite");

    // Accepting moves them into the list; Bob's later notifications skip the policy.
    assert_eq!(
        server
            .post(
                "/api/v1/notifications/requests/1/accept",
                Some(&alice.token),
                json!({})
            )
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    post_ok(
        &server,
        &alice,
        &format!("/api/v1/notifications/requests/{request_id}/accept"),
        json!({}),
    )
    .await;
    assert_eq!(
        ok(&server, &alice, "/api/v1/notifications/requests").await,
        json!([])
    );
    assert_eq!(
        ok(&server, &alice, "/api/v1/notifications/requests/merged").await["merged"],
        true
    );
    assert_eq!(
        ids(&ok(&server, &alice, "/api/v1/notifications").await),
        ids(&of_bob)
    );
    post_ok(
        &server,
        &bob,
        &format!("/api/v1/statuses/{status}/reblog"),
        json!({}),
    )
    .await;
    let listed = ok(&server, &alice, "/api/v1/notifications").await;
    assert_eq!(listed[0]["type"], "reblog");
    assert_eq!(listed.as_array().unwrap().len(), 3);
    assert_eq!(
        ok(&server, &alice, "/api/v1/notifications/unread_count").await["count"],
        3
    );
    let groups = ok(&server, &alice, "/api/v2/notifications").await;
    assert_eq!(groups["notification_groups"].as_array().unwrap().len(), 3);

    // Dismissing (in bulk) deletes a request with its notifications.
    post_ok(
        &server,
        &dave,
        &format!("/api/v1/accounts/{}/follow", alice.id),
        json!({}),
    )
    .await;
    let requests = ok(&server, &alice, "/api/v1/notifications/requests").await;
    assert_eq!(requests[0]["account"]["username"], "dave");
    let dismissed = server
        .post_form(
            "/api/v1/notifications/requests/dismiss",
            Some(&alice.token),
            &[
                ("id[]", requests[0]["id"].as_str().unwrap()),
                ("id[]", "12345"),
            ],
        )
        .await;
    assert_eq!(dismissed.status, StatusCode::OK, "{}", dismissed.json);
    assert_eq!(
        ok(&server, &alice, "/api/v1/notifications/requests").await,
        json!([])
    );
    assert_eq!(
        ok(
            &server,
            &alice,
            &format!("/api/v1/notifications?account_id={}", dave.id)
        )
        .await,
        json!([])
    );
}

#[tokio::test]
async fn unsolicited_private_mentions_are_filtered_by_default() {
    let server = Server::start().await;
    let frank = server.user("frank").await;
    let eve = server.user("eve").await;
    let direct = server
        .post(
            "/api/v1/statuses",
            Some(&eve.token),
            json!({"status": "@frank psst", "visibility": "direct"}),
        )
        .await;
    assert_eq!(direct.status, StatusCode::OK, "{}", direct.json);
    assert_eq!(
        ok(&server, &frank, "/api/v1/notifications").await,
        json!([])
    );
    let requests = ok(&server, &frank, "/api/v1/notifications/requests").await;
    assert_eq!(requests[0]["last_status"]["id"], direct.json["id"]);
    // A public mention is not a private one: it is accepted.
    server.post_status(&eve, "@frank hello in public").await;
    let listed = ok(&server, &frank, "/api/v1/notifications").await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["type"], "mention");
    // With `accept`, private mentions come through too.
    set_policy(&server, &frank, json!({"for_private_mentions": "accept"})).await;
    server
        .post(
            "/api/v1/statuses",
            Some(&eve.token),
            json!({"status": "@frank again", "visibility": "direct"}),
        )
        .await;
    assert_eq!(
        ok(&server, &frank, "/api/v1/notifications")
            .await
            .as_array()
            .unwrap()
            .len(),
        2
    );
}
