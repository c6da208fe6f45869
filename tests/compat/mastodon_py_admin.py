"""Drives Skerry's sign-up and admin API with Mastodon.py, as an app with admin screens does.

Usage: python mastodon_py_admin.py BASE_URL MODERATOR_TOKEN

The server runs with `registrations = "approval"`. A person signs up through
`Mastodon.create_account`; their token is refused until the moderator approves them with
`admin_account_approve`; the moderator then silences, lists by status and unsilences them,
and reads the report list. Any mismatch raises, so the process exits non-zero; on success it
prints one line per step and "admin: ok".
"""

import sys
from datetime import datetime, timedelta, timezone

from mastodon import Mastodon, MastodonAPIError

SCOPES = ["read", "write"]


def step(text):
    print(f"admin: {text}", flush=True)


def main():
    base, moderator_token = sys.argv[1:3]
    client_id, client_secret = Mastodon.create_app("skerry-signup", scopes=SCOPES, api_base_url=base)
    newbie = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=base,
                      version_check_mode="none")
    newbie.create_account("newbie", "correct horse battery", "newbie@example.test", agreement=True,
                          reason="I like boats", scopes=SCOPES)
    step("signed up through create_account")
    try:
        newbie.account_verify_credentials()
        raise AssertionError("a pending account's token works")
    except MastodonAPIError as error:
        assert "pending approval" in str(error), error
    step("the token waits for approval")

    moderator = Mastodon(access_token=moderator_token, api_base_url=base, version_check_mode="none")
    pending = moderator.admin_accounts_v2(status="pending")
    assert [account.username for account in pending] == ["newbie"], pending
    entry = pending[0]
    assert entry.approved is False and entry.invite_request == "I like boats", entry
    assert entry.account.acct == "newbie"
    approved = moderator.admin_account_approve(entry)
    assert approved.approved is True
    me = newbie.account_verify_credentials()
    assert me.username == "newbie"
    step("approved, and the token works")

    moderator.admin_account_moderate(entry, action="silence", text="noisy")
    silenced = moderator.admin_accounts_v2(status="silenced")
    assert [account.username for account in silenced] == ["newbie"], silenced
    assert moderator.admin_account(entry).silenced is True
    unsilenced = moderator.admin_account_unsilence(entry)
    assert unsilenced.silenced is False
    step("silenced, listed by status, unsilenced")

    local = moderator.admin_accounts_v2(origin="local")
    assert {account.username for account in local} == {"mod", "newbie"}, local
    assert moderator.admin_reports() == []
    step("accounts by origin and the (empty) report list")

    today = datetime.now(timezone.utc)
    measures = moderator.admin_measures(today - timedelta(days=6), today, new_users=True,
                                        opened_reports=True, interactions=True)
    by_key = {measure.key: measure for measure in measures}
    assert set(by_key) == {"new_users", "opened_reports"}, by_key.keys()
    assert by_key["new_users"].total == "2", by_key["new_users"]
    assert len(by_key["new_users"].data) == 7
    assert str(by_key["new_users"].data[-1].value) == "2", by_key["new_users"].data
    dimensions = moderator.admin_dimensions(today - timedelta(days=6), today, space_usage=True)
    usage = dimensions[0].data[0]
    assert dimensions[0].key == "space_usage" and int(usage.value) > 0, dimensions
    step("dashboard measures and the database's size")
    cohorts = moderator.admin_retention(today - timedelta(days=6), today, frequency="day")
    assert len(cohorts) == 7, cohorts
    newest = cohorts[-1]
    assert newest.frequency == "day" and len(newest.data) == 1, newest
    assert str(newest.data[0].value) == "2" and float(newest.data[0].rate) == 1.0, newest
    assert all(str(cohort.data[0].value) == "0" for cohort in cohorts[:-1]), cohorts
    step("retention cohorts")
    print("admin: ok", flush=True)


if __name__ == "__main__":
    main()
