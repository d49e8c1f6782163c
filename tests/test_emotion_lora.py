"""LoRA fine-tuning of MiniLM (train.emotion_lora) and its merged ONNX export (language.minilm), on a tiny BERT."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
import torch

from facsynth.language import minilm
from facsynth.train import emotion_lora

TEXTS = ["I am so happy today!", "This is disgusting.", "I'm terrified of the dark.", "no",
         "What a lovely surprise, thank you so much for coming all this way to see us"]


def _tiny_bert(seed: int = 0) -> torch.nn.Module:
    """A randomly initialised 2-layer BERT (width 32) with MiniLM's vocabulary, so the real tokenizer feeds it."""
    from transformers import BertConfig, BertModel

    torch.manual_seed(seed)
    config = BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128, attn_implementation="eager")
    return BertModel(config, add_pooling_layer=False).eval()


def test_fresh_adapters_leave_the_base_model_unchanged():
    base = _tiny_bert()
    model = emotion_lora.MiniLMLoRA(copy.deepcopy(base), rank=4).eval()
    ids, mask = emotion_lora._pad(emotion_lora.encode(TEXTS))
    with torch.inference_mode():
        ref = base(input_ids=ids, attention_mask=mask).last_hidden_state
        ours = model.bert(input_ids=ids, attention_mask=mask).last_hidden_state
    assert torch.equal(ref, ours)
    wrapped = [n for n, m in model.named_modules() if isinstance(m, emotion_lora.LoRALinear)]
    assert len(wrapped) == 2 * len(emotion_lora.TARGETS)
    trainable = {n.split(".")[-1] for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {"lora_a", "lora_b", "weight", "bias"}  # the adapters and the head's weight and bias
    assert all("head" in n or "lora_" in n for n, p in model.named_parameters() if p.requires_grad)


def test_tiny_lora_run_learns(shared_data, train_seed):
    """A few epochs on 48 GoEmotions comments: the loss falls and training accuracy beats the untrained model."""
    from facsynth.train.emotion import evaluate, load_splits

    texts, y = load_splits(shared_data / "text_emotion", limit=48)["train"]
    model = emotion_lora.MiniLMLoRA(_tiny_bert(train_seed), rank=4, dropout=0.0)
    ids = emotion_lora.encode(texts)
    before = evaluate(emotion_lora._softmax(emotion_lora.predict_logits(model, ids)), y)["accuracy"]
    history = emotion_lora.fit_lora(model, (texts, y), epochs=12, batch_size=8, lr=1e-2, head_lr=1e-2,
                                    class_weight_power=0.0, seed=train_seed, progress=False)
    after = evaluate(emotion_lora._softmax(emotion_lora.predict_logits(model, ids)), y)["accuracy"]
    majority = float((y > 0)[:, int(np.argmax(y.sum(0)))].mean())
    assert history[-1]["loss"] < 0.7 * history[0]["loss"], [h["loss"] for h in history]
    assert after > max(before, majority) + 0.15, (before, majority, after)


def test_merged_onnx_export_matches_the_torch_adapters(tmp_path):
    """W + (alpha/r)·BA folded into the weights and exported gives the logits of the torch model with adapters."""
    model = emotion_lora.MiniLMLoRA(_tiny_bert(), rank=4, alpha=8.0).eval()
    torch.manual_seed(1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, emotion_lora.LoRALinear):
                m.lora_b.normal_(0.0, 0.2)  # a trained-looking update, not the zero start
    ids = emotion_lora.encode(TEXTS)
    ref = emotion_lora.predict_logits(model, ids)
    config = {**model.config, "onnx": "fp32"}
    path = minilm.export_classifier(model.arrays(), config, tmp_path / "c.onnx", bert=_tiny_bert())
    ours = minilm.classifier_logits(TEXTS, path)
    assert ours.shape == (len(TEXTS), 7)
    assert np.allclose(ours, ref, atol=1e-4), np.abs(ours - ref).max()
    # the merge matters: the base model without adapters gives other logits
    bare = emotion_lora.MiniLMLoRA(_tiny_bert(), rank=4, alpha=8.0).eval()
    bare.head.load_state_dict(model.head.state_dict())
    assert np.abs(emotion_lora.predict_logits(bare, ids) - ref).max() > 1e-2
    assert minilm.classifier_path(model.arrays(), config) != minilm.classifier_path(bare.arrays(), config)


def test_lora_checkpoint_round_trips_as_float16(tmp_path):
    from facsynth.language.emotion_models import load_checkpoint, save_checkpoint

    model = emotion_lora.MiniLMLoRA(_tiny_bert(), rank=4)
    path = tmp_path / "lora.npz"
    save_checkpoint(path, "minilm-lora", model.config, emotion_lora.LABELS, model.arrays(), dtype=np.float16)
    back = load_checkpoint(path)
    assert back.kind == "minilm-lora" and back.config["rank"] == 4
    a = "lora/encoder.layer.1.attention.self.query.a"
    assert back.weights[a].dtype == np.float16
    assert np.allclose(back.weights[a], model.arrays()[a], atol=1e-3)
    # a run continues from a checkpoint (train_lora(init=...)): the loaded adapters and head are the saved ones
    torch.manual_seed(3)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, emotion_lora.LoRALinear):
                m.lora_b.normal_(0.0, 0.2)
    other = emotion_lora.MiniLMLoRA(_tiny_bert(), rank=4)
    emotion_lora.load_arrays(other, model.arrays())
    ids = emotion_lora.encode(TEXTS)
    assert np.allclose(emotion_lora.predict_logits(other, ids), emotion_lora.predict_logits(model, ids), atol=1e-6)


@pytest.mark.parametrize("text, label", [("I am so happy today!", "happiness"), ("I'm terrified", "fear")])
def test_shipped_lora_model_classifies(text, label):
    """The shipped adapters on the packaged MiniLM (exported once into the cache, then onnxruntime only)."""
    from facsynth.language import emotion

    assert emotion.classify(text, "minilm-lora").emotion == label


def test_cli_train_minilm_lora_quick_run(cli, tmp_path, shared_data):
    """``facsynth train emotion --model minilm-lora``: two batches on the packaged MiniLM, metrics JSON beside it."""
    out = tmp_path / "lora.npz"
    r = cli("train", "emotion", "--model", "minilm-lora", "--data", shared_data / "text_emotion", "--out", out,
            "--epochs", "1", "--max-steps", "2", "--limit", "40")
    assert r.returncode == 0, r.stderr
    metrics = json.loads((tmp_path / "lora.metrics.json").read_text())
    assert metrics["sizes"] == {"train": 40, "val": 40, "test": 40} and metrics["history"][0]["steps"] == 2
    assert 0 <= metrics["test"]["macro_f1"] <= 1
    from facsynth.language.emotion_models import load_checkpoint

    back = load_checkpoint(out)
    assert back.kind == "minilm-lora" and "head.weight" in back.weights


def test_shipped_lora_scores_do_not_depend_on_batching():
    """The int8 graph quantises activations with one scale per call: facsynth runs one text a call, so a text
    scores the same alone and in a batch with others (the raw batched int8 call would not)."""
    from facsynth.language import emotion_models
    from facsynth.language.emotion import _CHECKPOINTS

    net = emotion_models.load_checkpoint(_CHECKPOINTS["minilm-lora"])
    together = net.logits(TEXTS)
    alone = np.concatenate([net.logits([t]) for t in TEXTS])
    assert np.array_equal(together, alone)
    raw = minilm.classifier_logits(TEXTS, net.onnx_path(), batch_size=len(TEXTS))
    assert np.abs(raw - alone).max() > 1e-3  # what batching did before
    # the same holds for the MiniLM → MLP head model, which reads the int8 pooled graph (its numpy head batches
    # to float rounding)
    from facsynth.language.emotion import _probabilities

    head = _probabilities(TEXTS, "minilm")
    assert np.abs(head - np.concatenate([_probabilities([t], "minilm") for t in TEXTS])).max() < 1e-6


def test_continued_run_may_add_adapter_targets(tmp_path, shared_data):
    """train_lora(init=…, config={"targets": more}): the new adapters start at zero, so with no learning the
    continued model scores exactly as the init; its rank cannot change."""
    from facsynth.errors import FormatError
    from facsynth.language.emotion_models import load_checkpoint, save_checkpoint
    from facsynth.train.emotion import load_splits

    init = emotion_lora.MiniLMLoRA(n_classes=7)  # the packaged MiniLM, adapters on TARGETS
    torch.manual_seed(2)
    with torch.no_grad():
        for m in init.modules():
            if isinstance(m, emotion_lora.LoRALinear):
                m.lora_b.normal_(0.0, 0.02)
    start = tmp_path / "init.npz"
    save_checkpoint(start, "minilm-lora", init.config, emotion_lora.LABELS, init.arrays())
    more = list(emotion_lora.TARGETS) + ["attention.self.key"]
    data = shared_data / "text_emotion"
    out = tmp_path / "more.npz"
    metrics = emotion_lora.train_lora(data, out, init=start, config={"targets": more}, epochs=1, max_steps=1,
                                      limit=12, lr=0.0, head_lr=0.0, progress=False)
    back = load_checkpoint(out)
    assert back.config["targets"] == more and metrics["history"][0]["steps"] == 1
    assert not back.weights["lora/encoder.layer.0.attention.self.key.b"].any()
    continued = emotion_lora.MiniLMLoRA(n_classes=7, targets=more)
    emotion_lora.load_arrays(continued, back.weights)
    ids = emotion_lora.encode(load_splits(data, limit=12)["val"][0])
    ref = emotion_lora.predict_logits(init, ids)
    assert np.allclose(emotion_lora.predict_logits(continued, ids), ref, atol=1e-5)
    bare = emotion_lora.MiniLMLoRA(n_classes=7)
    bare.head.load_state_dict(init.head.state_dict())
    assert np.abs(emotion_lora.predict_logits(bare, ids) - ref).max() > 1e-3  # the init's adapters matter
    with pytest.raises(FormatError):
        emotion_lora.train_lora(data, tmp_path / "r.npz", init=start, config={"rank": 4}, epochs=1, max_steps=1,
                                limit=12, progress=False)
    with pytest.raises(FormatError):
        emotion_lora.train_lora(data, tmp_path / "t.npz", init=start, config={"targets": more[1:]}, epochs=1,
                                max_steps=1, limit=12, progress=False)
