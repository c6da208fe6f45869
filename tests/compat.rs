use crate::rig::Server;

#[tokio::test]
async fn mastodon_py_in_process_tmp() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let base = server.base.clone();
    let output = tokio::process::Command::new(".venv/bin/python")
        .args([
            "tests/compat/mastodon_py.py",
            &base,
            &alice.password,
            &bob.password,
        ])
        .output()
        .await
        .unwrap();
    println!("{}", String::from_utf8_lossy(&output.stdout));
    println!("{}", String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success());
}
