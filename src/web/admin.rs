//! The admin pages: dashboard, accounts (approve, reject, act), reports (resolve, reopen),
//! domain blocks, storage (bytes per table as an SVG chart drawn here) and the audit log.
//! Every page and action runs the same `app` operations as the admin API, as the signed-in
//! account, so the same role checks apply; a user who is not staff gets 403.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;

use super::charts;
use super::render::render;
use super::session::{self, Visitor};
use super::settings::to_sign_in;
use crate::app::admin::Actor;
use crate::app::domains::{self, BlockInput};
use crate::app::moderation::{
    self, AccountFilter, AccountStatus, ActionKind, ReportChange, ReportFilter, Reversal,
};
use crate::app::{App, AppError};
use crate::model::{AccountId, Role, Severity};
use crate::store::Page;
use crate::util::time::iso8601_ms;

/// Days of growth samples the storage page draws.
const GROWTH_DAYS: u64 = 90;

/// The storage page's growth: the database's allocated bytes per day as a line, growth per
/// day over the samples, and when the budget is reached at that rate.
fn growth_context(app: &App, samples: &[crate::store::growth::Sample]) -> minijinja::Value {
    use crate::store::growth::ALLOCATED;
    const DAY_MS: u64 = 24 * 3600 * 1000;
    let points: Vec<(u64, u64)> = samples
        .iter()
        .filter(|sample| sample.table == ALLOCATED)
        .map(|sample| (sample.day_ms, sample.bytes))
        .collect();
    let budget = app.config.storage.db_bytes_max;
    let per_day = match (points.first(), points.last()) {
        (Some((first_day, first)), Some((last_day, last))) if last_day > first_day => {
            Some((*last as i64 - *first as i64) / ((last_day - first_day) / DAY_MS) as i64)
        }
        _ => None,
    };
    let days_to_budget = match (per_day, points.last()) {
        (Some(per_day), Some((_, last))) if per_day > 0 && budget > *last => {
            Some((budget - last) / per_day as u64)
        }
        _ => None,
    };
    let last_day = samples.iter().map(|sample| sample.day_ms).max();
    let media: Vec<minijinja::Value> = [
        ("Local uploads", crate::store::growth::MEDIA_LOCAL),
        ("Remote media, hot (disk)", crate::store::growth::MEDIA_HOT),
        ("Remote media, cold (object store)", crate::store::growth::MEDIA_COLD),
    ]
    .into_iter()
    .filter_map(|(label, name)| {
        let sample = samples
            .iter()
            .find(|sample| Some(sample.day_ms) == last_day && sample.table == name)?;
        Some(context! { tier => label, files => sample.entries, bytes => charts::bytes(sample.bytes) })
    })
    .collect();
    context! {
        media => media,
        samples => points.len(),
        chart => (!points.is_empty()).then(|| {
            charts::days("Database bytes in use per day", &points, (budget > 0).then_some(budget))
        }),
        per_day => per_day.map(|bytes| {
            let sign = if bytes < 0 { "−" } else { "+" };
            format!("{sign}{}", charts::bytes(bytes.unsigned_abs()))
        }),
        days_to_budget => days_to_budget,
    }
}

/// The settings page: every instance setting with its value and where it is changed. Rules
/// are the one setting kept in the database (edited on their page); the rest come from the
/// configuration, named by key. Secrets are never shown.
fn settings_rows(app: &App) -> Vec<minijinja::Value> {
    let config = &app.config;
    let bytes = |value: u64| {
        if value == 0 {
            "none".to_string()
        } else {
            charts::bytes(value)
        }
    };
    let rows: Vec<(&str, String, &str)> = vec![
        ("Title", config.instance.title.clone(), "instance.title"),
        (
            "Description",
            config.instance.description.clone(),
            "instance.description",
        ),
        (
            "Contact e-mail",
            config.instance.contact_email.clone(),
            "instance.contact_email",
        ),
        (
            "Registrations",
            config.instance.registrations.clone(),
            "instance.registrations",
        ),
        (
            "Privacy policy",
            if config.instance.privacy_policy.is_empty() {
                "none".into()
            } else {
                format!(
                    "{} characters",
                    config.instance.privacy_policy.chars().count()
                )
            },
            "instance.privacy_policy",
        ),
        (
            "Terms of service",
            if config.instance.terms_of_service.is_empty() {
                "none".into()
            } else {
                format!(
                    "{} characters",
                    config.instance.terms_of_service.chars().count()
                )
            },
            "instance.terms_of_service",
        ),
        (
            "Sign-ups per IP per 30 minutes",
            config.limits.signups_per_30min_per_ip.to_string(),
            "limits.signups_per_30min_per_ip",
        ),
        (
            "Characters per post",
            config.limits.status_chars_max.to_string(),
            "limits.status_chars_max",
        ),
        (
            "Allowlist federation",
            config.federation.allowlist_mode.to_string(),
            "federation.allowlist_mode",
        ),
        (
            "Authorized fetch",
            config.federation.authorized_fetch.to_string(),
            "federation.authorized_fetch",
        ),
        (
            "Untouched remote posts kept",
            format!("{} days", config.retention.remote_status_days),
            "retention.remote_status_days",
        ),
        (
            "Database budget",
            bytes(config.storage.db_bytes_max),
            "storage.db_bytes_max",
        ),
        (
            "Remote media on disk (hot tier)",
            bytes(config.media.hot_bytes_max),
            "media.hot_bytes_max",
        ),
        (
            "Cold tier",
            if config.media.cold_url.is_empty() {
                "off".into()
            } else {
                config.media.cold_url.clone()
            },
            "media.cold_url",
        ),
        (
            "Cold tier budget",
            bytes(config.media.cold_bytes_max),
            "media.cold_bytes_max",
        ),
        (
            "E-mail (SMTP relay)",
            if config.email.enabled() {
                format!(
                    "{}:{} ({})",
                    config.email.smtp_host, config.email.smtp_port, config.email.tls
                )
            } else {
                "off".into()
            },
            "email.smtp_host",
        ),
    ];
    rows.into_iter()
        .map(|(label, value, key)| context! { label => label, value => value, key => key })
        .collect()
}

/// Rows an admin page lists.
const ROWS_MAX: usize = 200;
/// Tables drawn in the storage chart (the rest are in the table below it).
const CHART_TABLES_MAX: usize = 15;

#[derive(Deserialize, Default)]
pub struct Filters {
    status: Option<String>,
    resolved: Option<String>,
}

fn forbidden(visitor: &Visitor, app: &App, error: &AppError) -> Response {
    render(
        StatusCode::FORBIDDEN,
        "message.html",
        context! { title => "Not allowed", message => session::message(error), ..visitor.context(app) },
    )
}

async fn section(
    app: &App,
    visitor: &Visitor,
    actor: Actor,
    name: String,
    filters: Filters,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let status = filters.status.clone();
    let resolved = filters.resolved.as_deref() == Some("true");
    let section_name = name.clone();
    let loaded = app
        .run(move |app| -> Result<minijinja::Value, AppError> {
            Ok(match section_name.as_str() {
                "dashboard" => {
                    let dashboard = moderation::dashboard(app, actor)?;
                    context! { dashboard => context! {
                        users => dashboard.users,
                        pending => dashboard.pending,
                        open_reports => dashboard.open_reports,
                        domain_blocks => dashboard.domain_blocks,
                        database => charts::bytes(dashboard.file_bytes),
                        registrations => app.config.instance.registrations.clone(),
                        rules => crate::app::rules::list(app)?.into_iter().map(|rule| rule.text).collect::<Vec<_>>(),
                        deliveries => dashboard.deliveries_queued,
                        inbound => dashboard.inbound_queued,
                        mails => if crate::app::mail::enabled(app) {
                            Some(crate::app::mail::queued(app)?)
                        } else {
                            None
                        },
                        failing => dashboard.failing_hosts.iter().map(|(host, failures, first, last)| context! {
                            host => host.clone(),
                            failures => failures,
                            since => iso8601_ms(*first),
                            last => iso8601_ms(*last),
                        }).collect::<Vec<_>>(),
                    } }
                }
                "accounts" => {
                    let filter = AccountFilter {
                        status: status.as_deref().and_then(AccountStatus::parse),
                        ..AccountFilter::default()
                    };
                    let accounts = moderation::list_accounts(app, actor, filter, Page::newest(ROWS_MAX))?;
                    let rows: Vec<minijinja::Value> = accounts
                        .iter()
                        .map(|entry| {
                            let account = &entry.view.account;
                            let state = &entry.moderation;
                            let mut flags = Vec::new();
                            if state.pending { flags.push("pending"); }
                            if state.unconfirmed { flags.push("unconfirmed e-mail"); }
                            if account.suspended_ms.is_some() { flags.push("suspended"); }
                            if state.silenced_ms.is_some() { flags.push("limited"); }
                            if state.disabled_ms.is_some() { flags.push("disabled"); }
                            if state.sensitized_ms.is_some() { flags.push("sensitive"); }
                            context! {
                                id => account.id.0.to_string(),
                                acct => account.acct(),
                                local => account.is_local(),
                                pending => state.pending,
                                unconfirmed => state.unconfirmed,
                                reason => state.reason.clone(),
                                role => entry.user.as_ref().map_or("remote", |user| user.role.name()),
                                state => if flags.is_empty() { "active".to_string() } else { flags.join(", ") },
                            }
                        })
                        .collect();
                    context! { accounts => rows, status => status }
                }
                "reports" => {
                    let filter = ReportFilter { resolved, ..ReportFilter::default() };
                    let reports = moderation::list_reports(app, actor, filter, Page::newest(ROWS_MAX))?;
                    let rows: Vec<minijinja::Value> = reports
                        .iter()
                        .map(|view| context! {
                            id => view.report.id.to_string(),
                            created_at => iso8601_ms(view.report.created_ms),
                            reporter => view.reporter.view.account.acct(),
                            target => view.target.view.account.acct(),
                            statuses => view.statuses.len(),
                            comment => view.report.comment.clone(),
                            notes => view.notes.iter().map(|note| context! {
                                author => note.author.map_or_else(
                                    || "operator".to_string(),
                                    |id| moderation::get_account(app, Actor::Operator, id)
                                        .map(|view| format!("@{}", view.view.account.acct()))
                                        .unwrap_or_default(),
                                ),
                                text => note.text.clone(),
                            }).collect::<Vec<_>>(),
                        })
                        .collect();
                    context! { reports => rows, resolved => resolved }
                }
                "domain_blocks" => {
                    let blocks = domains::list_blocks(app, actor, Page::newest(ROWS_MAX))?;
                    let rows: Vec<minijinja::Value> = blocks
                        .iter()
                        .map(|block| context! {
                            id => block.id.to_string(),
                            domain => block.domain.clone(),
                            severity => block.severity.name(),
                            comment => block.private_comment.clone(),
                        })
                        .collect();
                    let allows: Vec<minijinja::Value> = domains::list_allows(app, actor, Page::newest(ROWS_MAX))?
                        .iter()
                        .map(|allow| context! {
                            id => allow.id.to_string(),
                            domain => allow.domain.clone(),
                            created_at => iso8601_ms(allow.created_ms),
                        })
                        .collect();
                    context! {
                        blocks => rows,
                        allows => allows,
                        allowlist_mode => app.config.federation.allowlist_mode,
                    }
                }
                "rules" => {
                    let rules: Vec<minijinja::Value> = crate::app::rules::list(app)?
                        .iter()
                        .map(|rule| context! {
                            id => rule.id.to_string(),
                            text => rule.text.clone(),
                            hint => rule.hint.clone(),
                        })
                        .collect();
                    context! { rules => rules }
                }
                "announcements" => {
                    let announcements: Vec<minijinja::Value> = crate::app::announcements::all(app, actor)?
                        .iter()
                        .map(|announcement| context! {
                            id => announcement.id.to_string(),
                            text => announcement.text.clone(),
                            published_at => iso8601_ms(announcement.published_ms),
                            ends_at => announcement.ends_ms.map(iso8601_ms),
                        })
                        .collect();
                    context! { announcements => announcements }
                }
                "settings" => {
                    // Admins' (Mastodon's `manage_settings`); secrets are never shown.
                    app.store.read(|tx| crate::app::admin::require_role(app, tx, actor, Role::Admin))?;
                    context! { settings => settings_rows(app) }
                }
                "storage" => {
                    let stats = moderation::storage(app, actor)?;
                    let now = crate::util::time::now_ms();
                    let samples = moderation::storage_growth(app, actor, now, GROWTH_DAYS)?;
                    let growth = growth_context(app, &samples);
                    let mut tables = stats.tables.clone();
                    tables.sort_by_key(|table| std::cmp::Reverse(table.stored_bytes + table.metadata_bytes));
                    let bars: Vec<(String, u64)> = tables
                        .iter()
                        .filter(|table| table.entries > 0)
                        .take(CHART_TABLES_MAX)
                        .map(|table| (table.name.clone(), table.stored_bytes + table.metadata_bytes))
                        .collect();
                    let caption = bars
                        .iter()
                        .map(|(name, value)| format!("{name} {}", charts::bytes(*value)))
                        .collect::<Vec<_>>()
                        .join(", ");
                    let rows: Vec<minijinja::Value> = tables
                        .iter()
                        .map(|table| context! {
                            name => table.name.clone(),
                            entries => table.entries,
                            stored => charts::bytes(table.stored_bytes),
                            overhead => charts::bytes(table.metadata_bytes + table.fragmented_bytes),
                        })
                        .collect();
                    context! { storage => context! {
                        file => charts::bytes(stats.file_bytes),
                        tables => stats.tables.len(),
                        stored => charts::bytes(stats.tables.iter().map(|table| table.stored_bytes).sum()),
                        chart => charts::bars("Bytes per table", &bars),
                        caption => caption,
                        rows => rows,
                        growth => growth,
                        retention_days => app.config.retention.remote_status_days,
                        budget => (app.config.storage.db_bytes_max > 0)
                            .then(|| charts::bytes(app.config.storage.db_bytes_max)),
                        budget_exhausted => app.metrics.storage_budget_exhausted
                            .load(std::sync::atomic::Ordering::Relaxed) == 1,
                    } }
                }
                "relays" => {
                    let relays = crate::app::relays::list(app, actor)?;
                    let rows: Vec<minijinja::Value> = relays
                        .iter()
                        .map(|view| context! {
                            id => view.relay.id.to_string(),
                            url => view.relay.url.clone(),
                            state => view.state.name(),
                            today => view.received_today,
                            total => view.received_total,
                            last_seen => view.relay.last_seen_ms.map(iso8601_ms),
                        })
                        .collect();
                    context! { relays => rows }
                }
                "audit" => {
                    let entries = moderation::audit_log(app, actor, Page::newest(ROWS_MAX))?;
                    // A few staff members write most of the log: each is looked up once.
                    let mut names = std::collections::HashMap::new();
                    let rows: Vec<minijinja::Value> = entries
                        .iter()
                        .map(|entry| context! {
                            at => iso8601_ms(entry.created_ms),
                            who => entry.actor.map_or_else(
                                || "operator".to_string(),
                                |id| names.entry(id).or_insert_with(|| {
                                    moderation::get_account(app, Actor::Operator, id)
                                        .map(|view| format!("@{}", view.view.account.acct()))
                                        .unwrap_or_else(|_| format!("account {}", id.0))
                                }).clone(),
                            ),
                            action => entry.action.name(),
                            target => entry.target.clone(),
                            text => entry.text.clone(),
                        })
                        .collect();
                    context! { entries => rows }
                }
                _ => return Err(AppError::NotFound),
            })
        })
        .await;
    match loaded {
        Ok(data) => render(
            if error.is_some() {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            },
            "admin.html",
            context! {
                title => "Administration",
                section => name,
                notice => notice,
                error => error,
                ..minijinja::value::merge_maps([data, visitor.context(app)])
            },
        ),
        Err(AppError::NotFound) => StatusCode::NOT_FOUND.into_response(),
        Err(error) => forbidden(visitor, app, &error),
    }
}

/// The signed-in staff member as an admin actor, or the response for anyone else.
fn staff(visitor: &Visitor, app: &App) -> Result<Actor, Box<Response>> {
    let Some(signed_in) = &visitor.signed_in else {
        return Err(Box::new(to_sign_in()));
    };
    if signed_in.user.role < Role::Moderator {
        let error = AppError::Forbidden(crate::app::admin::NOT_ALLOWED);
        return Err(Box::new(forbidden(visitor, app, &error)));
    }
    Ok(Actor::Account(signed_in.user.account_id))
}

pub async fn dashboard(State(app): State<App>, headers: HeaderMap) -> Response {
    let visitor = Visitor::of(&app, &headers).await;
    match staff(&visitor, &app) {
        Ok(actor) => {
            section(
                &app,
                &visitor,
                actor,
                "dashboard".into(),
                Filters::default(),
                None,
                None,
            )
            .await
        }
        Err(response) => *response,
    }
}

pub async fn page(
    State(app): State<App>,
    headers: HeaderMap,
    uri: Uri,
    Path(name): Path<String>,
) -> Response {
    let visitor = Visitor::of(&app, &headers).await;
    let filters: Filters =
        serde_html_form::from_str(uri.query().unwrap_or_default()).unwrap_or_default();
    match staff(&visitor, &app) {
        Ok(actor) => section(&app, &visitor, actor, name, filters, None, None).await,
        Err(response) => *response,
    }
}

#[derive(Deserialize, Default)]
pub struct ActionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    domain: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    ends_in_hours: String,
}

/// Every admin POST: `/admin/{resource}/{id}/{operation}` and `/admin/domain_blocks/new`.
pub async fn act(State(app): State<App>, headers: HeaderMap, uri: Uri, body: Bytes) -> Response {
    let path = uri.path().trim_start_matches("/admin/").to_string();
    let visitor = Visitor::of(&app, &headers).await;
    let actor = match staff(&visitor, &app) {
        Ok(actor) => actor,
        Err(response) => return *response,
    };
    let form: ActionForm = serde_html_form::from_bytes(&body).unwrap_or_default();
    if !visitor.allows_post(&app, &headers, &form.csrf) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let parts: Vec<String> = path.split('/').map(str::to_string).collect();
    let (back, result) = match parts
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["accounts", id, operation] => {
            let Ok(id) = id.parse::<u64>() else {
                return StatusCode::NOT_FOUND.into_response();
            };
            let id = AccountId(id);
            let operation = operation.to_string();
            let (action, text) = (form.action.clone(), form.text.clone());
            let result = app
                .run(move |app| {
                    let reversal = match (operation.as_str(), action.as_str()) {
                        ("approve", _) => Some(Reversal::Approve),
                        ("reject", _) => Some(Reversal::Reject),
                        ("confirm", _) => Some(Reversal::Confirm),
                        ("action", "unsilence") => Some(Reversal::Unsilence),
                        ("action", "unsuspend") => Some(Reversal::Unsuspend),
                        ("action", "unsensitive") => Some(Reversal::Unsensitive),
                        ("action", "enable") => Some(Reversal::Enable),
                        _ => None,
                    };
                    if let Some(reversal) = reversal {
                        return moderation::reverse(app, actor, id, reversal).map(drop);
                    }
                    let kind = ActionKind::parse(&action)
                        .filter(|_| operation == "action")
                        .ok_or_else(|| AppError::Validation("Unknown action".into()))?;
                    moderation::act(app, actor, id, kind, text, None)
                })
                .await;
            ("accounts", result)
        }
        ["reports", id, operation] => {
            let Ok(id) = id.parse::<u64>() else {
                return StatusCode::NOT_FOUND.into_response();
            };
            let change = match *operation {
                "resolve" => Some(ReportChange::Resolve),
                "reopen" => Some(ReportChange::Reopen),
                "note" => None,
                _ => return StatusCode::NOT_FOUND.into_response(),
            };
            let text = form.text.clone();
            let result = app
                .run(move |app| match change {
                    Some(change) => moderation::change_report(app, actor, id, change).map(drop),
                    None => moderation::add_report_note(app, actor, id, &text),
                })
                .await;
            ("reports", result)
        }
        ["domain_blocks", "new"] => {
            let input = BlockInput {
                domain: form.domain.clone(),
                severity: Severity::parse(&form.severity).unwrap_or(Severity::Suspend),
                reject_media: false,
                reject_reports: false,
                private_comment: form.comment.clone(),
                public_comment: String::new(),
                obfuscate: false,
            };
            let result = app
                .run(move |app| domains::block_domain(app, actor, input).map(drop))
                .await;
            ("domain_blocks", result)
        }
        ["relays", "new"] => {
            let url = form.url.clone();
            let result = app
                .run(move |app| crate::app::relays::add(app, actor, &url).map(drop))
                .await;
            ("relays", result)
        }
        ["relays", id, "delete"] => {
            let Ok(id) = id.parse::<u64>() else {
                return StatusCode::NOT_FOUND.into_response();
            };
            let result = app
                .run(move |app| crate::app::relays::remove(app, actor, id).map(drop))
                .await;
            ("relays", result)
        }
        ["domain_allows", "new"] => {
            let domain = form.domain.clone();
            let result = app
                .run(move |app| domains::allow_domain(app, actor, &domain).map(drop))
                .await;
            ("domain_blocks", result)
        }
        ["domain_allows", id, "delete"] => {
            let Ok(id) = id.parse::<u64>() else {
                return StatusCode::NOT_FOUND.into_response();
            };
            let result = app
                .run(move |app| domains::disallow_domain(app, actor, id).map(drop))
                .await;
            ("domain_blocks", result)
        }
        ["rules", "new"] => {
            let (text, hint) = (form.text.clone(), form.comment.clone());
            let result = app
                .run(move |app| crate::app::rules::add(app, actor, &text, &hint).map(drop))
                .await;
            ("rules", result)
        }
        ["rules", id, "delete"] => {
            let Ok(id) = id.parse::<u64>() else {
                return StatusCode::NOT_FOUND.into_response();
            };
            let result = app
                .run(move |app| crate::app::rules::remove(app, actor, id))
                .await;
            ("rules", result)
        }
        ["announcements", "new"] => {
            let text = form.text.clone();
            let ends_in_secs = form
                .ends_in_hours
                .trim()
                .parse::<u64>()
                .ok()
                .map(|hours| hours.saturating_mul(3600));
            let result = app
                .run(move |app| {
                    crate::app::announcements::publish(app, actor, &text, ends_in_secs).map(drop)
                })
                .await;
            ("announcements", result)
        }
        ["announcements", id, "delete"] => {
            let Ok(id) = id.parse::<u64>() else {
                return StatusCode::NOT_FOUND.into_response();
            };
            let result = app
                .run(move |app| crate::app::announcements::delete(app, actor, id))
                .await;
            ("announcements", result)
        }
        ["domain_blocks", id, "delete"] => {
            let Ok(id) = id.parse::<u64>() else {
                return StatusCode::NOT_FOUND.into_response();
            };
            let result = app
                .run(move |app| domains::unblock_domain(app, actor, id).map(drop))
                .await;
            ("domain_blocks", result)
        }
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    match result {
        // Back to the list, so a reload does not post again.
        Ok(()) => Redirect::to(&format!("/admin/{back}")).into_response(),
        Err(error @ AppError::Forbidden(_)) => forbidden(&visitor, &app, &error),
        Err(error) => {
            let text = session::message(&error);
            section(
                &app,
                &visitor,
                actor,
                back.to_string(),
                Filters::default(),
                None,
                Some(text),
            )
            .await
        }
    }
}
