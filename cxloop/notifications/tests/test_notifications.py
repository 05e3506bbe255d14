"""Notifications: written only for members, read and marked only by their own user, counted in the top bar
in one query, and kept apart between workspaces."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cxloop.core.exceptions import NotFound, ServiceError
from cxloop.notifications import selectors
from cxloop.notifications.models import Notification
from cxloop.notifications.services import mark_read, notify

ALERT = Notification.Kind.METRIC_ALERT


def alert_for(cast, *users, title="NPS dropped", url="/dashboards/"):
    return notify(
        workspace=cast.workspace,
        user_ids=[u.pk for u in users],
        kind=ALERT,
        title=title,
        body="Details",
        url=url,
    )


def test_notify_writes_one_row_per_member_and_skips_others(cast):
    made = alert_for(cast, cast.owner, cast.viewer, cast.outsider)
    assert sorted(n.user_id for n in made) == sorted([cast.owner.pk, cast.viewer.pk])
    assert Notification.objects.filter(user=cast.outsider).count() == 0
    assert notify(workspace=cast.workspace, user_ids=[], kind=ALERT, title="x") == []


def test_notify_refuses_links_outside_the_product_and_bad_input(cast):
    for url in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)", "/\\evil"):
        with pytest.raises(ServiceError) as info:
            alert_for(cast, cast.owner, url=url)
        assert info.value.field == "url"
    with pytest.raises(ServiceError):
        alert_for(cast, cast.owner, title="  ")
    with pytest.raises(ServiceError):
        notify(workspace=cast.workspace, user_ids=[cast.owner.pk], kind="gossip", title="x")
    long = alert_for(cast, cast.owner, title="x" * 500)[0]
    assert len(long.title) == 200 and long.title.endswith("…")
    assert not Notification.objects.exclude(pk=long.pk).exists()


def test_mark_read_one_or_all_and_only_ones_own(cast):
    mine = alert_for(cast, cast.analyst, title="one")[0]
    alert_for(cast, cast.analyst, title="two")
    theirs = alert_for(cast, cast.viewer, title="theirs")[0]
    assert selectors.unread_count(workspace=cast.workspace, user=cast.analyst) == 2
    assert mark_read(workspace=cast.workspace, user=cast.analyst, notification_id=mine.pk) == 1
    assert selectors.unread_count(workspace=cast.workspace, user=cast.analyst) == 1
    with pytest.raises(NotFound):
        mark_read(workspace=cast.workspace, user=cast.analyst, notification_id=theirs.pk)
    assert mark_read(workspace=cast.workspace, user=cast.analyst) == 1
    assert selectors.unread_count(workspace=cast.workspace, user=cast.analyst) == 0
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_the_page_lists_ones_own_and_marks_all_read(cast, login):
    alert_for(cast, cast.viewer, title="NPS of email dropped")
    alert_for(cast, cast.owner, title="Owner only")
    page = login(cast.viewer)
    html = page.get("/notifications/").content.decode()
    assert "NPS of email dropped" in html and "Owner only" not in html
    assert 'href="/dashboards/"' in html and "Mark all read" in html
    assert '<span class="notif-count">1<span class="sr-only"> unread</span></span>' in html
    r = page.post("/notifications/read/")
    assert r.status_code == 302 and r["Location"] == "/notifications/"
    html = page.get("/notifications/").content.decode()
    assert "notif-count" not in html and "Mark all read" not in html and "NPS of email dropped" in html
    assert Notification.objects.get(user=cast.owner).read_at is None


def test_one_notification_is_marked_read_by_its_id(cast, login):
    first, second = alert_for(cast, cast.viewer, title="a")[0], alert_for(cast, cast.viewer, title="b")[0]
    page = login(cast.viewer)
    assert page.post("/notifications/read/", {"id": str(first.pk)}).status_code == 302
    assert Notification.objects.get(pk=first.pk).read_at is not None
    assert Notification.objects.get(pk=second.pk).read_at is None
    assert page.post("/notifications/read/", {"id": "abc"}).status_code == 404
    assert page.get("/notifications/read/").status_code == 405


def test_the_badge_rides_on_the_membership_lookup_at_no_extra_query(cast, login):
    page = login(cast.viewer)
    page.get("/notifications/")  # warm the session
    with CaptureQueriesContext(connection) as none_unread:
        page.get("/settings/")
    touching = [q["sql"] for q in none_unread.captured_queries if "notifications_notification" in q["sql"]]
    assert len(touching) == 1 and "accounts_membership" in touching[0]
    alert_for(cast, cast.viewer, title="a")
    alert_for(cast, cast.viewer, title="b")
    alert_for(cast, cast.owner, title="not the viewer's")
    with CaptureQueriesContext(connection) as two_unread:
        html = page.get("/settings/").content.decode()
    assert len(two_unread) == len(none_unread)
    assert '<span class="notif-count">2<span class="sr-only"> unread</span></span>' in html
    with CaptureQueriesContext(connection) as api:
        page.get("/api/v1/health")
    assert not [q for q in api.captured_queries if "notifications_notification" in q["sql"]]


def test_a_membership_loaded_elsewhere_counts_with_one_lazy_query(cast, rf):
    from cxloop.accounts.models import Membership
    from cxloop.notifications.context_processors import unread_notifications

    alert_for(cast, cast.viewer)
    request = rf.get("/")
    request.user = cast.viewer
    request.membership = Membership.objects.select_related("workspace").get(
        workspace=cast.workspace, user=cast.viewer
    )
    with CaptureQueriesContext(connection) as ctx:
        badge = unread_notifications(request)["unread_notifications"]
        assert len(ctx) == 0  # nothing until a page prints it
        assert str(badge) == "1"
    assert len(ctx) == 1


def test_outsider_sees_and_marks_none_of_acme_notifications(cast, login):
    acme = alert_for(cast, cast.owner, title="Acme secret alert")[0]
    page = login(cast.outsider)
    html = page.get("/notifications/").content.decode()
    assert "Acme secret alert" not in html and "notif-count" not in html
    assert page.post("/notifications/read/", {"id": str(acme.pk)}).status_code == 404
    page.post("/notifications/read/")
    assert Notification.objects.get(pk=acme.pk).read_at is None
    # a member of both sees each workspace's own only
    from cxloop.accounts.models import Membership

    Membership.objects.create(workspace=cast.other_workspace, user=cast.owner, role="viewer")
    notify(workspace=cast.other_workspace, user_ids=[cast.owner.pk], kind=ALERT, title="Other Co alert")
    owner_page = login(cast.owner)
    html = owner_page.get("/notifications/").content.decode()
    assert ("Acme secret alert" in html) != ("Other Co alert" in html)
