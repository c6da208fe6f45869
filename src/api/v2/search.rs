//! `GET /api/v2/search`: accounts, hashtags and statuses, built in.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};

use crate::api::entities::{self, AccountEntity, StatusEntity, TagEntity};
use crate::api::{ApiError, MaybeAuth, Query};
use crate::app::App;
use crate::app::remote::Resolved;
use crate::app::search::{self, Kind};
use crate::model::Scope;
use crate::util::lenient;

#[derive(Deserialize)]
pub struct SearchParams {
    #[serde(default)]
    q: String,
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "lenient::option_u64")]
    limit: Option<u64>,
    #[serde(default, deserialize_with = "lenient::option_bool")]
    resolve: Option<bool>,
}

#[derive(Serialize)]
pub struct SearchEntity {
    accounts: Vec<AccountEntity>,
    statuses: Vec<StatusEntity>,
    hashtags: Vec<TagEntity>,
}

pub async fn search(
    State(app): State<App>,
    auth: MaybeAuth,
    Query(params): Query<SearchParams>,
) -> Result<Json<SearchEntity>, ApiError> {
    let viewer = auth.viewer(Scope::ReadSearch)?;
    let kind = match params.kind.as_deref() {
        None | Some("") => None,
        Some("accounts") => Some(Kind::Accounts),
        Some("hashtags") => Some(Kind::Hashtags),
        Some("statuses") => Some(Kind::Statuses),
        Some(_) => {
            return Err(ApiError::bad_request(
                "type must be accounts, hashtags or statuses",
            ));
        }
    };
    let limit = params.limit.map_or(20, |limit| limit.clamp(1, 40) as usize);
    let query = params.q;
    // `@user@host` with resolve=true is looked up on its server first (signed-in users only,
    // as Mastodon): the search below then finds it like any known account.
    let acct = query.trim().trim_start_matches('@');
    if params.resolve.unwrap_or(false)
        && viewer.is_some()
        && kind.is_none_or(|kind| kind == Kind::Accounts)
    {
        if let Some((user, host)) = acct.split_once('@') {
            if !user.is_empty() && host.contains(['.', ':']) && !acct.contains(char::is_whitespace)
            {
                let _ = app.resolve_account(acct).await;
            }
        }
    }
    // The URL of a remote post or actor, with resolve=true: fetched and shown alone.
    let trimmed = query.trim();
    if params.resolve.unwrap_or(false)
        && viewer.is_some()
        && (trimmed.starts_with("https://") || trimmed.starts_with("http://"))
    {
        let mut entity = SearchEntity {
            accounts: Vec::new(),
            statuses: Vec::new(),
            hashtags: Vec::new(),
        };
        match app.resolve_url(trimmed).await {
            Ok(Resolved::Account(id)) if kind.is_none_or(|kind| kind == Kind::Accounts) => {
                let view = app
                    .run(move |app| crate::app::accounts::get(app, id))
                    .await?;
                entity.accounts.push(entities::account(&app, &view));
            }
            Ok(Resolved::Status(id)) if kind.is_none_or(|kind| kind == Kind::Statuses) => {
                if let Ok(view) = app
                    .run(move |app| crate::app::statuses::get(app, viewer, id))
                    .await
                {
                    entity.statuses.push(entities::status(&app, &view));
                }
            }
            _ => {}
        }
        return Ok(Json(entity));
    }
    let results = app
        .run(move |app| search::search(app, viewer, &query, kind, limit))
        .await?;
    Ok(Json(SearchEntity {
        accounts: results
            .accounts
            .iter()
            .map(|view| entities::account(&app, view))
            .collect(),
        statuses: results
            .statuses
            .iter()
            .map(|view| entities::status(&app, view))
            .collect(),
        hashtags: results
            .hashtags
            .iter()
            .map(|name| entities::tag(&app, name, true))
            .collect(),
    }))
}
