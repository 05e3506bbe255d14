"""The website widget's writes and the answers it gives the script on the customer's site.

The script asks for its configuration (which surveys show where, and when), then walks a respondent
through a survey page by page: every page is checked by the same engine as the public survey page, and
saved as it goes (partials count, so drop-off is measurable).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import asdict
from typing import Any

from django.core import signing
from django.db import transaction
from django.utils import timezone

from cxloop.accounts.models import Workspace
from cxloop.core.exceptions import Conflict, NotFound, ServiceError
from cxloop.customers.schemas import CustomerRef
from cxloop.customers.services import customers_resolve
from cxloop.outreach.services import contact_check, contact_record
from cxloop.surveys import engine
from cxloop.surveys import services as surveys
from cxloop.surveys.chrome import chrome
from cxloop.surveys.models import Response, Survey
from cxloop.surveys.public_views import present_page

from .models import Placement, WidgetSite

_TOKEN_SALT = "cxloop.widget.token"
TARGET_OPS = ("eq", "neq", "contains", "gt", "lt", "in")
MAX_EVENTS = 20
_EVENT = re.compile(r"^[A-Za-z0-9_.:\-]{1,60}$")
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.\-]+(:\d{1,5})?$")


# -- the installation ---------------------------------------------------------------------------------------
def site_for(workspace: Workspace) -> WidgetSite:
    """The workspace's widget installation, made on first use."""
    site, _ = WidgetSite.objects.get_or_create(
        workspace=workspace,
        defaults={
            "site_key": "ws_" + secrets.token_urlsafe(18),
            "identity_secret": secrets.token_urlsafe(32),
        },
    )
    return site


def site_update(*, site: WidgetSite, allowed_origins: str, is_active: bool) -> WidgetSite:
    origins = []
    for line in re.split(r"[\s,]+", allowed_origins.strip()):
        if not line:
            continue
        origin = line.rstrip("/")
        if not _ORIGIN.match(origin):
            raise ServiceError(
                f"{line!r} is not an origin like https://shop.example.com (scheme, host, optional port).",
                field="allowed_origins",
            )
        origins.append(origin.lower())
    site.allowed_origins = sorted(set(origins))
    site.is_active = is_active
    site.save(update_fields=["allowed_origins", "is_active"])
    return site


def site_rotate_secret(*, site: WidgetSite) -> WidgetSite:
    site.identity_secret = secrets.token_urlsafe(32)
    site.save(update_fields=["identity_secret"])
    return site


def site_by_key(site_key: str) -> WidgetSite:
    site = WidgetSite.objects.filter(site_key=site_key, is_active=True).select_related("workspace").first()
    if site is None:
        raise NotFound("No active widget with this site key.")
    return site


def origin_allowed(site: WidgetSite, origin: str | None) -> bool:
    return not site.allowed_origins or (origin or "").rstrip("/").lower() in site.allowed_origins


def identity_hash(site: WidgetSite, visitor_id: str) -> str:
    """What the customer's server computes for a signed-in visitor: HMAC-SHA256(secret, id), hex."""
    return hmac.new(site.identity_secret.encode(), visitor_id.encode(), hashlib.sha256).hexdigest()


def verified_customer_id(site: WidgetSite, visitor: dict[str, Any] | None) -> int | None:
    """The customer behind a signed-in visitor whose id carries a valid signature; None otherwise (an
    anonymous response: nobody can attach words to a known customer from a public web page)."""
    if not isinstance(visitor, dict):
        return None
    visitor_id, given = str(visitor.get("id") or "")[:200], str(visitor.get("user_hash") or "")
    if not visitor_id or not hmac.compare_digest(identity_hash(site, visitor_id), given):
        return None
    with transaction.atomic():
        (customer,) = customers_resolve(workspace=site.workspace, refs=[CustomerRef(external_id=visitor_id)])
    return customer.pk if customer else None


# -- placements ---------------------------------------------------------------------------------------------
def placement_for(survey: Survey) -> Placement:
    placement = Placement.objects.filter(survey=survey).first()
    return placement or Placement(workspace_id=survey.workspace_id, survey=survey)


def parse_targeting(text: str) -> list[dict[str, Any]]:
    """Lines like `plan = gold`, `orders > 3`, `country in DE, AT`, `segment != trade` → tests."""
    rules = []
    for n, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        m = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_.]{0,59})\s*(!=|=|>|<|contains|in)\s*(.+)", line)
        if not m:
            raise ServiceError(
                f"Targeting line {n} ({line!r}) is not like `plan = gold`, `orders > 3` or "
                "`country in DE, AT`.",
                field="targeting",
            )
        attribute, op, value = m.group(1), m.group(2), m.group(3).strip()
        op = {"=": "eq", "!=": "neq", ">": "gt", "<": "lt"}.get(op, op)
        rules.append(
            {
                "attribute": attribute,
                "op": op,
                "value": [v.strip() for v in value.split(",") if v.strip()] if op == "in" else value,
            }
        )
    return rules


def targeting_text(rules: list[dict[str, Any]]) -> str:
    symbol = {"eq": "=", "neq": "!=", "gt": ">", "lt": "<", "contains": "contains", "in": "in"}
    lines = []
    for r in rules:
        value = ", ".join(r["value"]) if isinstance(r["value"], list) else r["value"]
        lines.append(f"{r['attribute']} {symbol[r['op']]} {value}")
    return "\n".join(lines)


def placement_save(
    *,
    survey: Survey,
    enabled: bool,
    mode: str,
    url_op: str,
    url_value: str,
    delay_seconds: int,
    exit_intent: bool,
    events: str,
    sample_rate: int,
    targeting: str,
    cooldown_days: int,
    tab_label: str,
) -> Placement:
    if mode not in Placement.Mode.values:
        raise ServiceError("Choose pop-over or feedback tab.", field="mode")
    if url_op not in Placement.UrlOp.values:
        raise ServiceError("Choose how the page address is matched.", field="url_op")
    if url_op != Placement.UrlOp.ANY and not url_value.strip():
        raise ServiceError("Say which page address to match.", field="url_value")
    if not 0 <= sample_rate <= 100:
        raise ServiceError("The sample rate is a percentage from 0 to 100.", field="sample_rate")
    if not 0 <= delay_seconds <= 3600:
        raise ServiceError("The delay is 0 to 3,600 seconds.", field="delay_seconds")
    if not 0 <= cooldown_days <= 3650:
        raise ServiceError("The cool-down is 0 to 3,650 days.", field="cooldown_days")
    names = [e.strip() for e in re.split(r"[\s,]+", events) if e.strip()]
    bad = [e for e in names if not _EVENT.match(e)]
    if bad:
        raise ServiceError(f"Event name {bad[0]!r} may use letters, digits and _ . : - only.", field="events")
    if len(names) > MAX_EVENTS:
        raise ServiceError(f"At most {MAX_EVENTS} events.", field="events")
    if enabled and survey.status != Survey.Status.LIVE:
        raise ServiceError("Publish the survey before showing it in the widget.", field="enabled")
    site_for(survey.workspace)  # the installation the placement will be served from
    placement = placement_for(survey)
    placement.enabled = enabled
    placement.mode = mode
    placement.url_op = url_op
    placement.url_value = url_value.strip()[:300]
    placement.delay_seconds = delay_seconds
    placement.exit_intent = exit_intent
    placement.events = names
    placement.sample_rate = sample_rate
    placement.targeting = parse_targeting(targeting)
    placement.cooldown_days = cooldown_days
    placement.tab_label = (tab_label.strip() or "Feedback")[:40]
    placement.updated_at = timezone.now()
    placement.save()
    return placement


# -- what the script asks -----------------------------------------------------------------------------------
def page_json(defn, page_index: int, state: engine.State, language: str, errors=None, posted=None) -> dict:
    page = engine.pages(defn, state)[page_index]
    questions = present_page(defn, page, state, language, errors or {}, posted)
    block = page.blocks[0]
    return {
        "index": page_index,
        "title": engine.text(defn, block.title, language, state) if len(page.blocks) == 1 else "",
        "progress": engine.progress(defn, state, page_index) if defn.progress_bar else None,
        "questions": [asdict(q) for q in questions],
        "ui": {k: v for k, v in chrome(language).items() if k in ("send", "yes", "no", "other", "agree")},
    }


def config(*, site: WidgetSite, language: str | None, base_url: str) -> dict[str, Any]:
    """The live surveys this site's widget shows, with their triggers and targeting."""
    placements = (
        Placement.objects.filter(workspace=site.workspace, enabled=True, survey__status=Survey.Status.LIVE)
        .select_related("survey", "survey__current_version")
        .order_by("survey_id")
    )
    out = []
    for p in placements:
        defn = p.survey.current_version.parsed()
        out.append(
            {
                "survey": p.survey_id,
                "name": p.survey.name,
                "mode": p.mode,
                "url": {"op": p.url_op, "value": p.url_value},
                "delay_seconds": p.delay_seconds,
                "exit_intent": p.exit_intent,
                "events": p.events,
                "sample_rate": p.sample_rate,
                "targeting": p.targeting,
                "cooldown_days": p.cooldown_days,
                "tab_label": p.tab_label,
                "colour": defn.theme.colour,
                "language": surveys.pick_language(defn, language),
                "public_url": f"{base_url}/s/{p.survey.slug}/",
            }
        )
    return {"placements": out}


def start(
    *, site: WidgetSite, survey_id: int, language: str | None, hidden: dict, visitor: dict | None = None
) -> dict[str, Any]:
    """A signed token and the first page; nothing is stored until the first page is answered.

    A signed-in visitor (see verified_customer_id) is held to the workspace's contact rules like an email
    invitation: not shown when unsubscribed, consent withdrawn, or asked within the cool-down on any
    channel; when shown, the contact is logged so the other channels wait too."""
    survey = _live_survey(site, survey_id)
    customer_id = verified_customer_id(site, visitor)
    if customer_id is not None:
        reason = contact_check(workspace=site.workspace, customer_ids=[customer_id], channel="widget")[
            customer_id
        ]
        if reason is not None:
            raise Conflict(f"Not shown to this visitor: {reason.replace('_', ' ')}.")
        contact_record(workspace=site.workspace, customer_id=customer_id, channel="widget", survey=survey)
    defn = survey.current_version.parsed()
    token = secrets.token_urlsafe(24)
    state = engine.State(hidden=surveys.clean_hidden(defn, hidden or {}), seed=token)
    first = engine.next_page(defn, state, None)
    language = surveys.pick_language(defn, language)
    if isinstance(first, str):
        raise ServiceError("This survey has no questions to show.")
    return {
        "token": signing.dumps(token, salt=_TOKEN_SALT),
        "language": language,
        "page": page_json(defn, first, state, language),
    }


def _live_survey(site: WidgetSite, survey_id: int) -> Survey:
    survey = (
        Survey.objects.filter(workspace=site.workspace, pk=survey_id, placement__enabled=True)
        .select_related("current_version")
        .first()
    )
    if survey is None or survey.status != Survey.Status.LIVE or survey.current_version is None:
        raise NotFound("This survey is not shown in the widget.")
    return survey


def answer(
    *,
    site: WidgetSite,
    survey_id: int,
    token: str,
    page_index: int,
    answers: dict[str, Any],
    others: dict[str, str],
    hidden: dict[str, Any],
    language: str | None,
    visitor: dict[str, Any] | None,
) -> dict[str, Any]:
    """Check and keep one page; answer with the next page, or the ending."""
    survey = _live_survey(site, survey_id)
    try:
        raw_token = signing.loads(token, salt=_TOKEN_SALT, max_age=7 * 24 * 3600)
    except signing.BadSignature:
        raise ServiceError("The survey session is not valid; reload the page.", field="token") from None
    response = Response.objects.filter(survey=survey, token=raw_token).select_related("version").first()
    if response is None:
        defn = survey.current_version.parsed()
        response = surveys.response_new(
            survey=survey,
            via=Response.Via.WIDGET,
            language=surveys.pick_language(defn, language),
            hidden=surveys.clean_hidden(defn, hidden or {}),
            customer_id=verified_customer_id(site, visitor),
            token=raw_token,
        )
    defn = surveys.definition_of(response) if response.pk else survey.current_version.parsed()
    result = surveys.response_submit_page(
        response=response,
        page_index=page_index,
        submitted={k: v for k, v in (answers or {}).items() if isinstance(k, str)},
        others={k: str(v)[:500] for k, v in (others or {}).items() if isinstance(k, str)},
    )
    lang = result.response.language or defn.default_language
    state = engine.State.load(result.response.state, seed=result.response.token)
    if result.errors:
        return {"errors": result.errors, "page": page_json(defn, page_index, state, lang, result.errors)}
    if result.finished:
        ending = defn.ending(result.response.ending or None)
        return {
            "errors": {},
            "ending": {
                "title": engine.text(defn, ending.title, lang, state),
                "text": engine.text(defn, ending.text, lang, state),
                "redirect_url": ending.redirect_url,
            },
        }
    return {"errors": {}, "page": page_json(defn, result.next_page, state, lang)}
