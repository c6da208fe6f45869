//! `FederationError`: the one error of the federation layer, with the HTTP status an inbox
//! answers for each (SECURITY.md: 401 for a bad signature, 413 for a large body).

use axum::http::StatusCode;

use crate::app::AppError;
use crate::net::NetError;
use crate::sig::SigError;

use super::vocab::VocabError;

#[derive(Debug, thiserror::Error)]
pub enum FederationError {
    #[error("fetch failed: {0}")]
    Net(#[from] NetError),
    #[error("refused document: {0}")]
    Vocab(#[from] VocabError),
    #[error("signature: {0}")]
    Signature(#[from] SigError),
    #[error("{0}")]
    App(#[from] AppError),
    /// The peer answered a fetch with an error status.
    #[error("{url} answered {http_status}")]
    Status { url: String, http_status: u16 },
    /// A rule about who may say what was broken (origins, key owners, ids).
    #[error("refused: {0}")]
    Refused(String),
    #[error("not found")]
    NotFound,
    /// The body is not JSON (or too deep).
    #[error("malformed JSON: {0}")]
    Json(String),
    #[error("blocked domain")]
    Blocked,
}

impl FederationError {
    pub fn refused(reason: impl Into<String>) -> FederationError {
        FederationError::Refused(reason.into())
    }

    /// What an inbox answers for this error.
    pub fn http_status(&self) -> StatusCode {
        match self {
            FederationError::Signature(error) => error.http_status(),
            FederationError::Json(_) | FederationError::Vocab(_) => StatusCode::BAD_REQUEST,
            FederationError::Refused(_) => StatusCode::UNAUTHORIZED,
            FederationError::Blocked => StatusCode::FORBIDDEN,
            FederationError::NotFound => StatusCode::NOT_FOUND,
            FederationError::App(AppError::Unavailable(_)) => StatusCode::SERVICE_UNAVAILABLE,
            // The signer's key could not be fetched: the peer may retry.
            FederationError::Net(_) | FederationError::Status { .. } => StatusCode::UNAUTHORIZED,
            FederationError::App(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}
