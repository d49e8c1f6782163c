"""parse(): exact inverse of describe (property test), free phrasing, negation, emotions, errors, CLI."""

from __future__ import annotations

import json
import sys
import types

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from facsynth.errors import TextError
from facsynth.facs import ALL_AUS, EMOTIONS, emotion_aus
from facsynth.language import parse as parse_module
from facsynth.language.describe import describe
from facsynth.language.parse import parse

EMOTION_CHOICES = [None, *EMOTIONS, "happy", "furious", "scared", "contemptuous"]


@settings(max_examples=400, deadline=None)
@given(
    aus=st.dictionaries(st.sampled_from(ALL_AUS), st.integers(1, 5), max_size=len(ALL_AUS)),
    protocol=st.sampled_from((1, 2, 3)),
    gender=st.sampled_from(("female", "male")),
    emotion=st.sampled_from(EMOTION_CHOICES),
    seed=st.integers(0, 2**31 - 1),
)
def test_parse_inverts_describe_exactly(aus, protocol, gender, emotion, seed):
    sentence = describe(aus, protocol=protocol, gender=gender, emotion=emotion, seed=seed)
    assert parse(sentence) == {a: float(v) for a, v in aus.items()}, sentence


@pytest.mark.parametrize("text,expected", [
    ("A woman with slightly raised inner brows and strongly parted lips.", {1: 2.0, 25: 4.0}),
    ("She raises her inner brows slightly and smiles broadly.", {1: 2.0, 12: 4.0}),
    ("he wrinkles his nose", {9: 3.0}),
    ("she frowns hard", {4: 4.0}),
    ("he pouts a little", {17: 2.0, 18: 2.0}),
    ("barely smiling", {12: 1.0}),
    ("she smiles", {12: 3.0}),
    ("opens his mouth wide", {25: 4.0, 26: 4.0}),
    ("her eyes wide open", {5: 4.0}),
    ("very slightly raised brows", {1: 1.0, 2: 1.0}),
    ("her brows are raised very strongly", {1: 5.0, 2: 5.0}),
    ("the corners of her mouth turn down", {15: 3.0}),
    ("a big grin", {12: 4.0, 25: 4.0}),
    ("she smiles with her eyes closed", {12: 3.0, 43: 3.0}),
    ("strong lip corner puller and slight brow lowerer", {4: 2.0, 12: 4.0}),
    ("Lip corner puller", {12: 3.0}),
    ("AU12 at intensity D, AU6 strong", {6: 4.0, 12: 4.0}),
    ("AU 4", {4: 3.0}),
    ("AU12=D AU6:2.5 and au01 level 1", {1: 1.0, 6: 2.5, 12: 4.0}),
    ("Her lips, slightly parted.", {25: 2.0}),
    ("she squints", {6: 3.0, 7: 3.0}),
    ("Her jaw drops and her eyes widen", {5: 3.0, 26: 3.0}),
])
def test_free_phrasing(text, expected):
    assert parse(text) == expected


def test_emotion_words_scale_the_prototype():
    assert parse("a very happy woman") == pytest.approx(emotion_aus("happiness", 4), abs=1e-3)
    assert parse("slightly sad") == pytest.approx(emotion_aus("sadness", 2), abs=1e-3)
    assert parse("He looks surprised.") == pytest.approx(emotion_aus("surprise", 3), abs=1e-3)
    assert parse("furious") == pytest.approx(emotion_aus("anger", 5), abs=1e-3)
    both = parse("happy and surprised")
    assert both[12] == pytest.approx(3.5) and both[26] == pytest.approx(3.0)
    # explicit movements win over the emotion label
    assert parse("A happy woman with slightly raised inner brows") == {1: 2.0}


def test_negation_keeps_aus_at_zero():
    happy = emotion_aus("happiness", 4)
    got = parse("a very happy woman who does not smile")
    assert 12 not in got and got[6] == pytest.approx(happy[6])
    surprised = parse("a surprised man without opening his mouth")
    assert surprised and not {25, 26} & set(surprised) and 1 in surprised
    assert parse("her brows are not raised") == {}
    assert parse("She doesn't smile, but she frowns slightly") == {4: 2.0}
    assert parse("he never smiles or frowns") == {}


@pytest.mark.parametrize("text", ["a relaxed face", "A neutral expression.", "a calm woman", "poker face",
                                  "A woman with a neutral expression."])
def test_neutral_descriptions_give_empty(text):
    assert parse(text) == {}


@pytest.mark.parametrize("text,message", [
    ("", "empty"), ("   \n", "empty"), ("Der Mann lächelt freundlich", "English"),
    ("Elle sourit doucement", "English"), ("Она улыбается", "English"), ("彼女は笑う", "English"),
    ("AU3 strong", "catalogue"), ("AU12 at intensity 7", "outside"),
])
def test_bad_text_raises(text, message):
    with pytest.raises(TextError, match=message):
        parse(text)


def test_no_facial_content_and_emotion_fallback(monkeypatch):
    monkeypatch.setattr(parse_module, "_emotion_fallback", lambda text: {})
    with pytest.raises(TextError, match="no facial content"):
        parse("The weather report is on at nine.")
    monkeypatch.setattr(parse_module, "_emotion_fallback", lambda text: {4: 3.0, 7: 2.0} if "believe" in text else {})
    assert parse("I can't believe you did this to me!") == {4: 3.0, 7: 2.0}
    with pytest.raises(TextError, match="no facial content"):
        parse("The weather report is on at nine.")


def test_learned_engine_delegates_to_encoder(monkeypatch):
    fake = types.ModuleType("facsynth.language.encoder")
    fake.predict = lambda texts: [{12: 4.2} for _ in texts]
    monkeypatch.setitem(sys.modules, "facsynth.language.encoder", fake)
    monkeypatch.setattr(sys.modules["facsynth.language"], "encoder", fake, raising=False)
    assert parse("she beams", engine="learned") == {12: 4.2}
    with pytest.raises(TextError):
        parse("", engine="learned")
    with pytest.raises(TextError, match="engine"):
        parse("she smiles", engine="magic")


def test_cli_parse_json_and_readable(cli):
    r = cli("parse", "She raises her inner brows slightly and smiles broadly.", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"AU01": 2.0, "AU12": 4.0} and len(r.stdout.splitlines()) == 1
    r = cli("parse", "AU12 at intensity D")
    assert r.returncode == 0 and r.stdout == "AU12=4 D (Lip Corner Puller)\n"


def test_readable_neutral():
    from facsynth.commands.parse import _readable

    assert "neutral" in _readable({}) and _readable({6: 2.5}) == "AU06=2.5 C (Cheek Raiser)"


def test_cli_parse_errors(cli):
    r = cli("parse", "", "--json")
    assert r.returncode == 2 and r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1 and "empty" in r.stderr
    r = cli("parse", "she smiles", "--explain", "--engine", "rule")
    assert r.returncode == 2 and r.stdout == "" and "--explain" in r.stderr


def test_cli_parse_file(cli, tmp_path):
    f = tmp_path / "s.txt"
    f.write_text("she smiles a little\n\nElle sourit\nAU6 strong\n", encoding="utf-8")
    r = cli("parse", "--file", f)
    assert r.returncode == 2
    records = [json.loads(line) for line in r.stdout.splitlines()]
    assert [rec["line"] for rec in records] == [1, 3, 4]
    assert records[0]["aus"] == {"AU12": 2.0} and "error" in records[1] and records[2]["aus"] == {"AU06": 4.0}
    good = tmp_path / "good.txt"
    good.write_text("she frowns\n", encoding="utf-8")
    r = cli("parse", "--file", good)
    assert r.returncode == 0 and json.loads(r.stdout)["aus"] == {"AU04": 3.0}


def test_non_text_raises():
    with pytest.raises(TextError):
        parse(None)  # type: ignore[arg-type]
    with pytest.raises(TextError):
        parse("!!! 123")




def test_cli_learned_engine_explain(cli):
    r = cli("parse", "She smiles broadly and raises her inner brows.", "--engine", "learned", "--explain")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert "AU12" in lines[0] and any(line.strip().startswith("AU12:") and "smiles" in line for line in lines[1:])


def test_feeling_falls_back_to_emotion_classifier():
    text = "We just won the lottery and tomorrow we fly to Hawaii!"
    with pytest.raises(TextError):
        parse_module.parse_rule(text)  # no face words: the rules alone find nothing
    got = parse(text)
    assert got and max(got.values()) >= 0.5
