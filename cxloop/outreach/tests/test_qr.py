"""QR codes of a survey's public link, as SVG and PNG downloads, optionally carrying hidden field values."""

from __future__ import annotations

import io

import pytest
import segno

from cxloop.surveys.tests.helpers import live_survey

pytestmark = pytest.mark.django_db

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _expected(url: str, kind: str) -> bytes:
    out = io.BytesIO()
    qr = segno.make(url, error="m", micro=False)
    if kind == "svg":
        qr.save(out, kind="svg", scale=10, border=4, title=url)
    else:
        qr.save(out, kind="png", scale=10, border=4)
    return out.getvalue()


def test_every_member_downloads_the_link_as_svg_and_png(login, cast):
    survey = live_survey(cast.workspace, template="relationship_nps")
    url = f"http://testserver/s/{survey.slug}/"
    client = login(cast.viewer)

    svg = client.get(f"/surveys/{survey.pk}/qr.svg")
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml"
    assert svg["Content-Disposition"] == f'attachment; filename="survey-{survey.slug}-qr.svg"'
    assert svg.content.startswith(b"<?xml") and b"<svg" in svg.content
    assert f"<title>{url}</title>".encode() in svg.content
    assert svg.content == _expected(url, "svg")  # the modules encode exactly this link

    png = client.get(f"/surveys/{survey.pk}/qr.png")
    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    assert png.content.startswith(PNG_SIGNATURE)
    assert png.content == _expected(url, "png")
    assert png.content != _expected(url + "x", "png")


def test_hidden_field_values_from_the_query_string_go_into_the_link(login, cast):
    survey = live_survey(cast.workspace, template="delivery_csat")
    url = f"http://testserver/s/{survey.slug}/?touchpoint=store-berlin"
    client = login(cast.agent)
    svg = client.get(f"/surveys/{survey.pk}/qr.svg?touchpoint=store-berlin")
    assert f"<title>{url}</title>".encode() in svg.content
    png = client.get(f"/surveys/{survey.pk}/qr.png?touchpoint=store-berlin")
    assert png.content == _expected(url, "png")

    wrong = client.get(f"/surveys/{survey.pk}/qr.svg?shop=berlin")
    assert wrong.status_code == 400
    assert (
        wrong.content.decode()
        == "'shop' is not a hidden field of this survey (its hidden fields: order_id, touchpoint)."
    )


def test_outsider_gets_no_qr_code_of_an_acme_survey(login, cast):
    survey = live_survey(cast.workspace, template="relationship_nps")
    client = login(cast.outsider)
    for kind in ("svg", "png"):
        assert client.get(f"/surveys/{survey.pk}/qr.{kind}").status_code == 404
    assert client.get(f"/surveys/{survey.pk}/qr.svg").content.find(survey.slug.encode()) == -1
