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

    alice.status_delete(posted[0])
    assert bob.account_unfollow(alice_me.id).following is False
    alice.notifications_clear()
    assert alice.notifications() == []
    print("compat: ok", flush=True)


if __name__ == "__main__":
    main()
