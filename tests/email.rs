//! E-mail through a real SMTP exchange with a small sink on loopback: the confirmation link
//! of a sign-up (no sign-in before it, single use), "forgot password", a moderator's
//! confirmation, and the approval notice.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use skerry::model::Role;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use crate::rig::Server;
use crate::web::Browser;

/// Messages the sink keeps before the test reads them.
const SINK_MESSAGES_MAX: usize = 16;
/// Lines of one SMTP session the sink reads before it hangs up.
const SINK_LINES_MAX: usize = 10_000;

/// A minimal SMTP server (RFC 5321 without extensions) that hands each message's data to
/// the test.
async fn smtp_sink() -> (u16, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (sender, receiver) = mpsc::channel(SINK_MESSAGES_MAX);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let sender = sender.clone();
            tokio::spawn(async move {
                let (reader, mut writer) = stream.into_split();
                let mut lines = BufReader::new(reader).lines();
                writer.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                let mut data: Option<String> = None;
                for _ in 0..SINK_LINES_MAX {
                    let Ok(Some(line)) = lines.next_line().await else {
                        return;
                    };
                    if let Some(message) = data.as_mut() {
                        if line == "." {
                            sender.send(data.take().unwrap()).await.unwrap();
                            writer.write_all(b"250 queued\r\n").await.unwrap();
                        } else {
                            message.push_str(&line);
                            message.push('\n');
                        }
                        continue;
                    }
                    let verb = line.get(..4).unwrap_or_default().to_ascii_uppercase();
                    let answer: &[u8] = match verb.as_str() {
                        "DATA" => {
                            data = Some(String::new());
                            b"354 go ahead\r\n"
                        }
                        "QUIT" => {
                            let _ = writer.write_all(b"221 bye\r\n").await;
                            return;
                        }
                        _ => b"250 ok\r\n",
                    };
                    writer.write_all(answer).await.unwrap();
                }
            });
        }
    });
    (port, receiver)
}

/// The next message, with quoted-printable soft breaks undone.
async fn next_mail(receiver: &mut mpsc::Receiver<String>) -> String {
    let message = tokio::time::timeout(Duration::from_secs(20), receiver.recv())
        .await
        .expect("a message within 20 s")
        .expect("the sink runs");
    message.replace("=\n", "").replace("=3D", "=")
}

/// The path of the first link to this server in a message.
fn link_path(message: &str, server: &Server) -> String {
    let start = message.find(&server.base).expect("a link") + server.base.len();
    message[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

async fn email_server(port: u16, registrations: &str) -> Server {
    let port = port.to_string();
    Server::start_with(&[
        ("SKERRY_INSTANCE_REGISTRATIONS", registrations),
        ("SKERRY_FEDERATION_ALLOW_PRIVATE_NETWORKS", "true"),
        ("SKERRY_EMAIL_SMTP_HOST", "127.0.0.1"),
        ("SKERRY_EMAIL_SMTP_PORT", &port),
        ("SKERRY_EMAIL_TLS", "none"),
        ("SKERRY_EMAIL_FROM_ADDRESS", "Skerry <noreply@localhost>"),
    ])
    .await
}

#[tokio::test]
async fn a_sign_up_confirms_its_address_through_a_single_use_link() {
    let (port, mut inbox) = smtp_sink().await;
    let server = email_server(port, "open").await;
    let mut browser = Browser::new(&server);
    let form = browser.get("/auth/sign_up").await;
    let done = browser
        .post(
            "/auth/sign_up",
            &[
                ("csrf", &form.csrf()),
                ("username", "marina"),
                ("email", "marina@example.org"),
                ("password", "correct horse"),
                ("agreement", "true"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("confirmation link"), "{}", done.body);

    // No sign-in before the link is opened.
    let refused = browser.sign_in("marina", "correct horse", "").await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert!(
        refused.body.contains("missing a confirmed e-mail address"),
        "{}",
        refused.body
    );

    let message = next_mail(&mut inbox).await;
    assert!(message.contains("To: marina@example.org"), "{message}");
    assert!(
        message.contains("From: Skerry <noreply@localhost>"),
        "{message}"
    );
    let link = link_path(&message, &server);
    assert!(link.starts_with("/auth/confirmation?token="), "{link}");
    let confirmed = browser.get(&link).await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
    assert!(confirmed.body.contains("confirmed"));
    // Single use.
    assert_eq!(browser.get(&link).await.status, StatusCode::NOT_FOUND);
    let signed_in = browser.sign_in("marina", "correct horse", "").await;
    assert_eq!(
        signed_in.location.as_deref(),
        Some("/settings/profile"),
        "{}",
        signed_in.body
    );

    // Forgot password: the same answer for unknown addresses, a link for known ones.
    let mut stranger = Browser::new(&server);
    let form = stranger.get("/auth/password/new").await;
    let unknown = stranger
        .post(
            "/auth/password/new",
            &[("csrf", &form.csrf()), ("email", "nobody@example.org")],
        )
        .await;
    let known = stranger
        .post(
            "/auth/password/new",
            &[("csrf", &form.csrf()), ("email", "marina@example.org")],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::OK);
    assert_eq!(unknown.body, known.body);
    let message = next_mail(&mut inbox).await;
    let link = link_path(&message, &server);
    assert!(link.starts_with("/auth/password/edit?token="), "{link}");
    let form = stranger.get(&link).await;
    assert_eq!(form.status, StatusCode::OK);
    let token = link.split("token=").nth(1).unwrap();
    let short = stranger
        .post(
            "/auth/password/edit",
            &[
                ("csrf", &form.csrf()),
                ("token", token),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    let changed = stranger
        .post(
            "/auth/password/edit",
            &[
                ("csrf", &form.csrf()),
                ("token", token),
                ("password", "battery staple"),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    // The reset signed the old browser out, and the old password is gone.
    assert_eq!(
        browser.get("/settings/profile").await.status,
        StatusCode::SEE_OTHER
    );
    let old = Browser::new(&server)
        .sign_in("marina", "correct horse", "")
        .await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    let new = Browser::new(&server)
        .sign_in("marina", "battery staple", "")
        .await;
    assert_eq!(new.location.as_deref(), Some("/settings/profile"));
    // The link was used up.
    assert_eq!(stranger.get(&link).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn moderators_confirm_and_approve_and_the_person_is_told() {
    let (port, mut inbox) = smtp_sink().await;
    let server = email_server(port, "approval").await;
    let admin = server
        .user_with_role("admin", Role::Admin, "read write admin:read admin:write")
        .await;
    let client_token = crate::moderation::app_token(&server).await;
    let signed_up = server
        .post(
            "/api/v1/accounts",
            Some(&client_token),
            json!({
                "username": "nereid",
                "email": "nereid@example.org",
                "password": "tides and more",
                "agreement": true,
                "reason": "I like the sea",
            }),
        )
        .await;
    assert_eq!(signed_up.status, StatusCode::OK, "{}", signed_up.json);
    let token = signed_up.json["access_token"].as_str().unwrap().to_string();
    let refused = server
        .get("/api/v1/accounts/verify_credentials", Some(&token))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        refused.json["error"],
        "Your login is missing a confirmed e-mail address"
    );
    let message = next_mail(&mut inbox).await;
    assert!(message.contains("/auth/confirmation?token="), "{message}");

    let listed = server
        .get("/api/v1/admin/accounts?pending=true", Some(&admin.token))
        .await;
    let entry = &listed.json[0];
    assert_eq!(entry["username"], "nereid");
    assert_eq!(entry["confirmed"], false);
    assert_eq!(entry["approved"], false);
    let id = entry["id"].as_str().unwrap().to_string();

    // The message never arrived, say: a moderator confirms from the accounts page.
    let mut browser = Browser::new(&server);
    browser.sign_in("admin", &admin.password, "").await;
    let page = browser.get("/admin/accounts?status=unconfirmed").await;
    assert!(page.body.contains("Confirm e-mail"), "{}", page.body);
    let confirmed = browser
        .post(
            &format!("/admin/accounts/{id}/confirm"),
            &[("csrf", &page.csrf())],
        )
        .await;
    assert_eq!(confirmed.location.as_deref(), Some("/admin/accounts"));
    let entry = server
        .get(&format!("/api/v1/admin/accounts/{id}"), Some(&admin.token))
        .await;
    assert_eq!(entry.json["confirmed"], true);
    let still_pending = server
        .get("/api/v1/accounts/verify_credentials", Some(&token))
        .await;
    assert_eq!(
        still_pending.json["error"],
        "Your login is currently pending approval"
    );

    let approved = server
        .post(
            &format!("/api/v1/admin/accounts/{id}/approve"),
            Some(&admin.token),
            json!({}),
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.json);
    let message = next_mail(&mut inbox).await;
    assert!(message.contains("To: nereid@example.org"), "{message}");
    assert!(message.contains("was approved"), "{message}");
    assert_eq!(
        server
            .get("/api/v1/accounts/verify_credentials", Some(&token))
            .await
            .status,
        StatusCode::OK
    );
    let audit = browser.get("/admin/audit").await;
    assert!(audit.body.contains("<td>confirm</td>"), "{}", audit.body);
    // Both messages leave the queue (the worker commits just after the relay's answer).
    let mut dashboard = browser.get("/admin").await;
    for _ in 0..50 {
        if dashboard
            .body
            .contains("E-mails waiting to be sent</th><td>0</td>")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        dashboard = browser.get("/admin").await;
    }
    assert!(
        dashboard
            .body
            .contains("E-mails waiting to be sent</th><td>0</td>"),
        "{}",
        dashboard.body
    );
}

#[tokio::test]
async fn without_e_mail_an_open_sign_up_waits_for_a_moderators_confirmation() {
    let server = Server::start_with(&[("SKERRY_INSTANCE_REGISTRATIONS", "open")]).await;
    let admin = server
        .user_with_role("admin", Role::Admin, "read write admin:read admin:write")
        .await;
    let client_token = crate::moderation::app_token(&server).await;
    let signed_up = server
        .post(
            "/api/v1/accounts",
            Some(&client_token),
            json!({
                "username": "selkie",
                "email": "selkie@example.org",
                "password": "tides and more",
                "agreement": true,
            }),
        )
        .await;
    assert_eq!(signed_up.status, StatusCode::OK, "{}", signed_up.json);
    let token = signed_up.json["access_token"].as_str().unwrap().to_string();
    // Nothing can check the address, so the account waits for a moderator.
    let refused = server
        .get("/api/v1/accounts/verify_credentials", Some(&token))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        refused.json["error"],
        "Your login is missing a confirmed e-mail address"
    );
    let listed = server
        .get("/api/v1/admin/accounts?username=selkie", Some(&admin.token))
        .await;
    let entry = &listed.json[0];
    assert_eq!(entry["username"], "selkie");
    assert_eq!(entry["confirmed"], false);
    assert_eq!(
        entry["approved"], true,
        "open registrations need no approval"
    );
    let id = entry["id"].as_str().unwrap().to_string();

    let mut browser = Browser::new(&server);
    browser.sign_in("admin", &admin.password, "").await;
    let page = browser.get("/admin/accounts?status=unconfirmed").await;
    assert!(page.body.contains("selkie"), "{}", page.body);
    let confirmed = browser
        .post(
            &format!("/admin/accounts/{id}/confirm"),
            &[("csrf", &page.csrf())],
        )
        .await;
    assert_eq!(confirmed.location.as_deref(), Some("/admin/accounts"));
    let verified = server
        .get("/api/v1/accounts/verify_credentials", Some(&token))
        .await;
    assert_eq!(verified.status, StatusCode::OK, "{}", verified.json);
    assert_eq!(verified.json["username"], "selkie");
}
