use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, ORIGIN, SET_COOKIE};
use skerry::model::Role;

use crate::rig::Server;

/// A browser without a cookie jar of its own: it keeps the cookies it is given and sends
/// them back, and reads the form token off each page.
pub(crate) struct Browser<'s> {
    server: &'s Server,
    cookies: Vec<(String, String)>,
}

pub(crate) struct Page {
    pub(crate) status: StatusCode,
    pub(crate) location: Option<String>,
    pub(crate) body: String,
}

impl Page {
    pub(crate) fn csrf(&self) -> String {
        let marker = "name=\"csrf\" value=\"";
        let start = self.body.find(marker).expect("a form with a token") + marker.len();
        self.body[start..].split('"').next().unwrap().to_string()
    }
}

impl<'s> Browser<'s> {
    pub(crate) fn new(server: &'s Server) -> Self {
        Browser {
            server,
            cookies: Vec::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn keep(&mut self, response: reqwest::Response) -> Page {
        for header in response.headers().get_all(SET_COOKIE) {
            let text = header.to_str().unwrap();
            let pair = text.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            assert!(
                text.contains("HttpOnly") && text.contains("SameSite=Lax"),
                "{text}"
            );
            self.cookies.retain(|(existing, _)| existing != name);
            if !value.is_empty() {
                self.cookies.push((name.to_string(), value.to_string()));
            }
        }
        let status = response.status();
        let location = response
            .headers()
            .get(LOCATION)
            .map(|value| value.to_str().unwrap().to_string());
        Page {
            status,
            location,
            body: response.text().await.unwrap(),
        }
    }

    pub(crate) async fn get(&mut self, path: &str) -> Page {
        let response = self
            .server
            .client
            .get(self.server.url(path))
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .unwrap();
        self.keep(response).await
    }

    pub(crate) async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let response = self
            .server
            .client
            .post(self.server.url(path))
            .header(COOKIE, self.cookie_header())
            .header(ORIGIN, &self.server.base)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(crate::rig::serde_html_form_encode(form))
            .send()
            .await
            .unwrap();
        self.keep(response).await
    }

    pub(crate) async fn sign_in(&mut self, login: &str, password: &str, otp: &str) -> Page {
        let form = self.get("/auth/sign_in").await;
        let csrf = form.csrf();
        self.post(
            "/auth/sign_in",
            &[
                ("csrf", &csrf),
                ("login", login),
                ("password", password),
                ("otp", otp),
            ],
        )
        .await
    }
}

#[tokio::test]
async fn sign_in_needs_the_form_token_and_the_second_factor_once_on() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    let mut browser = Browser::new(&server);

    // A form from elsewhere (no token, or another origin) is refused, and nobody signs in.
    let refused = browser
        .post(
            "/auth/sign_in",
            &[("login", "alice"), ("password", &alice.password)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let page = browser.get("/auth/sign_in").await;
    assert!(
        page.body.contains("<label for=\"login\">"),
        "labels for every field"
    );
    let forged = server
        .client
        .post(server.url("/auth/sign_in"))
        .header(COOKIE, browser.cookie_header())
        .header(ORIGIN, "http://evil.example")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(crate::rig::serde_html_form_encode(&[
            ("csrf", &page.csrf()),
            ("login", "alice"),
            ("password", &alice.password),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(forged.headers().get(SET_COOKIE).is_none());

    let wrong = browser.sign_in("alice", "wrong password", "").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("Invalid username"), "{}", wrong.body);
    let signed_in = browser.sign_in("alice", &alice.password, "").await;
    assert_eq!(
        signed_in.status,
        StatusCode::SEE_OTHER,
        "{}",
        signed_in.body
    );
    assert_eq!(signed_in.location.as_deref(), Some("/settings/profile"));
    let settings = browser.get("/settings/profile").await;
    assert_eq!(settings.status, StatusCode::OK);
    assert!(settings.body.contains("Sign out @alice"));

    // Two-factor: set up, confirm with a code from the secret, then sign-in needs a code.
    let csrf = settings.csrf();
    let setup = browser
        .post(
            "/settings/two_factor",
            &[("csrf", &csrf), ("action", "begin")],
        )
        .await;
    let marker = "id=\"totp-secret\">";
    let start = setup.body.find(marker).expect("the secret is shown") + marker.len();
    let secret_text = setup.body[start..].split('<').next().unwrap().to_string();
    let secret = data_encoding::BASE32_NOPAD
        .decode(secret_text.as_bytes())
        .unwrap();
    let now = skerry::util::time::now_ms() / 1000;
    let code = format!("{:06}", skerry::sig::totp::code_at(&secret, now));
    let wrong = browser
        .post(
            "/settings/two_factor",
            &[("csrf", &csrf), ("action", "confirm"), ("code", "000000")],
        )
        .await;
    if code != "000000" {
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let on = browser
        .post(
            "/settings/two_factor",
            &[("csrf", &csrf), ("action", "confirm"), ("code", &code)],
        )
        .await;
    assert!(on.body.contains("is <strong>on</strong>"), "{}", on.body);

    let mut other = Browser::new(&server);
    let without = other.sign_in("alice", &alice.password, "").await;
    assert_eq!(without.status, StatusCode::UNAUTHORIZED);
    assert!(without.body.contains("Invalid two-factor code"));
    // The code that turned it on was used: a fresh step's code is needed.
    let next = format!("{:06}", skerry::sig::totp::code_at(&secret, now + 30));
    let with = other.sign_in("alice", &alice.password, &next).await;
    assert_eq!(with.status, StatusCode::SEE_OTHER, "{}", with.body);

    // The first browser sees both sessions and revokes the other one.
    let sessions = browser.get("/settings/sessions").await;
    assert_eq!(
        sessions.body.matches("/revoke\"").count(),
        1,
        "{}",
        sessions.body
    );
    let start = sessions.body.find("/settings/sessions/").unwrap() + "/settings/sessions/".len();
    let id = sessions.body[start..]
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let revoked = browser
        .post(
            &format!("/settings/sessions/{id}/revoke"),
            &[("csrf", &csrf)],
        )
        .await;
    assert!(revoked.body.contains("Session revoked"), "{}", revoked.body);
    let gone = other.get("/settings/profile").await;
    assert_eq!(gone.location.as_deref(), Some("/auth/sign_in"));

    // Signing out ends the session on the server, not only in the browser.
    let session_cookie = browser
        .cookies
        .iter()
        .find(|(name, _)| name == "skerry_session")
        .unwrap()
        .1
        .clone();
    browser.post("/auth/sign_out", &[("csrf", &csrf)]).await;
    let replay = server
        .client
        .get(server.url("/settings/profile"))
        .header(COOKIE, format!("skerry_session={session_cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn admin_pages_follow_roles_and_draw_storage() {
    let server = Server::start().await;
    let user = server.user("user").await;
    let moderator = server.user_with_role("mod", Role::Moderator, "read").await;
    let admin = server
        .user_with_role("admin", Role::Admin, "read write")
        .await;

    let mut anonymous = Browser::new(&server);
    assert_eq!(
        anonymous.get("/admin").await.location.as_deref(),
        Some("/auth/sign_in")
    );
    let mut browser = Browser::new(&server);
    browser.sign_in("user", &user.password, "").await;
    for path in [
        "/admin",
        "/admin/accounts",
        "/admin/storage",
        "/admin/audit",
    ] {
        assert_eq!(
            browser.get(path).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }

    let mut moderator_browser = Browser::new(&server);
    moderator_browser
        .sign_in("mod", &moderator.password, "")
        .await;
    let accounts = moderator_browser.get("/admin/accounts").await;
    assert_eq!(accounts.status, StatusCode::OK);
    assert!(accounts.body.contains("@user"));
    // A moderator cannot block a domain (an admin's permission).
    let csrf = accounts.csrf();
    let refused = moderator_browser
        .post(
            "/admin/domain_blocks/new",
            &[
                ("csrf", &csrf),
                ("domain", "spam.example"),
                ("severity", "suspend"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    // But limits a user, and the audit log says so.
    let limited = moderator_browser
        .post(
            &format!("/admin/accounts/{}/action", user.id.0),
            &[("csrf", &csrf), ("action", "silence"), ("text", "spam")],
        )
        .await;
    assert_eq!(limited.location.as_deref(), Some("/admin/accounts"));
    let audit = moderator_browser.get("/admin/audit").await;
    assert!(
        audit
            .body
            .contains("<td>silence</td><td>@user</td><td>spam</td>"),
        "{}",
        audit.body
    );

    let mut admin_browser = Browser::new(&server);
    admin_browser.sign_in("admin", &admin.password, "").await;
    let page = admin_browser.get("/admin/domain_blocks").await;
    let blocked = admin_browser
        .post(
            "/admin/domain_blocks/new",
            &[
                ("csrf", &page.csrf()),
                ("domain", "spam.example"),
                ("severity", "suspend"),
            ],
        )
        .await;
    assert_eq!(blocked.location.as_deref(), Some("/admin/domain_blocks"));
    let list = admin_browser.get("/admin/domain_blocks").await;
    assert!(list.body.contains("<td>spam.example</td>"));

    // The dashboard shows the queues and the hosts that fail deliveries.
    server
        .app
        .run(|app| {
            app.write(|tx| {
                skerry::store::queues::record_host_failure(tx, "down.example", 1_000)?;
                skerry::store::queues::record_host_failure(tx, "down.example", 2_000)?;
                Ok::<_, skerry::app::AppError>(())
            })
        })
        .await
        .unwrap();
    let dashboard = admin_browser.get("/admin").await;
    assert!(
        dashboard.body.contains("<td>down.example</td><td>2</td>"),
        "{}",
        dashboard.body
    );
    assert!(dashboard.body.contains("Deliveries queued"));

    // The storage page draws bytes per table from the database itself.
    server.post_status(&admin, "something to store").await;
    let storage = admin_browser.get("/admin/storage").await;
    assert_eq!(storage.status, StatusCode::OK);
    assert!(storage.body.contains("<svg"), "{}", storage.body);
    assert!(
        storage.body.matches("<rect").count() >= 5,
        "{}",
        storage.body
    );
    assert!(storage.body.contains("statusid_status"));
    assert!(!storage.body.contains("<script"));
    assert!(storage.body.contains("Growth per day"), "{}", storage.body);
    assert!(
        storage
            .body
            .contains("Remote posts nobody here touched are kept")
    );

    // Relays are an admin's; a moderator is refused the page.
    let relays = admin_browser.get("/admin/relays").await;
    assert_eq!(relays.status, StatusCode::OK);
    assert!(relays.body.contains("No relay yet."), "{}", relays.body);
    assert_eq!(
        moderator_browser.get("/admin/relays").await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn public_pages_carry_opengraph_rel_me_and_their_activitypub_twin() {
    let server = Server::start().await;
    let alice = server.user("alice").await;
    let reply = server
        .send(
            server
                .client
                .patch(server.url("/api/v1/accounts/update_credentials"))
                .form(&[
                    ("display_name", "Alice <A.>"),
                    ("note", "Sailing & code"),
                    ("fields_attributes[0][name]", "Site"),
                    ("fields_attributes[0][value]", "https://alice.example/"),
                ]),
            Some(&alice.token),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    let mut browser = Browser::new(&server);
    let profile = browser.get("/@alice").await;
    assert_eq!(profile.status, StatusCode::OK);
    // Attribute values are entity-escaped (`/` too); a browser reads them decoded.
    let body = &html_escape::decode_html_entities(&profile.body).into_owned();
    assert!(
        body.contains("<link rel=\"me\" href=\"https://alice.example/\">"),
        "{body}"
    );
    assert!(
        body.contains("<meta property=\"og:type\" content=\"profile\">"),
        "{body}"
    );
    assert!(
        body.contains("<meta property=\"og:description\" content=\"Sailing & code\">"),
        "{body}"
    );
    // The display name is escaped, in the title and everywhere else.
    assert!(
        profile.body.contains("Alice &lt;A.&gt;") && !profile.body.contains("Alice <A.>"),
        "{}",
        profile.body
    );
    let actor = format!(
        "<link rel=\"alternate\" type=\"application/activity+json\" href=\"{}/users/alice\">",
        server.base
    );
    assert!(body.contains(&actor), "{body}");

    // A post behind a content warning previews the warning, not its text.
    let posted = server
        .post(
            "/api/v1/statuses",
            Some(&alice.token),
            serde_json::json!({"status": "the secret plot", "spoiler_text": "spoilers"}),
        )
        .await;
    let id = posted.json["id"].as_str().unwrap();
    let page = browser.get(&format!("/@alice/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let page = Page {
        body: html_escape::decode_html_entities(&page.body).into_owned(),
        ..page
    };
    assert!(
        page.body
            .contains("<meta property=\"og:description\" content=\"spoilers\">"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("<meta property=\"og:type\" content=\"article\">")
    );
    assert!(
        page.body
            .contains(&format!("/users/alice/statuses/{id}\">")),
        "{}",
        page.body
    );
    assert_eq!(
        browser.get("/@alice/123").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(browser.get("/@nobody").await.status, StatusCode::NOT_FOUND);
}

/// The admin pages for rules, announcements, domain allows and settings; the policy pages;
/// CSV exports for the browser's session.
#[tokio::test]
async fn admin_edits_rules_announcements_and_allows_and_reads_the_settings() {
    let server = Server::start_with(&[
        ("SKERRY_INSTANCE_RULES", r#"["Be kind.", "No spam."]"#),
        (
            "SKERRY_INSTANCE_PRIVACY_POLICY",
            "We keep <little>.\n\nAsk us.",
        ),
    ])
    .await;
    let user = server.user("user").await;
    let moderator = server.user_with_role("mod", Role::Moderator, "read").await;
    let admin = server
        .user_with_role("admin", Role::Admin, "read write")
        .await;

    // Rules start from the configuration, with the ids they always had.
    let rules = server.get("/api/v1/instance/rules", None).await;
    assert_eq!(rules.json[1]["id"], "2");
    assert_eq!(rules.json[1]["text"], "No spam.");

    let mut browser = Browser::new(&server);
    browser.sign_in("admin", &admin.password, "").await;
    let page = browser.get("/admin/rules").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Be kind."), "{}", page.body);
    assert!(page.body.contains("<label for=\"rule-text\">"));
    let added = browser
        .post(
            "/admin/rules/new",
            &[
                ("csrf", &page.csrf()),
                ("text", "Boats only."),
                ("comment", "Kayaks count."),
            ],
        )
        .await;
    assert_eq!(added.location.as_deref(), Some("/admin/rules"));
    let removed = browser
        .post("/admin/rules/1/delete", &[("csrf", &page.csrf())])
        .await;
    assert_eq!(removed.location.as_deref(), Some("/admin/rules"));
    let rules = server.get("/api/v1/instance/rules", None).await;
    let texts: Vec<&str> = rules
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|rule| rule["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["No spam.", "Boats only."]);
    assert_eq!(rules.json[1]["hint"], "Kayaks count.");
    assert_eq!(rules.json[1]["id"], "3");
    // Without the form token nothing changes.
    let forged = browser
        .post("/admin/rules/new", &[("text", "Forged.")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    // Announcements: published here, seen by users, deleted here.
    let page = browser.get("/admin/announcements").await;
    let published = browser
        .post(
            "/admin/announcements/new",
            &[
                ("csrf", &page.csrf()),
                ("text", "Maintenance tonight."),
                ("ends_in_hours", "2"),
            ],
        )
        .await;
    assert_eq!(published.location.as_deref(), Some("/admin/announcements"));
    let seen = server.get("/api/v1/announcements", Some(&user.token)).await;
    assert_eq!(seen.json.as_array().unwrap().len(), 1, "{}", seen.json);
    let id = seen.json[0]["id"].as_str().unwrap().to_string();
    let page = browser.get("/admin/announcements").await;
    assert!(page.body.contains("Maintenance tonight."));
    browser
        .post(
            &format!("/admin/announcements/{id}/delete"),
            &[("csrf", &page.csrf())],
        )
        .await;
    let seen = server.get("/api/v1/announcements", Some(&user.token)).await;
    assert_eq!(seen.json.as_array().unwrap().len(), 0);

    // Domain allows beside the blocks.
    let page = browser.get("/admin/domain_blocks").await;
    let allowed = browser
        .post(
            "/admin/domain_allows/new",
            &[("csrf", &page.csrf()), ("domain", "friends.example")],
        )
        .await;
    assert_eq!(allowed.location.as_deref(), Some("/admin/domain_blocks"));
    let page = browser.get("/admin/domain_blocks").await;
    assert!(
        page.body.contains("<td>friends.example</td>"),
        "{}",
        page.body
    );

    // Settings: every value with its key; secrets never; admins only.
    let settings = browser.get("/admin/settings").await;
    assert_eq!(settings.status, StatusCode::OK);
    assert!(
        settings
            .body
            .contains("<code>instance.registrations</code>")
    );
    assert!(settings.body.contains("<code>storage.db_bytes_max</code>"));
    assert!(!settings.body.contains("smtp_password"));
    let mut moderator_browser = Browser::new(&server);
    moderator_browser
        .sign_in("mod", &moderator.password, "")
        .await;
    for path in ["/admin/settings"] {
        assert_eq!(
            moderator_browser.get(path).await.status,
            StatusCode::FORBIDDEN
        );
    }
    let page = moderator_browser.get("/admin/rules").await;
    let refused = moderator_browser
        .post(
            "/admin/rules/new",
            &[("csrf", &page.csrf()), ("text", "Mods rule.")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let audit = browser.get("/admin/audit").await;
    assert!(
        audit.body.contains("<td>create_rule</td>"),
        "{}",
        audit.body
    );

    // The privacy policy is a page linked from the footer; terms are absent here.
    let policy = Browser::new(&server).get("/privacy-policy").await;
    assert_eq!(policy.status, StatusCode::OK);
    assert!(
        policy.body.contains("<p>We keep &lt;little&gt;.</p>"),
        "{}",
        policy.body
    );
    assert!(policy.body.contains("href=\"/privacy-policy\""));
    assert!(!policy.body.contains("href=\"/terms\""));
    assert_eq!(
        Browser::new(&server).get("/terms").await.status,
        StatusCode::NOT_FOUND
    );

    // Exports for the browser's session: the same CSV as the API's.
    server
        .post(
            &format!("/api/v1/accounts/{}/follow", admin.id.0),
            Some(&user.token),
            serde_json::json!({}),
        )
        .await;
    let mut user_browser = Browser::new(&server);
    user_browser.sign_in("user", &user.password, "").await;
    let page = user_browser.get("/settings/export").await;
    assert!(
        page.body
            .contains("href=\"/settings/export/following.csv\"")
    );
    let csv = user_browser.get("/settings/export/following.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    let api = server
        .client
        .get(server.url("/settings/exports/following.csv"))
        .bearer_auth(&user.token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(csv.body, api);
    assert!(csv.body.contains("admin@"), "{}", csv.body);
    assert_eq!(
        Browser::new(&server)
            .get("/settings/export/following.csv")
            .await
            .location
            .as_deref(),
        Some("/auth/sign_in")
    );
    assert_eq!(
        user_browser
            .get("/settings/export/secrets.csv")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}
