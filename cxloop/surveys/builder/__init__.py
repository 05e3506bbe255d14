"""The survey builder as plain data: read the builder's posted form into a definition (form.py), apply its
structural edits and place validation errors at the part they concern (edits.py), and check a definition for
accessibility problems (accessibility.py). No Django here: values in, dicts and lists out, so it is tested
without a database. The pages are in builder_views.py."""

from .accessibility import Problem, accessibility_problems, contrast_ratio, relative_luminance
from .edits import SETTINGS_FIELDS, anchors, apply_op, place_errors
from .form import (
    OP_WORDS,
    SCALE_TYPES,
    Edit,
    OpError,
    fit_type,
    format_value,
    key_from,
    new_question,
    read_form,
    rename_references,
    text_fields,
)

__all__ = [
    "OP_WORDS",
    "SCALE_TYPES",
    "SETTINGS_FIELDS",
    "Edit",
    "OpError",
    "Problem",
    "accessibility_problems",
    "anchors",
    "apply_op",
    "contrast_ratio",
    "fit_type",
    "format_value",
    "key_from",
    "new_question",
    "place_errors",
    "read_form",
    "relative_luminance",
    "rename_references",
    "text_fields",
]
