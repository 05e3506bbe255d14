"""Analytics › Themes: the workspace's taxonomy from an industry template, edited by analysts."""

from __future__ import annotations

import pytest

from cxloop.analysis import services
from cxloop.analysis.models import Theme
from cxloop.analysis.taxonomies import TEMPLATES

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("key", list(TEMPLATES))
def test_each_industry_template_gives_two_levels_with_descriptions_and_examples(cast, key):
    added = services.taxonomy_from_template(workspace=cast.workspace, template=key)
    tops = Theme.objects.filter(workspace=cast.workspace, parent=None)
    subs = Theme.objects.filter(workspace=cast.workspace, parent__isnull=False)
    assert added == tops.count() + subs.count() and tops.count() >= 5
    assert all(t.description for t in Theme.objects.all())
    assert all(s.examples for s in subs)
    assert not Theme.objects.filter(parent__parent__isnull=False).exists()  # never a third level


def test_adding_a_template_twice_adds_nothing(cast):
    services.taxonomy_from_template(workspace=cast.workspace, template="online_retail")
    assert services.taxonomy_from_template(workspace=cast.workspace, template="online_retail") == 0


def test_analyst_starts_from_a_template_then_edits(login, cast):
    client = login(cast.analyst)
    client.post("/analytics/themes/template/", {"template": "online_retail"})
    page = client.get("/analytics/").content.decode()
    assert "Late delivery" in page and "Sizing and fit" in page
    delivery = Theme.objects.get(workspace=cast.workspace, name="Delivery")
    resp = client.post(
        "/analytics/themes/new/",
        {
            "name": "Click and collect",
            "parent": delivery.pk,
            "description": "Picking up in a store",
            "examples": "a\n\nb",
        },
    )
    assert resp.status_code == 302
    made = Theme.objects.get(name="Click and collect")
    assert made.parent == delivery and made.examples == ["a", "b"]
    client.post(f"/analytics/themes/{made.pk}/delete/")
    assert not Theme.objects.filter(name="Click and collect").exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": " "}, "Give the theme a name."),
        ({"name": "Late delivery", "parent": "PARENT"}, "already a theme called"),
        ({"name": "Deep", "parent": "SUB"}, "cannot have sub-themes"),
    ],
)
def test_bad_themes_are_refused_and_the_input_kept(login, cast, body, message):
    services.taxonomy_from_template(workspace=cast.workspace, template="online_retail")
    delivery = Theme.objects.get(workspace=cast.workspace, name="Delivery")
    late = Theme.objects.get(workspace=cast.workspace, name="Late delivery")
    body = {k: {"PARENT": delivery.pk, "SUB": late.pk}.get(v, v) for k, v in body.items()}
    before = Theme.objects.count()
    resp = login(cast.analyst).post("/analytics/themes/new/", {"description": "kept text", **body})
    assert resp.status_code in (409, 422) or message in resp.content.decode()
    assert message in resp.content.decode() and "kept text" in resp.content.decode()
    assert Theme.objects.count() == before


@pytest.mark.parametrize("role", ["agent", "viewer"])
def test_agents_and_viewers_see_themes_but_cannot_change_them(login, cast, role):
    services.taxonomy_from_template(workspace=cast.workspace, template="saas")
    client = login(cast.user(role))
    assert "Bugs and errors" in client.get("/analytics/").content.decode()
    theme = Theme.objects.first()
    assert client.post("/analytics/themes/template/", {"template": "banking"}).status_code == 403
    assert client.post("/analytics/themes/new/", {"name": "x"}).status_code == 403
    assert client.post(f"/analytics/themes/{theme.pk}/", {"name": "x"}).status_code == 403
    assert client.post(f"/analytics/themes/{theme.pk}/delete/").status_code == 403
    assert Theme.objects.filter(name="x").count() == 0 and Theme.objects.filter(pk=theme.pk).exists()


def test_outsider_never_sees_or_changes_acme_themes(login, cast):
    services.taxonomy_from_template(workspace=cast.workspace, template="hospitality")
    theme = Theme.objects.filter(workspace=cast.workspace).first()
    client = login(cast.outsider)
    assert "Cleanliness" not in client.get("/analytics/").content.decode()
    assert client.get(f"/analytics/themes/{theme.pk}/").status_code == 404
    assert client.post(f"/analytics/themes/{theme.pk}/", {"name": "mine"}).status_code == 404
    assert client.post(f"/analytics/themes/{theme.pk}/delete/").status_code == 404
    resp = client.post("/analytics/themes/new/", {"name": "Sub", "parent": theme.pk})
    assert resp.status_code == 404
    client.post("/analytics/themes/template/", {"template": "telecom"})
    assert not Theme.objects.filter(workspace=cast.workspace, name="Network").exists()
    assert Theme.objects.filter(workspace=cast.other_workspace, name="Network").exists()
    theme.refresh_from_db()
    assert theme.name != "mine"
