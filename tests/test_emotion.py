"""Text emotion: GloVe loader and tokenizer, emotion models, intensity, the AU track and the CLI."""

from __future__ import annotations

import numpy as np

from facsynth.language import glove


def test_tokenize_follows_glove_conventions():
    assert glove.tokenize("I don't like it!!") == ["i", "do", "n't", "like", "it", "!", "!"]
    assert glove.tokenize("It's 3.5 o'clock, I'm late") == ["it", "'s", "3.5", "o'clock", ",", "i", "'m", "late"]
    assert glove.tokenize("   ") == []


def test_embed_known_and_unknown_words():
    vec = glove.embed(["happy", "qxzvqxzv"])
    assert vec.shape == (2, glove.DIM) and vec.dtype == np.float32
    assert np.abs(vec[0]).sum() > 1 and not vec[1].any()
    # GloVe's geometry is real: "happy" is nearer "glad" than "rock"
    happy, glad, rock = glove.embed(["happy", "glad", "rock"])
    cos = lambda a, b: float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))  # noqa: E731
    assert cos(happy, glad) > cos(happy, rock) + 0.2


def test_embed_batch_pads_and_counts():
    x, lengths = glove.embed_batch(["so happy", "", "a b c d e"], max_len=4)
    assert x.shape == (3, 4, glove.DIM)
    assert lengths.tolist() == [2, 1, 4]
    assert not x[0, 2:].any()
