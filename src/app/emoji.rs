//! Custom emojis: ours (added by admins with `skerry admin emoji add`), and the `:shortcode:`
//! lookup that fills `emojis` on statuses.
//!
//! An emoji's image is a media record owned by [`OWNER`] (no account): a local upload,
//! processed like any (sniffed, pixel cap, metadata stripped) under `media.emoji_bytes_max`,
//! stored once per SHA-256 and never evicted; the unattached-upload sweep leaves it alone.

use bytes::Bytes;

use super::{App, AppError};
use crate::model::{AccountId, CustomEmoji, MediaKind};
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
/// record's image.
pub fn record_remote(
    app: &App,
    tx: &redb::WriteTransaction,
    author: AccountId,
    emojis: &[(String, String)],
) -> Result<(), AppError> {
    if emojis.is_empty() {
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
    Ok(())
}

/// The `:shortcode:`s of `texts`, in order of first use, without duplicates, at most
/// [`PER_TEXT_MAX`].
pub fn shortcodes(texts: &[&str]) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for text in texts {
        let mut parts = text.split(':');
        // Between two colons, with no space: a candidate. The first part is before any colon.
        parts.next();
        for part in parts {
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
            ["blobcat", "blob_fox", "30", "ok_1"]
        );
        assert!(shortcodes(&["no emoji: here", ":has space:"]).is_empty());
    }
}
