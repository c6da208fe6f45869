//! `GET /api/v1/polls/:id` and `POST /api/v1/polls/:id/votes`.

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;

use crate::api::entities::{self, PollEntity};
use crate::api::{ApiError, Auth, MaybeAuth, Params, parse_id};
use crate::app::{App, polls};
use crate::model::{Scope, StatusId};

pub async fn get(
    State(app): State<App>,
    auth: MaybeAuth,
    Path(id): Path<String>,
) -> Result<Json<PollEntity>, ApiError> {
    let viewer = auth.viewer(Scope::ReadStatuses)?;
    let id: StatusId = parse_id(&id)?;
    let view = app.run(move |app| polls::get(app, viewer, id)).await?;
    entities::poll(&view, viewer.is_some())
        .map(Json)
        .ok_or_else(ApiError::not_found)
}

#[derive(Deserialize)]
pub struct VoteParams {
    #[serde(default)]
    choices: Vec<serde_json::Value>,
}

pub async fn vote(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
    Params(params): Params<VoteParams>,
) -> Result<Json<PollEntity>, ApiError> {
    let viewer = auth.user(Scope::WriteStatuses)?;
    let id: StatusId = parse_id(&id)?;
    // Choices come as numbers (JSON) or as text (forms: `choices[]=0`).
    let choices: Vec<u32> = params
        .choices
        .iter()
        .map(|choice| match choice {
            serde_json::Value::Number(number) => number
                .as_u64()
                .and_then(|number| u32::try_from(number).ok()),
            serde_json::Value::String(text) => text.trim().parse().ok(),
            _ => None,
        })
        .collect::<Option<Vec<u32>>>()
        .ok_or_else(|| {
            ApiError::unprocessable("Validation failed: choices must be option indexes")
        })?;
    let view = app
        .run(move |app| polls::vote(app, viewer, id, choices))
        .await?;
    entities::poll(&view, true)
        .map(Json)
        .ok_or_else(ApiError::not_found)
}
