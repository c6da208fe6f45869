//! Domain blocks and allows: the admin operations that change them, and the questions the
//! rest of the server asks of them (is this host refused, is this account silenced).
//!
//! A block covers its domain and every subdomain (`store::domains` looks up the host and
//! its parents), on every port. Severities, as Mastodon's:
//! - `suspend`: nothing is accepted from the domain (inbox 403, queued activities dropped,
//!   fetches refused), nothing is sent to it, its accounts are not shown (404), and
//!   suspending it ends every follow between its accounts and ours in the same transaction;
//! - `silence` (Mastodon's "limit"): its statuses stay out of the public and hashtag
//!   timelines, and its accounts notify only local users who follow them;
//! - `noop`: only the options apply. `reject_media` keeps the domain's media out of every tier;
//!   `reject_reports` drops the `Flag`s its servers send.
//!
//! Every operation names its `admin::Actor` and checks its role inside its transaction.

use redb::WriteTransaction;

use crate::model::{Account, AccountId, AuditAction, DomainAllow, DomainBlock, Role, Severity};
use crate::store::{Edge, Page, Reader, accounts, domains};
use crate::util::time::now_ms;

use super::admin::{self, Actor};
use super::{App, AppError, moderation, relationships};

/// Longest domain name (RFC 1035: 253 characters in text form).
pub const DOMAIN_BYTES_MAX: usize = 253;
/// Longest label of a domain name (RFC 1035).
const LABEL_BYTES_MAX: usize = 63;
/// Longest private or public comment of a block, in characters.
pub const COMMENT_CHARS_MAX: usize = 1_000;
/// Blocks and allows an instance may hold; `domain list` and the public list read them all.
pub const DOMAIN_BLOCKS_MAX: usize = 100_000;
pub const DOMAIN_ALLOWS_MAX: usize = 100_000;
/// Local users, and follow edges per local user and direction, looked at when a suspension
/// ends follows. A server past these keeps the rest of those follows, which stay inert
/// (nothing is sent to or accepted from a suspended domain); a warning says so.
const SEVER_USERS_MAX: usize = 100_000;
const SEVER_EDGES_PER_USER_MAX: usize = 100_000;

/// A new block, as the API and the command line give it.
#[derive(Clone, Debug)]
pub struct BlockInput {
    pub domain: String,
    pub severity: Severity,
    /// Its media is not fetched or kept.
    pub reject_media: bool,
    /// Its reports (`Flag`) are dropped.
    pub reject_reports: bool,
    pub private_comment: String,
    pub public_comment: String,
    pub obfuscate: bool,
}

/// A change to a block: `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct BlockUpdate {
    pub severity: Option<Severity>,
    pub reject_media: Option<bool>,
    pub reject_reports: Option<bool>,
    pub private_comment: Option<String>,
    pub public_comment: Option<String>,
    pub obfuscate: Option<bool>,
}

fn invalid_domain() -> AppError {
    AppError::Validation("Domain is not a valid domain name".into())
}

/// A domain as blocks and allows store it: lowercase, IDNA (punycode) through the URL
/// standard's host parser, no scheme, port, path or wildcard, at most 253 bytes. An IPv4
/// address is accepted as it is written; IPv6 literals are not.
pub fn normalize_domain(text: &str) -> Result<String, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(AppError::Validation("Domain can't be blank".into()));
    }
    // A trailing dot names the same domain.
    let text = text.strip_suffix('.').unwrap_or(text);
    if text.len() > DOMAIN_BYTES_MAX * 4 || text.contains(['/', ':', '@', '[', '*']) {
        return Err(invalid_domain());
    }
    let domain = match url::Host::parse(text).map_err(|_| invalid_domain())? {
        url::Host::Domain(domain) => domain,
        url::Host::Ipv4(address) => address.to_string(),
        url::Host::Ipv6(_) => return Err(invalid_domain()),
    };
    let well_formed = domain.len() <= DOMAIN_BYTES_MAX
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= LABEL_BYTES_MAX
                && label.bytes().all(|byte| {
                    byte.is_ascii_lowercase()
                        || byte.is_ascii_digit()
                        || byte == b'-'
                        || byte == b'_'
                })
        });
    if !well_formed {
        return Err(invalid_domain());
    }
    Ok(domain)
}

/// The host name of `host` (`name` or `name:port`), lowercase, without the port.
fn host_name(host: &str) -> String {
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|byte| byte.is_ascii_digit()) => name,
        _ => host,
    };
    name.to_ascii_lowercase()
}

/// Whether `host` (with or without a port) is `domain` or one of its subdomains.
pub fn covers(domain: &str, host: &str) -> bool {
    let name = host_name(host);
    name == domain
        || name
            .strip_suffix(domain)
            .is_some_and(|rest| rest.ends_with('.'))
}

/// Refuses a domain that covers our own host: blocking ourselves would only confuse.
fn refuse_own_host(app: &App, domain: &str) -> Result<(), AppError> {
    if covers(domain, &app.config.server.host) {
        return Err(AppError::Validation(
            "Domain is this server's own host".into(),
        ));
    }
    Ok(())
}

fn check_comment(name: &str, text: &str) -> Result<(), AppError> {
    if text.chars().count() > COMMENT_CHARS_MAX {
        return Err(AppError::Validation(format!(
            "{name} is too long (maximum is {COMMENT_CHARS_MAX} characters)"
        )));
    }
    Ok(())
}

/// Blocks a domain. Suspending ends the follows between its accounts and ours.
pub fn block_domain(app: &App, actor: Actor, input: BlockInput) -> Result<DomainBlock, AppError> {
    let domain = normalize_domain(&input.domain)?;
    refuse_own_host(app, &domain)?;
    check_comment("Private comment", &input.private_comment)?;
    check_comment("Public comment", &input.public_comment)?;
    let block = DomainBlock {
        id: app.next_id(),
        domain,
        severity: input.severity,
        reject_media: input.reject_media,
        reject_reports: input.reject_reports,
        private_comment: input.private_comment,
        public_comment: input.public_comment,
        obfuscate: input.obfuscate,
        created_ms: now_ms(),
    };
    app.write(|tx| {
        admin::require_role(app, tx, actor, Role::Admin)?;
        if domains::block_of_domain(tx, &block.domain, app.bytes_max())?.is_some() {
            return Err(AppError::Validation("Domain has already been taken".into()));
        }
        if domains::count_blocks(tx)? >= DOMAIN_BLOCKS_MAX as u64 {
            return Err(AppError::Validation(format!(
                "There are {DOMAIN_BLOCKS_MAX} domain blocks already"
            )));
        }
        domains::put_block(tx, &block)?;
        if block.severity == Severity::Suspend {
            sever_follows(app, tx, &block.domain)?;
        }
        let text = format!("{} {}", block.severity.name(), block.private_comment);
        moderation::audit(
            app,
            tx,
            actor,
            AuditAction::BlockDomain,
            block.domain.clone(),
            text.trim(),
        )?;
        Ok(block.clone())
    })
}

/// Changes a block's severity, options or comments.
pub fn update_block(
    app: &App,
    actor: Actor,
    id: u64,
    update: BlockUpdate,
) -> Result<DomainBlock, AppError> {
    for (name, text) in [
        ("Private comment", &update.private_comment),
        ("Public comment", &update.public_comment),
    ] {
        if let Some(text) = text {
            check_comment(name, text)?;
        }
    }
    app.write(|tx| {
        admin::require_role(app, tx, actor, Role::Admin)?;
        let mut block = domains::get_block(tx, id, app.bytes_max())?.ok_or(AppError::NotFound)?;
        let was_suspended = block.severity == Severity::Suspend;
        let update = update.clone();
        block.severity = update.severity.unwrap_or(block.severity);
        block.reject_media = update.reject_media.unwrap_or(block.reject_media);
        block.reject_reports = update.reject_reports.unwrap_or(block.reject_reports);
        block.private_comment = update.private_comment.unwrap_or(block.private_comment);
        block.public_comment = update.public_comment.unwrap_or(block.public_comment);
        block.obfuscate = update.obfuscate.unwrap_or(block.obfuscate);
        domains::put_block(tx, &block)?;
        if block.severity == Severity::Suspend && !was_suspended {
            sever_follows(app, tx, &block.domain)?;
        }
        let text = format!("{} {}", block.severity.name(), block.private_comment);
        moderation::audit(
            app,
            tx,
            actor,
            AuditAction::UpdateDomainBlock,
            block.domain.clone(),
            text.trim(),
        )?;
        Ok(block)
    })
}

/// Lifts a block; returns it as it was. Follows it ended stay ended (as in Mastodon).
pub fn unblock_domain(app: &App, actor: Actor, id: u64) -> Result<DomainBlock, AppError> {
    app.write(|tx| {
        admin::require_role(app, tx, actor, Role::Admin)?;
        let block = domains::get_block(tx, id, app.bytes_max())?.ok_or(AppError::NotFound)?;
        domains::remove_block(tx, &block)?;
        moderation::audit(
            app,
            tx,
            actor,
            AuditAction::UnblockDomain,
            block.domain.clone(),
            "",
        )?;
        Ok(block)
    })
}

/// A page of blocks, newest first.
pub fn list_blocks(app: &App, actor: Actor, page: Page) -> Result<Vec<DomainBlock>, AppError> {
    app.store.read(|tx| {
        admin::require_role(app, tx, actor, Role::Admin)?;
        Ok(domains::page_blocks(tx, page, app.bytes_max())?)
    })
}

pub fn get_block(app: &App, actor: Actor, id: u64) -> Result<DomainBlock, AppError> {
    app.store.read(|tx| {
        admin::require_role(app, tx, actor, Role::Admin)?;
        domains::get_block(tx, id, app.bytes_max())?.ok_or(AppError::NotFound)
    })
}

/// The block of exactly `domain` (normalized first), if any.
pub fn block_by_domain(
    app: &App,
    actor: Actor,
    domain: &str,
) -> Result<Option<DomainBlock>, AppError> {
    let domain = normalize_domain(domain)?;
    app.store.read(|tx| {
        admin::require_role(app, tx, actor, Role::Admin)?;
        Ok(domains::block_of_domain(tx, &domain, app.bytes_max())?)
    })
}

/// Every block and allow, ordered by domain (for `skerry admin domain list`).
pub fn all_blocks_and_allows(
    app: &App,
    actor: Actor,
) -> Result<(Vec<DomainBlock>, Vec<DomainAllow>), AppError> {
    app.store.read(|tx| {
        admin::require_role(app, tx, actor, Role::Admin)?;
        let mut blocks = domains::list_blocks(tx, DOMAIN_BLOCKS_MAX, app.bytes_max())?;
        let mut allows = domains::list_allows(tx, DOMAIN_ALLOWS_MAX, app.bytes_max())?;
        blocks.sort_by(|a, b| a.domain.cmp(&b.domain));
        allows.sort_by(|a, b| a.domain.cmp(&b.domain));
        Ok((blocks, allows))
    })
}

/// The blocks anyone may see (`GET /api/v1/instance/domain_blocks`): those that limit or
/// suspend, ordered by domain, as Mastodon lists them.
pub fn public_blocks(app: &App) -> Result<Vec<DomainBlock>, AppError> {
    app.store.read(|tx| {
        let mut blocks: Vec<DomainBlock> =
            domains::list_blocks(tx, DOMAIN_BLOCKS_MAX, app.bytes_max())?
                .into_iter()
                .filter(|block| block.severity != Severity::Noop)
                .collect();
        blocks.sort_by(|a, b| a.domain.cmp(&b.domain));
        Ok(blocks)
    })
}

/// Allows a domain (it matters in `federation.allowlist_mode`). Allowing a domain twice
/// answers the existing allow, as Mastodon does; the flag says whether it is new.
pub fn allow_domain(
    app: &App,
    actor: Actor,
    domain: &str,
) -> Result<(DomainAllow, bool), AppError> {
    let domain = normalize_domain(domain)?;
    let allow = DomainAllow {
        id: app.next_id(),
        domain,
        created_ms: now_ms(),
    };
    app.write(|tx| {
        admin::require_role(app, tx, actor, Role::Admin)?;
        if let Some(id) = domains::allow_of_domain(tx, &allow.domain)? {
            let existing = domains::get_allow(tx, id, app.bytes_max())?.ok_or_else(|| {
                AppError::Internal(format!("allow index names missing allow {id}"))
            })?;
            return Ok((existing, false));
        }
        if domains::count_allows(tx)? >= DOMAIN_ALLOWS_MAX as u64 {
            return Err(AppError::Validation(format!(
                "There are {DOMAIN_ALLOWS_MAX} domain allows already"
            )));
        }
        domains::put_allow(tx, &allow)?;
        moderation::audit(
            app,
            tx,
            actor,
            AuditAction::AllowDomain,
            allow.domain.clone(),
            "",
        )?;
        Ok((allow.clone(), true))
    })
}

/// Removes an allow; returns it as it was.
pub fn disallow_domain(app: &App, actor: Actor, id: u64) -> Result<DomainAllow, AppError> {
    app.write(|tx| {
        admin::require_role(app, tx, actor, Role::Admin)?;
        let allow = domains::get_allow(tx, id, app.bytes_max())?.ok_or(AppError::NotFound)?;
        domains::remove_allow(tx, &allow)?;
        moderation::audit(
            app,
            tx,
            actor,
            AuditAction::DisallowDomain,
            allow.domain.clone(),
            "",
        )?;
        Ok(allow)
    })
}

pub fn list_allows(app: &App, actor: Actor, page: Page) -> Result<Vec<DomainAllow>, AppError> {
    app.store.read(|tx| {
        admin::require_role(app, tx, actor, Role::Admin)?;
        Ok(domains::page_allows(tx, page, app.bytes_max())?)
    })
}

pub fn get_allow(app: &App, actor: Actor, id: u64) -> Result<DomainAllow, AppError> {
    app.store.read(|tx| {
        admin::require_role(app, tx, actor, Role::Admin)?;
        domains::get_allow(tx, id, app.bytes_max())?.ok_or(AppError::NotFound)
    })
}

/// The allow of exactly `domain` (normalized first), if any.
pub fn allow_by_domain(
    app: &App,
    actor: Actor,
    domain: &str,
) -> Result<Option<DomainAllow>, AppError> {
    let domain = normalize_domain(domain)?;
    app.store.read(|tx| {
        admin::require_role(app, tx, actor, Role::Admin)?;
        match domains::allow_of_domain(tx, &domain)? {
            Some(id) => Ok(domains::get_allow(tx, id, app.bytes_max())?),
            None => Ok(None),
        }
    })
}

/// The SHA-256 of a domain in hex, as Mastodon's `digest` (lets others check a domain
/// against an obfuscated list).
pub fn digest_hex(domain: &str) -> String {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, domain.as_bytes())
        .as_ref()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The domain as the public list shows it: with `obfuscate`, its middle half replaced by
/// asterisks (Mastodon's `public_domain`).
pub fn public_domain(block: &DomainBlock) -> String {
    if !block.obfuscate {
        return block.domain.clone();
    }
    let characters: Vec<char> = block.domain.chars().collect();
    let (start, hidden) = (characters.len() / 4, characters.len() / 2);
    characters
        .iter()
        .enumerate()
        .map(|(index, character)| {
            if (start..start + hidden).contains(&index) {
                '*'
            } else {
                *character
            }
        })
        .collect()
}

// Questions the rest of the server asks.

/// The block that applies to `host` (its own or a parent domain's), if any.
pub fn block_for_host(
    app: &App,
    reader: &impl Reader,
    host: &str,
) -> Result<Option<DomainBlock>, AppError> {
    Ok(domains::block_for_host(reader, host, app.bytes_max())?)
}

/// Whether federation with `host` is refused: it is under a suspension, or
/// `federation.allowlist_mode` is on and it is not allowed.
pub fn refuses_host(app: &App, reader: &impl Reader, host: &str) -> Result<bool, AppError> {
    if block_for_host(app, reader, host)?.is_some_and(|block| block.severity == Severity::Suspend) {
        return Ok(true);
    }
    Ok(app.config.federation.allowlist_mode && !domains::is_allowed(reader, host)?)
}

/// Whether deliveries to the inbox `url` are refused (a URL without a host is).
pub fn refuses_inbox(app: &App, reader: &impl Reader, url: &str) -> Result<bool, AppError> {
    match url::Url::parse(url)
        .ok()
        .and_then(|url| url.host_str().map(str::to_string))
    {
        Some(host) => refuses_host(app, reader, &host),
        None => Ok(true),
    }
}

/// The block that applies to a remote account's domain, if any (`None` for local accounts).
pub fn severity_block(
    app: &App,
    reader: &impl Reader,
    account: &Account,
) -> Result<Option<DomainBlock>, AppError> {
    match &account.domain {
        None => Ok(None),
        Some(domain) => block_for_host(app, reader, domain),
    }
}

/// The severity that applies to a remote account's domain (`None` for local accounts and
/// unblocked domains).
pub fn severity_of(
    app: &App,
    reader: &impl Reader,
    account: &Account,
) -> Result<Option<Severity>, AppError> {
    match &account.domain {
        None => Ok(None),
        Some(domain) => Ok(block_for_host(app, reader, domain)?.map(|block| block.severity)),
    }
}

/// Whether an account is limited: by a moderator, or by the block of its domain.
pub fn is_silenced(app: &App, reader: &impl Reader, id: AccountId) -> Result<bool, AppError> {
    if super::moderation::is_silenced(app, reader, id)? {
        return Ok(true);
    }
    let Some(account) = accounts::get_account(reader, id, app.bytes_max())? else {
        return Ok(false);
    };
    Ok(severity_of(app, reader, &account)? == Some(Severity::Silence))
}

/// Ends every follow and follow request between local accounts and accounts under `domain`,
/// both ways, with their counters and home feed entries (Mastodon does the same on suspend).
fn sever_follows(app: &App, tx: &WriteTransaction, domain: &str) -> Result<(), AppError> {
    let under_domain = |id: u64| -> Result<bool, AppError> {
        Ok(accounts::get_account(tx, AccountId(id), app.bytes_max())?
            .and_then(|account| account.domain)
            .is_some_and(|host| covers(domain, &host)))
    };
    let users = accounts::local_user_ids(tx, SEVER_USERS_MAX)?;
    if users.len() == SEVER_USERS_MAX {
        tracing::warn!(%domain, "suspension looked at the first {SEVER_USERS_MAX} local users only");
    }
    let mut severed = 0usize;
    for user in users {
        let max = SEVER_EDGES_PER_USER_MAX;
        for other in Edge::FOLLOW.all_of_a(tx, user.0, max)? {
            if under_domain(other)? {
                relationships::remove_follow(tx, user, AccountId(other))?;
                severed += 1;
            }
        }
        for other in Edge::FOLLOW.all_of_b(tx, user.0, max)? {
            if under_domain(other)? {
                relationships::remove_follow(tx, AccountId(other), user)?;
                severed += 1;
            }
        }
        for other in Edge::FOLLOW_REQUEST.all_of_a(tx, user.0, max)? {
            if under_domain(other)? {
                Edge::FOLLOW_REQUEST.remove(tx, user.0, other)?;
            }
        }
        for other in Edge::FOLLOW_REQUEST.all_of_b(tx, user.0, max)? {
            if under_domain(other)? {
                Edge::FOLLOW_REQUEST.remove(tx, other, user.0)?;
            }
        }
    }
    tracing::info!(%domain, severed, "suspension ended follows");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_normalize_or_fail() {
        let cases: [(&str, Option<&str>); 14] = [
            ("Example.COM", Some("example.com")),
            ("  example.com.  ", Some("example.com")),
            ("bücher.example", Some("xn--bcher-kva.example")),
            ("sub.example.social", Some("sub.example.social")),
            ("127.0.0.2", Some("127.0.0.2")),
            ("", None),
            ("https://example.com", None),
            ("example.com/path", None),
            ("example.com:8443", None),
            ("*.example.com", None),
            ("exa mple.com", None),
            ("[::1]", None),
            ("a..b", None),
            ("user@example.com", None),
        ];
        for (input, expected) in cases {
            assert_eq!(
                normalize_domain(input).ok().as_deref(),
                expected,
                "{input:?}"
            );
        }
        let long = format!("{}.com", "a.".repeat(130));
        assert!(normalize_domain(&long).is_err());
        assert!(normalize_domain(&format!("{}.com", "a".repeat(64))).is_err());
    }

    #[test]
    fn a_domain_covers_itself_and_its_subdomains_on_any_port() {
        assert!(covers("example.com", "example.com"));
        assert!(covers("example.com", "a.b.Example.com:8443"));
        assert!(!covers("example.com", "badexample.com"));
        assert!(!covers("example.com", "example.com.evil"));
        assert!(covers("127.0.0.2", "127.0.0.2:4000"));
        assert!(!covers("127.0.0.2", "127.0.0.1:4000"));
    }

    #[test]
    fn digests_and_obfuscation_match_mastodon() {
        assert_eq!(
            digest_hex("example.com"),
            "a379a6f6eeafb9a55e378c118034e2751e682fab9f2d30ab13d2125586ce1947"
        );
        let mut block = DomainBlock {
            id: 1,
            domain: "example.com".into(),
            severity: Severity::Suspend,
            reject_media: false,
            reject_reports: false,
            private_comment: String::new(),
            public_comment: String::new(),
            obfuscate: false,
            created_ms: 0,
        };
        assert_eq!(public_domain(&block), "example.com");
        block.obfuscate = true;
        assert_eq!(public_domain(&block), "ex*****.com");
    }
}
