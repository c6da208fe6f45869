//! Documents of local actors and objects: actors (and the instance actor), outbox,
//! followers, following, featured, and statuses as `Note` and `Create`/`Announce`. On the same
//! URLs, a request for HTML is sent to the web pages.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::Value;

use crate::app::documents::{self, StatusDocument};
use crate::app::relationships::AccountList;
use crate::app::{App, AppError};
use crate::model::{AccountId, StatusId};
use crate::store::Page;
use crate::util::{accept::wants_activity_json, lenient};

use super::render;

/// Items per page of outbox and follower collections (Mastodon: 20 and 12).
const PAGE_ITEMS: usize = 20;

/// Who fetches: the signer of a signed GET, verified. Without a signature: anonymous, or
/// 401 under `federation.authorized_fetch`.
async fn fetcher(app: &App, uri: &Uri, headers: &HeaderMap) -> Result<Option<AccountId>, Response> {
    let signed = headers.contains_key("signature")
        || headers.contains_key("signature-input")
        || headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("Signature "));
    if !signed {
        if app.config.federation.authorized_fetch {
            return Err((
                StatusCode::UNAUTHORIZED,
                axum::Json(serde_json::json!({ "error": "Request not signed" })),
            )
                .into_response());
        }
        return Ok(None);
    }
    match super::inbox::verify_signed(app, &axum::http::Method::GET, uri, headers, None).await {
        Ok(actor) => Ok(crate::app::remote::account_by_uri(app, &actor)
            .ok()
            .flatten()),
        // As Mastodon: a signature that does not verify counts only where one is required;
        // elsewhere the request is served as anonymous (public documents only).
        Err(error) if app.config.federation.authorized_fetch => {
            tracing::info!(%error, "refused a signed fetch");
            Err((
                error.http_status(),
                axum::Json(serde_json::json!({ "error": error.to_string() })),
            )
                .into_response())
        }
        Err(_) => Ok(None),
    }
}

fn activity_json(document: Value) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/activity+json; charset=utf-8",
            ),
            (header::VARY, "Accept"),
        ],
        document.to_string(),
    )
        .into_response()
}

fn failure(error: AppError) -> Response {
    let http_status = match error {
        AppError::NotFound => StatusCode::NOT_FOUND,
        AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        other => {
            tracing::error!(error = %other, "federation document");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    };
    (
        http_status,
        axum::Json(serde_json::json!({ "error": "Record not found" })),
    )
        .into_response()
}

pub async fn instance_actor(State(app): State<App>) -> Response {
    match app.run(documents::instance_public_key_pem).await {
        Ok(pem) => activity_json(render::instance_actor(&app, &pem)),
        Err(error) => failure(error),
    }
}

pub async fn actor(
    State(app): State<App>,
    uri: Uri,
    headers: HeaderMap,
    Path(username): Path<String>,
) -> Response {
    if !wants_activity_json(&headers) {
        return Redirect::to(&format!("/@{username}")).into_response();
    }
    if let Err(refused) = fetcher(&app, &uri, &headers).await {
        return refused;
    }
    match app
        .run(move |app| documents::local_actor(app, &username))
        .await
    {
        Ok(local) => activity_json(render::actor(&app, &local.view, &local.public_key_pem)),
        Err(error) => failure(error),
    }
}

/// `GET /emojis/:shortcode`: one of our custom emojis as the `Emoji` its tags name by `id`
/// (Mastodon serves its emojis' ids the same way).
pub async fn emoji(
    State(app): State<App>,
    uri: Uri,
    headers: HeaderMap,
    Path(shortcode): Path<String>,
) -> Response {
    if let Err(refused) = fetcher(&app, &uri, &headers).await {
        return refused;
    }
    match app
        .run(move |app| crate::app::emoji::local_with_image(app, &shortcode))
        .await
    {
        Ok((emoji, image)) => match render::emoji_document(&app, &emoji, &image) {
            Some(document) => activity_json(document),
            None => failure(AppError::NotFound),
        },
        Err(error) => failure(error),
    }
}

#[derive(Deserialize, Default)]
pub struct CollectionQuery {
    #[serde(default, deserialize_with = "lenient::option_bool")]
    page: Option<bool>,
    #[serde(default, deserialize_with = "lenient::option_u64")]
    max_id: Option<u64>,
    #[serde(default, deserialize_with = "lenient::option_u64")]
    min_id: Option<u64>,
}

fn query(uri: &Uri) -> CollectionQuery {
    serde_html_form::from_str(uri.query().unwrap_or_default()).unwrap_or_default()
}

fn item(app: &App, document: &StatusDocument) -> Option<Value> {
    match (&document.view.status.reblog_of, &document.reblog_of) {
        (Some(_), Some(original)) => Some(render::announce(app, &document.view, original)),
        (Some(_), None) => None,
        (None, _) => Some(render::create(
            app,
            &document.view,
            document.in_reply_to.clone(),
        )),
    }
}

pub async fn outbox(
    State(app): State<App>,
    uri: Uri,
    headers: HeaderMap,
    Path(username): Path<String>,
) -> Response {
    if let Err(refused) = fetcher(&app, &uri, &headers).await {
        return refused;
    }
    let query = query(&uri);
    let lookup = username.clone();
    let local = match app
        .run(move |app| documents::local_actor(app, &lookup))
        .await
    {
        Ok(local) => local,
        Err(error) => return failure(error),
    };
    let id = render::actor_urls(&app, &username).outbox;
    if !query.page.unwrap_or(false) {
        let total = u64::from(local.view.counts.statuses);
        return activity_json(render::ordered_collection(
            &id,
            total,
            Some(format!("{id}?page=true")),
        ));
    }
    let page = Page {
        max_id: query.max_id,
        min_id: query.min_id,
        limit: PAGE_ITEMS,
        ..Page::default()
    };
    let account = local.view.account.id;
    let found = match app
        .run(move |app| documents::outbox(app, account, page))
        .await
    {
        Ok(found) => found,
        Err(error) => return failure(error),
    };
    let items: Vec<Value> = found
        .iter()
        .filter_map(|document| item(&app, document))
        .collect();
    let next = found
        .last()
        .map(|last| format!("{id}?page=true&max_id={}", last.view.status.id));
    let prev = found
        .first()
        .map(|first| format!("{id}?page=true&min_id={}", first.view.status.id));
    let page_id = format!("{id}?{}", uri.query().unwrap_or("page=true"));
    activity_json(render::ordered_page(&page_id, &id, items, next, prev))
}

async fn relation_collection(
    app: App,
    uri: Uri,
    headers: HeaderMap,
    username: String,
    followers: bool,
) -> Response {
    if let Err(refused) = fetcher(&app, &uri, &headers).await {
        return refused;
    }
    let query = query(&uri);
    let lookup = username.clone();
    let local = match app
        .run(move |app| documents::local_actor(app, &lookup))
        .await
    {
        Ok(local) => local,
        Err(error) => return failure(error),
    };
    let urls = render::actor_urls(&app, &username);
    let id = if followers {
        urls.followers
    } else {
        urls.following
    };
    let total = u64::from(if followers {
        local.view.counts.followers
    } else {
        local.view.counts.following
    });
    if !query.page.unwrap_or(false) {
        return activity_json(render::ordered_collection(
            &id,
            total,
            Some(format!("{id}?page=true")),
        ));
    }
    let account = local.view.account.id;
    let list = if followers {
        AccountList::Followers(account)
    } else {
        AccountList::Following(account)
    };
    let page = Page {
        max_id: query.max_id,
        min_id: query.min_id,
        limit: PAGE_ITEMS,
        ..Page::default()
    };
    let found = match app
        .run(move |app| documents::actor_ids(app, list, page))
        .await
    {
        Ok(found) => found,
        Err(error) => return failure(error),
    };
    let next = found
        .last()
        .map(|(edge, _)| format!("{id}?page=true&max_id={edge}"));
    let prev = found
        .first()
        .map(|(edge, _)| format!("{id}?page=true&min_id={edge}"));
    let items = found
        .into_iter()
        .map(|(_, uri)| Value::String(uri))
        .collect();
    let page_id = format!("{id}?{}", uri.query().unwrap_or("page=true"));
    activity_json(render::ordered_page(&page_id, &id, items, next, prev))
}

pub async fn followers(
    State(app): State<App>,
    uri: Uri,
    headers: HeaderMap,
    Path(username): Path<String>,
) -> Response {
    relation_collection(app, uri, headers, username, true).await
}

pub async fn following(
    State(app): State<App>,
    uri: Uri,
    headers: HeaderMap,
    Path(username): Path<String>,
) -> Response {
    relation_collection(app, uri, headers, username, false).await
}

pub async fn featured(
    State(app): State<App>,
    uri: Uri,
    headers: HeaderMap,
    Path(username): Path<String>,
) -> Response {
    if let Err(refused) = fetcher(&app, &uri, &headers).await {
        return refused;
    }
    let lookup = username.clone();
    let found = app
        .run(move |app| {
            let local = documents::local_actor(app, &lookup)?;
            documents::featured(app, local.view.account.id)
        })
        .await;
    match found {
        Ok(found) => {
            let items: Vec<Value> = found
                .iter()
                .map(|document| render::note(&app, &document.view, document.in_reply_to.clone()))
                .collect();
            let id = render::actor_urls(&app, &username).featured;
            let mut collection = render::ordered_collection(&id, items.len() as u64, None);
            collection["orderedItems"] = Value::Array(items);
            activity_json(collection)
        }
        Err(error) => failure(error),
    }
}

pub async fn featured_tags(
    State(app): State<App>,
    uri: Uri,
    headers: HeaderMap,
    Path(username): Path<String>,
) -> Response {
    if let Err(refused) = fetcher(&app, &uri, &headers).await {
        return refused;
    }
    let lookup = username.clone();
    match app
        .run(move |app| documents::local_actor(app, &lookup))
        .await
    {
        Ok(_) => {
            let id = render::actor_urls(&app, &username).featured_tags;
            let mut collection = render::ordered_collection(&id, 0, None);
            collection["type"] = Value::String("Collection".into());
            collection["items"] = Value::Array(Vec::new());
            activity_json(collection)
        }
        Err(error) => failure(error),
    }
}

fn parse_status_id(text: &str) -> Option<StatusId> {
    text.parse().ok()
}

pub async fn status(
    State(app): State<App>,
    uri: Uri,
    headers: HeaderMap,
    Path((username, id)): Path<(String, String)>,
) -> Response {
    if !wants_activity_json(&headers) {
        return Redirect::to(&format!("/@{username}/{id}")).into_response();
    }
    let viewer = match fetcher(&app, &uri, &headers).await {
        Ok(viewer) => viewer,
        Err(refused) => return refused,
    };
    let Some(id) = parse_status_id(&id) else {
        return failure(AppError::NotFound);
    };
    match app
        .run(move |app| documents::status_for(app, &username, id, viewer))
        .await
    {
        Ok(document) if document.view.status.reblog_of.is_none() => activity_json(render::note(
            &app,
            &document.view,
            document.in_reply_to.clone(),
        )),
        Ok(_) => failure(AppError::NotFound),
        Err(error) => failure(error),
    }
}

pub async fn status_activity(
    State(app): State<App>,
    uri: Uri,
    headers: HeaderMap,
    Path((username, id)): Path<(String, String)>,
) -> Response {
    let viewer = match fetcher(&app, &uri, &headers).await {
        Ok(viewer) => viewer,
        Err(refused) => return refused,
    };
    let Some(id) = parse_status_id(&id) else {
        return failure(AppError::NotFound);
    };
    match app
        .run(move |app| documents::status_for(app, &username, id, viewer))
        .await
    {
        Ok(document) => match item(&app, &document) {
            Some(activity) => activity_json(activity),
            None => failure(AppError::NotFound),
        },
        Err(error) => failure(error),
    }
}
