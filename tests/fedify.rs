//! Fedify (npm `@fedify/fedify` 2.3.6, an ActivityPub library nobody here wrote) against a
//! running `skerry serve`: its client reads our documents (`tests/compat/fedify/lookup.mjs`),
//! and a small Fedify server (`inbox.mjs`) verifies what we deliver and answers it. The npm
//! packages are installed by tools/test.sh; without them this test fails (no skip).
//!
//! Network: loopback only. Every wait is bounded (see `PATIENCE` and the timeouts below).

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::compat::{create_account, free_port, skerry, wait_until_serving};

/// How long one step (a delivery, an answer) may take before the test fails.
const PATIENCE: Duration = Duration::from_secs(30);

fn scripts() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/compat/fedify"))
}

/// The directory of the scripts, after checking that node and Fedify are there.
fn fedify_checkout() -> PathBuf {
    let directory = scripts();
    assert!(
        directory
            .join("node_modules/@fedify/fedify/package.json")
            .exists(),
        "Fedify is needed: run tools/test.sh (it runs `npm ci --prefix tests/compat/fedify`), \
         or run that npm command yourself"
    );
    directory
}

/// The JSON lines a script printed (other lines are kept as strings).
fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| Value::String(line.into())))
        .collect()
}

/// A running `node inbox.mjs`: its stdout lines as they come, and its stderr.
struct FedifyServer {
    child: tokio::process::Child,
    lines: Arc<Mutex<Vec<Value>>>,
    stderr: Arc<Mutex<String>>,
}

impl FedifyServer {
    async fn start(directory: &std::path::Path, port: u16) -> FedifyServer {
        let mut child = Command::new("node")
            .arg("inbox.mjs")
            .arg(port.to_string())
            .current_dir(directory)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("node is on PATH");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
        let sink = lines.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = out.next_line().await {
                sink.lock().unwrap().extend(json_lines(&line));
            }
        });
        let mut err = BufReader::new(child.stderr.take().unwrap()).lines();
        let sink = stderr.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = err.next_line().await {
                let mut text = sink.lock().unwrap();
                if text.len() < 64 * 1024 {
                    text.push_str(&line);
                    text.push('\n');
                }
            }
        });
        let server = FedifyServer {
            child,
            lines,
            stderr,
        };
        server
            .wait_for("the Fedify server listening", |line| {
                line.get("listening").is_some()
            })
            .await;
        server
    }

    fn transcript(&self) -> String {
        let lines = self.lines.lock().unwrap();
        let stdout: Vec<String> = lines.iter().map(Value::to_string).collect();
        format!(
            "stdout:\n{}\nstderr:\n{}",
            stdout.join("\n"),
            self.stderr.lock().unwrap()
        )
    }

    fn find(&self, matches: impl Fn(&Value) -> bool) -> Option<Value> {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .find(|line| matches(line))
            .cloned()
    }

    /// The first line that `matches`, waiting for it at most `PATIENCE`.
    async fn wait_for(&self, what: &str, matches: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if let Some(line) = self.find(&matches) {
                return line;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "gave up waiting for: {what}\n{}",
                self.transcript()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// A client for the Skerry API with a bearer token.
struct Api {
    base: String,
    token: String,
    client: reqwest::Client,
}

impl Api {
    async fn call(&self, request: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let response = request.bearer_auth(&self.token).send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn get(&self, path: &str) -> Value {
        let (status, json) = self
            .call(self.client.get(format!("{}{path}", self.base)))
            .await;
        assert_eq!(status, StatusCode::OK, "GET {path}: {json}");
        json
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let (status, json) = self
            .call(self.client.post(format!("{}{path}", self.base)).json(&body))
            .await;
        assert_eq!(status, StatusCode::OK, "POST {path}: {json}");
        json
    }

    /// Polls `check` until it returns `Some`, for at most `PATIENCE`.
    async fn eventually<T>(
        &self,
        what: &str,
        fedify: &FedifyServer,
        path: &str,
        check: impl Fn(&Value) -> Option<T>,
    ) -> T {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let json = self.get(path).await;
            if let Some(found) = check(&json) {
                return found;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "gave up waiting for: {what}; last {path}: {json}\nFedify:\n{}",
                fedify.transcript()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// A bearer token made through the admin CLI (the last line of its output).
async fn create_token(data: &std::path::Path, name: &str) -> String {
    let output = skerry(
        data,
        &[
            "admin",
            "token",
            "create",
            name,
            "--scopes",
            "read write follow",
        ],
    )
    .await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
        .lines()
        .rfind(|line| !line.trim().is_empty())
        .unwrap()
        .trim()
        .to_string()
}

#[tokio::test]
async fn fedify_reads_our_documents_and_federates_both_ways() {
    let fedify_directory = fedify_checkout();
    let directory = tempfile::tempdir().unwrap();
    let data = directory.path().join("data");
    let port = free_port();
    let address = format!("127.0.0.1:{port}");
    let base = format!("http://{address}");
    let _server = Command::new(env!("CARGO_BIN_EXE_skerry"))
        .args(["serve", "--listen", &address, "--host", &address, "--data"])
        .arg(&data)
        .env("SKERRY_SERVER_SCHEME", "http")
        .env("SKERRY_FEDERATION_ALLOW_PRIVATE_NETWORKS", "true")
        .env("SKERRY_LOG_LEVEL", "warn")
        .env_remove("SKERRY_SERVER_HOST")
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    wait_until_serving(port).await;
    create_account(&data, "alice").await;
    let api = Api {
        base: base.clone(),
        token: create_token(&data, "alice").await,
        client: crate::rig::http_client_builder().build().unwrap(),
    };
    let alice_uri = format!("{base}/users/alice");
    // A custom emoji of ours in alice's display name: her actor carries its `Emoji` tag.
    let image = directory.path().join("blobcat.png");
    image::RgbaImage::from_pixel(16, 16, image::Rgba([200, 120, 40, 255]))
        .save(&image)
        .unwrap();
    let added = skerry(
        &data,
        &["admin", "emoji", "add", "blobcat", image.to_str().unwrap()],
    )
    .await;
    assert!(added.status.success(), "{added:?}");
    let (http_status, profile) = api
        .call(
            api.client
                .patch(format!("{base}/api/v1/accounts/update_credentials"))
                .json(&json!({"display_name": "Alice :blobcat:"})),
        )
        .await;
    assert_eq!(http_status, StatusCode::OK, "{profile}");

    // 1. Fedify's client: the actor (WebFinger and URL), the outbox and a note, unsigned and
    // signed.
    let status = api
        .post(
            "/api/v1/statuses",
            json!({"status": "hello from skerry #fedify"}),
        )
        .await;
    let status_uri = status["uri"].as_str().unwrap().to_string();
    let run = Command::new("node")
        .args(["lookup.mjs", &base, "alice", &status_uri])
        .current_dir(&fedify_directory)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("lookup.mjs finished in time")
        .expect("node is on PATH");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let transcript = format!("{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let lines = json_lines(&stdout);
    assert!(
        output.status.success() && lines.last() == Some(&json!({"lookup": "ok"})),
        "Fedify's lookups failed:\n{transcript}"
    );
    for variant in ["unsigned", "signed"] {
        let found: Vec<&Value> = lines
            .iter()
            .filter(|line| line["variant"] == variant)
            .collect();
        let types: Vec<&str> = found
            .iter()
            .filter_map(|line| line["type"].as_str())
            .collect();
        assert_eq!(
            types,
            ["Person", "Person", "OrderedCollection", "Note"],
            "{variant}:\n{transcript}"
        );
        assert_eq!(found[0]["lookup"], format!("acct:alice@{address}"));
        assert_eq!(found[0]["id"], alice_uri.as_str());
        assert_eq!(found[0]["publicKey"], format!("{alice_uri}#main-key"));
        let emojis = found[0]["emojis"].as_array().unwrap();
        assert_eq!(emojis.len(), 1, "{variant}:\n{transcript}");
        assert_eq!(emojis[0]["name"], ":blobcat:");
        assert_eq!(emojis[0]["id"], format!("{base}/emojis/blobcat"));
        assert_eq!(emojis[0]["mediaType"], "image/png");
        assert!(
            emojis[0]["url"]
                .as_str()
                .is_some_and(|url| url.starts_with(&format!("{base}/media/"))),
            "{variant}:\n{transcript}"
        );
        assert_eq!(found[2]["totalItems"], 1);
        assert_eq!(found[3]["id"], status_uri.as_str());
    }

    // 2. A Fedify server: follow its actor, mention it; it verifies both, accepts the follow
    // and replies to the mention.
    let fedify_port = free_port();
    let fedify = FedifyServer::start(&fedify_directory, fedify_port).await;
    let fedify_acct = format!("fedify@127.0.0.1:{fedify_port}");
    let fedify_uri = format!("http://127.0.0.1:{fedify_port}/users/fedify");
    let search = api
        .get(&format!(
            "/api/v2/search?q={fedify_acct}&resolve=true&type=accounts"
        ))
        .await;
    let accounts = search["accounts"].as_array().unwrap();
    assert_eq!(
        accounts.len(),
        1,
        "{fedify_acct} resolved to {search}\nFedify:\n{}",
        fedify.transcript()
    );
    assert_eq!(accounts[0]["acct"], fedify_acct.as_str());
    assert_eq!(accounts[0]["uri"], fedify_uri.as_str());
    let fedify_id = accounts[0]["id"].as_str().unwrap().to_string();

    api.post(&format!("/api/v1/accounts/{fedify_id}/follow"), json!({}))
        .await;
    let follow = fedify
        .wait_for("Fedify received the Follow", |line| {
            line["received"] == "Follow"
        })
        .await;
    assert_eq!(follow["verified"], true);
    assert_eq!(follow["actor"], alice_uri.as_str());
    assert_eq!(follow["object"], fedify_uri.as_str());
    api.eventually(
        "following: true once Fedify's Accept arrived",
        &fedify,
        &format!("/api/v1/accounts/relationships?id[]={fedify_id}"),
        |json| (json[0]["following"] == true).then_some(()),
    )
    .await;
    // Fedify knocks first with RFC 9421 signatures; we accept them without a fallback.
    let accept = fedify
        .wait_for("Fedify's Accept delivered", |line| {
            line["posted"] == format!("{alice_uri}/inbox")
        })
        .await;
    assert_eq!(accept["status"], 202, "{}", fedify.transcript());
    assert_eq!(accept["signature"], "rfc9421");

    let mention = api
        .post(
            "/api/v1/statuses",
            json!({"status": format!("hi @{fedify_acct}")}),
        )
        .await;
    let mention_uri = mention["uri"].as_str().unwrap().to_string();
    let mention_id = mention["id"].as_str().unwrap().to_string();
    assert_eq!(mention["mentions"][0]["acct"], fedify_acct.as_str());
    let create = fedify
        .wait_for("Fedify received the Create", |line| {
            line["received"] == "Create"
        })
        .await;
    assert_eq!(create["verified"], true);
    assert_eq!(create["actor"], alice_uri.as_str());
    assert_eq!(create["object"], mention_uri.as_str());
    assert_eq!(create["objectType"], "Note");
    assert!(
        create["content"]
            .as_str()
            .unwrap()
            .contains(&format!("href=\"{fedify_uri}\"")),
        "the mention links to the actor's url: {create}"
    );
    assert!(
        create["mentions"]
            .as_array()
            .unwrap()
            .contains(&json!(fedify_uri)),
        "{create}"
    );

    // Fedify's reply (JSON-LD compacted its way, with proofs) reaches the thread.
    let reply = api
        .eventually(
            "Fedify's reply in the thread",
            &fedify,
            &format!("/api/v1/statuses/{mention_id}/context"),
            |json| json["descendants"].as_array()?.first().cloned(),
        )
        .await;
    assert_eq!(reply["account"]["acct"], fedify_acct.as_str());
    assert_eq!(reply["in_reply_to_id"], mention_id.as_str());
    assert!(
        reply["content"]
            .as_str()
            .unwrap()
            .contains("hello back from fedify"),
        "{reply}"
    );
    let notifications = api.get("/api/v1/notifications").await;
    assert!(
        notifications
            .as_array()
            .unwrap()
            .iter()
            .any(|n| { n["type"] == "mention" && n["account"]["acct"] == fedify_acct.as_str() }),
        "{notifications}"
    );

    // The Fedify server is done, having verified everything it received.
    let mut fedify = fedify;
    let exit = tokio::time::timeout(PATIENCE, fedify.child.wait())
        .await
        .expect("inbox.mjs exits once done")
        .unwrap();
    assert!(exit.success(), "{}", fedify.transcript());
    let lines = fedify.lines.lock().unwrap().clone();
    let trouble: Vec<&Value> = lines
        .iter()
        .filter(|line| {
            line.get("unverified").is_some()
                || line.get("error").is_some()
                || line["status"].as_u64().is_some_and(|status| status >= 400)
        })
        .collect();
    assert!(trouble.is_empty(), "{}", fedify.transcript());

    let check = skerry(&data, &["db", "check"]).await;
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
}
