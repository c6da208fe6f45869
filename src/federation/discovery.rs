//! WebFinger (RFC 7033), host-meta (RFC 6415) and NodeInfo 2.0/2.1: how peers and apps find
//! accounts and learn what this server is.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::app::{App, AppError, accounts, instance};

use super::render;

#[derive(Deserialize, Default)]
pub struct WebfingerQuery {
    #[serde(default)]
    resource: String,
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({ "error": "Record not found" })),
    )
        .into_response()
}

/// Resolves `acct:user@host`, `user@host` or an actor or profile URL of a local account; the
/// instance actor answers to `acct:host@host`.
pub async fn webfinger(State(app): State<App>, uri: Uri) -> Response {
    let query: WebfingerQuery =
        serde_html_form::from_str(uri.query().unwrap_or_default()).unwrap_or_default();
    let resource = query.resource.trim().to_string();
    if resource.is_empty() || resource.len() > 512 {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "resource is missing or too long" })),
        )
            .into_response();
    }
    let host = app.config.server.host.to_ascii_lowercase();
    let base = app.base_url.clone();
    let username = if let Some(url_path) = resource.strip_prefix(&format!("{base}/users/")) {
        url_path.to_string()
    } else if let Some(url_path) = resource.strip_prefix(&format!("{base}/@")) {
        url_path.to_string()
    } else if resource == render::instance_actor_id(&app) {
        host.clone()
    } else {
        let acct = resource
            .strip_prefix("acct:")
            .unwrap_or(&resource)
            .trim_start_matches('@')
            .to_ascii_lowercase();
        match acct.rsplit_once('@') {
            Some((user, domain)) if domain == host => user.to_string(),
            _ => return not_found(),
        }
    };
    if username == host {
        let id = render::instance_actor_id(&app);
        return jrd(json!({
            "subject": format!("acct:{host}@{host}"),
            "aliases": [id],
            "links": [{ "rel": "self", "type": super::ACTIVITY_JSON, "href": id }],
        }));
    }
    let lookup = username.clone();
    let view = match app.run(move |app| accounts::lookup(app, &lookup)).await {
        Ok(view) if view.account.is_local() => view,
        Ok(_) | Err(AppError::NotFound) => return not_found(),
        Err(_) => return (StatusCode::SERVICE_UNAVAILABLE, "").into_response(),
    };
    let urls = render::actor_urls(&app, &view.account.username);
    jrd(json!({
        "subject": format!("acct:{}@{host}", view.account.username),
        "aliases": [urls.profile, urls.id],
        "links": [
            { "rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": urls.profile },
            { "rel": "self", "type": super::ACTIVITY_JSON, "href": urls.id },
            { "rel": "http://ostatus.org/schema/1.0/subscribe", "template": format!("{base}/authorize_interaction?uri={{uri}}") },
        ],
    }))
}

fn jrd(document: Value) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/jrd+json; charset=utf-8"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        document.to_string(),
    )
        .into_response()
}

pub async fn host_meta(State(app): State<App>) -> Response {
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">\n  <Link rel=\"lrdd\" template=\"{}/.well-known/webfinger?resource={{uri}}\"/>\n</XRD>\n",
        app.base_url
    );
    (
        [(header::CONTENT_TYPE, "application/xrd+xml; charset=utf-8")],
        xml,
    )
        .into_response()
}

pub async fn nodeinfo_links(State(app): State<App>) -> Json<Value> {
    Json(json!({
        "links": [
            { "rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": format!("{}/nodeinfo/2.0", app.base_url) },
            { "rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": format!("{}/nodeinfo/2.1", app.base_url) },
        ]
    }))
}

async fn nodeinfo(app: App, version: &str) -> Response {
    let stats = match app.run(instance::stats).await {
        Ok(stats) => stats,
        Err(_) => return (StatusCode::SERVICE_UNAVAILABLE, "").into_response(),
    };
    let mut software = json!({ "name": "skerry", "version": env!("CARGO_PKG_VERSION") });
    if version == "2.1" {
        software["homepage"] = Value::String(app.base_url.clone());
    }
    let document = json!({
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": { "outbound": [], "inbound": [] },
        "usage": {
            "users": { "total": stats.users, "activeMonth": stats.users, "activeHalfyear": stats.users },
            "localPosts": stats.statuses,
        },
        "openRegistrations": app.config.instance.registrations == "open",
        "metadata": {
            "nodeName": app.config.instance.title,
            "nodeDescription": app.config.instance.description,
        },
    });
    let profile = format!(
        "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/{version}#\""
    );
    ([(header::CONTENT_TYPE, profile)], document.to_string()).into_response()
}

pub async fn nodeinfo_20(State(app): State<App>) -> Response {
    nodeinfo(app, "2.0").await
}

pub async fn nodeinfo_21(State(app): State<App>) -> Response {
    nodeinfo(app, "2.1").await
}
