//! Custom emojis: ours (added by admins with `skerry admin emoji add`), peers' (from the
//! `Emoji` tags of their posts and actors), and the `:shortcode:` lookup that fills `emojis`
//! on statuses and accounts.
//!
//! A peer's emoji is kept while something uses it: each status or profile that carried its
//! tag is noted in `EMOJI_USES`, and the sweep ([`sweep_step`], a housekeeping step) removes
//! an emoji whose uses all went (their status pruned or deleted, the profile changed), with
//! its image's media record. Databases from before the index are filled once
//! ([`fill_uses_step`]) before the first sweep.
//!
//! An emoji's image is a media record owned by [`OWNER`] (no account): a local upload,
//! processed like any (sniffed, pixel cap, metadata stripped) under `media.emoji_bytes_max`,
//! stored once per SHA-256 and never evicted; the unattached-upload sweep leaves it alone.

use bytes::Bytes;

use super::{App, AppError};
use crate::model::{AccountId, CustomEmoji, MediaKind};
use crate::store::emoji as uses;
use crate::store::media as store;
use crate::util::time::now_ms;

/// The owner of emoji images (media records need one; no account has this id).
pub const OWNER: AccountId = AccountId(u64::MAX - 1);
/// Bytes of a shortcode (Mastodon: 2 to 64 word characters… `[a-zA-Z0-9_]{2,}`).
pub const SHORTCODE_BYTES_MAX: usize = 64;
/// Characters of a category.
pub const CATEGORY_CHARS_MAX: usize = 64;
/// Emojis of one domain listed or looked up at most (`GET /api/v1/custom_emojis`).
pub const LISTED_MAX: usize = 5_000;
/// Distinct `:shortcode:`s looked up per text.
pub const PER_TEXT_MAX: usize = 64;

fn valid_shortcode(shortcode: &str) -> bool {
    (2..=SHORTCODE_BYTES_MAX).contains(&shortcode.len())
        && shortcode
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_')
}

/// Adds (or replaces) a local emoji from an image file.
pub async fn add_local(
    app: &App,
    shortcode: &str,
    bytes: Bytes,
    category: &str,
) -> Result<CustomEmoji, AppError> {
    if !valid_shortcode(shortcode) {
        return Err(AppError::Validation(format!(
            "a shortcode is 2 to {SHORTCODE_BYTES_MAX} letters, digits or underscores"
        )));
    }
    if category.chars().count() > CATEGORY_CHARS_MAX {
        return Err(AppError::Validation(format!(
            "a category is at most {CATEGORY_CHARS_MAX} characters"
        )));
    }
    let bytes_max = app.config.media.emoji_bytes_max;
    if bytes.len() as u64 > bytes_max {
        return Err(AppError::Validation(format!(
            "the image is larger than {bytes_max} bytes"
        )));
    }
    if crate::media::sniff(&bytes).is_none_or(|sniffed| sniffed.kind != MediaKind::Image) {
        return Err(AppError::Validation("an emoji must be an image".into()));
    }
    let media =
        super::media::upload(app, OWNER, bytes, super::media::MediaInput::default()).await?;
    let emoji = CustomEmoji {
        shortcode: shortcode.to_string(),
        domain: None,
        media: media.id,
        category: category.to_string(),
        visible_in_picker: true,
        updated_ms: now_ms(),
    };
    let saved = emoji.clone();
    app.run(move |app| {
        app.write(|tx| {
            if let Some(old) = store::get_emoji(tx, None, &saved.shortcode, app.bytes_max())? {
                super::media::drop_media(app, tx, old.media)?;
            }
            store::put_emoji(tx, &saved)?;
            Ok::<_, AppError>(())
        })
    })
    .await?;
    Ok(emoji)
}

/// Our emojis, by shortcode.
pub fn list_local(app: &App) -> Result<Vec<CustomEmoji>, AppError> {
    Ok(app
        .store
        .read(|tx| store::emojis_of(tx, None, LISTED_MAX, app.bytes_max()))?)
}

/// One of our emojis with its image (the emoji's AS2 document).
pub fn local_with_image(
    app: &App,
    shortcode: &str,
) -> Result<(CustomEmoji, crate::model::Media), AppError> {
    if !valid_shortcode(shortcode) {
        return Err(AppError::NotFound);
    }
    app.store.read(|tx| {
        let emoji =
            store::get_emoji(tx, None, shortcode, app.bytes_max())?.ok_or(AppError::NotFound)?;
        let image =
            store::get_media(tx, emoji.media, app.bytes_max())?.ok_or(AppError::NotFound)?;
        Ok((emoji, image))
    })
}

/// Removes a local emoji and its image (the blob goes once nothing else names it).
pub fn remove_local(app: &App, shortcode: &str) -> Result<(), AppError> {
    app.write(|tx| {
        let emoji =
            store::get_emoji(tx, None, shortcode, app.bytes_max())?.ok_or(AppError::NotFound)?;
        store::delete_emoji(tx, None, shortcode)?;
        super::media::drop_media(app, tx, emoji.media)?;
        Ok(())
    })
}

/// Records the custom emojis of a peer's post or profile, in its transaction: one per
/// (author's domain, shortcode), its image a remote media record fetched on first view
/// through the tiers (under `media.emoji_bytes_max`). A changed image URL replaces the
/// record's image. `referrer` (the status, or the account of a profile) is noted as a use
/// of each, and of the known emojis of the domain that its `texts` name without a tag (they
/// show too), which keeps them from the sweep while the text names them.
pub fn record_remote(
    app: &App,
    tx: &redb::WriteTransaction,
    author: AccountId,
    referrer: u64,
    emojis: &[(String, String)],
    texts: &[&str],
) -> Result<(), AppError> {
    let named = shortcodes(texts);
    if emojis.is_empty() && named.is_empty() {
        return Ok(());
    }
    let Some(domain) = crate::store::accounts::get_account(tx, author, app.bytes_max())?
        .and_then(|account| account.domain)
    else {
        return Ok(());
    };
    for (shortcode, url) in emojis.iter().take(PER_TEXT_MAX) {
        if !valid_shortcode(shortcode) {
            continue;
        }
        uses::add_use(tx, &domain, shortcode, referrer)?;
        let existing = store::get_emoji(tx, Some(&domain), shortcode, app.bytes_max())?;
        if let Some(existing) = &existing {
            let same = store::get_media(tx, existing.media, app.bytes_max())?
                .is_some_and(|media| media.remote_url.as_deref() == Some(url.as_str()));
            if same {
                continue;
            }
            super::media::drop_media(app, tx, existing.media)?;
        }
        let media = super::media::remote_image(app, tx, OWNER, url)?;
        store::put_emoji(
            tx,
            &CustomEmoji {
                shortcode: shortcode.clone(),
                domain: Some(domain.clone()),
                media,
                category: String::new(),
                visible_in_picker: false,
                updated_ms: now_ms(),
            },
        )?;
    }
    for shortcode in named {
        if emojis.iter().any(|(tagged, _)| *tagged == shortcode) {
            continue;
        }
        if store::get_emoji(tx, Some(&domain), &shortcode, app.bytes_max())?.is_some() {
            uses::add_use(tx, &domain, &shortcode, referrer)?;
        }
    }
    Ok(())
}

/// The `:shortcode:`s of `texts`, in order of first use, without duplicates, at most
/// [`PER_TEXT_MAX`].
pub fn shortcodes(texts: &[&str]) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for text in texts {
        // Between two colons, with no space: a candidate. The first part is before any colon,
        // the last after the last one (not closed: "at 10:30" names no emoji).
        let mut parts = text.split(':').skip(1).peekable();
        while let Some(part) = parts.next() {
            if parts.peek().is_none() {
                break;
            }
            if found.len() >= PER_TEXT_MAX {
                return found;
            }
            if valid_shortcode(part) && !found.iter().any(|kept| kept == part) {
                found.push(part.to_string());
            }
        }
    }
    found
}

/// The texts of a profile that may name custom emojis, as Mastodon's: display name, bio,
/// and the fields' names and values.
pub fn account_texts(account: &crate::model::Account) -> Vec<&str> {
    let mut texts = vec![account.display_name.as_str(), account.note_html.as_str()];
    for field in &account.fields {
        texts.push(&field.name);
        texts.push(&field.value_html);
    }
    texts
}

/// The emojis of `domain` (`None`: ours) that `texts` name as `:shortcode:`.
pub fn used_in(
    app: &App,
    reader: &impl crate::store::Reader,
    domain: Option<&str>,
    texts: &[&str],
) -> Result<Vec<(CustomEmoji, Option<crate::model::Media>)>, AppError> {
    let mut out = Vec::new();
    for shortcode in shortcodes(texts) {
        let needle = format!(":{shortcode}:");
        if !texts.iter().any(|text| text.contains(&needle)) {
            continue;
        }
        if let Some(emoji) = store::get_emoji(reader, domain, &shortcode, app.bytes_max())? {
            let media = store::get_media(reader, emoji.media, app.bytes_max())?;
            out.push((emoji, media));
        }
    }
    Ok(out)
}

/// The META name of the one-time fill of `EMOJI_USES` from the statuses and accounts stored
/// before the index existed: a phase byte ([`FILL_STATUSES`], [`FILL_ACCOUNTS`],
/// [`FILL_DONE`]) and the next id, big-endian. The sweep waits until it is done, since an
/// emoji without uses would otherwise look unused.
pub const USES_FILL: &str = "emoji_uses_fill";
const FILL_STATUSES: u8 = 0;
const FILL_ACCOUNTS: u8 = 1;
const FILL_DONE: u8 = 2;

/// One step of the fill of the uses index, at most `records_max` statuses or accounts, in
/// `tx`. Returns whether the fill is done (then or before).
pub fn fill_uses_step(
    app: &App,
    tx: &redb::WriteTransaction,
    records_max: usize,
) -> Result<bool, AppError> {
    let bytes_max = app.bytes_max();
    let state = crate::store::meta::get(tx, USES_FILL)?;
    let (phase, from) = match state.as_deref() {
        Some([phase, rest @ ..]) if rest.len() == 8 => (
            *phase,
            u64::from_be_bytes(rest.try_into().expect("eight bytes, checked")),
        ),
        _ => (FILL_STATUSES, 0),
    };
    if phase == FILL_DONE {
        return Ok(true);
    }
    let save = |phase: u8, next: u64| {
        let mut value = vec![phase];
        value.extend_from_slice(&next.to_be_bytes());
        crate::store::meta::put(tx, USES_FILL, &value)
    };
    // No peer's emoji at all (a new database): nothing can be used.
    if uses::remote_after(tx, None, 1, bytes_max)?.is_empty() {
        save(FILL_DONE, 0)?;
        return Ok(true);
    }
    // Each record's texts and the domain of its emojis (none for ours).
    let mut domains: std::collections::HashMap<u64, Option<String>> = Default::default();
    let mut texts: Vec<(u64, Option<String>, Vec<String>)> = Vec::new();
    let last = if phase == FILL_STATUSES {
        let page = uses::statuses_from(tx, from, records_max, bytes_max)?;
        for status in &page {
            let author = status.account_id.0;
            let domain = match domains.get(&author) {
                Some(known) => known.clone(),
                None => {
                    let domain =
                        crate::store::accounts::get_account(tx, status.account_id, bytes_max)?
                            .and_then(|account| account.domain);
                    domains.insert(author, domain.clone());
                    domain
                }
            };
            texts.push((
                status.id.0,
                domain,
                vec![status.content_html.clone(), status.spoiler_text.clone()],
            ));
        }
        page.last().map(|status| status.id.0)
    } else {
        let page = uses::accounts_from(tx, from, records_max, bytes_max)?;
        for account in &page {
            texts.push((
                account.id.0,
                account.domain.clone(),
                account_texts(account)
                    .into_iter()
                    .map(str::to_string)
                    .collect(),
            ));
        }
        page.last().map(|account| account.id.0)
    };
    for (referrer, domain, texts) in texts {
        let Some(domain) = domain else { continue };
        let borrowed: Vec<&str> = texts.iter().map(String::as_str).collect();
        for shortcode in shortcodes(&borrowed) {
            if store::get_emoji(tx, Some(&domain), &shortcode, bytes_max)?.is_some() {
                uses::add_use(tx, &domain, &shortcode, referrer)?;
            }
        }
    }
    match last {
        Some(last) if last < u64::MAX => save(phase, last + 1)?,
        _ if phase == FILL_STATUSES => save(FILL_ACCOUNTS, 0)?,
        _ => {
            save(FILL_DONE, 0)?;
            return Ok(true);
        }
    }
    Ok(false)
}

/// What one step of the emoji sweep did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    /// Remote emojis removed (with their image's media record and blob reference).
    pub emojis: usize,
    /// Uses found stale (their status or account gone, or no longer naming the emoji).
    pub stale_uses: usize,
    /// The key after which the next step goes on; `None` with `done` false: from the start.
    pub next: Option<(String, String)>,
    /// The pass reached the last remote emoji.
    pub done: bool,
}

/// One step of the sweep of peers' emojis, in `tx`: from the key after `after`, looks at
/// remote emojis and their uses, at most `records_max` records in all. A use holds while
/// its status (text or content warning) or account (display name, bio or fields) still names
/// `:shortcode:`; stale uses are removed, and an emoji with none left goes, its image's
/// media record dropped (the file goes with eviction and the orphan sweep, as for a pruned
/// status's attachments).
pub fn sweep_step(
    app: &App,
    tx: &redb::WriteTransaction,
    after: Option<(&str, &str)>,
    records_max: usize,
) -> Result<Swept, AppError> {
    let bytes_max = app.bytes_max();
    let mut out = Swept {
        next: after.map(|(domain, shortcode)| (domain.to_string(), shortcode.to_string())),
        ..Swept::default()
    };
    let candidates = uses::remote_after(tx, after, records_max, bytes_max)?;
    let reached_end = candidates.len() < records_max;
    let mut budget = records_max;
    for emoji in candidates {
        let Some(domain) = emoji.domain.clone() else {
            continue;
        };
        if budget == 0 {
            return Ok(out);
        }
        budget -= 1;
        // One more than the budget: whether every use was read.
        let referrers = uses::uses(tx, &domain, &emoji.shortcode, budget + 1)?;
        let complete = referrers.len() <= budget;
        let mut used = false;
        for referrer in referrers.into_iter().take(budget) {
            budget -= 1;
            if still_uses(app, tx, &domain, &emoji.shortcode, referrer)? {
                used = true;
                break;
            }
            uses::remove_use(tx, &domain, &emoji.shortcode, referrer)?;
            out.stale_uses += 1;
        }
        if !used && !complete {
            // Out of budget inside this emoji's uses: the stale ones read are gone, the next
            // step reads on from this emoji.
            return Ok(out);
        }
        if !used {
            store::delete_emoji(tx, Some(&domain), &emoji.shortcode)?;
            super::media::drop_media(app, tx, emoji.media)?;
            out.emojis += 1;
        }
        out.next = Some((domain, emoji.shortcode));
    }
    out.done = reached_end;
    Ok(out)
}

/// Whether the status or account `referrer` still names `domain`'s `:shortcode:`.
fn still_uses(
    app: &App,
    reader: &impl crate::store::Reader,
    domain: &str,
    shortcode: &str,
    referrer: u64,
) -> Result<bool, AppError> {
    let needle = format!(":{shortcode}:");
    let bytes_max = app.bytes_max();
    // Ids of statuses and accounts come from one clock but are not kept apart: both are read.
    if let Some(status) =
        crate::store::statuses::get_status(reader, crate::model::StatusId(referrer), bytes_max)?
    {
        if status.content_html.contains(&needle) || status.spoiler_text.contains(&needle) {
            return Ok(true);
        }
    }
    Ok(
        crate::store::accounts::get_account(reader, AccountId(referrer), bytes_max)?.is_some_and(
            |account| {
                account.domain.as_deref() == Some(domain)
                    && account_texts(&account)
                        .iter()
                        .any(|text| text.contains(&needle))
            },
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortcodes_are_found_between_colons_once() {
        assert_eq!(
            shortcodes(&[
                "hi :blobcat: and :blob_fox::blobcat: at 10:30",
                ":x: :ok_1:"
            ]),
            ["blobcat", "blob_fox", "ok_1"]
        );
        assert!(shortcodes(&["no emoji: here", ":has space:", "open :blobcat"]).is_empty());
    }
}
