//! The Mastodon client API: JSON entities, OAuth endpoints, and the routes that bind them.
//! May import `app` and below; never `web` or `http`.
//!
//! API Boundary: handlers extract parameters, call one `app` operation on a blocking thread
//! (`App::run`) and render `entities`; nothing here touches the store directly.

mod auth;
pub mod entities;
mod error;
mod oauth;
pub mod pagination;
mod params;
pub mod push;
mod streaming;
mod v1;
mod v2;

use axum::Router;
use axum::routing::{get, post};

pub use auth::{Auth, MaybeAuth};
pub use error::ApiError;
pub use params::{Params, ParamsWithFiles, Query};

use crate::app::App;

/// A path id: an id that does not parse cannot exist, so it is 404 as Mastodon answers.
pub fn parse_id<T: std::str::FromStr>(text: &str) -> Result<T, ApiError> {
    text.parse().map_err(|_| ApiError::not_found())
}

/// The media upload routes, with a body cap of their own: the largest media cap
/// (`media.*_bytes_max`) instead of `server.request_body_bytes_max`.
pub fn media_routes(app: &App) -> Router<App> {
    use axum::extract::DefaultBodyLimit;
    use v1::media;
    let limit = DefaultBodyLimit::max(media::upload_body_bytes_max(app));
    // An avatar and a header in one request, with the other fields.
    let profile_limit = DefaultBodyLimit::max(
        usize::try_from(2 * app.config.media.avatar_bytes_max + media::UPLOAD_OVERHEAD_BYTES)
            .unwrap_or(usize::MAX),
    );
    Router::new()
        .route(
            "/api/v1/accounts/update_credentials",
            axum::routing::patch(v1::accounts::update_credentials).layer(profile_limit),
        )
        .route("/api/v1/media", post(media::create_v1).layer(limit))
        .route("/api/v2/media", post(media::create_v2).layer(limit))
        .route(
            "/api/v1/media/{id}",
            get(media::get).put(media::update).delete(media::delete),
        )
}

/// Every API route. The HTTP layer adds limits, timeouts and the fallback.
pub fn routes() -> Router<App> {
    use v1::admin::{
        accounts as admin_accounts, domain_allows, domain_blocks, ip_blocks, relays,
        reports as admin_reports,
    };
    use v1::{accounts, apps, instance, lists, notifications, polls, saved, statuses, timelines};
    Router::new()
        .route("/api/v1/apps", post(apps::create))
        .route(
            "/api/v1/apps/verify_credentials",
            get(apps::verify_credentials),
        )
        .route("/oauth/token", post(oauth::token))
        .route("/oauth/revoke", post(oauth::revoke))
        .route(
            "/oauth/userinfo",
            get(oauth::userinfo).post(oauth::userinfo),
        )
        .route(
            "/.well-known/oauth-authorization-server",
            get(oauth::metadata),
        )
        .route("/api/v1/instance", get(instance::v1))
        .route("/api/v2/instance", get(v2::instance::v2))
        .route("/api/v1/custom_emojis", get(instance::custom_emojis))
        .route(
            "/api/v1/instance/domain_blocks",
            get(instance::domain_blocks),
        )
        .route(
            "/api/v1/admin/domain_blocks",
            get(domain_blocks::list).post(domain_blocks::create),
        )
        .route(
            "/api/v1/admin/domain_blocks/{id}",
            get(domain_blocks::get)
                .put(domain_blocks::update)
                .delete(domain_blocks::delete),
        )
        .route(
            "/api/v1/admin/domain_allows",
            get(domain_allows::list).post(domain_allows::create),
        )
        .route(
            "/api/v1/admin/domain_allows/{id}",
            get(domain_allows::get).delete(domain_allows::delete),
        )
        .route(
            "/api/v1/admin/relays",
            get(relays::list).post(relays::create),
        )
        .route(
            "/api/v1/admin/relays/{id}",
            axum::routing::delete(relays::delete),
        )
        .route(
            "/api/v1/accounts/verify_credentials",
            get(accounts::verify_credentials),
        )
        .route(
            "/api/v1/accounts/relationships",
            get(accounts::relationships),
        )
        .route("/api/v1/accounts/lookup", get(accounts::lookup))
        .route("/api/v1/accounts/search", get(accounts::search))
        .route("/api/v1/accounts/{id}", get(accounts::get))
        .route("/api/v1/accounts/{id}/statuses", get(accounts::statuses))
        .route("/api/v1/accounts/{id}/followers", get(accounts::followers))
        .route("/api/v1/accounts/{id}/following", get(accounts::following))
        .route("/api/v1/accounts/{id}/follow", post(accounts::follow))
        .route("/api/v1/accounts/{id}/unfollow", post(accounts::unfollow))
        .route("/api/v1/accounts/{id}/block", post(accounts::block))
        .route("/api/v1/accounts/{id}/unblock", post(accounts::unblock))
        .route("/api/v1/accounts/{id}/mute", post(accounts::mute))
        .route("/api/v1/accounts/{id}/unmute", post(accounts::unmute))
        .route("/api/v1/follow_requests", get(accounts::follow_requests))
        .route(
            "/api/v1/follow_requests/{id}/authorize",
            post(accounts::authorize_follow_request),
        )
        .route(
            "/api/v1/follow_requests/{id}/reject",
            post(accounts::reject_follow_request),
        )
        .route("/api/v1/blocks", get(accounts::blocks))
        .route("/api/v1/mutes", get(accounts::mutes))
        .route(
            "/api/v1/statuses",
            post(statuses::create).get(statuses::many),
        )
        .route(
            "/api/v1/statuses/{id}",
            get(statuses::get)
                .delete(statuses::delete)
                .put(statuses::edit),
        )
        .route("/api/v1/statuses/{id}/source", get(statuses::source))
        .route("/api/v1/statuses/{id}/card", get(statuses::card))
        .route("/api/v1/statuses/{id}/context", get(statuses::context))
        .route("/api/v1/statuses/{id}/favourite", post(statuses::favourite))
        .route(
            "/api/v1/statuses/{id}/unfavourite",
            post(statuses::unfavourite),
        )
        .route("/api/v1/statuses/{id}/reblog", post(statuses::reblog))
        .route("/api/v1/statuses/{id}/unreblog", post(statuses::unreblog))
        .route("/api/v1/statuses/{id}/bookmark", post(statuses::bookmark))
        .route(
            "/api/v1/statuses/{id}/unbookmark",
            post(statuses::unbookmark),
        )
        .route("/api/v1/statuses/{id}/pin", post(statuses::pin))
        .route("/api/v1/statuses/{id}/unpin", post(statuses::unpin))
        .route(
            "/api/v1/statuses/{id}/favourited_by",
            get(statuses::favourited_by),
        )
        .route(
            "/api/v1/statuses/{id}/reblogged_by",
            get(statuses::reblogged_by),
        )
        .route("/api/v1/timelines/home", get(timelines::home))
        .route("/api/v1/timelines/public", get(timelines::public))
        .route("/api/v1/timelines/tag/{hashtag}", get(timelines::tag))
        .route("/api/v1/timelines/link", get(timelines::link))
        .route("/api/v1/timelines/list/{id}", get(lists::timeline))
        .route("/api/v1/lists", get(lists::index).post(lists::create))
        .route(
            "/api/v1/lists/{id}",
            get(lists::get).put(lists::update).delete(lists::delete),
        )
        .route(
            "/api/v1/lists/{id}/accounts",
            get(lists::accounts)
                .post(lists::add_accounts)
                .delete(lists::remove_accounts),
        )
        .route("/api/v1/accounts/{id}/lists", get(lists::of_account))
        .route("/api/v1/notifications", get(notifications::list))
        .route("/api/v1/notifications/clear", post(notifications::clear))
        .route(
            "/api/v1/notifications/unread_count",
            get(notifications::unread_count),
        )
        .route("/api/v1/notifications/{id}", get(notifications::get))
        .route(
            "/api/v1/notifications/{id}/dismiss",
            post(notifications::dismiss),
        )
        .route("/api/v1/bookmarks", get(saved::bookmarks))
        .route("/api/v1/favourites", get(saved::favourites))
        .route("/api/v1/preferences", get(saved::preferences))
        .route(
            "/api/v1/markers",
            get(saved::get_markers).post(saved::set_markers),
        )
        .route("/api/v2/search", get(v2::search::search))
        .route(
            "/api/v2/filters",
            get(v2::filters::index).post(v2::filters::create),
        )
        .route(
            "/api/v2/filters/{id}",
            get(v2::filters::get)
                .put(v2::filters::update)
                .delete(v2::filters::delete),
        )
        .route(
            "/api/v2/filters/{id}/keywords",
            get(v2::filters::keywords).post(v2::filters::add_keyword),
        )
        .route(
            "/api/v2/filter_keywords/{id}",
            get(v2::filters::get_keyword)
                .put(v2::filters::update_keyword)
                .delete(v2::filters::delete_keyword),
        )
        .route(
            "/api/v2/filters/{id}/statuses",
            get(v2::filters::statuses).post(v2::filters::add_status),
        )
        .route(
            "/api/v2/filter_statuses/{id}",
            get(v2::filters::get_status).delete(v2::filters::delete_status),
        )
        .route(
            "/api/v1/filters",
            get(v2::filters::v1_index).post(v2::filters::v1_create),
        )
        .route(
            "/api/v1/filters/{id}",
            get(v2::filters::v1_get)
                .put(v2::filters::v1_update)
                .delete(v2::filters::v1_delete),
        )
        .route("/api/v1/polls/{id}", get(polls::get))
        .route("/api/v1/polls/{id}/votes", post(polls::vote))
        .route("/api/v1/streaming", get(streaming::websocket))
        .route("/api/v1/streaming/health", get(streaming::health))
        .route("/api/v1/streaming/user", get(streaming::user))
        .route(
            "/api/v1/streaming/user/notification",
            get(streaming::user_notification),
        )
        .route("/api/v1/streaming/public", get(streaming::public))
        .route(
            "/api/v1/streaming/public/local",
            get(streaming::public_local),
        )
        .route(
            "/api/v1/streaming/public/remote",
            get(streaming::public_remote),
        )
        .route("/api/v1/streaming/hashtag", get(streaming::hashtag))
        .route(
            "/api/v1/streaming/hashtag/local",
            get(streaming::hashtag_local),
        )
        .route("/api/v1/streaming/direct", get(streaming::direct))
        .route(
            "/api/v1/accounts",
            post(crate::api::v1::registrations::create),
        )
        .route("/api/v1/admin/accounts", get(admin_accounts::list_v1))
        .route("/api/v2/admin/accounts", get(admin_accounts::list_v2))
        .route(
            "/api/v1/admin/accounts/{id}",
            get(admin_accounts::get).delete(admin_accounts::delete),
        )
        .route(
            "/api/v1/admin/accounts/{id}/action",
            post(admin_accounts::action),
        )
        .route(
            "/api/v1/admin/accounts/{id}/approve",
            post(admin_accounts::approve),
        )
        .route(
            "/api/v1/admin/accounts/{id}/reject",
            post(admin_accounts::reject),
        )
        .route(
            "/api/v1/admin/accounts/{id}/enable",
            post(admin_accounts::enable),
        )
        .route(
            "/api/v1/admin/accounts/{id}/unsilence",
            post(admin_accounts::unsilence),
        )
        .route(
            "/api/v1/admin/accounts/{id}/unsuspend",
            post(admin_accounts::unsuspend),
        )
        .route(
            "/api/v1/admin/accounts/{id}/unsensitive",
            post(admin_accounts::unsensitive),
        )
        .route(
            "/api/v1/admin/ip_blocks",
            get(ip_blocks::list).post(ip_blocks::create),
        )
        .route(
            "/api/v1/admin/ip_blocks/{id}",
            get(ip_blocks::get)
                .put(ip_blocks::update)
                .delete(ip_blocks::delete),
        )
        .route(
            "/api/v1/admin/canonical_email_blocks",
            get(ip_blocks::list_email).post(ip_blocks::create_email),
        )
        .route(
            "/api/v1/admin/canonical_email_blocks/test",
            post(ip_blocks::test_email),
        )
        .route(
            "/api/v1/admin/canonical_email_blocks/{id}",
            get(ip_blocks::get_email).delete(ip_blocks::delete_email),
        )
        .route(
            "/api/v1/admin/measures",
            post(v1::admin::dashboard::measures),
        )
        .route(
            "/api/v1/admin/dimensions",
            post(v1::admin::dashboard::dimensions),
        )
        .route(
            "/api/v1/admin/retention",
            post(v1::admin::dashboard::retention).get(v1::admin::dashboard::retention),
        )
        .route("/api/v1/admin/reports", get(admin_reports::list))
        .route("/api/v1/admin/reports/{id}", get(admin_reports::get))
        .route(
            "/api/v1/admin/reports/{id}/assign_to_self",
            post(admin_reports::assign_to_self),
        )
        .route(
            "/api/v1/admin/reports/{id}/unassign",
            post(admin_reports::unassign),
        )
        .route(
            "/api/v1/admin/reports/{id}/resolve",
            post(admin_reports::resolve),
        )
        .route(
            "/api/v1/admin/reports/{id}/reopen",
            post(admin_reports::reopen),
        )
        .route("/api/v1/streaming/list", get(streaming::list))
        .merge(more_routes())
}

/// The routes of issue 7's remaining client API (kept apart to keep merges small).
fn more_routes() -> Router<App> {
    use axum::routing::{delete, put};
    use v1::{
        accounts, announcements, conversations, discovery, instance, reports, scheduled, statuses,
        tags,
    };
    use v2::notifications as grouped;
    Router::new()
        .route("/settings/exports/{file}", get(v1::imports::export))
        .route("/settings/imports", post(v1::imports::import))
        .route(
            "/api/v1/domain_blocks",
            get(v1::domain_blocks::list)
                .post(v1::domain_blocks::block)
                .delete(v1::domain_blocks::unblock),
        )
        .route(
            "/api/v1/push/subscription",
            get(push::get)
                .post(push::create)
                .put(push::update)
                .delete(push::delete),
        )
        .route("/api/v1/statuses/{id}/history", get(statuses::history))
        .route("/api/v1/statuses/{id}/mute", post(statuses::mute))
        .route("/api/v1/statuses/{id}/unmute", post(statuses::unmute))
        .route("/api/v1/statuses/{id}/translate", post(statuses::translate))
        .route("/api/v1/conversations", get(conversations::list))
        .route("/api/v1/conversations/{id}", delete(conversations::remove))
        .route("/api/v1/conversations/{id}/read", post(conversations::read))
        .route("/api/v1/scheduled_statuses", get(scheduled::list))
        .route(
            "/api/v1/scheduled_statuses/{id}",
            get(scheduled::get)
                .put(scheduled::update)
                .delete(scheduled::delete),
        )
        .route("/api/v1/tags/{name}", get(tags::get))
        .route("/api/v1/tags/{name}/follow", post(tags::follow))
        .route("/api/v1/tags/{name}/unfollow", post(tags::unfollow))
        .route("/api/v1/followed_tags", get(tags::followed))
        .route(
            "/api/v1/featured_tags",
            get(tags::featured).post(tags::feature),
        )
        .route(
            "/api/v1/featured_tags/suggestions",
            get(tags::feature_suggestions),
        )
        .route("/api/v1/featured_tags/{id}", delete(tags::unfeature))
        .route(
            "/api/v1/accounts/{id}/featured_tags",
            get(tags::featured_of_account),
        )
        .route("/api/v1/accounts/{id}/note", post(accounts::note))
        .route(
            "/api/v1/accounts/{id}/remove_from_followers",
            post(accounts::remove_from_followers),
        )
        .route("/api/v1/accounts/{id}/endorse", post(accounts::endorse))
        .route("/api/v1/accounts/{id}/unendorse", post(accounts::unendorse))
        .route("/api/v1/accounts/{id}/pin", post(accounts::endorse))
        .route("/api/v1/accounts/{id}/unpin", post(accounts::unendorse))
        .route(
            "/api/v1/accounts/{id}/endorsements",
            get(discovery::endorsements_of_account),
        )
        .route("/api/v1/endorsements", get(discovery::endorsements))
        .route(
            "/api/v1/accounts/familiar_followers",
            get(discovery::familiar_followers),
        )
        .route("/api/v1/suggestions", get(discovery::suggestions_v1))
        .route(
            "/api/v1/suggestions/{id}",
            delete(discovery::dismiss_suggestion),
        )
        .route("/api/v2/suggestions", get(discovery::suggestions_v2))
        .route("/api/v1/directory", get(discovery::directory))
        .route("/api/v1/trends", get(discovery::trending_tags))
        .route("/api/v1/trends/tags", get(discovery::trending_tags))
        .route("/api/v1/trends/statuses", get(discovery::trending_statuses))
        .route("/api/v1/trends/links", get(discovery::trending_links))
        .route("/api/v1/instance/rules", get(instance::rules))
        .route("/api/v1/instance/peers", get(instance::peers))
        .route("/api/v1/instance/activity", get(instance::activity))
        .route(
            "/api/v1/instance/translation_languages",
            get(instance::translation_languages),
        )
        .route(
            "/api/v1/instance/extended_description",
            get(instance::extended_description),
        )
        .route("/api/v1/instance/languages", get(instance::languages))
        .route(
            "/api/v1/instance/privacy_policy",
            get(instance::privacy_policy),
        )
        .route(
            "/api/v1/instance/terms_of_service",
            get(instance::terms_of_service),
        )
        .route("/api/v1/reports", post(reports::create))
        .route("/api/v1/announcements", get(announcements::list))
        .route(
            "/api/v1/announcements/{id}/dismiss",
            post(announcements::dismiss),
        )
        .route(
            "/api/v1/announcements/{id}/reactions/{name}",
            put(announcements::add_reaction).delete(announcements::remove_reaction),
        )
        .route("/api/v2/notifications", get(grouped::list))
        .route(
            "/api/v2/notifications/unread_count",
            get(grouped::unread_count),
        )
        .route(
            "/api/v2/notifications/policy",
            get(grouped::policy).patch(grouped::update_policy),
        )
        .route("/api/v2/notifications/{key}", get(grouped::get))
        .route(
            "/api/v2/notifications/{key}/accounts",
            get(grouped::accounts),
        )
        .route(
            "/api/v2/notifications/{key}/dismiss",
            post(grouped::dismiss),
        )
        .route(
            "/api/v1/notifications/policy",
            get(grouped::policy_v1).put(grouped::update_policy_v1),
        )
        .route("/api/v1/notifications/requests", get(grouped::requests))
        .route(
            "/api/v1/notifications/requests/merged",
            get(grouped::requests_merged),
        )
        .route(
            "/api/v1/notifications/requests/accept",
            post(grouped::accept_requests),
        )
        .route(
            "/api/v1/notifications/requests/dismiss",
            post(grouped::dismiss_requests),
        )
        .route("/api/v1/notifications/requests/{id}", get(grouped::request))
        .route(
            "/api/v1/notifications/requests/{id}/accept",
            post(grouped::accept_request),
        )
        .route(
            "/api/v1/notifications/requests/{id}/dismiss",
            post(grouped::dismiss_request),
        )
}
