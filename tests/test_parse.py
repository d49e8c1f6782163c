"""parse(): exact inverse of describe (property test), free phrasing, negation, emotions, errors, CLI."""

from __future__ import annotations

import json
import sys
import types

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from facsynth.errors import ModelError, NoFacialContentError, TextError
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
    ("A woman with significantly creased nose.", {9: 4.0}),
    ("A woman with insignificantly creased nose.", {9: 1.0}),
    ("A man with highly parted lips and significantly dropped jaw.", {25: 4.0, 26: 4.0}),
    ("she smiles a touch", {12: 2.0}),
    ("he raises his brows as far as they go", {1: 5.0, 2: 5.0}),
    ("his eyebrows go way up", {1: 4.0, 2: 4.0}),
    ("she lowers her brows with all her might", {4: 5.0}),
    ("she frowns moderately strongly", {4: 4.0}),
    ("a slight jaw drop", {26: 2.0}),
    ("Mouth stretch, extreme.", {27: 5.0}),
    ("Brow lowerer at E", {4: 5.0}),
    ("barely smiling", {12: 1.0}),
    ("she smiles", {12: 3.0}),
    ("opens his mouth wide", {25: 4.0, 26: 4.0}),
    ("her eyes wide open", {5: 4.0}),
    ("very slightly raised brows", {1: 1.0, 2: 1.0}),
    ("her brows are raised very strongly", {1: 5.0, 2: 5.0}),
    ("the corners of her mouth turn down", {15: 3.0}),
    ("a big grin", {12: 4.0, 25: 4.0}),
    ("he grins", {12: 4.0, 25: 4.0}),
    ("she beams", {6: 4.0, 12: 4.0}),
    ("her eyes bulge", {5: 4.0}),
    ("dimples form at the corners of her mouth", {14: 3.0}),
    ("she dimples strongly", {14: 4.0}),
    ("his nose is scrunched up", {9: 3.0}),
    ("the corners of her mouth sag", {15: 3.0}),
    ("his jaw hangs slack", {26: 3.0}),
    ("crow's feet at his eyes", {6: 3.0, 12: 3.0}),
    ("her brows are knitted and lifted", {1: 3.0, 4: 3.0}),
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


@pytest.mark.parametrize("text,expected", [
    ("She raises her brows and widens her eyes, both strongly.", {1: 4.0, 2: 4.0, 5: 4.0}),
    ("He both frowns and squints hard.", {4: 4.0, 6: 4.0, 7: 4.0}),
    ("She frowns and squints, each a little.", {4: 2.0, 6: 2.0, 7: 2.0}),
    ("His brows, lids and lips all tighten slightly.", {4: 2.0, 7: 2.0, 23: 2.0}),
    ("Her eyes and mouth both open slightly.", {5: 2.0, 25: 2.0, 26: 2.0}),
    ("Strongly lowered brows, tightened lids and pressed lips.", {4: 4.0, 7: 4.0, 24: 4.0}),
    ("She widens her eyes a lot and raises her brows just a touch.", {1: 2.0, 2: 2.0, 5: 4.0}),
])
def test_scope_of_degree_words(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize("text,expected", [
    ("She smiles with her lips sealed.", {12: 3.0}),
    ("He raises his brows, his jaw held still.", {1: 3.0, 2: 3.0}),
    ("She keeps her mouth shut.", {}),
    ("He keeps his face still.", {}),
    ("She grins, keeping her jaw still.", {12: 4.0, 25: 4.0}),
    ("She bites back a smile.", {}),
])
def test_held_still_and_shut(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize("text,aus,sides", [
    ("She raises her left eyebrow.", {1: 3.0, 2: 3.0}, {1: "L", 2: "L"}),
    ("He smiles on the right side only.", {12: 3.0}, {12: "R"}),
    ("A lopsided smirk.", {12: 2.0, 14: 2.0}, {12: "U", 14: "U"}),
    ("She cocks an eyebrow.", {1: 3.0, 2: 3.0}, {1: "U", 2: "U"}),
    ("A look of contempt.", None, {12: "U", 14: "U"}),
    ("She raises both brows and smiles.", {1: 3.0, 2: 3.0, 12: 3.0}, {}),
    ("She smiles and raises her left brow slightly.", {1: 2.0, 2: 2.0, 12: 3.0}, {1: "L", 2: "L"}),
])
def test_sides(text, aus, sides):
    got = parse_module.read(text)
    if aus is not None:
        assert got.aus == aus
    assert got.sides == sides


def test_explain_words_for_rules():
    got = parse_module.read("She raises her left brow slightly and smiles broadly.")
    assert "slightly" in " ".join(got.words[1]) and "left" in " ".join(got.words[2])
    assert "broadly" in " ".join(got.words[12])


def test_free_phrasing_set_passes_90_percent():
    """The public free-phrasing set (tests/data/free_phrasing.tsv, written before the vocabulary, never trained
    on): the default engine must pass at least 90 % of its sentences."""
    from pathlib import Path

    from facsynth.language.evaluation import read_cases, score

    cases = read_cases(Path(__file__).parent / "data" / "free_phrasing.tsv")
    assert len(cases) >= 300

    def rules_only(text):  # the emotion classifier is exercised elsewhere; here the rules alone are scored
        try:
            r = parse_module.read_rule(text)
        except TextError:
            return {}, {}
        return r.aus, r.sides

    rate, by_class, _ = score(cases, rules_only)
    assert rate >= 0.9, by_class
    assert by_class["nonfacial"][0] == by_class["nonfacial"][1]


def test_scoring_counts_rejected_sentences_as_failures_and_stops_on_other_errors():
    from facsynth.language.evaluation import Case, score

    cases = [Case("verbs", "She smiles.", {12: (1, 5)}, frozenset())]

    def rejects(text):
        raise TextError("the text is not in English")

    rate, by_class, failed = score(cases, rejects)
    assert rate == 0 and by_class == {"verbs": (0, 1)} and "not in English" in failed[0][1][0]

    def broken(text):
        raise ModelError("the learned encoder's weights are missing")

    with pytest.raises(ModelError):
        score(cases, broken)


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


def test_no_facial_content_gives_neutral_and_one_warning(monkeypatch):
    monkeypatch.setattr(parse_module, "_emotion_fallback", lambda text: None)
    with pytest.warns(UserWarning, match="no facial or emotional content") as record:
        assert parse("The weather report is on at nine.") == {}
    assert len(record) == 1
    monkeypatch.setattr(parse_module, "_emotion_fallback",
                        lambda text: {4: 3.0, 7: 2.0} if "believe" in text else None)
    assert parse("I can't believe you did this to me!") == {4: 3.0, 7: 2.0}
    with pytest.raises(NoFacialContentError, match="no facial content"):
        parse_module.parse_rule("The weather report is on at nine.")


def test_a_broken_emotion_model_is_named_not_taken_for_neutral(monkeypatch):
    def broken(text):
        raise ModelError("emotion model emotion_minilm.npz is corrupt")

    monkeypatch.setattr(parse_module, "_emotion_fallback", broken)
    with pytest.raises(TextError, match="could not run: emotion model emotion_minilm.npz is corrupt"):
        parse("The weather report is on at nine.")


def test_emotion_fallback_needs_an_emotion(monkeypatch):
    from facsynth.language import emotion

    neutral = emotion.EmotionResult("neutral", 0.8, {**dict.fromkeys(emotion.LABELS, 0.05), "neutral": 0.7})
    monkeypatch.setattr(emotion, "classify", lambda text, model="default": neutral)
    assert parse_module._emotion_fallback("The train leaves at noon.") is None
    angry = emotion.EmotionResult("anger", 3.0, {**dict.fromkeys(emotion.LABELS, 0.0), "anger": 1.0})
    monkeypatch.setattr(emotion, "classify", lambda text, model="default": angry)
    got = parse_module._emotion_fallback("How dare you!")
    assert got and 4 in got


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

def test_cli_non_facial_text_is_neutral_with_one_warning(cli):
    r = cli("parse", "The quarterly report is due on Friday.")
    assert r.returncode == 0, r.stderr
    assert "neutral" in r.stdout
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "warning" in lines[0] and "no facial or emotional content" in lines[0]


def test_cli_sides_and_rule_explain(cli):
    r = cli("parse", "A lopsided smirk.", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"AU12": 2.0, "AU14": 2.0, "sides": {"AU12": "U", "AU14": "U"}}
    r = cli("parse", "she raises her left brow slightly", "--explain")
    assert r.returncode == 0, r.stderr
    assert "AU01=2" in r.stdout and "left" in r.stdout and "slightly" in r.stdout


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


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="abz -'-' ,.;!?:()[]\"_09é\t’", max_size=30))
def test_fast_tokenizer_gives_the_token_regex_tokens(text):
    """Plain text is split with str methods for speed; the tokens must be exactly the regex's."""
    s = text.lower()
    assert parse_module._tokens(s) == parse_module._TOKEN_RE.findall(s)
