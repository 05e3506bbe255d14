"""Writes of the analysis app: the workspace's theme taxonomy (from an industry template, then edited)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from cxloop.accounts.models import Workspace
from cxloop.core.exceptions import Conflict, NotFound, ServiceError

from .models import Theme
from .taxonomies import TEMPLATES

MAX_EXAMPLES = 50


@transaction.atomic
def taxonomy_from_template(*, workspace: Workspace, template: str) -> int:
    """Add an industry template's themes to the workspace's taxonomy (names already there are kept as they
    are). Returns how many themes were added."""
    if template not in TEMPLATES:
        raise ServiceError(f"There is no taxonomy template {template!r}.", field="template")
    added = 0
    for top_name, top_description, subs in TEMPLATES[template][1]:
        top = Theme.objects.filter(workspace=workspace, parent=None, name=top_name).first()
        if top is None:
            top = Theme.objects.create(workspace=workspace, name=top_name, description=top_description)
            added += 1
        for name, description, examples in subs:
            _, created = Theme.objects.get_or_create(
                workspace=workspace,
                parent=top,
                name=name,
                defaults={"description": description, "examples": examples},
            )
            added += created
    return added


def _clean_examples(text: str) -> list[str]:
    examples = [line.strip()[:300] for line in text.splitlines() if line.strip()]
    if len(examples) > MAX_EXAMPLES:
        raise ServiceError(f"At most {MAX_EXAMPLES} examples a theme.", field="examples")
    return examples


def theme_save(
    *,
    workspace: Workspace,
    theme_id: int | None,
    name: str,
    description: str,
    examples: str,
    parent_id: int | None,
) -> Theme:
    """Create a theme (theme_id None) or change one. Two levels: a sub-theme's parent is a top theme."""
    name = name.strip()
    if not name:
        raise ServiceError("Give the theme a name.", field="name")
    if len(name) > 80:
        raise ServiceError("Keep the name under 80 characters.", field="name")
    parent = None
    if parent_id is not None:
        parent = Theme.objects.filter(workspace=workspace, pk=parent_id).first()
        if parent is None:
            raise NotFound(f"No theme with id {parent_id} in this workspace.")
        if parent.parent_id is not None:
            raise ServiceError("A sub-theme cannot have sub-themes of its own (two levels).", field="parent")
    if theme_id is None:
        theme = Theme(workspace=workspace)
    else:
        theme = Theme.objects.filter(workspace=workspace, pk=theme_id).first()
        if theme is None:
            raise NotFound(f"No theme with id {theme_id} in this workspace.")
        if parent is not None and (parent.pk == theme.pk or theme.children.exists()):
            raise ServiceError("A theme with sub-themes stays a top theme.", field="parent")
    theme.name, theme.description, theme.parent = name, description.strip()[:300], parent
    theme.examples = _clean_examples(examples)
    theme.updated_at = timezone.now()
    try:
        with transaction.atomic():
            theme.save()
    except IntegrityError:
        raise Conflict(f"There is already a theme called {name!r} there.") from None
    return theme


def theme_delete(*, workspace: Workspace, theme_id: int) -> None:
    deleted, _ = Theme.objects.filter(workspace=workspace, pk=theme_id).delete()
    if not deleted:
        raise NotFound(f"No theme with id {theme_id} in this workspace.")
