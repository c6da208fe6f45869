//! IP blocks and e-mail blocks: who may sign up, and which addresses may reach the server.
//!
//! An IP block covers a CIDR range with Mastodon's severities: sign-ups from it need approval,
//! are refused, or the range gets no access at all (403 on every request, checked in the
//! HTTP layer against an in-memory copy that every change replaces). E-mail blocks keep
//! only the SHA-256 of the canonical address (lowercase, the local part without dots and
//! without anything after `+`), as Mastodon's canonical e-mail blocks.

use std::sync::{Arc, RwLock};

use ipnet::IpNet;

use crate::model::{AuditAction, EmailBlock, IpBlock, IpSeverity, Role};
use crate::store::{Page, Reader, moderation};
use crate::util::time::now_ms;

use super::admin::{self, Actor};
use super::{App, AppError};

/// IP blocks an instance may hold (all are kept in memory for the per-request check).
pub const IP_BLOCKS_MAX: usize = 10_000;
/// Longest comment of an IP block, in characters.
const COMMENT_CHARS_MAX: usize = 1_000;
/// Longest e-mail address looked at, in bytes (RFC 5321's path limit).
const EMAIL_BYTES_MAX: usize = 254;

/// A block as the per-request check needs it: the range, its severity, when it expires.
type Rule = (IpNet, IpSeverity, Option<u64>);

/// The in-memory copy of the IP blocks, replaced whole on every change.
#[derive(Default)]
pub struct AccessList {
    blocks: RwLock<Arc<Vec<Rule>>>,
}

impl AccessList {
    /// The hardest severity of an unexpired block covering `ip`.
    pub fn severity(&self, ip: std::net::IpAddr, now_ms: u64) -> Option<IpSeverity> {
        let blocks = self
            .blocks
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        blocks
            .iter()
            .filter(|(network, _, expires)| {
                network.contains(&ip) && expires.is_none_or(|expires| now_ms < expires)
            })
            .map(|(_, severity, _)| *severity)
            .max_by_key(|severity| *severity as u8)
    }

    fn replace(&self, blocks: &[IpBlock]) {
        let parsed: Vec<_> = blocks
            .iter()
            .filter_map(|block| {
                let network = block.network.parse::<IpNet>().ok()?;
                Some((network, block.severity, block.expires_ms))
            })
            .collect();
        *self
            .blocks
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(parsed);
    }
}

/// Loads the IP blocks into memory (at start, and after each change).
pub fn reload(app: &App) -> Result<(), AppError> {
    let blocks = app
        .store
        .read(|tx| moderation::list_ip_blocks(tx, IP_BLOCKS_MAX, app.bytes_max()))?;
    app.access.replace(&blocks);
    Ok(())
}

/// Parses `192.0.2.1`, `192.0.2.0/24` or an IPv6 form into its network.
fn network(text: &str) -> Result<IpNet, AppError> {
    let text = text.trim();
    text.parse::<IpNet>()
        .map(|network| network.trunc())
        .or_else(|_| text.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| AppError::Validation("Ip is invalid".into()))
}

/// A new or changed IP block, as the API gives it.
#[derive(Clone, Debug, Default)]
pub struct IpBlockInput {
    pub ip: Option<String>,
    pub severity: Option<IpSeverity>,
    pub comment: Option<String>,
    pub expires_in_secs: Option<u64>,
}

fn check_comment(comment: &str) -> Result<(), AppError> {
    if comment.chars().count() > COMMENT_CHARS_MAX {
        return Err(AppError::Validation(format!(
            "Comment is too long (maximum is {COMMENT_CHARS_MAX} characters)"
        )));
    }
    Ok(())
}

pub fn create_ip_block(app: &App, actor: Actor, input: IpBlockInput) -> Result<IpBlock, AppError> {
    let network = network(input.ip.as_deref().unwrap_or_default())?;
    let severity = input
        .severity
        .ok_or_else(|| AppError::Validation("Severity can't be blank".into()))?;
    let comment = input.comment.unwrap_or_default();
    check_comment(&comment)?;
    let now = now_ms();
    let block = IpBlock {
        id: app.next_id(),
        network: network.to_string(),
        severity,
        comment,
        created_ms: now,
        expires_ms: input
            .expires_in_secs
            .map(|secs| now.saturating_add(secs.saturating_mul(1000))),
    };
    app.write(|tx| -> Result<_, AppError> {
        admin::require_role(app, tx, actor, Role::Admin)?;
        let existing = moderation::list_ip_blocks(tx, IP_BLOCKS_MAX, app.bytes_max())?;
        if existing.iter().any(|other| other.network == block.network) {
            return Err(AppError::Validation("Ip has already been taken".into()));
        }
        if existing.len() >= IP_BLOCKS_MAX {
            return Err(AppError::Validation(format!(
                "There are {IP_BLOCKS_MAX} IP blocks already"
            )));
        }
        moderation::put_ip_block(tx, &block)?;
        super::moderation::audit(
            app,
            tx,
            actor,
            AuditAction::BlockIp,
            block.network.clone(),
            severity.name(),
        )?;
        Ok(())
    })?;
    reload(app)?;
    Ok(block)
}

pub fn update_ip_block(
    app: &App,
    actor: Actor,
    id: u64,
    input: IpBlockInput,
) -> Result<IpBlock, AppError> {
    let network = input.ip.as_deref().map(network).transpose()?;
    if let Some(comment) = &input.comment {
        check_comment(comment)?;
    }
    let block = app.write(|tx| -> Result<_, AppError> {
        admin::require_role(app, tx, actor, Role::Admin)?;
        let mut block =
            moderation::get_ip_block(tx, id, app.bytes_max())?.ok_or(AppError::NotFound)?;
        if let Some(network) = network {
            block.network = network.to_string();
        }
        block.severity = input.severity.unwrap_or(block.severity);
        if let Some(comment) = input.comment.clone() {
            block.comment = comment;
        }
        if let Some(secs) = input.expires_in_secs {
            block.expires_ms = Some(now_ms().saturating_add(secs.saturating_mul(1000)));
        }
        moderation::put_ip_block(tx, &block)?;
        super::moderation::audit(
            app,
            tx,
            actor,
            AuditAction::BlockIp,
            block.network.clone(),
            block.severity.name(),
        )?;
        Ok(block)
    })?;
    reload(app)?;
    Ok(block)
}

pub fn delete_ip_block(app: &App, actor: Actor, id: u64) -> Result<(), AppError> {
    app.write(|tx| -> Result<_, AppError> {
        admin::require_role(app, tx, actor, Role::Admin)?;
        let block = moderation::get_ip_block(tx, id, app.bytes_max())?.ok_or(AppError::NotFound)?;
        moderation::remove_ip_block(tx, id)?;
        super::moderation::audit(app, tx, actor, AuditAction::UnblockIp, block.network, "")?;
        Ok(())
    })?;
    reload(app)
}

/// Every IP block, newest first (they are few).
pub fn list_ip_blocks(app: &App, actor: Actor) -> Result<Vec<IpBlock>, AppError> {
    app.store.read(|tx| {
        admin::require_role(app, tx, actor, Role::Admin)?;
        let mut blocks = moderation::list_ip_blocks(tx, IP_BLOCKS_MAX, app.bytes_max())?;
        blocks.reverse();
        Ok(blocks)
    })
}

pub fn get_ip_block(app: &App, actor: Actor, id: u64) -> Result<IpBlock, AppError> {
    app.store.read(|tx| {
        admin::require_role(app, tx, actor, Role::Admin)?;
        moderation::get_ip_block(tx, id, app.bytes_max())?.ok_or(AppError::NotFound)
    })
}

/// The canonical form of an address: lowercase; in the local part, no dots and nothing
/// after `+`.
pub fn canonical_email(email: &str) -> String {
    let email = email.trim().to_lowercase();
    match email.rsplit_once('@') {
        Some((local, domain)) => {
            let local = local.split('+').next().unwrap_or_default().replace('.', "");
            format!("{local}@{domain}")
        }
        None => email,
    }
}

/// The SHA-256 (hex) of an address's canonical form.
pub fn canonical_email_hash(email: &str) -> String {
    let digest = aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        canonical_email(email).as_bytes(),
    );
    digest
        .as_ref()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn valid_hash(hash: &str) -> bool {
    hash.len() == 64 && hash.bytes().all(|byte| byte.is_ascii_hexdigit())
}

/// Blocks an address (given as an address, or as the hash of its canonical form).
pub fn create_email_block(
    app: &App,
    actor: Actor,
    email: Option<&str>,
    hash: Option<&str>,
) -> Result<EmailBlock, AppError> {
    let hash = match (email, hash) {
        (Some(email), _) if !email.is_empty() && email.len() <= EMAIL_BYTES_MAX => {
            canonical_email_hash(email)
        }
        (_, Some(hash)) if valid_hash(hash) => hash.to_ascii_lowercase(),
        _ => {
            return Err(AppError::Validation(
                "Canonical email hash can't be blank".into(),
            ));
        }
    };
    let block = EmailBlock {
        id: app.next_id(),
        hash,
    };
    app.write(|tx| -> Result<_, AppError> {
        admin::require_role(app, tx, actor, Role::Admin)?;
        if moderation::email_block_by_hash(tx, &block.hash, app.bytes_max())?.is_some() {
            return Err(AppError::Validation(
                "Canonical email hash has already been taken".into(),
            ));
        }
        moderation::put_email_block(tx, &block)?;
        super::moderation::audit(
            app,
            tx,
            actor,
            AuditAction::BlockEmail,
            block.hash.clone(),
            "",
        )?;
        Ok(block.clone())
    })
}

pub fn delete_email_block(app: &App, actor: Actor, id: u64) -> Result<(), AppError> {
    app.write(|tx| -> Result<_, AppError> {
        admin::require_role(app, tx, actor, Role::Admin)?;
        let block =
            moderation::get_email_block(tx, id, app.bytes_max())?.ok_or(AppError::NotFound)?;
        moderation::remove_email_block(tx, &block)?;
        super::moderation::audit(app, tx, actor, AuditAction::UnblockEmail, block.hash, "")?;
        Ok(())
    })
}

pub fn list_email_blocks(app: &App, actor: Actor, page: Page) -> Result<Vec<EmailBlock>, AppError> {
    app.store.read(|tx| {
        admin::require_role(app, tx, actor, Role::Admin)?;
        Ok(moderation::page_email_blocks(tx, page, app.bytes_max())?)
    })
}

pub fn get_email_block(app: &App, actor: Actor, id: u64) -> Result<EmailBlock, AppError> {
    app.store.read(|tx| {
        admin::require_role(app, tx, actor, Role::Admin)?;
        moderation::get_email_block(tx, id, app.bytes_max())?.ok_or(AppError::NotFound)
    })
}

/// The blocks that match an address (`POST /api/v1/admin/canonical_email_blocks/test`).
pub fn test_email(app: &App, actor: Actor, email: &str) -> Result<Vec<EmailBlock>, AppError> {
    let hash = canonical_email_hash(email);
    app.store.read(|tx| {
        admin::require_role(app, tx, actor, Role::Admin)?;
        Ok(moderation::email_block_by_hash(tx, &hash, app.bytes_max())?
            .into_iter()
            .collect())
    })
}

/// What a sign-up from `ip` with `email` meets: refused, or approval needed.
pub fn sign_up_check(
    app: &App,
    reader: &impl Reader,
    ip: std::net::IpAddr,
    email: &str,
) -> Result<bool, AppError> {
    if moderation::email_block_by_hash(reader, &canonical_email_hash(email), app.bytes_max())?
        .is_some()
    {
        return Err(AppError::Validation("Email is not allowed".into()));
    }
    match app.access.severity(ip, now_ms()) {
        Some(IpSeverity::SignUpBlock | IpSeverity::NoAccess) => {
            Err(AppError::Forbidden(admin::NOT_ALLOWED))
        }
        Some(IpSeverity::SignUpRequiresApproval) => Ok(true),
        None => Ok(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_addresses_drop_dots_and_tags() {
        assert_eq!(
            canonical_email("Jo.Hn+spam@Example.COM"),
            "john@example.com"
        );
        assert_eq!(
            canonical_email_hash("jo.hn+x@example.com"),
            canonical_email_hash("JOHN@example.com")
        );
        assert_eq!(canonical_email_hash("a@b").len(), 64);
    }

    #[test]
    fn the_hardest_unexpired_block_wins() {
        let list = AccessList::default();
        let block = |id, network: &str, severity, expires_ms| IpBlock {
            id,
            network: network.into(),
            severity,
            comment: String::new(),
            created_ms: 0,
            expires_ms,
        };
        list.replace(&[
            block(1, "192.0.2.0/24", IpSeverity::SignUpRequiresApproval, None),
            block(2, "192.0.2.7/32", IpSeverity::NoAccess, Some(1_000)),
        ]);
        let seven = "192.0.2.7".parse().unwrap();
        assert_eq!(list.severity(seven, 10), Some(IpSeverity::NoAccess));
        assert_eq!(
            list.severity(seven, 1_000),
            Some(IpSeverity::SignUpRequiresApproval)
        );
        assert_eq!(list.severity("198.51.100.1".parse().unwrap(), 10), None);
    }
}
