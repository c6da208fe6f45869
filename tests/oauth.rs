use aws_lc_rs::digest;
use base64::Engine;
use reqwest::StatusCode;
use serde_json::json;

use crate::rig::{Server, User};

async fn register(server: &Server, redirect_uris: &str, scopes: &str) -> (String, String) {
    let reply = server
        .post("/api/v1/apps", None, json!({"client_name": "Test App", "redirect_uris": redirect_uris, "scopes": scopes, "website": "https://app.example"}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(reply.json["name"], "Test App");
    assert_eq!(reply.json["redirect_uri"], redirect_uris);
    (
        reply.json["client_id"].as_str().unwrap().to_string(),
        reply.json["client_secret"].as_str().unwrap().to_string(),
    )
}

/// Logs in on the authorize page and returns the redirect's `Location`.
async fn authorize(server: &Server, user: &User, fields: &[(&str, &str)]) -> reqwest::Response {
    let mut form: Vec<(&str, &str)> = fields.to_vec();
    form.extend([
        ("login", user.username.as_str()),
        ("password", user.password.as_str()),
        ("decision", "approve"),
    ]);
    server
        .client
        .post(server.url("/oauth/authorize"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(crate::rig::serde_html_form_encode(&form))
        .send()
        .await
        .unwrap()
}

fn query_value(location: &str, key: &str) -> Option<String> {
    let query = location.split_once('?')?.1;
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix(&format!("{key}=")).map(str::to_string))
}

#[tokio::test]
async fn authorization_code_with_pkce_gives_a_token_that_works_once() {
    let server = Server::start().await;
    let user = server.user("alice").await;
    let redirect = "https://app.example/callback";
    let (client_id, client_secret) = register(&server, redirect, "read write follow").await;

    let page = server
        .client
        .get(server.url(&format!("/oauth/authorize?response_type=code&client_id={client_id}&redirect_uri={redirect}&scope=read+write")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("frame-ancestors 'none'"));
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Test App")
            && html.contains("<code>write</code>")
            && html.contains("name=\"password\"")
    );

    let verifier = "a-very-long-code-verifier-of-more-than-43-characters-0123456789";
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(digest::digest(&digest::SHA256, verifier.as_bytes()));
    let fields = [
        ("response_type", "code"),
        ("client_id", client_id.as_str()),
        ("redirect_uri", redirect),
        ("scope", "read write"),
        ("state", "xyz"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let wrong = User {
        password: "wrong password".into(),
        ..server.user("mallory").await
    };
    assert_eq!(
        authorize(&server, &wrong, &fields).await.status(),
        StatusCode::UNAUTHORIZED
    );

    let response = authorize(&server, &user, &fields).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(redirect));
    assert_eq!(query_value(&location, "state").as_deref(), Some("xyz"));
    let code = query_value(&location, "code").unwrap();

    let exchange = |verifier: &str| {
        json!({"grant_type": "authorization_code", "code": code, "client_id": client_id, "client_secret": client_secret,
               "redirect_uri": redirect, "code_verifier": verifier})
    };
    // A wrong verifier burns the code: codes are single-use whatever the outcome.
    let reply = server
        .post("/oauth/token", None, exchange("not the verifier"))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json["error"], "invalid_grant");
    let reply = server.post("/oauth/token", None, exchange(verifier)).await;
    assert_eq!(
        reply.status,
        StatusCode::BAD_REQUEST,
        "a code works once: {}",
        reply.json
    );

    // Again, right the first time.
    let code = query_value(
        authorize(&server, &user, &fields).await.headers()["location"]
            .to_str()
            .unwrap(),
        "code",
    )
    .unwrap();
    let reply = server
        .post(
            "/oauth/token",
            None,
            json!({"grant_type": "authorization_code", "code": code, "client_id": client_id,
            "client_secret": client_secret, "redirect_uri": redirect, "code_verifier": verifier}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(reply.json["token_type"], "Bearer");
    assert_eq!(reply.json["scope"], "read write");
    let token = reply.json["access_token"].as_str().unwrap().to_string();

    let me = server
        .get("/api/v1/accounts/verify_credentials", Some(&token))
        .await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json["username"], "alice");
    let app = server
        .get("/api/v1/apps/verify_credentials", Some(&token))
        .await;
    assert_eq!(app.json["name"], "Test App");
    assert!(app.json.get("client_secret").is_none());

    // `write` covers `write:follows`, as in Mastodon; `push` was not granted.
    let bob = server.user("bob").await;
    let reply = server
        .post(
            &format!("/api/v1/accounts/{}/follow", bob.id),
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);

    // Revoked, it is refused.
    let reply = server
        .post_form(
            "/oauth/revoke",
            None,
            &[
                ("client_id", &client_id),
                ("client_secret", &client_secret),
                ("token", &token),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let reply = server
        .get("/api/v1/accounts/verify_credentials", Some(&token))
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.json["error"], "The access token is invalid");
}

#[tokio::test]
async fn out_of_band_shows_the_code_and_bad_requests_are_refused() {
    let server = Server::start().await;
    let user = server.user("alice").await;
    let oob = "urn:ietf:wg:oauth:2.0:oob";
    let (client_id, client_secret) = register(&server, oob, "read").await;
    let fields = [
        ("response_type", "code"),
        ("client_id", client_id.as_str()),
        ("redirect_uri", oob),
    ];
    let response = authorize(&server, &user, &fields).await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    let code = html
        .split("id=\"authorization-code\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_string();
    let reply = server
        .post_form(
            "/oauth/token",
            None,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("client_id", &client_id),
                ("client_secret", &client_secret),
                ("redirect_uri", oob),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(reply.json["scope"], "read");

    // Scopes beyond the app's, unknown clients and unregistered redirects are refused.
    for query in [
        format!("response_type=code&client_id={client_id}&redirect_uri={oob}&scope=write"),
        format!("response_type=code&client_id=nobody&redirect_uri={oob}"),
        format!("response_type=code&client_id={client_id}&redirect_uri=https://evil.example/"),
        format!("response_type=token&client_id={client_id}&redirect_uri={oob}"),
    ] {
        let response = server
            .client
            .get(server.url(&format!("/oauth/authorize?{query}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
    }
    let reply = server
        .post("/oauth/token", None, json!({"grant_type": "authorization_code", "code": "x", "client_id": client_id, "client_secret": "wrong"}))
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.json["error"], "invalid_client");
    let reply = server
        .post("/oauth/token", None, json!({"grant_type": "password", "client_id": client_id, "client_secret": client_secret}))
        .await;
    assert_eq!(reply.json["error"], "unsupported_grant_type");
}

#[tokio::test]
async fn client_credentials_act_for_the_app_not_a_user() {
    let server = Server::start().await;
    let (client_id, client_secret) =
        register(&server, "urn:ietf:wg:oauth:2.0:oob", "read write").await;
    let reply = server
        .post_form(
            "/oauth/token",
            None,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &client_id),
                ("client_secret", &client_secret),
                ("scope", "read"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    let token = reply.json["access_token"].as_str().unwrap();
    assert_eq!(
        server
            .get("/api/v1/apps/verify_credentials", Some(token))
            .await
            .status,
        StatusCode::OK
    );
    let reply = server
        .get("/api/v1/accounts/verify_credentials", Some(token))
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let reply = server.get("/api/v1/timelines/home", Some(token)).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn granular_scopes_are_enforced_per_endpoint() {
    let server = Server::start().await;
    let reader = server.user_with_scopes("reader", "read:statuses").await;
    assert_eq!(
        server
            .get("/api/v1/timelines/home", Some(&reader.token))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        server
            .get("/api/v1/notifications", Some(&reader.token))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let reply = server
        .post(
            "/api/v1/statuses",
            Some(&reader.token),
            json!({"status": "hi"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let profile = server.user_with_scopes("profiled", "profile").await;
    assert_eq!(
        server
            .get("/api/v1/accounts/verify_credentials", Some(&profile.token))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        server
            .get("/api/v1/timelines/home", Some(&profile.token))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        server.get("/api/v1/timelines/home", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        server
            .get("/api/v1/timelines/home", Some("made-up"))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn registration_validates_and_metadata_is_published() {
    let server = Server::start().await;
    let reply = server
        .post_form(
            "/api/v1/apps",
            None,
            &[
                ("client_name", "Form App"),
                ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json["scopes"], json!(["read"]));
    let reply = server
        .post(
            "/api/v1/apps",
            None,
            json!({"client_name": "x", "redirect_uris": "not a uri"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let reply = server.post("/api/v1/apps", None, json!({"client_name": "x", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "read everything"})).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let reply = server
        .post(
            "/api/v1/apps",
            None,
            json!({"redirect_uris": "urn:ietf:wg:oauth:2.0:oob"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let reply = server
        .get("/.well-known/oauth-authorization-server", None)
        .await;
    assert_eq!(
        reply.json["token_endpoint"],
        format!("{}/oauth/token", server.base)
    );
    assert_eq!(
        reply.json["code_challenge_methods_supported"],
        json!(["S256"])
    );
}

#[tokio::test]
async fn userinfo_names_the_tokens_account() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    let info = server.get("/oauth/userinfo", Some(&alice.token)).await;
    assert_eq!(info.status, StatusCode::OK, "{}", info.json);
    let me = server
        .get("/api/v1/accounts/verify_credentials", Some(&alice.token))
        .await
        .json;
    assert_eq!(info.json["iss"], format!("{}/", server.base));
    assert_eq!(info.json["sub"], me["uri"]);
    assert_eq!(info.json["profile"], me["url"]);
    assert_eq!(info.json["picture"], me["avatar"]);
    assert_eq!(info.json["preferred_username"], "alice");
    assert!(info.json["name"].is_string());
    // The `profile` scope alone is enough, and POST works as well (OpenID Connect).
    let bob = server.user_with_scopes("bob", "profile").await;
    let posted = server
        .post("/oauth/userinfo", Some(&bob.token), json!({}))
        .await;
    assert_eq!(posted.json["preferred_username"], "bob");
    let writer = server.user_with_scopes("carol", "write").await;
    assert_eq!(
        server
            .get("/oauth/userinfo", Some(&writer.token))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        server.get("/oauth/userinfo", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let metadata = server
        .get("/.well-known/oauth-authorization-server", None)
        .await;
    assert_eq!(
        metadata.json["userinfo_endpoint"],
        format!("{}/oauth/userinfo", server.base)
    );
}
