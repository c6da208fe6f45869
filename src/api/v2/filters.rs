//! `/api/v2/filters` with their keywords and statuses, and the v1 `/api/v1/filters` mapped
//! onto them as Mastodon does (a v1 filter is one keyword; its id is the keyword's).

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::Value;

use crate::api::entities::{
    self, FilterEntity, FilterKeywordEntity, FilterStatusEntity, V1FilterEntity,
};
use crate::api::{ApiError, Auth, Params, parse_id};
use crate::app::App;
use crate::app::filters::{self, FilterInput, KeywordInput};
use crate::model::{Scope, StatusId};
use crate::util::lenient;

/// One value or many (`context[]=home`, `"context": ["home"]`, `"context": "home"`).
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    Many(Vec<String>),
    One(String),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::Many(values) => values,
            OneOrMany::One(value) => vec![value],
        }
    }
}

/// A list (JSON) or an object keyed by index (forms: `keywords_attributes[0][keyword]`).
#[derive(Deserialize)]
#[serde(untagged)]
enum KeywordsAttributes {
    List(Vec<KeywordParams>),
    Indexed(BTreeMap<String, KeywordParams>),
}

#[derive(Deserialize)]
struct KeywordParams {
    #[serde(default)]
    id: Option<Value>,
    keyword: Option<String>,
    #[serde(default, deserialize_with = "lenient::option_bool")]
    whole_word: Option<bool>,
    #[serde(
        default,
        rename = "_destroy",
        deserialize_with = "lenient::option_bool"
    )]
    destroy: Option<bool>,
}

#[derive(Deserialize)]
pub struct FilterParams {
    title: Option<String>,
    context: Option<OneOrMany>,
    filter_action: Option<String>,
    #[serde(default)]
    expires_in: Option<Value>,
    keywords_attributes: Option<KeywordsAttributes>,
    // v1
    phrase: Option<String>,
    #[serde(default, deserialize_with = "lenient::option_bool")]
    irreversible: Option<bool>,
    #[serde(default, deserialize_with = "lenient::option_bool")]
    whole_word: Option<bool>,
}

fn id_of(value: &Value) -> Result<u64, ApiError> {
    let text = match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    parse_id(&text)
}

/// `expires_in`: seconds; an empty value means never.
fn expires_in(value: Option<Value>) -> Result<Option<Option<u64>>, ApiError> {
    let invalid = || ApiError::unprocessable("Validation failed: Expires in is not a number");
    match value {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(text)) if text.trim().is_empty() => Ok(Some(None)),
        Some(Value::String(text)) => text
            .trim()
            .parse::<u64>()
            .map(|secs| Some(Some(secs)))
            .map_err(|_| invalid()),
        Some(Value::Number(number)) => number
            .as_u64()
            .map(|secs| Some(Some(secs)))
            .ok_or_else(invalid),
        Some(_) => Err(invalid()),
    }
}

fn input(params: FilterParams) -> Result<FilterInput, ApiError> {
    let keywords = match params.keywords_attributes {
        None => Vec::new(),
        Some(KeywordsAttributes::List(list)) => list,
        Some(KeywordsAttributes::Indexed(map)) => {
            let mut entries: Vec<(u64, KeywordParams)> = map
                .into_iter()
                .map(|(index, keyword)| (index.parse().unwrap_or(u64::MAX), keyword))
                .collect();
            entries.sort_by_key(|(index, _)| *index);
            entries.into_iter().map(|(_, keyword)| keyword).collect()
        }
    };
    let keywords = keywords
        .into_iter()
        .map(|keyword| {
            Ok(KeywordInput {
                id: keyword.id.as_ref().map(id_of).transpose()?,
                keyword: keyword.keyword,
                whole_word: keyword.whole_word,
                destroy: keyword.destroy.unwrap_or(false),
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(FilterInput {
        title: params.title,
        context: params.context.map(OneOrMany::into_vec),
        action: params.filter_action,
        expires_in: expires_in(params.expires_in)?,
        keywords,
    })
}

pub async fn index(
    State(app): State<App>,
    auth: Auth,
) -> Result<Json<Vec<FilterEntity>>, ApiError> {
    let owner = auth.user(Scope::ReadFilters)?;
    let found = app.run(move |app| filters::all(app, owner)).await?;
    Ok(Json(found.iter().map(entities::filter).collect()))
}

pub async fn create(
    State(app): State<App>,
    auth: Auth,
    Params(params): Params<FilterParams>,
) -> Result<Json<FilterEntity>, ApiError> {
    let owner = auth.user(Scope::WriteFilters)?;
    let input = input(params)?;
    let filter = app
        .run(move |app| filters::create(app, owner, input))
        .await?;
    Ok(Json(entities::filter(&filter)))
}

pub async fn get(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<FilterEntity>, ApiError> {
    let owner = auth.user(Scope::ReadFilters)?;
    let id: u64 = parse_id(&id)?;
    let filter = app.run(move |app| filters::get(app, owner, id)).await?;
    Ok(Json(entities::filter(&filter)))
}

pub async fn update(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
    Params(params): Params<FilterParams>,
) -> Result<Json<FilterEntity>, ApiError> {
    let owner = auth.user(Scope::WriteFilters)?;
    let id: u64 = parse_id(&id)?;
    let input = input(params)?;
    let filter = app
        .run(move |app| filters::update(app, owner, id, input))
        .await?;
    Ok(Json(entities::filter(&filter)))
}

pub async fn delete(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let owner = auth.user(Scope::WriteFilters)?;
    let id: u64 = parse_id(&id)?;
    app.run(move |app| filters::delete(app, owner, id)).await?;
    Ok(Json(serde_json::json!({})))
}

pub async fn keywords(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<Vec<FilterKeywordEntity>>, ApiError> {
    let owner = auth.user(Scope::ReadFilters)?;
    let id: u64 = parse_id(&id)?;
    let filter = app.run(move |app| filters::get(app, owner, id)).await?;
    Ok(Json(
        filter
            .keywords
            .iter()
            .map(entities::filter_keyword)
            .collect(),
    ))
}

#[derive(Deserialize)]
pub struct KeywordBody {
    keyword: Option<String>,
    #[serde(default, deserialize_with = "lenient::option_bool")]
    whole_word: Option<bool>,
}

pub async fn add_keyword(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
    Params(params): Params<KeywordBody>,
) -> Result<Json<FilterKeywordEntity>, ApiError> {
    let owner = auth.user(Scope::WriteFilters)?;
    let id: u64 = parse_id(&id)?;
    let keyword = app
        .run(move |app| filters::add_keyword(app, owner, id, params.keyword, params.whole_word))
        .await?;
    Ok(Json(entities::filter_keyword(&keyword)))
}

pub async fn get_keyword(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<FilterKeywordEntity>, ApiError> {
    let owner = auth.user(Scope::ReadFilters)?;
    let id: u64 = parse_id(&id)?;
    let (_, keyword) = app
        .run(move |app| filters::get_keyword(app, owner, id))
        .await?;
    Ok(Json(entities::filter_keyword(&keyword)))
}

pub async fn update_keyword(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
    Params(params): Params<KeywordBody>,
) -> Result<Json<FilterKeywordEntity>, ApiError> {
    let owner = auth.user(Scope::WriteFilters)?;
    let id: u64 = parse_id(&id)?;
    let keyword = app
        .run(move |app| filters::update_keyword(app, owner, id, params.keyword, params.whole_word))
        .await?;
    Ok(Json(entities::filter_keyword(&keyword)))
}

pub async fn delete_keyword(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let owner = auth.user(Scope::WriteFilters)?;
    let id: u64 = parse_id(&id)?;
    app.run(move |app| filters::delete_keyword(app, owner, id))
        .await?;
    Ok(Json(serde_json::json!({})))
}

pub async fn statuses(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<Vec<FilterStatusEntity>>, ApiError> {
    let owner = auth.user(Scope::ReadFilters)?;
    let id: u64 = parse_id(&id)?;
    let filter = app.run(move |app| filters::get(app, owner, id)).await?;
    Ok(Json(
        filter
            .statuses
            .iter()
            .map(entities::filter_status)
            .collect(),
    ))
}

#[derive(Deserialize)]
pub struct StatusBody {
    status_id: Option<Value>,
}

pub async fn add_status(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
    Params(params): Params<StatusBody>,
) -> Result<Json<FilterStatusEntity>, ApiError> {
    let owner = auth.user(Scope::WriteFilters)?;
    let id: u64 = parse_id(&id)?;
    let status = StatusId(
        params
            .status_id
            .as_ref()
            .map(id_of)
            .transpose()?
            .ok_or_else(|| ApiError::unprocessable("Validation failed: Status can't be blank"))?,
    );
    let entry = app
        .run(move |app| filters::add_status(app, owner, id, status))
        .await?;
    Ok(Json(entities::filter_status(&entry)))
}

pub async fn get_status(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<FilterStatusEntity>, ApiError> {
    let owner = auth.user(Scope::ReadFilters)?;
    let id: u64 = parse_id(&id)?;
    let entry = app
        .run(move |app| filters::get_status_entry(app, owner, id))
        .await?;
    Ok(Json(entities::filter_status(&entry)))
}

pub async fn delete_status(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let owner = auth.user(Scope::WriteFilters)?;
    let id: u64 = parse_id(&id)?;
    app.run(move |app| filters::delete_status_entry(app, owner, id))
        .await?;
    Ok(Json(serde_json::json!({})))
}

// v1

pub async fn v1_index(
    State(app): State<App>,
    auth: Auth,
) -> Result<Json<Vec<V1FilterEntity>>, ApiError> {
    let owner = auth.user(Scope::ReadFilters)?;
    let found = app.run(move |app| filters::all(app, owner)).await?;
    Ok(Json(
        found
            .iter()
            .flat_map(|filter| {
                filter
                    .keywords
                    .iter()
                    .map(|keyword| entities::v1_filter(filter, keyword))
            })
            .collect(),
    ))
}

fn v1_input(params: FilterParams, creating: bool) -> Result<FilterInput, ApiError> {
    let irreversible = params.irreversible;
    let title = if creating {
        params.phrase.clone()
    } else {
        None
    };
    let mut input = input(params)?;
    input.title = title;
    input.action = irreversible.map(|hide| if hide { "hide" } else { "warn" }.to_string());
    Ok(input)
}

pub async fn v1_create(
    State(app): State<App>,
    auth: Auth,
    Params(params): Params<FilterParams>,
) -> Result<Json<V1FilterEntity>, ApiError> {
    let owner = auth.user(Scope::WriteFilters)?;
    let (phrase, whole_word) = (params.phrase.clone(), params.whole_word);
    let mut input = v1_input(params, true)?;
    input.keywords = vec![KeywordInput {
        id: None,
        keyword: Some(phrase.unwrap_or_default()),
        whole_word: Some(whole_word.unwrap_or(true)),
        destroy: false,
    }];
    let filter = app
        .run(move |app| filters::create(app, owner, input))
        .await?;
    Ok(Json(entities::v1_filter(&filter, &filter.keywords[0])))
}

pub async fn v1_get(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<V1FilterEntity>, ApiError> {
    let owner = auth.user(Scope::ReadFilters)?;
    let id: u64 = parse_id(&id)?;
    let (filter, keyword) = app
        .run(move |app| filters::get_keyword(app, owner, id))
        .await?;
    Ok(Json(entities::v1_filter(&filter, &keyword)))
}

pub async fn v1_update(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
    Params(params): Params<FilterParams>,
) -> Result<Json<V1FilterEntity>, ApiError> {
    let owner = auth.user(Scope::WriteFilters)?;
    let id: u64 = parse_id(&id)?;
    let (phrase, whole_word) = (params.phrase.clone(), params.whole_word);
    let input = v1_input(params, false)?;
    let (filter, keyword) = app
        .run(move |app| filters::v1_update(app, owner, id, phrase, whole_word, input))
        .await?;
    Ok(Json(entities::v1_filter(&filter, &keyword)))
}

pub async fn v1_delete(
    State(app): State<App>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let owner = auth.user(Scope::WriteFilters)?;
    let id: u64 = parse_id(&id)?;
    app.run(move |app| filters::v1_delete(app, owner, id))
        .await?;
    Ok(Json(serde_json::json!({})))
}
