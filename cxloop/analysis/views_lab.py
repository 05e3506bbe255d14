"""Analytics › Text lab: paste a text, see every label the local models give it, with its score.

Nothing is stored: the text is read in the request with the workspace's own taxonomy (and the same models
the worker uses), so an analyst can check why an item was read the way it was, or try a theme's wording.
"""

from __future__ import annotations

from django.shortcuts import render

from cxloop.accounts.access import workspace_view
from cxloop.accounts.roles import Perm
from cxloop.core import ratelimit

MAX_CHARS = 5_000
RATE_PER_MINUTE = 30


def lab_reading(text: str, workspace_id: int) -> dict:
    """Every label of one text, with scores: what the page shows."""
    import numpy as np

    from . import services
    from .ml import emotion, pipeline
    from .ml import text as ml_text
    from .ml.heads import ShippedHeads

    themes = services.theme_model(workspace_id)
    (reading,) = pipeline.read([text], themes)
    out = {"reading": reading, "themes": themes, "version": services.reading_version(themes)}
    if reading.embedding is None:  # no words, or a language the models do not read
        return out
    heads = ShippedHeads.default()
    x = heads.features.transform([ml_text.prepare(text).text], np.asarray([reading.embedding]))
    proba = heads.sentiment.proba(x)[0]
    out["sentiment_proba"] = sorted(
        zip(heads.sentiment.classes_, proba.tolist(), strict=True), key=lambda p: -p[1]
    )
    head = heads.emotion
    labels = head.proba(x)[0]
    cx = {}
    for name, members in emotion.CX_EMOTIONS.items():
        j = max((head.classes_.index(m) for m in members), key=lambda j: labels[j])
        cx[name] = (float(labels[j]), bool(labels[j] >= head.thresholds[j]), head.classes_[j])
    out["cx_emotions"] = sorted(cx.items(), key=lambda kv: -kv[1][0])
    out["goemotions"] = sorted(
        ((c, float(p), bool(p >= t)) for c, p, t in zip(head.classes_, labels, head.thresholds, strict=True)),
        key=lambda r: -r[1],
    )[:8]
    return out


@workspace_view(Perm.VIEW_DATA)
def text_lab(request):
    text = (request.POST.get("text", "") if request.method == "POST" else "").strip()
    context: dict = {"text": text, "max_chars": MAX_CHARS}
    if request.method == "POST":
        state = ratelimit.hit(f"text-lab:{request.user.pk}", limit=RATE_PER_MINUTE, window_seconds=60)
        if state.exceeded:
            context["error"] = f"Too many readings in a minute: try again in {state.retry_after} seconds."
            return render(request, "analysis/lab.html", context, status=429)
        if not text:
            context["error"] = "Paste a text to read."
        elif len(text) > MAX_CHARS:
            context["error"] = f"The lab reads up to {MAX_CHARS:,} characters; this text has {len(text):,}."
        else:
            context.update(lab_reading(text, request.workspace.pk))
    return render(request, "analysis/lab.html", context, status=400 if context.get("error") else 200)
