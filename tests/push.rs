use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use serde_json::{Value, json};
use skerry::sig::webpush::Subscriber;

use crate::rig::{Server, User};

type Received = Arc<Mutex<Vec<(String, axum::http::HeaderMap, Vec<u8>)>>>;

/// A push service on loopback: `/ok/*` accepts (201), `/gone/*` answers 410.
async fn push_service() -> (String, Received, tokio::sync::oneshot::Sender<()>) {
    use axum::routing::post;
    let received: Received = Default::default();
    let store = received.clone();
    let router = axum::Router::new().route(
        "/{kind}/{id}",
        post(
            move |axum::extract::Path((kind, id)): axum::extract::Path<(String, String)>,
                  headers: axum::http::HeaderMap,
                  body: axum::body::Bytes| {
                let store = store.clone();
                async move {
                    store
                        .lock()
                        .unwrap()
                        .push((format!("{kind}/{id}"), headers, body.to_vec()));
                    if kind == "gone" {
                        axum::http::StatusCode::GONE
                    } else {
                        axum::http::StatusCode::CREATED
                    }
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
    (base, received, shutdown)
}

async fn subscribe(
    server: &Server,
    user: &User,
    endpoint: &str,
    subscriber: &Subscriber,
    data: Value,
) -> crate::rig::Reply {
    server
        .post(
            "/api/v1/push/subscription",
            Some(&user.token),
            json!({
                "subscription": {
                    "endpoint": endpoint,
                    "keys": {
                        "p256dh": URL_SAFE_NO_PAD.encode(&subscriber.public),
                        "auth": URL_SAFE_NO_PAD.encode(subscriber.auth_secret),
                    }
                },
                "data": data,
            }),
        )
        .await
}

/// Waits until the push service has received `count` pushes.
async fn wait_for(
    received: &Received,
    count: usize,
) -> Vec<(String, axum::http::HeaderMap, Vec<u8>)> {
    for _ in 0..100 {
        let found = received.lock().unwrap().clone();
        if found.len() >= count {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{count} pushes did not arrive");
}

#[tokio::test]
async fn push_subscriptions_deliver_encrypted_signed_messages() {
    let (base, received, _service) = push_service().await;
    let server = Server::start_with(&[("SKERRY_FEDERATION_ALLOW_PRIVATE_NETWORKS", "true")]).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let subscriber = Subscriber::generate().unwrap();

    assert_eq!(
        server
            .get("/api/v1/push/subscription", Some(&alice.token))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let vapid =
        server.get("/api/v2/instance", None).await.json["configuration"]["vapid"]["public_key"]
            .as_str()
            .unwrap()
            .to_string();
    assert_eq!(URL_SAFE_NO_PAD.decode(&vapid).unwrap().len(), 65);
    for bad in [
        json!({"subscription": {"endpoint": "ftp://x.example/1", "keys": {"p256dh": URL_SAFE_NO_PAD.encode(&subscriber.public), "auth": URL_SAFE_NO_PAD.encode(subscriber.auth_secret)}}}),
        json!({"subscription": {"endpoint": format!("{base}/ok/1"), "keys": {"p256dh": "AAAA", "auth": URL_SAFE_NO_PAD.encode(subscriber.auth_secret)}}}),
        json!({"subscription": {"endpoint": format!("{base}/ok/1")}}),
    ] {
        let reply = server
            .post("/api/v1/push/subscription", Some(&alice.token), bad.clone())
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    let created = subscribe(
        &server,
        &alice,
        &format!("{base}/ok/1"),
        &subscriber,
        json!({"alerts": {"favourite": true, "mention": "true", "follow": false}, "policy": "all"}),
    )
    .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.json);
    assert!(created.json["id"].is_string());
    assert_eq!(created.json["alerts"]["favourite"], true);
    assert_eq!(created.json["alerts"]["mention"], true);
    assert_eq!(created.json["alerts"]["follow"], false);
    assert_eq!(created.json["server_key"], vapid.as_str());
    assert_eq!(
        server
            .get("/api/v1/push/subscription", Some(&alice.token))
            .await
            .json["endpoint"],
        format!("{base}/ok/1")
    );

    // A follow (its alert is off) pushes nothing; a favourite does.
    let status = server.post_status(&alice, "push me").await;
    server
        .post(
            &format!("/api/v1/accounts/{}/follow", alice.id),
            Some(&bob.token),
            json!({}),
        )
        .await;
    server
        .post(
            &format!("/api/v1/statuses/{status}/favourite"),
            Some(&bob.token),
            json!({}),
        )
        .await;
    let pushes = wait_for(&received, 1).await;
    let (path, headers, body) = &pushes[0];
    assert_eq!(path, "ok/1");
    assert_eq!(headers["content-encoding"], "aes128gcm");
    assert!(headers["ttl"].to_str().unwrap().parse::<u64>().unwrap() > 0);
    let message: Value = serde_json::from_slice(&subscriber.decrypt(body).unwrap()).unwrap();
    assert_eq!(message["notification_type"], "favourite");
    assert_eq!(message["body"], "push me");
    // The payload carries the subscription's token, with which the app reads the notification.
    assert_eq!(message["access_token"], alice.token.as_str());
    let notifications = server
        .get("/api/v1/notifications", Some(&alice.token))
        .await;
    let favourite = notifications
        .json
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["type"] == "favourite")
        .unwrap();
    assert_eq!(message["notification_id"], favourite["id"]);
    // The VAPID JWT is signed by the key the instance publishes, for this push service.
    let authorization = headers["authorization"].to_str().unwrap();
    let (jwt, key) = authorization
        .strip_prefix("vapid t=")
        .unwrap()
        .split_once(", k=")
        .unwrap();
    assert_eq!(key, vapid);
    let (signed, signature) = jwt.rsplit_once('.').unwrap();
    aws_lc_rs::signature::UnparsedPublicKey::new(
        &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED,
        URL_SAFE_NO_PAD.decode(key).unwrap(),
    )
    .verify(
        signed.as_bytes(),
        &URL_SAFE_NO_PAD.decode(signature).unwrap(),
    )
    .unwrap();
    let claims: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(signed.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["aud"], base.as_str());

    // Policy `none` stops pushes; the update keeps the alerts.
    let updated = server
        .send(
            server
                .client
                .put(server.url("/api/v1/push/subscription"))
                .json(&json!({"data": {"policy": "none"}})),
            Some(&alice.token),
        )
        .await;
    assert_eq!(updated.json["policy"], "none");
    assert_eq!(updated.json["alerts"]["favourite"], true);
    server.post_status(&bob, "@alice hello").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        received.lock().unwrap().len(),
        1,
        "policy none pushes nothing"
    );

    // A push service that answers 410 ends the subscription.
    let gone = subscribe(
        &server,
        &alice,
        &format!("{base}/gone/2"),
        &subscriber,
        json!({"alerts": {"mention": true}}),
    )
    .await;
    assert_eq!(gone.status, StatusCode::OK);
    server.post_status(&bob, "@alice again").await;
    wait_for(&received, 2).await;
    for _ in 0..50 {
        if server
            .get("/api/v1/push/subscription", Some(&alice.token))
            .await
            .status
            == StatusCode::NOT_FOUND
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        server
            .get("/api/v1/push/subscription", Some(&alice.token))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Delete, and the push scope is required.
    subscribe(
        &server,
        &alice,
        &format!("{base}/ok/3"),
        &subscriber,
        json!({}),
    )
    .await;
    let deleted = server
        .send(
            server
                .client
                .delete(server.url("/api/v1/push/subscription")),
            Some(&alice.token),
        )
        .await;
    assert_eq!(deleted.json, json!({}));
    let no_push = server.user_with_scopes("reader", "read write").await;
    let forbidden = subscribe(
        &server,
        &no_push,
        &format!("{base}/ok/4"),
        &subscriber,
        json!({}),
    )
    .await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
}
