from __future__ import annotations

import json
import os
import random
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from cxloop.accounts.models import ApiKey, User, Workspace
from cxloop.accounts.services import _hash_key, api_key_create
from cxloop.core.models import SeedStep

DEMO_SEED = 20261126
CREDENTIALS_FILE = "demo-credentials.json"
DEMO_KEY_NAME = "Demo key (cxloop demo)"


@dataclass
class DemoContext:
    rng: random.Random
    now: object  # the moment the seed anchors "today" to
    workspace: Workspace | None = None
    users: dict[str, User] = field(default_factory=dict)  # by role
    password: str = ""
    password_is_new: bool = False  # no stored demo password: (re)set the demo users' passwords
    scale: float = 1.0  # volume factor for the data steps (tests seed a smaller company)


@dataclass(frozen=True)
class DemoCredentials:
    email: str
    password: str
    api_key: str
    workspace: str


def _load_credentials(data_dir: Path) -> dict:
    path = data_dir / CREDENTIALS_FILE
    if path.exists():
        return json.loads(path.read_text())
    return {}


def _save_credentials(data_dir: Path, data: dict) -> None:
    path = data_dir / CREDENTIALS_FILE
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, indent=2)
    tmp.replace(path)


def seed_demo(
    *, data_dir: Path, seed: int = DEMO_SEED, out=None, scale: float = 1.0, now=None
) -> DemoCredentials:
    """Seed the demo company once; on later runs only the steps not yet applied run.

    `scale` multiplies the volume of the data steps (1.0 is the full demo); `now` pins the moment the data is
    anchored to (default: the current time; it must not be in the future).

    The demo password and API key live in DATA_DIR/demo-credentials.json (mode 0600), so a second run on
    the same folder prints the same login. A revoked or lost demo key is replaced by a new one.
    """
    from .steps import STEPS

    stored = _load_credentials(data_dir)
    password = stored.get("password") or secrets.token_urlsafe(9)
    ctx = DemoContext(
        rng=random.Random(seed),
        now=now or timezone.now(),
        password=password,
        password_is_new="password" not in stored,
        scale=scale,
    )
    for step in STEPS:
        name = step.__name__
        ctx.rng = random.Random(f"{seed}:{name}")
        if name == "company" or not SeedStep.objects.filter(name=name).exists():
            with transaction.atomic():
                step(ctx)
                SeedStep.objects.get_or_create(name=name)
            if out is not None and name != "company":
                out(f"seeded: {name}")
    owner = ctx.users["owner"]
    raw = stored.get("api_key", "")
    if not raw or not ApiKey.objects.filter(key_hash=_hash_key(raw), revoked_at__isnull=True).exists():
        # The printed key is lost or revoked: retire any earlier demo key before minting the next one.
        ApiKey.objects.filter(workspace=ctx.workspace, name=DEMO_KEY_NAME, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        raw = api_key_create(
            workspace=ctx.workspace, name=DEMO_KEY_NAME, scopes=["read", "write"], actor=owner
        ).raw
    _save_credentials(data_dir, {"email": owner.email, "password": password, "api_key": raw})
    return DemoCredentials(email=owner.email, password=password, api_key=raw, workspace=ctx.workspace.slug)
