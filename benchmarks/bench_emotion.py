"""Text emotion: ms per sentence (numpy + onnxruntime, one thread, one sentence at a time, intensity included) and test accuracy / F1.

Wall time suffers when other jobs share the CPU; the CPU time per sentence (process time) does not.

The test split is the GoEmotions dev file (5,426 Reddit comments, never used for tuning), scored on every comment and,
as issue 13 measures, on the comments with a single label; when ../shared/data is absent, the figures stored in the shipped checkpoints (measured on the same split at training time) are shown.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

SENTENCES = [
    "I am so happy today!",
    "I can't believe you did this to me!",
    "This is disgusting.",
    "I'm terrified of what the doctor will say.",
    "Honestly the whole thing just makes me sad, I miss how it used to be.",
    "The meeting moved to room 4.",
]
DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "text_emotion"


def run():
    from facsynth.language import emotion
    from facsynth.language.emotion_models import load_checkpoint

    out = []
    for model in ("lstm-glove", "minilm", "minilm-lora", "default"):
        t0 = time.perf_counter()
        emotion.classify("warm up", model)
        if model != "default":  # the default blends the two models already loaded
            out.append((f"{model}: first call (loads the model)", time.perf_counter() - t0, "s", "-"))
        wall, cpu = [], []
        for _ in range(10):
            for s in SENTENCES:
                t0, c0 = time.perf_counter(), time.process_time()
                emotion.classify(s, model)
                wall.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
        target = {"minilm-lora": "< 10 ms", "default": "< 10 ms (minilm-lora + lstm-glove)"}.get(model, "-")
        out.append((f"{model}: ms per sentence (median, 1 thread)", 1e3 * float(np.median(wall)), "ms", target))
        out.append((f"{model}: CPU ms per sentence (median)", 1e3 * float(np.median(cpu)), "ms", target))
        if DATA.is_dir():
            from facsynth.train.emotion import evaluate, load_splits

            texts, targets = load_splits(DATA)["test"]
            probs = np.concatenate([emotion._probabilities(texts[i:i + 256], model)
                                    for i in range(0, len(texts), 256)])
            m = evaluate(probs, targets)
            where = "test split"
            one = (targets > 0).sum(1) == 1  # issue 13's protocol: the comments with a single label
            single = evaluate(probs[one], targets[one])
        elif model == "default":
            continue
        else:
            m = load_checkpoint(emotion._CHECKPOINTS[model]).metrics["test"]
            where = "test split, stored"
        out.append((f"{model}: accuracy ({where}, n={m['n']})", m["accuracy"], "fraction", "-"))
        out.append((f"{model}: macro-F1 ({where})", m["macro_f1"], "fraction", "-"))
        if DATA.is_dir():
            out.append((f"{model}: accuracy (test split, single-label rows, n={single['n']})", single["accuracy"],
                        "fraction", "-"))
            out.append((f"{model}: macro-F1 (test split, single-label rows)", single["macro_f1"], "fraction",
                        "≥ 0.62" if model == "default" else "-"))
    return out
