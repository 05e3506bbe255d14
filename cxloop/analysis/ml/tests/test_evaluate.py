"""The harness of `cxloop eval`: metrics on hand-checked inputs; loaders, baselines and the task runner on
small files written here in the data sets' formats (the real data sets never enter the repository)."""

from __future__ import annotations

import csv
import json
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from cxloop.analysis.ml import evaluate
from cxloop.analysis.ml.evaluate import baselines, datasets, tasks
from cxloop.analysis.ml.evaluate.metrics import accuracy, f1_scores, labels_from_proba, tune_threshold

REPO = Path(__file__).resolve().parents[4]


# --- small data sets in the real formats -------------------------------------------------------------------
AIRLINE_HEADER = [
    "tweet_id", "airline_sentiment", "airline_sentiment_confidence", "negativereason",
    "negativereason_confidence", "airline", "airline_sentiment_gold", "name", "negativereason_gold",
    "retweet_count", "text", "tweet_coord", "tweet_created", "tweet_location", "user_timezone",
]  # fmt: skip
AIRLINE_TEXTS = {
    ("negative", "Late Flight"): "@united flight delayed again, late arrival {i} hours",
    ("negative", "Lost Luggage"): "@united you lost my luggage, bag {i} never arrived",
    ("negative", "Can't Tell"): "@united seriously?? {i}",
    ("neutral", ""): "@united what time does gate {i} open tomorrow",
    ("positive", ""): "@united thanks, great crew and lovely service {i}",
}
INTENTS = {
    "card_arrival": "when will my new card {i} arrive in the post",
    "exchange_rate": "what exchange rate {i} do you use for euros",
    "lost_or_stolen_card": "my wallet was stolen with card {i} inside",
}
EMOTION_TEXTS = {
    ("joy",): "so happy and glad about this {i}",
    ("anger",): "this makes me furious and angry {i}",
    ("surprise",): "wow I did not expect that {i}",
    ("neutral",): "the meeting is on tuesday {i}",
    ("joy", "surprise"): "wow so happy, what a surprise {i}",
}


def write_datasets(folder: Path, per_class: int = 12) -> Path:
    """The three data sets in their documented formats, with a few rows of made-up text per class."""
    airline = folder / "airline_tweets"
    airline.mkdir(parents=True)
    with open(airline / "Tweets.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(AIRLINE_HEADER)
        n = 0
        for i in range(per_class):
            for (sentiment, reason), text in AIRLINE_TEXTS.items():
                n += 1
                row = dict.fromkeys(AIRLINE_HEADER, "")
                row.update(tweet_id=str(570000000000000000 + n), airline_sentiment=sentiment)
                row.update(negativereason=reason, airline="United", text=text.format(i=i))
                writer.writerow([row[c] for c in AIRLINE_HEADER])
    banking = folder / "banking77"
    banking.mkdir()
    (banking / "categories.json").write_text(json.dumps(list(INTENTS)))
    for name, count in (("train.csv", per_class), ("test.csv", 4)):
        with open(banking / name, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["text", "category"])
            writer.writerows(
                [text.format(i=i), intent] for i in range(count) for intent, text in INTENTS.items()
            )
    emotions = ["joy", "anger", "surprise", "neutral"]
    go = folder / "goemotions"
    go.mkdir()
    (go / "emotions.txt").write_text("\n".join(emotions))
    (go / "sentiment_dict.json").write_text(
        json.dumps({"positive": ["joy"], "negative": ["anger"], "ambiguous": ["surprise"]})
    )
    for split, count in (("train", per_class), ("dev", 4), ("test", 4)):
        lines = [
            f"{text.format(i=i)}\t{','.join(str(emotions.index(e)) for e in labels)}\t{split}{i}"
            for i in range(count)
            for labels, text in EMOTION_TEXTS.items()
        ]
        (go / f"{split}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def data_folder(tmp_path_factory) -> Path:
    return write_datasets(tmp_path_factory.mktemp("datasets"))


class CharCounts:
    """A real, if crude, sentence encoder: letter frequencies of the text (counts its calls)."""

    def __init__(self):
        self.calls, self.texts = 0, 0

    def encode(self, texts):
        self.calls += 1
        self.texts += len(texts)
        out = np.zeros((len(texts), 26), dtype=np.float32)
        for row, text in enumerate(texts):
            for ch in text.lower():
                if "a" <= ch <= "z":
                    out[row, ord(ch) - 97] += 1
        return out


# --- metrics -----------------------------------------------------------------------------------------------
def test_accuracy_and_f1_of_single_labels_by_hand():
    y_true, y_pred = ["a", "a", "b", "c"], ["a", "b", "b", "a"]

    scores = f1_scores(y_true, y_pred, ["a", "b", "c"])

    assert accuracy(y_true, y_pred) == 0.5
    # a: tp 1, fp 1, fn 1 -> 2/4; b: tp 1, fp 1 -> 2/3; c: fn 1 -> 0
    assert scores["per_class_f1"] == pytest.approx({"a": 0.5, "b": 2 / 3, "c": 0.0})
    assert scores["macro_f1"] == pytest.approx((0.5 + 2 / 3) / 3)
    assert scores["micro_f1"] == pytest.approx(0.5)  # one label per text: micro-F1 is accuracy


def test_f1_of_multi_labels_by_hand():
    y_true = [("a", "b"), ("c",), ("a",)]
    y_pred = [("a",), ("c", "b"), ()]

    scores = f1_scores(y_true, y_pred, ["a", "b", "c"])

    # a: tp 1, fn 1 -> 2/3; b: fp 1, fn 1 -> 0; c: tp 1 -> 1. Micro: tp 2, fp 1, fn 2 -> 4/7
    assert scores["per_class_f1"] == pytest.approx({"a": 2 / 3, "b": 0.0, "c": 1.0})
    assert scores["macro_f1"] == pytest.approx(5 / 9)
    assert scores["micro_f1"] == pytest.approx(4 / 7)
    assert accuracy(y_true, y_pred) == 0.0  # no text got exactly its set
    assert accuracy([("a", "b")], [("b", "a")]) == 1.0  # order within a set does not matter


def test_class_never_seen_nor_predicted_counts_zero_and_unknown_predictions_match_nothing():
    scores = f1_scores(["a", "a"], ["a", "mixed"], ["a", "b"])

    assert scores["per_class_f1"] == pytest.approx({"a": 2 / 3, "b": 0.0})
    assert scores["macro_f1"] == pytest.approx(1 / 3)


def test_f1_agrees_with_scikit_learn_on_random_labels():
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(3)
    classes = ["x", "y", "z", "w"]
    y_true = list(rng.choice(classes, 200))
    y_pred = list(rng.choice(classes, 200))
    truth = rng.random((50, 4)) < 0.3
    guess = rng.random((50, 4)) < 0.3

    single = f1_scores(y_true, y_pred, classes)
    multi = f1_scores(*(labels_from_proba(m.astype(float), classes, 0.5) for m in (truth, guess)), classes)

    assert single["macro_f1"] == pytest.approx(f1_score(y_true, y_pred, labels=classes, average="macro"))
    assert multi["macro_f1"] == pytest.approx(f1_score(truth, guess, average="macro", zero_division=0))
    assert multi["micro_f1"] == pytest.approx(f1_score(truth, guess, average="micro", zero_division=0))


def test_metrics_refuse_mismatched_lengths():
    with pytest.raises(ValueError, match="2 true labels but 1 predictions"):
        accuracy(["a", "b"], ["a"])
    with pytest.raises(ValueError, match="2 true labels but 1 predictions"):
        f1_scores(["a", "b"], ["a"], ["a", "b"])


def test_threshold_is_tuned_for_macro_f1_and_the_lowest_wins_ties():
    proba = np.array([[0.9, 0.32], [0.2, 0.35], [0.1, 0.05], [0.6, 0.31]])
    y_true = [("a", "b"), ("b",), (), ("a", "b")]

    assert labels_from_proba(proba, ["a", "b"], 0.3) == [("a", "b"), ("b",), (), ("a", "b")]
    # a threshold in (0.20, 0.31] gets every label right: 0.25 and 0.30 on the grid; ties go to the lowest.
    # At 0.20 the second text gets a false "a", at 0.35 the first and last lose their "b"
    assert tune_threshold(proba, y_true, ["a", "b"]) == 0.25


# --- loaders -----------------------------------------------------------------------------------------------
def test_airline_loader_reads_quoted_multiline_tweets_and_the_reasons(tmp_path):
    folder = tmp_path / "airline_tweets"
    folder.mkdir()
    with open(folder / "Tweets.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(AIRLINE_HEADER)
        row = dict.fromkeys(AIRLINE_HEADER, "")
        tweet = {
            "airline_sentiment": "negative",
            "negativereason": "Late Flight",
            "text": 'two,\n"quoted" lines',
        }
        writer.writerow([{**row, **tweet}[c] for c in AIRLINE_HEADER])
        writer.writerow(
            [{**row, "airline_sentiment": "positive", "text": "thanks ✈"}[c] for c in AIRLINE_HEADER]
        )

    data = datasets.load_airline(folder)

    assert data == {
        "text": ['two,\n"quoted" lines', "thanks ✈"],
        "sentiment": ["negative", "positive"],
        "reason": ["Late Flight", ""],
    }


def test_airline_loader_names_the_row_of_an_unknown_sentiment_and_a_missing_column(tmp_path):
    folder = tmp_path / "airline_tweets"
    folder.mkdir()
    (folder / "Tweets.csv").write_text("text,airline_sentiment,negativereason\nok,neutral,\nhm,angry,\n")
    with pytest.raises(datasets.DatasetError, match=r"row 3: unknown sentiment 'angry'"):
        datasets.load_airline(folder)

    (folder / "Tweets.csv").write_text("text,sentiment\nok,neutral\n")
    with pytest.raises(datasets.DatasetError, match=r"lacks the column\(s\) airline_sentiment"):
        datasets.load_airline(folder)


def test_missing_file_is_named_with_its_path(tmp_path):
    with pytest.raises(datasets.DatasetError, match=r"banking77/categories.json is missing"):
        datasets.load_banking77(tmp_path / "banking77")


def test_banking77_loader_keeps_category_order_and_refuses_unknown_categories(data_folder, tmp_path):
    train, test, classes = datasets.load_banking77(data_folder / "banking77")

    assert classes == list(INTENTS)
    assert (len(train), len(test)) == (36, 12)
    assert (train.texts[0], train.labels[0]) == ("when will my new card 0 arrive in the post", "card_arrival")

    folder = tmp_path / "banking77"
    folder.mkdir()
    (folder / "categories.json").write_text('["card_arrival"]')
    (folder / "train.csv").write_text("text,category\nwhere is my card,card_arrival\nhi,greeting\n")
    (folder / "test.csv").write_text("text,category\n")
    with pytest.raises(
        datasets.DatasetError, match=r"train\.csv: categories not in categories\.json: greeting"
    ):
        datasets.load_banking77(folder)


def test_goemotions_loader_maps_ids_to_names_unquotes_texts_and_groups_neutral_alone(data_folder, tmp_path):
    splits, emotions, group_of = datasets.load_goemotions(data_folder / "goemotions")

    assert emotions == ["joy", "anger", "surprise", "neutral"]
    assert group_of == {"joy": "positive", "anger": "negative", "surprise": "ambiguous", "neutral": "neutral"}
    assert [len(splits[s]) for s in ("train", "dev", "test")] == [60, 20, 20]
    assert ("joy", "surprise") in splits["train"].labels

    folder = tmp_path / "goemotions"
    folder.mkdir()
    for name in ("emotions.txt", "sentiment_dict.json"):
        (folder / name).write_text((data_folder / "goemotions" / name).read_text())
    (folder / "train.tsv").write_text('"He said ""no"" twice"\t1,3\tabc\nfine\t9\tdef\n')
    for split in ("dev", "test"):
        (folder / f"{split}.tsv").write_text("")
    with pytest.raises(datasets.DatasetError, match=r"train\.tsv line 2"):
        datasets.load_goemotions(folder)
    (folder / "train.tsv").write_text('"He said ""no"" twice"\t1,3\tabc\n')
    assert datasets.load_goemotions(folder)[0]["train"].texts == ['He said "no" twice']
    assert datasets.load_goemotions(folder)[0]["train"].labels == [("anger", "neutral")]


def test_default_datasets_folder_is_shared_datasets_beside_the_repository():
    assert datasets.default_datasets_dir() == REPO.parent / "shared" / "datasets"


# --- baselines ---------------------------------------------------------------------------------------------
def test_majority_predicts_the_commonest_training_label():
    assert baselines.Majority().fit(["", "", ""], ["b", "a", "b"]).predict(["x", "y"]) == ["b", "b"]
    multi = baselines.Majority().fit(["", ""], [("a", "c"), ("c",)])
    assert multi.predict(["x"]) == [("c",)]


def test_tfidf_head_learns_words_and_is_reproducible():
    texts = [text.format(i=i) for i in range(8) for text in INTENTS.values()]
    labels = [intent for _ in range(8) for intent in INTENTS]

    model = baselines.TfidfLR().fit(texts, labels)
    again = baselines.TfidfLR().fit(texts, labels)
    probe = ["my card was stolen", "when does the card arrive", "euro exchange rate"]

    assert model.predict(probe) == ["lost_or_stolen_card", "card_arrival", "exchange_rate"]
    assert model.classes_ == sorted(INTENTS)
    assert np.array_equal(model.predict_proba(probe), again.predict_proba(probe))


def test_tfidf_head_trains_one_model_per_label_on_multi_label_data():
    texts = [text.format(i=i) for i in range(6) for text in EMOTION_TEXTS.values()]
    labels = [labels for _ in range(6) for labels in EMOTION_TEXTS]

    model = baselines.TfidfLR().fit(texts, labels)

    assert model.classes_ == ["anger", "joy", "neutral", "surprise"]
    assert model.predict_proba(["so happy"]).shape == (1, 4)
    assert model.predict(["so happy and glad", "furious and angry"]) == [("joy",), ("anger",)]


def test_embedding_head_uses_the_encoder_and_the_cache_encodes_each_text_once():
    encoder = CharCounts()
    cached = baselines.CachedEncoder(encoder)
    texts = ["aaaa", "aaab", "zzzz", "zzzy"] * 3

    model = baselines.EmbeddingLR(cached).fit(texts, ["a", "a", "z", "z"] * 3)

    assert model.predict(["aaaaa", "zzz", "aaaa"]) == ["a", "z", "a"]
    assert encoder.texts == 4 + 2  # four distinct training texts, then the two new ones
    assert cached.encode(["zzzz"]).shape == (1, 26)
    assert encoder.calls == 2


def test_zero_shot_from_names_by_shared_character_ngrams_with_a_fallback():
    names = {"Late Flight": "Late Flight", "Lost Luggage": "Lost Luggage", "Can't Tell": "Can't Tell"}
    corpus = ["the flight was late", "they lost my luggage", "meh", "hello there"]

    model = baselines.ZeroShotLexical(
        {k: v for k, v in names.items() if k != "Can't Tell"}, corpus=corpus, fallback="Can't Tell"
    )

    assert model.predict(["flight late by 3h", "luggage lost!", "zzz"]) == [
        "Late Flight",
        "Lost Luggage",
        "Can't Tell",
    ]
    assert baselines.ZeroShotEmbedding(CharCounts(), {"a": "aaa", "z": "zzz"}).predict(["zaaa"]) == ["a"]


def test_vader_reads_plain_sentiment():
    pytest.importorskip("vaderSentiment")

    assert baselines.Vader().predict(
        ["I love it, great job!", "terrible, awful service", "the gate is B4"]
    ) == [
        "positive",
        "negative",
        "neutral",
    ]


def test_product_column_comes_from_a_module_hook_and_is_none_until_one_exists(monkeypatch):
    hook = types.ModuleType("cxloop_eval_hook_test")
    hook.eval_model = lambda task: baselines.Majority() if task == "banking77-full" else None
    monkeypatch.setitem(sys.modules, "cxloop_eval_hook_test", hook)
    monkeypatch.setattr(
        baselines, "PRODUCT_MODULES", ("cxloop.analysis.ml.not_written_yet", "cxloop_eval_hook_test")
    )

    assert isinstance(baselines.product_model("banking77-full"), baselines.Majority)
    assert baselines.product_model("goemotions-28") is None


def test_encoder_that_cannot_be_imported_is_a_skip_with_the_reason(monkeypatch):
    monkeypatch.setitem(sys.modules, "cxloop.analysis.ml.encoder", None)  # makes the import fail

    with pytest.raises(baselines.Skip, match="the encoder is not importable"):
        baselines.load_encoder()


# --- tasks and the runner ----------------------------------------------------------------------------------
def test_airline_split_is_stratified_80_20_and_reasons_keep_only_negative_tweets(data_folder):
    ctx = tasks.Context(data_folder)

    (trained,) = tasks.build_airline_trained(ctx)
    (reasons,) = tasks.build_airline_reasons(ctx)

    assert (len(trained.train), len(trained.test)) == (48, 12)
    everything = trained.train.labels + trained.test.labels
    for label in ("negative", "neutral", "positive"):  # each class 20 % in test, give or take one text
        assert abs(trained.test.labels.count(label) - 0.2 * everything.count(label)) < 1
    assert not set(trained.train.texts) & set(trained.test.texts)
    assert set(reasons.test.texts) <= set(trained.test.texts)
    assert reasons.classes == ["Can't Tell", "Late Flight", "Lost Luggage"]
    assert reasons.fallback == "Can't Tell"


def test_few_shot_draws_take_ten_per_intent_differ_between_seeds_and_repeat(data_folder):
    draws = tasks.build_banking77_few_shot(tasks.Context(data_folder))
    again = tasks.build_banking77_few_shot(tasks.Context(data_folder))

    assert len(draws) == 5
    assert all(sorted(set(d.train.labels)) == sorted(INTENTS) for d in draws)
    assert all(d.train.labels.count(intent) == 10 for d in draws for intent in INTENTS)
    assert len({tuple(d.train.texts) for d in draws}) > 1
    assert [d.train.texts for d in draws] == [d.train.texts for d in again]


def test_quick_runs_subsample_with_a_seed_and_keep_the_order(data_folder):
    ctx = tasks.Context(data_folder, quick=True)
    ctx.sizes = {**ctx.sizes, "train": 5}
    split = datasets.Split([str(i) for i in range(20)], list(range(20)))

    small = ctx.sample(split, "train")

    assert len(small) == 5 and small.labels == sorted(small.labels)
    assert small == ctx.sample(split, "train")
    assert tasks.Context(data_folder).sample(split, "train") is split  # full runs keep everything


def test_run_eval_puts_product_and_baselines_side_by_side(data_folder):
    def product(task):
        return baselines.TfidfLR() if task == "airline-sentiment" else None

    report = evaluate.run_eval(
        data_folder, "airline-sentiment,goemotions-28", columns="product,majority,tfidf", product=product
    )

    airline, go = report["tasks"]
    columns = {c["key"]: c for c in airline["columns"]}
    assert [c["key"] for c in airline["columns"]] == ["product", "majority", "tfidf"]
    assert columns["product"]["status"] == "ok"
    assert columns["product"]["accuracy"] == columns["tfidf"]["accuracy"] == 1.0
    assert columns["majority"]["accuracy"] == pytest.approx(7 / 12)  # 60 % of the tweets are negative
    assert columns["majority"]["per_class_f1"]["neutral"] == 0.0
    assert go["columns"][0] == {
        "key": "product",
        "model": "product",
        "status": "not built yet",
        "note": "not built yet",
    }
    tfidf = go["columns"][2]
    assert tfidf["threshold"] in evaluate.metrics.THRESHOLD_GRID and 0 <= tfidf["micro_f1"] <= 1
    assert json.loads(json.dumps(report)) == report

    table = evaluate.format_report(report)
    assert "airline-sentiment: Airline tweets" in table
    assert "(48 train, 12 test)" in table
    assert "not built yet" in table and "dev threshold" in table
    assert "F1 neutral" in table


def test_a_shipped_model_keeps_its_own_cut_offs_on_multi_label_tasks(data_folder):
    class Shipped:  # predict-only: evaluated as it comes, no threshold tuned for it on dev
        classes_ = ["joy", "anger", "surprise", "neutral"]

        def predict_proba(self, texts):
            return np.full((len(texts), 4), 0.9)

        def predict(self, texts):
            return [("joy",) if "happy" in t else "neutral" for t in texts]

    report = evaluate.run_eval(
        data_folder, "goemotions-28", columns="product", product=lambda task: Shipped()
    )

    (column,) = report["tasks"][0]["columns"]
    assert column["threshold"] is None
    assert column["per_class_f1"]["joy"] == 1.0  # its own predict: "so happy…" and "wow so happy…" texts
    assert column["per_class_f1"]["anger"] == 0.0


def test_draws_report_mean_and_standard_deviation(data_folder):
    report = evaluate.run_eval(data_folder, "banking77-10shot", columns="tfidf")

    (column,) = report["tasks"][0]["columns"]
    assert column["draws"] == 5 and set(column["sd"]) >= {"accuracy", "macro_f1"}
    assert "± " in evaluate.format_report(report)


def test_embedding_columns_run_with_an_encoder_and_say_why_without_one(data_folder, monkeypatch):
    monkeypatch.setattr(tasks, "load_encoder", CharCounts)
    with_encoder = evaluate.run_eval(data_folder, "airline-reasons", columns="minilm,names-minilm")
    monkeypatch.setattr(tasks, "load_encoder", baselines.load_encoder)
    monkeypatch.setitem(sys.modules, "cxloop.analysis.ml.encoder", None)
    without = evaluate.run_eval(data_folder, "airline-reasons", columns="minilm,names-minilm")

    assert [c["status"] for c in with_encoder["tasks"][0]["columns"]] == ["ok", "ok"]
    assert [c["status"] for c in without["tasks"][0]["columns"]] == ["skipped", "skipped"]
    assert "MiniLM+LR: the encoder is not importable" in evaluate.format_report(without)


def test_a_column_that_raises_is_reported_failed_and_the_others_still_run(data_folder):
    class Broken:
        def predict(self, texts):
            raise RuntimeError("model file damaged")

    report = evaluate.run_eval(
        data_folder, "airline-sentiment-oob", columns="product", product=lambda task: Broken()
    )

    assert report["tasks"][0]["columns"][0]["note"] == "RuntimeError: model file damaged"
    assert evaluate.failed_columns(report) == ["airline-sentiment-oob: product"]


def test_selection_errors_name_the_choices(data_folder, tmp_path):
    with pytest.raises(
        ValueError, match=r"unknown task nope; choose from: airline-sentiment-oob, .*group: airline"
    ):
        evaluate.run_eval(data_folder, "nope")
    with pytest.raises(ValueError, match="unknown model bert"):
        evaluate.run_eval(data_folder, "airline", columns="tfidf,bert")
    assert tasks.select("banking77,speed", list(tasks.TASKS), tasks.TASK_GROUPS, "task") == [
        "banking77-full",
        "banking77-10shot",
        "speed",
    ]
    (tmp_path / "banking77").mkdir()
    with pytest.raises(datasets.DatasetError, match=r"banking77/train\.csv is missing"):
        evaluate.run_eval(tmp_path, "banking77")
    with pytest.raises(datasets.DatasetError, match="does not exist: pass --datasets DIR"):
        evaluate.run_eval(tmp_path / "nowhere")
