//! masto.js (npm `masto` 7.12.0, a Mastodon client library nobody here wrote) against a
//! running server: app registration, the OAuth code flow through the login page, and
//! WebSocket streaming (user, hashtag, direct, list subscriptions on one socket; update,
//! status.update, conversation and delete events). The npm packages are pinned by
//! `tests/compat/masto/package-lock.json` and installed by tools/test.sh with `npm ci`.

use std::path::PathBuf;

use crate::rig::Server;

fn checkout() -> PathBuf {
    let directory = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/compat/masto");
    assert!(
        directory.join("node_modules/masto/package.json").exists(),
        "masto.js is needed: run tools/test.sh (it runs `npm ci --prefix tests/compat/masto`)"
    );
    directory
}

#[tokio::test]
async fn masto_js_logs_in_with_oauth_and_streams_over_websocket() {
    let directory = checkout();
    let server = Server::start().await;
    let alice = server.user("alice").await;
    let run = tokio::process::Command::new("node")
        .arg("oauth_streaming.mjs")
        .args([&server.base, &alice.username, &alice.password])
        .current_dir(&directory)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(std::time::Duration::from_secs(60), run)
        .await
        .expect("masto.js finishes within a minute")
        .expect("node is on PATH");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "masto.js failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for step in [
        "logged in through the OAuth code flow",
        "user and hashtag streams",
        "status.update",
        "direct stream: conversation",
        "delete",
        "ok",
    ] {
        assert!(
            stdout.contains(&format!("{{\"step\":\"{step}\"")),
            "missing step {step}:\n{stdout}"
        );
    }
}
