"""Learned language encoder: batched sentences per second on one thread; held-out F1 and MAE of the shipped weights;
its pass rate on the public free-phrasing set and its describe round trip (10,000 random AU sets)."""

from __future__ import annotations

import time

import torch
from bench_language import corpus, free_phrasing

from facsynth.facs import intensity_level
from facsynth.language import encoder
from facsynth.train.lse import HELD_OUT, STYLES, evaluate, make_corpus


def run():
    torch.set_num_threads(1)
    model = encoder.load()
    rate_free, _, _ = free_phrasing("learned")
    pairs = corpus()
    got = encoder.predict([s for _, s in pairs], model)
    exact = sum({a: intensity_level(min(v, 5.0)) for a, v in g.items()} == aus for g, (aus, _) in zip(got, pairs))
    held_out = make_corpus(2000, HELD_OUT, seed=1234)
    seen = make_corpus(2000, [s for s in STYLES if s not in HELD_OUT], seed=1235)
    texts = [t for t, _, _ in seen]
    encoder.predict(texts[:256], model)  # warm up
    t0, c0 = time.perf_counter(), time.process_time()
    encoder.predict(texts, model)
    rate, cpu_rate = len(texts) / (time.perf_counter() - t0), len(texts) / (time.process_time() - c0)
    test, val = evaluate(model, held_out), evaluate(model, seen)
    return [
        ("free phrasing, learned engine", 100.0 * rate_free, "%", "rule engine: see bench_language"),
        (f"describe → learned exact levels, {len(pairs)} random AU sets", 100.0 * exact / len(pairs), "%", "100 %"),
        (f"encoder predict, batches of 256, D={model.dim} (CPU time)", cpu_rate, "sentences/s", ">= 1000"),
        ("encoder predict (wall clock, shared machine)", rate, "sentences/s", "-"),
        (f"held-out styles ({', '.join(HELD_OUT)}): AU F1 micro", test["f1_micro"], "",
         f"chance {test['f1_all_active']}"),
        ("held-out styles: AU F1 macro", test["f1_macro"], "", "-"),
        ("held-out styles: intensity MAE on active AUs", test["mae_active"], "FACS 0-5",
         f"constant-3 baseline {test['mae_constant']}"),
        ("training styles of today's corpus, new sentences: AU F1 micro", val["f1_micro"], "", "-"),
        ("training styles: intensity MAE on active AUs", val["mae_active"], "FACS 0-5", "-"),
    ]
