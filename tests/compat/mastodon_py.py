"""Drives a running Skerry with Mastodon.py, the way a real client does.

Usage: python mastodon_py.py BASE_URL ALICE_PASSWORD BOB_PASSWORD

Registers an app, gets a token for two users through the OAuth authorization-code flow (the
login form is filled in with `requests`, as a person would in a browser), then posts, pages
through the home timeline, favourites, follows, uploads and attaches media and reads
notifications. Any mismatch raises,
so the process exits non-zero; on success it prints one line per step and "compat: ok".
"""

import html
import io
import re
import struct
import sys
import zlib

import requests
from mastodon import Mastodon

SCOPES = ["read", "write", "follow", "push"]


def red_square_png():
    """A 16x16 red PNG, written with the standard library."""
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * 16 for _ in range(16))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def step(text):
    print(f"compat: {text}", flush=True)


def log_in(base, client_id, client_secret, username, password):
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=base,
                   version_check_mode="created")
    url = api.auth_request_url(scopes=SCOPES, allow_http=True, state="s-" + username)
    page = requests.get(url, timeout=10)
    assert page.status_code == 200, page.status_code
    assert "Authorize" in page.text
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))
    fields = {name: html.unescape(value) for name, value in fields.items()}
    assert fields["client_id"] == client_id
    fields.update({"login": username, "password": password, "decision": "approve"})
    answer = requests.post(base + "/oauth/authorize", data=fields, timeout=10, allow_redirects=False)
    assert answer.status_code == 200, (answer.status_code, answer.text[:200])
    code = re.search(r'id="authorization-code">([^<]+)<', answer.text).group(1)
    api.log_in(code=code, scopes=SCOPES, allow_http=True)
    me = api.account_verify_credentials()
    assert me.username == username, me.username
    return api, me


def main():
    base, alice_password, bob_password = sys.argv[1:4]
    client_id, client_secret = Mastodon.create_app("skerry-compat", scopes=SCOPES, api_base_url=base,
                                                   website="https://compat.example")
    step("app registered")

    alice, alice_me = log_in(base, client_id, client_secret, "alice", alice_password)
    bob, bob_me = log_in(base, client_id, client_secret, "bob", bob_password)
    step("two users logged in through the authorize page")
    assert alice.verify_minimum_version("4.0.0", cached=True), "the version string must parse as 4.x"

    instance = alice.instance()
    assert instance.configuration.statuses.max_characters == 5000
    assert alice.instance_v2().domain
    step("instance v1 and v2 read")

    posted = []
    for index in range(25):
        status = alice.status_post(f"post {index} from Mastodon.py #compat", visibility="public", language="en")
        posted.append(status.id)
    assert posted == sorted(posted), "ids grow with time"
    assert alice.status(posted[0]).content.startswith("<p>post 0 from Mastodon.py")
    step("25 statuses posted")

    page = alice.timeline_home(limit=10)
    seen = [status.id for status in page]
    while True:
        page = alice.fetch_next(page)
        if not page:
            break
        seen += [status.id for status in page]
    assert seen == list(reversed(posted)), (len(seen), seen[:3])
    newest = alice.timeline_home(limit=5)
    older = alice.fetch_next(newest)
    back = alice.fetch_previous(older)
    assert [s.id for s in back] == [s.id for s in newest], "fetch_previous returns to the first page"
    step("home timeline paged with fetch_next / fetch_previous")

    relationship = bob.account_follow(alice_me.id)
    assert relationship.following
    assert [a.id for a in alice.account_followers(alice_me.id)] == [bob_me.id]
    assert bob.account_relationships(alice_me.id)[0].following
    bob_home = bob.timeline_home(limit=40)
    assert len(bob_home) == 25, len(bob_home)
    step("bob follows alice and sees her posts at home")

    target = posted[-1]
    favourited = bob.status_favourite(target)
    assert favourited.favourited and favourited.favourites_count == 1
    reblog = bob.status_reblog(target)
    assert reblog.reblog.id == target
    bob.status_bookmark(target)
    assert [s.id for s in bob.bookmarks()] == [target]
    assert [a.id for a in alice.status_favourited_by(target)] == [bob_me.id]
    reply = bob.status_post("@alice nice post", in_reply_to_id=target)
    context = alice.status_context(target)
    assert [s.id for s in context.descendants] == [reply.id]
    step("favourite, reblog, bookmark and reply")

    notifications = alice.notifications()
    kinds = [n.type for n in notifications]
    assert kinds == ["mention", "reblog", "favourite", "follow"], kinds
    favourites = alice.notifications(types=["favourite"])
    assert [n.type for n in favourites] == ["favourite"]
    assert favourites[0].status.id == target
    assert alice.notifications(exclude_types=["mention", "reblog", "favourite"])[0].type == "follow"
    one = alice.notifications(id=notifications[0].id)
    assert one.account.id == bob_me.id
    step("notifications listed, filtered and read one by one")

    results = alice.search_v2("bob", result_type="accounts")
    assert [a.acct for a in results.accounts] == ["bob"]
    step("search")

    media = alice.media_post(io.BytesIO(red_square_png()), mime_type="image/png",
                             description="a red square", focus=(0.5, -0.5), synchronous=True)
    assert media.type == "image" and media.url, media
    assert media.meta.original.width == 16
    media = alice.media_update(media, description="still a red square")
    with_media = alice.status_post("with a picture", media_ids=[media])
    assert with_media.media_attachments[0].description == "still a red square"
    step("media uploaded through v2, processed, described and attached")
    rest_of_the_api(base, alice, alice_me, bob, bob_me, target)

    alice.status_delete(posted[0])
    assert bob.account_unfollow(alice_me.id).following is False
    alice.notifications_clear()
    assert alice.notifications() == []
    print("compat: ok", flush=True)


ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def check_raw(base, token, path):
    """Mastodon's conventions on the raw JSON: ids as strings, times with milliseconds and Z."""
    answer = requests.get(base + path, headers={"Authorization": "Bearer " + token}, timeout=10)
    assert answer.status_code == 200, (path, answer.status_code, answer.text[:200])

    def walk(key, value):
        if isinstance(value, dict):
            for name, inner in value.items():
                walk(name, inner)
        elif isinstance(value, list):
            for item in value:
                if key.endswith("_ids"):
                    assert isinstance(item, str), (path, key, item)
                else:
                    walk(key, item)
        elif value is None:
            pass
        elif key == "id" or key.endswith("_id"):
            assert isinstance(value, str), (path, key, value)
        elif key == "last_status_at":
            assert re.match(r"^\d{4}-\d\d-\d\d$", value), (path, key, value)
        elif key.endswith("_at"):
            assert ISO_MS.match(value), (path, key, value)

    walk("", answer.json())


def rest_of_the_api(base, alice, alice_me, bob, bob_me, target):
    import datetime
    import threading

    from mastodon import StreamListener

    # Edits and their history; muting a thread; no translation service.
    edited = alice.status_update(target, "edited post")
    history = alice.status_history(target)
    assert len(history) == 2 and "edited post" in history[-1].content, history
    assert alice.status_mute(target).muted is True
    assert alice.status_unmute(target).muted is False
    try:
        alice.status_translate(target)
        raise AssertionError("translate must fail without a translation service")
    except Exception as error:  # MastodonNotFoundError
        assert "404" in str(error) or "not found" in str(error).lower(), error
    step("edit history, mute, translate")

    # Direct messages: a conversation, also as a streaming event.
    events = []
    arrived = threading.Event()

    class Listener(StreamListener):
        def on_conversation(self, conversation):
            events.append(conversation)
            arrived.set()

    handle = alice.stream_direct(Listener(), run_async=True)
    try:
        import time
        time.sleep(1.0)
        secret = bob.status_post("@alice just between us", visibility="direct")
        assert arrived.wait(10), "a conversation event arrives on the direct stream"
        assert events[0].last_status.id == secret.id
    finally:
        handle.close()
    conversations = alice.conversations()
    assert conversations[0].last_status.id == secret.id and conversations[0].unread
    assert alice.conversations_read(conversations[0].id).unread is False
    step("conversations and the direct stream")

    # Scheduled statuses.
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
    scheduled = alice.status_post("in an hour", scheduled_at=later)
    assert scheduled.params.text == "in an hour"
    assert [s.id for s in alice.scheduled_statuses()] == [scheduled.id]
    moved = alice.scheduled_status_update(scheduled.id, later + datetime.timedelta(hours=1))
    assert moved.scheduled_at > scheduled.scheduled_at
    alice.scheduled_status_delete(scheduled.id)
    assert alice.scheduled_statuses() == []
    step("scheduled statuses")

    # Tags: follow, feature; endorsements, notes, familiar followers, suggestions.
    assert alice.tag_follow("skerry").following is True
    assert [t.name for t in alice.followed_tags()] == ["skerry"]
    assert alice.tag("skerry").following is True
    alice.tag_unfollow("skerry")
    featured = alice.featured_tag_create("skerry")
    assert [t.name for t in alice.account_featured_tags(alice_me.id)] == ["skerry"]
    alice.featured_tag_delete(featured.id)
    bob.account_follow(alice_me.id)
    assert bob.account_pin(alice_me.id).endorsed is True  # `endorse` needs 4.4 in Mastodon.py
    assert [a.id for a in bob.endorsements()] == [alice_me.id]
    assert bob.account_note_set(alice_me.id, "writes tests").note == "writes tests"
    familiar = alice.account_familiar_followers(bob_me.id)
    assert familiar[0].id == bob_me.id
    alice.suggestions()
    assert alice_me.id in [a.id for a in alice.directory(local=True)]
    step("tags, featured tags, endorsements, notes, familiar followers, suggestions, directory")

    # Trends, instance, reports, announcements, grouped notifications.
    alice.trending_tags()
    alice.trending_statuses()
    alice.trending_links()
    assert alice.instance_rules() == []
    assert len(alice.instance_activity()) == 12
    alice.instance_peers()
    report = bob.report(alice_me.id, status_ids=[target], comment="test", category="other")
    assert report.target_account.id == alice_me.id
    assert alice.announcements() == []
    grouped = alice.grouped_notifications()
    assert grouped.notification_groups, grouped
    assert alice.notifications_policy().for_not_following == "accept"
    step("trends, instance, reports, announcements, grouped notifications")

    for path in ["/api/v1/conversations", "/api/v2/notifications", "/api/v1/trends/statuses",
                 "/api/v1/followed_tags", "/api/v1/directory", "/api/v1/scheduled_statuses",
                 f"/api/v1/statuses/{target}/history", "/api/v1/endorsements",
                 "/api/v2/suggestions", "/api/v1/notifications"]:
        check_raw(base, alice.access_token, path)
    step("entity shapes: ids as strings, times with milliseconds and Z")


if __name__ == "__main__":
    main()
