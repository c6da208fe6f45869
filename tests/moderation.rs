use std::time::Duration;

use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::json;
use skerry::model::{AccountId, Report, Role, StatusId};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::rig::{Server, ids};

/// Longest wait for a stream to close after its account is suspended (it re-checks its
/// token every 2 s).
const WAIT: Duration = Duration::from_secs(10);

/// An app and its own token (client credentials), as a sign-up form in an app has them.
pub(crate) async fn app_token(server: &Server) -> String {
    let app = server
        .post(
            "/api/v1/apps",
            None,
            json!({"client_name": "signup", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "read write"}),
        )
        .await;
    assert_eq!(app.status, StatusCode::OK, "{}", app.json);
    let token = server
        .post_form(
            "/oauth/token",
            None,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", app.json["client_id"].as_str().unwrap()),
                ("client_secret", app.json["client_secret"].as_str().unwrap()),
                ("scope", "read write"),
            ],
        )
        .await;
    assert_eq!(token.status, StatusCode::OK, "{}", token.json);
    token.json["access_token"].as_str().unwrap().to_string()
}

async fn sign_up(
    server: &Server,
    app_token: &str,
    username: &str,
    extra: serde_json::Value,
) -> crate::rig::Reply {
    let mut body = json!({
        "username": username,
        "email": format!("{username}@example.test"),
        "password": "correct horse battery",
        "agreement": true,
        "locale": "en",
    });
    for (key, value) in extra.as_object().unwrap() {
        body[key] = value.clone();
    }
    server.post("/api/v1/accounts", Some(app_token), body).await
}

#[tokio::test]
async fn sign_up_under_approval_waits_for_a_moderator() {
    let server = Server::start_with(&[("SKERRY_INSTANCE_REGISTRATIONS", "approval")]).await;
    let moderator = server
        .user_with_role("mod", Role::Moderator, "read write admin:read admin:write")
        .await;
    let token = app_token(&server).await;

    // Validation first: the agreement, the password, the reason's length.
    let refused = sign_up(&server, &token, "newbie", json!({"agreement": false})).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.json
    );
    let refused = sign_up(&server, &token, "newbie", json!({"password": "short"})).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.json
    );
    let refused = sign_up(
        &server,
        &token,
        "newbie",
        json!({"reason": "x".repeat(421)}),
    )
    .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.json
    );
    // A user's token cannot sign anyone up.
    let refused = sign_up(&server, &moderator.token, "newbie", json!({})).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.json);

    let reply = sign_up(&server, &token, "newbie", json!({"reason": "I like boats"})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    let newbie_token = reply.json["access_token"].as_str().unwrap().to_string();
    let taken = sign_up(&server, &token, "newbie", json!({})).await;
    assert_eq!(
        taken.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        taken.json
    );

    // Pending: the token exists but does not work yet, with Mastodon's reason.
    let pending = server
        .get("/api/v1/accounts/verify_credentials", Some(&newbie_token))
        .await;
    assert_eq!(pending.status, StatusCode::FORBIDDEN);
    assert_eq!(
        pending.json["error"],
        "Your login is currently pending approval"
    );

    let listed = server
        .get(
            "/api/v2/admin/accounts?status=pending",
            Some(&moderator.token),
        )
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.json);
    let entries = listed.json.as_array().unwrap();
    assert_eq!(entries.len(), 1, "{}", listed.json);
    let entry = &entries[0];
    assert_eq!(entry["username"], "newbie");
    assert_eq!(entry["approved"], false);
    assert_eq!(entry["invite_request"], "I like boats");
    assert_eq!(entry["email"], "newbie@example.test");
    assert_eq!(entry["account"]["acct"], "newbie");
    let id = entry["id"].as_str().unwrap().to_string();
    // v1 says the same with its booleans.
    let v1 = server
        .get(
            "/api/v1/admin/accounts?pending=true",
            Some(&moderator.token),
        )
        .await;
    assert_eq!(ids(&v1.json), vec![id.clone()]);

    let approved = server
        .post(
            &format!("/api/v1/admin/accounts/{id}/approve"),
            Some(&moderator.token),
            json!({}),
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.json);
    assert_eq!(approved.json["approved"], true);
    let me = server
        .get("/api/v1/accounts/verify_credentials", Some(&newbie_token))
        .await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.json);
    assert_eq!(me.json["username"], "newbie");
    // Approving twice: nothing is pending any more.
    let again = server
        .post(
            &format!("/api/v1/admin/accounts/{id}/approve"),
            Some(&moderator.token),
            json!({}),
        )
        .await;
    assert_eq!(again.status, StatusCode::FORBIDDEN);

    // Rejecting a pending sign-up removes it: the name is free again.
    let reply = sign_up(&server, &token, "spammer", json!({})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    let spammer_token = reply.json["access_token"].as_str().unwrap().to_string();
    let listed = server
        .get(
            "/api/v2/admin/accounts?status=pending",
            Some(&moderator.token),
        )
        .await;
    let spammer = ids(&listed.json)[0].clone();
    let rejected = server
        .post(
            &format!("/api/v1/admin/accounts/{spammer}/reject"),
            Some(&moderator.token),
            json!({}),
        )
        .await;
    assert_eq!(rejected.status, StatusCode::OK, "{}", rejected.json);
    let gone = server
        .get(
            &format!("/api/v1/admin/accounts/{spammer}"),
            Some(&moderator.token),
        )
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let dead = server
        .get("/api/v1/accounts/verify_credentials", Some(&spammer_token))
        .await;
    assert_eq!(dead.status, StatusCode::UNAUTHORIZED);
    let reply = sign_up(&server, &token, "spammer", json!({})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
}

#[tokio::test]
async fn closed_registrations_admit_only_invitations() {
    let server = Server::start().await;
    let token = app_token(&server).await;
    let closed = sign_up(&server, &token, "walker", json!({})).await;
    assert_eq!(closed.status, StatusCode::FORBIDDEN, "{}", closed.json);
    assert!(closed.json["error"].is_string());

    let invite = server
        .app
        .run(|app| {
            skerry::app::registrations::create_invite(
                app,
                skerry::app::admin::Actor::Operator,
                None,
                Some(1),
            )
        })
        .await
        .unwrap();
    // A second invitation beside the first (the count check reads the table it writes).
    let second = server
        .app
        .run(|app| {
            skerry::app::registrations::create_invite(
                app,
                skerry::app::admin::Actor::Operator,
                Some(3600),
                None,
            )
        })
        .await
        .unwrap();
    assert_ne!(second.code, invite.code);
    let wrong = sign_up(&server, &token, "walker", json!({"invite_code": "nope"})).await;
    assert_eq!(
        wrong.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        wrong.json
    );
    let invited = sign_up(
        &server,
        &token,
        "walker",
        json!({"invite_code": invite.code}),
    )
    .await;
    assert_eq!(invited.status, StatusCode::OK, "{}", invited.json);
    // Invited accounts need no approval: the token works at once.
    let me = server
        .get(
            "/api/v1/accounts/verify_credentials",
            invited.json["access_token"].as_str(),
        )
        .await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.json);
    // One use only.
    let used_up = sign_up(
        &server,
        &token,
        "runner",
        json!({"invite_code": invite.code}),
    )
    .await;
    assert_eq!(
        used_up.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        used_up.json
    );
}

#[tokio::test]
async fn sign_ups_are_rate_limited_per_address() {
    let server = Server::start_with(&[
        ("SKERRY_INSTANCE_REGISTRATIONS", "open"),
        ("SKERRY_LIMITS_RATE_LIMITS_EXEMPT_LOOPBACK", "false"),
        ("SKERRY_LIMITS_SIGNUPS_PER_30MIN_PER_IP", "2"),
    ])
    .await;
    let token = app_token(&server).await;
    for name in ["one", "two"] {
        let reply = sign_up(&server, &token, name, json!({})).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    }
    let limited = sign_up(&server, &token, "three", json!({})).await;
    assert_eq!(
        limited.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        limited.json
    );
    assert!(limited.headers.get("retry-after").is_some());
}

#[tokio::test]
async fn roles_bound_what_each_may_do() {
    let server = Server::start().await;
    let admin_scopes = "read write admin:read admin:write";
    let owner = server
        .user_with_role("owner", Role::Owner, admin_scopes)
        .await;
    let admin = server
        .user_with_role("admin", Role::Admin, admin_scopes)
        .await;
    let moderator = server
        .user_with_role("mod", Role::Moderator, admin_scopes)
        .await;
    let user = server
        .user_with_role("user", Role::User, admin_scopes)
        .await;
    let victim = server.user("victim").await;

    // A user cannot reach admin endpoints, even with admin scopes.
    for path in [
        "/api/v1/admin/accounts",
        "/api/v2/admin/accounts",
        "/api/v1/admin/reports",
    ] {
        let reply = server.get(path, Some(&user.token)).await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "{path}: {}",
            reply.json
        );
    }
    // Admin scopes are needed too: a moderator's plain token is refused.
    let plain = server
        .user_with_role("plainmod", Role::Moderator, "read write")
        .await;
    let reply = server
        .get("/api/v1/admin/accounts", Some(&plain.token))
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);

    // A moderator cannot do an admin's action (domain blocks are `manage_federation`)...
    let block = server
        .post(
            "/api/v1/admin/domain_blocks",
            Some(&moderator.token),
            json!({"domain": "spam.example"}),
        )
        .await;
    assert_eq!(block.status, StatusCode::FORBIDDEN, "{}", block.json);
    // ...nor act on staff at or above their own role.
    for target in [&admin, &owner] {
        let reply = server
            .post(
                &format!("/api/v1/admin/accounts/{}/action", target.id.0),
                Some(&moderator.token),
                json!({"type": "suspend"}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.json);
    }
    let unknown = server
        .post(
            &format!("/api/v1/admin/accounts/{}/action", victim.id.0),
            Some(&moderator.token),
            json!({"type": "explode"}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);

    // A moderator silences a user: the flag shows, and the filter finds it.
    let reply = server
        .post(
            &format!("/api/v1/admin/accounts/{}/action", victim.id.0),
            Some(&moderator.token),
            json!({"type": "silence", "text": "spam"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    let silenced = server
        .get(
            "/api/v2/admin/accounts?status=silenced",
            Some(&moderator.token),
        )
        .await;
    assert_eq!(ids(&silenced.json), vec![victim.id.0.to_string()]);
    let staff = server
        .get(
            "/api/v2/admin/accounts?permissions=staff&origin=local",
            Some(&admin.token),
        )
        .await;
    assert_eq!(staff.json.as_array().unwrap().len(), 4, "{}", staff.json);

    // A suspended account's token and streams stop at once.
    let viewer = server.user("viewer").await;
    let closes = tokio::spawn({
        let server_base = server.base.clone();
        let token = viewer.token.clone();
        async move {
            let url = format!(
                "{}/api/v1/streaming?stream=user",
                server_base.replace("http://", "ws://")
            );
            let mut request = url.into_client_request().unwrap();
            request
                .headers_mut()
                .insert("authorization", format!("Bearer {token}").parse().unwrap());
            let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
            tokio::time::timeout(WAIT, async {
                loop {
                    match socket.next().await {
                        None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                        Some(Ok(_)) => {}
                    }
                }
            })
            .await
            .is_ok()
        }
    });
    // Let the socket open before the suspension.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let reply = server
        .post(
            &format!("/api/v1/admin/accounts/{}/action", viewer.id.0),
            Some(&moderator.token),
            json!({"type": "suspend", "text": "ban evasion"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    let me = server
        .get("/api/v1/accounts/verify_credentials", Some(&viewer.token))
        .await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
    assert!(
        closes.await.unwrap(),
        "the stream stays open after suspension"
    );
    let shown = server
        .get(
            &format!("/api/v1/admin/accounts/{}", viewer.id.0),
            Some(&moderator.token),
        )
        .await;
    assert_eq!(shown.json["suspended"], true);
    // Peers see the suspension on the actor.
    let actor = server
        .client
        .get(server.url("/users/viewer"))
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    let actor: serde_json::Value = actor.json().await.unwrap();
    assert_eq!(actor["suspended"], true);
    assert_eq!(actor["name"], "");

    // Unsuspending brings the token back.
    let reply = server
        .post(
            &format!("/api/v1/admin/accounts/{}/unsuspend", viewer.id.0),
            Some(&moderator.token),
            json!({}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(reply.json["suspended"], false);
    let me = server
        .get("/api/v1/accounts/verify_credentials", Some(&viewer.token))
        .await;
    assert_eq!(me.status, StatusCode::OK);

    // Disabling a local login: 403 with the reason; enabling it again.
    let reply = server
        .post(
            &format!("/api/v1/admin/accounts/{}/action", viewer.id.0),
            Some(&admin.token),
            json!({"type": "disable"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let me = server
        .get("/api/v1/accounts/verify_credentials", Some(&viewer.token))
        .await;
    assert_eq!(me.status, StatusCode::FORBIDDEN);
    assert_eq!(me.json["error"], "Your login is currently disabled");
    let reply = server
        .post(
            &format!("/api/v1/admin/accounts/{}/enable", viewer.id.0),
            Some(&admin.token),
            json!({}),
        )
        .await;
    assert_eq!(reply.json["disabled"], false);

    // Every action is in the audit log, with who did it and why.
    let log = server
        .app
        .run(|app| {
            skerry::app::moderation::audit_log(
                app,
                skerry::app::admin::Actor::Operator,
                skerry::store::Page::newest(50),
            )
        })
        .await
        .unwrap();
    let lines: Vec<(Option<AccountId>, &str, String, String)> = log
        .iter()
        .rev()
        .map(|entry| {
            (
                entry.actor,
                entry.action.name(),
                entry.target.clone(),
                entry.text.clone(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        vec![
            (
                Some(moderator.id),
                "silence",
                "@victim".to_string(),
                "spam".to_string()
            ),
            (
                Some(moderator.id),
                "suspend",
                "@viewer".to_string(),
                "ban evasion".to_string()
            ),
            (
                Some(moderator.id),
                "unsuspend",
                "@viewer".to_string(),
                String::new()
            ),
            (
                Some(admin.id),
                "disable",
                "@viewer".to_string(),
                String::new()
            ),
            (
                Some(admin.id),
                "enable",
                "@viewer".to_string(),
                String::new()
            ),
        ]
    );
}

#[tokio::test]
async fn reports_are_assigned_resolved_and_reopened() {
    let server = Server::start().await;
    let scopes = "read write admin:read admin:write";
    let moderator = server.user_with_role("mod", Role::Moderator, scopes).await;
    let reporter = server.user("reporter").await;
    let target = server.user("target").await;
    let status = server.post_status(&target, "something rude").await;
    let report = Report {
        id: server.app.next_id(),
        reporter: reporter.id,
        target: target.id,
        statuses: vec![StatusId(status.parse().unwrap())],
        comment: "rude".into(),
        uri: None,
        created_ms: skerry::util::time::now_ms(),
    };
    let report_id = report.id;
    server
        .app
        .run(move |app| {
            app.write(|tx| {
                skerry::store::statuses::put_report(tx, &report)?;
                Ok(())
            })
        })
        .await
        .unwrap();

    let open = server
        .get("/api/v1/admin/reports", Some(&moderator.token))
        .await;
    assert_eq!(open.status, StatusCode::OK, "{}", open.json);
    assert_eq!(ids(&open.json), vec![report_id.to_string()]);
    let entity = &open.json[0];
    assert_eq!(entity["action_taken"], false);
    assert_eq!(entity["comment"], "rude");
    assert_eq!(entity["account"]["username"], "reporter");
    assert_eq!(entity["target_account"]["username"], "target");
    assert_eq!(entity["statuses"][0]["id"], status.as_str());
    assert!(entity["assigned_account"].is_null());

    let path = |action: &str| format!("/api/v1/admin/reports/{report_id}/{action}");
    let assigned = server
        .post(&path("assign_to_self"), Some(&moderator.token), json!({}))
        .await;
    assert_eq!(assigned.status, StatusCode::OK, "{}", assigned.json);
    assert_eq!(assigned.json["assigned_account"]["username"], "mod");
    let resolved = server
        .post(&path("resolve"), Some(&moderator.token), json!({}))
        .await;
    assert_eq!(resolved.json["action_taken"], true);
    assert_eq!(resolved.json["action_taken_by_account"]["username"], "mod");
    assert!(
        resolved.json["action_taken_at"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    let open = server
        .get("/api/v1/admin/reports", Some(&moderator.token))
        .await;
    assert!(open.json.as_array().unwrap().is_empty());
    let done = server
        .get(
            "/api/v1/admin/reports?resolved=true",
            Some(&moderator.token),
        )
        .await;
    assert_eq!(ids(&done.json), vec![report_id.to_string()]);
    let reopened = server
        .post(&path("reopen"), Some(&moderator.token), json!({}))
        .await;
    assert_eq!(reopened.json["action_taken"], false);

    // An action that names the report resolves it.
    let acted = server
        .post(
            &format!("/api/v1/admin/accounts/{}/action", target.id.0),
            Some(&moderator.token),
            json!({"type": "none", "text": "be nice", "report_id": report_id.to_string()}),
        )
        .await;
    assert_eq!(acted.status, StatusCode::OK, "{}", acted.json);
    let shown = server
        .get(
            &format!("/api/v1/admin/reports/{report_id}"),
            Some(&moderator.token),
        )
        .await;
    assert_eq!(shown.json["action_taken"], true);
    let missing = server
        .get("/api/v1/admin/reports/1", Some(&moderator.token))
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn ip_and_email_blocks_govern_sign_ups_and_access() {
    let server = Server::start_with(&[("SKERRY_INSTANCE_REGISTRATIONS", "open")]).await;
    let scopes = "read write admin:read admin:write";
    let admin = server.user_with_role("admin", Role::Admin, scopes).await;
    let moderator = server.user_with_role("mod", Role::Moderator, scopes).await;
    let token = app_token(&server).await;

    // Moderators do not manage blocks (Mastodon's `manage_blocks` is an admin's).
    let refused = server
        .post(
            "/api/v1/admin/ip_blocks",
            Some(&moderator.token),
            json!({"ip": "127.0.0.0/8", "severity": "sign_up_block"}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let invalid = server
        .post(
            "/api/v1/admin/ip_blocks",
            Some(&admin.token),
            json!({"ip": "not an address", "severity": "sign_up_block"}),
        )
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Sign-ups from a range that needs approval wait, even when registrations are open.
    let block = server
        .post(
            "/api/v1/admin/ip_blocks",
            Some(&admin.token),
            json!({"ip": "127.0.0.1/8", "severity": "sign_up_requires_approval", "comment": "test range"}),
        )
        .await;
    assert_eq!(block.status, StatusCode::OK, "{}", block.json);
    assert_eq!(block.json["ip"], "127.0.0.0/8", "normalized to its network");
    let id = block.json["id"].as_str().unwrap().to_string();
    let reply = sign_up(&server, &token, "ranger", json!({})).await;
    let pending = server
        .get(
            "/api/v1/accounts/verify_credentials",
            reply.json["access_token"].as_str(),
        )
        .await;
    assert_eq!(pending.status, StatusCode::FORBIDDEN);

    // Then refused outright.
    let updated = server
        .send(
            server
                .client
                .put(server.url(&format!("/api/v1/admin/ip_blocks/{id}")))
                .json(&json!({"severity": "sign_up_block"})),
            Some(&admin.token),
        )
        .await;
    assert_eq!(updated.json["severity"], "sign_up_block");
    let blocked = sign_up(&server, &token, "ranger2", json!({})).await;
    assert_eq!(blocked.status, StatusCode::FORBIDDEN, "{}", blocked.json);
    let deleted = server
        .send(
            server
                .client
                .delete(server.url(&format!("/api/v1/admin/ip_blocks/{id}"))),
            Some(&admin.token),
        )
        .await;
    assert_eq!(deleted.status, StatusCode::OK);

    // A blocked address is refused in any spelling of it.
    let email = server
        .post(
            "/api/v1/admin/canonical_email_blocks",
            Some(&admin.token),
            json!({"email": "Spam.Mer+x@example.test"}),
        )
        .await;
    assert_eq!(email.status, StatusCode::OK, "{}", email.json);
    assert_eq!(
        email.json["canonical_email_hash"].as_str().unwrap().len(),
        64
    );
    let tested = server
        .post(
            "/api/v1/admin/canonical_email_blocks/test",
            Some(&admin.token),
            json!({"email": "spammer@example.test"}),
        )
        .await;
    assert_eq!(tested.json.as_array().unwrap().len(), 1);
    let refused = sign_up(
        &server,
        &token,
        "spammer",
        json!({"email": "spam.mer@example.test"}),
    )
    .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.json
    );

    // `no_access` shuts the range out of everything, the API and the pages alike.
    let shut = server
        .post(
            "/api/v1/admin/ip_blocks",
            Some(&admin.token),
            json!({"ip": "127.0.0.1", "severity": "no_access"}),
        )
        .await;
    assert_eq!(shut.status, StatusCode::OK);
    let id: u64 = shut.json["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        server.get("/api/v1/instance", None).await.status,
        StatusCode::FORBIDDEN
    );
    let page = server
        .client
        .get(server.url("/auth/sign_in"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::FORBIDDEN);
    server
        .app
        .run(move |app| {
            skerry::app::access::delete_ip_block(app, skerry::app::admin::Actor::Operator, id)
        })
        .await
        .unwrap();
    assert_eq!(
        server.get("/api/v1/instance", None).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn suspending_a_remote_account_ends_its_follows_and_hides_it() {
    use crate::federation_e2e::{eventually, host, instance, relationship, resolve};
    let a = instance().await;
    let b = instance().await;
    let alice = a.user("alice").await;
    let moderator = a
        .user_with_role("mod", Role::Moderator, "read write admin:read admin:write")
        .await;
    b.user("bob").await;
    let bob_on_a = resolve(&a, &alice, &format!("bob@{}", host(&b))).await;
    a.post(
        &format!("/api/v1/accounts/{bob_on_a}/follow"),
        Some(&alice.token),
        json!({}),
    )
    .await;
    eventually("alice follows bob", || async {
        (relationship(&a, &alice, &bob_on_a).await["following"] == true).then_some(())
    })
    .await;

    let reply = a
        .post(
            &format!("/api/v1/admin/accounts/{bob_on_a}/action"),
            Some(&moderator.token),
            json!({"type": "suspend", "text": "spam"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    let me = a
        .get("/api/v1/accounts/verify_credentials", Some(&alice.token))
        .await;
    assert_eq!(me.json["following_count"], 0);
    assert_eq!(
        a.get(&format!("/api/v1/accounts/{bob_on_a}"), Some(&alice.token))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Staff still see it, marked.
    let shown = a
        .get(
            &format!("/api/v1/admin/accounts/{bob_on_a}"),
            Some(&moderator.token),
        )
        .await;
    assert_eq!(shown.json["suspended"], true);
    assert_eq!(shown.json["domain"], host(&b));
}

#[tokio::test]
async fn a_suspended_accounts_content_is_deleted_after_its_grace_or_at_once() {
    let server = Server::start().await;
    let scopes = "read write admin:read admin:write";
    let admin = server.user_with_role("admin", Role::Admin, scopes).await;
    let moderator = server.user_with_role("mod", Role::Moderator, scopes).await;
    let spammer = server.user("spammer").await;
    let fan = server.user("fan").await;
    let first = server.post_status(&spammer, "buy now").await;
    let second = server.post_status(&spammer, "buy more").await;
    let boosted = server
        .post(
            &format!("/api/v1/statuses/{first}/reblog"),
            Some(&fan.token),
            json!({}),
        )
        .await;
    let boost = boosted.json["id"].as_str().unwrap().to_string();
    let exists = |id: String| {
        let app = server.app.clone();
        async move {
            app.run(move |app| {
                let id = StatusId(id.parse().unwrap());
                Ok(app
                    .store
                    .read(|tx| skerry::store::statuses::get_status(tx, id, 1 << 20))?)
            })
            .await
            .unwrap()
            .is_some()
        }
    };

    // Only a suspended account's content can go, and only an admin can make it go now.
    let path = format!("/api/v1/admin/accounts/{}", spammer.id.0);
    let early = server
        .send(server.client.delete(server.url(&path)), Some(&admin.token))
        .await;
    assert_eq!(early.status, StatusCode::FORBIDDEN);
    server
        .post(
            &format!("{path}/action"),
            Some(&moderator.token),
            json!({"type": "suspend"}),
        )
        .await;
    let moderated = server
        .send(
            server.client.delete(server.url(&path)),
            Some(&moderator.token),
        )
        .await;
    assert_eq!(moderated.status, StatusCode::FORBIDDEN);
    // The grace period keeps it all, so unsuspending loses nothing.
    let purged = server
        .app
        .run(|app| skerry::app::moderation::purge_due(app, skerry::util::time::now_ms()))
        .await
        .unwrap();
    assert_eq!(purged, 0);
    assert!(exists(first.clone()).await && exists(second.clone()).await);

    let deleted = server
        .send(server.client.delete(server.url(&path)), Some(&admin.token))
        .await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.json);
    // The request wakes the purge job; the content goes in the background.
    for id in [first, second, boost] {
        crate::federation_e2e::eventually("the status is purged", || {
            let gone = exists(id.clone());
            async move { (!gone.await).then_some(()) }
        })
        .await;
    }
    let fan_home = server.get("/api/v1/timelines/home", Some(&fan.token)).await;
    assert!(
        fan_home.json.as_array().unwrap().is_empty(),
        "{}",
        fan_home.json
    );
}

#[tokio::test]
async fn a_forwarded_report_reaches_the_reported_accounts_server_as_a_flag() {
    use crate::federation_e2e::{eventually, host, instance, resolve};
    let a = instance().await;
    let b = instance().await;
    let alice = a.user("alice").await;
    let bob = b.user("bob").await;
    let moderator_b = b
        .user_with_role("mod", Role::Moderator, "read write admin:read admin:write")
        .await;
    let bob_on_a = resolve(&a, &alice, &format!("bob@{}", host(&b))).await;
    let post = b.post_status(&bob, "a rude remark").await;
    // alice sees bob's post on A by looking it up, as a person pasting its URL would.
    let url = format!("{}/users/bob/statuses/{post}", b.base);
    let found = a
        .get(
            &format!("/api/v2/search?q={url}&resolve=true&type=statuses"),
            Some(&alice.token),
        )
        .await;
    let post_on_a = found.json["statuses"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let reply = a
        .post(
            "/api/v1/reports",
            Some(&alice.token),
            json!({"account_id": bob_on_a, "status_ids": [post_on_a], "comment": "rude", "forward": true}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(reply.json["forwarded"], true);

    // B's moderators get it from A's instance actor: alice stays anonymous.
    let report = eventually("the Flag reaches B", || async {
        let open = b
            .get("/api/v1/admin/reports", Some(&moderator_b.token))
            .await;
        open.json
            .as_array()
            .and_then(|reports| reports.first().cloned())
    })
    .await;
    assert_eq!(report["comment"], "rude");
    assert_eq!(report["target_account"]["username"], "bob");
    assert_eq!(report["statuses"][0]["id"], post.as_str());
    assert_ne!(report["account"]["username"], "alice");
    assert_eq!(report["account"]["domain"], host(&a));
}

#[tokio::test]
async fn the_servers_rules_are_listed_for_apps() {
    let server =
        Server::start_with(&[("SKERRY_INSTANCE_RULES", r#"["Be kind.", "No spam."]"#)]).await;
    let rules = server.get("/api/v1/instance/rules", None).await;
    assert_eq!(rules.status, StatusCode::OK);
    assert_eq!(
        rules.json,
        json!([
            {"id": "1", "text": "Be kind.", "hint": ""},
            {"id": "2", "text": "No spam.", "hint": ""},
        ])
    );
    let v2 = server.get("/api/v2/instance", None).await;
    assert_eq!(v2.json["rules"], rules.json);
    let v1 = server.get("/api/v1/instance", None).await;
    assert_eq!(v1.json["rules"][1]["text"], "No spam.");

    // Without a policy or terms configured, both answer 404, as Mastodon's without terms.
    let none = server.get("/api/v1/instance/terms_of_service", None).await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);
    let languages = server.get("/api/v1/instance/languages", None).await;
    assert!(
        languages
            .json
            .as_array()
            .unwrap()
            .iter()
            .any(|language| language["code"] == "en")
    );
    let server = Server::start_with(&[(
        "SKERRY_INSTANCE_PRIVACY_POLICY",
        "We keep what you post. Ask https://example.test to delete it.",
    )])
    .await;
    let policy = server.get("/api/v1/instance/privacy_policy", None).await;
    assert_eq!(policy.status, StatusCode::OK, "{}", policy.json);
    let content = policy.json["content"].as_str().unwrap();
    assert!(
        content.starts_with("<p>We keep what you post. Ask <a href=\"https://example.test\""),
        "{content}"
    );
    assert!(policy.json["updated_at"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn reports_from_a_domain_blocked_with_reject_reports_are_dropped() {
    let server = Server::start_with(&[("SKERRY_FEDERATION_OUTBOUND", "false")]).await;
    let alice = server.user("alice").await;
    let target = alice.id;
    let flag = move |app: &skerry::app::App, reporter, uri: &str| {
        skerry::app::remote::report(app, reporter, target, Vec::new(), "spam", uri)
    };
    let reporter = server
        .app
        .run(|app| {
            let input = skerry::app::remote::ActorInput {
                uri: "https://spam.example/actor".into(),
                username: "spam.example".into(),
                host: "spam.example".into(),
                inbox: "https://spam.example/inbox".into(),
                key_id: "https://spam.example/actor#main-key".into(),
                public_key_pem: "pem".into(),
                ..Default::default()
            };
            skerry::app::remote::upsert_actor(app, input)
        })
        .await
        .unwrap();
    server
        .app
        .run(move |app| flag(app, reporter, "https://spam.example/flags/1").map(drop))
        .await
        .unwrap();
    server
        .app
        .run(|app| {
            let block = skerry::app::domains::BlockInput {
                domain: "spam.example".into(),
                severity: skerry::model::Severity::Noop,
                reject_media: false,
                reject_reports: true,
                private_comment: String::new(),
                public_comment: String::new(),
                obfuscate: false,
            };
            skerry::app::domains::block_domain(app, skerry::app::admin::Actor::Operator, block)
        })
        .await
        .unwrap();
    let refused = server
        .app
        .run(move |app| flag(app, reporter, "https://spam.example/flags/2"))
        .await;
    assert!(refused.is_err());
    let reports = server
        .app
        .run(|app| {
            skerry::app::moderation::list_reports(
                app,
                skerry::app::admin::Actor::Operator,
                skerry::app::moderation::ReportFilter::default(),
                skerry::store::Page::newest(10),
            )
        })
        .await
        .unwrap();
    assert_eq!(reports.len(), 1, "only the report from before the block");
}

#[tokio::test]
async fn announcements_are_published_shown_dismissed_and_expire() {
    use skerry::app::admin::Actor;
    use skerry::app::announcements;
    let server = Server::start().await;
    let alice = server.user("alice").await;
    let alice_id = alice.id;
    // Only an admin (or the operator) publishes.
    let refused = server
        .app
        .run(move |app| announcements::publish(app, Actor::Account(alice_id), "hi", None))
        .await;
    assert!(refused.is_err());
    let current = server
        .app
        .run(|app| {
            announcements::publish(
                app,
                Actor::Operator,
                "Maintenance tonight.\n\nSee https://status.example",
                None,
            )
        })
        .await
        .unwrap();
    server
        .app
        .run(|app| announcements::publish(app, Actor::Operator, "Already over", Some(0)))
        .await
        .unwrap();

    let listed = server
        .get("/api/v1/announcements", Some(&alice.token))
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.json);
    let entries = listed.json.as_array().unwrap();
    assert_eq!(
        entries.len(),
        1,
        "the expired one is not shown: {}",
        listed.json
    );
    let entry = &entries[0];
    assert_eq!(entry["id"], current.id.to_string());
    assert_eq!(entry["read"], false);
    assert!(
        entry["content"]
            .as_str()
            .unwrap()
            .starts_with("<p>Maintenance tonight.</p>")
    );
    assert!(entry["published_at"].as_str().unwrap().ends_with('Z'));

    let path = format!("/api/v1/announcements/{}", current.id);
    let dismissed = server
        .post(&format!("{path}/dismiss"), Some(&alice.token), json!({}))
        .await;
    assert_eq!(dismissed.status, StatusCode::OK);
    let listed = server
        .get("/api/v1/announcements", Some(&alice.token))
        .await;
    assert_eq!(listed.json[0]["read"], true);
    let reaction = server
        .send(
            server
                .client
                .put(server.url(&format!("{path}/reactions/👍"))),
            Some(&alice.token),
        )
        .await;
    assert_eq!(reaction.status, StatusCode::OK);
    let custom = server
        .send(
            server
                .client
                .put(server.url(&format!("{path}/reactions/blobcat"))),
            Some(&alice.token),
        )
        .await;
    assert_eq!(custom.status, StatusCode::UNPROCESSABLE_ENTITY);
    let unknown = server
        .post(
            "/api/v1/announcements/1/dismiss",
            Some(&alice.token),
            json!({}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

/// `POST /api/v1/admin/retention`: cohorts by sign-up day, for staff only.
#[tokio::test]
async fn retention_cohorts_count_sign_ups_and_are_for_staff() {
    let server = Server::start().await;
    let user = server.user("user").await;
    let moderator = server
        .user_with_role("mod", Role::Moderator, "read admin:read")
        .await;
    let today = skerry::util::time::iso8601_ms(skerry::util::time::now_ms());
    let day = &today[..10];
    let yesterday =
        skerry::util::time::iso8601_ms(skerry::util::time::now_ms() - skerry::util::time::DAY_MS);
    let body = json!({ "start_at": &yesterday[..10], "end_at": day, "frequency": "day" });
    let refused = server
        .post("/api/v1/admin/retention", Some(&user.token), body.clone())
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    server.post_status(&user, "active today").await;
    let cohorts = server
        .post("/api/v1/admin/retention", Some(&moderator.token), body)
        .await;
    assert_eq!(cohorts.status, StatusCode::OK, "{}", cohorts.json);
    let cohorts = cohorts.json.as_array().unwrap().clone();
    assert_eq!(cohorts.len(), 2);
    assert_eq!(cohorts[0]["data"].as_array().unwrap().len(), 2);
    assert_eq!(cohorts[0]["data"][0]["value"], "0");
    assert_eq!(cohorts[1]["period"].as_str().unwrap()[..10], *day);
    assert_eq!(cohorts[1]["frequency"], "day");
    assert_eq!(cohorts[1]["data"][0]["value"], "2");
    assert_eq!(cohorts[1]["data"][0]["rate"], 1.0);
    let bad = server
        .post(
            "/api/v1/admin/retention",
            Some(&moderator.token),
            json!({ "start_at": day, "end_at": day, "frequency": "week" }),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}
