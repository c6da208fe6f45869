//! The test rig: a server on a loopback port with a fresh database, users with tokens,
//! and small HTTP helpers that return status, JSON and headers.

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;
use skerry::app::App;
use skerry::config::{Config, Overrides};
use skerry::model::{AccountId, Role, ScopeSet};

/// A reqwest client builder for talking to the test server, with the TLS config of the
/// server's own client (aws-lc-rs) and no trusted roots at all, since tests speak plain http
/// to loopback only.
pub fn http_client_builder() -> reqwest::ClientBuilder {
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("aws-lc-rs supports the default protocol versions")
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .no_proxy()
}

pub struct Server {
    pub base: String,
    pub app: App,
    pub client: reqwest::Client,
    _directory: tempfile::TempDir,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

pub struct User {
    pub id: AccountId,
    pub username: String,
    pub password: String,
    pub token: String,
}

pub struct Reply {
    pub status: StatusCode,
    pub json: Value,
    pub headers: HeaderMap,
}

impl Reply {
    /// The `rel` URL of the `Link` header.
    pub fn link(&self, rel: &str) -> Option<String> {
        let header = self.headers.get("link")?.to_str().ok()?;
        header
            .split(", ")
            .find(|part| part.ends_with(&format!("rel=\"{rel}\"")))
            .map(|part| {
                part.split(';')
                    .next()
                    .unwrap_or_default()
                    .trim_matches(|c| c == '<' || c == '>')
                    .to_string()
            })
    }
}

/// A config for a test server: a temp data dir, a loopback host, plain HTTP, plus `extra`
/// `SKERRY_*` settings.
pub fn config(directory: &std::path::Path, port: u16, extra: &[(&str, &str)]) -> Config {
    let file = directory.join("skerry.toml");
    std::fs::write(&file, "").unwrap();
    let mut environment = vec![
        ("SKERRY_SERVER_SCHEME".to_string(), "http".to_string()),
        (
            "SKERRY_SERVER_HOST".to_string(),
            format!("127.0.0.1:{port}"),
        ),
        (
            "SKERRY_SERVER_LISTEN".to_string(),
            format!("127.0.0.1:{port}"),
        ),
    ];
    environment.extend(
        extra
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string())),
    );
    let overrides = Overrides {
        data_dir: Some(directory.join("data")),
        ..Overrides::default()
    };
    Config::load(Some(&file), environment, &overrides).unwrap()
}

impl Server {
    pub async fn start() -> Server {
        Server::start_with(&[]).await
    }

    pub async fn start_with(extra: &[(&str, &str)]) -> Server {
        Server::start_on("127.0.0.1", extra).await
    }

    /// A server on another loopback address (`127.0.0.2`), so that two servers have
    /// different host names, as domain blocks need.
    pub async fn start_on(ip: &str, extra: &[(&str, &str)]) -> Server {
        let directory = tempfile::tempdir().unwrap();
        let listener = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let host = format!("{ip}:{port}");
        let mut extra: Vec<(&str, &str)> = extra.to_vec();
        extra.push(("SKERRY_SERVER_HOST", &host));
        extra.push(("SKERRY_SERVER_LISTEN", &host));
        let app = App::open(config(directory.path(), port, &extra)).unwrap();
        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(skerry::http::serve(app.clone(), listener, async move {
            let _ = stopped.await;
        }));
        Server {
            base: format!("http://{host}"),
            app,
            client: http_client_builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            _directory: directory,
            _shutdown: shutdown,
        }
    }

    /// A local user with a token of the given scopes.
    pub async fn user_with_scopes(&self, username: &str, scopes: &str) -> User {
        self.user_with_role(username, Role::User, scopes).await
    }

    /// A local user of `role` with a token of the given scopes.
    pub async fn user_with_role(&self, username: &str, role: Role, scopes: &str) -> User {
        let (username, scopes) = (username.to_string(), scopes.to_string());
        self.app
            .run(move |app| {
                let (account, password) = skerry::app::accounts::create_local_account(
                    app,
                    &username,
                    &format!("{username}@example.test"),
                    role,
                )?;
                let (token, _) = skerry::app::oauth::issue_token(
                    app,
                    None,
                    Some(account.id),
                    ScopeSet::parse(&scopes).unwrap(),
                )?;
                Ok(User {
                    id: account.id,
                    username,
                    password,
                    token,
                })
            })
            .await
            .unwrap()
    }

    pub async fn user(&self, username: &str) -> User {
        self.user_with_scopes(username, "read write follow push")
            .await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn send(&self, request: reqwest::RequestBuilder, token: Option<&str>) -> Reply {
        let request = match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        };
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Reply {
            status,
            json,
            headers,
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.send(self.client.get(self.url(path)), token).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.send(self.client.post(self.url(path)).json(&body), token)
            .await
    }

    pub async fn post_form(&self, path: &str, token: Option<&str>, form: &[(&str, &str)]) -> Reply {
        let body = serde_html_form_encode(form);
        let request = self
            .client
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        self.send(request, token).await
    }

    /// Posts a status and returns its id.
    pub async fn post_status(&self, user: &User, text: &str) -> String {
        let reply = self
            .post(
                "/api/v1/statuses",
                Some(&user.token),
                serde_json::json!({ "status": text }),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        reply.json["id"].as_str().unwrap().to_string()
    }
}

/// `application/x-www-form-urlencoded` encoding of pairs.
pub fn serde_html_form_encode(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(key, value)| format!("{}={}", percent(key), percent(value)))
        .collect::<Vec<_>>()
        .join("&")
}

fn percent(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (byte as char).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// The ids of a JSON list of statuses or accounts.
pub fn ids(json: &Value) -> Vec<String> {
    json.as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_string())
        .collect()
}
