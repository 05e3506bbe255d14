"""Train the shipped sentiment and emotion heads (data/heads-1.npz) from public CC BY 4.0 data. No Django.

    python -m cxloop.analysis.ml.train_heads [--datasets ../shared/datasets] [--out PATH]

Data (both CC BY 4.0; attribution in docs/models.md):
- GoEmotions (Demszky et al. 2020; 58k Reddit comments, 27 emotions + neutral): the train split trains the
  emotion head (one sigmoid per label), the dev split sets its probability threshold; the sentiment grouping
  of the data set (positive / negative / ambiguous / neutral) labels the sentiment head's texts.
- BANKING77 (Casanueva et al. 2020; 13k customer-service messages, 77 intents): GoEmotions has no customer
  complaints, and a model trained on it alone reads "on hold for 75 minutes" as neutral. Each BANKING77
  intent is read from its name as a problem report ("card_not_working", "transaction_charged_twice":
  negative: something went wrong for the customer) or a question ("exchange_rate", "age_limit": neutral);
  intents that can be either ("pending_transfer", "card_arrival") are left out. The mapping is below.

The airline tweets are non-commercial: they are never used here (they only evaluate, in `cxloop eval`).
Deterministic: the same data, encoder graph and library versions give the same file (its sha256 is printed
and pinned in heads.HEADS_SHA256).
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

from .heads import HEADS_PATH, Featurizer, LinearHead, ShippedHeads

SEED = 0
# Picked among a handful of settings tried in exploratory runs (C 1-4, embedding weight 0.03-0.1, with or
# without character n-grams): docs/models.md lists them. Not searched further, to avoid fitting test splits.
EMOTION_C = 1.0
SENTIMENT_C = 1.0
EMBEDDING_WEIGHT = 0.05
MAX_WORDS, MAX_CHARS = 20_000, 40_000

# BANKING77 intents that report a problem (the customer's experience went wrong) -> negative.
PROBLEM_INTENTS = frozenset(
    """
    card_payment_wrong_exchange_rate extra_charge_on_statement card_not_working lost_or_stolen_card
    pin_blocked contactless_not_working wrong_amount_of_cash_received transfer_not_received_by_recipient
    top_up_reverted balance_not_updated_after_cheque_or_cash_deposit card_payment_not_recognised
    unable_to_verify_identity compromised_card direct_debit_payment_not_recognised declined_cash_withdrawal
    declined_transfer Refund_not_showing_up declined_card_payment card_swallowed transaction_charged_twice
    reverted_card_payment? beneficiary_not_allowed failed_transfer virtual_card_not_working
    wrong_exchange_rate_for_cash_withdrawal top_up_failed balance_not_updated_after_bank_transfer
    cash_withdrawal_not_recognised lost_or_stolen_phone
    """.split()  # noqa: SIM905 (a list of 29 names reads better as words)
)
# Intents that are a complaint as often as a question: not used.
UNCLEAR_INTENTS = frozenset(
    """
    pending_cash_withdrawal pending_top_up pending_card_payment pending_transfer card_arrival transfer_timing
    request_refund terminate_account cancel_transfer card_payment_fee_charged transfer_fee_charged
    top_up_by_bank_transfer_charge exchange_charge top_up_by_card_charge cash_withdrawal_charge
    """.split()  # noqa: SIM905
)


def sentiment_of(emotions, group_of: dict[str, str]) -> str | None:
    """One sentiment for a GoEmotions text from its labels' groups: "neutral" alongside an emotion is
    dropped, ambiguous-only counts as neutral, positive + negative together is left out (None)."""
    groups = {group_of[e] for e in emotions}
    if len(groups) > 1:
        groups.discard("neutral")
    if groups == {"ambiguous"}:
        return "neutral"
    groups.discard("ambiguous")
    return next(iter(groups)) if len(groups) == 1 else None


def sentiment_training_set(goemotions_train, group_of, banking_train):
    texts, labels = [], []
    for text, emotions in zip(goemotions_train.texts, goemotions_train.labels, strict=True):
        label = sentiment_of(emotions, group_of)
        if label:
            texts.append(text)
            labels.append(label)
    for text, intent in zip(banking_train.texts, banking_train.labels, strict=True):
        if intent not in UNCLEAR_INTENTS:
            texts.append(text)
            labels.append("negative" if intent in PROBLEM_INTENTS else "neutral")
    return texts, labels


def tune_threshold(proba: np.ndarray, truth: np.ndarray) -> float:
    """The one probability threshold with the best macro-F1 on the dev split."""
    from sklearn.metrics import f1_score

    grid = np.round(np.arange(0.05, 0.9, 0.025), 3)
    scores = [f1_score(truth, proba >= t, average="macro", zero_division=0) for t in grid]
    return float(grid[int(np.argmax(scores))])


def train(datasets: Path, out: Path, log=print) -> str:
    from sklearn.linear_model import LogisticRegression

    from .encoder import Encoder
    from .evaluate.datasets import load_banking77, load_goemotions

    started = time.perf_counter()
    splits, emotions, group_of = load_goemotions(datasets / "goemotions")
    banking_train, _, intents = load_banking77(datasets / "banking77")
    unknown = (PROBLEM_INTENTS | UNCLEAR_INTENTS) - set(intents)
    if unknown:
        raise SystemExit(f"intents not in BANKING77: {sorted(unknown)}")
    from .pipeline import embed_texts

    encoder = Encoder.default()
    sent_texts, sent_labels = sentiment_training_set(splits["train"], group_of, banking_train)
    all_texts = list(dict.fromkeys([*splits["train"].texts, *sent_texts, *splits["dev"].texts]))
    log(f"encoding {len(all_texts):,} texts with {encoder.version} …")
    vectors = dict(zip(all_texts, embed_texts(all_texts), strict=True))  # as the pipeline makes them

    def emb(texts):
        return np.stack([vectors[t] for t in texts])

    features = Featurizer.fit(
        sent_texts,
        emb(sent_texts),
        max_words=MAX_WORDS,
        max_chars=MAX_CHARS,
        embedding_weight=EMBEDDING_WEIGHT,
    )
    log(f"features: {len(features.words.terms):,} words, {len(features.chars.terms):,} character n-grams")

    x = features.transform(sent_texts, emb(sent_texts))
    model = LogisticRegression(C=SENTIMENT_C, max_iter=3000, random_state=SEED).fit(x, sent_labels)
    sentiment = LinearHead.from_sklearn([model], list(model.classes_), multilabel=False)
    log(f"sentiment head: {len(sent_texts):,} texts {dict(Counter(sent_labels))}")

    train_split, dev_split = splits["train"], splits["dev"]
    x_train = features.transform(train_split.texts, emb(train_split.texts))
    x_dev = features.transform(dev_split.texts, emb(dev_split.texts))
    index = {e: j for j, e in enumerate(emotions)}

    def indicator(split):
        y = np.zeros((len(split), len(emotions)), dtype=np.int8)
        for i, labels in enumerate(split.labels):
            y[i, [index[e] for e in labels]] = 1
        return y

    y_train, y_dev = indicator(train_split), indicator(dev_split)
    models = [
        LogisticRegression(C=EMOTION_C, solver="liblinear", random_state=SEED).fit(x_train, y_train[:, j])
        for j in range(len(emotions))
    ]
    emotion = LinearHead.from_sklearn(models, emotions, multilabel=True)
    threshold = tune_threshold(emotion.proba(x_dev), y_dev)
    emotion.thresholds = np.full(len(emotions), threshold, np.float32)
    log(f"emotion head: {len(emotions)} labels, threshold {threshold} (tuned on dev)")

    import onnxruntime
    import sklearn

    meta = {
        "format": 1,
        "encoder": encoder.version,
        "text_vector": "mean of sentence vectors (pipeline.embed)",
        "trained_on": "GoEmotions train (+dev for the threshold), BANKING77 train; CC BY 4.0",
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scikit-learn": sklearn.__version__,
            "onnxruntime": onnxruntime.__version__,
        },
        "sentiment_texts": len(sent_texts),
        "emotion_threshold": threshold,
    }
    sha = ShippedHeads(features, sentiment, emotion, meta).save(out)
    log(f"wrote {out} ({out.stat().st_size:,} bytes) sha256 {sha} in {time.perf_counter() - started:.0f} s")
    return sha


def main(argv: list[str] | None = None) -> None:
    from .evaluate.datasets import default_datasets_dir

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", type=Path, default=default_datasets_dir())
    parser.add_argument("--out", type=Path, default=HEADS_PATH)
    args = parser.parse_args(argv)
    train(args.datasets, args.out, log=lambda m: print(m, file=sys.stderr, flush=True))


if __name__ == "__main__":
    main()
