"""The phone bigram LM of the phone loop: pocketsphinx's en-us phone trigram LM cut to its unigrams and bigrams.

The phone loop scores, every frame, the transition from each phone that ends into every phone; with the trigram LM
those lookups were a quarter of its CPU time (docs/speech.md). The bigram keeps the trigram LM's unigram and
bigram probabilities as they are and recomputes each history's back-off weight so that its successors' probabilities
sum to one again. The shipped file (``BIGRAM_LM``, 21 kB of ARPA text) is made from the LM inside the pocketsphinx
wheel by ``python -m facsynth.speech.phone_lm``; a test checks that it still is.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

from .._lazy import lazy_module

pocketsphinx = lazy_module("pocketsphinx")
# only remaking the LM reads pocketsphinx's version; importing it (email, zipfile, csv) cost every speak 30-60 ms
importlib_metadata = lazy_module("importlib.metadata")

__all__ = ["BIGRAM_LM", "trigram_lm", "read_arpa", "bigram_arpa", "make_bigram"]

#: The phone bigram LM ``phonemes.recognize`` decodes with (ARPA text, BSD-style licence as pocketsphinx's model).
BIGRAM_LM = Path(__file__).resolve().parents[1] / "assets" / "speech" / "en-us-phone-bigram.arpa"

_HEADER = """\
Phone bigram LM made by facsynth (python -m facsynth.speech.phone_lm) from en-us-phone.lm.bin of the pocketsphinx
{version} wheel: its unigram and bigram log10 probabilities unchanged, back-off weights recomputed.
pocketsphinx: Copyright (c) 1999-2016 Carnegie Mellon University; its en-us models: Copyright (c) 2015 Alpha Cephei
Inc. BSD-style licences: redistribution permitted with the copyright notices (see pocketsphinx's LICENSE).
"""

#: Lowest probability mass left to a history's unseen successors (a history with every successor seen keeps a
#: back-off weight that is never used).
_FLOOR = 1e-5


def trigram_lm() -> Path:
    """The en-us phone trigram LM inside the pocketsphinx wheel (binary)."""
    return Path(pocketsphinx.get_model_path()) / "en-us" / "en-us-phone.lm.bin"


def read_arpa(text: str) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Unigram and bigram log10 probabilities of an ARPA LM: ({phone: p}, {history: {phone: p}}).

    Higher orders and back-off weights are ignored; lines before ``\\data\\`` are a free-text header.
    """
    unigrams: dict[str, float] = {}
    bigrams: dict[str, dict[str, float]] = {}
    section = ""
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("\\"):
            section = line
            continue
        fields = line.split()
        if section == "\\1-grams:" and len(fields) >= 2:
            unigrams[fields[1]] = float(fields[0])
        elif section == "\\2-grams:" and len(fields) >= 3:
            bigrams.setdefault(fields[1], {})[fields[2]] = float(fields[0])
    return unigrams, bigrams


def bigram_arpa(unigrams: dict[str, float], bigrams: dict[str, dict[str, float]], header: str = "") -> str:
    """ARPA text of a bigram LM with these log10 probabilities and back-off weights that make each history's
    successor probabilities sum to one: bo(h) = (1 − Σ seen P(w|h)) / (1 − Σ seen P(w)), each mass at least 1e-5.
    ``header``: free text written before ``\\data\\`` (provenance, licence)."""
    lines = [header, "\\data\\", f"ngram 1={len(unigrams)}", f"ngram 2={sum(map(len, bigrams.values()))}", "",
             "\\1-grams:"]
    for word, logp in unigrams.items():
        seen = bigrams.get(word, {})
        left = 1.0 - sum(10.0 ** p for p in seen.values())
        unseen = 1.0 - sum(10.0 ** unigrams[w] for w in seen)
        backoff = math.log10(max(left, _FLOOR) / max(unseen, _FLOOR))
        lines.append(f"{logp:.4f}\t{word}\t{backoff:.4f}")
    lines += ["", "\\2-grams:"]
    for history, seen in bigrams.items():
        lines += [f"{logp:.4f}\t{history} {word}" for word, logp in seen.items()]
    lines += ["", "\\end\\", ""]
    return "\n".join(lines)


def make_bigram(out: Path = BIGRAM_LM) -> Path:
    """Write the bigram LM made from the wheel's phone trigram LM to ``out``."""
    logmath = pocketsphinx.LogMath()  # held here: the model keeps only a C pointer to it
    model = pocketsphinx.NGramModel(pocketsphinx.Config(), logmath, str(trigram_lm()))
    with tempfile.TemporaryDirectory() as d:
        arpa = Path(d) / "trigram.arpa"
        model.write(str(arpa), pocketsphinx.NGramModel.str_to_type("arpa"))
        text = arpa.read_text(encoding="ascii")
    header = _HEADER.format(version=importlib_metadata.version("pocketsphinx"))
    out.write_text(bigram_arpa(*read_arpa(text), header=header), encoding="ascii")
    return out


if __name__ == "__main__":
    print(make_bigram())
