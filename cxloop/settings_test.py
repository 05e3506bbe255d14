"""Settings for the test suite: the real settings module, read with a test environment.

A throw-away data folder, tasks run inline, mail kept in memory, plain HTTP test client. DATABASE_URL is
honoured, so the same suite runs on SQLite (unset) and PostgreSQL (set).
"""

import os
import tempfile

os.environ.setdefault("CXLOOP_DATA_DIR", tempfile.mkdtemp(prefix="cxloop-test-"))
os.environ.setdefault("CXLOOP_TASKS", "immediate")
os.environ["EMAIL_BACKEND"] = "locmem"
os.environ["CXLOOP_HTTPS"] = "false"

from cxloop.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Each run gets its own test database on PostgreSQL, so runs on one machine never drop each other's.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    DATABASES["default"].setdefault("TEST", {})["NAME"] = f"test_cxloop_{os.getpid()}"  # noqa: F405
