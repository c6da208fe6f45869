//! `/api/v1/conversations`: direct-message conversations (list, mark read, remove).

use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use axum::response::IntoResponse;

use crate::api::entities::{self, ConversationEntity};
use crate::api::pagination::{PageParams, bounds, link_headers};
use crate::api::{ApiError, Auth, Query, parse_id};
use crate::app::{App, conversations};
use crate::model::{Scope, StatusId};

pub async fn list(
    State(app): State<App>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    Query(page): Query<PageParams>,
) -> Result<impl IntoResponse, ApiError> {
    let viewer = auth.user(Scope::ReadStatuses)?;
    let page = page.page(&app, None);
    let listed = app
        .run(move |app| conversations::list(app, viewer, page))
        .await?;
    let headers = link_headers(&app, &uri, bounds(&listed, |(last, _)| *last));
    Ok((
        headers,
        Json(
            listed
                .iter()
                .map(|(_, view)| entities::conversation(&app, view))
                .collect::<Vec<_>>(),
        ),
    ))
}

pub async fn read(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<ConversationEntity>, ApiError> {
    let viewer = auth.user(Scope::WriteConversations)?;
    let root: StatusId = parse_id(&id)?;
    let view = app
        .run(move |app| conversations::mark_read(app, viewer, root))
        .await?;
    Ok(Json(entities::conversation(&app, &view)))
}

pub async fn remove(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let viewer = auth.user(Scope::WriteConversations)?;
    let root: StatusId = parse_id(&id)?;
    app.run(move |app| conversations::remove(app, viewer, root))
        .await?;
    Ok(Json(serde_json::json!({})))
}
