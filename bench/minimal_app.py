"""The baseline of bench/survey_submit.py: the smallest Django application that takes a form POST and saves
one row, served by the same gunicorn set-up as the product. Not part of the product.

    gunicorn minimal_app:application   (with CXLOOP_BENCH_DB = a SQLite path or a postgres:// URL)
"""

from __future__ import annotations

import os

import dj_database_url
import django
from django.conf import settings
from django.db import connection
from django.http import HttpResponse
from django.urls import path

_url = os.environ["CXLOOP_BENCH_DB"]
settings.configure(
    DEBUG=False,
    SECRET_KEY="minimal-baseline-" + "x" * 40,
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    DATABASES={
        "default": dj_database_url.parse(_url)
        if "://" in _url
        else {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": _url,
            "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL"},
        }
    },
    INSTALLED_APPS=[],
    MIDDLEWARE=[],
)
django.setup()

TABLE = "minimal_rows"


def ensure_table() -> None:
    with connection.cursor() as cursor:
        pk = "bigserial" if connection.vendor == "postgresql" else "integer"
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (id {pk} PRIMARY KEY, score integer, text text)")


def save(request):
    if request.method == "GET":
        return HttpResponse("ok")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (score, text) VALUES (%s, %s)",
            [int(request.POST.get("nps", "0")), request.POST.get("reason", "")],
        )
    response = HttpResponse(status=303)
    response["Location"] = "/done/"
    return response


urlpatterns = [path("save/", save)]

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
ensure_table()
