"""Text → emotion → expression: a text's emotion (Ekman + neutral), its intensity 0–5, and its AU track.

Three trained classifiers ship in ``facsynth/assets`` (see :mod:`facsynth.language.emotion_models`):
``"minilm-lora"`` (all-MiniLM-L6-v2 fine-tuned with LoRA adapters, :mod:`facsynth.train.emotion_lora`),
``"minilm"`` (a head on MiniLM's frozen layers 3–6) and ``"lstm-glove"`` (Aubakirova et al.'s GloVe 50-d → 2-layer
LSTM), all trained on GoEmotions (Ekman grouping). The ``"default"`` model averages the probabilities of
minilm-lora and lstm-glove (:data:`DEFAULT_BLEND`) and shifts the class priors for macro-F1
(:data:`DEFAULT_LOG_PRIOR`, :func:`shift_priors`); both are chosen on the validation split and read from
``assets/emotion_default.json`` (written by :mod:`facsynth.train.emotion_blend`).
``labels="paper"`` gives Aubakirova et al.'s five classes instead.
Mixed emotions come out as a probability distribution over :data:`LABELS`; :func:`emotion_track` blends the
confident ones through the FACS prototypes.

>>> r = classify("I am so happy today!")
>>> r.emotion, r.intensity > 2
('happiness', True)
"""

from __future__ import annotations

import functools
import json
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from .._lazy import lazy_module
from ..errors import AUSpecError, ModelError, TextError
from ..facs import blend_emotions, canonical_emotion
from ..track import AUTrack
from .emotion_models import load_checkpoint
from .glove import tokenize

vader = lazy_module("vaderSentiment.vaderSentiment")

__all__ = [
    "LABELS",
    "PAPER_LABELS",
    "LABEL_SETS",
    "GOEMOTIONS_TO_PAPER",
    "MODELS",
    "DEFAULT_BLEND",
    "DEFAULT_LOG_PRIOR",
    "PAPER_CLASSES",
    "GOEMOTIONS_TO_EKMAN",
    "EmotionResult",
    "label_distribution",
    "check_text",
    "intensity",
    "classify",
    "shift_priors",
    "classify_many",
    "expression",
    "emotion_track",
]

#: The seven classes, in the order of every model's outputs (Ekman's six basic emotions + neutral).
LABELS: tuple[str, ...] = ("anger", "disgust", "fear", "happiness", "sadness", "surprise", "neutral")
#: Aubakirova et al.'s five classes, for ``labels="paper"``. GoEmotions has no boredom label: the shipped paper-label
#: model is trained on the other four and gives "bored" probability 0 (a model trained on data with boredom may not).
PAPER_LABELS: tuple[str, ...] = ("happy", "sad", "loving", "excited", "bored")
#: The label sets a model can predict: ``classify(..., labels=...)``.
LABEL_SETS: dict[str, tuple[str, ...]] = {"ekman": LABELS, "paper": PAPER_LABELS}
#: GoEmotions fine labels → the paper's classes (the training data of ``labels="paper"``; other labels unused).
GOEMOTIONS_TO_PAPER: dict[str, str] = {"joy": "happy", "sadness": "sad", "love": "loving", "excitement": "excited"}
#: Model names for ``classify(model=...)``; a path to a checkpoint also works.
MODELS: tuple[str, ...] = ("default", "minilm-lora", "minilm", "lstm-glove")
_ASSETS = Path(__file__).resolve().parents[1] / "assets"
_DEFAULT = json.loads((_ASSETS / "emotion_default.json").read_text(encoding="utf-8"))
#: The "default" model: a weighted mean of these models' probabilities (weights chosen on validation data).
DEFAULT_BLEND: dict[str, float] = dict(_DEFAULT["blend"])
#: The "default" model's per-class log-prior offsets (LABELS order; fitted for macro-F1 on validation data).
DEFAULT_LOG_PRIOR: tuple[float, ...] = tuple(_DEFAULT["log_prior"][name] for name in LABELS)
_CHECKPOINTS = {"minilm-lora": _ASSETS / "emotion_minilm_lora.npz", "minilm": _ASSETS / "emotion_minilm.npz",
                "lstm-glove": _ASSETS / "emotion_lstm_glove.npz"}
_PAPER_CHECKPOINTS = {"default": _ASSETS / "emotion_paper_lstm_glove.npz",
                      "lstm-glove": _ASSETS / "emotion_paper_lstm_glove.npz"}

#: Aubakirova et al.'s five classes as distributions over LABELS. Loving is a warm happiness; excited is
#: happiness with raised arousal (part surprise); bored is low-arousal, mostly neutral with some sadness.
PAPER_CLASSES: dict[str, dict[str, float]] = {
    "happy": {"happiness": 1.0},
    "sad": {"sadness": 1.0},
    "loving": {"happiness": 1.0},
    "excited": {"happiness": 0.7, "surprise": 0.3},
    "bored": {"neutral": 0.7, "sadness": 0.3},
}

#: GoEmotions' 27 fine labels + neutral → Ekman + neutral, the grouping of Demszky et al. (2020).
GOEMOTIONS_TO_EKMAN: dict[str, str] = {
    **dict.fromkeys(("anger", "annoyance", "disapproval"), "anger"),
    "disgust": "disgust",
    **dict.fromkeys(("fear", "nervousness"), "fear"),
    **dict.fromkeys(("joy", "amusement", "approval", "excitement", "gratitude", "love", "optimism", "relief",
                     "pride", "admiration", "desire", "caring"), "happiness"),
    **dict.fromkeys(("sadness", "disappointment", "embarrassment", "grief", "remorse"), "sadness"),
    **dict.fromkeys(("surprise", "realization", "confusion", "curiosity"), "surprise"),
    "neutral": "neutral",
}

#: Texts longer than this many characters are cut (with a warning); emotion lives in the first sentences.
MAX_CHARS = 5000
#: Emotions below this probability are left out of the expression blend.
MIN_SCORE = 0.2


@dataclass(frozen=True)
class EmotionResult:
    """A text's emotion.

    emotion : str, the most probable of LABELS
    intensity : float, 0–5 (FACS scale: 1 trace … 3 clear … 5 extreme), from the wording of the text
    scores : dict str → float, probability of every label in LABELS order, summing to 1
    """

    emotion: str
    intensity: float
    scores: dict[str, float]

    def as_dict(self, digits: int = 4) -> dict:
        """``{"emotion": ..., "intensity": x, "scores": {label: p}}`` with rounded numbers (the CLI's JSON)."""
        return {"emotion": self.emotion, "intensity": round(self.intensity, 2),
                "scores": {k: round(v, digits) for k, v in self.scores.items()}}


def label_distribution(label: str) -> dict[str, float]:
    """Any known emotion label as a distribution over LABELS.

    Accepts LABELS themselves, Ekman/GoEmotions names (``"joy"``, ``"nervousness"``, ``"admiration"``), the
    paper's five classes (``"excited"`` → ``{"happiness": 0.7, "surprise": 0.3}``) and common adjectives
    (``"happy"``, ``"angry"``). Raises TextError for an unknown label.
    """
    key = str(label).strip().lower()
    if key in LABELS:
        return {key: 1.0}
    if key in PAPER_CLASSES:
        return dict(PAPER_CLASSES[key])
    if key in GOEMOTIONS_TO_EKMAN:
        return {GOEMOTIONS_TO_EKMAN[key]: 1.0}
    try:
        name = canonical_emotion(key)
    except AUSpecError:
        name = None
    if name in LABELS:
        return {name: 1.0}
    raise TextError(f"unknown emotion label {label!r}")


# ---------------------------------------------------------------- input checks

_ENGLISH_FUNCTION_WORDS = frozenset(
    "i me my you your he she it we they them the a an and or but if of to in on at for with is am are was were be "
    "been this that these those not no so very what why how who when do does did have has had can will would "
    "just like all there here out up about".split()
)


def check_text(text: str) -> str:
    """Validate one text and return the part the models read.

    Raises TextError when ``text`` is not a str, is empty or blank, holds NUL or other control bytes (binary
    data), or is written mostly in a non-Latin script (the models read English). Cuts texts longer than
    MAX_CHARS characters and warns (UserWarning); warns when a long Latin-script text has no common English word.
    """
    if not isinstance(text, str):
        raise TextError(f"expected text, got {type(text).__name__}")
    if "\x00" in text or sum(ord(c) < 32 and c not in "\t\n\r" for c in text[:MAX_CHARS]) > 2:
        raise TextError("the input holds control bytes: it looks like binary data, not text")
    if not text.strip():
        raise TextError("the text is empty")
    if len(text) > MAX_CHARS:
        cut = text.rfind(" ", 0, MAX_CHARS)
        text = text[: cut if cut > MAX_CHARS // 2 else MAX_CHARS]
        warnings.warn(f"the text is longer than {MAX_CHARS} characters; only its first {len(text)} are read",
                      stacklevel=2)
    letters = [c for c in text if c.isalpha()]
    if not letters:
        raise TextError("the text holds no words")
    if sum(c.isascii() for c in letters) < 0.5 * len(letters):
        raise TextError("the text is not in English (mostly non-Latin letters); the emotion models read English")
    words = re.findall(r"[a-z']+", text.lower())
    if len(words) >= 6 and not any(w in _ENGLISH_FUNCTION_WORDS for w in words):
        warnings.warn("the text may not be English; its emotion may be wrong", stacklevel=2)
    return text


# ---------------------------------------------------------------- intensity

_INTENSIFIERS = frozenset(
    "very so really extremely incredibly absolutely totally utterly completely truly super deeply highly "
    "terribly awfully insanely unbelievably seriously ridiculously hugely massively most such too".split()
)
_DIMINISHERS = frozenset("slightly somewhat bit little mildly fairly rather barely hardly kinda sorta "
                         "marginally moderately quite".split())
_NEGATIONS = frozenset("not n't no never nothing nobody none neither nor without cannot".split())


@functools.lru_cache(maxsize=1)
def _vader():
    return vader.SentimentIntensityAnalyzer()


def intensity(text: str) -> float:
    """How strongly ``text`` expresses its feeling, on the FACS scale 0–5.

    Starts from VADER's valence strength, 0.5 + 2.5·|compound|, then adds 0.5 per intensifier ("very", "so",
    "extremely"; at most +1.5), subtracts 0.5 per diminisher ("slightly", "a bit"; at most −1), adds 0.3 per
    "!" (at most +0.9) and up to +1 for words in capitals, and multiplies by 0.7 when a negation stands up
    to three words before a sentiment word of VADER's lexicon ("not happy" is weaker than "happy"; "can't
    believe" is not negated feeling). Returns a float in [0, 5], rounded to 0.01.
    """
    tokens = tokenize(text)
    value = 0.5 + 2.5 * abs(_vader().polarity_scores(text)["compound"])
    value += min(1.5, 0.5 * sum(t in _INTENSIFIERS for t in tokens))
    value -= min(1.0, 0.5 * sum(t in _DIMINISHERS for t in tokens))
    value += min(0.9, 0.3 * text.count("!"))
    words = re.findall(r"[^\W\d_]{2,}", text)
    if words:
        value += sum(w.isupper() for w in words) / len(words)
    lexicon = _vader().lexicon
    if any(t in _NEGATIONS and any(u in lexicon for u in tokens[i + 1:i + 4]) for i, t in enumerate(tokens)):
        value *= 0.7
    return round(float(np.clip(value, 0.0, 5.0)), 2)


# ---------------------------------------------------------------- classification

@functools.lru_cache(maxsize=4)
def _load(model: str, labels: str = "ekman"):
    """(classifier, {label set index: classifier column}) for a model name or checkpoint path."""
    names = LABEL_SETS[labels]
    path = _CHECKPOINTS.get(model) if labels == "ekman" else _PAPER_CHECKPOINTS.get(model)
    if path is None:
        path = Path(model)
        if path.suffix != ".npz":
            known = MODELS if labels == "ekman" else tuple(_PAPER_CHECKPOINTS)
            raise ModelError(f"unknown emotion model {model!r} for {labels} labels (expected one of "
                             f"{', '.join(known)} or a .npz file)")
    net = load_checkpoint(path)
    if not set(net.labels) <= set(names) or (labels == "ekman" and sorted(net.labels) != sorted(names)):
        raise ModelError(f"{path} predicts {net.labels}, not facsynth's {labels} labels {list(names)}")
    return net, {names.index(name): col for col, name in enumerate(net.labels)}


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = np.exp(logits - logits.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def shift_priors(probs: np.ndarray, log_prior: Sequence[float]) -> np.ndarray:
    """A prior correction: p_c · e^{b_c}, renormalised per row (the top class is argmax(log p + b)).

    probs : np.ndarray [shape=(N, C)], rows summing to 1; log_prior : C offsets b in log-probability units
    (:func:`facsynth.train.prior_shift.fit_offsets`). Returns (N, C) float64, rows summing to 1.
    """
    shifted = np.asarray(probs, np.float64) * np.exp(np.asarray(log_prior, np.float64))
    return shifted / shifted.sum(axis=1, keepdims=True)


def _probabilities(texts: Sequence[str], model: str, labels: str = "ekman") -> np.ndarray:
    """Class probabilities (len(texts), len(LABEL_SETS[labels])) in that label set's order; a label the model was
    not trained on (the paper's "bored" on GoEmotions) gets 0. The default is the blend with its priors shifted."""
    if model == "default" and labels == "ekman":
        blend = sum(w * _probabilities(texts, name) for name, w in DEFAULT_BLEND.items())
        return shift_priors(blend, DEFAULT_LOG_PRIOR)
    net, columns = _load(str(model), labels)
    probs = _softmax(net.logits(texts).astype(np.float64))
    out = np.zeros((len(texts), len(LABEL_SETS[labels])))
    for i, col in columns.items():
        out[:, i] = probs[:, col]
    return out


def classify_many(texts: Sequence[str], model: str = "default", labels: str = "ekman") -> list[EmotionResult]:
    """:func:`classify` for several texts at once (faster: one batch). Every text is checked first."""
    if labels not in LABEL_SETS:
        raise TextError(f"unknown label set {labels!r} (expected one of {', '.join(LABEL_SETS)})")
    clean = [check_text(t) for t in texts]
    if not clean:
        return []
    names = LABEL_SETS[labels]
    probs = _probabilities(clean, model, labels)
    out = []
    for text, p in zip(clean, probs):
        scores = {name: float(v) for name, v in zip(names, p)}
        top = int(np.argmax(p))
        level = intensity(text)
        if names[top] != "neutral":  # a confidently recognised emotion is at least clearly visible
            level = max(level, round(1.0 + 1.5 * float(p[top]), 2))
        out.append(EmotionResult(names[top], level, scores))
    return out


def classify(text: str, model: str = "default", labels: str = "ekman") -> EmotionResult:
    """The emotion of one English text.

    text : str
        A sentence or a short paragraph (longer than MAX_CHARS characters: cut, with a warning).
    model : str
        "default" (minilm-lora and lstm-glove blended), "minilm-lora", "minilm", "lstm-glove", or the path of a
        checkpoint (.npz) from ``facsynth train emotion``.
    labels : str
        "ekman" (LABELS) or "paper" (PAPER_LABELS, Aubakirova et al.'s five classes; "bored" has no training data
        in GoEmotions and gets probability 0 from the shipped model).

    Returns an EmotionResult: the top label, the intensity 0–5 and the probability of each label. The intensity
    is :func:`intensity` of the wording, but at least 1 + 1.5 · p(top label) when the top label is an emotion
    (not neutral): a text the model is sure is angry shows anger even when its words are mild. Raises
    TextError for empty, binary or non-English text and ModelError for an unknown or broken model.
    """
    return classify_many([text], model, labels)[0]


def expression(result: EmotionResult, min_score: float = MIN_SCORE) -> dict[int, float]:
    """AU intensities {AU: 0–5} for a classified text: the FACS prototypes of its confident emotions, blended.

    Emotions with probability ≥ ``min_score`` are blended by probability at the result's intensity
    (facs.blend_emotions); a confident "neutral" has no AUs, so it weakens the blend. Paper labels count as
    their :func:`label_distribution` ("excited" = 0.7 happiness + 0.3 surprise). Returns ``{}`` for a neutral text.
    """
    confident = {name: p for name, p in result.scores.items() if p >= min_score} or {result.emotion: 1.0}
    weights: dict[str, float] = {}
    for name, p in confident.items():
        for ekman, share in label_distribution(name).items():
            weights[ekman] = weights.get(ekman, 0.0) + p * share
    return blend_emotions(weights, result.intensity)


def emotion_track(text: str, model: str = "default", min_score: float = MIN_SCORE) -> AUTrack:
    """A one-frame AU track showing the emotion of ``text`` (see :func:`classify` and :func:`expression`).

    Returns AUTrack [shape=(1, n_aus)], FACS intensity 0–5: the OpenFace AUs plus any prototype AU outside them.
    """
    return AUTrack.still(expression(classify(text, model), min_score))

