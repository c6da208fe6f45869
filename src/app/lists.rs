//! Lists: an account's named groups of accounts it follows, each with a timeline.
//!
//! A list timeline is merged at read time from the members' own status indexes
//! (`ACCOUNT_STATUSES`) rather than fanned out on write: membership changes, unfollows and
//! deletes then need no feed cleanup, posting costs nothing extra, and a page costs at most
//! `LIST_ACCOUNTS_MAX × limit` index keys. `exclusive` lists act at fan-out: their members'
//! statuses skip the owner's home feed (`excluded_from_home`).

use redb::WriteTransaction;

use crate::model::{AccountId, List, RepliesPolicy};
use crate::store::{Edge, Reader, lists};

use super::views::{self, AccountView};
use super::{App, AppError};

/// Lists an account may have (Mastodon's limit).
pub const LISTS_PER_ACCOUNT_MAX: usize = 50;
/// Members of one list; bounds the read-time merge of a list timeline.
pub const LIST_ACCOUNTS_MAX: usize = 500;
/// Characters in a list title.
pub const TITLE_CHARS_MAX: usize = 256;

/// What `POST` and `PUT /api/v1/lists` may set.
#[derive(Clone, Debug, Default)]
pub struct ListUpdate {
    pub title: Option<String>,
    pub replies_policy: Option<String>,
    pub exclusive: Option<bool>,
}

fn apply(list: &mut List, update: ListUpdate) -> Result<(), AppError> {
    if let Some(title) = update.title {
        let title = title.trim().to_string();
        if title.is_empty() {
            return Err(AppError::Validation("Title can't be blank".into()));
        }
        if title.chars().count() > TITLE_CHARS_MAX {
            return Err(AppError::Validation(format!(
                "Title is too long (maximum is {TITLE_CHARS_MAX} characters)"
            )));
        }
        list.title = title;
    }
    if let Some(policy) = update.replies_policy {
        list.replies_policy = RepliesPolicy::parse(&policy).ok_or_else(|| {
            AppError::Validation("Replies policy is not included in the list".into())
        })?;
    }
    if let Some(exclusive) = update.exclusive {
        list.exclusive = exclusive;
    }
    Ok(())
}

/// A list of `owner`'s; someone else's list is not found.
fn owned(app: &App, reader: &impl Reader, owner: AccountId, id: u64) -> Result<List, AppError> {
    match lists::get(reader, id, app.bytes_max())? {
        Some(list) if list.owner == owner => Ok(list),
        _ => Err(AppError::NotFound),
    }
}

pub fn all(app: &App, owner: AccountId) -> Result<Vec<List>, AppError> {
    app.store.read(|tx| {
        let mut out = Vec::new();
        for id in lists::of_owner(tx, owner)? {
            out.extend(lists::get(tx, id, app.bytes_max())?);
        }
        Ok(out)
    })
}

pub fn get(app: &App, owner: AccountId, id: u64) -> Result<List, AppError> {
    app.store.read(|tx| owned(app, tx, owner, id))
}

pub fn create(app: &App, owner: AccountId, update: ListUpdate) -> Result<List, AppError> {
    if update.title.is_none() {
        return Err(AppError::Validation("Title can't be blank".into()));
    }
    let mut list = List {
        id: app.next_id(),
        owner,
        title: String::new(),
        replies_policy: RepliesPolicy::List,
        exclusive: false,
        created_ms: crate::util::time::now_ms(),
    };
    apply(&mut list, update)?;
    app.write(|tx| {
        if lists::of_owner(tx, owner)?.len() >= LISTS_PER_ACCOUNT_MAX {
            return Err(AppError::Validation(format!(
                "You cannot have more than {LISTS_PER_ACCOUNT_MAX} lists"
            )));
        }
        lists::put(tx, &list)?;
        Ok(list)
    })
}

pub fn update(app: &App, owner: AccountId, id: u64, update: ListUpdate) -> Result<List, AppError> {
    app.write(|tx| {
        let mut list = owned(app, tx, owner, id)?;
        apply(&mut list, update)?;
        lists::put(tx, &list)?;
        Ok(list)
    })
}

pub fn delete(app: &App, owner: AccountId, id: u64) -> Result<(), AppError> {
    app.write(|tx| {
        let list = owned(app, tx, owner, id)?;
        lists::delete(tx, &list)?;
        Ok(())
    })
}

pub fn members(app: &App, owner: AccountId, id: u64) -> Result<Vec<AccountView>, AppError> {
    app.store.read(|tx| {
        owned(app, tx, owner, id)?;
        let mut out = Vec::new();
        for member in lists::members(tx, id, LIST_ACCOUNTS_MAX)? {
            match views::load_account_view(app, tx, member) {
                Ok(view) => out.push(view),
                Err(AppError::NotFound) => {}
                Err(error) => return Err(error),
            }
        }
        Ok(out)
    })
}

/// Adds accounts the owner follows (all or nothing, as Mastodon).
pub fn add_members(
    app: &App,
    owner: AccountId,
    id: u64,
    accounts: &[AccountId],
) -> Result<(), AppError> {
    app.write(|tx| {
        owned(app, tx, owner, id)?;
        for account in accounts {
            views::load_account(app, tx, *account)?;
            if !Edge::FOLLOW.contains(tx, owner.0, account.0)? {
                return Err(AppError::Validation(
                    "You must be following this account to add it to a list".into(),
                ));
            }
            if !lists::is_member(tx, id, *account)? {
                if lists::members(tx, id, LIST_ACCOUNTS_MAX)?.len() >= LIST_ACCOUNTS_MAX {
                    return Err(AppError::Validation(format!(
                        "A list cannot have more than {LIST_ACCOUNTS_MAX} accounts"
                    )));
                }
                lists::add_member(tx, id, *account)?;
            }
        }
        Ok(())
    })
}

pub fn remove_members(
    app: &App,
    owner: AccountId,
    id: u64,
    accounts: &[AccountId],
) -> Result<(), AppError> {
    app.write(|tx| {
        owned(app, tx, owner, id)?;
        for account in accounts {
            lists::remove_member(tx, id, *account)?;
        }
        Ok(())
    })
}

/// The owner's lists that contain `account`.
pub fn containing(app: &App, owner: AccountId, account: AccountId) -> Result<Vec<List>, AppError> {
    app.store.read(|tx| {
        views::load_account(app, tx, account)?;
        let mut out = Vec::new();
        for id in lists::of_owner(tx, owner)? {
            if lists::is_member(tx, id, account)? {
                out.extend(lists::get(tx, id, app.bytes_max())?);
            }
        }
        Ok(out)
    })
}

/// Whether `owner` keeps `author`'s statuses out of their home feed with an exclusive list.
pub fn excluded_from_home(
    app: &App,
    reader: &impl Reader,
    owner: AccountId,
    author: AccountId,
) -> Result<bool, AppError> {
    if owner == author {
        return Ok(false);
    }
    for id in lists::containing(reader, author)? {
        if let Some(list) = lists::get(reader, id, app.bytes_max())? {
            if list.owner == owner && list.exclusive {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// Removes `followee` from `follower`'s lists (an unfollow or a block ends membership).
pub(crate) fn forget_member(
    tx: &WriteTransaction,
    follower: AccountId,
    followee: AccountId,
) -> Result<(), AppError> {
    for id in lists::of_owner(tx, follower)? {
        lists::remove_member(tx, id, followee)?;
    }
    Ok(())
}
