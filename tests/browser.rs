//! Debian's Chromium, driven by playwright-core (npm), through the web pages of a running
//! server: sign up under approval and get approved, turn on two-factor authentication and
//! sign in with a code, authorize an app through the OAuth page, resolve a report, block a
//! domain, and find the storage chart drawn from real figures; add a rule, publish an
//! announcement, allow a domain, read the settings, the terms and the export links.
//! Screenshots of every page are kept in `target/browser-screenshots/`.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use skerry::model::{Report, Role};
use tokio::process::Command;

use crate::rig::Server;

/// The browser: `CHROMIUM` if set, else Debian's. No skip: without it the test fails and
/// says how to get it (tools/test.sh installs it).
fn chromium() -> String {
    let path = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        std::path::Path::new(&path).exists(),
        "Chromium is needed at {path}: run tools/test.sh (it installs Debian's chromium), or set CHROMIUM"
    );
    path
}

#[tokio::test]
async fn a_person_and_an_owner_use_the_pages_in_chromium() {
    let chromium = chromium();
    let directory = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/compat/browser");
    assert!(
        std::path::Path::new(&format!("{directory}/node_modules/playwright-core")).exists(),
        "playwright-core is needed: run tools/test.sh (npm ci in tests/compat/browser)"
    );
    let server = Server::start_with(&[
        ("SKERRY_INSTANCE_REGISTRATIONS", "approval"),
        (
            "SKERRY_INSTANCE_TERMS_OF_SERVICE",
            "Be excellent to each other.",
        ),
    ])
    .await;
    let boss = server
        .user_with_role("boss", Role::Owner, "read write")
        .await;
    let reporter = server.user("reporter").await;
    let target = server.user("target").await;
    let status = server.post_status(&target, "rude words").await;
    let report = Report {
        id: server.app.next_id(),
        reporter: reporter.id,
        target: target.id,
        statuses: vec![skerry::model::StatusId(status.parse().unwrap())],
        comment: "rude".into(),
        uri: None,
        created_ms: skerry::util::time::now_ms(),
    };
    let report_id = report.id;
    // Two daily growth samples (yesterday's as it was then, today's now), as the housekeeping
    // job takes them, so the storage page has a growth line to draw.
    server
        .app
        .run(|app| {
            let now = skerry::util::time::now_ms();
            app.store.sample_growth(now - 24 * 3600 * 1000)?;
            Ok(())
        })
        .await
        .unwrap();
    for text in ["more", "and more", "and even more"] {
        server.post_status(&target, text).await;
    }
    server
        .app
        .run(|app| {
            app.store.sample_growth(skerry::util::time::now_ms())?;
            Ok(())
        })
        .await
        .unwrap();
    server
        .app
        .run(move |app| {
            app.write(|tx| {
                Ok::<_, skerry::app::AppError>(skerry::store::statuses::put_report(tx, &report)?)
            })
        })
        .await
        .unwrap();
    let registered = server
        .post(
            "/api/v1/apps",
            None,
            json!({"client_name": "Phone", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "read"}),
        )
        .await;
    let client_id = registered.json["client_id"].as_str().unwrap().to_string();
    let client_secret = registered.json["client_secret"]
        .as_str()
        .unwrap()
        .to_string();
    let authorize = format!(
        "{}/oauth/authorize?response_type=code&client_id={client_id}&redirect_uri=urn:ietf:wg:oauth:2.0:oob&scope=read",
        server.base
    );
    let screenshots = concat!(env!("CARGO_MANIFEST_DIR"), "/target/browser-screenshots");
    std::fs::create_dir_all(screenshots).unwrap();

    let run = Command::new("node")
        .arg(format!("{directory}/run.mjs"))
        .env("BASE", &server.base)
        .env("CHROMIUM", &chromium)
        .env("SCREENSHOTS", screenshots)
        .env("BOSS_PASSWORD", &boss.password)
        .env("AUTHORIZE_URL", &authorize)
        .env("REPORT_ID", report_id.to_string())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(180), run)
        .await
        .expect("the browser finished in time")
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("browser: ok"),
        "the browser run failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );

    // What the clicks did, seen from the server: the code the OAuth page showed works...
    let code = stdout
        .lines()
        .find_map(|line| line.strip_prefix("code: "))
        .unwrap()
        .to_string();
    let token = server
        .post_form(
            "/oauth/token",
            None,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("client_id", &client_id),
                ("client_secret", &client_secret),
                ("redirect_uri", "urn:ietf:wg:oauth:2.0:oob"),
            ],
        )
        .await;
    assert_eq!(token.status, StatusCode::OK, "{}", token.json);
    let me = server
        .get(
            "/api/v1/accounts/verify_credentials",
            token.json["access_token"].as_str(),
        )
        .await;
    assert_eq!(me.json["username"], "newbie");
    // ...and the report, the domain block and the audit log are as the pages said.
    let log = server
        .app
        .run(|app| {
            skerry::app::moderation::audit_log(
                app,
                skerry::app::admin::Actor::Operator,
                skerry::store::Page::newest(20),
            )
        })
        .await
        .unwrap();
    let actions: Vec<&str> = log.iter().rev().map(|entry| entry.action.name()).collect();
    assert_eq!(
        actions,
        [
            "approve",
            "resolve_report",
            "block_domain",
            "create_rule",
            "publish_announcement",
            "allow_domain"
        ]
    );
    for index in 1..=14 {
        let found = std::fs::read_dir(screenshots)
            .unwrap()
            .filter_map(Result::ok)
            .any(|entry| {
                entry
                    .file_name()
                    .to_string_lossy()
                    .starts_with(&format!("{index:02}-"))
            });
        assert!(found, "screenshot {index:02} was taken");
    }
}
