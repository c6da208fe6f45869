//! ActivityPub federation (L5, beside `api` and `web`): discovery (WebFinger, host-meta,
//! NodeInfo), the documents of local actors and objects, outbound activities, and (being
//! built) inboxes and deliveries.
//! May import `app`, `store`, `sig`, `net`, `model`, `config`, `util`; never `api` or `web`.
//!
//! - `vocab`: the only place that reads ActivityStreams 2 JSON: a `serde_json::Value` becomes
//!   plain, capped, sanitized Rust values, or a refusal with its reason.
//! - `render`: the only place that writes ActivityStreams JSON.
//! - `sanitize`: remote HTML through Mastodon's `MASTODON_STRICT` allowlist.
//!
//! Architecture Invariant: `vocab`, `render` and `sanitize` are pure functions. Authority
//! checks (signature, key owner, origins of ids) are the inbox's job; nothing embedded in an
//! activity is trusted on its own. See FEDERATION.md for what is sent and accepted.

pub mod capacity;
pub mod delivery;
mod discovery;
mod documents;
mod error;
pub mod fetch;
pub mod inbound;
pub mod inbox;
pub mod outbox;
pub mod relays;
pub mod render;
pub mod sanitize;
pub mod vocab;
pub mod worker;

pub use error::FederationError;

use axum::Router;
use axum::routing::get;

use crate::app::App;

/// `Content-Type` of every ActivityStreams document we serve.
pub const ACTIVITY_JSON: &str = "application/activity+json";

/// Every federation route.
pub fn routes() -> Router<App> {
    Router::new()
        .route("/.well-known/webfinger", get(discovery::webfinger))
        .route("/.well-known/host-meta", get(discovery::host_meta))
        .route("/.well-known/nodeinfo", get(discovery::nodeinfo_links))
        .route("/nodeinfo/2.0", get(discovery::nodeinfo_20))
        .route("/nodeinfo/2.1", get(discovery::nodeinfo_21))
        .route("/actor", get(documents::instance_actor))
        .route("/inbox", axum::routing::post(inbox::shared_inbox))
        .route("/actor/inbox", axum::routing::post(inbox::shared_inbox))
        .route(
            "/users/{username}/inbox",
            axum::routing::post(inbox::personal_inbox),
        )
        .route("/users/{username}", get(documents::actor))
        .route("/users/{username}/outbox", get(documents::outbox))
        .route("/users/{username}/followers", get(documents::followers))
        .route("/users/{username}/following", get(documents::following))
        .route(
            "/users/{username}/collections/featured",
            get(documents::featured),
        )
        .route(
            "/users/{username}/collections/tags",
            get(documents::featured_tags),
        )
        .route("/users/{username}/statuses/{id}", get(documents::status))
        .route(
            "/users/{username}/statuses/{id}/activity",
            get(documents::status_activity),
        )
        .route("/emojis/{shortcode}", get(documents::emoji))
}

/// The resolver that `app` uses to find remote accounts (see `app::remote::Resolver`).
pub struct NetworkResolver;

impl crate::app::remote::Resolver for NetworkResolver {
    fn resolve_account<'a>(
        &'a self,
        app: &'a App,
        acct: &'a str,
    ) -> crate::app::remote::BoxFuture<'a, Result<crate::model::AccountId, crate::app::AppError>>
    {
        Box::pin(async move {
            match tokio::time::timeout(fetch::RESOLVE_WAIT, fetch::resolve_account(app, acct)).await
            {
                Ok(Ok(id)) => Ok(id),
                Ok(Err(FederationError::App(error))) => Err(error),
                Ok(Err(error)) => {
                    tracing::info!(%error, acct, "could not resolve an account");
                    Err(crate::app::AppError::NotFound)
                }
                Err(_) => Err(crate::app::AppError::NotFound),
            }
        })
    }

    fn resolve_url<'a>(
        &'a self,
        app: &'a App,
        url: &'a str,
    ) -> crate::app::remote::BoxFuture<'a, Result<crate::app::remote::Resolved, crate::app::AppError>>
    {
        Box::pin(async move {
            match tokio::time::timeout(fetch::RESOLVE_WAIT, Self::url(app, url)).await {
                Ok(Ok(found)) => Ok(found),
                Ok(Err(FederationError::App(error))) => Err(error),
                Ok(Err(error)) => {
                    tracing::info!(%error, url, "could not resolve a URL");
                    Err(crate::app::AppError::NotFound)
                }
                Err(_) => Err(crate::app::AppError::NotFound),
            }
        })
    }
}

impl NetworkResolver {
    async fn url(app: &App, url: &str) -> Result<crate::app::remote::Resolved, FederationError> {
        use crate::app::remote::{self, Resolved};
        if let Some(id) = remote::account_by_uri(app, url)? {
            return Ok(Resolved::Account(id));
        }
        let known = app.store.read(|tx| remote::status_by_uri(app, tx, url))?;
        if let Some(status) = known {
            return Ok(Resolved::Status(status.id));
        }
        let (value, final_url) = fetch::get_json(app, url, true).await?;
        match vocab::parse(&value, fetch::parse_options(app))? {
            vocab::Object::Actor(actor) => {
                let input = fetch::actor_input(&actor, final_url.as_str())?;
                Ok(Resolved::Account(
                    app.run(move |app| remote::upsert_actor(app, input)).await?,
                ))
            }
            vocab::Object::Note(note) => {
                if !vocab::same_origin(&note.id, &note.attributed_to)
                    || !vocab::same_origin(&note.id, final_url.as_str())
                {
                    return Err(FederationError::refused(
                        "a post attributed to another origin",
                    ));
                }
                let author = fetch::ensure_actor(app, &note.attributed_to).await?;
                let input = inbound::note_input(app, author, &note).await?;
                let uri = input.uri.clone();
                let id = app
                    .run(move |app| {
                        remote::create_status(app, input)?;
                        Ok(app
                            .store
                            .read(|tx| crate::store::statuses::status_id_by_uri(tx, &uri))?)
                    })
                    .await?;
                id.map(Resolved::Status).ok_or(FederationError::NotFound)
            }
            _ => Err(FederationError::NotFound),
        }
    }
}

/// Installs what `app` needs from federation; called once by the HTTP server.
pub fn install(app: &App) {
    let _ = app.resolver.set(std::sync::Arc::new(NetworkResolver));
}
