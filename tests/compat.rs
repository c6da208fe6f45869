//! Mastodon.py (from PyPI) against a running `skerry serve`: the same binary and command
//! lines a person uses, accounts made through the admin socket.

use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;

/// A Python with Mastodon.py: `MASTODON_PY_PYTHON` (set by tools/test.sh), else the
/// checkout's `.venv`. No skip: without it this test fails and says how to get it.
fn python() -> String {
    if let Ok(python) = std::env::var("MASTODON_PY_PYTHON") {
        return python;
    }
    let venv = concat!(env!("CARGO_MANIFEST_DIR"), "/.venv/bin/python");
    assert!(
        std::path::Path::new(venv).exists(),
        "Mastodon.py is needed: run tools/test.sh (it installs it into .venv), or set MASTODON_PY_PYTHON"
    );
    venv.to_string()
}

/// A free loopback port (the listener is dropped just before the server binds it).
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs `skerry ARGUMENTS --data DATA` (through the admin socket when a server holds DATA).
pub(crate) async fn skerry(data: &std::path::Path, arguments: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_skerry"))
        .args(arguments)
        .arg("--data")
        .arg(data)
        .env_remove("SKERRY_SERVER_HOST")
        .output()
        .await
        .unwrap()
}

/// Creates an account through the admin CLI; returns its generated password.
pub(crate) async fn create_account(data: &std::path::Path, name: &str) -> String {
    let output = skerry(
        data,
        &[
            "admin",
            "account",
            "create",
            name,
            "--email",
            &format!("{name}@example.test"),
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
        .find_map(|line| line.strip_prefix("password: "))
        .unwrap()
        .trim()
        .to_string()
}

/// Polls `/health` until the server answers, for at most 30 seconds.
pub(crate) async fn wait_until_serving(port: u16) {
    let client = crate::rig::http_client_builder().build().unwrap();
    for _ in 0..300 {
        let health = client.get(format!("http://127.0.0.1:{port}/health"));
        if let Ok(response) = health.send().await {
            if response.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("skerry serve did not answer on port {port}");
}

#[tokio::test]
async fn mastodon_py_drives_a_running_skerry_serve() {
    let python = python();
    let directory = tempfile::tempdir().unwrap();
    let data = directory.path().join("data");
    let port = free_port();
    let address = format!("127.0.0.1:{port}");
    let mut server = Command::new(env!("CARGO_BIN_EXE_skerry"))
        .args(["serve", "--listen", &address, "--host", &address, "--data"])
        .arg(&data)
        .env("SKERRY_SERVER_SCHEME", "http")
        .env("SKERRY_LOG_LEVEL", "warn")
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    wait_until_serving(port).await;
    assert!(
        data.join("admin.sock").exists(),
        "the running server listens on its admin socket"
    );

    // Made through the admin socket, since the server holds the database.
    let alice = create_account(&data, "alice").await;
    let bob = create_account(&data, "bob").await;
    let carol = create_account(&data, "carol").await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/compat/mastodon_py.py");
    let run = Command::new(&python)
        .args([script, &format!("http://{address}"), &alice, &bob, &carol])
        .arg(env!("CARGO_BIN_EXE_skerry"))
        .arg(&data)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(180), run)
        .await
        .expect("Mastodon.py finished in time")
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("compat: ok"),
        "Mastodon.py failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );

    // What Mastodon.py did left a consistent database, checked through the socket.
    let check = skerry(&data, &["db", "check"]).await;
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );

    // The container health check asks the same server.
    let health = Command::new(env!("CARGO_BIN_EXE_skerry"))
        .args(["health", "--data"])
        .arg(&data)
        .env("SKERRY_SERVER_LISTEN", &address)
        .output()
        .await
        .unwrap();
    assert!(
        health.status.success(),
        "{}",
        String::from_utf8_lossy(&health.stderr)
    );

    // SIGTERM stops it cleanly and removes the socket.
    let pid = server.id().unwrap().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = tokio::time::timeout(Duration::from_secs(30), server.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success());
    assert!(!data.join("admin.sock").exists());
    let health = Command::new(env!("CARGO_BIN_EXE_skerry"))
        .args(["health", "--data"])
        .arg(&data)
        .env("SKERRY_SERVER_LISTEN", &address)
        .output()
        .await
        .unwrap();
    assert!(!health.status.success(), "a stopped server is not healthy");
}

/// Sign-up and the admin API through Mastodon.py, and the moderation commands of the CLI
/// through the socket of the same running server.
#[tokio::test]
async fn mastodon_py_signs_up_and_moderates() {
    let python = python();
    let directory = tempfile::tempdir().unwrap();
    let data = directory.path().join("data");
    let port = free_port();
    let address = format!("127.0.0.1:{port}");
    let _server = Command::new(env!("CARGO_BIN_EXE_skerry"))
        .args(["serve", "--listen", &address, "--host", &address, "--data"])
        .arg(&data)
        .env("SKERRY_SERVER_SCHEME", "http")
        .env("SKERRY_LOG_LEVEL", "warn")
        .env("SKERRY_INSTANCE_REGISTRATIONS", "approval")
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    wait_until_serving(port).await;
    let created = skerry(
        &data,
        &[
            "admin",
            "account",
            "create",
            "mod",
            "--email",
            "mod@example.test",
            "--role",
            "moderator",
        ],
    )
    .await;
    assert!(created.status.success());
    let token = skerry(
        &data,
        &[
            "admin",
            "token",
            "create",
            "mod",
            "--scopes",
            "read write admin:read admin:write",
        ],
    )
    .await;
    let token = String::from_utf8_lossy(&token.stdout)
        .lines()
        .nth(1)
        .unwrap()
        .trim()
        .to_string();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/compat/mastodon_py_admin.py"
    );
    let run = Command::new(&python)
        .args([script, &format!("http://{address}"), &token])
        .output();
    let output = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("Mastodon.py finished in time")
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("admin: ok"),
        "Mastodon.py failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );

    // The command line acts on the same server, and the audit log has everyone's actions.
    let suspended = skerry(
        &data,
        &[
            "admin",
            "account",
            "moderate",
            "newbie",
            "suspend",
            "--text",
            "ban evasion",
        ],
    )
    .await;
    assert!(
        suspended.status.success(),
        "{}",
        String::from_utf8_lossy(&suspended.stderr)
    );
    let audit = skerry(&data, &["admin", "audit"]).await;
    let audit = String::from_utf8_lossy(&audit.stdout).to_string();
    let actions: Vec<(&str, &str)> = audit
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split("  ").collect();
            (fields[1], fields[2])
        })
        .collect();
    assert_eq!(
        actions,
        vec![
            ("operator", "suspend"),
            ("mod", "unsilence"),
            ("mod", "silence"),
            ("mod", "approve"),
        ],
        "{audit}"
    );
    assert!(audit.contains("# ban evasion"), "{audit}");
    // The operator gives roles.
    let role = skerry(&data, &["admin", "account", "role", "newbie", "moderator"]).await;
    assert!(role.status.success());
    let unknown = skerry(&data, &["admin", "account", "moderate", "nobody", "warn"]).await;
    assert!(!unknown.status.success());
}
