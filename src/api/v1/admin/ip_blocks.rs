//! `/api/v1/admin/ip_blocks` and `/api/v1/admin/canonical_email_blocks`
//! (https://docs.joinmastodon.org/methods/admin/ip_blocks/, .../canonical_email_blocks/).

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};

use crate::api::{ApiError, Auth, Params, parse_id};
use crate::app::App;
use crate::app::access::{self, IpBlockInput};
use crate::app::admin::Actor;
use crate::model::{EmailBlock, IpBlock, IpSeverity, Scope};
use crate::store::Page;
use crate::util::lenient;
use crate::util::time::iso8601_ms;

#[derive(Serialize)]
pub struct IpBlockEntity {
    id: String,
    ip: String,
    severity: &'static str,
    comment: String,
    created_at: String,
    expires_at: Option<String>,
}

fn ip_entity(block: &IpBlock) -> IpBlockEntity {
    IpBlockEntity {
        id: block.id.to_string(),
        ip: block.network.clone(),
        severity: block.severity.name(),
        comment: block.comment.clone(),
        created_at: iso8601_ms(block.created_ms),
        expires_at: block.expires_ms.map(iso8601_ms),
    }
}

#[derive(Deserialize)]
pub struct IpBlockParams {
    ip: Option<String>,
    severity: Option<String>,
    comment: Option<String>,
    #[serde(default, deserialize_with = "lenient::option_u64")]
    expires_in: Option<u64>,
}

fn input(params: IpBlockParams) -> Result<IpBlockInput, ApiError> {
    let severity = match params.severity.as_deref() {
        None => None,
        Some(name) => Some(IpSeverity::parse(name).ok_or_else(|| {
            ApiError::unprocessable("Validation failed: Severity is not included in the list")
        })?),
    };
    Ok(IpBlockInput {
        ip: params.ip,
        severity,
        comment: params.comment,
        expires_in_secs: params.expires_in,
    })
}

pub async fn list(
    State(app): State<App>,
    auth: Auth,
) -> Result<Json<Vec<IpBlockEntity>>, ApiError> {
    let actor = Actor::Account(auth.user(Scope::AdminRead)?);
    let blocks = app
        .run(move |app| access::list_ip_blocks(app, actor))
        .await?;
    Ok(Json(blocks.iter().map(ip_entity).collect()))
}

pub async fn get(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<IpBlockEntity>, ApiError> {
    let actor = Actor::Account(auth.user(Scope::AdminRead)?);
    let id = parse_id(&id)?;
    let block = app
        .run(move |app| access::get_ip_block(app, actor, id))
        .await?;
    Ok(Json(ip_entity(&block)))
}

pub async fn create(
    State(app): State<App>,
    auth: Auth,
    Params(params): Params<IpBlockParams>,
) -> Result<Json<IpBlockEntity>, ApiError> {
    let actor = Actor::Account(auth.user(Scope::AdminWrite)?);
    let input = input(params)?;
    let block = app
        .run(move |app| access::create_ip_block(app, actor, input))
        .await?;
    Ok(Json(ip_entity(&block)))
}

pub async fn update(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
    Params(params): Params<IpBlockParams>,
) -> Result<Json<IpBlockEntity>, ApiError> {
    let actor = Actor::Account(auth.user(Scope::AdminWrite)?);
    let id = parse_id(&id)?;
    let input = input(params)?;
    let block = app
        .run(move |app| access::update_ip_block(app, actor, id, input))
        .await?;
    Ok(Json(ip_entity(&block)))
}

pub async fn delete(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let actor = Actor::Account(auth.user(Scope::AdminWrite)?);
    let id = parse_id(&id)?;
    app.run(move |app| access::delete_ip_block(app, actor, id))
        .await?;
    Ok(Json(serde_json::json!({})))
}

#[derive(Serialize)]
pub struct EmailBlockEntity {
    id: String,
    canonical_email_hash: String,
}

fn email_entity(block: &EmailBlock) -> EmailBlockEntity {
    EmailBlockEntity {
        id: block.id.to_string(),
        canonical_email_hash: block.hash.clone(),
    }
}

#[derive(Deserialize)]
pub struct EmailBlockParams {
    email: Option<String>,
    canonical_email_hash: Option<String>,
}

pub async fn list_email(
    State(app): State<App>,
    auth: Auth,
) -> Result<Json<Vec<EmailBlockEntity>>, ApiError> {
    /// Mastodon's admin page size.
    const LISTED: usize = 100;
    let actor = Actor::Account(auth.user(Scope::AdminRead)?);
    let blocks = app
        .run(move |app| access::list_email_blocks(app, actor, Page::newest(LISTED)))
        .await?;
    Ok(Json(blocks.iter().map(email_entity).collect()))
}

pub async fn get_email(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<EmailBlockEntity>, ApiError> {
    let actor = Actor::Account(auth.user(Scope::AdminRead)?);
    let id = parse_id(&id)?;
    let block = app
        .run(move |app| access::get_email_block(app, actor, id))
        .await?;
    Ok(Json(email_entity(&block)))
}

pub async fn create_email(
    State(app): State<App>,
    auth: Auth,
    Params(params): Params<EmailBlockParams>,
) -> Result<Json<EmailBlockEntity>, ApiError> {
    let actor = Actor::Account(auth.user(Scope::AdminWrite)?);
    let block = app
        .run(move |app| {
            access::create_email_block(
                app,
                actor,
                params.email.as_deref(),
                params.canonical_email_hash.as_deref(),
            )
        })
        .await?;
    Ok(Json(email_entity(&block)))
}

pub async fn test_email(
    State(app): State<App>,
    auth: Auth,
    Params(params): Params<EmailBlockParams>,
) -> Result<Json<Vec<EmailBlockEntity>>, ApiError> {
    let actor = Actor::Account(auth.user(Scope::AdminRead)?);
    let email = params.email.unwrap_or_default();
    let blocks = app
        .run(move |app| access::test_email(app, actor, &email))
        .await?;
    Ok(Json(blocks.iter().map(email_entity).collect()))
}

pub async fn delete_email(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let actor = Actor::Account(auth.user(Scope::AdminWrite)?);
    let id = parse_id(&id)?;
    app.run(move |app| access::delete_email_block(app, actor, id))
        .await?;
    Ok(Json(serde_json::json!({})))
}
