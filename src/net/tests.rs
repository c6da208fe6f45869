//! The client against small servers on loopback (raw TCP, so a test can lie about lengths,
//! stall, or count connections). No other address is ever contacted.

use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::*;

/// Connections one test server accepts before it stops; no test needs more.
const TEST_CONNECTIONS_MAX: usize = 16;
/// Bytes of a request head the test server reads.
const TEST_REQUEST_HEAD_BYTES_MAX: usize = 16 * 1024;

/// What a test server does with one request.
enum Reply {
    /// Write these bytes, then close.
    Close(Vec<u8>),
    /// Write these bytes, then send nothing more (the task ends with the test).
    Stall(Vec<u8>),
    /// Write the head, then the body one byte at a time, `gap_ms` apart: each read is quick,
    /// the whole is slow (slowloris).
    Trickle {
        head: Vec<u8>,
        body_bytes: usize,
        gap_ms: u64,
    },
}

struct TestServer {
    address: SocketAddr,
    /// Each request head the server read, in order.
    requests: Arc<Mutex<Vec<String>>>,
}

impl TestServer {
    fn url(&self, path: &str) -> Url {
        Url::parse(&format!("http://{}{path}", self.address)).unwrap()
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

/// A server on 127.0.0.1 answering each request with `reply(path)`.
async fn serve(reply: impl Fn(&str) -> Reply + Send + Sync + 'static) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    // Why an `Arc<Mutex>`: the connection tasks record, the test reads.
    let requests = Arc::new(Mutex::new(Vec::new()));
    let recorded = requests.clone();
    // Why an `Arc`: each connection task calls the reply function.
    let reply = Arc::new(reply);
    tokio::spawn(async move {
        for _ in 0..TEST_CONNECTIONS_MAX {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let recorded = recorded.clone();
            let reply = reply.clone();
            tokio::spawn(async move {
                answer(stream, &recorded, &*reply).await;
            });
        }
    });
    TestServer { address, requests }
}

async fn answer(
    mut stream: TcpStream,
    recorded: &Mutex<Vec<String>>,
    reply: &(dyn Fn(&str) -> Reply + Send + Sync),
) {
    let mut head = Vec::new();
    let mut buffer = [0u8; 1024];
    while !head.windows(4).any(|window| window == b"\r\n\r\n") {
        if head.len() > TEST_REQUEST_HEAD_BYTES_MAX {
            return;
        }
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(read) => head.extend_from_slice(&buffer[..read]),
        }
    }
    let head = String::from_utf8_lossy(&head).to_string();
    let path = head.split(' ').nth(1).unwrap_or("/").to_string();
    recorded.lock().unwrap().push(head);
    match reply(&path) {
        Reply::Close(bytes) => {
            let _ = stream.write_all(&bytes).await;
            let _ = stream.shutdown().await;
        }
        Reply::Stall(bytes) => {
            let _ = stream.write_all(&bytes).await;
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
        Reply::Trickle {
            head,
            body_bytes,
            gap_ms,
        } => {
            let _ = stream.write_all(&head).await;
            for _ in 0..body_bytes {
                tokio::time::sleep(Duration::from_millis(gap_ms)).await;
                if stream.write_all(b"x").await.is_err() {
                    return;
                }
            }
        }
    }
}

fn response(status_line: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut bytes = format!("HTTP/1.1 {status_line}\r\nconnection: close\r\n");
    for (name, value) in headers {
        bytes.push_str(&format!("{name}: {value}\r\n"));
    }
    bytes.push_str("\r\n");
    let mut bytes = bytes.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

fn ok_json(body: &[u8]) -> Reply {
    let length = body.len().to_string();
    Reply::Close(response(
        "200 OK",
        &[
            ("content-type", "application/activity+json"),
            ("content-length", &length),
        ],
        body,
    ))
}

fn redirect(location: &str) -> Reply {
    Reply::Close(response(
        "302 Found",
        &[("location", location), ("content-length", "0")],
        b"",
    ))
}

fn client(allow_private_networks: bool, limits: Limits) -> Client {
    Client::new(Settings {
        user_agent: user_agent("https://skerry.test"),
        allow_private_networks,
        limits,
    })
    .unwrap()
}

/// Limits small enough that a stalled server ends a test within a second.
fn short_limits() -> Limits {
    Limits {
        resolve_timeout_ms: 1_000,
        connect_timeout_ms: 1_000,
        read_timeout_ms: 200,
        total_timeout_ms: 600,
        redirects_max: REDIRECTS_MAX,
    }
}

async fn get(client: &Client, url: &Url) -> Result<Fetched, NetError> {
    client
        .get(url, ACCEPT_ACTIVITY_JSON, &HeaderMap::new(), 1024, None)
        .await
}

#[tokio::test]
async fn private_addresses_are_refused_before_any_connection() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let client = client(false, Limits::default());
    assert!(!client.is_permissive());
    let refusals = [
        (format!("http://127.0.0.1:{port}/"), "scheme"),
        (format!("https://127.0.0.1:{port}/"), "address"),
        (format!("https://127.1:{port}/"), "address"),
        (format!("https://[::ffff:127.0.0.1]:{port}/"), "address"),
        (format!("https://localhost:{port}/"), "address"),
    ];
    for (text, why) in &refusals {
        let url = Url::parse(text).unwrap();
        let refused = get(&client, &url).await;
        match (why, &refused) {
            (&"scheme", Err(NetError::SchemeNotAllowed(_))) => {}
            (&"address", Err(NetError::Blocked(address))) => {
                assert!(address.is_loopback() || address.to_string().contains("127.0.0.1"));
            }
            _ => panic!("{text}: {refused:?}"),
        }
        let posted = client
            .post(&url, &HeaderMap::new(), Bytes::from_static(b"{}"), None)
            .await;
        assert!(
            matches!(
                posted,
                Err(NetError::Blocked(_) | NetError::SchemeNotAllowed(_))
            ),
            "{text}: {posted:?}"
        );
    }
    let accepted = tokio::time::timeout(Duration::from_millis(100), listener.accept()).await;
    assert!(accepted.is_err(), "a refused fetch reached the listener");
}

#[tokio::test]
async fn a_permissive_client_fetches_from_loopback_with_its_headers() {
    let server = serve(|_| ok_json(br#"{"id":"x"}"#)).await;
    let client = client(true, Limits::default());
    assert!(client.is_permissive());
    let mut extra = HeaderMap::new();
    extra.insert("x-test", HeaderValue::from_static("yes"));
    let url = server.url("/users/alice");
    let fetched = client
        .get(
            &url,
            ACCEPT_ACTIVITY_JSON,
            &extra,
            JSON_BODY_BYTES_MAX,
            None,
        )
        .await
        .unwrap();
    assert_eq!(fetched.http_status, StatusCode::OK);
    assert_eq!(fetched.final_url, url);
    assert_eq!(&fetched.body[..], br#"{"id":"x"}"#);
    assert!(fetched.content_type().is_some_and(is_activity_json));
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let head = requests[0].to_ascii_lowercase();
    assert!(head.starts_with("get /users/alice http/1.1\r\n"), "{head}");
    assert!(
        head.contains(&format!(
            "accept: {}\r\n",
            ACCEPT_ACTIVITY_JSON.to_ascii_lowercase()
        )),
        "{head}"
    );
    assert!(head.contains("user-agent: skerry/"), "{head}");
    assert!(head.contains("(+https://skerry.test/)"), "{head}");
    assert!(head.contains("x-test: yes\r\n"), "{head}");
    assert!(!head.contains("cookie"), "{head}");
    assert!(!head.contains("accept-encoding"), "{head}");
}

/// `/hop/N` redirects to `/hop/N+1` up to `/hop/<last>`, which answers.
fn hops(last: usize) -> impl Fn(&str) -> Reply + Send + Sync + 'static {
    move |path| {
        let number: usize = path
            .strip_prefix("/hop/")
            .and_then(|number| number.parse().ok())
            .unwrap_or(0);
        if number < last {
            redirect(&format!("/hop/{}", number + 1))
        } else {
            ok_json(b"{}")
        }
    }
}

#[tokio::test]
async fn redirects_are_followed_up_to_the_limit_and_each_hop_is_signed() {
    let server = serve(hops(REDIRECTS_MAX)).await;
    let client = client(true, Limits::default());
    // Why a `Mutex`: the signer is `Fn + Sync` and records each call.
    let signed: Mutex<Vec<(Method, Url)>> = Mutex::new(Vec::new());
    let sign = |method: &Method, url: &Url, headers: &mut HeaderMap| {
        signed.lock().unwrap().push((method.clone(), url.clone()));
        headers.insert("signature", HeaderValue::from_str(url.path()).unwrap());
    };
    let fetched = client
        .get(
            &server.url("/hop/0"),
            ACCEPT_ACTIVITY_JSON,
            &HeaderMap::new(),
            JSON_BODY_BYTES_MAX,
            Some(&sign),
        )
        .await
        .unwrap();
    assert_eq!(fetched.http_status, StatusCode::OK);
    assert_eq!(
        fetched.final_url,
        server.url(&format!("/hop/{REDIRECTS_MAX}"))
    );
    let expected: Vec<(Method, Url)> = (0..=REDIRECTS_MAX)
        .map(|hop| (Method::GET, server.url(&format!("/hop/{hop}"))))
        .collect();
    assert_eq!(*signed.lock().unwrap(), expected);
    let requests = server.requests();
    assert_eq!(requests.len(), REDIRECTS_MAX + 1);
    for (hop, head) in requests.iter().enumerate() {
        assert!(
            head.to_ascii_lowercase()
                .contains(&format!("signature: /hop/{hop}\r\n")),
            "hop {hop} not signed for its own URL: {head}"
        );
    }
}

#[tokio::test]
async fn one_redirect_too_many_is_refused() {
    let server = serve(hops(REDIRECTS_MAX + 1)).await;
    let client = client(true, Limits::default());
    let refused = get(&client, &server.url("/hop/0")).await;
    assert!(
        matches!(refused, Err(NetError::TooManyRedirects(REDIRECTS_MAX))),
        "{refused:?}"
    );
    assert_eq!(server.requests().len(), REDIRECTS_MAX + 1);
}

#[tokio::test]
async fn a_redirect_back_to_a_visited_url_is_a_loop() {
    let server = serve(|path| match path {
        "/a" => redirect("/b"),
        _ => redirect("/a#again"),
    })
    .await;
    let client = client(true, Limits::default());
    let refused = get(&client, &server.url("/a")).await;
    assert!(
        matches!(&refused, Err(NetError::RedirectLoop(url)) if url.path() == "/a"),
        "{refused:?}"
    );
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn a_redirect_hop_is_checked_like_the_first_url() {
    let current = Url::parse("https://social.example/users/a").unwrap();
    let location = |text: &'static str| HeaderValue::from_static(text);
    let visited = [current.clone()];
    let next = next_hop(&current, &location("/users/b"), &visited, false).unwrap();
    assert_eq!(next.as_str(), "https://social.example/users/b");
    let blocked = [
        "https://127.0.0.1/",
        "https://[::1]/admin",
        "https://169.254.169.254/latest/meta-data/",
        "https://0.0.0.0:8080/",
        "https://[::ffff:10.0.0.1]/",
        "https://192.168.1.1/",
    ];
    for text in blocked {
        let refused = next_hop(&current, &location(text), &visited, false);
        assert!(
            matches!(refused, Err(NetError::Blocked(_))),
            "{text}: {refused:?}"
        );
    }
    // A downgrade to http is refused unless private networks are allowed.
    let refused = next_hop(
        &current,
        &location("http://social.example/"),
        &visited,
        false,
    );
    assert!(matches!(refused, Err(NetError::SchemeNotAllowed(_))));
    let refused = next_hop(
        &current,
        &location("https://u:p@social.example/"),
        &visited,
        false,
    );
    assert!(matches!(refused, Err(NetError::InvalidUrl(_))));
    let refused = next_hop(&current, &location("/users/a"), &visited, false);
    assert!(matches!(refused, Err(NetError::RedirectLoop(_))));
}

#[tokio::test]
async fn a_post_does_not_follow_a_redirect_and_is_signed_once() {
    let server = serve(|_| redirect("/elsewhere")).await;
    let client = client(true, Limits::default());
    let signed = Mutex::new(Vec::new());
    let sign = |method: &Method, url: &Url, _: &mut HeaderMap| {
        signed.lock().unwrap().push((method.clone(), url.clone()));
    };
    let url = server.url("/inbox");
    let posted = client
        .post(
            &url,
            &HeaderMap::new(),
            Bytes::from_static(b"{}"),
            Some(&sign),
        )
        .await
        .unwrap();
    assert_eq!(posted.http_status, StatusCode::FOUND);
    assert_eq!(*signed.lock().unwrap(), vec![(Method::POST, url)]);
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_post_keeps_only_the_start_of_a_long_response() {
    let body = vec![b'e'; POST_RESPONSE_BYTES_MAX + 10];
    let server =
        serve(move |_| Reply::Close(response("500 Internal Server Error", &[], &body))).await;
    let client = client(true, Limits::default());
    let posted = client
        .post(&server.url("/inbox"), &HeaderMap::new(), Bytes::new(), None)
        .await
        .unwrap();
    assert_eq!(posted.http_status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(posted.body.len(), POST_RESPONSE_BYTES_MAX);
}

#[tokio::test]
async fn a_body_over_the_cap_is_too_large_however_its_length_is_told() {
    let cap = 1024;
    let body = vec![b'a'; cap + 1];
    let chunked = {
        let mut bytes = response("200 OK", &[("transfer-encoding", "chunked")], b"");
        bytes.extend_from_slice(format!("{:x}\r\n", body.len()).as_bytes());
        bytes.extend_from_slice(&body);
        bytes.extend_from_slice(b"\r\n0\r\n\r\n");
        bytes
    };
    let announced = response("200 OK", &[("content-length", "1025")], &body);
    // No length: the body ends when the connection closes.
    let unannounced = response("200 OK", &[], &body);
    // A length far above the cap, and then nothing: refused without waiting for the body.
    let overstated = response("200 OK", &[("content-length", "10000000")], b"");
    let server = serve(move |path| match path {
        "/chunked" => Reply::Close(chunked.clone()),
        "/announced" => Reply::Close(announced.clone()),
        "/unannounced" => Reply::Close(unannounced.clone()),
        _ => Reply::Stall(overstated.clone()),
    })
    .await;
    let client = client(true, short_limits());
    for path in ["/chunked", "/announced", "/unannounced", "/overstated"] {
        let refused = client
            .get(&server.url(path), ACCEPT_JSON, &HeaderMap::new(), cap, None)
            .await;
        assert!(
            matches!(refused, Err(NetError::TooLarge { bytes_max }) if bytes_max == cap),
            "{path}: {refused:?}"
        );
    }
    // Exactly at the cap is fine.
    let at_cap = client
        .get(
            &server.url("/announced"),
            ACCEPT_JSON,
            &HeaderMap::new(),
            cap + 1,
            None,
        )
        .await
        .unwrap();
    assert_eq!(at_cap.body.len(), cap + 1);
}

#[tokio::test]
async fn a_stalled_or_trickling_server_times_out_within_the_limit() {
    let head = response("200 OK", &[("content-length", "100")], b"");
    let trickle_head = head.clone();
    let server = serve(move |path| match path {
        "/stall" => Reply::Stall(head.clone()),
        _ => Reply::Trickle {
            head: trickle_head.clone(),
            body_bytes: 100,
            gap_ms: 50,
        },
    })
    .await;
    let limits = short_limits();
    let total_timeout_ms = limits.total_timeout_ms;
    let client = client(true, limits);
    for path in ["/stall", "/trickle"] {
        let started = Instant::now();
        let refused = get(&client, &server.url(path)).await;
        let elapsed = started.elapsed();
        assert!(
            matches!(refused, Err(NetError::Timeout)),
            "{path}: {refused:?}"
        );
        assert!(
            elapsed < Duration::from_millis(total_timeout_ms + 400),
            "{path}: took {elapsed:?}"
        );
    }
}

#[test]
fn the_client_builds_with_the_default_settings_of_a_server() {
    let config = Config::default();
    let settings = Settings::from_config(&config);
    assert!(!settings.allow_private_networks);
    assert_eq!(
        settings.user_agent,
        format!(
            "Skerry/{} (+http://localhost:8080/)",
            env!("CARGO_PKG_VERSION")
        )
    );
    let client = Client::new(settings).unwrap();
    assert!(!client.is_permissive());
}
