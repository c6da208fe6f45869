//! The `skerry` binary without a server: configuration errors and the database commands
//! opening the file themselves.

use std::process::Command;

fn skerry(arguments: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_skerry"))
        .args(arguments)
        .output()
        .unwrap()
}

#[test]
fn bad_configuration_names_the_key_and_exits_2() {
    let output = skerry(&["serve", "--listen", "nowhere", "--data", "/nonexistent"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("server.listen")
            && stderr.contains("nowhere")
            && stderr.contains("expected"),
        "{stderr}"
    );
    let directory = tempfile::tempdir().unwrap();
    let file = directory.path().join("bad.toml");
    std::fs::write(&file, "[limits]\nstatus_chars_max = \"many\"\n").unwrap();
    let output = skerry(&["serve", "--config", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("status_chars_max"));
}

#[test]
fn database_commands_work_on_a_stopped_server() {
    let directory = tempfile::tempdir().unwrap();
    let data = directory.path().join("data");
    let data = data.to_str().unwrap();
    let output = skerry(&["db", "stats", "--data", data]);
    assert!(
        !output.status.success(),
        "no database is created by a read-only command"
    );
    let output = skerry(&[
        "admin",
        "account",
        "create",
        "carol",
        "--email",
        "carol@example.test",
        "--role",
        "admin",
        "--data",
        data,
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("password: "));
    let output = skerry(&[
        "admin",
        "token",
        "create",
        "carol",
        "--scopes",
        "read write",
        "--data",
        data,
    ]);
    assert!(output.status.success());
    let output = skerry(&["db", "stats", "--json", "--data", data]);
    let stats: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let accounts = stats["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|table| table["name"] == "accountid_account")
        .unwrap();
    assert_eq!(accounts["entries"], 1);
    assert!(skerry(&["db", "check", "--data", data]).status.success());
    let backup = directory.path().join("backup.redb");
    assert!(
        skerry(&["db", "backup", backup.to_str().unwrap(), "--data", data])
            .status
            .success()
    );
    // The copy opens as a database with the account in it.
    let store = skerry::store::Store::open(&backup, 1 << 20, 1 << 20).unwrap();
    let found = store
        .read(|tx| skerry::store::accounts::account_id_by_acct(tx, "carol"))
        .unwrap();
    assert!(found.is_some());
    assert!(
        !skerry(&["db", "backup", backup.to_str().unwrap(), "--data", data])
            .status
            .success(),
        "never overwrites"
    );
}

#[test]
fn relays_are_added_listed_and_removed_on_a_stopped_server() {
    let directory = tempfile::tempdir().unwrap();
    let data = directory.path().join("data");
    let data = data.to_str().unwrap();
    let stdout = |output: std::process::Output| {
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).to_string()
    };
    let added = stdout(skerry(&[
        "admin",
        "relay",
        "add",
        "https://relay.example/inbox",
        "--data",
        data,
    ]));
    assert!(added.contains("Mastodon style"), "{added}");
    let again = stdout(skerry(&[
        "admin",
        "relay",
        "add",
        "https://relay.example/inbox",
        "--data",
        data,
    ]));
    assert!(again.contains("subscribed already"), "{again}");
    let litepub = stdout(skerry(&[
        "admin",
        "relay",
        "add",
        "https://other.example/actor",
        "--data",
        data,
    ]));
    assert!(litepub.contains("LitePub style"), "{litepub}");
    let refused = skerry(&["admin", "relay", "add", "relay.example", "--data", data]);
    assert!(!refused.status.success());
    let list = stdout(skerry(&["admin", "relay", "list", "--data", data]));
    assert!(
        list.contains("https://relay.example/inbox  pending  today 0")
            && list.contains("2 relay(s)"),
        "{list}"
    );
    let removed = stdout(skerry(&[
        "admin",
        "relay",
        "remove",
        "https://relay.example/inbox",
        "--data",
        data,
    ]));
    assert!(removed.contains("Unsubscribed"), "{removed}");
    let list = stdout(skerry(&["admin", "relay", "list", "--data", data]));
    assert!(list.contains("1 relay(s)"), "{list}");
    assert!(skerry(&["db", "check", "--data", data]).status.success());
}

#[test]
fn capacity_calibrates_and_plans() {
    let directory = tempfile::tempdir().unwrap();
    let data = directory.path().join("data");
    let output = skerry(&["capacity", "--calibrate", "--data", data.to_str().unwrap()]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    let value = |key: &str| -> f64 {
        text.lines()
            .find_map(|line| line.strip_prefix(&format!("{key} = ")))
            .unwrap_or_else(|| panic!("no {key} in {text}"))
            .parse()
            .unwrap()
    };
    // What the 40-day simulation's tables take (README, "Where it stands": ~190 B per status
    // for the status tables, ~420 B per account), with room for another machine's pages; a
    // measure taken across the dictionary rewrite read about half of it.
    let status = value("bytes_per_status");
    assert!((140.0..=300.0).contains(&status), "{text}");
    let account = value("bytes_per_account");
    assert!((250.0..=700.0).contains(&account), "{text}");
    assert!(value("bytes_per_seen_activity") > 0.0, "{text}");
    assert!(value("cpu_us_per_activity") > 0.0, "{text}");
    let calibration = directory.path().join("calibration.toml");
    std::fs::write(&calibration, &text).unwrap();
    let profile = directory.path().join("profile.toml");
    std::fs::write(
        &profile,
        "relay_activities_per_day = 3000\nretention_days = 7\nremote_accounts_active = 2850\n",
    )
    .unwrap();
    let output = skerry(&[
        "capacity",
        "--profile",
        profile.to_str().unwrap(),
        "--calibration",
        calibration.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("steady-state disk"));
}
