"""Drives a running Skerry with Mastodon.py, the way a real client does.

Usage: python mastodon_py.py BASE_URL ALICE_PASSWORD BOB_PASSWORD CAROL_PASSWORD SKERRY DATA

(SKERRY and DATA, the binary and the server's data directory, publish an announcement through
the admin socket.)

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
    base, alice_password, bob_password, carol_password, skerry, data = sys.argv[1:7]
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
    carol, carol_me = log_in(base, client_id, client_secret, "carol", carol_password)
    whole_surface(base, alice, alice_me, bob, bob_me, carol, carol_me, target, skerry, data)

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


class Collector:
    """Events of one stream by kind, with a way to wait for one that matches."""

    def __init__(self):
        import threading
        self.condition = threading.Condition()
        self.events = []

    def listener(self):
        from mastodon import StreamListener
        collector = self

        class Listener(StreamListener):
            def on_any_event(self, name, payload):
                with collector.condition:
                    collector.events.append((name, payload))
                    collector.condition.notify_all()

        return Listener()

    def wait(self, name, match=lambda payload: True, timeout=10):
        import time
        deadline = time.monotonic() + timeout
        with self.condition:
            while True:
                for event, payload in self.events:
                    if event == name and match(payload):
                        return payload
                left = deadline - time.monotonic()
                assert left > 0, f"no {name} event in {timeout} s: {[e for e, _ in self.events]}"
                self.condition.wait(left)


def open_stream(start):
    import time
    collector = Collector()
    handle = start(collector.listener())
    time.sleep(1.0)
    return collector, handle


def whole_surface(base, alice, alice_me, bob, bob_me, carol, carol_me, target, skerry, data):
    """The rest of issue 7's surface through Mastodon.py: streams (user, public, local, hashtag,
    list) and their events, polls, lists, filters, markers, preferences, follow requests,
    blocks, mutes, domain blocks, search operators, push subscriptions, the notification
    policy and requests, announcements and their reactions, userinfo, the link timeline,
    imports in overwrite mode, and Mastodon's entity conventions on every endpoint read."""
    import subprocess
    import time

    from mastodon import MastodonAPIError, MastodonNotFoundError

    # The user stream: update, notification, status.update, delete, filters_changed.
    alice.account_follow(bob_me.id)
    fresh = None
    user, user_handle = open_stream(lambda listener: alice.stream_user(listener, run_async=True))
    public, public_handle = open_stream(lambda listener: alice.stream_public(listener, run_async=True))
    local, local_handle = open_stream(lambda listener: alice.stream_local(listener, run_async=True))
    tag, tag_handle = open_stream(lambda listener: alice.stream_hashtag("surface", listener, run_async=True))
    close_list = alice.list_create("close")
    alice.list_accounts_add(close_list.id, [bob_me.id])
    listed, list_handle = open_stream(lambda listener: alice.stream_list(close_list.id, listener, run_async=True))
    try:
        assert alice.stream_healthy()
        hello = bob.status_post("hello from bob #surface", visibility="public")
        for collector in (user, public, local, tag, listed):
            collector.wait("update", lambda status: status.id == hello.id)
        fresh = alice.status_post("favourite me")
        bob.status_favourite(fresh.id)
        notification = user.wait("notification", lambda n: n.type == "favourite")
        assert notification.account.id == bob_me.id
        bob.status_update(hello.id, "hello again from bob #surface")
        edited = user.wait("status.update", lambda status: status.id == hello.id)
        assert "hello again" in edited.content
        mine = alice.status_post("about #surface from alice")
        alice.status_delete(mine.id)
        assert int(user.wait("delete", lambda deleted: str(deleted) == str(mine.id))) == int(mine.id)
        keyword_filter = alice.create_filter_v2("secrets", context=["home"], filter_action="warn",
                                                keywords_attributes=[{"keyword": "secret", "whole_word": True}])
        user.wait("filters_changed")
    finally:
        for handle in (user_handle, public_handle, local_handle, tag_handle, list_handle):
            handle.close()
    step("streams: user (update, notification, status.update, delete, filters_changed), public, local, hashtag, list")

    # Filters applied to the home timeline, v2 and v1.
    bob.status_post("a secret plan", visibility="public")
    home = alice.timeline_home(limit=5)
    assert home[0].filtered and home[0].filtered[0].filter.title == "secrets", home[0]
    assert [f.title for f in alice.filters_v2()] == ["secrets"]
    alice.add_filter_keyword_v2(keyword_filter.id, "plan")
    assert len(alice.filter_keywords_v2(keyword_filter.id)) == 2
    assert alice.filters()[0].phrase in ("secret", "plan")
    alice.delete_filter_v2(keyword_filter.id)
    assert alice.filters_v2() == []
    step("filters v2 and v1, applied to the home timeline")

    # Lists.
    alice.list_update(close_list.id, "closer", replies_policy="followed")
    assert alice.list(close_list.id).title == "closer"
    assert [a.id for a in alice.list_accounts(close_list.id)] == [bob_me.id]
    assert hello.id in [s.id for s in alice.timeline_list(close_list.id)]
    assert [l.id for l in alice.account_lists(bob_me.id)] == [close_list.id]
    alice.list_accounts_delete(close_list.id, [bob_me.id])
    assert alice.list_accounts(close_list.id) == []
    step("lists, their accounts and timeline")

    # Polls.
    asked = alice.status_post("tabs or spaces?", poll=alice.make_poll(["tabs", "spaces"], expires_in=3600))
    voted = bob.poll_vote(asked.poll.id, [1])
    assert voted.voted and voted.own_votes == [1] and voted.votes_count == 1
    assert alice.poll(asked.poll.id).options[1].votes_count == 1
    step("polls: create, vote, read")

    # Markers and preferences.
    alice.markers_set(["home"], [hello.id])
    assert alice.markers_get("home").home.last_read_id == hello.id
    assert alice.preferences()["posting:default:visibility"] in ("public", "unlisted", "private")
    step("markers and preferences")

    # Follow requests of a locked account; blocks, mutes and domain blocks.
    carol.account_update_credentials(locked=True)
    assert bob.account_follow(carol_me.id).requested
    assert [a.id for a in carol.follow_requests()] == [bob_me.id]
    carol.follow_request_authorize(bob_me.id)
    assert bob.account_relationships(carol_me.id)[0].following
    carol.account_update_credentials(locked=False)
    alice.account_block(carol_me.id)
    assert [a.id for a in alice.blocks()] == [carol_me.id]
    alice.account_unblock(carol_me.id)
    alice.account_mute(carol_me.id)
    assert [a.id for a in alice.mutes()] == [carol_me.id]
    alice.account_unmute(carol_me.id)
    alice.domain_block("spam.example")
    assert alice.domain_blocks() == ["spam.example"]
    alice.domain_unblock("spam.example")
    step("follow requests, blocks, mutes, domain blocks")

    # Search operators (statuses a user interacted with are searchable).
    alice.status_favourite(hello.id)
    found = alice.search_v2('from:bob "again from bob"', result_type="statuses")
    assert [s.id for s in found.statuses] == [hello.id], found.statuses
    assert alice.search_v2("surface", result_type="hashtags").hashtags[0].name == "surface"
    step("search: from:, phrases, hashtags")

    # Web Push subscription CRUD (every alert off: nothing is sent anywhere).
    keys = alice.push_subscription_generate_keys()
    subscription = alice.push_subscription_set("https://push.example/compat", keys[1], policy="none",
                                               follow_events=False, favourite_events=False,
                                               reblog_events=False, mention_events=False)
    assert subscription.endpoint == "https://push.example/compat" and subscription.server_key
    assert alice.push_subscription().policy == "none"
    alice.push_subscription_update(poll_events=True)
    assert alice.push_subscription().alerts.poll is True
    alice.push_subscription_delete()
    step("push subscription: create, read, update, delete")

    # The notification policy: filter into requests, accept, drop.
    updated = alice.update_notifications_policy(for_not_following="filter")
    assert updated.for_not_following == "filter"
    carol.status_favourite(fresh.id)
    # Bob's direct message earlier was an unsolicited private mention: filtered by default.
    by_sender = {r.account.id: r for r in alice.notification_requests()}
    assert sorted(by_sender) == sorted([carol_me.id, bob_me.id]), by_sender
    assert by_sender[bob_me.id].last_status.visibility == "direct"
    assert alice.notifications_policy().summary.pending_requests_count == 2
    assert alice.notification_request(by_sender[carol_me.id].id).notifications_count == "1"
    assert carol_me.id not in [n.account.id for n in alice.notifications()]
    alice.accept_notification_request(by_sender[carol_me.id].id)
    assert [r.account.id for r in alice.notification_requests()] == [bob_me.id]
    alice.dismiss_notification_request(by_sender[bob_me.id].id)
    assert alice.notification_requests() == []
    assert carol_me.id in [n.account.id for n in alice.notifications(types=["favourite"])]
    alice.update_notifications_policy(for_not_following="drop", for_not_followers="accept")
    bob.account_unfollow(alice_me.id)
    alice.account_unfollow(bob_me.id)
    before = len(alice.notifications())
    bob.account_follow(alice_me.id)
    assert len(alice.notifications()) == before and alice.notification_requests() == []
    alice.update_notifications_policy(for_not_following="accept")
    step("notification policy: filter, requests, accept, drop")

    # Announcements and reactions.
    subprocess.run([skerry, "admin", "announcement", "publish", "Maintenance tonight", "--data", data],
                   check=True, capture_output=True, timeout=30)
    announcement = alice.announcements()[0]
    alice.announcement_reaction_create(announcement.id, "👍")
    bob.announcement_reaction_create(announcement.id, "👍")
    reaction = alice.announcements()[0].reactions[0]
    assert (reaction.name, reaction.count, reaction.me) == ("👍", 2, True), reaction
    try:
        alice.announcement_reaction_create(announcement.id, "not_an_emoji")
        raise AssertionError("an unknown emoji is refused")
    except MastodonAPIError as error:
        assert "422" in str(error) or "recognized" in str(error), error
    alice.announcement_reaction_delete(announcement.id, "👍")
    assert alice.announcements()[0].reactions[0].me is False
    alice.announcement_dismiss(announcement.id)
    assert alice.announcements()[0].read is True
    step("announcements: reactions and dismissal")

    # OAuth userinfo and the link timeline.
    # Mastodon.py's `oauth_userinfo()` insists on https, which this loopback server is not:
    # the endpoint it finds in the server metadata is asked directly with its token.
    metadata = alice.oauth_authorization_server_info()
    assert metadata.userinfo_endpoint == base + "/oauth/userinfo", metadata
    info = requests.get(metadata.userinfo_endpoint, timeout=10,
                        headers={"Authorization": "Bearer " + alice.access_token}).json()
    assert info["preferred_username"] == "alice" and info["sub"] == alice_me.uri, info
    linked = bob.status_post("look https://news.example/compat", visibility="public")
    assert [s.id for s in alice.timeline_link("https://news.example/compat")] == [linked.id]
    try:
        alice.timeline_link("https://news.example/nothing")
        raise AssertionError("a link nobody posted has no timeline")
    except MastodonNotFoundError:
        pass
    step("oauth userinfo, link timeline")

    # Imports: overwrite replaces the follows with the file's.
    headers = {"Authorization": "Bearer " + alice.access_token}
    host = base.split("://", 1)[1]
    alice.account_follow(bob_me.id)
    alice.account_follow(carol_me.id)
    answer = requests.post(base + "/settings/imports?type=following&mode=overwrite", headers={
        **headers, "Content-Type": "text/csv"}, data=f"Account address,Show boosts\ncarol@{host},true\n",
        timeout=30)
    assert answer.status_code == 200 and answer.json()["removed"] == 1, answer.text
    following = [a.id for a in alice.account_following(alice_me.id)]
    assert following == [carol_me.id], following
    exported = requests.get(base + "/settings/exports/follows.csv", headers=headers, timeout=10)
    assert f"carol@{host}" in exported.text and "bob@" not in exported.text
    step("imports: overwrite mode, export")

    for path in ["/api/v1/lists", "/api/v2/filters", "/api/v1/markers?timeline[]=home",
                 "/api/v1/notifications/requests", "/api/v1/announcements",
                 f"/api/v1/polls/{asked.poll.id}", "/api/v1/follow_requests", "/api/v1/blocks",
                 "/api/v1/mutes", "/api/v2/notifications/policy", "/api/v1/featured_tags",
                 "/api/v1/instance", "/api/v2/instance", "/api/v1/accounts/verify_credentials",
                 "/api/v1/timelines/home", "/api/v1/timelines/public", "/api/v1/bookmarks",
                 "/api/v1/favourites", "/api/v2/search?q=bob", "/api/v1/trends/tags",
                 "/api/v1/preferences", f"/api/v1/statuses/{asked.id}",
                 f"/api/v1/accounts/{bob_me.id}/statuses"]:
        check_raw(base, alice.access_token, path)
    step("entity shapes of the whole surface")


if __name__ == "__main__":
    main()
