"""The phone loop's bigram LM and decoder settings: the shipped LM is what the wheel's trigram LM makes, pocketsphinx
loads it as a normalised bigram, and the phone-loop settings reach the decoder."""

from __future__ import annotations

import pocketsphinx
import pytest

from facsynth.commands.speak import bundled_utterance
from facsynth.errors import ModelError
from facsynth.speech.audio import load_audio
from facsynth.speech.phone_lm import BIGRAM_LM, bigram_arpa, make_bigram, read_arpa, trigram_lm
from facsynth.speech.phonemes import PHONE_DECODERS, _phone_decoder, align, recognize


def _model(path):
    logmath = pocketsphinx.LogMath()
    return logmath, pocketsphinx.NGramModel(pocketsphinx.Config(), logmath, str(path))


def test_shipped_bigram_is_made_from_the_wheels_trigram(tmp_path):
    assert make_bigram(tmp_path / "bigram.arpa").read_text() == BIGRAM_LM.read_text()
    _, trigram = _model(trigram_lm())
    assert trigram.size() == 3


def test_bigram_loads_and_every_history_sums_to_one():
    logmath, lm = _model(BIGRAM_LM)
    assert lm.size() == 2
    unigrams, bigrams = read_arpa(BIGRAM_LM.read_text())
    phones = [w for w in unigrams if w not in ("<s>", "<UNK>")]
    assert len(phones) == 41 and "SIL" in phones and "AA" in phones
    for history in phones:
        if history == "</s>":
            continue
        total = sum(logmath.exp(lm.prob([w, history])) for w in phones)  # prob takes the newest word first
        assert total == pytest.approx(1.0, abs=1e-3), history
    # a bigram the file lists keeps the trigram LM's probability: P(AA | B) = 10^-1.3598
    assert logmath.log_to_log10(lm.prob(["AA", "B"])) == pytest.approx(bigrams["B"]["AA"], abs=1e-3)


def test_backoff_weights_restore_the_missing_mass():
    text = bigram_arpa({"A": -0.30103, "B": -0.30103}, {"A": {"A": -1.0}})
    unigrams, bigrams = read_arpa(text)
    assert bigrams == {"A": {"A": -1.0}} and set(unigrams) == {"A", "B"}
    backoff = {f[1]: float(f[2]) for f in (line.split("\t") for line in text.splitlines()) if len(f) == 3}
    assert 0.1 + 10 ** backoff["A"] * 0.5 == pytest.approx(1.0, abs=1e-3)  # P(A|A) + bo(A) · P(B|A) = 1


def test_phone_decoder_settings_reach_pocketsphinx():
    fast, full = _phone_decoder("fast").config, _phone_decoder("full").config
    assert (fast["ds"], fast["topn"], fast["allphone"]) == (2, 8, str(BIGRAM_LM))
    assert PHONE_DECODERS["fast"].lm == "bigram"
    assert (full["ds"], full["topn"], full["allphone"]) == (1, 4, str(trigram_lm()))
    with pytest.raises(ModelError, match="unknown phone decoder"):
        recognize(load_audio(bundled_utterance())[:16000], "fastest")


@pytest.mark.parametrize("decoder", sorted(PHONE_DECODERS))
def test_each_phone_decoder_finds_the_speech(decoder):
    y = load_audio(bundled_utterance())
    first = next(p for p in align(y, "go forward ten meters") if p.phone != "SIL")
    speech = [p for p in recognize(y, decoder) if p.phone != "SIL"]
    assert len(speech) >= 8 and abs(speech[0].start - first.start) < 0.15
