"""Learned language encoder: paraphrases, a tiny encoder trained here, the shipped weights, errors, CLI."""

from __future__ import annotations

import random

import pytest
import torch

from facsynth.errors import ModelError, TextError
from facsynth.facs import ALL_AUS
from facsynth.language import encoder
from facsynth.language.paraphrase import FAMILIES, intensity_words, paraphrase, rewrite
from facsynth.train import lse as lse_train


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, train_seed):
    """A small encoder (D = 96) trained on 6,000 generated sentences (held-out styles excluded) and its metrics."""
    path = tmp_path_factory.mktemp("lse") / "tiny.pt"
    metrics = lse_train.train(path, epochs=4, seed=train_seed, n_train=6000, n_eval=400, hidden=48, lr=1e-2,
                              batch_size=32, word_dropout=0.0, progress=False)
    return path, metrics


# ---------------------------------------------------------------- paraphrases and corpus


@pytest.mark.parametrize("family", FAMILIES)
def test_paraphrase_is_seedable_and_names_an_intensity(family):
    aus = {4: 5.0, 12: 2.0}
    a = paraphrase(aus, family, "male", random.Random(3))
    assert a == paraphrase(aus, family, "male", random.Random(3))
    assert a.endswith(".") and a[0].isupper()
    if family in ("verbs", "adverb_first", "passive"):
        assert "his" in a.split() and "her" not in a.split()
        assert any(w in a for w in intensity_words(5)) and any(w in a for w in intensity_words(2))
    elif family == "vocabulary":
        assert "her" not in a.split()
    else:
        assert ("12" in a) or ("lip corner puller" in a)


def test_vocabulary_family_agrees_with_the_rule_parser():
    """The vocabulary family is built from the parser's tables: the rules read its AU sets back (labels are
    consistent), and its non-facial sentences carry no AU."""
    import warnings

    from facsynth.language.parse import parse_rule

    rng, agree = random.Random(0), 0
    for _ in range(200):
        aus = lse_train.random_aus(rng)
        text = paraphrase(aus, "vocabulary", "female", rng)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            agree += parse_rule(text) == {a: float(v) for a, v in aus.items()}
    assert agree >= 180
    assert any(paraphrase({}, "vocabulary", "male", random.Random(s)).startswith(("The meeting", "Send", "The report",
               "The river", "The shop", "His bag", "He ", "The man ", "A man ")) for s in range(20))


def test_intensity_words_name_one_level_each():
    levels = [set(intensity_words(lv)) for lv in range(1, 6)]
    assert all(not (levels[i] & levels[j]) for i in range(5) for j in range(i + 1, 5))


def test_neutral_paraphrase_and_unknown_family():
    assert "neutral" in paraphrase({}, "verbs", "female", random.Random(0)) or \
        "relaxed" in paraphrase({}, "verbs", "female", random.Random(0)) or \
        "expression" in paraphrase({}, "verbs", "female", random.Random(0))
    with pytest.raises(ValueError):
        paraphrase({1: 1.0}, "sonnet")


def test_rewrite_swaps_synonyms_and_keeps_clauses():
    text = "A woman with slightly raised brows, strongly wrinkled nose, extremely parted lips."
    out = rewrite(text, random.Random(0), p_swap=1.0)
    assert "slightly" not in out and "strongly" not in out and "extremely" not in out
    assert out.count(",") == text.count(",") and "nose" in out


def test_corpus_covers_styles_and_holds_out_test_styles():
    corpus = lse_train.make_corpus(300, ["p1", "verbs", "au_codes"], seed=0)
    assert {s for _, _, s in corpus} == {"p1", "verbs", "au_codes"}
    assert all(set(aus) <= set(ALL_AUS) and all(1 <= v <= 5 for v in aus.values()) for _, aus, _ in corpus)
    assert lse_train.make_corpus(50, ["p2"], seed=4) == lse_train.make_corpus(50, ["p2"], seed=4)
    with pytest.raises(ValueError):
        lse_train.make_corpus(5, ["limerick"])


# ---------------------------------------------------------------- a tiny encoder trained in the test


def test_tiny_encoder_learned(tiny):
    _, m = tiny
    assert set(m["train_styles"]).isdisjoint(m["held_out_styles"])
    val, test = m["val"], m["test_held_out"]
    # baselines of the same run: chance F1 (call every AU active) and the MAE of always guessing intensity 3
    assert val["f1_micro"] > 0.75 > 3 * val["f1_all_active"]  # chance: call every AU active
    assert val["f1_macro"] > 0.65
    assert val["mae_active"] < 0.6 * val["mae_constant"]  # baseline: always intensity 3
    assert test["f1_micro"] > test["f1_all_active"] + 0.4  # unseen sentence styles: well above chance
    assert test["mae_active"] < 0.8 * test["mae_constant"]


def test_tiny_checkpoint_round_trip_and_api(tiny):
    path, _ = tiny
    model = encoder.load(path)
    assert model.dim == 96 and model.aus == ALL_AUS
    texts = ["AU12 at intensity D.", "A woman with strongly raised inner brows and slightly parted lips."]
    words, sentence, tokens = encoder.encode(texts, model)
    assert words.shape == (2, max(map(len, tokens)), 96) and sentence.shape == (2, 96)
    assert tokens[0][:2] == ["au12", "at"]
    assert torch.all(words[0, len(tokens[0]):] == 0) and words[0, : len(tokens[0])].abs().sum() > 0
    preds = encoder.predict(texts, model)
    assert len(preds) == 2 and all(0 <= v <= 5 for p in preds for v in p.values())
    for weights in encoder.explain(texts[1], model).values():
        assert sum(w for _, w in weights) == pytest.approx(1, abs=1e-3)
        assert weights[0][1] == max(w for _, w in weights)


def test_fine_tuning_starts_from_the_given_weights(tiny, tmp_path):
    path, m = tiny
    out = tmp_path / "ft.pt"
    ft = lse_train.train(out, epochs=1, seed=2, n_train=300, n_eval=300, lr=1e-3, batch_size=32, init=path,
                         progress=False)
    assert ft["config"]["init"] == str(path) and ft["config"]["hidden"] == 48
    # 10 small steps from trained weights keep what they knew; a fresh encoder after 10 steps knows nothing
    fresh = lse_train.train(tmp_path / "fresh.pt", epochs=1, seed=2, n_train=300, n_eval=300, lr=1e-3,
                            batch_size=32, hidden=48, progress=False)
    assert ft["val"]["f1_micro"] > fresh["val"]["f1_micro"] + 0.3


def test_unknown_words_fall_back_to_glove(tiny):
    model = encoder.load(tiny[0])
    n = len(model.vocab)
    model.ids(["photosynthesis"])
    assert len(model.vocab) == n + 1 and model.emb.shape[0] == n + 1
    assert model.ids(["zzqxv-not-a-word"]) == [1]  # <unk>


# ---------------------------------------------------------------- errors


def test_missing_and_corrupt_weights_raise_model_error(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        encoder.load(tmp_path / "none.pt")
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint at all")
    with pytest.raises(ModelError, match="not a readable LSE checkpoint"):
        encoder.load(bad)
    other = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(3)}, other)
    with pytest.raises(ModelError, match="not a facsynth LSE checkpoint"):
        encoder.load(other)


def test_empty_text_is_a_text_error():
    with pytest.raises(TextError):
        encoder.predict(["She smiles.", "  "])
    with pytest.raises(TextError):
        encoder.predict("She smiles.")


# ---------------------------------------------------------------- the shipped weights

SHIPPED = [
    ("A woman with strongly upturned lip corners and slightly raised inner brows.", {12, 1}),  # protocol 1
    ("A man has markedly lowered brows and strongly pressed lips.", {4, 24}),  # protocol 2
    ("A woman's nose is wrinkled strongly and her upper lip is raised moderately.", {9, 10}),  # protocol 3
    ("He drops his jaw and raises his outer brows a lot.", {2, 26}),
    ("He drops his jaw and raises his eyebrows a lot.", {1, 2, 26}),
    ("He presses his lips together firmly.", {24}),
    ("The woman pouts slightly.", {18}),
    ("A man with barely parted lips and extremely dropped jaw.", {25, 26}),
    ("AU12 at intensity D, AU6 C.", {6, 12}),
    ("AU4 at intensity E and AU7=3.", {4, 7}),
    ("Lip corner depressor (C), chin raiser slight.", {15, 17}),
]


@pytest.mark.parametrize("text,aus", SHIPPED)
def test_shipped_weights_find_the_aus(text, aus):
    assert set(encoder.predict([text])[0]) == aus


def test_shipped_intensities_follow_the_words():
    weak, strong = encoder.predict(["She smiles barely.", "She smiles extremely."])
    assert weak[12] < 2 < 4 < strong[12]


def test_shipped_attention_of_au12_is_on_the_smile():
    weights = encoder.explain("she smiles strongly and raises her brows")[12]
    top_word, top_weight = weights[0]
    assert top_word in ("smiles", "strongly") and top_weight > 0.3
    mass = sum(w for word, w in weights if word in ("smiles", "strongly"))
    assert mass > 0.5


def test_shipped_metrics_are_stored_with_the_weights():
    m = encoder.load().metrics
    assert m["test_held_out"]["f1_micro"] > 0.8 and m["val"]["f1_micro"] > 0.9


# ---------------------------------------------------------------- CLI


def test_cli_train_lse_writes_weights_and_metrics(cli, tmp_path):
    out = tmp_path / "m.pt"
    r = cli("train", "lse", "--out", out, "--epochs", "1", "--sentences", "200", "--hidden", "8",
            "--eval-sentences", "100")
    assert r.returncode == 0, r.stderr
    assert out.is_file() and out.with_suffix(".metrics.json").is_file()
    assert "held-out styles: F1" in r.stdout
    r = cli("train", "lse", "--out", out, "--epochs", "0")
    assert r.returncode == 2 and "epochs" in r.stderr and "Traceback" not in r.stderr
