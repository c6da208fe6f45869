//! Mastodon's JSON entities, and the only place that knows them
//! (https://docs.joinmastodon.org/entities/). Rendered from `app::views`.

use serde::Serialize;

use crate::app::notifications::NotificationView;
use crate::app::views::{AccountView, RelationshipView, StatusView};
use crate::app::{App, domains};
use crate::model::{DomainAllow, DomainBlock, LocalUser, Role};
use crate::util::time::{iso8601_day, iso8601_ms};

/// The Mastodon API version we implement, as clients parse it from `version`.
pub const MASTODON_VERSION: &str = "4.3.0";

pub fn version() -> String {
    format!(
        "{MASTODON_VERSION} (compatible; Skerry {})",
        env!("CARGO_PKG_VERSION")
    )
}

/// Mastodon's `CustomEmoji`.
#[derive(Serialize)]
pub struct Emoji {
    pub shortcode: String,
    pub url: String,
    pub static_url: String,
    pub visible_in_picker: bool,
    pub category: Option<String>,
}

/// A custom emoji as clients show it: its image through our media URLs (a peer's is fetched
/// into the tiers on first view).
pub fn emoji(
    app: &App,
    emoji: &crate::model::CustomEmoji,
    image: Option<&crate::model::Media>,
) -> Emoji {
    use crate::app::media::{Variant, url};
    let (original, small) = match image {
        Some(media) => (
            url(app, media.id, Variant::Original),
            url(app, media.id, Variant::Small),
        ),
        None => (String::new(), String::new()),
    };
    Emoji {
        shortcode: emoji.shortcode.clone(),
        url: original,
        static_url: small,
        visible_in_picker: emoji.visible_in_picker,
        category: Some(emoji.category.clone()).filter(|category| !category.is_empty()),
    }
}

#[derive(Serialize)]
pub struct FieldEntity {
    pub name: String,
    pub value: String,
    pub verified_at: Option<String>,
}

#[derive(Serialize)]
pub struct AccountEntity {
    pub id: String,
    pub username: String,
    pub acct: String,
    pub display_name: String,
    pub locked: bool,
    pub bot: bool,
    pub discoverable: bool,
    pub indexable: bool,
    pub group: bool,
    pub hide_collections: bool,
    pub noindex: bool,
    pub created_at: String,
    pub note: String,
    pub url: String,
    pub uri: String,
    pub avatar: String,
    pub avatar_static: String,
    pub header: String,
    pub header_static: String,
    pub followers_count: u32,
    pub following_count: u32,
    pub statuses_count: u32,
    pub last_status_at: Option<String>,
    pub emojis: Vec<Emoji>,
    pub fields: Vec<FieldEntity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceEntity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<RoleEntity>,
}

#[derive(Serialize)]
pub struct SourceEntity {
    pub privacy: &'static str,
    pub sensitive: bool,
    pub language: Option<String>,
    pub note: String,
    pub fields: Vec<FieldEntity>,
    pub follow_requests_count: u32,
}

#[derive(Serialize)]
pub struct RoleEntity {
    pub id: String,
    pub name: String,
    pub permissions: String,
    pub color: String,
    pub highlighted: bool,
}

/// The profile page and the actor id of an account.
fn account_urls(app: &App, view: &AccountView) -> (String, String) {
    let account = &view.account;
    match (&account.domain, &view.remote) {
        (None, _) => (
            app.profile_url(&account.username),
            app.actor_url(&account.username),
        ),
        (Some(_), Some(remote)) => (
            remote.url.clone().unwrap_or_else(|| remote.uri.clone()),
            remote.uri.clone(),
        ),
        // A remote account without its actor record (should not happen): its likely profile.
        (Some(domain), None) => {
            let url = format!("https://{domain}/@{}", account.username);
            (url.clone(), url)
        }
    }
}

pub fn account(app: &App, view: &AccountView) -> AccountEntity {
    let account = &view.account;
    let (url, uri) = account_urls(app, view);
    let image = |media: Option<crate::model::MediaId>, missing: &str| match media {
        Some(id) => crate::app::media::url(app, id, crate::app::media::Variant::Original),
        None => format!("{}/{missing}/original/missing.png", app.base_url),
    };
    let avatar = image(account.avatar, "avatars");
    let header = image(account.header, "headers");
    AccountEntity {
        id: account.id.to_string(),
        username: account.username.clone(),
        acct: account.acct(),
        display_name: account.display_name.clone(),
        locked: account.locked,
        bot: account.bot,
        discoverable: account.discoverable,
        indexable: account.indexable,
        group: false,
        hide_collections: false,
        noindex: false,
        // Mastodon shows the day an account was made, at midnight.
        created_at: format!("{}T00:00:00.000Z", iso8601_day(account.created_ms)),
        note: account.note_html.clone(),
        url,
        uri,
        avatar: avatar.clone(),
        avatar_static: avatar,
        header: header.clone(),
        header_static: header,
        followers_count: view.counts.followers,
        following_count: view.counts.following,
        statuses_count: view.counts.statuses,
        last_status_at: (view.counts.last_status_ms > 0)
            .then(|| iso8601_day(view.counts.last_status_ms)),
        emojis: view
            .emojis
            .iter()
            .map(|(found, image)| emoji(app, found, image.as_ref()))
            .collect(),
        fields: account
            .fields
            .iter()
            .map(|field| FieldEntity {
                name: field.name.clone(),
                value: field.value_html.clone(),
                verified_at: None,
            })
            .collect(),
        source: None,
        role: None,
    }
}

/// Mastodon's permission bits (`UserRole::FLAGS`): `administrator` is bit 0, and the 20
/// bits above it are the single permissions up to `view_feeds`.
fn permissions(role: Role) -> u64 {
    const ADMINISTRATOR: u64 = 1;
    const ALL: u64 = (1 << 21) - 1;
    const VIEW_AUDIT_LOG: u64 = 1 << 2;
    const VIEW_DASHBOARD: u64 = 1 << 3;
    const MANAGE_REPORTS: u64 = 1 << 4;
    const MANAGE_TAXONOMIES: u64 = 1 << 8;
    const MANAGE_USERS: u64 = 1 << 10;
    match role {
        Role::Owner => ALL,
        Role::Admin => ALL & !ADMINISTRATOR,
        Role::Moderator => {
            VIEW_AUDIT_LOG | VIEW_DASHBOARD | MANAGE_REPORTS | MANAGE_TAXONOMIES | MANAGE_USERS
        }
        Role::User => 0,
    }
}

/// Mastodon's `Role` entity of one of our four roles.
pub fn role(role: Role) -> RoleEntity {
    RoleEntity {
        id: (role as u8).to_string(),
        name: if role == Role::User {
            String::new()
        } else {
            capitalize(role.name())
        },
        permissions: permissions(role).to_string(),
        color: String::new(),
        highlighted: role != Role::User,
    }
}

/// The signed-in user's own account, with `source` and `role`.
pub fn credential_account(app: &App, view: &AccountView, user: &LocalUser) -> AccountEntity {
    let mut entity = account(app, view);
    entity.source = Some(SourceEntity {
        privacy: user.default_visibility.name(),
        sensitive: user.default_sensitive,
        language: user.default_language.clone(),
        note: view.account.note_source.clone(),
        fields: view
            .account
            .fields
            .iter()
            .map(|field| FieldEntity {
                name: field.name.clone(),
                value: field.value_source.clone(),
                verified_at: None,
            })
            .collect(),
        follow_requests_count: 0,
    });
    entity.role = Some(role(user.role));
    entity
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[derive(Serialize)]
pub struct MentionEntity {
    pub id: String,
    pub username: String,
    pub url: String,
    pub acct: String,
}

#[derive(Serialize)]
pub struct TagEntity {
    pub name: String,
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<HistoryEntity>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub following: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub featuring: Option<bool>,
}

/// One day of a tag's or link's use; Mastodon sends the numbers as strings.
#[derive(Serialize)]
pub struct HistoryEntity {
    /// The day's start as a UNIX timestamp.
    pub day: String,
    pub uses: String,
    pub accounts: String,
}

fn history(days: &[(u64, u32, u32)]) -> Vec<HistoryEntity> {
    days.iter()
        .map(|(day_ms, uses, accounts)| HistoryEntity {
            day: (day_ms / 1000).to_string(),
            uses: uses.to_string(),
            accounts: accounts.to_string(),
        })
        .collect()
}

#[derive(Serialize)]
pub struct ApplicationRef {
    pub name: String,
    pub website: Option<String>,
}

#[derive(Serialize)]
pub struct PleromaExtensions {
    pub emoji_reactions: Vec<ReactionEntity>,
}

#[derive(Serialize)]
pub struct ReactionEntity {
    pub name: String,
    pub count: u32,
    pub me: bool,
}

#[derive(Serialize)]
pub struct PollEntity {
    pub id: String,
    pub expires_at: Option<String>,
    pub expired: bool,
    pub multiple: bool,
    pub votes_count: u64,
    pub voters_count: u32,
    pub options: Vec<PollOptionEntity>,
    pub emojis: Vec<Emoji>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voted: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub own_votes: Option<Vec<u32>>,
}

#[derive(Serialize)]
pub struct PollOptionEntity {
    pub title: String,
    pub votes_count: u32,
}

/// A status's poll for a viewer (`signed_in` decides whether `voted` and `own_votes` show).
pub fn poll(view: &StatusView, signed_in: bool) -> Option<PollEntity> {
    let (poll, choices) = view.poll.as_ref()?;
    Some(PollEntity {
        id: view.status.id.to_string(),
        expires_at: poll.expires_ms.map(iso8601_ms),
        expired: crate::app::polls::is_expired(poll),
        multiple: poll.multiple,
        votes_count: poll
            .options
            .iter()
            .map(|option| u64::from(option.votes))
            .sum(),
        voters_count: poll.voters,
        options: poll
            .options
            .iter()
            .map(|option| PollOptionEntity {
                title: option.title.clone(),
                votes_count: option.votes,
            })
            .collect(),
        emojis: Vec::new(),
        voted: signed_in.then(|| choices.is_some()),
        own_votes: signed_in.then(|| choices.clone().unwrap_or_default()),
    })
}

#[derive(Serialize)]
pub struct QuoteEntity {
    pub state: &'static str,
    pub quoted_status: Box<StatusEntity>,
}

#[derive(Serialize)]
pub struct StatusEntity {
    pub id: String,
    pub created_at: String,
    pub in_reply_to_id: Option<String>,
    pub in_reply_to_account_id: Option<String>,
    pub sensitive: bool,
    pub spoiler_text: String,
    pub visibility: &'static str,
    pub language: Option<String>,
    pub uri: String,
    pub url: Option<String>,
    pub replies_count: u32,
    pub reblogs_count: u32,
    pub favourites_count: u32,
    pub edited_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub favourited: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reblogged: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub muted: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bookmarked: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pinned: Option<bool>,
    pub content: String,
    pub filtered: Vec<FilterResultEntity>,
    pub reblog: Option<Box<StatusEntity>>,
    pub application: Option<ApplicationRef>,
    pub account: AccountEntity,
    pub media_attachments: Vec<MediaAttachmentEntity>,
    pub mentions: Vec<MentionEntity>,
    pub tags: Vec<TagEntity>,
    pub emojis: Vec<Emoji>,
    pub card: Option<PreviewCardEntity>,
    pub poll: Option<PollEntity>,
    /// Mastodon 4.5's quote: the quoted status when it is stored and visible.
    pub quote: Option<QuoteEntity>,
    /// Emoji reactions as Pleroma and Akkoma show them (apps that know them read this).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pleroma: Option<PleromaExtensions>,
    /// The source text, only in the answer to a delete (for "delete and redraft").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

pub fn status(app: &App, view: &StatusView) -> StatusEntity {
    let status = &view.status;
    let author = &view.account.account;
    let (uri, url) = match (&author.domain, &view.remote_uri) {
        (None, _) => {
            let uri = format!("{}/statuses/{}", app.actor_url(&author.username), status.id);
            let uri = if status.reblog_of.is_some() {
                format!("{uri}/activity")
            } else {
                uri
            };
            (
                uri,
                Some(format!(
                    "{}/{}",
                    app.profile_url(&author.username),
                    status.id
                )),
            )
        }
        (Some(_), Some(remote_uri)) => (remote_uri.clone(), Some(remote_uri.clone())),
        (Some(_), None) => (String::new(), None),
    };
    let url = if status.reblog_of.is_some() {
        None
    } else {
        url
    };
    let viewer = view.viewer;
    StatusEntity {
        id: status.id.to_string(),
        created_at: iso8601_ms(status.created_ms),
        in_reply_to_id: status.in_reply_to_id.map(|id| id.to_string()),
        in_reply_to_account_id: status.in_reply_to_account_id.map(|id| id.to_string()),
        sensitive: status.sensitive,
        spoiler_text: status.spoiler_text.clone(),
        visibility: status.visibility.name(),
        language: status.language.clone(),
        uri,
        url: if status.reblog_of.is_some() {
            None
        } else {
            url
        },
        replies_count: view.counts.replies,
        reblogs_count: view.counts.reblogs,
        favourites_count: view.counts.favourites,
        edited_at: status.edited_ms.map(iso8601_ms),
        favourited: viewer.map(|flags| flags.favourited),
        reblogged: viewer.map(|flags| flags.reblogged),
        muted: viewer.map(|flags| flags.muted),
        bookmarked: viewer.map(|flags| flags.bookmarked),
        pinned: viewer
            .filter(|_| status.reblog_of.is_none())
            .map(|flags| flags.pinned),
        content: status.content_html.clone(),
        filtered: view
            .filtered
            .iter()
            .map(|found| FilterResultEntity {
                filter: filter(&found.filter),
                keyword_matches: Some(found.keyword_matches.clone()),
                status_matches: Some(
                    found
                        .status_matches
                        .iter()
                        .map(|id| id.to_string())
                        .collect(),
                ),
            })
            .collect(),
        reblog: view
            .reblog
            .as_ref()
            .map(|original| Box::new(self::status(app, original))),
        application: view.application.as_ref().map(|registered| ApplicationRef {
            name: registered.name.clone(),
            website: registered.website.clone(),
        }),
        account: account(app, &view.account),
        media_attachments: view
            .media
            .iter()
            .map(|media| media_attachment(app, media))
            .collect(),
        mentions: view
            .mentions
            .iter()
            .map(|mentioned| MentionEntity {
                id: mentioned.account.id.to_string(),
                username: mentioned.account.username.clone(),
                url: account_urls(app, mentioned).0,
                acct: mentioned.account.acct(),
            })
            .collect(),
        tags: status
            .tags
            .iter()
            .map(|name| tag(app, name, false))
            .collect(),
        emojis: view
            .emojis
            .iter()
            .map(|(found, image)| emoji(app, found, image.as_ref()))
            .collect(),
        card: view.card.as_ref().map(|card| preview_card(app, card)),
        poll: poll(view, view.viewer.is_some()),
        quote: view.quote.as_ref().map(|quoted| QuoteEntity {
            state: "accepted",
            quoted_status: Box::new(self::status(app, quoted)),
        }),
        pleroma: (!view.reactions.is_empty()).then(|| PleromaExtensions {
            emoji_reactions: view
                .reactions
                .iter()
                .map(|(name, count, me)| ReactionEntity {
                    name: name.clone(),
                    count: *count,
                    me: *me,
                })
                .collect(),
        }),
        text: None,
    }
}

/// Mastodon's `MediaAttachment`.
#[derive(Serialize)]
pub struct MediaAttachmentEntity {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// `null` while an upload is processing (Mastodon's 206 answer).
    pub url: Option<String>,
    pub preview_url: Option<String>,
    pub remote_url: Option<String>,
    pub preview_remote_url: Option<String>,
    pub text_url: Option<String>,
    pub meta: serde_json::Value,
    pub description: Option<String>,
    pub blurhash: Option<String>,
}

pub fn media_attachment(app: &App, media: &crate::model::Media) -> MediaAttachmentEntity {
    use crate::app::media::{Variant, url};
    let ready = media.state == crate::model::MediaState::Ready;
    let dimensions = |width: Option<u32>, height: Option<u32>| match (width, height) {
        (Some(width), Some(height)) if width > 0 && height > 0 => Some(serde_json::json!({
            "width": width,
            "height": height,
            "size": format!("{width}x{height}"),
            "aspect": f64::from(width) / f64::from(height),
        })),
        _ => None,
    };
    let mut meta = serde_json::Map::new();
    if let Some(original) = dimensions(media.width, media.height) {
        meta.insert("original".into(), original);
    }
    if let Some(small) = dimensions(media.thumbnail_width, media.thumbnail_height) {
        meta.insert("small".into(), small);
    }
    if let Some((x, y)) = media.focus {
        meta.insert("focus".into(), serde_json::json!({ "x": x, "y": y }));
    }
    if let Some(av) = &media.av {
        av_meta(&mut meta, av);
    }
    MediaAttachmentEntity {
        id: media.id.to_string(),
        kind: media.kind.name(),
        url: ready.then(|| url(app, media.id, Variant::Original)),
        preview_url: ready.then(|| url(app, media.id, Variant::Small)),
        remote_url: media.remote_url.clone(),
        preview_remote_url: None,
        text_url: None,
        meta: serde_json::Value::Object(meta),
        description: Some(media.description.clone()).filter(|text| !text.is_empty()),
        blurhash: media.blurhash.clone(),
    }
}

/// Mastodon's video and audio `meta`: `length` ("0:01:28.65"), `duration` (seconds, two
/// decimals), `fps`, `audio_bitrate` and `audio_channels` at the top, as its paperclip
/// processor writes them; the exact
/// `duration`, `frame_rate` ("30/1") and `bitrate` (bits per second) in `original`, next to
/// the width and height already there for a video.
fn av_meta(meta: &mut serde_json::Map<String, serde_json::Value>, av: &crate::model::AvMeta) {
    let seconds = av.duration_us as f64 / 1_000_000.0;
    let hundredths = av.duration_us / 10_000;
    let length = format!(
        "{}:{:02}:{:02}.{:02}",
        hundredths / 360_000,
        hundredths / 6_000 % 60,
        hundredths / 100 % 60,
        hundredths % 100
    );
    meta.insert("length".into(), length.into());
    meta.insert(
        "duration".into(),
        ((seconds * 100.0).round() / 100.0).into(),
    );
    let original = meta
        .entry("original")
        .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()));
    if let serde_json::Value::Object(original) = original {
        original.insert("duration".into(), seconds.into());
        if let Some(bitrate) = av.bitrate {
            original.insert("bitrate".into(), bitrate.into());
        }
        if let Some((numerator, denominator)) = av.frame_rate {
            original.insert(
                "frame_rate".into(),
                format!("{numerator}/{denominator}").into(),
            );
        }
    }
    // Mastodon's names, as its ffmpeg-based processor writes them: the sample rate under
    // `audio_bitrate` ("44100 Hz"), the channels as "mono", "stereo" or a count.
    if let Some(rate) = av.sample_rate_hz {
        meta.insert("audio_bitrate".into(), format!("{rate} Hz").into());
    }
    if let Some(channels) = av.audio_channels {
        let layout = match channels {
            1 => "mono".to_string(),
            2 => "stereo".to_string(),
            count => format!("{count} channels"),
        };
        meta.insert("audio_channels".into(), layout.into());
    }
    if let Some((numerator, denominator)) = av.frame_rate {
        // Mastodon's `fps` is a whole number; the exact rate is `original.frame_rate`.
        let fps = (u64::from(numerator) + u64::from(denominator) / 2) / u64::from(denominator);
        meta.insert("fps".into(), fps.into());
    }
}

/// Mastodon's `PreviewCard`. Always a `link` card with empty `html`: no page markup or
/// oEmbed is ever passed on (CVE-2023-36459).
#[derive(Serialize)]
pub struct PreviewCardEntity {
    pub url: String,
    pub title: String,
    pub description: String,
    pub language: Option<String>,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub author_name: String,
    pub author_url: String,
    pub provider_name: String,
    pub provider_url: String,
    pub html: String,
    pub width: u32,
    pub height: u32,
    pub image: Option<String>,
    pub image_description: String,
    pub embed_url: String,
    pub blurhash: Option<String>,
    pub published_at: Option<String>,
    pub authors: Vec<PreviewCardAuthorEntity>,
}

#[derive(Serialize)]
pub struct PreviewCardAuthorEntity {
    pub name: String,
    pub url: String,
    pub account: Option<()>,
}

pub fn preview_card(app: &App, view: &crate::app::cards::CardView) -> PreviewCardEntity {
    use crate::app::media::{Variant, url};
    let card = &view.card;
    let image = view.image.as_ref();
    let published_at = card.published.as_deref().and_then(|text| {
        let parsed =
            time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                .ok()?;
        u64::try_from(parsed.unix_timestamp_nanos() / 1_000_000)
            .ok()
            .map(iso8601_ms)
    });
    let authors = (!card.author_name.is_empty() || !card.author_url.is_empty())
        .then(|| PreviewCardAuthorEntity {
            name: card.author_name.clone(),
            url: card.author_url.clone(),
            account: None,
        })
        .into_iter()
        .collect();
    PreviewCardEntity {
        url: card.url.clone(),
        title: card.title.clone(),
        description: card.description.clone(),
        language: card.language.clone(),
        kind: "link",
        author_name: card.author_name.clone(),
        author_url: card.author_url.clone(),
        provider_name: card.provider_name.clone(),
        provider_url: card.provider_url.clone(),
        html: String::new(),
        width: image.and_then(|media| media.width).unwrap_or(0),
        height: image.and_then(|media| media.height).unwrap_or(0),
        image: image.map(|media| url(app, media.id, Variant::Original)),
        image_description: card.image_description.clone(),
        embed_url: String::new(),
        blurhash: image.and_then(|media| media.blurhash.clone()),
        published_at,
        authors,
    }
}

pub fn tag(app: &App, name: &str, with_history: bool) -> TagEntity {
    TagEntity {
        name: name.to_string(),
        url: format!("{}/tags/{name}", app.base_url),
        history: with_history.then(Vec::new),
        following: None,
        featuring: None,
    }
}

#[derive(Serialize)]
pub struct RelationshipEntity {
    pub id: String,
    pub following: bool,
    pub showing_reblogs: bool,
    pub notifying: bool,
    pub languages: Option<Vec<String>>,
    pub followed_by: bool,
    pub blocking: bool,
    pub blocked_by: bool,
    pub muting: bool,
    pub muting_notifications: bool,
    pub requested: bool,
    pub requested_by: bool,
    pub domain_blocking: bool,
    pub endorsed: bool,
    pub note: String,
}

pub fn relationship(view: &RelationshipView) -> RelationshipEntity {
    RelationshipEntity {
        id: view.id.to_string(),
        following: view.following,
        showing_reblogs: view.following,
        notifying: false,
        languages: None,
        followed_by: view.followed_by,
        blocking: view.blocking,
        blocked_by: view.blocked_by,
        muting: view.muting,
        muting_notifications: view.muting_notifications,
        requested: view.requested,
        requested_by: view.requested_by,
        domain_blocking: view.domain_blocking,
        endorsed: view.endorsed,
        note: view.note.clone(),
    }
}

#[derive(Serialize)]
pub struct NotificationEntity {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub created_at: String,
    pub group_key: String,
    pub account: AccountEntity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<StatusEntity>,
}

pub fn notification(app: &App, view: &NotificationView) -> NotificationEntity {
    let notification = &view.notification;
    NotificationEntity {
        id: notification.id.to_string(),
        kind: notification.kind.name(),
        created_at: iso8601_ms(crate::util::ids::ms_of_id(notification.id.0)),
        group_key: crate::app::notifications::group_key(
            notification,
            &crate::model::NotificationKind::ALL,
        ),
        account: account(app, &view.account),
        status: view
            .status
            .as_ref()
            .map(|status_view| status(app, status_view)),
    }
}

/// `NotificationRequest` (https://docs.joinmastodon.org/entities/NotificationRequest/).
#[derive(Serialize)]
pub struct NotificationRequestEntity {
    pub id: String,
    pub created_at: String,
    pub updated_at: String,
    pub account: AccountEntity,
    /// A string, as Mastodon sends it.
    pub notifications_count: String,
    pub last_status: Option<StatusEntity>,
}

pub fn notification_request(
    app: &App,
    view: &crate::app::notifications::RequestView,
) -> NotificationRequestEntity {
    let request = &view.request;
    NotificationRequestEntity {
        id: request.id.to_string(),
        created_at: iso8601_ms(request.created_ms),
        updated_at: iso8601_ms(request.updated_ms),
        account: account(app, &view.account),
        notifications_count: request.notifications_count.to_string(),
        last_status: view.last_status.as_ref().map(|found| status(app, found)),
    }
}

/// `Admin::DomainBlock` (https://docs.joinmastodon.org/entities/Admin_DomainBlock/).
#[derive(Serialize)]
pub struct AdminDomainBlockEntity {
    pub id: String,
    pub domain: String,
    pub digest: String,
    pub created_at: String,
    pub severity: &'static str,
    pub reject_media: bool,
    pub reject_reports: bool,
    pub private_comment: Option<String>,
    pub public_comment: Option<String>,
    pub obfuscate: bool,
}

/// Mastodon shows an empty comment as `null`.
fn comment(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_string())
}

pub fn admin_domain_block(block: &DomainBlock) -> AdminDomainBlockEntity {
    AdminDomainBlockEntity {
        id: block.id.to_string(),
        domain: block.domain.clone(),
        digest: domains::digest_hex(&block.domain),
        created_at: iso8601_ms(block.created_ms),
        severity: block.severity.name(),
        reject_media: block.reject_media,
        reject_reports: block.reject_reports,
        private_comment: comment(&block.private_comment),
        public_comment: comment(&block.public_comment),
        obfuscate: block.obfuscate,
    }
}

/// `Admin::DomainAllow` (https://docs.joinmastodon.org/entities/Admin_DomainAllow/).
#[derive(Serialize)]
pub struct AdminDomainAllowEntity {
    pub id: String,
    pub domain: String,
    pub created_at: String,
}

pub fn admin_domain_allow(allow: &DomainAllow) -> AdminDomainAllowEntity {
    AdminDomainAllowEntity {
        id: allow.id.to_string(),
        domain: allow.domain.clone(),
        created_at: iso8601_ms(allow.created_ms),
    }
}

/// `DomainBlock`, the public view of a block (https://docs.joinmastodon.org/entities/DomainBlock/):
/// the domain obfuscated if the block says so, the digest always of the real domain.
#[derive(Serialize)]
pub struct DomainBlockEntity {
    pub domain: String,
    pub digest: String,
    pub severity: &'static str,
    pub comment: Option<String>,
}

pub fn domain_block(block: &DomainBlock) -> DomainBlockEntity {
    DomainBlockEntity {
        domain: domains::public_domain(block),
        digest: domains::digest_hex(&block.domain),
        severity: block.severity.name(),
        comment: comment(&block.public_comment),
    }
}

/// Mastodon's `List`.
#[derive(Serialize)]
pub struct ListEntity {
    pub id: String,
    pub title: String,
    pub replies_policy: &'static str,
    pub exclusive: bool,
}

pub fn list(list: &crate::model::List) -> ListEntity {
    ListEntity {
        id: list.id.to_string(),
        title: list.title.clone(),
        replies_policy: list.replies_policy.name(),
        exclusive: list.exclusive,
    }
}

/// Mastodon's `Filter` (v2).
#[derive(Serialize)]
pub struct FilterEntity {
    pub id: String,
    pub title: String,
    pub context: Vec<&'static str>,
    pub expires_at: Option<String>,
    pub filter_action: &'static str,
    pub keywords: Vec<FilterKeywordEntity>,
    pub statuses: Vec<FilterStatusEntity>,
}

/// Mastodon's `FilterKeyword`.
#[derive(Serialize)]
pub struct FilterKeywordEntity {
    pub id: String,
    pub keyword: String,
    pub whole_word: bool,
}

/// Mastodon's `FilterStatus`.
#[derive(Serialize)]
pub struct FilterStatusEntity {
    pub id: String,
    pub status_id: String,
}

/// Mastodon's `FilterResult`, in a status's `filtered`.
#[derive(Serialize)]
pub struct FilterResultEntity {
    pub filter: FilterEntity,
    pub keyword_matches: Option<Vec<String>>,
    pub status_matches: Option<Vec<String>>,
}

/// Mastodon's v1 `Filter`: one keyword of a v2 filter, with the keyword's id.
#[derive(Serialize)]
pub struct V1FilterEntity {
    pub id: String,
    pub phrase: String,
    pub context: Vec<&'static str>,
    pub whole_word: bool,
    pub expires_at: Option<String>,
    pub irreversible: bool,
}

pub fn filter(filter: &crate::model::Filter) -> FilterEntity {
    FilterEntity {
        id: filter.id.to_string(),
        title: filter.title.clone(),
        context: filter
            .context
            .iter()
            .map(|context| context.name())
            .collect(),
        expires_at: filter.expires_ms.map(iso8601_ms),
        filter_action: filter.action.name(),
        keywords: filter.keywords.iter().map(filter_keyword).collect(),
        statuses: filter.statuses.iter().map(filter_status).collect(),
    }
}

pub fn filter_keyword(keyword: &crate::model::FilterKeyword) -> FilterKeywordEntity {
    FilterKeywordEntity {
        id: keyword.id.to_string(),
        keyword: keyword.keyword.clone(),
        whole_word: keyword.whole_word,
    }
}

pub fn filter_status(entry: &crate::model::FilterStatus) -> FilterStatusEntity {
    FilterStatusEntity {
        id: entry.id.to_string(),
        status_id: entry.status_id.to_string(),
    }
}

pub fn v1_filter(
    filter: &crate::model::Filter,
    keyword: &crate::model::FilterKeyword,
) -> V1FilterEntity {
    V1FilterEntity {
        id: keyword.id.to_string(),
        phrase: keyword.keyword.clone(),
        context: filter
            .context
            .iter()
            .map(|context| context.name())
            .collect(),
        whole_word: keyword.whole_word,
        expires_at: filter.expires_ms.map(iso8601_ms),
        irreversible: filter.action == crate::model::FilterAction::Hide,
    }
}

/// A relay subscription in `/api/v1/admin/relays` (Skerry's own; Mastodon manages relays
/// only in its web UI): its state, activities received per day and last contact.
#[derive(Serialize)]
pub struct AdminRelayEntity {
    pub id: String,
    /// The inbox or actor URL the admin gave.
    pub url: String,
    /// `mastodon` (Follow of the public collection to its inbox) or `litepub` (follow its actor).
    pub style: &'static str,
    /// `pending`, `accepted`, `rejected` or `failing`.
    pub state: &'static str,
    pub actor: Option<String>,
    pub created_at: String,
    pub last_seen_at: Option<String>,
    pub received_today: u32,
    /// Per UTC day, newest last: `{"day": "2026-11-28", "activities": 123}`.
    pub received_per_day: Vec<serde_json::Value>,
}

pub fn admin_relay(view: &crate::app::relays::RelayView) -> AdminRelayEntity {
    const DAY_MS: u64 = 24 * 60 * 60 * 1000;
    let relay = &view.relay;
    AdminRelayEntity {
        id: relay.id.to_string(),
        url: relay.url.clone(),
        style: match relay.style {
            crate::model::RelayStyle::Mastodon => "mastodon",
            crate::model::RelayStyle::LitePub => "litepub",
        },
        state: view.state.name(),
        actor: relay.actor.clone(),
        created_at: iso8601_ms(relay.created_ms),
        last_seen_at: relay.last_seen_ms.map(iso8601_ms),
        received_today: view.received_today,
        received_per_day: relay
            .received_days
            .iter()
            .map(|(day, count)| {
                serde_json::json!({
                    "day": crate::util::time::iso8601_day(u64::from(*day) * DAY_MS),
                    "activities": count,
                })
            })
            .collect(),
    }
}

/// A tag with its history and the viewer's follow (`GET /api/v1/tags/:name`).
pub fn tag_view(app: &App, view: &crate::app::tags::TagView) -> TagEntity {
    TagEntity {
        following: view.following,
        featuring: view.featuring,
        history: Some(history(&view.history)),
        ..tag(app, &view.name, false)
    }
}

/// `FeaturedTag` (https://docs.joinmastodon.org/entities/FeaturedTag/).
#[derive(Serialize)]
pub struct FeaturedTagEntity {
    pub id: String,
    pub name: String,
    pub url: String,
    pub statuses_count: String,
    pub last_status_at: Option<String>,
}

pub fn featured_tag(
    app: &App,
    owner: &AccountView,
    view: &crate::app::tags::FeaturedTagView,
) -> FeaturedTagEntity {
    FeaturedTagEntity {
        id: view.id.to_string(),
        url: format!("{}/tagged/{}", account_urls(app, owner).0, view.name),
        name: view.name.clone(),
        statuses_count: view.statuses_count.to_string(),
        last_status_at: view.last_status_ms.map(iso8601_day),
    }
}

/// `StatusEdit` (https://docs.joinmastodon.org/entities/StatusEdit/).
#[derive(Serialize)]
pub struct StatusEditEntity {
    pub content: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub created_at: String,
    pub account: AccountEntity,
    pub poll: Option<serde_json::Value>,
    pub media_attachments: Vec<()>,
    pub emojis: Vec<Emoji>,
}

pub fn status_edit(
    app: &App,
    account_view: &AccountView,
    version: &crate::app::statuses::Version,
) -> StatusEditEntity {
    StatusEditEntity {
        content: version.status.content_html.clone(),
        spoiler_text: version.status.spoiler_text.clone(),
        sensitive: version.status.sensitive,
        created_at: iso8601_ms(version.created_ms),
        account: account(app, account_view),
        poll: None,
        media_attachments: Vec::new(),
        emojis: Vec::new(),
    }
}

/// `Conversation` (https://docs.joinmastodon.org/entities/Conversation/).
#[derive(Serialize)]
pub struct ConversationEntity {
    pub id: String,
    pub unread: bool,
    pub accounts: Vec<AccountEntity>,
    pub last_status: Option<StatusEntity>,
}

pub fn conversation(
    app: &App,
    view: &crate::app::conversations::ConversationView,
) -> ConversationEntity {
    ConversationEntity {
        id: view.root.to_string(),
        unread: view.unread,
        accounts: view
            .accounts
            .iter()
            .map(|found| account(app, found))
            .collect(),
        last_status: view.last_status.as_ref().map(|found| status(app, found)),
    }
}

/// `ScheduledStatus` (https://docs.joinmastodon.org/entities/ScheduledStatus/).
#[derive(Serialize)]
pub struct ScheduledStatusEntity {
    pub id: String,
    pub scheduled_at: String,
    pub params: ScheduledParamsEntity,
    pub media_attachments: Vec<()>,
}

#[derive(Serialize)]
pub struct ScheduledParamsEntity {
    pub text: String,
    pub poll: Option<ScheduledPollEntity>,
    pub media_ids: Option<Vec<String>>,
    pub sensitive: Option<bool>,
    pub spoiler_text: Option<String>,
    pub visibility: Option<&'static str>,
    pub in_reply_to_id: Option<String>,
    pub language: Option<String>,
    pub application_id: Option<String>,
    pub scheduled_at: Option<String>,
    pub idempotency: Option<String>,
    pub with_rate_limit: bool,
}

#[derive(Serialize)]
pub struct ScheduledPollEntity {
    pub options: Vec<String>,
    pub expires_in: String,
    pub multiple: bool,
    pub hide_totals: bool,
}

pub fn scheduled_status(scheduled: &crate::model::ScheduledStatus) -> ScheduledStatusEntity {
    ScheduledStatusEntity {
        id: scheduled.id.to_string(),
        scheduled_at: iso8601_ms(scheduled.scheduled_ms),
        params: ScheduledParamsEntity {
            text: scheduled.text.clone(),
            poll: scheduled.poll.as_ref().map(|poll| ScheduledPollEntity {
                options: poll.options.clone(),
                expires_in: poll.expires_in_secs.to_string(),
                multiple: poll.multiple,
                hide_totals: false,
            }),
            media_ids: None,
            sensitive: scheduled.sensitive,
            spoiler_text: Some(scheduled.spoiler_text.clone()).filter(|text| !text.is_empty()),
            visibility: scheduled.visibility.map(|visibility| visibility.name()),
            in_reply_to_id: scheduled.in_reply_to_id.map(|id| id.to_string()),
            language: scheduled.language.clone(),
            application_id: scheduled.application_id.map(|id| id.to_string()),
            scheduled_at: None,
            idempotency: None,
            with_rate_limit: false,
        },
        media_attachments: Vec::new(),
    }
}

/// `Report` (https://docs.joinmastodon.org/entities/Report/).
#[derive(Serialize)]
pub struct ReportEntity {
    pub id: String,
    pub action_taken: bool,
    pub action_taken_at: Option<String>,
    pub category: String,
    pub comment: String,
    pub forwarded: bool,
    pub created_at: String,
    pub status_ids: Option<Vec<String>>,
    pub rule_ids: Option<Vec<String>>,
    pub target_account: AccountEntity,
}

pub fn report(
    app: &App,
    report: &crate::model::Report,
    target: &AccountView,
    category: &str,
    forwarded: bool,
) -> ReportEntity {
    ReportEntity {
        id: report.id.to_string(),
        action_taken: false,
        action_taken_at: None,
        category: category.to_string(),
        comment: report.comment.clone(),
        forwarded,
        created_at: iso8601_ms(report.created_ms),
        status_ids: Some(report.statuses.iter().map(|id| id.to_string()).collect()),
        rule_ids: None,
        target_account: account(app, target),
    }
}

/// `Suggestion` (v2).
#[derive(Serialize)]
pub struct SuggestionEntity {
    pub source: &'static str,
    pub sources: Vec<&'static str>,
    pub account: AccountEntity,
}

pub fn suggestion(
    app: &App,
    source: crate::app::discovery::SuggestionSource,
    view: &AccountView,
) -> SuggestionEntity {
    use crate::app::discovery::SuggestionSource;
    let (source, sources) = match source {
        SuggestionSource::FriendsOfFriends => ("past_interactions", vec!["friends_of_friends"]),
        SuggestionSource::Featured => ("global", vec!["featured"]),
    };
    SuggestionEntity {
        source,
        sources,
        account: account(app, view),
    }
}

/// `FamiliarFollowers`.
#[derive(Serialize)]
pub struct FamiliarFollowersEntity {
    pub id: String,
    pub accounts: Vec<AccountEntity>,
}

/// `Trends::Link`: a `PreviewCard` of a shared link with its history. Skerry fetches no
/// link previews, so the card names the link by its URL and host.
#[derive(Serialize)]
pub struct TrendsLinkEntity {
    pub url: String,
    pub title: String,
    pub description: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub author_name: String,
    pub author_url: String,
    pub provider_name: String,
    pub provider_url: String,
    pub html: String,
    pub width: u32,
    pub height: u32,
    pub image: Option<String>,
    pub embed_url: String,
    pub blurhash: Option<String>,
    pub history: Vec<HistoryEntity>,
}

pub fn trends_link(link: &crate::app::discovery::TrendingLink) -> TrendsLinkEntity {
    let host = link
        .url
        .split_once("://")
        .map(|(_, rest)| rest.split(['/', '?', '#']).next().unwrap_or_default())
        .unwrap_or_default()
        .to_string();
    let scheme = if link.url.starts_with("https://") {
        "https"
    } else {
        "http"
    };
    TrendsLinkEntity {
        url: link.url.clone(),
        title: link.url.clone(),
        description: String::new(),
        kind: "link",
        author_name: String::new(),
        author_url: String::new(),
        provider_url: format!("{scheme}://{host}"),
        provider_name: host,
        html: String::new(),
        width: 0,
        height: 0,
        image: None,
        embed_url: String::new(),
        blurhash: None,
        history: history(&link.history),
    }
}

/// `GroupedNotificationsResults` (https://docs.joinmastodon.org/methods/grouped_notifications/).
#[derive(Serialize)]
pub struct GroupedNotificationsEntity {
    pub accounts: Vec<AccountEntity>,
    pub statuses: Vec<StatusEntity>,
    pub notification_groups: Vec<NotificationGroupEntity>,
}

#[derive(Serialize)]
pub struct NotificationGroupEntity {
    pub group_key: String,
    pub notifications_count: usize,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub most_recent_notification_id: String,
    pub page_min_id: String,
    pub page_max_id: String,
    pub latest_page_notification_at: String,
    pub sample_account_ids: Vec<String>,
    pub status_id: Option<String>,
}

/// Groups with each account and status they name once, as Mastodon sends them.
pub fn grouped_notifications(
    app: &App,
    groups: &[crate::app::notifications::NotificationGroup],
) -> GroupedNotificationsEntity {
    let mut accounts: Vec<AccountEntity> = Vec::new();
    let mut statuses: Vec<StatusEntity> = Vec::new();
    let mut entities = Vec::new();
    for group in groups {
        for sample in &group.sample_accounts {
            let id = sample.account.id.to_string();
            if !accounts.iter().any(|known| known.id == id) {
                accounts.push(account(app, sample));
            }
        }
        if let Some(found) = &group.latest.status {
            let id = found.status.id.to_string();
            if !statuses.iter().any(|known| known.id == id) {
                statuses.push(status(app, found));
            }
        }
        entities.push(NotificationGroupEntity {
            group_key: group.key.clone(),
            notifications_count: group.count,
            kind: group.kind.name(),
            most_recent_notification_id: group.most_recent.to_string(),
            page_min_id: group.page_min_id.to_string(),
            page_max_id: group.page_max_id.to_string(),
            latest_page_notification_at: iso8601_ms(crate::util::ids::ms_of_id(
                group.most_recent.0,
            )),
            sample_account_ids: group
                .sample_accounts
                .iter()
                .map(|sample| sample.account.id.to_string())
                .collect(),
            status_id: group
                .latest
                .status
                .as_ref()
                .map(|found| found.status.id.to_string()),
        });
    }
    GroupedNotificationsEntity {
        accounts,
        statuses,
        notification_groups: entities,
    }
}
