use reqwest::StatusCode;
use serde_json::json;

use crate::rig::Server;

#[tokio::test]
async fn malformed_oversized_and_unknown_requests_get_mastodon_errors() {
    let server = Server::start_with(&[("SKERRY_SERVER_REQUEST_BODY_BYTES_MAX", "4096")]).await;
    let alice = server.user("alice").await;
    let request = server
        .client
        .post(server.url("/api/v1/statuses"))
        .header("content-type", "application/json")
        .body("{\"status\": ");
    let reply = server.send(request, Some(&alice.token)).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        reply.json["error"]
            .as_str()
            .unwrap()
            .starts_with("Error occurred while parsing request parameters")
    );

    let big = json!({"status": "x".repeat(5000)});
    let reply = server
        .post("/api/v1/statuses", Some(&alice.token), big)
        .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.json["error"], "The request body is too large");

    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    let request = server
        .client
        .post(server.url("/api/v1/statuses"))
        .header("content-type", "application/json")
        .body(deep);
    assert_eq!(
        server.send(request, Some(&alice.token)).await.status,
        StatusCode::BAD_REQUEST
    );

    let reply = server
        .post(
            "/api/v1/statuses",
            Some(&alice.token),
            json!({"status": ["not", "a", "string"]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Rails accepts a trailing slash, so clients send one.
    let reply = server.get("/api/v1/instance/", None).await;
    assert_eq!(reply.status, StatusCode::OK);
    let reply = server
        .get("/api/v1/accounts/lookup/?acct=alice", None)
        .await;
    assert_eq!(reply.json["username"], "alice");

    let reply = server.get("/api/v1/nothing/here", None).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.json["error"], "Record not found");
    assert_eq!(reply.headers["x-content-type-options"], "nosniff");
    let reply = server
        .send(
            server.client.delete(server.url("/api/v1/statuses")),
            Some(&alice.token),
        )
        .await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    let reply = server
        .send(
            server
                .client
                .get(server.url("/api/v1/timelines/home"))
                .header("authorization", "Basic abc"),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn health_readiness_metrics_and_default_avatar() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    server.post_status(&alice, "counted").await;
    for path in ["/health", "/livez", "/readyz"] {
        let reply = server.get(path, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert_eq!(reply.json, "OK");
    }
    let metrics = server.get("/metrics", None).await;
    let text = metrics.json.as_str().unwrap();
    assert!(text.contains("skerry_statuses_created_total 1"), "{text}");
    assert!(text.contains("skerry_local_users 1"));
    assert!(text.contains("skerry_http_responses_total{class=\"2xx\"}"));
    let gauge = |name: &str| -> u64 {
        let line = text
            .lines()
            .find(|line| line.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no {name} in {text}"));
        line[name.len() + 1..].parse().unwrap()
    };
    // The file's length counts the hole redb leaves when it grows the file; its disk use
    // counts the blocks written, never more than the length rounded up to a block.
    let (length, disk) = (
        gauge("skerry_database_file_bytes"),
        gauge("skerry_database_disk_bytes"),
    );
    assert!(length > 0 && disk > 0, "{length} {disk}");
    assert!(disk <= length.next_multiple_of(4096), "{length} {disk}");
    let avatar = server
        .client
        .get(server.url("/avatars/original/missing.png"))
        .send()
        .await
        .unwrap();
    assert_eq!(avatar.headers()["content-type"], "image/png");
    assert!(avatar.bytes().await.unwrap().starts_with(b"\x89PNG"));
}

#[tokio::test]
async fn slow_headers_are_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = Server::start_with(&[("SKERRY_SERVER_HEADER_READ_TIMEOUT_MS", "300")]).await;
    let address = server.base.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    // Never finish the headers: the server must close the connection by itself.
    let mut buffer = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut buffer),
    )
    .await;
    assert!(
        read.is_ok(),
        "the server kept a connection with unfinished headers open"
    );
}

#[tokio::test]
async fn api_requests_are_rate_limited_per_client_address() {
    let server = Server::start_with(&[
        ("SKERRY_LIMITS_API_REQUESTS_PER_5MIN_PER_IP", "3"),
        ("SKERRY_LIMITS_RATE_LIMITS_EXEMPT_LOOPBACK", "false"),
    ])
    .await;
    for _ in 0..3 {
        assert_eq!(
            server.get("/api/v1/instance", None).await.status,
            StatusCode::OK
        );
    }
    let reply = server.get("/api/v1/instance", None).await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(reply.json["error"], "Too many requests");
    assert_eq!(reply.headers["x-ratelimit-limit"], "3");
    assert_eq!(reply.headers["x-ratelimit-remaining"], "0");
    assert!(
        reply.headers["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            <= 300
    );
    // Health checks are not API requests.
    assert_eq!(server.get("/health", None).await.status, StatusCode::OK);
    // Behind the (trusted, loopback) proxy, each forwarded client has its own budget.
    let forwarded = server
        .client
        .get(server.url("/api/v1/instance"))
        .header("x-forwarded-for", "203.0.113.5");
    assert_eq!(server.send(forwarded, None).await.status, StatusCode::OK);
}
