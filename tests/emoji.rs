//! Custom emojis: `skerry admin emoji add|list|remove` (offline and through a server),
//! `GET /api/v1/custom_emojis`, `emojis` on statuses and accounts, `Emoji` tags in AS2 notes
//! and actors (and `/emojis/:shortcode`), a peer's emoji recorded from its post or its actor
//! document (Pleroma, Misskey and GoToSocial fixtures) and fetched through the tiers from a
//! fake origin, and the sweep of peers' emojis nothing uses (in bounded steps, after the
//! one-time fill of its index).

use std::io::Cursor;
use std::process::Command;

use reqwest::StatusCode;

use crate::rig::Server;

fn png(side: u32) -> Vec<u8> {
    let image = image::RgbaImage::from_fn(side, side, |x, y| {
        image::Rgba([(x * 9) as u8, (y * 7) as u8, 200, 255])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgba8(image)
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

/// A PNG of noise, which does not compress: about `side * side * 4` bytes.
fn noise_png(side: u32) -> Vec<u8> {
    let mut state = 0x2545_f491_u32;
    let image = image::RgbaImage::from_fn(side, side, |_, _| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        image::Rgba(state.to_le_bytes())
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgba8(image)
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

#[test]
fn the_admin_commands_add_list_and_remove_emojis_on_a_stopped_server() {
    let directory = tempfile::tempdir().unwrap();
    let data = directory.path().join("data");
    let data = data.to_str().unwrap();
    let file = directory.path().join("blobcat.png");
    std::fs::write(&file, png(32)).unwrap();
    let file = file.to_str().unwrap();
    let run = |arguments: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_skerry"))
            .args(arguments)
            .args(["--data", data])
            .output()
            .unwrap()
    };
    let added = run(&[
        "admin",
        "emoji",
        "add",
        "blobcat",
        file,
        "--category",
        "Cats",
    ]);
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let listed = run(&["admin", "emoji", "list"]);
    assert_eq!(String::from_utf8_lossy(&listed.stdout), ":blobcat:\tCats\n");
    // Not an image, a bad shortcode: clean refusals that store nothing.
    let text = directory.path().join("note.txt");
    std::fs::write(&text, "not an image").unwrap();
    let refused = run(&["admin", "emoji", "add", "note", text.to_str().unwrap()]);
    assert!(!refused.status.success());
    let refused = run(&["admin", "emoji", "add", "bad-code!", file]);
    assert!(!refused.status.success());
    let removed = run(&["admin", "emoji", "remove", "blobcat"]);
    assert!(removed.status.success());
    assert_eq!(
        String::from_utf8_lossy(&run(&["admin", "emoji", "list"]).stdout),
        ""
    );
    assert!(
        !run(&["admin", "emoji", "remove", "blobcat"])
            .status
            .success()
    );
}

#[tokio::test]
async fn local_emojis_show_on_statuses_and_federate_as_emoji_tags() {
    let server = Server::start_with(&[("SKERRY_MEDIA_EMOJI_BYTES_MAX", "20000")]).await;
    let image = png(32);
    let big = noise_png(100);
    let files = tempfile::tempdir().unwrap();
    let file = files.path().join("blobcat.png");
    std::fs::write(&file, &image).unwrap();
    assert!(big.len() > 20_000);
    let added = server
        .app
        .run(move |app| {
            skerry::admin::execute(
                app,
                skerry::admin::Command::EmojiAdd {
                    shortcode: "blobcat".into(),
                    path: file,
                    category: "Cats".into(),
                },
            )
            .map_err(|error| skerry::app::AppError::Internal(error.to_string()))
        })
        .await
        .unwrap();
    assert_eq!(added, ":blobcat: added\n");
    let too_big = server
        .app
        .run(move |app| {
            Ok(
                tokio::runtime::Handle::current().block_on(skerry::app::emoji::add_local(
                    app,
                    "big",
                    big.into(),
                    "",
                )),
            )
        })
        .await
        .unwrap();
    assert!(too_big.is_err());

    let listed = server.get("/api/v1/custom_emojis", None).await;
    assert_eq!(listed.status, StatusCode::OK);
    let emojis = listed.json.as_array().unwrap();
    assert_eq!(emojis.len(), 1);
    assert_eq!(emojis[0]["shortcode"], "blobcat");
    assert_eq!(emojis[0]["category"], "Cats");
    assert_eq!(emojis[0]["visible_in_picker"], true);
    let url = emojis[0]["url"].as_str().unwrap();
    let served = reqwest::get(url).await.unwrap();
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.headers()["content-type"], "image/png");

    let alice = server.user("alice").await;
    let profile = server
        .send(
            server
                .client
                .patch(server.url("/api/v1/accounts/update_credentials"))
                .json(&serde_json::json!({ "display_name": "Alice :blobcat:" })),
            Some(&alice.token),
        )
        .await;
    assert_eq!(profile.status, StatusCode::OK, "{}", profile.json);
    assert_eq!(profile.json["emojis"][0]["shortcode"], "blobcat");
    let id = server
        .post_status(&alice, "hello :blobcat: and :unknown:")
        .await;
    let status = server
        .get(&format!("/api/v1/statuses/{id}"), Some(&alice.token))
        .await;
    let emojis = status.json["emojis"].as_array().unwrap();
    assert_eq!(emojis.len(), 1, "{}", status.json);
    assert_eq!(emojis[0]["shortcode"], "blobcat");
    assert_eq!(emojis[0]["url"], url);
    assert_eq!(status.json["account"]["emojis"][0]["shortcode"], "blobcat");

    let note = server
        .send(
            server
                .client
                .get(server.url(&format!("/users/alice/statuses/{id}")))
                .header("accept", "application/activity+json"),
            None,
        )
        .await;
    let tag = note.json["tag"]
        .as_array()
        .unwrap()
        .iter()
        .find(|tag| tag["type"] == "Emoji")
        .cloned()
        .unwrap_or_else(|| panic!("no Emoji tag: {}", note.json));
    assert_eq!(tag["name"], ":blobcat:");
    assert_eq!(tag["icon"]["type"], "Image");
    assert_eq!(tag["icon"]["mediaType"], "image/png");
    assert_eq!(tag["icon"]["url"], url);

    // The actor document tags the emojis of the display name, as Mastodon does.
    let actor = server
        .send(
            server
                .client
                .get(server.url("/users/alice"))
                .header("accept", "application/activity+json"),
            None,
        )
        .await;
    assert_eq!(actor.status, StatusCode::OK);
    let tags = actor.json["tag"].as_array().unwrap();
    assert_eq!(tags.len(), 1, "{}", actor.json);
    assert_eq!(tags[0]["type"], "Emoji");
    assert_eq!(tags[0]["name"], ":blobcat:");
    assert_eq!(tags[0]["id"], format!("{}/emojis/blobcat", server.base));
    assert!(tags[0]["updated"].as_str().unwrap().ends_with('Z'));
    assert_eq!(tags[0]["icon"]["type"], "Image");
    assert_eq!(tags[0]["icon"]["mediaType"], "image/png");
    assert_eq!(tags[0]["icon"]["url"], url);
    assert_eq!(actor.json["name"], "Alice :blobcat:");
    assert!(actor.json["@context"].to_string().contains("toot:Emoji"));
    // Its `id` answers with the same `Emoji`.
    let id = tags[0]["id"].as_str().unwrap();
    let document = server
        .send(
            server
                .client
                .get(id)
                .header("accept", "application/activity+json"),
            None,
        )
        .await;
    assert_eq!(document.status, StatusCode::OK);
    assert_eq!(document.json["id"], id);
    assert_eq!(document.json["type"], "Emoji");
    assert_eq!(document.json["icon"]["url"], url);
    assert!(document.json["@context"].to_string().contains("toot:Emoji"));
    let missing = server.get("/emojis/nothing_here", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_peers_emoji_is_recorded_and_fetched_through_the_tiers() {
    use axum::response::IntoResponse;
    let image = png(24);
    let served_image = image.clone();
    let router = axum::Router::new().route(
        "/emojis/party.png",
        axum::routing::get(move || {
            let body = served_image.clone();
            async move { ([("content-type", "image/png")], body).into_response() }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    let server = Server::start_with(&[("SKERRY_FEDERATION_ALLOW_PRIVATE_NETWORKS", "true")]).await;
    let alice = server.user("alice").await;
    let emoji_url = format!("{origin}/emojis/party.png");
    let status = server
        .app
        .run(move |app| {
            let input = skerry::app::remote::ActorInput {
                uri: "https://remote.example/users/bob".into(),
                username: "bob".into(),
                host: "remote.example".into(),
                inbox: "https://remote.example/inbox".into(),
                key_id: "https://remote.example/users/bob#main-key".into(),
                public_key_pem: "pem".into(),
                ..Default::default()
            };
            let bob = skerry::app::remote::upsert_actor(app, input)?;
            let note = skerry::app::remote::NoteInput {
                uri: "https://remote.example/notes/1".into(),
                author: bob,
                in_reply_to: None,
                content_html: "<p>party :party: time</p>".into(),
                spoiler_text: String::new(),
                sensitive: false,
                language: None,
                visibility: skerry::model::Visibility::Public,
                mentions: Vec::new(),
                tags: Vec::new(),
                published_ms: skerry::util::time::now_ms(),
                updated_ms: None,
                quote: None,
                poll: None,
                media: Vec::new(),
                emojis: vec![("party".into(), emoji_url)],
            };
            Ok(skerry::app::remote::create_status(app, note)?.unwrap())
        })
        .await
        .unwrap();
    let view = server
        .get(&format!("/api/v1/statuses/{status}"), Some(&alice.token))
        .await;
    let emojis = view.json["emojis"].as_array().unwrap();
    assert_eq!(emojis.len(), 1, "{}", view.json);
    assert_eq!(emojis[0]["shortcode"], "party");
    assert_eq!(emojis[0]["visible_in_picker"], false);
    // Ours only in the picker list.
    let listed = server.get("/api/v1/custom_emojis", None).await;
    assert_eq!(listed.json, serde_json::json!([]));
    // The image comes from the origin through the guarded client into the hot tier.
    let served = reqwest::get(emojis[0]["url"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(&served.bytes().await.unwrap()[..], &image[..]);
}

fn fixture(name: &str) -> serde_json::Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/fixtures/activitypub/"
    );
    serde_json::from_str(&std::fs::read_to_string(format!("{path}{name}")).unwrap()).unwrap()
}

/// A fake origin serving `files` (path → PNG bytes) on loopback; returns its base URL.
async fn origin(files: Vec<(&'static str, Vec<u8>)>) -> String {
    use axum::response::IntoResponse;
    let mut router = axum::Router::new();
    for (path, body) in files {
        router = router.route(
            path,
            axum::routing::get(move || {
                let body = body.clone();
                async move { ([("content-type", "image/png")], body).into_response() }
            }),
        );
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    base
}

/// Parses an actor document as the fetcher does (loopback image URLs allowed) and stores it.
async fn store_actor(server: &Server, document: serde_json::Value) -> skerry::model::AccountId {
    use skerry::federation::{fetch, vocab};
    let vocab::Object::Actor(actor) =
        vocab::parse(&document, vocab::ParseOptions { allow_http: true }).unwrap()
    else {
        panic!("not an actor: {document}");
    };
    let input = fetch::actor_input(&actor, &actor.id).unwrap();
    server
        .app
        .run(move |app| skerry::app::remote::upsert_actor(app, input))
        .await
        .unwrap()
}

fn shortcodes_of(entity: &serde_json::Value) -> Vec<String> {
    entity["emojis"]
        .as_array()
        .unwrap_or_else(|| panic!("no emojis: {entity}"))
        .iter()
        .map(|emoji| emoji["shortcode"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn peers_actor_emojis_show_on_their_accounts_under_the_same_limits_as_posts() {
    let small = png(16);
    let big = noise_png(100);
    assert!(big.len() > 20_000);
    let base = origin(vec![("/verified.png", small.clone()), ("/big.png", big)]).await;
    let server = Server::start_with(&[
        ("SKERRY_FEDERATION_ALLOW_PRIVATE_NETWORKS", "true"),
        ("SKERRY_MEDIA_EMOJI_BYTES_MAX", "20000"),
    ])
    .await;
    let alice = server.user("alice").await;

    // Pleroma: `:bzh:` in the name, `:anarchy:` and `:gentoo:` in the bio; left as text.
    let lanodan = store_actor(&server, fixture("pleroma/lemmy-objects-person.json")).await;
    let account = server
        .get(&format!("/api/v1/accounts/{lanodan}"), Some(&alice.token))
        .await;
    assert_eq!(account.status, StatusCode::OK);
    assert_eq!(shortcodes_of(&account.json), ["bzh", "anarchy", "gentoo"]);
    assert_eq!(account.json["display_name"], "Haelwenn /элвэн/ :bzh:");
    assert!(account.json["note"].as_str().unwrap().contains(":gentoo:"));
    assert_eq!(account.json["emojis"][0]["visible_in_picker"], false);

    // GoToSocial: a tag its profile text does not use is recorded but not listed.
    let zork = store_actor(&server, fixture("gotosocial/gts-person-with-emoji.json")).await;
    let account = server
        .get(&format!("/api/v1/accounts/{zork}"), Some(&alice.token))
        .await;
    assert!(shortcodes_of(&account.json).is_empty(), "{}", account.json);
    let recorded = server
        .app
        .store
        .read(|tx| skerry::store::media::get_emoji(tx, Some("localhost:8080"), "rainbow", 1 << 20))
        .unwrap();
    assert!(recorded.is_some());

    // Misskey: its emoji's image comes through the tiers from the (fake) origin.
    let mut sjw = fixture("misskey/rebased-sjw.json");
    sjw["tag"][0]["icon"]["url"] = format!("{base}/verified.png").into();
    let sjw_id = store_actor(&server, sjw.clone()).await;
    let account = server
        .get(&format!("/api/v1/accounts/{sjw_id}"), Some(&alice.token))
        .await;
    assert_eq!(shortcodes_of(&account.json), ["verified"]);
    let served = reqwest::get(account.json["emojis"][0]["url"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(&served.bytes().await.unwrap()[..], &small[..]);

    // Limits: at most 64 emojis an actor, the image under `media.emoji_bytes_max`.
    let template = sjw["tag"][0].clone();
    let tags: Vec<serde_json::Value> = (0..100)
        .map(|n| {
            let mut tag = template.clone();
            tag["name"] = format!(":e{n}:").into();
            tag["icon"]["url"] = format!("{base}/big.png").into();
            tag
        })
        .collect();
    sjw["tag"] = tags.into();
    sjw["name"] = ":e0: :e99:".into();
    // Profile fields name emojis too, as in Mastodon.
    sjw["attachment"] =
        serde_json::json!([{"type": "PropertyValue", "name": "Badge :e1:", "value": "yes"}]);
    store_actor(&server, sjw).await;
    let kept = server
        .app
        .store
        .read(|tx| skerry::store::media::emojis_of(tx, Some("skippers-bin.com"), 1000, 1 << 20))
        .unwrap();
    // `verified` and the first 64 of the hundred.
    assert_eq!(kept.len(), 65);
    let account = server
        .get(&format!("/api/v1/accounts/{sjw_id}"), Some(&alice.token))
        .await;
    assert_eq!(shortcodes_of(&account.json), ["e0", "e1"]);
    let refused = reqwest::get(account.json["emojis"][0]["url"].as_str().unwrap())
        .await
        .unwrap();
    assert_ne!(refused.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_peers_emoji_that_nothing_uses_any_more_is_swept_with_its_blob_reference() {
    use skerry::app::housekeeping::{self, Cursors};
    use skerry::app::remote::{self, ActorInput, NoteInput};
    const DAY_MS: u64 = 24 * 3600 * 1000;
    let base = origin(vec![("/party.png", png(20)), ("/other.png", png(12))]).await;
    let server = Server::start_with(&[
        ("SKERRY_FEDERATION_ALLOW_PRIVATE_NETWORKS", "true"),
        ("SKERRY_RETENTION_REMOTE_STATUS_DAYS", "30"),
    ])
    .await;
    let alice = server.user("alice").await;
    let party = format!("{base}/party.png");
    let other = format!("{base}/other.png");
    let actor = |display_name: &str| ActorInput {
        uri: "https://remote.example/users/bob".into(),
        username: "bob".into(),
        host: "remote.example".into(),
        display_name: display_name.into(),
        inbox: "https://remote.example/inbox".into(),
        key_id: "https://remote.example/users/bob#main-key".into(),
        public_key_pem: "pem".into(),
        emojis: vec![("wave".into(), other.clone())],
        ..Default::default()
    };
    let note = |bob, n: u64, text: &str, age_days: u64, emojis: Vec<(String, String)>| NoteInput {
        uri: format!("https://remote.example/notes/{n}"),
        author: bob,
        in_reply_to: None,
        content_html: format!("<p>{text}</p>"),
        spoiler_text: String::new(),
        sensitive: false,
        language: None,
        visibility: skerry::model::Visibility::Public,
        mentions: Vec::new(),
        tags: Vec::new(),
        published_ms: skerry::util::time::now_ms() - age_days * DAY_MS,
        updated_ms: None,
        quote: None,
        poll: None,
        media: Vec::new(),
        emojis,
    };
    let bob_input = actor("Bob :wave:");
    let old_note = note(
        skerry::model::AccountId(0),
        1,
        "an old :party: with :both:",
        60,
        vec![
            ("party".into(), party.clone()),
            ("both".into(), other.clone()),
        ],
    );
    let new_note = note(
        skerry::model::AccountId(0),
        2,
        "a new :both:",
        1,
        vec![("both".into(), other.clone())],
    );
    let (bob, old_status) = server
        .app
        .run(move |app| {
            let bob = remote::upsert_actor(app, bob_input)?;
            let old = remote::create_status(
                app,
                NoteInput {
                    author: bob,
                    ..old_note
                },
            )?
            .unwrap();
            remote::create_status(
                app,
                NoteInput {
                    author: bob,
                    ..new_note
                },
            )?
            .unwrap();
            Ok((bob, old))
        })
        .await
        .unwrap();
    // The party emoji's image is fetched into the hot tier: a blob with one reference.
    let view = server
        .get(
            &format!("/api/v1/statuses/{old_status}"),
            Some(&alice.token),
        )
        .await;
    assert_eq!(shortcodes_of(&view.json), ["party", "both"]);
    let image = reqwest::get(view.json["emojis"][0]["url"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(image.status(), StatusCode::OK);
    let emoji = |shortcode: &'static str| {
        server
            .app
            .store
            .read(|tx| {
                skerry::store::media::get_emoji(tx, Some("remote.example"), shortcode, 1 << 20)
            })
            .unwrap()
    };
    let party_media = emoji("party").unwrap().media;
    let hash = server
        .app
        .store
        .read(|tx| skerry::store::media::get_media(tx, party_media, 1 << 20))
        .unwrap()
        .unwrap()
        .blob
        .expect("fetched");
    let blob = |server: &Server| {
        server
            .app
            .store
            .read(|tx| skerry::store::media::get_blob(tx, &hash, 1 << 20))
            .unwrap()
    };
    assert_eq!(blob(&server).unwrap().refs, 1);

    // A database from before the uses index: none noted. The fill finds them again, so the
    // sweep removes nothing that is used.
    server
        .app
        .store
        .write(|tx| {
            tx.open_table(skerry::store::schema::EMOJI_USES)?
                .retain(|_, _| false)?;
            Ok::<_, skerry::store::StoreError>(())
        })
        .unwrap();
    let app = server.app.clone();
    let now = skerry::util::time::now_ms();
    let round = server
        .app
        .run(move |_| housekeeping::round(&app, &mut Cursors::default(), now))
        .await
        .unwrap();
    // The old status went with retention; the party emoji only it used went after it.
    assert_eq!(round.statuses_pruned, 1);
    assert_eq!(round.emojis_swept, 1, "{round:?}");
    assert!(emoji("party").is_none());
    assert!(emoji("both").is_some());
    assert!(emoji("wave").is_some());
    let gone = server
        .app
        .store
        .read(|tx| skerry::store::media::get_media(tx, party_media, 1 << 20))
        .unwrap();
    assert!(gone.is_none());
    assert!(
        blob(&server).is_none(),
        "the blob's only reference was the emoji's"
    );
    let metrics = server.get("/metrics", None).await;
    assert!(
        metrics
            .json
            .as_str()
            .unwrap()
            .contains("\nskerry_retention_emojis_swept_total 1\n"),
        "{}",
        metrics.json
    );

    // The profile drops `:wave:`: the emoji goes at the next pass; the account's view agrees.
    let renamed = actor("Bob");
    server
        .app
        .run(move |app| remote::upsert_actor(app, renamed))
        .await
        .unwrap();
    let account = server
        .get(&format!("/api/v1/accounts/{bob}"), Some(&alice.token))
        .await;
    assert!(shortcodes_of(&account.json).is_empty());
    let app = server.app.clone();
    let round = server
        .app
        .run(move |_| housekeeping::round(&app, &mut Cursors::default(), now))
        .await
        .unwrap();
    assert_eq!(round.emojis_swept, 1, "{round:?}");
    assert!(emoji("wave").is_none());
    assert!(emoji("both").is_some());
    // Records, indexes and blob reference counts agree after the sweeps.
    let (problems, _) = server.app.store.check().unwrap();
    assert!(problems.is_empty(), "{problems:?}");
}

/// Bob, a peer with ten emojis in his actor's tags that his profile does not use, and five
/// statuses tagging `:kept:`, of which only the last still names it.
async fn bob_with_stale_emoji_uses(server: &Server) {
    use skerry::app::remote::{self, ActorInput, NoteInput};
    let actor = ActorInput {
        uri: "https://remote.example/users/bob".into(),
        username: "bob".into(),
        host: "remote.example".into(),
        inbox: "https://remote.example/inbox".into(),
        key_id: "https://remote.example/users/bob#main-key".into(),
        public_key_pem: "pem".into(),
        // Ten tags the profile text does not use: ten stale uses.
        emojis: (0..10)
            .map(|n| {
                (
                    format!("unused{n}"),
                    format!("https://remote.example/e/{n}.png"),
                )
            })
            .collect(),
        ..Default::default()
    };
    let note = |bob, n: u64, text: &str| NoteInput {
        uri: format!("https://remote.example/notes/{n}"),
        author: bob,
        in_reply_to: None,
        content_html: format!("<p>{text}</p>"),
        spoiler_text: String::new(),
        sensitive: false,
        language: None,
        visibility: skerry::model::Visibility::Public,
        mentions: Vec::new(),
        tags: Vec::new(),
        published_ms: skerry::util::time::now_ms() - 1000 + n,
        updated_ms: None,
        quote: None,
        poll: None,
        media: Vec::new(),
        emojis: vec![("kept".into(), "https://remote.example/e/kept.png".into())],
    };
    server
        .app
        .run(move |app| {
            let bob = remote::upsert_actor(app, actor)?;
            // `:kept:` is tagged by five statuses; only the last still names it.
            for n in 0..5 {
                let text = if n == 4 {
                    "still :kept:"
                } else {
                    "edited away"
                };
                remote::create_status(app, note(bob, n, text))?;
            }
            Ok(())
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn the_emoji_sweep_goes_in_bounded_steps_and_resumes_inside_an_emojis_uses() {
    let server = Server::start().await;
    const STEP: usize = 3;
    bob_with_stale_emoji_uses(&server).await;
    let mut after: Option<(String, String)> = None;
    let mut swept = 0;
    let mut stale = 0;
    let mut steps = 0;
    loop {
        steps += 1;
        assert!(steps < 50, "the sweep does not end");
        let from = after.clone();
        let step = server
            .app
            .run(move |app| {
                app.store.write(|tx| {
                    let from = from
                        .as_ref()
                        .map(|(domain, shortcode)| (domain.as_str(), shortcode.as_str()));
                    skerry::app::emoji::sweep_step(app, tx, from, STEP)
                })
            })
            .await
            .unwrap();
        // A step reads at most STEP records (emojis and uses), so it removes at most that.
        assert!(step.emojis + step.stale_uses <= STEP, "{step:?}");
        swept += step.emojis;
        stale += step.stale_uses;
        after = step.next;
        if step.done {
            break;
        }
    }
    assert_eq!(swept, 10);
    // Ten uses of the unused emojis, four of `:kept:`.
    assert_eq!(stale, 14);
    assert!(steps >= (10 + 10 + 1 + 5) / STEP, "{steps} steps");
    let left = server
        .app
        .store
        .read(|tx| skerry::store::media::emojis_of(tx, Some("remote.example"), 100, 1 << 20))
        .unwrap();
    assert_eq!(
        left.iter()
            .map(|emoji| emoji.shortcode.as_str())
            .collect::<Vec<_>>(),
        ["kept"]
    );
    let uses = server
        .app
        .store
        .read(|tx| skerry::store::emoji::uses(tx, "remote.example", "kept", 100))
        .unwrap();
    assert_eq!(uses.len(), 1);
}

#[tokio::test]
async fn the_uses_index_is_filled_once_from_what_an_older_database_holds() {
    let server = Server::start().await;
    bob_with_stale_emoji_uses(&server).await;
    // As a database from before the index: no uses, no fill recorded.
    server
        .app
        .store
        .write(|tx| {
            tx.open_table(skerry::store::schema::EMOJI_USES)?
                .retain(|_, _| false)?;
            tx.open_table(skerry::store::schema::META)?
                .remove(skerry::app::emoji::USES_FILL)?;
            Ok::<_, skerry::store::StoreError>(())
        })
        .unwrap();
    let mut steps = 0;
    loop {
        steps += 1;
        assert!(steps < 50, "the fill does not end");
        let done = server
            .app
            .run(|app| {
                app.store
                    .write(|tx| skerry::app::emoji::fill_uses_step(app, tx, 2))
            })
            .await
            .unwrap();
        if done {
            break;
        }
    }
    // Five statuses two a step, then the accounts (bob and the rig's none), then done.
    assert!(steps >= 4, "{steps} steps");
    let uses = |shortcode: &'static str| {
        server
            .app
            .store
            .read(|tx| skerry::store::emoji::uses(tx, "remote.example", shortcode, 100))
            .unwrap()
    };
    // Only what the texts name is noted: the status that still says `:kept:`.
    assert_eq!(uses("kept").len(), 1);
    assert!(uses("unused0").is_empty());
    // Done is remembered.
    let again = server
        .app
        .run(|app| {
            app.store
                .write(|tx| skerry::app::emoji::fill_uses_step(app, tx, 2))
        })
        .await
        .unwrap();
    assert!(again);
}

#[tokio::test]
async fn a_post_naming_a_known_emoji_without_its_tag_keeps_it_from_the_sweep() {
    use skerry::app::housekeeping::{self, Cursors};
    use skerry::app::remote::{self, NoteInput};
    let server = Server::start_with(&[("SKERRY_RETENTION_REMOTE_STATUS_DAYS", "30")]).await;
    bob_with_stale_emoji_uses(&server).await;
    let bob = server
        .app
        .run(|app| Ok(remote::account_by_uri(app, "https://remote.example/users/bob")?.unwrap()))
        .await
        .unwrap();
    // A recent post says `:unused3:` with no tag for it (as some peers send).
    let note = NoteInput {
        uri: "https://remote.example/notes/untagged".into(),
        author: bob,
        in_reply_to: None,
        content_html: "<p>look :unused3:</p>".into(),
        spoiler_text: String::new(),
        sensitive: false,
        language: None,
        visibility: skerry::model::Visibility::Public,
        mentions: Vec::new(),
        tags: Vec::new(),
        published_ms: skerry::util::time::now_ms(),
        updated_ms: None,
        quote: None,
        poll: None,
        media: Vec::new(),
        emojis: Vec::new(),
    };
    server
        .app
        .run(move |app| remote::create_status(app, note))
        .await
        .unwrap();
    let app = server.app.clone();
    let now = skerry::util::time::now_ms();
    let round = server
        .app
        .run(move |_| housekeeping::round(&app, &mut Cursors::default(), now))
        .await
        .unwrap();
    // The nine other unused ones go; `:unused3:` and `:kept:` stay.
    assert_eq!(round.emojis_swept, 9, "{round:?}");
    let left = server
        .app
        .store
        .read(|tx| skerry::store::media::emojis_of(tx, Some("remote.example"), 100, 1 << 20))
        .unwrap();
    assert_eq!(
        left.iter()
            .map(|emoji| emoji.shortcode.as_str())
            .collect::<Vec<_>>(),
        ["kept", "unused3"]
    );
}
