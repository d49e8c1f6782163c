"""describe(): the three sentence protocols, quantisation, seeding, vocabulary invariants, CLI and demo."""

from __future__ import annotations

import re

import pytest

from facsynth.errors import AUSpecError
from facsynth.facs import ALL_AUS
from facsynth.language import vocabulary as V
from facsynth.facs import intensity_level as quantize
from facsynth.language.describe import describe


def test_vocabulary_covers_catalogue_and_is_unambiguous():
    assert set(V.AU_WORDS) == set(ALL_AUS)
    pairs = [(adj, noun) for noun, adjs in V.AU_WORDS.values() for adj in adjs]
    assert len(pairs) == len(set(pairs)) == 2 * len(ALL_AUS)
    for au, (noun, adjs) in V.AU_WORDS.items():
        assert all(V.PAIRS[(a, noun)] == (au,) for a in adjs)
    adverbs = [w for ws in V.ADVERBS.values() for w in ws]
    assert len(adverbs) == len(set(adverbs)) == 15
    # no protocol word doubles as another kind of word
    assert not set(adverbs) & (set(V.ADJECTIVE_FORMS) | set(V.EMOTION_WORDS) | set(V.NOUN_ALIASES))


@pytest.mark.parametrize("value,level", [(0, 0), (0.49, 0), (0.5, 1), (1.49, 1), (2.5, 3), (4.49, 4), (4.5, 5),
                                         (5.0, 5)])
def test_quantize_rounds_half_up(value, level):
    assert quantize(value) == level


@pytest.mark.parametrize("value", [-0.1, 5.01, float("nan")])
def test_quantize_rejects_out_of_range(value):
    with pytest.raises(AUSpecError):
        quantize(value)


def test_protocol_shapes():
    aus = {1: 2, 25: 4}
    p1 = describe(aus, protocol=1, seed=0)
    assert re.fullmatch(r"A woman with .+\.", p1) and "inner brows" in p1 and "lips" in p1
    p2 = describe(aus, protocol=2, gender="male", emotion="surprise", seed=0)
    assert p2.startswith("A man is surprised because he has ")
    assert describe(aus, protocol=2, gender="male", seed=0).startswith("A man has ")
    p3 = describe(aus, protocol=3, seed=0)
    assert p3.startswith("A woman's ") and re.search(r"(inner brows|lips) are ", p3)
    assert describe(aus, protocol=1, emotion="anger", seed=0).startswith("An angry woman with ")


def test_adverbs_match_levels_and_zero_is_not_mentioned():
    for level in range(1, 6):
        s = describe({12: level, 4: 0.3}, protocol=1, seed=level)
        words = set(s.rstrip(".").split())
        assert words & set(V.ADVERBS[level]), s
        assert not words & {w for lvl, ws in V.ADVERBS.items() if lvl != level for w in ws}
        assert "brows" not in s


def test_every_au_is_described():
    s = describe({au: 3 for au in ALL_AUS}, protocol=3, seed=1)
    for noun, _ in V.AU_WORDS.values():
        assert noun in s


def test_neutral_sentences():
    assert describe({}, protocol=1) == "A woman with a neutral expression."
    assert describe({12: 0.2}, protocol=2, gender="male") == "A man has a neutral expression."
    assert describe({}, protocol=3, emotion="happy") == "A happy woman's face is neutral."


def test_seeded_and_randomised():
    aus = {1: 2, 2: 3, 6: 4, 12: 5, 25: 1, 26: 2}
    assert describe(aus, seed=5) == describe(aus, seed=5)
    variants = {describe(aus, protocol=p, seed=s) for p in (1, 3) for s in range(20)}
    assert len(variants) > 30
    # the AU order differs across seeds
    firsts = {describe(aus, seed=s).split(" with ")[1].split(",")[0].split()[-1] for s in range(30)}
    assert len(firsts) > 2


def test_accepts_labels_and_rejects_bad_arguments():
    assert describe({"AU12": 4}, seed=0) == describe({12: 4}, seed=0)
    with pytest.raises(AUSpecError):
        describe({3: 2})
    with pytest.raises(AUSpecError):
        describe({12: 6})
    with pytest.raises(AUSpecError):
        describe({12: 2}, protocol=4)
    with pytest.raises(AUSpecError):
        describe({12: 2}, gender="robot")
    with pytest.raises(AUSpecError):
        describe({12: 2}, emotion="hungry")


def test_cli_describe(cli):
    r = cli("describe", "--aus", "AU1=2,AU12=4", "--protocol", "3", "--gender", "male", "--seed", "3")
    assert r.returncode == 0, r.stderr
    assert r.stdout == describe({1: 2, 12: 4}, protocol=3, gender="male", seed=3) + "\n"
    bad = cli("describe", "--aus", "AU99=2")
    assert bad.returncode == 2 and bad.stdout == ""
    assert len(bad.stderr.strip().splitlines()) == 1 and "AU99" in bad.stderr


def test_demo_writes_sentences_and_exact_parses(tmp_path):
    from facsynth.commands.describe import DEMO_SETS, demo

    files = demo(tmp_path)
    assert [f.name for f in files] == ["sentences.txt", "sentences.tsv"]
    lines = files[0].read_text().splitlines()
    assert len(lines) == 3 * len(DEMO_SETS) and all(line.endswith(".") for line in lines)
    rows = [r.split("\t") for r in files[1].read_text().splitlines()[1:]]
    assert len(rows) == len(lines) and all(r[-1] == "True" for r in rows)
