//! Custom emojis: `skerry admin emoji add|list|remove` (offline and through a server),
//! `GET /api/v1/custom_emojis`, `emojis` on statuses, `Emoji` tags in AS2, and a peer's
//! emoji recorded from its post and fetched through the tiers from a fake origin.

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
