//! The `skerry` command line: `serve`, and the admin and database commands, which go through
//! the running server's admin socket when there is one (see `skerry::admin`).
//!
//! Exit codes: 0 success, 1 a command failed (or `db check` found problems), 2 a bad
//! command line or configuration.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use skerry::admin::moderation::ModerationCommand;
use skerry::admin::{self, Command};
use skerry::app::App;
use skerry::config::{Config, Overrides};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

/// Exit code of a configuration error, as clap uses for a bad command line.
const EXIT_CONFIG: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "skerry",
    version,
    about = "A single-binary ActivityPub server with a Mastodon-compatible API"
)]
struct Cli {
    /// Config file (none is read unless named); SKERRY_* variables override it
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Data directory, instead of storage.data_dir
    #[arg(long, global = true, value_name = "DIR")]
    data: Option<PathBuf>,
    #[command(subcommand)]
    command: TopCommand,
}

/// Threads of tokio's blocking pool (its default is 512). Store work serializes on redb's one
/// writer and signature checks are bounded by `federation.verify_threads_max`, so more threads
/// would add only memory: each one under load grows its own allocator arena.
const BLOCKING_THREADS_MAX: usize = 32;

#[derive(Debug, Subcommand)]
enum TopCommand {
    /// Run the server
    Serve {
        /// Address and port to listen on, instead of server.listen
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
        /// Public host name, instead of server.host
        #[arg(long, value_name = "HOST")]
        host: Option<String>,
    },
    /// Manage accounts, tokens, domain blocks and relays
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Exit 0 if the server on server.listen answers /health (for container health checks)
    Health,
    /// Inspect, check and back up the database
    Db {
        #[command(subcommand)]
        command: DbCommand,
    },
    /// Plan capacity: RAM, disk per day, steady-state disk and CPU share of a workload
    Capacity {
        /// A workload profile (TOML: local_users, followed_accounts, relay_activities_per_day,
        /// retention_days, db_bytes_max, ...) to project
        #[arg(long, value_name = "FILE")]
        profile: Option<PathBuf>,
        /// Costs measured by --calibrate (TOML); built-in reference figures without it
        #[arg(long, value_name = "FILE")]
        calibration: Option<PathBuf>,
        /// Measure the per-operation costs on this machine (under a minute) and print them
        #[arg(long)]
        calibrate: bool,
    },
    /// Growth of the database: daily samples per table, growth per day, projection
    Storage {
        #[command(subcommand)]
        command: StorageCommand,
    },
    /// Media tiers: usage, eviction, pruning, orphan sweep, refetch
    Media {
        #[command(subcommand)]
        command: MediaCommand,
    },
}

#[derive(Debug, Subcommand)]
enum StorageCommand {
    /// Per table: entries and bytes at the latest daily sample, bytes per day, in 30 days
    Report {
        /// Days of samples to compare
        #[arg(long, default_value_t = 30)]
        days: u64,
    },
}

#[derive(Debug, Subcommand)]
enum MediaCommand {
    /// Bytes and counts per tier (local, hot, cold) and per kind
    Usage,
    /// Run the eviction policy now
    Evict {
        /// Say what would move without moving anything
        #[arg(long)]
        dry_run: bool,
    },
    /// Remove remote media of posts older than N days from every tier (metadata stays)
    Prune {
        #[arg(long, value_name = "N")]
        days: u64,
    },
    /// Delete blob records, files and objects that nothing refers to
    RemoveOrphans,
    /// Fetch remote media that is in no tier again from its origin
    Refetch,
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Local accounts
    Account {
        #[command(subcommand)]
        command: AccountCommand,
    },
    /// Bearer tokens for the API
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Domain blocks and allows
    Domain {
        #[command(subcommand)]
        command: DomainCommand,
    },
    /// Reports from users and peers
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
    /// Invitations
    Invite {
        #[command(subcommand)]
        command: InviteCommand,
    },
    /// Announcements shown to every local user in their apps
    Announcement {
        #[command(subcommand)]
        command: AnnouncementCommand,
    },
    /// Server rules (shown at sign-up, in apps and in reports)
    Rule {
        #[command(subcommand)]
        command: RuleCommand,
    },
    /// Print the audit log of admin actions, newest first
    Audit {
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Relay subscriptions
    Relay {
        #[command(subcommand)]
        command: RelayCommand,
    },
    /// Custom emojis of this instance
    Emoji {
        #[command(subcommand)]
        command: EmojiCommand,
    },
}

#[derive(Debug, Subcommand)]
enum EmojiCommand {
    /// Add (or replace) a custom emoji from an image file (PNG, GIF, WebP, JPEG)
    Add {
        shortcode: String,
        file: PathBuf,
        #[arg(long, default_value = "")]
        category: String,
    },
    /// List the custom emojis
    List,
    /// Remove a custom emoji
    Remove { shortcode: String },
}

#[derive(Debug, Subcommand)]
enum RelayCommand {
    /// Subscribe to a relay: its inbox URL (https://relay.example/inbox, Mastodon style) or
    /// its actor URL (https://relay.example/actor, LitePub style)
    Add { url: String },
    /// List relays with their state, activities received per day and last contact
    List,
    /// Unsubscribe from a relay, named by its id or URL
    Remove { relay: String },
}

#[derive(Debug, Subcommand)]
enum DomainCommand {
    /// Block a domain and its subdomains; on a blocked domain, set its severity and options
    /// to these (comments are kept unless given)
    Block {
        /// Host name, such as example.com
        host: String,
        /// suspend: nothing in or out, follows end; silence: out of public timelines and
        /// notifications of non-followers; noop: only the options
        #[arg(long, default_value = "suspend", value_parser = ["suspend", "silence", "noop"])]
        severity: String,
        /// Reject media from it (not fetched, not kept)
        #[arg(long)]
        reject_media: bool,
        /// Reject reports (Flag) from it
        #[arg(long)]
        reject_reports: bool,
        /// A note for admins
        #[arg(long, value_name = "TEXT")]
        comment: Option<String>,
        /// A reason shown to everyone in /api/v1/instance/domain_blocks
        #[arg(long, value_name = "TEXT")]
        public_comment: Option<String>,
    },
    /// Lift the block of a domain
    Unblock { host: String },
    /// List blocks and allows
    List,
    /// Allow a domain (federation.allowlist_mode federates only with allowed domains)
    Allow { host: String },
    /// Remove the allow of a domain
    Disallow { host: String },
}

#[derive(Debug, Subcommand)]
enum AccountCommand {
    /// Create a local account and print its generated password
    Create {
        /// Username: letters, digits and underscores
        name: String,
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "user", value_parser = ["owner", "admin", "moderator", "user"])]
        role: String,
    },
    /// Act on an account (local `alice` or remote `bob@example.com`); recorded in the audit log
    Moderate {
        acct: String,
        #[arg(value_parser = ["warn", "sensitive", "unsensitive", "disable", "enable", "silence",
            "unsilence", "suspend", "unsuspend", "approve", "reject", "confirm"])]
        action: String,
        /// The reason, kept in the audit log
        #[arg(long, value_name = "TEXT", default_value = "")]
        text: String,
    },
    /// Give a local account a role
    Role {
        acct: String,
        #[arg(value_parser = ["owner", "admin", "moderator", "user"])]
        role: String,
    },
    /// List sign-ups waiting for approval
    Pending,
}

#[derive(Debug, Subcommand)]
enum ReportCommand {
    /// List open reports (or resolved ones)
    List {
        #[arg(long)]
        resolved: bool,
    },
    /// Resolve a report
    Resolve { id: u64 },
    /// Reopen a resolved report
    Reopen { id: u64 },
}

#[derive(Debug, Subcommand)]
enum AnnouncementCommand {
    /// Publish an announcement (plain text; paragraphs and links become HTML)
    Publish {
        text: String,
        /// Seconds until it is no longer shown (default: until deleted)
        #[arg(long, value_name = "SECS")]
        ends_in: Option<u64>,
    },
    List,
    Delete {
        id: u64,
    },
}

#[derive(Debug, Subcommand)]
enum RuleCommand {
    /// Add a rule at the end
    Add {
        text: String,
        /// A longer explanation
        #[arg(long, default_value = "")]
        hint: String,
    },
    List,
    Remove {
        id: u64,
    },
}

#[derive(Debug, Subcommand)]
enum InviteCommand {
    /// Create an invitation; sign-up with its code works in every registrations mode
    Create {
        /// Seconds until it expires (default: never)
        #[arg(long, value_name = "SECS")]
        expires_in: Option<u64>,
        /// How many accounts it admits (default: any number)
        #[arg(long, value_name = "N")]
        uses: Option<u32>,
    },
    List,
    Revoke {
        code: String,
    },
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Issue a bearer token for a local account and print it
    Create {
        /// Username of a local account
        name: String,
        /// Space-separated OAuth scopes
        #[arg(long, default_value = "read")]
        scopes: String,
    },
}

#[derive(Debug, Subcommand)]
enum DbCommand {
    /// Entries and bytes per table, and the file size
    Stats {
        /// Print JSON instead of a table
        #[arg(long)]
        json: bool,
    },
    /// Decode every record and follow every index; fails if there are problems
    Check,
    /// Write a consistent copy of the database to PATH (which must not exist), also while
    /// the server runs
    Backup { path: PathBuf },
}

/// glibc's malloc gives each thread that contends for the heap an arena of its own (up to
/// eight per core) and keeps what is freed in it. Under ingest load the blocking pool's
/// threads made the server's peak RSS about 90 MiB against about 51 MiB with two arenas, at
/// the same throughput (README, *Ingestion under load*). Two suffice: store work serializes
/// on redb's one writer.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MALLOC_ARENAS_MAX: i32 = 2;

/// Caps glibc's malloc arenas unless the admin chose a number (`MALLOC_ARENA_MAX`). Runs
/// first in `main`, before any other thread exists.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_malloc_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        return;
    }
    // SAFETY: `mallopt` only sets a malloc parameter; no other thread is running yet.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, MALLOC_ARENAS_MAX);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}

fn main() -> ExitCode {
    limit_malloc_arenas();
    let cli = Cli::parse();
    let (listen, host) = match &cli.command {
        TopCommand::Serve { listen, host } => (listen.clone(), host.clone()),
        _ => (None, None),
    };
    let overrides = Overrides {
        data_dir: cli.data.clone(),
        listen,
        host,
    };
    let config = match Config::load(
        cli.config.as_deref(),
        skerry::config::skerry_environment(),
        &overrides,
    ) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("skerry: {error}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .max_blocking_threads(BLOCKING_THREADS_MAX)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("skerry: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            TopCommand::Serve { .. } => serve(config).await,
            TopCommand::Health => health(config).await,
            TopCommand::Admin { command } => {
                run_admin_command(config, admin_command(command)).await
            }
            TopCommand::Db { command } => match db_command(command) {
                Ok(command) => run_admin_command(config, command).await,
                Err(error) => Err(error),
            },
            TopCommand::Storage {
                command: StorageCommand::Report { days },
            } => run_admin_command(config, Command::StorageReport { days }).await,
            TopCommand::Capacity {
                profile,
                calibration,
                calibrate,
            } => capacity(config, profile, calibration, calibrate).await,
            TopCommand::Media { command } => {
                let command = match command {
                    MediaCommand::Usage => Command::MediaUsage,
                    MediaCommand::Evict { dry_run } => Command::MediaEvict { dry_run },
                    MediaCommand::Prune { days } => Command::MediaPrune { days },
                    MediaCommand::RemoveOrphans => Command::MediaRemoveOrphans,
                    MediaCommand::Refetch => Command::MediaRefetch,
                };
                run_admin_command(config, command).await
            }
        }
    });
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("skerry: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn admin_command(command: AdminCommand) -> Command {
    match command {
        AdminCommand::Account { command } => match command {
            AccountCommand::Create { name, email, role } => Command::AccountCreate {
                username: name,
                email,
                role,
            },
            AccountCommand::Moderate { acct, action, text } => {
                Command::Moderation(ModerationCommand::Account { acct, action, text })
            }
            AccountCommand::Role { acct, role } => {
                Command::Moderation(ModerationCommand::Role { acct, role })
            }
            AccountCommand::Pending => Command::Moderation(ModerationCommand::Pending),
        },
        AdminCommand::Report { command } => Command::Moderation(match command {
            ReportCommand::List { resolved } => ModerationCommand::Reports { resolved },
            ReportCommand::Resolve { id } => ModerationCommand::Report {
                id,
                change: "resolve".into(),
            },
            ReportCommand::Reopen { id } => ModerationCommand::Report {
                id,
                change: "reopen".into(),
            },
        }),
        AdminCommand::Invite { command } => Command::Moderation(match command {
            InviteCommand::Create { expires_in, uses } => ModerationCommand::InviteCreate {
                expires_in_secs: expires_in,
                uses_max: uses,
            },
            InviteCommand::List => ModerationCommand::InviteList,
            InviteCommand::Revoke { code } => ModerationCommand::InviteRevoke { code },
        }),
        AdminCommand::Audit { limit } => Command::Moderation(ModerationCommand::Audit { limit }),
        AdminCommand::Announcement { command } => Command::Moderation(match command {
            AnnouncementCommand::Publish { text, ends_in } => {
                ModerationCommand::AnnouncementPublish {
                    text,
                    ends_in_secs: ends_in,
                }
            }
            AnnouncementCommand::List => ModerationCommand::AnnouncementList,
            AnnouncementCommand::Delete { id } => ModerationCommand::AnnouncementDelete { id },
        }),
        AdminCommand::Rule { command } => Command::Moderation(match command {
            RuleCommand::Add { text, hint } => ModerationCommand::RuleAdd { text, hint },
            RuleCommand::List => ModerationCommand::RuleList,
            RuleCommand::Remove { id } => ModerationCommand::RuleRemove { id },
        }),
        AdminCommand::Token {
            command: TokenCommand::Create { name, scopes },
        } => Command::TokenCreate {
            username: name,
            scopes,
        },
        AdminCommand::Domain { command } => match command {
            DomainCommand::Block {
                host,
                severity,
                reject_media,
                reject_reports,
                comment,
                public_comment,
            } => Command::DomainBlock {
                domain: host,
                severity,
                reject_media,
                reject_reports,
                private_comment: comment,
                public_comment,
            },
            DomainCommand::Unblock { host } => Command::DomainUnblock { domain: host },
            DomainCommand::List => Command::DomainList,
            DomainCommand::Allow { host } => Command::DomainAllow { domain: host },
            DomainCommand::Disallow { host } => Command::DomainDisallow { domain: host },
        },
        AdminCommand::Relay { command } => match command {
            RelayCommand::Add { url } => Command::RelayAdd { url },
            RelayCommand::List => Command::RelayList,
            RelayCommand::Remove { relay } => Command::RelayRemove { relay },
        },
        AdminCommand::Emoji { command } => match command {
            // Absolute, because the server that reads it has its own working directory.
            EmojiCommand::Add {
                shortcode,
                file,
                category,
            } => Command::EmojiAdd {
                shortcode,
                path: std::path::absolute(&file).unwrap_or(file),
                category,
            },
            EmojiCommand::List => Command::EmojiList,
            EmojiCommand::Remove { shortcode } => Command::EmojiRemove { shortcode },
        },
    }
}

fn db_command(command: DbCommand) -> anyhow::Result<Command> {
    Ok(match command {
        DbCommand::Stats { json } => Command::DbStats { json },
        DbCommand::Check => Command::DbCheck,
        // Absolute, because the server that may write it has its own working directory.
        DbCommand::Backup { path } => Command::DbBackup {
            path: std::path::absolute(&path)
                .with_context(|| format!("backup path {}", path.display()))?,
        },
    })
}

/// Sends `command` to the running server, or runs it on the database directly when no
/// server listens; prints the answer either way.
async fn run_admin_command(config: Config, command: Command) -> anyhow::Result<ExitCode> {
    let socket_path = config.admin_socket_path();
    let response = match admin::socket::send(&socket_path, &command).await? {
        Some(response) => response,
        None => {
            let database_path = config.database_path();
            if command.needs_existing_database() && !database_path.exists() {
                anyhow::bail!("no database at {}", database_path.display());
            }
            let app = open_app(config).await?;
            let result = tokio::task::spawn_blocking(move || admin::execute(&app, command))
                .await
                .context("the command panicked")?;
            admin::Response::from_result(result)
        }
    };
    if let Some(output) = &response.output {
        print!("{output}");
    }
    if let Some(error) = &response.error {
        eprintln!("skerry: {error}");
    }
    Ok(if response.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `skerry capacity`: calibrate on this machine, or project a profile.
async fn capacity(
    config: Config,
    profile: Option<PathBuf>,
    calibration: Option<PathBuf>,
    calibrate: bool,
) -> anyhow::Result<ExitCode> {
    use skerry::federation::capacity;
    if calibrate {
        let scratch = std::env::temp_dir().join(format!("skerry-calibrate-{}", std::process::id()));
        let measured = capacity::calibrate(&config, &scratch)
            .await
            .context("calibration")?;
        // The same TOML `--calibration FILE` reads.
        println!(
            "# skerry capacity --calibrate, {} activities",
            capacity::CALIBRATION_ACTIVITIES
        );
        println!("cpu_us_per_activity = {:.1}", measured.cpu_us_per_activity);
        println!(
            "cpu_us_per_signature = {:.1}",
            measured.cpu_us_per_signature
        );
        println!("bytes_per_status = {:.1}", measured.bytes_per_status);
        println!("bytes_per_account = {:.1}", measured.bytes_per_account);
        println!(
            "bytes_per_seen_activity = {:.1}",
            measured.bytes_per_seen_activity
        );
        println!("bytes_per_tombstone = {:.1}", measured.bytes_per_tombstone);
        println!("bytes_per_media = {:.1}", measured.bytes_per_media);
        println!("dictionary_bytes = {:.1}", measured.dictionary_bytes);
        println!("rss_base_bytes = {:.1}", measured.rss_base_bytes);
        println!("cpu_us_per_commit = {:.1}", measured.cpu_us_per_commit);
        return Ok(ExitCode::SUCCESS);
    }
    let Some(profile) = profile else {
        anyhow::bail!("give --profile FILE, or --calibrate");
    };
    let profile = capacity::read_profile(&profile).map_err(anyhow::Error::msg)?;
    let costs = match calibration {
        Some(path) => {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("calibration {}", path.display()))?;
            toml::from_str(&text).with_context(|| format!("calibration {}", path.display()))?
        }
        None => capacity::Calibration::default(),
    };
    print!(
        "{}",
        capacity::render(&profile, &capacity::plan(&profile, &costs))
    );
    Ok(ExitCode::SUCCESS)
}

/// Asks the local server's `/health` over plain HTTP/1.1, with a 5-second budget.
async fn health(config: Config) -> anyhow::Result<ExitCode> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut address = config.listen_addr();
    if address.ip().is_unspecified() {
        // Listening on every address: ask on loopback.
        address.set_ip(if address.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    let ask = async {
        let mut stream = tokio::net::TcpStream::connect(address).await?;
        stream
            .write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .await?;
        let mut head = [0u8; 16];
        let read = stream.read(&mut head).await?;
        Ok::<_, std::io::Error>(head[..read].starts_with(b"HTTP/1.1 200"))
    };
    match tokio::time::timeout(std::time::Duration::from_secs(5), ask).await {
        Ok(Ok(true)) => Ok(ExitCode::SUCCESS),
        Ok(Ok(false)) => anyhow::bail!("{address} answered /health with an error"),
        Ok(Err(error)) => anyhow::bail!("{address}: {error}"),
        Err(_) => anyhow::bail!("{address} did not answer /health within 5 s"),
    }
}

/// Opens the database on a blocking thread (it may recover after a crash, which reads the
/// whole file).
async fn open_app(config: Config) -> anyhow::Result<App> {
    let database_path = config.database_path();
    tokio::task::spawn_blocking(move || App::open(config))
        .await
        .context("opening the database panicked")?
        .with_context(|| {
            format!(
                "cannot open the database {} (is another skerry process using it?)",
                database_path.display()
            )
        })
}

async fn serve(config: Config) -> anyhow::Result<ExitCode> {
    // rustls has two providers compiled in (ring comes with object_store's S3 support); the
    // clients we do not build ourselves (object_store's) use this one too.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let filter: Targets = config.log.level.parse().expect("validated in Config::load");
    tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer())
        .with(filter)
        .init();
    // Registered before anything else, so a signal during start-up is not lost.
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;

    if config.federation.allow_private_networks {
        tracing::warn!(
            "federation.allow_private_networks is on: outbound fetches may reach loopback and \
             private networks over plain http. For tests and local development only, never on \
             a public server"
        );
    }
    let listen = config.listen_addr();
    let app = open_app(config).await?;
    let startup_app = app.clone();
    let (instance_key, local_users) = tokio::task::spawn_blocking(move || {
        let key = admin::startup::ensure_instance_key(&startup_app)?;
        Ok::<_, admin::AdminError>((key, admin::startup::local_user_count(&startup_app)?))
    })
    .await
    .context("start-up panicked")??;
    if instance_key == admin::startup::InstanceKey::Created {
        tracing::info!("created the instance key");
    }
    if local_users == 0 {
        tracing::warn!(
            "there is no account yet; create the first one with: {}",
            admin::startup::FIRST_ACCOUNT_HINT
        );
    }

    let socket = admin::socket::bind(&app.config.admin_socket_path())?;
    tracing::info!(
        "Skerry {} serving {} on http://{listen}; admin socket {}",
        env!("CARGO_PKG_VERSION"),
        app.base_url,
        socket.path().display()
    );
    // The admin socket server watches this; `true` means stop. The sender lives in the HTTP
    // server's shutdown future, so the admin socket also stops when the HTTP server ends
    // on its own (an error), because that drops the future and closes the channel.
    let (stop_sender, stop) = watch::channel(false);
    let admin_server = tokio::spawn(admin::socket::serve(app.clone(), socket, stop));
    let shutdown = async move {
        tokio::select! {
            _ = interrupt.recv() => tracing::info!("SIGINT: shutting down"),
            _ = terminate.recv() => tracing::info!("SIGTERM: shutting down"),
        }
        let _ = stop_sender.send(true);
    };
    let served = skerry::http::run(app, shutdown).await;
    admin_server
        .await
        .context("the admin socket server panicked")?;
    served.context("HTTP server")?;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn commands_parse_into_admin_commands() {
        let cli = Cli::try_parse_from([
            "skerry",
            "admin",
            "account",
            "create",
            "alice",
            "--email",
            "a@example.com",
            "--role",
            "owner",
            "--data",
            "/d",
        ])
        .unwrap();
        assert_eq!(cli.data, Some(PathBuf::from("/d")));
        let TopCommand::Admin { command } = cli.command else {
            panic!()
        };
        assert_eq!(
            admin_command(command),
            Command::AccountCreate {
                username: "alice".into(),
                email: "a@example.com".into(),
                role: "owner".into()
            }
        );
        assert!(
            Cli::try_parse_from([
                "skerry", "admin", "account", "create", "x", "--email", "e@x", "--role", "king"
            ])
            .is_err()
        );
        let cli = Cli::try_parse_from([
            "skerry",
            "admin",
            "domain",
            "block",
            "example.com",
            "--severity",
            "silence",
            "--reject-media",
            "--comment",
            "spam",
        ])
        .unwrap();
        let TopCommand::Admin { command } = cli.command else {
            panic!()
        };
        assert_eq!(
            admin_command(command),
            Command::DomainBlock {
                domain: "example.com".into(),
                severity: "silence".into(),
                reject_media: true,
                reject_reports: false,
                private_comment: Some("spam".into()),
                public_comment: None,
            }
        );
        let cli = Cli::try_parse_from(["skerry", "--config", "c.toml", "db", "backup", "b.redb"])
            .unwrap();
        let TopCommand::Db { command } = cli.command else {
            panic!()
        };
        let Command::DbBackup { path } = db_command(command).unwrap() else {
            panic!()
        };
        assert!(path.is_absolute() && path.ends_with("b.redb"));
    }
}
