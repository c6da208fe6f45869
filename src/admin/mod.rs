//! Admin commands (`skerry admin …`, `skerry db …`) and the local admin socket that carries
//! them to a running server. May import `app`, `store`, `config`, `model`, `sig`, `util`;
//! never `api`, `web` or `http` (layer L6, see lib.rs).
//!
//! Architecture Invariant: one code path per command. `execute` is the only place that runs a
//! `Command`; the socket server calls it inside `skerry serve`, and `main.rs` calls it on a
//! database it opened itself when no server listens. Both turn its result into a `Response`
//! with `Response::from_result`, so the output and the exit code are the same either way.
//!
//! API Boundary: the socket speaks one JSON line each way, a `Command` then a `Response`.
//! Both ends are this binary, so the format may change between versions without notice.

pub mod moderation;
pub mod socket;
pub mod startup;

use std::fmt::Write as _;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::app::admin::Actor;
use crate::app::domains::{self, BlockInput, BlockUpdate};
use crate::app::media;
use crate::app::relays;
use crate::app::{self, App, AppError};
use crate::model::{RelayStyle, Role, ScopeSet, Severity};
use crate::store::StoreError;

/// Problems that `db check` lists before it summarises the rest; a damaged database can have
/// one per record, and the whole list has to fit in one response line.
pub const CHECK_PROBLEMS_LISTED_MAX: usize = 1000;

/// Errors of the admin layer: of a command, and of the socket that carries it.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// A command argument that cannot be right (an unknown role, a bad scope, a relative path).
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    App(#[from] AppError),
    #[error("{0}")]
    Store(#[from] StoreError),
    /// `db check` found problems; `report` lists them, the message counts them.
    #[error("{count} problem(s) found")]
    Problems { count: usize, report: String },
    /// A malformed or oversized exchange on the admin socket.
    #[error("admin socket: {0}")]
    Protocol(String),
    #[error("admin socket {path}: {source}")]
    Socket {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// An admin command, as the command line builds it and the socket carries it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    /// Creates a local account with a generated password.
    AccountCreate {
        username: String,
        email: String,
        /// `owner`, `admin`, `moderator` or `user` (`model::Role::parse`).
        role: String,
    },
    /// Issues a bearer token for a local account, with no OAuth application.
    TokenCreate {
        username: String,
        scopes: String,
    },
    /// Entries and bytes per table, and the file size.
    DbStats {
        json: bool,
    },
    /// Decodes every record and follows every index.
    DbCheck,
    /// Writes a consistent copy of the database to `path`, which must be absolute (the
    /// server's working directory is not the caller's) and must not exist.
    DbBackup {
        path: PathBuf,
    },
    /// Blocks a domain, or changes the block it has.
    DomainBlock {
        domain: String,
        /// `suspend`, `silence` or `noop` (`model::Severity::parse`).
        severity: String,
        reject_media: bool,
        reject_reports: bool,
        /// For admins only; `None` keeps an existing block's comment.
        #[serde(default)]
        private_comment: Option<String>,
        /// Shown in `GET /api/v1/instance/domain_blocks`; `None` keeps an existing one.
        #[serde(default)]
        public_comment: Option<String>,
    },
    DomainUnblock {
        domain: String,
    },
    /// Blocks and allows, by domain.
    DomainList,
    /// Allows a domain (what `federation.allowlist_mode` federates with).
    DomainAllow {
        domain: String,
    },
    DomainDisallow {
        domain: String,
    },
    /// Accounts, reports, invitations and the audit log (`admin::moderation`).
    Moderation(moderation::ModerationCommand),
    /// Subscribes to a relay: its inbox (Mastodon style) or its actor (LitePub style).
    RelayAdd {
        url: String,
    },
    /// Relays with their state, activities received and last contact.
    RelayList,
    /// Unsubscribes from a relay, named by its id, URL or actor.
    RelayRemove {
        relay: String,
    },
    /// The daily growth samples of the last `days` days: per table, growth per day and a
    /// projection.
    StorageReport {
        days: u64,
    },
    /// Bytes and counts per media tier and kind.
    MediaUsage,
    /// Runs the eviction policy now (`dry_run`: says what it would move).
    MediaEvict {
        dry_run: bool,
    },
    /// Remote media of posts older than `days` leaves every tier (the records stay).
    MediaPrune {
        days: u64,
    },
    /// Deletes blob records, files and objects that nothing names.
    MediaRemoveOrphans,
    /// Fetches remote media that is in no tier again from its origin.
    MediaRefetch,
    /// Adds (or replaces) a local custom emoji from an image file (read by the process that
    /// runs the command: the server, through the owner-only socket).
    EmojiAdd {
        shortcode: String,
        path: PathBuf,
        category: String,
    },
    EmojiList,
    EmojiRemove {
        shortcode: String,
    },
}

impl Command {
    /// Whether the command only makes sense on a database that exists already: run without a
    /// server, these must not create an empty one.
    /// The command's name, for logs (which must not show its arguments: e-mail addresses).
    pub fn name(&self) -> &'static str {
        match self {
            Command::AccountCreate { .. } => "account_create",
            Command::TokenCreate { .. } => "token_create",
            Command::DbStats { .. } => "db_stats",
            Command::DbCheck => "db_check",
            Command::DbBackup { .. } => "db_backup",
            Command::DomainBlock { .. } => "domain_block",
            Command::DomainUnblock { .. } => "domain_unblock",
            Command::DomainList => "domain_list",
            Command::DomainAllow { .. } => "domain_allow",
            Command::DomainDisallow { .. } => "domain_disallow",
            Command::Moderation(command) => command.name(),
            Command::RelayAdd { .. } => "relay_add",
            Command::RelayList => "relay_list",
            Command::RelayRemove { .. } => "relay_remove",
            Command::StorageReport { .. } => "storage_report",
            Command::MediaUsage => "media_usage",
            Command::MediaEvict { .. } => "media_evict",
            Command::MediaPrune { .. } => "media_prune",
            Command::MediaRemoveOrphans => "media_remove_orphans",
            Command::MediaRefetch => "media_refetch",
            Command::EmojiAdd { .. } => "emoji_add",
            Command::EmojiList => "emoji_list",
            Command::EmojiRemove { .. } => "emoji_remove",
        }
    }

    pub fn needs_existing_database(&self) -> bool {
        matches!(
            self,
            Command::DbStats { .. }
                | Command::DbCheck
                | Command::DbBackup { .. }
                | Command::DomainList
                | Command::Moderation(_)
                | Command::RelayList
                | Command::StorageReport { .. }
                | Command::MediaUsage
                | Command::MediaEvict { .. }
                | Command::MediaPrune { .. }
                | Command::MediaRemoveOrphans
                | Command::MediaRefetch
                | Command::EmojiList
                | Command::EmojiRemove { .. }
        )
    }
}

/// The answer to a command: what to print, and whether it succeeded (exit code 0 or 1).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    pub ok: bool,
    /// For stdout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// For stderr.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Response {
    pub fn from_result(result: Result<String, AdminError>) -> Response {
        match result {
            Ok(output) => Response {
                ok: true,
                output: Some(output),
                error: None,
            },
            Err(AdminError::Problems { count, report }) => Response {
                ok: false,
                output: Some(report),
                error: Some(format!("{count} problem(s) found")),
            },
            Err(error) => Response {
                ok: false,
                output: None,
                error: Some(error.to_string()),
            },
        }
    }

    pub fn failed(error: impl std::fmt::Display) -> Response {
        Response {
            ok: false,
            output: None,
            error: Some(error.to_string()),
        }
    }
}

/// Runs one command. Synchronous: store work waits on disk, so the server calls it on a
/// blocking thread (`App::run`).
pub fn execute(app: &App, command: Command) -> Result<String, AdminError> {
    match command {
        Command::AccountCreate {
            username,
            email,
            role,
        } => create_account(app, &username, &email, &role),
        Command::TokenCreate { username, scopes } => create_token(app, &username, &scopes),
        Command::DbStats { json } => database_stats(app, json),
        Command::DbCheck => check_database(app),
        Command::DbBackup { path } => backup_database(app, path),
        Command::StorageReport { days } => Ok(crate::app::housekeeping::report(
            app,
            crate::util::time::now_ms(),
            days,
        )?),
        Command::DomainBlock {
            domain,
            severity,
            reject_media,
            reject_reports,
            private_comment,
            public_comment,
        } => {
            let severity = Severity::parse(&severity).ok_or_else(|| {
                AdminError::Invalid(format!(
                    "severity {severity:?}: expected suspend, silence or noop"
                ))
            })?;
            let input = BlockInput {
                domain,
                severity,
                reject_media,
                reject_reports,
                private_comment: String::new(),
                public_comment: String::new(),
                obfuscate: false,
            };
            block_domain(app, input, private_comment, public_comment)
        }
        Command::DomainUnblock { domain } => unblock_domain(app, &domain),
        Command::DomainList => list_domains(app),
        Command::DomainAllow { domain } => {
            let (allow, created) = domains::allow_domain(app, Actor::Operator, &domain)?;
            Ok(if created {
                format!("Allowed {}\n", allow.domain)
            } else {
                format!("{} is allowed already\n", allow.domain)
            })
        }
        Command::DomainDisallow { domain } => {
            let allow = domains::allow_by_domain(app, Actor::Operator, &domain)?
                .ok_or_else(|| AdminError::NotFound(format!("{domain} is not allowed")))?;
            domains::disallow_domain(app, Actor::Operator, allow.id)?;
            Ok(format!("Removed the allow of {}\n", allow.domain))
        }
        Command::Moderation(command) => moderation::execute(app, command),
        Command::RelayAdd { url } => {
            let (view, created) = relays::add(app, Actor::Operator, &url)?;
            Ok(if created {
                format!(
                    "Subscribing to {} ({} style); the Follow goes out from the running server\n",
                    view.relay.url,
                    match view.relay.style {
                        RelayStyle::Mastodon => "Mastodon",
                        RelayStyle::LitePub => "LitePub",
                    }
                )
            } else {
                format!("{} is subscribed already\n", view.relay.url)
            })
        }
        Command::RelayList => list_relays(app),
        Command::RelayRemove { relay } => {
            let view = relays::find(app, Actor::Operator, &relay)
                .map_err(|_| AdminError::NotFound(format!("no relay {relay}")))?;
            relays::remove(app, Actor::Operator, view.relay.id)?;
            Ok(format!("Unsubscribed from {}\n", view.relay.url))
        }
        Command::MediaUsage => media_usage(app),
        Command::MediaEvict { dry_run } => {
            let report = block_on(media::evict(app, dry_run))?;
            Ok(format!(
                "{}hot target {} bytes{}: {} moved to cold, {} dropped from hot ({} bytes freed), {} dropped from cold, {} object-store errors\n",
                if report.dry_run { "dry run: " } else { "" },
                report.hot_target_bytes,
                if report.disk_pressure {
                    " (disk pressure)"
                } else {
                    ""
                },
                report.moved_to_cold,
                report.dropped_from_hot,
                report.bytes_freed_hot,
                report.dropped_from_cold,
                report.cold_errors,
            ))
        }
        Command::MediaPrune { days } => {
            let count = block_on(media::prune(app, days))?;
            Ok(format!(
                "{count} remote blobs older than {days} days removed from the tiers\n"
            ))
        }
        Command::MediaRemoveOrphans => {
            let report = block_on(media::remove_orphans(app))?;
            Ok(format!(
                "removed {} unattached uploads, {} unreferenced records, {} files, {} objects, {} raw uploads, {} unlinked preview cards\n",
                report.unattached,
                report.records,
                report.files,
                report.objects,
                report.incoming,
                report.cards
            ))
        }
        Command::EmojiAdd {
            shortcode,
            path,
            category,
        } => {
            let bytes_max = app.config.media.emoji_bytes_max;
            let size = std::fs::metadata(&path)
                .map_err(|error| AdminError::Invalid(format!("{}: {error}", path.display())))?
                .len();
            if size > bytes_max {
                return Err(AdminError::Invalid(format!(
                    "{} is larger than media.emoji_bytes_max ({bytes_max} bytes)",
                    path.display()
                )));
            }
            let bytes = std::fs::read(&path)
                .map_err(|error| AdminError::Invalid(format!("{}: {error}", path.display())))?;
            let emoji = block_on(app::emoji::add_local(
                app,
                &shortcode,
                bytes::Bytes::from(bytes),
                &category,
            ))?;
            Ok(format!(":{}: added\n", emoji.shortcode))
        }
        Command::EmojiList => {
            let mut out = String::new();
            for emoji in app::emoji::list_local(app)? {
                let _ = writeln!(out, ":{}:\t{}", emoji.shortcode, emoji.category);
            }
            Ok(out)
        }
        Command::EmojiRemove { shortcode } => match app::emoji::remove_local(app, &shortcode) {
            Ok(()) => Ok(format!(":{shortcode}: removed\n")),
            Err(AppError::NotFound) => Err(AdminError::NotFound(format!("no emoji :{shortcode}:"))),
            Err(error) => Err(error.into()),
        },
        Command::MediaRefetch => {
            let (fetched, failed) = block_on(media::refetch(app))?;
            Ok(format!("{fetched} fetched again, {failed} failed\n"))
        }
    }
}

fn list_relays(app: &App) -> Result<String, AdminError> {
    let views = relays::list(app, Actor::Operator)?;
    let mut out = String::new();
    for view in &views {
        let last_seen = view
            .relay
            .last_seen_ms
            .map_or_else(|| "never".to_string(), crate::util::time::iso8601_ms);
        let _ = writeln!(
            out,
            "{}  {}  {}  today {}  last {} days {}  last seen {}",
            view.relay.id,
            view.relay.url,
            view.state.name(),
            view.received_today,
            relays::RECEIVED_DAYS_KEPT,
            view.received_total,
            last_seen,
        );
    }
    let _ = writeln!(out, "{} relay(s)", views.len());
    Ok(out)
}

/// Runs async media work from `execute`, which runs on a blocking thread of the runtime
/// (the socket server's `App::run`, the offline command's `spawn_blocking`).
fn block_on<T>(work: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Handle::current().block_on(work)
}

fn media_usage(app: &App) -> Result<String, AdminError> {
    let usage = media::usage(app)?;
    let totals = usage.totals;
    let mut out = format!(
        "tier    blobs  bytes\nlocal   {:>5}  {}\nhot     {:>5}  {} (budget {})\ncold    {:>5}  {}{}\n",
        totals.local_count,
        totals.local_bytes,
        totals.hot_count,
        totals.hot_bytes,
        app.config.media.hot_bytes_max,
        totals.cold_count,
        totals.cold_bytes,
        if usage.cold_tier {
            ""
        } else {
            " (no cold tier)"
        },
    );
    if let Some(free) = usage.disk_free_bytes {
        out.push_str(&format!("disk free {free} bytes\n"));
    }
    out.push_str("kind     local  remote-stored  remote-gone\n");
    for (kind, local, stored, gone) in usage.by_kind {
        out.push_str(&format!(
            "{:<7} {local:>6}  {stored:>13}  {gone:>11}\n",
            kind.name()
        ));
    }
    Ok(out)
}

/// Blocks a domain, or changes its existing block (the command line has no ids).
fn block_domain(
    app: &App,
    mut input: BlockInput,
    private_comment: Option<String>,
    public_comment: Option<String>,
) -> Result<String, AdminError> {
    let existing = domains::block_by_domain(app, Actor::Operator, &input.domain)?;
    let (block, verb) = match existing {
        Some(block) => {
            let update = BlockUpdate {
                severity: Some(input.severity),
                reject_media: Some(input.reject_media),
                reject_reports: Some(input.reject_reports),
                private_comment,
                public_comment,
                obfuscate: None,
            };
            (
                domains::update_block(app, Actor::Operator, block.id, update)?,
                "Updated the block of",
            )
        }
        None => {
            input.private_comment = private_comment.unwrap_or_default();
            input.public_comment = public_comment.unwrap_or_default();
            (
                domains::block_domain(app, Actor::Operator, input)?,
                "Blocked",
            )
        }
    };
    Ok(format!(
        "{verb} {} ({}{}{})\n",
        block.domain,
        block.severity.name(),
        if block.reject_media {
            ", reject media"
        } else {
            ""
        },
        if block.reject_reports {
            ", reject reports"
        } else {
            ""
        },
    ))
}

fn unblock_domain(app: &App, domain: &str) -> Result<String, AdminError> {
    let block = domains::block_by_domain(app, Actor::Operator, domain)?
        .ok_or_else(|| AdminError::NotFound(format!("{domain} is not blocked")))?;
    domains::unblock_domain(app, Actor::Operator, block.id)?;
    Ok(format!("Unblocked {}\n", block.domain))
}

fn list_domains(app: &App) -> Result<String, AdminError> {
    let (blocks, allows) = domains::all_blocks_and_allows(app, Actor::Operator)?;
    let mut out = String::new();
    for block in &blocks {
        let mut options = Vec::new();
        if block.reject_media {
            options.push("reject media");
        }
        if block.reject_reports {
            options.push("reject reports");
        }
        let _ = write!(out, "block  {}  {}", block.domain, block.severity.name());
        if !options.is_empty() {
            let _ = write!(out, "  ({})", options.join(", "));
        }
        if !block.private_comment.is_empty() {
            let _ = write!(out, "  # {}", block.private_comment);
        }
        out.push('\n');
    }
    for allow in &allows {
        let _ = writeln!(out, "allow  {}", allow.domain);
    }
    let _ = writeln!(
        out,
        "{} block(s), {} allow(s){}",
        blocks.len(),
        allows.len(),
        if app.config.federation.allowlist_mode {
            "; allowlist mode is on"
        } else {
            ""
        }
    );
    Ok(out)
}

fn create_account(
    app: &App,
    username: &str,
    email: &str,
    role: &str,
) -> Result<String, AdminError> {
    let role = Role::parse(role).ok_or_else(|| {
        AdminError::Invalid(format!(
            "role {role:?}: expected owner, admin, moderator or user"
        ))
    })?;
    let (account, password) = app::accounts::create_local_account(app, username, email, role)?;
    Ok(format!(
        "Created {} account {} (id {}), profile {}\npassword: {password}\n",
        role.name(),
        account.username,
        account.id.0,
        app.profile_url(&account.username),
    ))
}

fn create_token(app: &App, username: &str, scopes: &str) -> Result<String, AdminError> {
    let scopes = ScopeSet::parse(scopes)
        .map_err(|reason| AdminError::Invalid(format!("scopes: {reason}")))?;
    let not_found = || AdminError::NotFound(format!("no local account named {username:?}"));
    let view = match app::accounts::lookup(app, username) {
        Ok(view) => view,
        Err(AppError::NotFound) => return Err(not_found()),
        Err(error) => return Err(error.into()),
    };
    // Tokens act for local users only; a remote account has no credentials here.
    if !view.account.is_local() {
        return Err(not_found());
    }
    let (secret, token) = app::oauth::issue_token(app, None, Some(view.account.id), scopes)?;
    Ok(format!(
        "Bearer token for {} with scopes \"{}\":\n{secret}\n",
        view.account.username,
        token.scopes.as_str()
    ))
}

fn database_stats(app: &App, json: bool) -> Result<String, AdminError> {
    let stats = app.store.stats(&app.config.database_path())?;
    if json {
        let mut text = serde_json::to_string_pretty(&stats)
            .map_err(|error| AdminError::Invalid(format!("cannot render stats: {error}")))?;
        text.push('\n');
        return Ok(text);
    }
    let headers = ["table", "entries", "stored", "metadata", "fragmented"];
    let rows: Vec<[String; 5]> = stats
        .tables
        .iter()
        .map(|table| {
            [
                table.name.clone(),
                table.entries.to_string(),
                table.stored_bytes.to_string(),
                table.metadata_bytes.to_string(),
                table.fragmented_bytes.to_string(),
            ]
        })
        .collect();
    let mut widths = headers.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.len());
        }
    }
    let mut out = String::new();
    let mut line = |cells: [&str; 5]| {
        // The name is left-aligned, the numbers right-aligned.
        let _ = write!(out, "{:<width$}", cells[0], width = widths[0]);
        for (cell, width) in cells[1..].iter().zip(&widths[1..]) {
            let _ = write!(out, "  {cell:>width$}");
        }
        out.push('\n');
    };
    line(headers);
    for row in &rows {
        line(row.each_ref().map(String::as_str));
    }
    let entries: u64 = stats.tables.iter().map(|table| table.entries).sum();
    let stored_bytes: u64 = stats.tables.iter().map(|table| table.stored_bytes).sum();
    let _ = writeln!(
        out,
        "{} tables, {entries} entries, {stored_bytes} bytes stored; file {} is {} bytes long, {} on disk",
        stats.tables.len(),
        app.config.database_path().display(),
        stats.file_bytes,
        stats.disk_bytes
    );
    Ok(out)
}

fn check_database(app: &App) -> Result<String, AdminError> {
    let (problems, checked) = app.store.check()?;
    if problems.is_empty() {
        return Ok(format!(
            "Checked {checked} records and every index: no problems\n"
        ));
    }
    let mut report = String::new();
    for problem in problems.iter().take(CHECK_PROBLEMS_LISTED_MAX) {
        report.push_str(problem);
        report.push('\n');
    }
    if problems.len() > CHECK_PROBLEMS_LISTED_MAX {
        let _ = writeln!(
            report,
            "… and {} more",
            problems.len() - CHECK_PROBLEMS_LISTED_MAX
        );
    }
    let _ = writeln!(
        report,
        "Checked {checked} records and every index: {} problem(s)",
        problems.len()
    );
    Err(AdminError::Problems {
        count: problems.len(),
        report,
    })
}

fn backup_database(app: &App, path: PathBuf) -> Result<String, AdminError> {
    if !path.is_absolute() {
        return Err(AdminError::Invalid(format!(
            "backup path {} is not absolute",
            path.display()
        )));
    }
    let entries = app.store.backup(&path)?;
    let bytes = std::fs::metadata(&path).map_err(StoreError::from)?.len();
    Ok(format!(
        "Backed up {entries} entries to {} ({bytes} bytes)\n",
        path.display()
    ))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::config::{Config, Overrides};

    /// An App on its own temporary database, with defaults only (not ./config/skerry.toml).
    pub(crate) fn temp_app() -> (tempfile::TempDir, App) {
        let directory = tempfile::tempdir().unwrap();
        let config_path = directory.path().join("skerry.toml");
        std::fs::write(&config_path, "").unwrap();
        let overrides = Overrides {
            data_dir: Some(directory.path().join("data")),
            ..Overrides::default()
        };
        let config = Config::load(Some(&config_path), Vec::new(), &overrides).unwrap();
        let app = App::open(config).unwrap();
        (directory, app)
    }

    #[test]
    fn commands_round_trip_through_json() {
        let commands = [
            Command::AccountCreate {
                username: "alice".into(),
                email: "a@example.com".into(),
                role: "owner".into(),
            },
            Command::TokenCreate {
                username: "alice".into(),
                scopes: "read write follow push".into(),
            },
            Command::DbStats { json: true },
            Command::DbCheck,
            Command::DbBackup {
                path: "/tmp/backup.redb".into(),
            },
            Command::DomainBlock {
                domain: "example.com".into(),
                severity: "silence".into(),
                reject_media: true,
                reject_reports: false,
                private_comment: Some("spam".into()),
                public_comment: None,
            },
            Command::DomainUnblock {
                domain: "example.com".into(),
            },
            Command::DomainList,
            Command::DomainAllow {
                domain: "example.com".into(),
            },
            Command::DomainDisallow {
                domain: "example.com".into(),
            },
            Command::Moderation(moderation::ModerationCommand::Account {
                acct: "bob@example.com".into(),
                action: "suspend".into(),
                text: "spam".into(),
            }),
            Command::Moderation(moderation::ModerationCommand::Pending),
            Command::Moderation(moderation::ModerationCommand::InviteCreate {
                expires_in_secs: Some(3600),
                uses_max: None,
            }),
            Command::StorageReport { days: 30 },
        ];
        for command in commands {
            let line = serde_json::to_string(&command).unwrap();
            assert!(!line.contains('\n'), "{line}");
            assert_eq!(serde_json::from_str::<Command>(&line).unwrap(), command);
        }
        let line = serde_json::to_string(&Command::DbCheck).unwrap();
        assert_eq!(line, r#"{"command":"db_check"}"#);
        assert!(
            serde_json::from_str::<Command>(r#"{"command":"db_stats","json":true,"extra":1}"#)
                .is_err()
        );
        assert!(serde_json::from_str::<Command>(r#"{"command":"rm_rf"}"#).is_err());
    }

    #[test]
    fn problems_go_to_stdout_and_fail() {
        let response = Response::from_result(Err(AdminError::Problems {
            count: 1,
            report: "x\n".into(),
        }));
        assert_eq!(
            response,
            Response {
                ok: false,
                output: Some("x\n".into()),
                error: Some("1 problem(s) found".into())
            }
        );
        let response = Response::from_result(Ok("fine\n".into()));
        assert_eq!(
            serde_json::to_string(&response).unwrap(),
            r#"{"ok":true,"output":"fine\n"}"#
        );
    }

    #[test]
    fn account_token_stats_check_and_backup() {
        let (directory, app) = temp_app();
        let output = execute(
            &app,
            Command::AccountCreate {
                username: "alice".into(),
                email: "alice@example.com".into(),
                role: "owner".into(),
            },
        )
        .unwrap();
        let password = output
            .lines()
            .find_map(|line| line.strip_prefix("password: "))
            .unwrap();
        assert!(
            password.len() >= app::accounts::PASSWORD_BYTES_MIN,
            "{output}"
        );
        let account_id =
            app::accounts::authenticate(&app, "alice", password, [127, 0, 0, 1].into()).unwrap();

        let error = execute(
            &app,
            Command::AccountCreate {
                username: "bob".into(),
                email: "bob@example.com".into(),
                role: "king".into(),
            },
        )
        .unwrap_err();
        assert!(matches!(error, AdminError::Invalid(_)), "{error}");
        let error = execute(
            &app,
            Command::AccountCreate {
                username: "alice".into(),
                email: "other@example.com".into(),
                role: "user".into(),
            },
        )
        .unwrap_err();
        assert!(error.to_string().contains("taken"), "{error}");

        let output = execute(
            &app,
            Command::TokenCreate {
                username: "alice".into(),
                scopes: "read write follow push".into(),
            },
        )
        .unwrap();
        let token = output.lines().last().unwrap();
        let (caller, _) = app::oauth::authenticate_token(&app, token).unwrap();
        assert_eq!(caller.account_id, Some(account_id));
        assert_eq!(caller.scopes.as_str(), "read write follow push");
        let error = execute(
            &app,
            Command::TokenCreate {
                username: "nobody".into(),
                scopes: "read".into(),
            },
        )
        .unwrap_err();
        assert!(matches!(error, AdminError::NotFound(_)), "{error}");
        let error = execute(
            &app,
            Command::TokenCreate {
                username: "alice".into(),
                scopes: "root".into(),
            },
        )
        .unwrap_err();
        assert!(matches!(error, AdminError::Invalid(_)), "{error}");

        let output = execute(&app, Command::DbStats { json: false }).unwrap();
        let header = output.lines().next().unwrap();
        assert!(
            header.starts_with("table") && header.ends_with("fragmented"),
            "{output}"
        );
        let accounts_row = output
            .lines()
            .find(|line| line.starts_with("accountid_account "))
            .unwrap();
        assert_eq!(
            accounts_row.split_whitespace().nth(1),
            Some("1"),
            "{output}"
        );
        // Aligned: every table row is as long as the header.
        let table_rows: Vec<&str> = output
            .lines()
            .take_while(|line| !line.contains(" tables, "))
            .collect();
        assert!(
            table_rows.iter().all(|row| row.len() == header.len()),
            "{output}"
        );
        let json: serde_json::Value =
            serde_json::from_str(&execute(&app, Command::DbStats { json: true }).unwrap()).unwrap();
        assert!(json["file_bytes"].as_u64().unwrap() > 0);

        let output = execute(&app, Command::DbCheck).unwrap();
        assert!(output.contains("no problems"), "{output}");

        let backup_path = directory.path().join("backup.redb");
        let error = execute(
            &app,
            Command::DbBackup {
                path: "relative.redb".into(),
            },
        )
        .unwrap_err();
        assert!(matches!(error, AdminError::Invalid(_)), "{error}");
        let output = execute(
            &app,
            Command::DbBackup {
                path: backup_path.clone(),
            },
        )
        .unwrap();
        assert!(output.starts_with("Backed up "), "{output}");
        let error = execute(
            &app,
            Command::DbBackup {
                path: backup_path.clone(),
            },
        )
        .unwrap_err();
        assert!(error.to_string().contains("exists already"), "{error}");

        let backup = crate::store::Store::open(&backup_path, 4 << 20, 1 << 20).unwrap();
        let found = backup
            .read(|tx| {
                let id = crate::store::accounts::account_id_by_acct(tx, "alice")?;
                Ok::<_, StoreError>((id, crate::store::accounts::count_users(tx)?))
            })
            .unwrap();
        assert_eq!(found, (Some(account_id), 1));
    }

    #[test]
    fn domain_commands_block_update_list_and_lift() {
        let (_directory, app) = temp_app();
        let block = |domain: &str, severity: &str, comment: Option<&str>| Command::DomainBlock {
            domain: domain.into(),
            severity: severity.into(),
            reject_media: false,
            reject_reports: true,
            private_comment: comment.map(str::to_string),
            public_comment: None,
        };
        let output = execute(&app, block("Spam.Example", "suspend", Some("spam"))).unwrap();
        assert_eq!(output, "Blocked spam.example (suspend, reject reports)\n");
        let output = execute(&app, block("spam.example", "silence", None)).unwrap();
        assert_eq!(
            output,
            "Updated the block of spam.example (silence, reject reports)\n"
        );
        let error = execute(&app, block("spam.example", "obliterate", None)).unwrap_err();
        assert!(matches!(error, AdminError::Invalid(_)), "{error}");
        let error = execute(&app, block("https://x.example/", "noop", None)).unwrap_err();
        assert!(error.to_string().contains("not a valid domain"), "{error}");
        let allow = Command::DomainAllow {
            domain: "friends.example".into(),
        };
        assert_eq!(
            execute(&app, allow.clone()).unwrap(),
            "Allowed friends.example\n"
        );
        assert_eq!(
            execute(&app, allow).unwrap(),
            "friends.example is allowed already\n"
        );
        let output = execute(&app, Command::DomainList).unwrap();
        assert_eq!(
            output,
            "block  spam.example  silence  (reject reports)  # spam\n\
             allow  friends.example\n\
             1 block(s), 1 allow(s)\n"
        );
        let unblock = Command::DomainUnblock {
            domain: "spam.example".into(),
        };
        assert_eq!(
            execute(&app, unblock.clone()).unwrap(),
            "Unblocked spam.example\n"
        );
        assert!(matches!(
            execute(&app, unblock).unwrap_err(),
            AdminError::NotFound(_)
        ));
        let disallow = Command::DomainDisallow {
            domain: "friends.example".into(),
        };
        assert_eq!(
            execute(&app, disallow).unwrap(),
            "Removed the allow of friends.example\n"
        );
        assert_eq!(
            execute(&app, Command::DomainList).unwrap(),
            "0 block(s), 0 allow(s)\n"
        );
    }

    #[test]
    fn check_reports_problems_as_a_failure() {
        let (_directory, app) = temp_app();
        app.store
            .write(|tx| {
                tx.open_table(crate::store::schema::ACCT_ACCOUNTID)?
                    .insert("ghost", 42)?;
                Ok::<_, StoreError>(())
            })
            .unwrap();
        let error = execute(&app, Command::DbCheck).unwrap_err();
        let AdminError::Problems { count, report } = error else {
            panic!("{error}")
        };
        assert_eq!(count, 1);
        assert!(
            report.contains("\"ghost\" points at missing account 42"),
            "{report}"
        );
    }
}
