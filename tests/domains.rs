//! Domain blocks and allows: the admin API with its scope and role checks, the public list,
//! the command line on a stopped server, and what suspension and silence do between two
//! instances on loopback.

use std::process::Command;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use skerry::model::Role;

use crate::federation_e2e::{eventually, host, instance, relationship, resolve};
use crate::rig::{Server, User, ids};

const ADMIN_SCOPES: &str = "read write follow admin:read admin:write";

async fn admin(server: &Server) -> User {
    server
        .user_with_role("root", Role::Admin, ADMIN_SCOPES)
        .await
}

/// A second instance on 127.0.0.2, so that its host differs from the first one's.
async fn other_instance() -> Server {
    Server::start_on(
        "127.0.0.2",
        &[("SKERRY_FEDERATION_ALLOW_PRIVATE_NETWORKS", "true")],
    )
    .await
}

async fn put(server: &Server, path: &str, token: &str, body: Value) -> crate::rig::Reply {
    server
        .send(server.client.put(server.url(path)).json(&body), Some(token))
        .await
}

async fn delete(server: &Server, path: &str, token: &str) -> crate::rig::Reply {
    server
        .send(server.client.delete(server.url(path)), Some(token))
        .await
}

#[tokio::test]
async fn admin_api_creates_lists_updates_and_deletes_blocks() {
    let server = Server::start().await;
    let root = admin(&server).await;
    let plain = server
        .user_with_role("plain", Role::User, ADMIN_SCOPES)
        .await;
    let moderator = server
        .user_with_role("moderator", Role::Moderator, ADMIN_SCOPES)
        .await;
    let unscoped = server
        .user_with_role("unscoped", Role::Owner, "read write follow")
        .await;
    let granular = server
        .user_with_role("granular", Role::Admin, "admin:read:domain_blocks")
        .await;

    // Scopes first (403), then the role (403), and no token is 401.
    let path = "/api/v1/admin/domain_blocks";
    let reply = server.get(path, Some(&unscoped.token)).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.json);
    assert_eq!(
        reply.json["error"],
        "This action is outside the authorized scopes"
    );
    for user in [&plain, &moderator] {
        let reply = server.get(path, Some(&user.token)).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.json);
        assert_eq!(reply.json["error"], "This action is not allowed");
        let reply = server
            .post(path, Some(&user.token), json!({"domain": "x.example"}))
            .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.json);
    }
    assert_eq!(
        server.get(path, None).await.status,
        StatusCode::UNAUTHORIZED
    );

    // Create, with Mastodon's entity.
    let reply = server
        .post(
            path,
            Some(&root.token),
            json!({
                "domain": "Spam.Example",
                "severity": "suspend",
                "reject_reports": true,
                "private_comment": "bulk spam",
                "public_comment": "Spam",
                "obfuscate": true,
            }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    let spam = reply.json;
    assert_eq!(spam["domain"], "spam.example");
    assert_eq!(spam["severity"], "suspend");
    assert_eq!(spam["reject_media"], false);
    assert_eq!(spam["reject_reports"], true);
    assert_eq!(spam["private_comment"], "bulk spam");
    assert_eq!(spam["public_comment"], "Spam");
    assert_eq!(spam["obfuscate"], true);
    assert_eq!(spam["digest"].as_str().unwrap().len(), 64);
    assert!(spam["created_at"].as_str().unwrap().ends_with('Z'));
    let spam_id = spam["id"].as_str().unwrap().to_string();

    // A form body works too; the default severity is silence, comments default to null.
    let reply = server
        .post_form(path, Some(&root.token), &[("domain", "limited.example")])
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(reply.json["severity"], "silence");
    assert_eq!(reply.json["private_comment"], Value::Null);
    let limited_id = reply.json["id"].as_str().unwrap().to_string();

    // Validation: 422 for a bad domain, our own host, a duplicate, an unknown severity.
    let own_host = host(&server);
    let own_name = own_host.split(':').next().unwrap().to_string();
    for (body, message) in [
        (json!({"domain": "https://x.example/path"}), "not a valid"),
        (json!({"domain": ""}), "blank"),
        (json!({}), "blank"),
        (json!({"domain": own_name}), "own host"),
        (json!({"domain": "SPAM.example."}), "already been taken"),
        (
            json!({"domain": "new.example", "severity": "obliterate"}),
            "Severity",
        ),
    ] {
        let reply = server.post(path, Some(&root.token), body.clone()).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            reply.json
        );
        let error = reply.json["error"].as_str().unwrap();
        assert!(error.contains(message), "{body}: {error}");
    }

    // List newest first, paged with Link headers; granular admin scopes count.
    let reply = server.get(path, Some(&granular.token)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(ids(&reply.json), vec![limited_id.clone(), spam_id.clone()]);
    let reply = server
        .get(&format!("{path}?limit=1"), Some(&root.token))
        .await;
    assert_eq!(ids(&reply.json), vec![limited_id.clone()]);
    let next = reply.link("next").unwrap();
    let next_path = next.trim_start_matches(&server.base).to_string();
    let reply = server.get(&next_path, Some(&root.token)).await;
    assert_eq!(ids(&reply.json), vec![spam_id.clone()]);

    // Show and update.
    let reply = server
        .get(&format!("{path}/{spam_id}"), Some(&granular.token))
        .await;
    assert_eq!(reply.json, spam);
    let reply = put(
        &server,
        &format!("{path}/{limited_id}"),
        &root.token,
        json!({"severity": "noop", "reject_media": true}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(reply.json["severity"], "noop");
    assert_eq!(reply.json["reject_media"], true);
    assert_eq!(reply.json["domain"], "limited.example");
    let reply = put(
        &server,
        &format!("{path}/{limited_id}"),
        &granular.token,
        json!({"severity": "suspend"}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "read scopes only");
    assert_eq!(
        server
            .get(&format!("{path}/12345"), Some(&root.token))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // The public list: limiting blocks only, obfuscated where asked, for anyone.
    let reply = server.get("/api/v1/instance/domain_blocks", None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(
        reply.json,
        json!([{
            "domain": "spa******ple",
            "digest": spam["digest"],
            "severity": "suspend",
            "comment": "Spam",
        }])
    );

    // Delete answers {} and the block is gone.
    let reply = delete(&server, &format!("{path}/{spam_id}"), &plain.token).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let reply = delete(&server, &format!("{path}/{spam_id}"), &root.token).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(reply.json, json!({}));
    let reply = server
        .get(&format!("{path}/{spam_id}"), Some(&root.token))
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let reply = server.get("/api/v1/instance/domain_blocks", None).await;
    assert_eq!(reply.json, json!([]));
}

#[tokio::test]
async fn admin_api_manages_allows() {
    let server = Server::start().await;
    let root = admin(&server).await;
    let plain = server
        .user_with_role("plain", Role::User, ADMIN_SCOPES)
        .await;
    let path = "/api/v1/admin/domain_allows";
    let reply = server
        .post(
            path,
            Some(&plain.token),
            json!({"domain": "friends.example"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let reply = server
        .post(
            path,
            Some(&root.token),
            json!({"domain": "Friends.Example"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(reply.json["domain"], "friends.example");
    let allow = reply.json;
    let id = allow["id"].as_str().unwrap().to_string();
    // Allowing again answers the same allow, as Mastodon.
    let reply = server
        .post(
            path,
            Some(&root.token),
            json!({"domain": "friends.example"}),
        )
        .await;
    assert_eq!(reply.json, allow);
    let reply = server
        .post(path, Some(&root.token), json!({"domain": "no/such"}))
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let reply = server.get(path, Some(&root.token)).await;
    assert_eq!(reply.json, json!([allow]));
    let reply = server.get(&format!("{path}/{id}"), Some(&root.token)).await;
    assert_eq!(reply.json, allow);
    assert_eq!(
        server.get(path, Some(&plain.token)).await.status,
        StatusCode::FORBIDDEN
    );
    let reply = delete(&server, &format!("{path}/{id}"), &root.token).await;
    assert_eq!(reply.json, json!({}));
    let reply = server.get(&format!("{path}/{id}"), Some(&root.token)).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

fn skerry(arguments: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_skerry"))
        .args(arguments)
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn command_line_blocks_and_allows_on_a_stopped_server() {
    let directory = tempfile::tempdir().unwrap();
    let data = directory.path().join("data");
    let data = data.to_str().unwrap();
    let run = |arguments: &[&str]| {
        let mut all = vec!["admin", "domain"];
        all.extend_from_slice(arguments);
        all.extend_from_slice(&["--data", data]);
        skerry(&all)
    };
    let (ok, _, stderr) = run(&["list"]);
    assert!(!ok, "no database is created by a listing");
    assert!(stderr.contains("no database"), "{stderr}");

    let (ok, stdout, stderr) = run(&[
        "block",
        "Spam.Example",
        "--reject-media",
        "--comment",
        "bulk spam",
    ]);
    assert!(ok, "{stderr}");
    assert_eq!(stdout, "Blocked spam.example (suspend, reject media)\n");
    // Blocking again changes the block: severity and options as given, the comment kept.
    let (ok, stdout, _) = run(&["block", "spam.example", "--severity", "silence"]);
    assert!(ok);
    assert_eq!(stdout, "Updated the block of spam.example (silence)\n");
    let (ok, _, stderr) = run(&["block", "https://spam.example/"]);
    assert!(!ok);
    assert!(stderr.contains("not a valid domain"), "{stderr}");
    let (ok, _, _) = run(&["block", "x.example", "--severity", "obliterate"]);
    assert!(!ok, "clap refuses an unknown severity");
    let (ok, stdout, _) = run(&["allow", "friends.example"]);
    assert!(ok);
    assert_eq!(stdout, "Allowed friends.example\n");

    let (ok, stdout, _) = run(&["list"]);
    assert!(ok);
    assert_eq!(
        stdout,
        "block  spam.example  silence  # bulk spam\n\
         allow  friends.example\n\
         1 block(s), 1 allow(s)\n"
    );
    let (ok, stdout, _) = run(&["unblock", "spam.example"]);
    assert!(ok);
    assert_eq!(stdout, "Unblocked spam.example\n");
    let (ok, _, stderr) = run(&["unblock", "spam.example"]);
    assert!(!ok);
    assert!(stderr.contains("not blocked"), "{stderr}");
    let (ok, stdout, _) = run(&["disallow", "friends.example"]);
    assert!(ok);
    assert_eq!(stdout, "Removed the allow of friends.example\n");
    let (_, stdout, _) = run(&["list"]);
    assert_eq!(stdout, "0 block(s), 0 allow(s)\n");
}

async fn follow(server: &Server, user: &User, id: &str) {
    let reply = server
        .post(
            &format!("/api/v1/accounts/{id}/follow"),
            Some(&user.token),
            json!({}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
}

async fn mention_count(server: &Server, user: &User) -> usize {
    server
        .get("/api/v1/notifications?types[]=mention", Some(&user.token))
        .await
        .json
        .as_array()
        .unwrap()
        .len()
}

/// Rows in a table of `server`'s database.
fn table_len(server: &Server, table: redb::TableDefinition<'static, u64, &'static [u8]>) -> u64 {
    use redb::ReadableTableMetadata;
    server
        .app
        .store
        .read(|tx| {
            Ok::<_, skerry::store::StoreError>(tx.open_table(table).map_or(0, |t| t.len().unwrap()))
        })
        .unwrap()
}

/// Waits until `server` has no outbox intents and no deliveries left.
async fn wait_until_sent(server: &Server, what: &str) {
    use skerry::store::schema::{DELIVERIES, OUTBOX_INTENTS};
    eventually(what, || async {
        (table_len(server, OUTBOX_INTENTS) == 0 && table_len(server, DELIVERIES) == 0).then_some(())
    })
    .await;
}

#[tokio::test]
async fn suspending_a_domain_ends_follows_and_federation_both_ways() {
    let a = instance().await;
    let b = other_instance().await;
    let root = admin(&a).await;
    let alice = a.user("alice").await;
    let bob = b.user("bob").await;

    // Follows both ways.
    let bob_on_a = resolve(&a, &alice, &format!("bob@{}", host(&b))).await;
    let alice_on_b = resolve(&b, &bob, &format!("alice@{}", host(&a))).await;
    follow(&a, &alice, &bob_on_a).await;
    follow(&b, &bob, &alice_on_b).await;
    eventually("alice and bob follow each other", || async {
        let found = relationship(&a, &alice, &bob_on_a).await;
        (found["following"] == true && found["followed_by"] == true).then_some(())
    })
    .await;

    // A suspends B's host: the follows end on A at once, and bob is not shown.
    let b_name = host(&b).split(':').next().unwrap().to_string();
    let reply = a
        .post(
            "/api/v1/admin/domain_blocks",
            Some(&root.token),
            json!({"domain": b_name, "severity": "suspend"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    let found = relationship(&a, &alice, &bob_on_a).await;
    assert_eq!(
        (&found["following"], &found["followed_by"]),
        (&json!(false), &json!(false)),
        "{found}"
    );
    let alice_account = a
        .get(&format!("/api/v1/accounts/{}", alice.id), None)
        .await
        .json;
    assert_eq!(alice_account["followers_count"], 0);
    assert_eq!(alice_account["following_count"], 0);
    assert_eq!(
        a.get(&format!("/api/v1/accounts/{bob_on_a}"), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // B still believes alice follows bob: its delivery of bob's post meets a 403 and is
    // given up, and nothing reaches alice.
    b.post_status(&bob, "after the block").await;
    wait_until_sent(&b, "bob's post delivered or given up").await;
    let home = a.get("/api/v1/timelines/home", Some(&alice.token)).await;
    assert!(ids(&home.json).is_empty(), "{}", home.json);
    assert_eq!(table_len(&a, skerry::store::schema::INBOUND), 0);
    // The inbox refuses anything signed by a key on B's host before looking further.
    let key_id = format!("{}/users/bob#main-key", b.base);
    let reply = a
        .send(
            a.client
                .post(a.url("/inbox"))
                .header("content-type", "application/activity+json")
                .header(
                    "signature",
                    format!(
                        "keyId=\"{key_id}\",algorithm=\"rsa-sha256\",\
                         headers=\"(request-target) host date digest\",signature=\"AAAA\""
                    ),
                )
                .body(
                    json!({"id": format!("{}/x", b.base), "type": "Like",
                           "actor": format!("{}/users/bob", b.base)})
                    .to_string(),
                ),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.json);

    // Alice's posts do not go to B: no delivery is even created.
    a.post_status(&alice, &format!("hello @bob@{}", host(&b)))
        .await;
    wait_until_sent(&a, "alice's post handled").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let notifications = b.get("/api/v1/notifications", Some(&bob.token)).await;
    let kinds: Vec<&str> = notifications
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        vec!["follow"],
        "only the follow from before the block"
    );

    for server in [&a, &b] {
        let (problems, _) = server.app.store.check().unwrap();
        assert!(problems.is_empty(), "{problems:?}");
    }
}

#[tokio::test]
async fn silence_keeps_posts_from_public_timelines_and_non_followers() {
    let a = instance().await;
    let b = other_instance().await;
    let root = admin(&a).await;
    let alice = a.user("alice").await;
    let carol = a.user("carol").await;
    let bob = b.user("bob").await;

    let bob_on_a = resolve(&a, &alice, &format!("bob@{}", host(&b))).await;
    follow(&a, &alice, &bob_on_a).await;
    eventually("alice follows bob", || async {
        (relationship(&a, &alice, &bob_on_a).await["following"] == true).then_some(())
    })
    .await;

    // Before the silence, bob's public post shows in A's public timeline.
    let public_ids = || async {
        ids(&a
            .get("/api/v1/timelines/public", Some(&carol.token))
            .await
            .json)
    };
    b.post_status(&bob, "before #news").await;
    eventually("bob's first post in A's public timeline", || async {
        (!public_ids().await.is_empty()).then_some(())
    })
    .await;

    let b_name = host(&b).split(':').next().unwrap().to_string();
    let reply = a
        .post(
            "/api/v1/admin/domain_blocks",
            Some(&root.token),
            json!({"domain": b_name, "severity": "silence"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);

    // After: bob's posts reach his follower's home, mention notifications reach his
    // follower only, and nothing of his is in the public or hashtag timelines.
    b.post_status(
        &bob,
        &format!("after #news @alice@{} @carol@{}", host(&a), host(&a)),
    )
    .await;
    let in_home = eventually("bob's second post in alice's home", || async {
        let home = a.get("/api/v1/timelines/home", Some(&alice.token)).await;
        home.json
            .as_array()
            .unwrap()
            .iter()
            .find(|status| {
                status["content"]
                    .as_str()
                    .is_some_and(|content| content.contains("after"))
            })
            .cloned()
    })
    .await;
    assert_eq!(in_home["account"]["id"], bob_on_a.as_str());
    assert!(public_ids().await.is_empty());
    let tag = a
        .get("/api/v1/timelines/tag/news", Some(&carol.token))
        .await;
    assert!(ids(&tag.json).is_empty(), "{}", tag.json);
    let anonymous = a.get("/api/v1/timelines/public", None).await;
    assert!(ids(&anonymous.json).is_empty());
    assert_eq!(mention_count(&a, &alice).await, 1);
    assert_eq!(
        mention_count(&a, &carol).await,
        0,
        "carol does not follow bob"
    );
    // The account itself is still shown.
    assert_eq!(
        a.get(&format!("/api/v1/accounts/{bob_on_a}"), None)
            .await
            .status,
        StatusCode::OK
    );
}
