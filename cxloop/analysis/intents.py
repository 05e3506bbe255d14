"""Intents of support tickets, chats and emails, learnt from a workspace's labelled examples (few-shot works).

- Intents and their examples: typed in (one a line), imported (CSV `text,intent`, or the API), or an item
  an analyst corrected in the Inbox. A text is an example of one intent in a workspace. Each change queues a
  training (`intent_train_later`, on commit).
- `intent_train(workspace=...)`, run by the worker: `heads.TrainableHead` (words, character n-grams and the
  sentence embedding into a logistic regression) fitted on every example, its accuracy estimated by
  stratified k-fold cross-validation, the head kept as .npz bytes in the workspace's IntentModel. A new head
  queues the re-reading of the workspace's support items (`intents_reread`, intents only).
- `read_items(item_ids=...)`: called at the end of `services.enrich_items`; the items of SUPPORT_CHANNELS in
  workspaces with a trained head get an IntentReading, from the sentence vector their reading stored (no
  second encoder pass). One query when no workspace of the items has a head.
- `intent_correct(...)`: an analyst sets an item's intent; its text becomes an example (a correction).
- `intent_predict(workspace=..., texts=...)`: (intent, probability) per text (the API).

The head's classes are intent ids, so renaming an intent needs no training.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from cxloop.accounts.models import Workspace
from cxloop.core.exceptions import Conflict, NotFound, ServiceError

from .models import Enrichment, Intent, IntentExample, IntentModel, IntentReading
from .services import reading_text

log = logging.getLogger(__name__)

#: The channels whose texts are read for an intent: people asking support for something.
SUPPORT_CHANNELS = ("ticket", "chat", "email")
MIN_INTENTS, MIN_EXAMPLES = 2, 2  # a model needs two intents with two examples each
MAX_FOLDS = 5
MAX_TEXT, MAX_NAME, MAX_DESCRIPTION = 1000, 80, 300
MAX_EXAMPLES = 20_000  # of a workspace
MAX_CSV_BYTES = 5 * 1024 * 1024
READ_BATCH = 1000
RECENT_DAYS = 90
RECIPE = "intent-1"  # this module's recipe; the version of a head adds the examples and the encoder


# -- the head: plain numpy and scikit-learn -----------------------------------------------------------------
@dataclass
class IntentHead:
    """A trained head: the features and the weights, with the encoder whose vectors it was trained on."""

    features: object  # heads.Featurizer
    head: object  # heads.LinearHead
    encoder: str

    @property
    def classes(self) -> list[str]:
        return self.head.classes_

    def proba(self, texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
        return self.head.proba(self.features.transform(list(texts), vectors))

    def to_bytes(self) -> bytes:
        arrays = {
            **self.features.arrays(),
            **self.head.arrays("intent"),
            "meta": np.array(json.dumps({"recipe": RECIPE, "encoder": self.encoder})),
        }
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> IntentHead:
        from .ml.heads import Featurizer, LinearHead

        with np.load(io.BytesIO(bytes(data)), allow_pickle=False) as a:
            meta = json.loads(str(a["meta"]))
            return cls(Featurizer.from_arrays(a), LinearHead.from_arrays(a, "intent"), meta["encoder"])


def model_text(raw: str) -> str:
    """The text as the models read it (text.prepare: markup removed, normalised, bounded): what the reading
    embedded, so a stored vector and this text go together."""
    from .ml import text

    return text.prepare(raw).text


def _memo_encoder(texts: list[str]) -> Callable[[list[str]], np.ndarray]:
    """One encoder pass for the training texts; every fit of the cross-validation reuses it."""
    from .ml.pipeline import embed_texts

    unique = list(dict.fromkeys(texts))
    vectors = embed_texts(unique)
    row = {t: i for i, t in enumerate(unique)}

    def encode(batch: list[str]) -> np.ndarray:
        return vectors[[row[t] for t in batch]]

    return encode


def train_head(texts: list[str], labels: list[str], encode, encoder: str) -> IntentHead:
    from .ml.heads import TrainableHead

    fitted = TrainableHead(encode).fit(texts, labels)
    return IntentHead(fitted.features_, fitted.head_, encoder)


@dataclass
class CrossValidation:
    folds: int
    accuracy: float | None
    recall: dict[str, float]


def cross_validate(texts: list[str], labels: list[str], encode) -> CrossValidation:
    """Stratified k-fold, k = min(MAX_FOLDS, the smallest intent's examples): each example is predicted by a
    head trained without it (features included); accuracy over every example, recall per intent."""
    from sklearn.model_selection import StratifiedKFold

    from .ml.heads import TrainableHead

    folds = min(MAX_FOLDS, min(Counter(labels).values()))
    if folds < 2:
        return CrossValidation(0, None, {})
    predicted = [""] * len(texts)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    for train, test in splitter.split(np.zeros(len(labels)), labels):
        fitted = TrainableHead(encode).fit([texts[i] for i in train], [labels[i] for i in train])
        for i, guess in zip(test, fitted.predict([texts[i] for i in test]), strict=True):
            predicted[i] = guess
    right = [p == y for p, y in zip(predicted, labels, strict=True)]
    recall = {
        label: round(sum(r for r, y in zip(right, labels, strict=True) if y == label) / n, 4)
        for label, n in Counter(labels).items()
    }
    return CrossValidation(folds, round(sum(right) / len(right), 4), recall)


# -- intents and their examples ------------------------------------------------------------------------------
@dataclass(frozen=True)
class RowError:
    row: int  # as the person counts: the line, the CSV row, or the API's index
    field: str
    message: str


class ExampleErrors(ServiceError):
    """Some examples were refused; none was stored. `errors` says which and why; `noun` names the rows as
    the person counts them (line, row, example)."""

    def __init__(self, errors: list[RowError], *, noun: str = "row"):
        shown = "; ".join(f"{noun} {e.row}: {e.message}" for e in errors[:10])
        more = f"; and {len(errors) - 10} more" if len(errors) > 10 else ""
        super().__init__(f"Nothing was added: {shown}{more}.", field="examples")
        self.errors = errors


@dataclass
class ExamplesAdded:
    added: int = 0
    existing: int = 0  # already examples of the same intent
    intents_created: list[str] = field(default_factory=list)


def _clean(raw: str) -> str:
    return " ".join((raw or "").split())


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _check_name(name: str) -> str:
    name = _clean(name)
    if not name:
        raise ServiceError("Give the intent a name.", field="name")
    if len(name) > MAX_NAME:
        raise ServiceError(f"Keep the name under {MAX_NAME} characters.", field="name")
    return name


def _same_name(workspace: Workspace, name: str, *, but: int | None = None) -> Intent | None:
    """The workspace's intent of that name, whatever its case."""
    folded = name.casefold()
    return next(
        (
            i
            for i in Intent.objects.filter(workspace=workspace)
            if i.name.casefold() == folded and i.pk != but
        ),
        None,
    )


def intent_create(*, workspace: Workspace, name: str, description: str = "", examples: str = "") -> Intent:
    """A new intent, with its first examples (one a line) if any: all or nothing."""
    name = _check_name(name)
    if _same_name(workspace, name):
        raise Conflict(f"There is already an intent called “{name}”.")
    with transaction.atomic():
        try:
            with transaction.atomic():
                intent = Intent.objects.create(
                    workspace=workspace, name=name, description=_clean(description)[:MAX_DESCRIPTION]
                )
        except IntegrityError:
            raise Conflict(f"There is already an intent called “{name}”.") from None
        if examples.strip():
            examples_add(workspace=workspace, intent_id=intent.pk, text=examples)
    return intent


def intent_update(*, workspace: Workspace, intent_id: int, name: str, description: str) -> Intent:
    """Rename an intent or change its description (the model reads ids: nothing to train again)."""
    intent = _intent(workspace, intent_id)
    name = _check_name(name)
    if _same_name(workspace, name, but=intent.pk):
        raise Conflict(f"There is already an intent called “{name}”.")
    intent.name, intent.description = name, _clean(description)[:MAX_DESCRIPTION]
    intent.save(update_fields=["name", "description"])
    return intent


def intent_delete(*, workspace: Workspace, intent_id: int) -> None:
    """Delete an intent and its examples; its items keep no intent until the next model reads them."""
    with transaction.atomic():
        deleted, _ = Intent.objects.filter(workspace=workspace, pk=_intent(workspace, intent_id).pk).delete()
        if deleted:
            intent_train_later(workspace=workspace)


def _intent(workspace: Workspace, intent_id: int) -> Intent:
    intent = Intent.objects.filter(workspace=workspace, pk=intent_id).first()
    if intent is None:
        raise NotFound(f"No intent with id {intent_id} in this workspace.")
    return intent


def examples_add(*, workspace: Workspace, intent_id: int, text: str) -> ExamplesAdded:
    """Examples of one intent, one a line (blank lines skipped); all or nothing."""
    intent = _intent(workspace, intent_id)
    rows = [(n, line, intent.name) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not rows:
        raise ServiceError("Write one example a line.", field="examples")
    return _store_examples(workspace, rows, IntentExample.Source.MANUAL, intent=intent, noun="line")


def example_delete(*, workspace: Workspace, example_id: int) -> int:
    """Delete an example; returns its intent's id."""
    example = IntentExample.objects.filter(workspace=workspace, pk=example_id).only("intent_id").first()
    if example is None:
        raise NotFound(f"No example with id {example_id} in this workspace.")
    with transaction.atomic():
        example.delete()
        intent_train_later(workspace=workspace)
    return example.intent_id


def examples_import(
    *, workspace: Workspace, rows: Sequence[tuple[int, str, str]], noun: str = "row"
) -> ExamplesAdded:
    """(row number, text, intent name) rows, from a file or the API: missing intents are created (names
    matched whatever their case); all or nothing, with every bad row said."""
    return _store_examples(workspace, list(rows), IntentExample.Source.IMPORT, noun=noun)


def _store_examples(
    workspace: Workspace,
    rows: list[tuple[int, str, str]],
    source: str,
    *,
    intent: Intent | None = None,
    noun: str = "row",
) -> ExamplesAdded:
    errors: list[RowError] = []
    intents = {i.name.casefold(): i for i in Intent.objects.filter(workspace=workspace)}
    wanted: dict[str, tuple[int, str, str]] = {}  # digest -> (row, text, intent key)
    new_names: dict[str, str] = {}
    result = ExamplesAdded()
    for row, raw_text, raw_name in rows:
        text, name = _clean(raw_text), _clean(raw_name)
        if not text:
            errors.append(RowError(row, "text", "the text is empty"))
        elif len(text) > MAX_TEXT:
            errors.append(RowError(row, "text", f"the text is over {MAX_TEXT:,} characters ({len(text):,})"))
        if not name:
            errors.append(RowError(row, "intent", "the intent is empty"))
        elif len(name) > MAX_NAME:
            errors.append(RowError(row, "intent", f"the intent's name is over {MAX_NAME} characters"))
        if not text or len(text) > MAX_TEXT or not name or len(name) > MAX_NAME:
            continue
        key = name.casefold()
        if key not in intents:
            new_names.setdefault(key, name)
        digest = _digest(text)
        if digest in wanted:
            first_row, _, first_key = wanted[digest]
            if first_key != key:
                errors.append(
                    RowError(row, "intent", f"the same text is given as another intent on {noun} {first_row}")
                )
            else:
                result.existing += 1
            continue
        wanted[digest] = (row, text, key)
    stored: dict[str, int] = {}  # digest -> intent id, of the texts already examples
    digests = list(wanted)
    for start in range(0, len(digests), 1000):
        stored.update(
            IntentExample.objects.filter(
                workspace=workspace, digest__in=digests[start : start + 1000]
            ).values_list("digest", "intent_id")
        )
    names_by_id = {i.pk: i.name for i in intents.values()}
    for digest, intent_id in stored.items():
        row, _, key = wanted.pop(digest)
        target = intent or intents.get(key)
        if target is not None and target.pk == intent_id:
            result.existing += 1
        else:
            other = names_by_id.get(intent_id, "another intent")
            errors.append(RowError(row, "text", f"the text is already an example of “{other}”"))
    if errors:
        raise ExampleErrors(sorted(errors, key=lambda e: e.row), noun=noun)
    if IntentExample.objects.filter(workspace=workspace).count() + len(wanted) > MAX_EXAMPLES:
        raise ServiceError(f"A workspace keeps at most {MAX_EXAMPLES:,} examples.", field="examples")
    try:
        with transaction.atomic():
            if new_names and intent is None:
                now = timezone.now()
                Intent.objects.bulk_create(
                    [Intent(workspace=workspace, name=n, created_at=now) for n in new_names.values()]
                )
                result.intents_created = list(new_names.values())
                intents = {i.name.casefold(): i for i in Intent.objects.filter(workspace=workspace)}
            now = timezone.now()
            IntentExample.objects.bulk_create(
                [
                    IntentExample(
                        workspace=workspace,
                        intent=intent or intents[key],
                        text=text,
                        digest=digest,
                        source=source,
                        created_at=now,
                    )
                    for digest, (_, text, key) in wanted.items()
                ]
            )
            result.added = len(wanted)
            if wanted:
                intent_train_later(workspace=workspace)
    except IntegrityError:  # the same intents or texts were added meanwhile
        raise Conflict(
            "The intents or their examples changed meanwhile; nothing was added: try again."
        ) from None
    return result


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252, as the feedback imports read CSV files."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def examples_import_csv(*, workspace: Workspace, data: bytes) -> ExamplesAdded:
    """A CSV file with a header naming the columns `text` and `intent` (comma, semicolon or tab
    separated). Row numbers count the header as row 1, as a spreadsheet shows them."""
    if not data.strip():
        raise ServiceError("The file is empty.", field="file")
    if len(data) > MAX_CSV_BYTES:
        raise ServiceError(f"The file is over {MAX_CSV_BYTES // 2**20} MB; split it.", field="file")
    content = _decode(data).lstrip("\r\n")
    if not content.strip():
        raise ServiceError("The file is empty.", field="file")
    first = content.splitlines()[0]
    for delimiter in (",", ";", "\t"):  # the one that splits the header into the two names
        header = [h.strip().strip('"').casefold() for h in first.split(delimiter)]
        if "text" in header and "intent" in header:
            break
    else:
        raise ServiceError(
            "The first row must name the columns “text” and “intent” (e.g. text,intent).", field="file"
        )
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter)
    rows = []
    try:
        header = [h.strip().casefold() for h in next(reader)]
        t, i = header.index("text"), header.index("intent")
        for n, record in enumerate(reader, start=2):
            if not any(cell.strip() for cell in record):
                continue
            rows.append((n, record[t] if t < len(record) else "", record[i] if i < len(record) else ""))
    except csv.Error as exc:
        raise ServiceError(
            f"The file is not valid CSV near row {reader.line_num}: {exc}", field="file"
        ) from None
    if not rows:
        raise ServiceError("The file has a header but no rows.", field="file")
    return examples_import(workspace=workspace, rows=rows)


# -- training -----------------------------------------------------------------------------------------------
def _model(workspace: Workspace) -> IntentModel:
    model = IntentModel.objects.defer("data").filter(workspace=workspace).first()
    if model is None:
        try:
            with transaction.atomic():
                model = IntentModel.objects.create(workspace=workspace)
        except IntegrityError:  # created meanwhile
            model = IntentModel.objects.defer("data").get(workspace=workspace)
    return model


def intent_train_later(*, workspace: Workspace) -> None:
    """Mark the model as training and queue its training once the current transaction commits."""
    from .tasks import train_intents

    now = timezone.now()
    if not IntentModel.objects.filter(workspace=workspace).update(
        status=IntentModel.Status.TRAINING, queued_at=now
    ):
        model = _model(workspace)
        model.status, model.queued_at = IntentModel.Status.TRAINING, now
        model.save(update_fields=["status", "queued_at"])
    workspace_id = workspace.pk
    transaction.on_commit(lambda: train_intents.enqueue(workspace_id=workspace_id))


def what_is_missing(found: Sequence[Intent]) -> str:
    """What the intents of `intents_overview` lack for a model ("" when nothing)."""
    counts = Counter({i.pk: i.total for i in found})
    if sum(1 for i in found if i.total >= MIN_EXAMPLES) >= MIN_INTENTS:
        return ""
    return _too_few({i.pk: i.name for i in found}, counts)


def _too_few(names: dict[int, str], counts: Counter) -> str:
    ready = [i for i in names if counts[i] >= MIN_EXAMPLES]
    if not names:
        return "No intents yet: add at least two, with two examples or more each."
    short = [f"“{names[i]}” ({counts[i]})" for i in sorted(names, key=names.get) if counts[i] < MIN_EXAMPLES]
    text = (
        f"A model needs at least {MIN_INTENTS} intents with {MIN_EXAMPLES} examples or more each; "
        f"{len(ready)} {'has' if len(ready) == 1 else 'have'} that many."
    )
    if short:
        return f"{text} Add examples to {', '.join(short)}."
    return f"{text} Add another intent with its examples."


def _version(encoder: str, rows: list[tuple[int, str]]) -> str:
    blob = json.dumps([RECIPE, encoder, sorted(rows)], ensure_ascii=False).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def intent_train(*, workspace: Workspace) -> IntentModel:
    """Train the workspace's model on its examples now (the worker calls it). Nothing to do when its examples
    and the encoder are those of the head it has. A new head queues the re-reading of the support items."""
    from .ml.encoder import Encoder

    model = _model(workspace)
    names = dict(Intent.objects.filter(workspace=workspace).values_list("pk", "name"))
    began = timezone.now()
    rows = list(
        IntentExample.objects.filter(workspace=workspace).order_by("pk").values_list("intent_id", "text")
    )
    counts = Counter(intent_id for intent_id, _ in rows)
    model.examples, model.intents = len(rows), len(counts)
    fields = ["status", "examples", "intents", "message", "error"]
    if sum(1 for n in counts.values() if n >= MIN_EXAMPLES) < MIN_INTENTS:
        model.status, model.message, model.error = IntentModel.Status.TOO_FEW, _too_few(names, counts), ""
        model.data, model.version, model.cv_accuracy, model.cv_folds, model.cv_recall = None, "", None, 0, {}
        model.save(update_fields=[*fields, "data", "version", "cv_accuracy", "cv_folds", "cv_recall"])
        return model
    encoder = Encoder.default().version
    version = _version(encoder, rows)
    if model.version == version:  # nothing changed since the head was trained
        model.status, model.error = _done(model, began), ""
        model.save(update_fields=["status", "error"])
        return model
    notes = [f"“{names[i]}” has no examples yet: it is left out." for i in names if not counts[i]]
    started = time.perf_counter()
    try:
        texts = [model_text(t) for _, t in rows]
        labels = [str(i) for i, _ in rows]
        encode = _memo_encoder(texts)
        cv = cross_validate(texts, labels, encode)
        head = train_head(texts, labels, encode, encoder)
        data = head.to_bytes()
    except Exception as exc:  # the old head, if any, keeps reading; the page says what failed
        log.exception("training the intent model of workspace %s failed", workspace.pk)
        model.status, model.error = IntentModel.Status.FAILED, f"{type(exc).__name__}: {exc}"[:500]
        model.message = ""
        model.save(update_fields=fields)
        return model
    if cv.accuracy is None:
        single = [f"“{names[int(label)]}”" for label, n in Counter(labels).items() if n < 2]
        verb = "has" if len(single) == 1 else "have"
        notes.append(
            f"Accuracy not estimated: {', '.join(single)} {verb} one example only, and cross-validation "
            "needs two of each intent (one to learn from, one to test)."
        )
    model.status, model.error, model.message = _done(model, began), "", " ".join(notes)
    model.data, model.version, model.trained_at = data, version, timezone.now()
    model.cv_accuracy, model.cv_folds = cv.accuracy, cv.folds
    model.cv_recall = cv.recall  # by intent id
    model.seconds = round(time.perf_counter() - started, 2)
    model.save(
        update_fields=[
            *fields,
            "data",
            "version",
            "trained_at",
            "cv_accuracy",
            "cv_folds",
            "cv_recall",
            "seconds",
        ]
    )
    workspace_id = workspace.pk
    transaction.on_commit(lambda: _reread_later(workspace_id))
    return model


def _done(model: IntentModel, began) -> str:
    """Ready, unless an example changed since this training began: the training that change queued is
    still to come."""
    changed = IntentModel.objects.filter(pk=model.pk, queued_at__gt=began).exists()
    return IntentModel.Status.TRAINING if changed else IntentModel.Status.READY


def _reread_later(workspace_id: int) -> None:
    from .tasks import read_intents

    read_intents.enqueue(workspace_id=workspace_id)


# -- reading ------------------------------------------------------------------------------------------------
_heads: dict[int, tuple[str, IntentHead | None]] = {}  # workspace id -> (version, head), per process


def _head(workspace_id: int, version: str) -> IntentHead | None:
    """The workspace's head of that version (None: trained again meanwhile). A head trained on another
    encoder's vectors (after an upgrade) reads nothing: it is trained again."""
    from .ml.encoder import Encoder

    cached = _heads.get(workspace_id)
    if cached and cached[0] == version:
        return cached[1]
    data = IntentModel.objects.filter(workspace_id=workspace_id, version=version).values_list(
        "data", flat=True
    )
    data = data.first()
    if data is None:
        return None
    head: IntentHead | None = IntentHead.from_bytes(data)
    if head.encoder != Encoder.default().version:
        log.info(
            "the intent model of workspace %s was trained on another encoder: training it again", workspace_id
        )
        intent_train_later(workspace=Workspace(pk=workspace_id))
        head = None
    _heads[workspace_id] = (version, head)
    return head


def _predict(head: IntentHead, texts: list[str], stored: list[bytes | None] | None = None):
    """(class, probability) per prepared text, None for one without words. A stored sentence vector (the
    item's reading) is used as it is; the other texts are embedded."""
    from .ml.encoder import DIM
    from .ml.pipeline import embed_texts

    stored = stored or [None] * len(texts)
    keep = [k for k, t in enumerate(texts) if any(ch.isalnum() for ch in t)]
    out: list[tuple[str, float] | None] = [None] * len(texts)
    if not keep:
        return out
    vectors = np.zeros((len(keep), DIM), dtype=np.float32)
    todo = [j for j, k in enumerate(keep) if stored[k] is None]
    for j, k in enumerate(keep):
        if stored[k] is not None:
            vectors[j] = np.frombuffer(bytes(stored[k]), dtype=np.float16)
    if todo:
        vectors[todo] = embed_texts([texts[keep[j]] for j in todo])
    proba = head.proba([texts[k] for k in keep], vectors)
    best = proba.argmax(axis=1)
    for j, k in enumerate(keep):
        out[k] = (head.classes[best[j]], float(proba[j, best[j]]))
    return out


def _read(workspace_id: int, version: str, item_ids: list[int]) -> int:
    """Read the intent of these items of the workspace (analysts' readings stay as they are)."""
    from cxloop.feedback.models import FeedbackItem

    head = _head(workspace_id, version)
    if head is None:  # trained again meanwhile: the new head's re-reading reads them
        return 0
    rows = list(
        FeedbackItem.objects.filter(workspace_id=workspace_id, pk__in=item_ids, channel__in=SUPPORT_CHANNELS)
        .exclude(intent_reading__source=IntentReading.Source.ANALYST)
        .values_list("pk", "title", "text", "enrichment__embedding")
    )
    texts = [model_text(reading_text(title, body)) for _, title, body, _ in rows]
    found = _predict(head, texts, [vector for *_, vector in rows])
    known = set(Intent.objects.filter(workspace_id=workspace_id).values_list("pk", flat=True))
    now = timezone.now()
    readings = [
        IntentReading(
            workspace_id=workspace_id,
            item_id=pk,
            intent_id=int(guess[0]) if int(guess[0]) in known else None,
            score=round(guess[1], 4),
            source=IntentReading.Source.MODEL,
            model_version=version,
            read_at=now,
        )
        for (pk, *_), guess in zip(rows, found, strict=True)
        if guess is not None
    ]
    IntentReading.objects.bulk_create(
        readings,
        update_conflicts=True,
        unique_fields=["item"],
        update_fields=["intent", "score", "source", "model_version", "read_at"],
    )
    return len(readings)


def read_items(*, item_ids: list[int]) -> int:
    """After `enrich_items` stored a batch: the intent of its support items, in workspaces with a trained
    head. A failure is logged and leaves the items' readings as they are. Returns how many were read."""
    from cxloop.feedback.models import FeedbackItem

    done = 0
    for start in range(0, len(item_ids), READ_BATCH):
        ids = list(item_ids[start : start + READ_BATCH])
        support = FeedbackItem.objects.filter(pk__in=ids, channel__in=SUPPORT_CHANNELS).values("workspace_id")
        heads = IntentModel.objects.exclude(version="").filter(workspace_id__in=support)
        for workspace_id, version in heads.values_list("workspace_id", "version"):
            try:
                done += _read(workspace_id, version, ids)
            except Exception:
                log.exception("reading the intents of workspace %s failed", workspace_id)
    return done


def intents_reread(*, workspace: Workspace) -> int:
    """Read the intent of the workspace's read support items again with its current head, in batches (not
    the whole reading); items already read by this head are skipped, so a re-run resumes."""
    from cxloop.feedback.models import FeedbackItem

    version = IntentModel.objects.filter(workspace=workspace).values_list("version", flat=True).first()
    done, after = 0, 0
    while version:
        ids = list(
            FeedbackItem.objects.filter(
                workspace=workspace,
                channel__in=SUPPORT_CHANNELS,
                enrichment__status=Enrichment.Status.DONE,
                pk__gt=after,
            )
            .exclude(intent_reading__model_version=version)
            .order_by("pk")
            .values_list("pk", flat=True)[:READ_BATCH]
        )
        if not ids:
            break
        done += _read(workspace.pk, version, ids)
        after = ids[-1]
        if IntentModel.objects.filter(workspace=workspace, version=version).count() == 0:
            break  # trained again meanwhile: the new head's re-reading takes over
    return done


def intent_predict(*, workspace: Workspace, texts: Sequence[str]) -> list[tuple[Intent | None, float | None]]:
    """The intent of each text and its probability ((None, None) for a text without words). Conflict (409)
    when the workspace has no trained model, with the reason."""
    model = IntentModel.objects.defer("data").filter(workspace=workspace).first()
    if model is None or not model.version:
        raise Conflict(not_ready_reason(model))
    head = _head(workspace.pk, model.version)
    if head is None:
        raise Conflict("The model is being trained again; ask again in a minute.")
    intents = {str(i.pk): i for i in Intent.objects.filter(workspace=workspace)}
    found = _predict(head, [model_text(t) for t in texts])
    return [(None, None) if g is None else (intents.get(g[0]), round(g[1], 4)) for g in found]


def not_ready_reason(model: IntentModel | None) -> str:
    if model is None:
        return "No intent model yet: add at least two intents with two examples or more each."
    if model.status == IntentModel.Status.TOO_FEW:
        return model.message
    if model.status == IntentModel.Status.FAILED:
        return f"The training failed: {model.error}"
    return "The first intent model is training; ask again in a minute."


# -- analysts' corrections ----------------------------------------------------------------------------------
def intent_correct(*, workspace: Workspace, user, item_id: int, intent_id: int) -> IntentReading:
    """An analyst says what the item's intent is: its reading becomes theirs (kept through later readings)
    and its text (the redacted copy once read, first MAX_TEXT characters) an example of the intent; the
    item's earlier correction gives way, and a text that was an example of another intent moves to this one
    (the latest decision wins)."""
    from cxloop.feedback.models import FeedbackItem

    item = (
        FeedbackItem.objects.filter(workspace=workspace, pk=item_id)
        .only("pk", "channel", "title", "text")
        .first()
    )
    if item is None:
        raise NotFound(f"No feedback item with id {item_id} in this workspace.")
    intent = _intent(workspace, intent_id)
    if item.channel not in SUPPORT_CHANNELS:
        raise ServiceError("Only support tickets, chats and emails have an intent.", field="intent")
    redacted = (
        Enrichment.objects.filter(item=item, status=Enrichment.Status.DONE)
        .values_list("redacted_text", flat=True)
        .first()
    )  # the copy without personal data, when the item is read
    text = _clean(redacted or model_text(reading_text(item.title, item.text)))[:MAX_TEXT].strip()
    if not text:
        raise ServiceError("The item has no text to learn from.", field="intent")
    digest, now = _digest(text), timezone.now()
    with transaction.atomic():
        reading, _ = IntentReading.objects.update_or_create(
            item=item,
            defaults={
                "workspace": workspace,
                "intent": intent,
                "score": None,
                "source": IntentReading.Source.ANALYST,
                "decided_by": user,
                "model_version": "",
                "read_at": now,
            },
        )
        IntentExample.objects.filter(
            workspace=workspace, item=item, source=IntentExample.Source.CORRECTION
        ).exclude(digest=digest).delete()
        example = IntentExample.objects.filter(workspace=workspace, digest=digest).first()
        if example is None:
            if IntentExample.objects.filter(workspace=workspace).count() >= MAX_EXAMPLES:
                raise ServiceError(f"A workspace keeps at most {MAX_EXAMPLES:,} examples.", field="intent")
            IntentExample.objects.create(
                workspace=workspace,
                intent=intent,
                text=text,
                digest=digest,
                source=IntentExample.Source.CORRECTION,
                item=item,
                created_at=now,
            )
        elif example.intent_id != intent.pk:
            example.intent, example.source, example.item = intent, IntentExample.Source.CORRECTION, item
            example.save(update_fields=["intent", "source", "item"])
        intent_train_later(workspace=workspace)
    return reading


# -- reads (selectors) ---------------------------------------------------------------------------------------
def model_status(*, workspace: Workspace) -> IntentModel | None:
    """The workspace's model without its head's bytes, or None before any example."""
    return IntentModel.objects.defer("data").filter(workspace=workspace).first()


def intents_overview(*, workspace: Workspace, days: int = RECENT_DAYS) -> tuple[list[Intent], int]:
    """The intents with their examples by source (`manual`, `imported`, `corrections`, `total`) and, of the
    support items of the last `days` days with an intent read or set, how many are of each (`items`, `share`,
    0–1). Returns (intents, items with an intent). Two queries."""
    source = IntentExample.Source
    intents = list(
        Intent.objects.filter(workspace=workspace)
        .annotate(
            manual=Count("examples", filter=Q(examples__source=source.MANUAL)),
            imported=Count("examples", filter=Q(examples__source=source.IMPORT)),
            corrections=Count("examples", filter=Q(examples__source=source.CORRECTION)),
        )
        .order_by("name")
    )
    since = timezone.now() - timedelta(days=days)
    by_intent = dict(
        IntentReading.objects.filter(
            workspace=workspace,
            intent__isnull=False,
            item__occurred_at__gte=since,
            item__channel__in=SUPPORT_CHANNELS,
        )
        .values("intent_id")
        .annotate(n=Count("pk"))
        .values_list("intent_id", "n")
    )
    read = sum(by_intent.values())
    for intent in intents:
        intent.total = intent.manual + intent.imported + intent.corrections
        intent.items = by_intent.get(intent.pk, 0)
        intent.share = intent.items / read if read else None
    return intents, read


def intent_get(*, workspace: Workspace, intent_id: int) -> Intent | None:
    return Intent.objects.filter(workspace=workspace, pk=intent_id).first()


def intent_examples(*, workspace: Workspace, intent: Intent, limit: int = 500) -> list[IntentExample]:
    """The intent's examples, newest first."""
    return list(
        IntentExample.objects.filter(workspace=workspace, intent=intent).order_by("-created_at", "-pk")[
            :limit
        ]
    )


def intent_choices(*, workspace: Workspace) -> list[Intent]:
    return list(Intent.objects.filter(workspace=workspace).order_by("name"))
