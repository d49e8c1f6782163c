"""Language rules: describe → parse round trip on 10,000 random AU sets, rule-parser throughput on one core, and the
pass rate of the default engine on the public free-phrasing set (tests/data/free_phrasing.tsv)."""

from __future__ import annotations

import random
import time
import warnings
from pathlib import Path

from facsynth.facs import ALL_AUS, EMOTIONS
from facsynth.language.describe import describe
from facsynth.language.evaluation import read_cases, score
from facsynth.language.parse import parse, read

N_SETS = 10_000
FREE_PHRASING = Path(__file__).resolve().parents[1] / "tests" / "data" / "free_phrasing.tsv"


def free_phrasing(engine: str) -> tuple[float, dict[str, tuple[int, int]], list]:
    """Pass rate (0–1), per-class (passed, total) and failures of ``engine`` on the free-phrasing set."""
    def reader(text: str):
        got = read(text, engine)
        return got.aus, got.sides

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the non-facial sentences warn, as they should
        return score(read_cases(FREE_PHRASING), reader)


def corpus(n: int = N_SETS, seed: int = 0) -> list[tuple[dict[int, int], str]]:
    """``n`` random (AU levels, sentence) pairs: any subset of the 24 catalogue AUs (size uniform 1–24), levels
    1–5, random protocol, gender, emotion word (or none) and describe seed."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        aus = {a: rng.randint(1, 5) for a in rng.sample(ALL_AUS, rng.randint(1, len(ALL_AUS)))}
        sentence = describe(aus, protocol=rng.choice((1, 2, 3)), gender=rng.choice(("female", "male")),
                            emotion=rng.choice((None, *EMOTIONS)), seed=seed * n + i)
        out.append((aus, sentence))
    return out


def run():
    t0 = time.process_time()
    pairs = corpus()
    t_describe = time.process_time() - t0
    sentences = [s for _, s in pairs]
    t0, w0 = time.process_time(), time.perf_counter()
    parsed = [parse(s) for s in sentences]
    t_parse, w_parse = time.process_time() - t0, time.perf_counter() - w0
    exact = sum(p == {a: float(v) for a, v in aus.items()} for p, (aus, _) in zip(parsed, pairs))
    words = sum(len(s.split()) for s in sentences) / len(sentences)
    rate, by_class, _ = free_phrasing("rule")
    everyday = [c.sentence for c in read_cases(FREE_PHRASING) if c.kind not in ("nonfacial", "emotion")]
    t0 = time.process_time()
    for _ in range(10):
        for s in everyday:
            parse(s)
    t_everyday = time.process_time() - t0
    everyday_words = sum(len(s.split()) for s in everyday) / len(everyday)
    n = sum(t for _, t in by_class.values())
    classes = ", ".join(f"{k} {p}/{t}" for k, (p, t) in by_class.items())
    return [
        (f"free phrasing, default engine (rule), {n} sentences", 100.0 * rate, "%", f"≥ 90 % ({classes})"),
        (f"describe → parse exact, {N_SETS} random AU sets", 100.0 * exact / N_SETS, "%", "100 %"),
        (f"rule parse, {words:.0f} words/sentence (CPU time)", N_SETS / t_parse, "sentences/s", "≥ 5000"),
        ("rule parse (wall clock, shared machine)", N_SETS / w_parse, "sentences/s", "-"),
        (f"rule parse, free-phrasing sentences about faces, {everyday_words:.0f} words (CPU time)",
         10 * len(everyday) / t_everyday, "sentences/s", "-"),
        ("describe (CPU time)", N_SETS / t_describe, "sentences/s", "-"),
    ]
