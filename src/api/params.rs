//! Request parameters as Mastodon clients send them: a JSON body, a form body
//! (`application/x-www-form-urlencoded` or `multipart/form-data`) or a query string. Forms
//! use Rails' bracket keys (`types[]=mention`, `fields_attributes[0][name]=x`); all forms are
//! turned into the JSON they stand for, so one `Deserialize` type serves every encoding.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::ApiError;

/// Parameters in one request, forms included.
pub const PARAMS_MAX: usize = 1_000;
/// Bracket nesting in a form key (`a[b][c]` is 3).
const KEY_DEPTH_MAX: usize = 6;
/// Bytes of one multipart text field; files come with the media issue.
const MULTIPART_FIELD_BYTES_MAX: usize = 64 * 1024;

/// Parameters from the query string.
pub struct Query<T>(pub T);

/// Parameters from the body (JSON or form), falling back to the query string when the body
/// is empty, as Rails merges them.
pub struct Params<T>(pub T);

/// [`Params`] plus the files of a `multipart/form-data` body, by field name (at most
/// [`FILES_MAX`]; their size is capped by the route's body limit).
pub struct ParamsWithFiles<T>(pub T, pub Vec<(String, axum::body::Bytes)>);

/// Files kept from one multipart body (`avatar` and `header`).
pub const FILES_MAX: usize = 2;

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let value = form_to_json(form_pairs(query.as_bytes())?)?;
        deserialize(value).map(Query)
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (value, _) = read_params(request, state, false).await?;
        deserialize(value).map(Params)
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ParamsWithFiles<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (value, files) = read_params(request, state, true).await?;
        deserialize(value).map(|params| ParamsWithFiles(params, files))
    }
}

/// The parameters as JSON, and the files when `keep_files`.
async fn read_params<S: Send + Sync>(
    request: Request,
    state: &S,
    keep_files: bool,
) -> Result<(Value, Vec<(String, axum::body::Bytes)>), ApiError> {
    let mut files = Vec::new();
    {
        let content_type = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let query = request.uri().query().unwrap_or_default().to_string();
        let value = if content_type.starts_with("multipart/form-data") {
            let mut multipart = axum::extract::Multipart::from_request(request, state)
                .await
                .map_err(|error| {
                    ApiError::bad_request(format!(
                        "Error occurred while parsing request parameters: {error}"
                    ))
                })?;
            let mut pairs = Vec::new();
            while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
                let Some(name) = field.name().map(str::to_string) else {
                    continue;
                };
                if field.file_name().is_some() {
                    if keep_files {
                        if files.len() >= FILES_MAX {
                            return Err(ApiError::unprocessable(
                                "Validation failed: too many files",
                            ));
                        }
                        let bytes = field.bytes().await.map_err(multipart_error)?;
                        files.push((name, bytes));
                    }
                    continue;
                }
                let bytes = field.bytes().await.map_err(multipart_error)?;
                if bytes.len() > MULTIPART_FIELD_BYTES_MAX || pairs.len() >= PARAMS_MAX {
                    return Err(ApiError::payload_too_large());
                }
                let text = String::from_utf8(bytes.to_vec())
                    .map_err(|_| ApiError::bad_request("A form field is not UTF-8"))?;
                pairs.push((name, text));
            }
            form_to_json(pairs)?
        } else {
            let bytes = axum::body::Bytes::from_request(request, state)
                .await
                .map_err(|rejection| {
                    if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                        ApiError::payload_too_large()
                    } else {
                        ApiError::bad_request("Error occurred while reading the request body")
                    }
                })?;
            if bytes.iter().all(u8::is_ascii_whitespace) {
                form_to_json(form_pairs(query.as_bytes())?)?
            } else if content_type.starts_with("application/json") || content_type.contains("+json")
            {
                serde_json::from_slice(&bytes).map_err(|error| {
                    ApiError::bad_request(format!(
                        "Error occurred while parsing request parameters: {error}"
                    ))
                })?
            } else {
                form_to_json(form_pairs(&bytes)?)?
            }
        };
        Ok((value, files))
    }
}

fn multipart_error(error: axum::extract::multipart::MultipartError) -> ApiError {
    if error.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::payload_too_large()
    } else {
        ApiError::bad_request(format!(
            "Error occurred while parsing request parameters: {error}"
        ))
    }
}

fn deserialize<T: DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    // Mastodon answers a missing or wrong parameter with 400 or 422; 422 names the field.
    serde_json::from_value(value)
        .map_err(|error| ApiError::unprocessable(format!("Validation failed: {error}")))
}

fn form_pairs(bytes: &[u8]) -> Result<Vec<(String, String)>, ApiError> {
    let pairs: Vec<(String, String)> = serde_html_form::from_bytes(bytes).map_err(|error| {
        ApiError::bad_request(format!(
            "Error occurred while parsing request parameters: {error}"
        ))
    })?;
    if pairs.len() > PARAMS_MAX {
        return Err(ApiError::bad_request(format!(
            "More than {PARAMS_MAX} parameters"
        )));
    }
    Ok(pairs)
}

/// `a[b][]=1` pairs to `{"a": {"b": ["1"]}}`. An index in brackets (`[0]`) is an object key,
/// which the deserializers accept for lists (`fields_attributes`).
pub fn form_to_json(pairs: Vec<(String, String)>) -> Result<Value, ApiError> {
    let mut root = Map::new();
    for (key, value) in pairs {
        let (head, rest) = match key.find('[') {
            Some(open) => (&key[..open], &key[open..]),
            None => (key.as_str(), ""),
        };
        let mut path: Vec<&str> = vec![head];
        let mut remaining = rest;
        while let Some(inner) = remaining.strip_prefix('[') {
            let Some(close) = inner.find(']') else { break };
            path.push(&inner[..close]);
            remaining = &inner[close + 1..];
        }
        if path.len() > KEY_DEPTH_MAX {
            return Err(ApiError::bad_request(format!(
                "Parameter {key:?} is nested too deeply"
            )));
        }
        insert(&mut root, &path, value);
    }
    Ok(Value::Object(root))
}

fn insert(map: &mut Map<String, Value>, path: &[&str], value: String) {
    let (first, rest) = path.split_first().expect("a key has a name");
    match rest {
        [] => {
            map.insert((*first).to_string(), Value::String(value));
        }
        [""] => {
            let entry = map
                .entry((*first).to_string())
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(items) = entry {
                items.push(Value::String(value));
            } else {
                *entry = Value::Array(vec![Value::String(value)]);
            }
        }
        _ => {
            let entry = map
                .entry((*first).to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            if let Value::Object(inner) = entry {
                insert(inner, rest, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rails_bracket_keys_become_json() {
        let pairs = |text: &str| form_pairs(text.as_bytes()).unwrap();
        assert_eq!(
            form_to_json(pairs("types[]=mention&types[]=follow&limit=5")).unwrap(),
            serde_json::json!({"types": ["mention", "follow"], "limit": "5"})
        );
        assert_eq!(
            form_to_json(pairs(
                "fields_attributes[0][name]=a&fields_attributes[0][value]=b&source[privacy]=private"
            ))
            .unwrap(),
            serde_json::json!({"fields_attributes": {"0": {"name": "a", "value": "b"}}, "source": {"privacy": "private"}})
        );
        assert!(form_to_json(pairs("a[b][c][d][e][f][g]=1")).is_err());
    }
}
