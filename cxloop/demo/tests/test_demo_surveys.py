"""The demo's live surveys and their responses (cxloop/demo/survey_responses.py): five surveys live since
about a year ago, every survey item of the feedback step answered through one of them, drop-off, exit
reasons that tell the demo's stories, and four quarterly staff rounds.

Uses the full demo of conftest.py.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta

from cxloop.customers.models import Event
from cxloop.demo import retail as R
from cxloop.demo.survey_responses import SURVEYS, demo_definition
from cxloop.demo.texts import INCIDENT
from cxloop.feedback.models import Answer, FeedbackItem
from cxloop.feedback.schemas import AnswerIn
from cxloop.surveys import engine
from cxloop.surveys.definition import parse_definition
from cxloop.surveys.models import Response, Survey

NPS, CSAT, CES, EXIT, ENPS = (
    "Relationship NPS",
    "Post-delivery CSAT",
    "Post-support CES",
    "Exit survey",
    "Employee NPS (eNPS)",
)
LINKED = (NPS, CSAT, CES)


def _responses(*names: str):
    rows = Response.objects.select_related("survey", "version", "feedback_item")
    return list(rows.filter(survey__name__in=names) if names else rows)


def _answer_rows() -> dict[int, dict[str, tuple]]:
    out: dict[int, dict[str, tuple]] = defaultdict(dict)
    for item_id, key, *columns in Answer.objects.filter(item__channel="survey").values_list(
        "item_id", "key", "type", "value", "text", "choices", "scale_min", "scale_max"
    ):
        out[item_id][key] = tuple(columns)
    return out


def _incident_hit(demo) -> set[int]:
    """Customers with a parcel of the North West incident: SwiftParcel, 3+ days late, in month −4."""
    start, end = demo["cal"].month_bounds(R.INCIDENT_MONTHS_BACK)
    return set(
        Event.objects.filter(
            name="order_delivered",
            customer__region=R.INCIDENT_REGION,
            occurred_at__gte=start,
            occurred_at__lt=end,
            properties__carrier=R.INCIDENT_CARRIER,
            properties__days_late__gte=3,
        ).values_list("customer_id", flat=True)
    )


def test_the_five_surveys_are_live_with_their_first_version(demo, db):
    cal = demo["cal"]
    surveys = {s.name: s for s in Survey.objects.select_related("current_version")}
    assert set(surveys) == {NPS, CSAT, CES, EXIT, ENPS}
    for spec in SURVEYS:
        survey = surveys[spec.name]
        version = survey.current_version
        assert survey.status == Survey.Status.LIVE
        assert survey.template == spec.template
        assert list(survey.versions.values_list("number", flat=True)) == [1]
        assert version.definition == survey.definition == demo_definition(spec)
        # built and published about a year ago, before its first response
        assert cal.start - timedelta(days=60) < survey.created_at < version.created_at < cal.start
        assert survey.updated_at == version.created_at
        first = survey.responses.order_by("started_at").values_list("started_at", flat=True).first()
        assert first is not None and version.created_at < first
    touchpoints = {name: s.touchpoint for name, s in surveys.items()}
    assert touchpoints == {NPS: "", CSAT: "delivery", CES: "support", EXIT: "churn", ENPS: ""}

    nps = surveys[NPS].current_version.parsed()
    assert nps.question("reason") is None and nps.question("comment").type == "text"
    assert nps.languages == ["en", "de", "fr"]
    assert "quarterly" in nps.welcome.title["en"]
    ces = surveys[CES].current_version.parsed()
    assert [q.key for q in ces.questions()] == ["ces", "resolved", "what_left", "comment"]
    assert not ces.question("comment").required
    assert surveys[ENPS].current_version.parsed().hidden_fields == ["round"]


def test_the_public_page_of_each_live_survey_answers(demo, db, client):
    for slug in Survey.objects.values_list("slug", flat=True):
        assert client.get(f"/s/{slug}/").status_code == 200, slug


def test_every_survey_item_of_the_feedback_step_is_a_response(demo, db):
    items = FeedbackItem.objects.filter(channel="survey", source__in=LINKED)
    assert items.count() > 5_000
    assert not items.filter(survey_response__isnull=True).exists()
    assert not FeedbackItem.objects.filter(channel="survey", survey_response__isnull=True).exists()


def test_responses_and_their_items_hold_the_same_answers(demo, db):
    """What the store keeps is what the surveys app would have written: the answers of the response's state
    as Answer rows, its words as the item's text, and the survey's keys in the item's metadata."""
    rows = _answer_rows()
    for r in _responses():
        item, defn = r.feedback_item, r.version.parsed()
        state = engine.State.load(r.state)
        expected = {}
        for a in engine.stored_answers(defn, state):
            n = AnswerIn.model_validate(a).normalized
            expected[a["key"]] = (
                a["type"],
                n["value"],
                n["text"],
                n["choices"],
                n["scale_min"],
                n["scale_max"],
            )
        assert rows[item.pk] == expected, item.external_id
        assert item.text == engine.response_text(defn, state), item.external_id
        assert item.source == r.survey.name and item.channel == "survey"
        assert r.version_id == r.survey.current_version_id
        assert item.customer_id == r.state.get("customer_id")
        assert r.via == (Response.Via.EMAIL if item.customer_id else Response.Via.LINK)
        meta = item.metadata
        assert (meta["survey_id"], meta["survey_version"], meta["response_id"]) == (r.survey_id, 1, r.pk)
        assert (meta["response_status"], meta["via"]) == (r.status, r.via)
        assert meta.get("hidden", {}) == state.hidden
        assert item.occurred_at == r.started_at <= r.updated_at < demo["cal"].today
        assert r.answered == len(state.answers)
        assert r.last_question == [q.key for q in defn.questions() if q.key in state.answers][-1]
        assert r.language in defn.languages


def test_responses_follow_their_survey_logic(demo, db):
    """Completed responses pass the engine's whole-response check; partial ones stopped where their page
    says, after answering every page before it."""
    for r in _responses():
        defn = r.version.parsed()
        answers, other = r.state["answers"], r.state["other"]
        submitted = {**answers, **{f"{k}__other": v for k, v in other.items()}}
        if r.status == Response.Status.COMPLETED:
            state = engine.State(hidden=dict(r.state["hidden"]), seed=r.token)
            assert engine.check_complete(defn, state, submitted) == {}, r.feedback_item.external_id
            assert state.answers == answers
            assert r.page is None and r.ending == "thanks" and r.completed_at == r.updated_at
            continue
        state = engine.State(hidden=dict(r.state["hidden"]), seed=r.token)
        pages = engine.pages(defn, state)
        at = engine.next_page(defn, state, None)
        while isinstance(at, int) and any(q.key in answers for _, q in pages[at].questions):
            assert engine.apply_page(defn, pages[at], state, submitted, other) == {}
            at = engine.next_page(defn, state, at)
        assert at == r.page and state.answers == answers, r.feedback_item.external_id
        assert r.completed_at is None and r.ending == ""


def test_drop_off_partial_responses(demo, db):
    status = Counter(Response.objects.values_list("survey__name", "status"))

    def share(name):
        partial = status[(name, Response.Status.PARTIAL)]
        return partial / (partial + status[(name, Response.Status.COMPLETED)])

    assert 0.09 <= share(NPS) <= 0.15
    assert 0.04 <= share(CSAT) <= 0.12
    assert 0.01 <= share(CES) <= 0.08
    assert 0 < share(EXIT) <= 0.35
    for r in _responses(NPS, CSAT, CES, EXIT):
        if r.status != Response.Status.PARTIAL:
            continue
        assert r.last_question and r.page is not None
        assert r.feedback_item.metadata["response_status"] == "partial"
        assert r.feedback_item.customer_id is not None
        first = {NPS: ["nps"], CSAT: ["csat"], CES: ["ces", "resolved"], EXIT: ["leave_reasons"]}
        assert list(r.state["answers"]) == first[r.survey.name]


def test_answers_added_to_the_feedback_steps_items_agree_with_the_data(demo, db):
    rows = _answer_rows()
    events = Event.objects.filter(name="order_delivered")
    delivered = {
        e["properties"]["order_id"]: e for e in events.values("properties", "occurred_at", "customer__region")
    }
    start, end = demo["cal"].month_bounds(R.INCIDENT_MONTHS_BACK)
    # delivery CSAT: on time exactly when the parcel was not late; late parcels rate the speed low
    speed = defaultdict(list)
    tracking_in_incident = []
    for r in _responses(CSAT):
        answers = r.state["answers"]
        e = delivered[r.state["hidden"]["order_id"]]
        late = e["properties"]["days_late"]
        if "on_time" in answers:
            assert answers["on_time"] == (late == 0)
        if "aspects" in answers:
            speed["late" if late >= 3 else "on time" if late == 0 else "a day or two"].append(
                answers["aspects"]["speed"]
            )
            incident = e["customer__region"] == R.INCIDENT_REGION and start <= e["occurred_at"] < end
            if incident and e["properties"]["carrier"] == R.INCIDENT_CARRIER and late >= 3:
                tracking_in_incident.append(answers["aspects"].get("tracking", 1))
    assert max(speed["late"]) <= 2 and min(speed["on time"]) >= 3
    assert len(speed["late"]) >= 20 and tracking_in_incident and set(tracking_in_incident) == {1}
    # relationship NPS: only detractors say what to fix first, and it is what their comment is about
    incident = [head for head in (sentence.split("{")[0] for sentence in INCIDENT) if len(head) >= 15]
    fix = defaultdict(Counter)
    for r in _responses(NPS):
        answers = r.state["answers"]
        text = r.feedback_item.text
        if "fix_first" in answers or "contact_ok" in answers:
            assert answers["nps"] <= 6
        if "fix_first" not in answers:
            continue
        about = "other"
        if "Linen Edit" in text:
            about = "linen"
        elif any(head in text for head in incident):
            about = "incident"
        fix[about][answers["fix_first"]] += 1
    assert set(fix["linen"]) == {"quality"}
    assert set(fix["incident"]) == {"delivery"}
    assert {"delivery", "quality", "returns", "support", "price", "other"} <= set(fix["other"])
    # the detractors the support team won back had said they may be contacted
    won_back = FeedbackItem.objects.filter(metadata__has_key="follow_up_of").values_list(
        "metadata__follow_up_of", flat=True
    )
    earlier = FeedbackItem.objects.filter(source=NPS, external_id__in=list(won_back))
    assert earlier.count() >= 100
    for item in earlier:
        assert rows[item.pk]["contact_ok"][1] == 1.0
    # CES: resolved less often after a long ticket; what is left only when not resolved
    hours = {
        e["ticket_id"]: e["hours_to_solve"]
        for e in Event.objects.filter(name="ticket_solved").values_list("properties", flat=True)
    }
    resolved = defaultdict(list)
    for r in _responses(CES):
        answers = r.state["answers"]
        if "what_left" in answers:
            assert answers["resolved"] is False
        h = hours[int(r.state["hidden"]["ticket_id"])]
        resolved["quick" if h < 8 else "slow" if h >= 48 else "middle"].append(answers["resolved"])
    quick = sum(resolved["quick"]) / len(resolved["quick"])
    slow = sum(resolved["slow"]) / len(resolved["slow"])
    assert quick >= 0.85 and slow <= quick - 0.15


def test_exit_answers_tell_the_stories(demo, db):
    cancelled = {
        customer_id: (when, props["reason"])
        for customer_id, when, props in Event.objects.filter(name="subscription_cancelled").values_list(
            "customer_id", "occurred_at", "properties"
        )
    }
    linen = defaultdict(list)
    for customer_id, when, props in Event.objects.filter(name="order_placed").values_list(
        "customer_id", "occurred_at", "properties"
    ):
        if props["product"].startswith("Linen Edit"):
            linen[customer_id].append(when)
    hit = _incident_hit(demo)
    responses = _responses(EXIT)
    assert len(responses) >= 0.5 * len(cancelled)
    cited = defaultdict(Counter)
    for r in responses:
        customer_id = r.feedback_item.customer_id
        when, reason = cancelled[customer_id]
        assert timedelta(hours=20) <= r.started_at - when <= timedelta(hours=53)  # a day or two later
        answers = r.state["answers"]
        reasons = [k for k in answers["leave_reasons"] if k != engine.OTHER]
        if customer_id in hit:
            story = "incident"
        elif any(t < when for t in linen[customer_id]):
            story = "linen"
        else:
            story = reason
        cited[story].update(reasons)
        if "main_reason" in answers:
            assert answers["main_reason"] in reasons
            cited[f"{story} (main)"][answers["main_reason"]] += 1
    assert cited["incident"] and cited["incident"].most_common(1)[0][0] == "delivery"
    assert cited["incident (main)"].most_common(1)[0][0] == "delivery"
    if cited["linen"]:
        assert cited["linen"].most_common(1)[0][0] == "quality"
    for reason, option in (
        ("Too expensive", "price"),
        ("Found a better offer elsewhere", "competitor"),
        ("Not ordering enough", "no_need"),
    ):
        assert set(cited[reason]) <= {"price", "competitor", "no_need"}
        if cited[reason]:
            assert cited[reason].most_common(1)[0][0] == option
    comments = [r.state["answers"].get("comment") for r in responses]
    assert any(comments)


def _enps(scores: list[int]) -> float:
    return 100 * (sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores)) / len(scores)


def test_staff_answer_the_enps_once_a_quarter(demo, db):
    rounds = defaultdict(list)
    for r in _responses(ENPS):
        assert r.feedback_item.customer_id is None and r.via == Response.Via.LINK
        assert r.status == Response.Status.COMPLETED
        rounds[r.state["hidden"]["round"]].append(r)
    assert len(rounds) == 4
    labels = sorted(rounds)
    quarters = [int(label[:4]) * 4 + int(label[-1]) for label in labels]
    assert quarters == list(range(quarters[0], quarters[0] + 4))  # four quarters in a row
    for label in labels:
        assert 8 <= len(rounds[label]) <= 40
        year, quarter = int(label[:4]), int(label[-1])
        for r in rounds[label]:
            assert (r.started_at.year, (r.started_at.month - 1) // 3 + 1) == (year, quarter)
    teams = {o.key for o in parse_definition(demo_definition(SURVEYS[-1])).question("team").options}
    answers = [r.state["answers"] for rs in rounds.values() for r in rs]
    assert {a["team"] for a in answers if "team" in a} == teams
    assert sum("one_change" in a for a in answers) >= 10
    peak = next(label for label in labels if label.endswith("Q4"))
    others = [r.state["answers"]["enps"] for label in labels if label != peak for r in rounds[label]]
    assert _enps([r.state["answers"]["enps"] for r in rounds[peak]]) < _enps(others) - 5
