//! `GET /api/v2/instance` (Ivory and others need it, not only v1).

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::api::ApiError;
use crate::api::entities;
use crate::api::v1::instance::{
    accounts_configuration, media_configuration, polls_configuration, statuses_configuration,
};
use crate::app::{App, instance};

pub async fn v2(State(app): State<App>) -> Result<Json<Value>, ApiError> {
    let stats = app.run(instance::stats).await?;
    let vapid_key = app
        .run(|app| Ok(crate::app::push::vapid_key(app)?.public_key_base64url()))
        .await?;
    let config = &app.config;
    let streaming = format!(
        "{}://{}",
        if config.scheme() == "https" {
            "wss"
        } else {
            "ws"
        },
        config.server.host
    );
    Ok(Json(json!({
        "domain": config.server.host,
        "title": config.instance.title,
        "version": entities::version(),
        "source_url": app.base_url,
        "description": config.instance.description,
        "usage": { "users": { "active_month": stats.users } },
        "thumbnail": { "url": format!("{}/headers/original/missing.png", app.base_url) },
        "icon": [],
        "languages": ["en"],
        "configuration": {
            "urls": { "streaming": streaming, "status": null },
            "vapid": { "public_key": vapid_key },
            "accounts": accounts_configuration(),
            "statuses": statuses_configuration(&app),
            "media_attachments": media_configuration(&app),
            "polls": polls_configuration(),
            "translation": { "enabled": false },
        },
        "registrations": {
            "enabled": config.instance.registrations != "closed",
            "approval_required": config.instance.registrations == "approval",
            "message": null,
            "url": null,
        },
        "api_versions": { "mastodon": 2 },
        "contact": { "email": config.instance.contact_email, "account": null },
        "rules": super::super::v1::instance::rules_json(&app),
    })))
}
