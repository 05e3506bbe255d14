"""The import page's column-by-column mapping form: guessed from column names, built into a mapping."""

from __future__ import annotations

import pytest

from cxloop.feedback import imports
from cxloop.feedback.mapping import MappingError
from cxloop.feedback.mapping_form import build, guess, to_form
from cxloop.feedback.models import Answer, FeedbackItem

COLUMNS = ["Review ID", "Created At", "Stars", "Subject", "Comment", "E-mail", "Author", "NPS"]
CSV = (
    b"Review ID,Created At,Stars,Subject,Comment,E-mail,Author,NPS\n"
    b"r-1,2026-01-02T10:00:00Z,5,Great,Fast delivery,anna@x.example,Anna,9\n"
    b"r-2,2026-01-03T10:00:00Z,2,Meh,Late parcel,ben@x.example,Ben,3\n"
)


def test_guess_matches_columns_by_their_usual_names():
    values = guess(COLUMNS)

    assert values["col__external_id"] == "Review ID"
    assert values["col__occurred_at"] == "Created At"
    assert values["col__title"] == "Subject"
    assert values["col__text"] == "Comment"
    assert values["col__customer.email"] == "E-mail"
    assert values["col__customer.name"] == "Author"
    scores = {values[f"ans{i}_col"]: values[f"ans{i}_type"] for i in range(2)}
    assert scores == {"Stars": "rating", "NPS": "nps"}


def test_guess_of_unknown_columns_guesses_nothing():
    assert guess(["foo", "bar"]) == {}


def _form(**changes):
    values = {
        "const__channel": "review",
        "const__source": "Trustpilot",
        "col__external_id": "Review ID",
        "col__occurred_at": "Created At",
        "col__text": "Comment",
        "col__customer.email": "E-mail",
        "ans0_col": "Stars",
        "ans0_key": "stars",
        "ans0_type": "rating",
        "ans0_scale": "1-5",
    }
    values.update(changes)
    return values


def test_build_makes_a_mapping_with_constants_columns_and_scored_answers():
    mapping = build(_form(), COLUMNS)

    assert mapping["kind"] == "feedback"
    assert mapping["fields"]["channel"] == {"const": "review"}
    assert mapping["fields"]["source"] == {"const": "Trustpilot"}
    assert mapping["fields"]["customer.email"] == "E-mail"
    assert mapping["answers"] == [{"key": "stars", "type": "rating", "value": "Stars", "scale": [1, 5]}]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"col__occurred_at": ""}, "when each row happened"),
        ({"col__text": "Nope"}, "no column 'Nope'"),
        ({"const__channel": "fax"}, "Channel"),
        ({"ans0_type": ""}, "Score 1: choose a question type"),
        ({"ans0_scale": "five"}, "Score 1: write the scale as min-max"),
    ],
)
def test_build_refuses_an_incomplete_or_wrong_form_naming_the_field(changes, message):
    with pytest.raises(MappingError, match=message):
        build(_form(**changes), COLUMNS)


def test_importing_with_the_form_stores_the_rows_with_their_scores(
    cast, login, django_capture_on_commit_callbacks
):
    job = imports.import_upload(workspace=cast.workspace, user=cast.owner, filename="r.csv", chunks=[CSV])
    client = login(cast.owner)

    page = client.get(f"/settings/imports/{job.pk}/")
    assert b"<option selected>Comment</option>" in page.content  # the guess is shown

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/settings/imports/{job.pk}/", {"use_form": "1", "action": "import", **_form()}
        )

    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.created_count, job.error_count) == ("done", 2, 0)
    items = FeedbackItem.objects.filter(workspace=cast.workspace, source="Trustpilot").order_by("external_id")
    assert [i.text for i in items] == ["Fast delivery", "Late parcel"]
    assert sorted(Answer.objects.filter(item__in=items).values_list("value", flat=True)) == [2.0, 5.0]


def test_a_wrong_form_shows_the_error_and_starts_nothing(cast, login):
    job = imports.import_upload(workspace=cast.workspace, user=cast.owner, filename="r.csv", chunks=[CSV])

    response = login(cast.owner).post(
        f"/settings/imports/{job.pk}/",
        {"use_form": "1", "action": "import", **_form(col__occurred_at="")},
        follow=True,
    )

    assert b"when each row happened" in response.content
    job.refresh_from_db()
    assert job.status == "uploaded"
    assert not FeedbackItem.objects.filter(workspace=cast.workspace).exists()


def test_a_built_mapping_reads_back_into_the_same_form():
    values = _form()
    assert to_form(build(values, COLUMNS)) == values
