//! `POST /api/v1/media`, `POST /api/v2/media`, `GET|PUT|DELETE /api/v1/media/:id`.
//!
//! Uploads are `multipart/form-data` with `file`, `description` and `focus` (`"x,y"`); the
//! body cap of these routes is the largest media cap plus room for the other fields
//! (`upload_body_bytes_max`), everything else keeps `server.request_body_bytes_max`.

use axum::Json;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Deserialize;

use crate::api::entities::{self, MediaAttachmentEntity};
use crate::api::{ApiError, Auth, Params, parse_id};
use crate::app::App;
use crate::app::media::{self, MediaInput};
use crate::model::{MediaId, MediaState, Scope};

/// Bytes of an upload request beyond the file: the other fields and multipart framing.
pub const UPLOAD_OVERHEAD_BYTES: u64 = 64 * 1024;
/// Characters of the `description` and `focus` fields read from a multipart body.
const TEXT_FIELD_BYTES_MAX: usize = 16 * 1024;

/// The body cap of the upload routes.
pub fn upload_body_bytes_max(app: &App) -> usize {
    let media = &app.config.media;
    let largest = media
        .image_bytes_max
        .max(media.video_bytes_max)
        .max(media.audio_bytes_max);
    usize::try_from(largest + UPLOAD_OVERHEAD_BYTES).unwrap_or(usize::MAX)
}

/// The file and fields of an upload. A body cut short (a truncated upload) or a second file
/// is a clean 422, never a half-stored attachment.
async fn read_upload(mut multipart: Multipart) -> Result<(Bytes, MediaInput), ApiError> {
    let broken = |error: axum::extract::multipart::MultipartError| {
        ApiError::new(
            error.status(),
            format!(
                "Validation failed: the upload could not be read ({})",
                error.body_text()
            ),
        )
    };
    let mut file = None;
    let mut input = MediaInput::default();
    while let Some(field) = multipart.next_field().await.map_err(broken)? {
        let name = field.name().unwrap_or_default().to_string();
        match name.as_str() {
            "file" => {
                if file.is_some() {
                    return Err(ApiError::unprocessable(
                        "Validation failed: one file per upload",
                    ));
                }
                file = Some(field.bytes().await.map_err(broken)?);
            }
            "description" | "focus" => {
                let text = field.text().await.map_err(broken)?;
                if text.len() > TEXT_FIELD_BYTES_MAX {
                    return Err(ApiError::unprocessable(format!(
                        "Validation failed: {name} is too long"
                    )));
                }
                if name == "description" {
                    input.description = Some(text);
                } else if !text.is_empty() {
                    input.focus = Some(text);
                }
            }
            // `thumbnail` (a custom preview) and unknown fields are not kept.
            _ => {
                let _ = field.bytes().await.map_err(broken)?;
            }
        }
    }
    let file =
        file.ok_or_else(|| ApiError::unprocessable("Validation failed: File can't be blank"))?;
    Ok((file, input))
}

/// `POST /api/v1/media`: processed before the answer.
pub async fn create_v1(
    State(app): State<App>,
    auth: Auth,
    multipart: Multipart,
) -> Result<Json<MediaAttachmentEntity>, ApiError> {
    let owner = auth.user(Scope::WriteMedia)?;
    let (file, input) = read_upload(multipart).await?;
    let media = media::upload(&app, owner, file, input).await?;
    Ok(Json(entities::media_attachment(&app, &media)))
}

/// `POST /api/v2/media`: 202 with `url: null`; processing goes on in the background and
/// `GET /api/v1/media/:id` says when it is done.
pub async fn create_v2(
    State(app): State<App>,
    auth: Auth,
    multipart: Multipart,
) -> Result<Response, ApiError> {
    let owner = auth.user(Scope::WriteMedia)?;
    let (file, input) = read_upload(multipart).await?;
    let media = media::upload_async(&app, owner, file, input).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(entities::media_attachment(&app, &media)),
    )
        .into_response())
}

/// `GET /api/v1/media/:id`: 206 while processing, 200 when ready, 422 with the reason when
/// processing refused the file.
pub async fn get(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let owner = auth.user(Scope::WriteMedia)?;
    let id: MediaId = parse_id(&id)?;
    let media = app.run(move |app| media::get_own(app, owner, id)).await?;
    match media.state {
        MediaState::Ready => Ok(Json(entities::media_attachment(&app, &media)).into_response()),
        MediaState::Processing => Ok((
            StatusCode::PARTIAL_CONTENT,
            Json(entities::media_attachment(&app, &media)),
        )
            .into_response()),
        MediaState::Failed => Err(ApiError::unprocessable(format!(
            "Validation failed: {}",
            media
                .error
                .as_deref()
                .unwrap_or("the file could not be processed")
        ))),
    }
}

#[derive(Deserialize)]
pub struct UpdateMedia {
    description: Option<String>,
    focus: Option<String>,
}

/// `PUT /api/v1/media/:id`: description and focus.
pub async fn update(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
    Params(params): Params<UpdateMedia>,
) -> Result<Json<MediaAttachmentEntity>, ApiError> {
    let owner = auth.user(Scope::WriteMedia)?;
    let id: MediaId = parse_id(&id)?;
    let input = MediaInput {
        description: params.description,
        focus: params.focus.filter(|focus| !focus.is_empty()),
    };
    let media = app
        .run(move |app| media::update(app, owner, id, input))
        .await?;
    Ok(Json(entities::media_attachment(&app, &media)))
}

/// `DELETE /api/v1/media/:id`: an upload not attached to a status.
pub async fn delete(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let owner = auth.user(Scope::WriteMedia)?;
    let id: MediaId = parse_id(&id)?;
    media::delete(&app, owner, id).await?;
    Ok(Json(serde_json::json!({})))
}
