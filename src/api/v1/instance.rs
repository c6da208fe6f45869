//! `GET /api/v1/instance`, `GET /api/v1/instance/domain_blocks` and
//! `GET /api/v1/custom_emojis`.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::api::ApiError;
use crate::api::entities;
use crate::app::{App, domains, instance};

/// What statuses may hold; shared with v2.
pub fn statuses_configuration(app: &App) -> Value {
    json!({
        "max_characters": app.config.limits.status_chars_max,
        "max_media_attachments": 4,
        "characters_reserved_per_url": crate::app::text::URL_CHARS,
    })
}

pub fn accounts_configuration() -> Value {
    json!({ "max_featured_tags": 10, "max_pinned_statuses": crate::app::statuses::PINS_MAX, "max_display_name_length": 30 })
}

/// What uploads may be; clients read these limits before they upload (and transcode to
/// fit). The video frame rate and matrix are Mastodon's figures, given as hints: video is
/// stored as it comes and they are not checked here.
pub fn media_configuration(app: &App) -> Value {
    let mut types: Vec<&str> = Vec::new();
    for (sniffed, served, ..) in crate::media::ACCEPTED {
        for name in [sniffed, served] {
            if !types.contains(&name) {
                types.push(name);
            }
        }
    }
    let media = &app.config.media;
    json!({
        "supported_mime_types": types,
        "image_size_limit": media.image_bytes_max,
        "image_matrix_limit": crate::media::IMAGE_PIXELS_MAX,
        "video_size_limit": media.video_bytes_max,
        "video_frame_rate_limit": 120,
        "video_matrix_limit": 8_294_400,
        "description_limit": crate::media::DESCRIPTION_CHARS_MAX,
    })
}

pub fn polls_configuration() -> Value {
    use crate::app::polls;
    json!({
        "max_options": polls::OPTIONS_MAX,
        "max_characters_per_option": polls::OPTION_CHARS_MAX,
        "min_expiration": polls::EXPIRES_IN_SECS_MIN,
        "max_expiration": polls::EXPIRES_IN_SECS_MAX,
    })
}

pub async fn v1(State(app): State<App>) -> Result<Json<Value>, ApiError> {
    let stats = app.run(instance::stats).await?;
    let config = &app.config;
    Ok(Json(json!({
        "uri": config.server.host,
        "title": config.instance.title,
        "short_description": config.instance.description,
        "description": config.instance.description,
        "email": config.instance.contact_email,
        "version": entities::version(),
        "urls": { "streaming_api": format!("{}://{}", if config.scheme() == "https" { "wss" } else { "ws" }, config.server.host) },
        "stats": { "user_count": stats.users, "status_count": stats.statuses, "domain_count": 0 },
        "thumbnail": null,
        "languages": ["en"],
        "registrations": config.instance.registrations == "open",
        "approval_required": config.instance.registrations == "approval",
        "invites_enabled": false,
        "configuration": {
            "accounts": accounts_configuration(),
            "statuses": statuses_configuration(&app),
            "media_attachments": media_configuration(&app),
            "polls": polls_configuration(),
        },
        "contact_account": null,
        "rules": rules_json(&app),
    })))
}

/// `GET /api/v1/custom_emojis`: ours, by shortcode.
pub async fn custom_emojis(State(app): State<App>) -> Result<Json<Vec<entities::Emoji>>, ApiError> {
    let found = app
        .run(|app| {
            let emojis = crate::app::emoji::list_local(app)?;
            app.store.read(|tx| {
                emojis
                    .into_iter()
                    .map(|emoji| {
                        let image =
                            crate::store::media::get_media(tx, emoji.media, app.bytes_max())?;
                        Ok::<_, crate::app::AppError>((emoji, image))
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
        })
        .await?;
    Ok(Json(
        found
            .iter()
            .map(|(emoji, image)| entities::emoji(&app, emoji, image.as_ref()))
            .collect(),
    ))
}

/// The blocks that limit or suspend, shown to everyone. Mastodon makes this a setting
/// (`show_domain_blocks`: nobody, signed-in users, everyone); Skerry has none yet.
pub async fn domain_blocks(
    State(app): State<App>,
) -> Result<Json<Vec<entities::DomainBlockEntity>>, ApiError> {
    let blocks = app.run(domains::public_blocks).await?;
    Ok(Json(blocks.iter().map(entities::domain_block).collect()))
}

/// The server's rules (`app::rules`: the database, seeded from `instance.rules`) as
/// Mastodon's `Rule` entities. A read of at most 50 small records: cheap enough for the
/// async handler.
pub fn rules_json(app: &App) -> Vec<Value> {
    let rules = crate::app::rules::list(app).unwrap_or_else(|error| {
        tracing::warn!(%error, "rules could not be read");
        Vec::new()
    });
    rules
        .iter()
        .map(|rule| json!({ "id": rule.id.to_string(), "text": rule.text, "hint": rule.hint }))
        .collect()
}

/// `GET /api/v1/instance/rules`.
pub async fn rules(State(app): State<App>) -> Result<Json<Vec<Value>>, ApiError> {
    Ok(Json(app.run(|app| Ok(rules_json(app))).await?))
}

/// `GET /api/v1/instance/peers`: hosts of the servers this one knows accounts of.
pub async fn peers(State(app): State<App>) -> Result<Json<Vec<String>>, ApiError> {
    Ok(Json(app.run(crate::app::discovery::peers).await?))
}

/// `GET /api/v1/instance/activity`: 12 weeks, newest first, numbers as strings as
/// Mastodon sends them. `logins` counts local accounts that posted in the week: Skerry
/// keeps no log of logins.
pub async fn activity(State(app): State<App>) -> Result<Json<Vec<Value>>, ApiError> {
    let weeks = app.run(crate::app::discovery::activity).await?;
    Ok(Json(
        weeks
            .iter()
            .map(|week| {
                json!({
                    "week": (week.week_start_ms / 1000).to_string(),
                    "statuses": week.statuses.to_string(),
                    "logins": week.active_accounts.to_string(),
                    "registrations": week.registrations.to_string(),
                })
            })
            .collect(),
    ))
}

/// `GET /api/v1/instance/translation_languages`: no translation service, no languages.
pub async fn translation_languages() -> Json<Value> {
    Json(json!({}))
}

/// Languages statuses may be written in (`GET /api/v1/instance/languages`): ISO 639-1 codes
/// with their English names. Skerry accepts any language tag; this is the list apps offer.
const LANGUAGES: [(&str, &str); 40] = [
    ("ar", "Arabic"),
    ("bg", "Bulgarian"),
    ("ca", "Catalan"),
    ("cs", "Czech"),
    ("cy", "Welsh"),
    ("da", "Danish"),
    ("de", "German"),
    ("el", "Greek"),
    ("en", "English"),
    ("eo", "Esperanto"),
    ("es", "Spanish"),
    ("et", "Estonian"),
    ("eu", "Basque"),
    ("fa", "Persian"),
    ("fi", "Finnish"),
    ("fr", "French"),
    ("ga", "Irish"),
    ("gl", "Galician"),
    ("he", "Hebrew"),
    ("hi", "Hindi"),
    ("hu", "Hungarian"),
    ("id", "Indonesian"),
    ("is", "Icelandic"),
    ("it", "Italian"),
    ("ja", "Japanese"),
    ("ko", "Korean"),
    ("lt", "Lithuanian"),
    ("lv", "Latvian"),
    ("nl", "Dutch"),
    ("no", "Norwegian"),
    ("pl", "Polish"),
    ("pt", "Portuguese"),
    ("ro", "Romanian"),
    ("ru", "Russian"),
    ("sk", "Slovak"),
    ("sv", "Swedish"),
    ("th", "Thai"),
    ("tr", "Turkish"),
    ("uk", "Ukrainian"),
    ("zh", "Chinese"),
];

pub async fn languages() -> Json<Vec<Value>> {
    Json(
        LANGUAGES
            .iter()
            .map(|(code, name)| json!({ "code": code, "name": name }))
            .collect(),
    )
}

/// A configured text as Mastodon's `PrivacyPolicy`/`TermsOfService` entity, or 404 when the
/// server has none.
fn policy(app: &App, text: &str) -> Result<Json<Value>, ApiError> {
    if text.trim().is_empty() {
        return Err(ApiError::not_found());
    }
    let html = crate::app::text::format(
        text,
        |_| None::<crate::app::text::ResolvedMention<u64>>,
        |tag| format!("{}/tags/{tag}", app.base_url),
    )
    .html;
    Ok(Json(json!({
        // The configuration has no date: the start of the epoch says "unknown".
        "updated_at": crate::util::time::iso8601_ms(0),
        "content": html,
    })))
}

/// `GET /api/v1/instance/privacy_policy`.
pub async fn privacy_policy(State(app): State<App>) -> Result<Json<Value>, ApiError> {
    policy(&app, &app.config.instance.privacy_policy)
}

/// `GET /api/v1/instance/terms_of_service`.
pub async fn terms_of_service(State(app): State<App>) -> Result<Json<Value>, ApiError> {
    policy(&app, &app.config.instance.terms_of_service)
}

/// `GET /api/v1/instance/extended_description`: the configured description.
pub async fn extended_description(State(app): State<App>) -> Json<Value> {
    Json(json!({
        "updated_at": crate::util::time::iso8601_ms(0),
        "content": app.config.instance.description,
    }))
}
