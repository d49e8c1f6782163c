"""CMUdict read by binary search (speech.pronouncing) against a plain reading of the whole file, and the aligner
that gets only the transcript's words."""

from __future__ import annotations

import random
import re

import pytest

from facsynth.errors import ModelError
from facsynth.speech import phonemes
from facsynth.speech.pronouncing import dictionary_path, pronunciations


def _whole(path) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            name, _, phones = line.partition(" ")
            out.setdefault(re.sub(r"\(\d+\)$", "", name), []).append((name, phones.strip()))
    return out


def test_binary_search_finds_what_a_full_read_finds():
    whole = _whole(dictionary_path())
    words = sorted(whole)
    rng = random.Random(3)
    sample = rng.sample(words, 400) + [words[0], words[-1], "read", "the", "a", "aa"]
    found = pronunciations(sample)
    assert found == {w: whole.get(w, []) for w in sample}
    assert any(len(v) > 1 for v in found.values())          # alternatives ("read(2)") come along
    missing = ["", "xqzzt", "zzzzzzzzz", "!", words[0][:-1] + "~"]
    assert pronunciations(missing) == {w: [] for w in missing}


def test_edge_lines_and_prefixes(tmp_path):
    path = tmp_path / "tiny.dict"
    path.write_text("a AH\na(2) EY\na's EY Z\naa AA\nab AE B\nb B IY\nzed Z EH D\n", encoding="utf-8")
    found = pronunciations(["a", "a's", "aa", "ab", "b", "zed", "zee", "0", "aaa"], path)
    assert found == {"a": [("a", "AH"), ("a(2)", "EY")], "a's": [("a's", "EY Z")], "aa": [("aa", "AA")],
                     "ab": [("ab", "AE B")], "b": [("b", "B IY")], "zed": [("zed", "Z EH D")],
                     "zee": [], "0": [], "aaa": []}


def test_aligner_learns_only_the_transcripts_words():
    dec = phonemes._align_decoder()
    assert dec.lookup_word("quagmire") is None                # CMUdict was not loaded whole
    known, unknown = phonemes.normalise_transcript("A quagmire, xqzzt!")
    assert known == ["a", "quagmire"] and unknown == ["xqzzt"]
    assert dec.lookup_word("quagmire") == "K W AE G M AY ER"


def test_unreadable_dictionary_is_a_model_error(tmp_path):
    with pytest.raises(ModelError, match="pronouncing dictionary"):
        pronunciations(["go"], tmp_path / "missing.dict")
    (tmp_path / "empty.dict").write_bytes(b"")
    with pytest.raises(ModelError, match="pronouncing dictionary"):
        pronunciations(["go"], tmp_path / "empty.dict")
