//! ActivityStreams 2.0 documents of local actors, objects and activities, shaped as Mastodon
//! sends them so that every peer reads them. The one place that writes AS2 JSON.

use serde_json::{Value, json};

use crate::app::App;
use crate::app::views::{AccountView, StatusView};
use crate::model::{Account, Visibility};
use crate::util::time::iso8601_ms;

pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// The JSON-LD context of actor documents: ActivityStreams, the security vocabulary (for
/// `publicKey`) and the extensions Mastodon's peers understand.
fn actor_context() -> Value {
    json!([
        "https://www.w3.org/ns/activitystreams",
        "https://w3id.org/security/v1",
        {
            "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
            "toot": "http://joinmastodon.org/ns#",
            "featured": { "@id": "toot:featured", "@type": "@id" },
            "featuredTags": { "@id": "toot:featuredTags", "@type": "@id" },
            "discoverable": "toot:discoverable",
            "suspended": "toot:suspended",
            "indexable": "toot:indexable",
            "schema": "http://schema.org#",
            "PropertyValue": "schema:PropertyValue",
            "value": "schema:value",
            "Emoji": "toot:Emoji"
        }
    ])
}

fn object_context() -> Value {
    json!([
        "https://www.w3.org/ns/activitystreams",
        {
            "sensitive": "as:sensitive",
            "Hashtag": "as:Hashtag",
            "toot": "http://joinmastodon.org/ns#",
            "votersCount": "toot:votersCount",
            "Emoji": "toot:Emoji"
        }
    ])
}

/// URLs of a local account's documents.
pub struct ActorUrls {
    pub id: String,
    pub inbox: String,
    pub outbox: String,
    pub followers: String,
    pub following: String,
    pub featured: String,
    pub featured_tags: String,
    pub key_id: String,
    pub profile: String,
}

pub fn actor_urls(app: &App, username: &str) -> ActorUrls {
    let id = app.actor_url(username);
    ActorUrls {
        inbox: format!("{id}/inbox"),
        outbox: format!("{id}/outbox"),
        followers: format!("{id}/followers"),
        following: format!("{id}/following"),
        featured: format!("{id}/collections/featured"),
        featured_tags: format!("{id}/collections/tags"),
        key_id: format!("{id}#main-key"),
        profile: app.profile_url(username),
        id,
    }
}

/// The instance actor's id: it signs fetches that no user asked for.
pub fn instance_actor_id(app: &App) -> String {
    format!("{}/actor", app.base_url)
}

pub fn shared_inbox(app: &App) -> String {
    format!("{}/inbox", app.base_url)
}

/// A local account as a `Person` (or `Service` for bots).
pub fn actor(app: &App, view: &AccountView, public_key_pem: &str) -> Value {
    if view.account.suspended_ms.is_some() {
        return suspended_actor(app, view, public_key_pem);
    }
    let account = &view.account;
    let urls = actor_urls(app, &account.username);
    let attachment: Vec<Value> = account
        .fields
        .iter()
        .map(|field| json!({ "type": "PropertyValue", "name": field.name, "value": field.value_html }))
        .collect();
    // The custom emojis its display name, bio and fields use, as Mastodon tags them.
    let tags: Vec<Value> = view
        .emojis
        .iter()
        .filter_map(|(emoji, image)| emoji_tag(app, emoji, image.as_ref()?))
        .collect();
    let image = |media: Option<crate::model::MediaId>| {
        media.map(|id| {
            json!({ "type": "Image", "url": crate::app::media::url(app, id, crate::app::media::Variant::Original) })
        })
    };
    let mut actor = json!({
        "@context": actor_context(),
        "id": urls.id,
        "type": if account.bot { "Service" } else { "Person" },
        "following": urls.following,
        "followers": urls.followers,
        "inbox": urls.inbox,
        "outbox": urls.outbox,
        "featured": urls.featured,
        "featuredTags": urls.featured_tags,
        "preferredUsername": account.username,
        "name": account.display_name,
        "summary": account.note_html,
        "url": urls.profile,
        "manuallyApprovesFollowers": account.locked,
        "discoverable": account.discoverable,
        "indexable": account.indexable,
        "published": format!("{}T00:00:00Z", crate::util::time::iso8601_day(account.created_ms)),
        "memorial": false,
        "publicKey": { "id": urls.key_id, "owner": urls.id, "publicKeyPem": public_key_pem },
        "tag": tags,
        "attachment": attachment,
        "endpoints": { "sharedInbox": shared_inbox(app) },
    });
    if let Some(object) = actor.as_object_mut() {
        if let Some(icon) = image(account.avatar) {
            object.insert("icon".into(), icon);
        }
        if let Some(header) = image(account.header) {
            object.insert("image".into(), header);
        }
    }
    actor
}

/// A suspended local account as peers see it: Mastodon's `suspended` flag, the key (so
/// its earlier signatures still verify) and nothing of the profile.
fn suspended_actor(app: &App, view: &AccountView, public_key_pem: &str) -> Value {
    let account = &view.account;
    let urls = actor_urls(app, &account.username);
    json!({
        "@context": actor_context(),
        "id": urls.id,
        "type": if account.bot { "Service" } else { "Person" },
        "following": urls.following,
        "followers": urls.followers,
        "inbox": urls.inbox,
        "outbox": urls.outbox,
        "preferredUsername": account.username,
        "name": "",
        "summary": "",
        "url": urls.profile,
        "manuallyApprovesFollowers": account.locked,
        "suspended": true,
        "publicKey": { "id": urls.key_id, "owner": urls.id, "publicKeyPem": public_key_pem },
        "endpoints": { "sharedInbox": shared_inbox(app) },
    })
}

/// A report for a peer: the instance actor flags the account and its statuses (Mastodon's
/// form; the reporter is not named).
pub fn flag(app: &App, id: &str, comment: &str, objects: Vec<String>) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": id,
        "type": "Flag",
        "actor": instance_actor_id(app),
        "content": comment,
        "object": objects,
    })
}

/// The instance actor (`/actor`), an `Application` as in Mastodon.
pub fn instance_actor(app: &App, public_key_pem: &str) -> Value {
    let id = instance_actor_id(app);
    json!({
        "@context": actor_context(),
        "id": id,
        "type": "Application",
        "inbox": format!("{id}/inbox"),
        "outbox": format!("{id}/outbox"),
        "preferredUsername": app.config.server.host,
        "url": format!("{}/about", app.base_url),
        "manuallyApprovesFollowers": true,
        "publicKey": { "id": format!("{id}#main-key"), "owner": id, "publicKeyPem": public_key_pem },
        "endpoints": { "sharedInbox": shared_inbox(app) },
    })
}

/// The id of a local account or the stored id of a remote one.
pub fn account_uri(app: &App, view: &AccountView) -> String {
    match &view.remote {
        Some(remote) => remote.uri.clone(),
        None => app.actor_url(&view.account.username),
    }
}

/// The id of a local status.
pub fn status_uri(app: &App, username: &str, id: impl std::fmt::Display) -> String {
    format!("{}/statuses/{id}", app.actor_url(username))
}

/// `to` and `cc` for a status, as Mastodon addresses each visibility.
fn addressing(app: &App, view: &StatusView) -> (Vec<String>, Vec<String>) {
    let followers = actor_urls(app, &view.account.account.username).followers;
    let mentions: Vec<String> = view
        .mentions
        .iter()
        .map(|account| account_uri(app, account))
        .collect();
    match view.status.visibility {
        Visibility::Public => (vec![PUBLIC.into()], [vec![followers], mentions].concat()),
        Visibility::Unlisted => (vec![followers], [vec![PUBLIC.into()], mentions].concat()),
        Visibility::Private => ([vec![followers], mentions].concat(), Vec::new()),
        Visibility::Direct => (mentions, Vec::new()),
    }
}

/// Media attachments as Mastodon sends them: `Document` with `mediaType`, `url`, `name`
/// (the description), `blurhash`, `focalPoint`, `width`, `height`.
fn attachments(app: &App, view: &StatusView) -> Vec<Value> {
    view.media
        .iter()
        .filter(|media| media.state == crate::model::MediaState::Ready)
        .map(|media| {
            let mut document = json!({
                "type": "Document",
                "mediaType": media.content_type,
                "url": crate::app::media::url(app, media.id, crate::app::media::Variant::Original),
                "name": if media.description.is_empty() { Value::Null } else { Value::String(media.description.clone()) },
                "blurhash": media.blurhash,
            });
            if let Some(object) = document.as_object_mut() {
                if let Some((x, y)) = media.focus {
                    object.insert("focalPoint".into(), json!([x, y]));
                }
                if let (Some(width), Some(height)) = (media.width, media.height) {
                    object.insert("width".into(), json!(width));
                    object.insert("height".into(), json!(height));
                }
            }
            document
        })
        .collect()
}

/// A custom emoji as Mastodon sends it: `Emoji` with an `Image` icon (ours only).
fn emoji_tag(
    app: &App,
    emoji: &crate::model::CustomEmoji,
    image: &crate::model::Media,
) -> Option<Value> {
    if emoji.domain.is_some() {
        return None;
    }
    Some(json!({
        "id": format!("{}/emojis/{}", app.base_url, emoji.shortcode),
        "type": "Emoji",
        "name": format!(":{}:", emoji.shortcode),
        "updated": iso8601_ms(emoji.updated_ms),
        "icon": {
            "type": "Image",
            "mediaType": image.content_type,
            "url": crate::app::media::url(app, image.id, crate::app::media::Variant::Original),
        },
    }))
}

/// One of our emojis as a document of its own (what its `id` answers).
pub fn emoji_document(
    app: &App,
    emoji: &crate::model::CustomEmoji,
    image: &crate::model::Media,
) -> Option<Value> {
    let mut document = emoji_tag(app, emoji, image)?;
    document.as_object_mut()?.insert(
        "@context".into(),
        json!([
            "https://www.w3.org/ns/activitystreams",
            { "toot": "http://joinmastodon.org/ns#", "Emoji": "toot:Emoji" }
        ]),
    );
    Some(document)
}

/// A local status as a `Note`.
pub fn note(app: &App, view: &StatusView, in_reply_to: Option<String>) -> Value {
    let status = &view.status;
    let author = &view.account.account.username;
    let id = status_uri(app, author, status.id);
    let (to, cc) = addressing(app, view);
    let mut tags: Vec<Value> = view
        .mentions
        .iter()
        .map(|view| json!({ "type": "Mention", "href": account_uri(app, view), "name": format!("@{}", mention_name(app, &view.account)) }))
        .collect();
    tags.extend(status.tags.iter().map(|name| {
        json!({ "type": "Hashtag", "href": format!("{}/tags/{name}", app.base_url), "name": format!("#{name}") })
    }));
    tags.extend(
        view.emojis
            .iter()
            .filter_map(|(emoji, image)| emoji_tag(app, emoji, image.as_ref()?)),
    );
    let mut note = json!({
        "@context": object_context(),
        "id": id,
        "type": "Note",
        "summary": if status.spoiler_text.is_empty() { Value::Null } else { Value::String(status.spoiler_text.clone()) },
        "inReplyTo": in_reply_to,
        "published": iso8601_ms(status.created_ms),
        "url": format!("{}/{}", app.profile_url(author), status.id),
        "attributedTo": app.actor_url(author),
        "to": to,
        "cc": cc,
        "sensitive": status.sensitive,
        "content": status.content_html,
        "attachment": attachments(app, view),
        "tag": tags,
    });
    if let (Some((poll, _)), Some(object)) = (&view.poll, note.as_object_mut()) {
        object.insert("type".into(), Value::String("Question".into()));
        let options: Vec<Value> = poll
            .options
            .iter()
            .map(|option| json!({ "type": "Note", "name": option.title, "replies": { "type": "Collection", "totalItems": option.votes } }))
            .collect();
        object.insert(
            if poll.multiple { "anyOf" } else { "oneOf" }.into(),
            Value::Array(options),
        );
        object.insert("votersCount".into(), json!(poll.voters));
        if let Some(expires) = poll.expires_ms {
            object.insert("endTime".into(), Value::String(iso8601_ms(expires)));
            if expires <= crate::util::time::now_ms() {
                object.insert("closed".into(), Value::String(iso8601_ms(expires)));
            }
        }
    }
    if let (Some(language), Some(object)) = (&status.language, note.as_object_mut()) {
        object.insert(
            "contentMap".into(),
            json!({ language: status.content_html }),
        );
    }
    if let (Some(edited), Some(object)) = (status.edited_ms, note.as_object_mut()) {
        object.insert("updated".into(), Value::String(iso8601_ms(edited)));
    }
    note
}

/// `user@host` of an account as a mention names it.
fn mention_name(app: &App, account: &Account) -> String {
    match &account.domain {
        None => format!("{}@{}", account.username, app.config.server.host),
        Some(domain) => format!("{}@{domain}", account.username),
    }
}

/// The `Create` that published a local status, with the note embedded.
pub fn create(app: &App, view: &StatusView, in_reply_to: Option<String>) -> Value {
    let mut note = note(app, view, in_reply_to);
    let object = note.as_object_mut().expect("a note is an object");
    let context = object.remove("@context").unwrap_or(Value::Null);
    json!({
        "@context": context,
        "id": format!("{}/activity", object["id"].as_str().unwrap_or_default()),
        "type": "Create",
        "actor": object["attributedTo"].clone(),
        "published": object["published"].clone(),
        "to": object["to"].clone(),
        "cc": object["cc"].clone(),
        "object": note,
    })
}

/// A reblog as an `Announce` of the original's id.
pub fn announce(app: &App, reblog: &StatusView, original_uri: &str) -> Value {
    let author = &reblog.account.account.username;
    let (to, cc) = match reblog.status.visibility {
        Visibility::Unlisted => (
            vec![actor_urls(app, author).followers],
            vec![PUBLIC.to_string()],
        ),
        _ => (
            vec![PUBLIC.to_string()],
            vec![actor_urls(app, author).followers],
        ),
    };
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/activity", status_uri(app, author, reblog.status.id)),
        "type": "Announce",
        "actor": app.actor_url(author),
        "published": iso8601_ms(reblog.status.created_ms),
        "to": to,
        "cc": cc,
        "object": original_uri,
    })
}

/// An `OrderedCollection` that points at its first page.
pub fn ordered_collection(id: &str, total: u64, first: Option<String>) -> Value {
    let mut collection = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": id,
        "type": "OrderedCollection",
        "totalItems": total,
    });
    if let (Some(first), Some(object)) = (first, collection.as_object_mut()) {
        object.insert("first".into(), Value::String(first));
    }
    collection
}

/// One page of an `OrderedCollection`.
pub fn ordered_page(
    id: &str,
    part_of: &str,
    items: Vec<Value>,
    next: Option<String>,
    prev: Option<String>,
) -> Value {
    let mut page = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": id,
        "type": "OrderedCollectionPage",
        "partOf": part_of,
        "orderedItems": items,
    });
    let object = page.as_object_mut().expect("a page is an object");
    if let Some(next) = next {
        object.insert("next".into(), Value::String(next));
    }
    if let Some(prev) = prev {
        object.insert("prev".into(), Value::String(prev));
    }
    page
}

/// An activity with the plain ActivityStreams context.
fn activity(id: String, kind: &str, actor: &str, object: Value) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": id,
        "type": kind,
        "actor": actor,
        "object": object,
    })
}

/// `Delete` of a status, with a `Tombstone`, addressed as the status was.
pub fn delete_status(app: &App, author: &str, status_uri: &str, to: Vec<String>) -> Value {
    let actor = app.actor_url(author);
    let mut delete = activity(
        format!("{status_uri}#delete"),
        "Delete",
        &actor,
        json!({ "id": status_uri, "type": "Tombstone", "atomUri": status_uri }),
    );
    delete["to"] = json!(to);
    delete
}

/// `Undo` of an earlier activity of ours.
pub fn undo(actor: &str, undone: Value) -> Value {
    let id = format!("{}#undo", undone["id"].as_str().unwrap_or_default());
    activity(id, "Undo", actor, undone)
}

/// `Like` of a status; its id is stable per (actor, status) so that `Undo` can name it.
pub fn like(
    app: &App,
    actor_username: &str,
    status_uri: &str,
    status_id: impl std::fmt::Display,
) -> Value {
    let actor = app.actor_url(actor_username);
    activity(
        format!("{actor}#likes/{status_id}"),
        "Like",
        &actor,
        Value::String(status_uri.to_string()),
    )
}

/// `Follow`; its id carries the follow id so that `Undo` and the peer's `Accept` match it.
pub fn follow(app: &App, follower_username: &str, followee_uri: &str, follow_id: u64) -> Value {
    let actor = app.actor_url(follower_username);
    activity(
        format!("{}/follows/{follow_id}", app.base_url),
        "Follow",
        &actor,
        Value::String(followee_uri.to_string()),
    )
}

/// `Accept` or `Reject` of a peer's `Follow`, embedding it as Mastodon does.
pub fn answer_follow(
    app: &App,
    followee_username: &str,
    follower_uri: &str,
    follow_activity: &str,
    accept: bool,
) -> Value {
    let actor = app.actor_url(followee_username);
    let kind = if accept { "Accept" } else { "Reject" };
    let follow =
        json!({ "id": follow_activity, "type": "Follow", "actor": follower_uri, "object": actor });
    let suffix = if accept { "accept" } else { "reject" };
    let id = format!(
        "{actor}#{suffix}s/follows/{}",
        crate::util::random::token(8)
    );
    activity(id, kind, &actor, follow)
}

/// `Block`; its id carries the block id so that `Undo` names it.
pub fn block(app: &App, blocker_username: &str, blocked_uri: &str, block_id: u64) -> Value {
    let actor = app.actor_url(blocker_username);
    activity(
        format!("{}/blocks/{block_id}", app.base_url),
        "Block",
        &actor,
        Value::String(blocked_uri.to_string()),
    )
}

/// `Update` of a local actor, with the whole actor document.
pub fn update_actor(app: &App, view: &AccountView, public_key_pem: &str) -> Value {
    let mut document = actor(app, view, public_key_pem);
    let context = document
        .as_object_mut()
        .and_then(|object| object.remove("@context"))
        .unwrap_or(Value::Null);
    let id = document["id"].as_str().unwrap_or_default().to_string();
    json!({
        "@context": context,
        "id": format!("{id}#updates/{}", crate::util::time::now_ms()),
        "type": "Update",
        "actor": id,
        "to": [PUBLIC],
        "object": document,
    })
}

/// `Update` of a local status after an edit.
pub fn update_note(app: &App, view: &StatusView, in_reply_to: Option<String>) -> Value {
    let mut note = note(app, view, in_reply_to);
    let object = note.as_object_mut().expect("a note is an object");
    let context = object.remove("@context").unwrap_or(Value::Null);
    let edited = view.status.edited_ms.unwrap_or(view.status.created_ms);
    json!({
        "@context": context,
        "id": format!("{}#updates/{edited}", object["id"].as_str().unwrap_or_default()),
        "type": "Update",
        "actor": object["attributedTo"].clone(),
        "published": iso8601_ms(edited),
        "to": object["to"].clone(),
        "cc": object["cc"].clone(),
        "object": note,
    })
}

/// A vote in a remote poll: a `Create` of a `Note` named as the option, in reply to the
/// `Question`, addressed to its author only (as Mastodon votes).
pub fn vote(
    app: &App,
    voter_username: &str,
    question_uri: &str,
    author_uri: &str,
    option: &str,
    vote_key: &str,
) -> Value {
    let actor = app.actor_url(voter_username);
    let id = format!("{actor}#votes/{vote_key}");
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{id}/activity"),
        "type": "Create",
        "actor": actor,
        "to": [author_uri],
        "object": {
            "id": id,
            "type": "Note",
            "name": option,
            "attributedTo": actor,
            "inReplyTo": question_uri,
            "to": [author_uri],
        },
    })
}

/// The instance actor's `Follow` of a relay: of the public collection (Mastodon style) or of
/// the relay's actor (LitePub style), addressed to the object as relays expect.
pub fn relay_follow(app: &App, follow_id: &str, object: &str) -> Value {
    let mut follow = activity(
        follow_id.to_string(),
        "Follow",
        &instance_actor_id(app),
        Value::String(object.to_string()),
    );
    follow["to"] = json!([object]);
    follow
}
