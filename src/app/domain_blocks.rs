//! Domains a user blocks for themselves (`/api/v1/domain_blocks`, unlike the admin's domain
//! blocks in `domains.rs`): statuses and notifications from accounts there are hidden from
//! them, and follows between them and accounts there end (Mastodon's behaviour).

use crate::model::{Account, AccountId};
use crate::store::{Edge, Page, Reader, accounts, social};

use super::{App, AppError};

/// Domains one account may block.
pub const PER_ACCOUNT_MAX: usize = 1_000;
/// Bytes of a domain name.
const DOMAIN_BYTES_MAX: usize = 253;
/// Follows looked at when a block ends the follows with a domain.
const FOLLOWS_SCAN_MAX: usize = 100_000;

/// A domain as typed (`Example.COM.`, `https://example.com/`), checked and lowercased.
fn normalize(domain: &str) -> Result<String, AppError> {
    let domain = domain.trim().to_ascii_lowercase();
    let domain = domain
        .strip_prefix("https://")
        .or_else(|| domain.strip_prefix("http://"))
        .unwrap_or(&domain)
        .trim_end_matches('/')
        .trim_end_matches('.')
        .to_string();
    let valid = !domain.is_empty()
        && domain.len() <= DOMAIN_BYTES_MAX
        && domain.contains('.')
        && domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'));
    if !valid {
        return Err(AppError::Validation("Domain is not a domain name".into()));
    }
    Ok(domain)
}

/// Whether `viewer` blocked the domain of `account` (false for local accounts).
pub fn hides(reader: &impl Reader, viewer: AccountId, account: &Account) -> Result<bool, AppError> {
    let Some(domain) = &account.domain else {
        return Ok(false);
    };
    if !social::blocks_any_domain(reader, viewer.0)? {
        return Ok(false);
    }
    Ok(social::user_blocks_domain(
        reader,
        viewer.0,
        &domain.to_ascii_lowercase(),
    )?)
}

/// Whether `viewer` blocked the domain of the account `id`.
pub fn hides_id(
    app: &App,
    reader: &impl Reader,
    viewer: AccountId,
    id: AccountId,
) -> Result<bool, AppError> {
    if !social::blocks_any_domain(reader, viewer.0)? {
        return Ok(false);
    }
    match accounts::get_account(reader, id, app.bytes_max())? {
        Some(account) => hides(reader, viewer, &account),
        None => Ok(false),
    }
}

pub fn block(app: &App, viewer: AccountId, domain: &str) -> Result<(), AppError> {
    let domain = normalize(domain)?;
    if domain == app.config.server.host.to_ascii_lowercase() {
        return Err(AppError::Validation(
            "You cannot block your own domain".into(),
        ));
    }
    app.write(|tx| {
        if social::user_domain_blocks_page(tx, viewer.0, Page::newest(PER_ACCOUNT_MAX))?.len()
            >= PER_ACCOUNT_MAX
        {
            return Err(AppError::Validation(format!(
                "You cannot block more than {PER_ACCOUNT_MAX} domains"
            )));
        }
        social::add_user_domain_block(tx, viewer.0, &domain, app.next_id())?;
        // Follows both ways with accounts of the domain end, as in Mastodon: followers there
        // are removed with a Reject. FIXME: the viewer's own follows there end without an
        // Undo being sent (the peer keeps sending until it notices).
        let on_domain = |id: u64| -> Result<bool, AppError> {
            Ok(accounts::get_account(tx, AccountId(id), app.bytes_max())?
                .and_then(|account| account.domain)
                .is_some_and(|host| host.eq_ignore_ascii_case(&domain)))
        };
        for followee in Edge::FOLLOW.all_of_a(tx, viewer.0, FOLLOWS_SCAN_MAX)? {
            if on_domain(followee)? {
                super::relationships::remove_follow(tx, viewer, AccountId(followee))?;
            }
        }
        for follower in Edge::FOLLOW.all_of_b(tx, viewer.0, FOLLOWS_SCAN_MAX)? {
            if on_domain(follower)? {
                super::relationships::remove_follower(app, tx, viewer, AccountId(follower))?;
            }
        }
        Ok(())
    })
}

pub fn unblock(app: &App, viewer: AccountId, domain: &str) -> Result<(), AppError> {
    let domain = normalize(domain)?;
    app.write(|tx| {
        social::remove_user_domain_block(tx, viewer.0, &domain)?;
        Ok(())
    })
}

/// A page of the viewer's blocked domains: (block id, domain), newest first.
pub fn list(app: &App, viewer: AccountId, page: Page) -> Result<Vec<(u64, String)>, AppError> {
    app.store
        .read(|tx| Ok(social::user_domain_blocks_page(tx, viewer.0, page)?))
}
