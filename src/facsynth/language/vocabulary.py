"""Words for Action Units: per-AU nouns and adjectives, intensity adverbs, verbs, emotion words, negation cues.

Two layers. The *protocol vocabulary* (``AU_WORDS``, ``ADVERBS``, ``GENDER_WORDS``, ``EMOTION_ADJECTIVES``)
is what ``describe`` writes; every (adjective, noun) pair of it names exactly one AU and every adverb exactly
one intensity level, so ``parse`` can invert ``describe`` exactly. The *everyday vocabulary* (inflected verbs,
noun aliases, action words such as "smiles", intensity words such as "a little" or "hard", emotion words,
negation cues, neutral phrases) is what people write; ``parse`` reads both.

Intensity levels are FACS levels 1–5 (A–E), named as in the FACS Manual (Ekman, Friesen & Hager 2002):
A trace, B slight, C marked or pronounced, D severe or extreme, E maximum. Every degree word is placed on that
scale by the FACS word it paraphrases ("a touch" is slight, "significantly" is severe, "to the maximum" is
maximum). Words are lower case; multi-word phrases are space separated.
"""

from __future__ import annotations

from ..facs import CATALOGUE

__all__ = [
    "AU_WORDS",
    "NOUN_NUMBER",
    "ADVERBS",
    "ADVERB_LEVEL",
    "INTENSITY_WORDS",
    "BOOSTERS",
    "SCOPE_WORDS",
    "SIDE_WORDS",
    "IMPLIED",
    "NOUN_HEADS",
    "NO_DEGREE",
    "HOLD_PAIRS",
    "NOUN_ALIASES",
    "ADJECTIVE_FORMS",
    "PAIRS",
    "ACTION_WORDS",
    "FACS_NAMES",
    "EMOTION_WORDS",
    "EMOTION_ADJECTIVES",
    "NEGATIONS",
    "NEUTRAL_WORDS",
    "GENDER_WORDS",
    "AND_WORDS",
    "OR_WORDS",
    "SEPARATOR_WORDS",
    "COMMON_WORDS",
]

# ---------------------------------------------------------------- protocol vocabulary (what describe writes)

#: Per AU: the noun (face part) and two adjectives describing its movement. (adjective, noun) pairs are unique.
AU_WORDS: dict[int, tuple[str, tuple[str, str]]] = {
    1: ("inner brows", ("raised", "lifted")),
    2: ("outer brows", ("raised", "lifted")),
    4: ("brows", ("lowered", "furrowed")),
    5: ("upper lids", ("raised", "widened")),
    6: ("cheeks", ("raised", "lifted")),
    7: ("lower lids", ("tightened", "narrowed")),
    9: ("nose", ("wrinkled", "scrunched")),
    10: ("upper lip", ("raised", "curled")),
    12: ("lip corners", ("raised", "upturned")),
    14: ("dimples", ("deepened", "visible")),
    15: ("lip corners", ("lowered", "downturned")),
    16: ("lower lip", ("lowered", "depressed")),
    17: ("chin", ("raised", "wrinkled")),
    18: ("lips", ("puckered", "pursed")),
    20: ("lips", ("stretched", "spread")),
    22: ("lips", ("funneled", "rounded")),
    23: ("lips", ("tightened", "thinned")),
    24: ("lips", ("pressed", "compressed")),
    25: ("lips", ("parted", "separated")),
    26: ("jaw", ("dropped", "lowered")),
    27: ("mouth", ("stretched", "gaping")),
    28: ("lips", ("sucked-in", "rolled-in")),
    43: ("eyes", ("closed", "shut")),
    45: ("eyes", ("blinking", "fluttering")),
}

#: Grammatical number of each protocol noun ("is" or "are" in protocol 3).
NOUN_NUMBER: dict[str, str] = {
    noun: ("is" if noun in ("nose", "upper lip", "lower lip", "chin", "jaw", "mouth") else "are")
    for noun, _ in AU_WORDS.values()
}

#: Three adverbs per FACS intensity level 1–5 (A–E); level 0 gets none (the AU is not mentioned).
ADVERBS: dict[int, tuple[str, str, str]] = {
    1: ("barely", "faintly", "minimally"),
    2: ("slightly", "mildly", "lightly"),
    3: ("moderately", "clearly", "noticeably"),
    4: ("strongly", "markedly", "considerably"),
    5: ("extremely", "maximally", "intensely"),
}
#: Adverb → level, the inverse of ADVERBS.
ADVERB_LEVEL: dict[str, int] = {w: lvl for lvl, ws in ADVERBS.items() for w in ws}

#: Gender → (subject noun, subject pronoun, possessive pronoun).
GENDER_WORDS: dict[str, tuple[str, str, str]] = {
    "female": ("woman", "she", "her"),
    "male": ("man", "he", "his"),
}

#: Canonical emotion (facs.EMOTIONS) → the adjective describe writes ("A surprised woman …").
EMOTION_ADJECTIVES: dict[str, str] = {
    "happiness": "happy",
    "sadness": "sad",
    "surprise": "surprised",
    "fear": "scared",
    "anger": "angry",
    "disgust": "disgusted",
    "contempt": "contemptuous",
    "neutral": "calm",
}

# ---------------------------------------------------------------- everyday vocabulary (what parse also reads)

#: Everyday intensity words and phrases → level 1–5 (the protocol adverbs are added below).
INTENSITY_WORDS: dict[str, int] = {
    # 1: a trace (FACS A)
    "hardly": 1, "a trace of": 1, "trace": 1, "a hint of": 1, "hint": 1, "subtly": 1, "subtle": 1, "faint": 1,
    "tiny": 1, "a tiny bit": 1, "almost imperceptibly": 1, "minimal": 1, "just barely": 1,
    # 2: slight (FACS B)
    "a little": 2, "a bit": 2, "a little bit": 2, "somewhat": 2, "slight": 2, "mild": 2, "light": 2,
    "gently": 2, "gentle": 2, "softly": 2, "soft": 2, "small": 2, "weakly": 2, "weak": 2, "partly": 2,
    "partially": 2, "kind of": 2, "sort of": 2,
    # 3: marked (FACS C)
    "quite": 3, "fairly": 3, "rather": 3, "moderate": 3, "medium": 3, "marked": 3, "pronounced": 3,
    "noticeable": 3, "clear": 3, "visibly": 3,
    # 4: severe (FACS D)
    "hard": 4, "wide": 4, "widely": 4, "deeply": 4, "deep": 4, "tightly": 4, "tight": 4, "firmly": 4,
    "firm": 4, "broadly": 4, "broad": 4, "big": 4, "large": 4, "strong": 4, "severe": 4, "severely": 4,
    "a lot": 4, "greatly": 4, "highly": 4, "heavily": 4, "sharply": 4, "sharp": 4, "considerable": 4,
    "intense": 4, "high": 4, "much": 4,
    # 5: maximum (FACS E)
    "fully": 5, "completely": 5, "totally": 5, "entirely": 5, "maximum": 5, "maximal": 5, "extreme": 5,
    "as much as possible": 5, "as far as possible": 5, "incredibly": 5, "utterly": 5, "enormously": 5,
    "hugely": 5, "huge": 5, "massively": 5, "all the way": 5,
    # Hong et al. (001): "significantly creased nose", "highly parted lips", "insignificantly"
    "insignificantly": 1, "significantly": 4, "significant": 4, "insignificant": 1,
    # everyday idioms and hedges, by the FACS word they paraphrase
    "ever so slightly": 1, "imperceptibly": 1, "a hair": 1, "the faintest": 1, "faintest": 1, "slightest": 1,
    "a touch": 2, "a tad": 2, "a smidge": 2, "a wee bit": 2, "a fraction": 2, "a crack": 2, "just a little": 2,
    "just a bit": 2, "tentatively": 2, "partway": 2, "part way": 2,
    "halfway": 3, "half way": 3, "at half strength": 3, "half strength": 3, "at medium strength": 3,
    "medium strength": 3, "distinctly": 3, "obviously": 3, "prominently": 3, "appreciably": 3,
    "fiercely": 4, "forcefully": 4, "vigorously": 4, "powerfully": 4, "wildly": 4,
    "substantially": 4, "like crazy": 4, "like mad": 4, "a great deal": 4, "big time": 4, "to slits": 4,
    "full": 4, "tremendously": 5, "at full strength": 5, "full strength": 5, "to the maximum": 5,
    "to the max": 5, "to the limit": 5, "to the fullest": 5, "at maximum": 5, "at the maximum": 5,
    "as far as it goes": 5, "as far as they go": 5, "as far as it will go": 5, "as far as they will go": 5,
    "as far as it can go": 5, "as far as they can go": 5, "as wide as possible": 5, "as hard as possible": 5,
    "not very": 2, "not too": 2, "not so": 2, "not much": 2, "by a hair": 1, "a fair amount": 3, "a fair bit": 3,
    "more than a little": 3, "quite a bit": 4, "quite a lot": 4, "quite a little": 3,
    "harder": 4, "wider": 4, "higher": 4, "deeper": 4, "tighter": 4, "stronger": 4, "more strongly": 4,
    "from ear to ear": 5, "ear to ear": 5, "all out": 5, "as wide as saucers": 5, "like saucers": 5,
}
for _p in ("her", "his", "their", "my", "your"):
    INTENSITY_WORDS[f"with all {_p} might"] = 5
    INTENSITY_WORDS[f"with all {_p} strength"] = 5
for _x in ("far", "high", "wide", "hard", "much", "tight", "tightly"):
    INTENSITY_WORDS[f"as {_x} as possible"] = 5
    for _p in ("it", "they", "she", "he"):
        for _v in ("go", "goes", "will go", "can go", "would go", "could go", "went"):
            INTENSITY_WORDS[f"as {_x} as {_p} {_v}"] = 5
for _p in ("she", "he", "they", "i", "you", "it"):
    INTENSITY_WORDS[f"as hard as {_p} can"] = 5
    INTENSITY_WORDS[f"as much as {_p} can"] = 5
    INTENSITY_WORDS[f"as far as {_p} can"] = 5
    INTENSITY_WORDS[f"as wide as {_p} can"] = 5
INTENSITY_WORDS.update(ADVERB_LEVEL)

#: Words that sharpen the next intensity word ("very slightly" → 1, "very strongly" → 5) or, before a movement or
#: emotion word, mean 4 ("so happy").
BOOSTERS: frozenset[str] = frozenset({"very", "really", "so", "super", "truly", "especially", "particularly", "too"})

#: Words that spread one degree word over every movement of the sentence ("both strongly", "each slightly").
SCOPE_WORDS: frozenset[str] = frozenset({"both", "each", "all", "equally", "alike", "all of them", "each of them",
                                         "both of them", "all three", "all at once"})

#: Side words → "L" (the person's own left, as FACS codes it), "R", or "U" (one side, unspecified).
SIDE_WORDS: dict[str, str] = {
    "left": "L", "left-hand": "L", "right": "R", "right-hand": "R",
    "one-sided": "U", "lopsided": "U", "lop-sided": "U", "crooked": "U", "wry": "U", "wryly": "U", "one": "U",
    "unilateral": "U", "unilaterally": "U", "asymmetric": "U", "asymmetrical": "U", "asymmetrically": "U",
    "on one side": "U", "on one side only": "U", "one side": "U",
}

#: Noun aliases → protocol noun (or an everyday noun that only the free-text pairs use).
NOUN_ALIASES: dict[str, str] = {}


def _nouns(canonical: str, *aliases: str) -> None:
    for a in (canonical, *aliases):
        NOUN_ALIASES[a] = canonical


_POSSESSIVES = ("her", "his", "the", "their", "my", "your")
_BROWS = ("brows", "eyebrows", "brow", "eyebrow")
_nouns("inner brows", "inner brow", "inner eyebrows", "inner eyebrow",
       *(f"inner {part} of {p} {b}" for part in ("corners", "corner", "ends", "end", "parts", "halves")
         for p in _POSSESSIVES for b in _BROWS))
_nouns("outer brows", "outer brow", "outer eyebrows", "outer eyebrow",
       *(f"outer {part} of {p} {b}" for part in ("corners", "corner", "ends", "end", "parts", "halves")
         for p in _POSSESSIVES for b in _BROWS))
_nouns("brows", "brow", "eyebrows", "eyebrow")
_nouns("forehead", "foreheads")
_nouns("upper lids", "upper lid", "upper eyelids", "upper eyelid")
_nouns("lower lids", "lower lid", "lower eyelids", "lower eyelid", "under-eye skin", "skin under her eyes",
       "skin under his eyes")
_nouns("lids", "lid", "eyelids", "eyelid")
_nouns("eyes", "eye")
_nouns("cheeks", "cheek", "cheekbones")
_nouns("nose", "nostrils", "nostril")
_nouns("upper lip", "top lip")
_nouns("lower lip", "bottom lip")
_nouns("lip corners", "lip corner", "mouth corners", "mouth corner", "corners of the lips",
       *(f"corners of {p} mouth" for p in _POSSESSIVES), *(f"corners of {p} lips" for p in _POSSESSIVES),
       *(f"corner of {p} mouth" for p in _POSSESSIVES))
_nouns("dimples", "dimple")
_nouns("chin", "chin boss")
_nouns("lips", "lip")
_nouns("jaw", "jaws")
_nouns("mouth")
_nouns("face")
_nouns("teeth", "tooth")


def _verb(base: str, third: str | None = None, past: str | None = None, ing: str | None = None) -> tuple[str, ...]:
    """Inflections of a regular verb: base, 3rd person, past (participle), -ing."""
    stem = base[:-1] if base.endswith("e") else base
    return (base, third or base + "s", past or (base + "d" if base.endswith("e") else base + "ed"), ing or stem + "ing")


#: Word or phrase (verb inflections, adjectives) → canonical adjective used in PAIRS.
ADJECTIVE_FORMS: dict[str, str] = {}


def _adj(canonical: str, *forms: str) -> None:
    for f in (canonical, *forms):
        ADJECTIVE_FORMS[f] = canonical


_adj("raised", *_verb("raise"), "up", "rise", "rises", "rose", "risen", "rising", "go up", "goes up", "went up",
     "gone up", "going up", "push up", "pushes up", "pushed up", "pushing up", "pushed-up", "bunch up", "bunches up",
     "bunched up", "bunching up", "bunch", "bunches", "bunched", "hike", "hikes", "hiked", "hiking",
     "shoot up", "shoots up", "shot up", "shooting up", "fly up", "flies up", "flew up", "way up",
     *_verb("twitch", "twitches"))
_adj("lifted", *_verb("lift"), "elevated", "arched", *_verb("arch", "arches"), "cock", "cocks", "cocked",
     "cocking")
_adj("lowered", *_verb("lower"), "drawn down", "draws down", "draw down", "drawing down")
_adj("furrowed", *_verb("furrow"), *_verb("knit", past="knitted", ing="knitting"), "knit",
     "drawn together", "draws together", "draw together", "drawing together", "pulled together", "pulls together",
     "pull together", "pulling together", "knot", "knots", "knotted", "knotting", "drawn in", "pinched",
     "pinches", "pinch", "pinch together", "pinches together", "pinched together", "pinching together",
     "and together", "and drawn together", "and pulled together")
_adj("widened", *_verb("widen"), "bulge", "bulges", "bulged", "bulging", "pop", "pops", "popped", "popping",
     "go wide", "goes wide", "went wide", "gone wide", "pulled open", "pulls open", "pull open", "saucer-like")
_adj("wide open", "wide-open", "open wide", "opens wide", "opened wide", "opening wide", "gaping open")
_adj("tightened", *_verb("tighten"), "tense", "tensed", "tenses", "tensing", *_verb("squeeze"))
_adj("narrowed", *_verb("narrow"))
_adj("wrinkled", *_verb("wrinkle"), *_verb("crinkle"), "wrinkle", *_verb("crease"), *_verb("crumple"),
     "puckered up")
_adj("scrunched", *_verb("scrunch", "scrunches"))
_adj("curled", *_verb("curl"))
_adj("upturned", "turned up", "turns up", "turn up", "turning up", "pulled up", "pulls up", "pull up",
     "pulling up", "upward", "upwards")
_adj("downturned", "turned down", "turns down", "turn down", "turning down", "pulled down", "pulls down",
     "pull down", "pulling down", *_verb("droop"), "downward", "downwards", *_verb("sag", past="sagged",
     ing="sagging"), "down", "downturn", "down-turned", "turned-down", "go down", "goes down", "went down",
     "drop down", "drops down")
_adj("deepened", *_verb("deepen"))
_adj("visible", "showing", "show", "shows")
_adj("depressed", *_verb("depress", "depresses"))
_adj("puckered", *_verb("pucker"))
_adj("pursed", *_verb("purse"))
_adj("stretched", *_verb("stretch", "stretches"))
_adj("spread", "spreads", "spreading")
_adj("funneled", *_verb("funnel"), "funnelled", "funnelling")
_adj("rounded", *_verb("round"))
_adj("thinned", "thin", "thins", "thinning", "a thin line", "into a thin line", "in a thin line")
_adj("pressed", *_verb("press", "presses"), "pressed together", "presses together", "press together",
     "pressing together", *_verb("clamp"), "clamped together", "clamps together", "shut tight", "clamped shut",
     "clamps shut")
_adj("compressed", *_verb("compress", "compresses"))
_adj("parted", *_verb("part"), "apart")
_adj("separated", *_verb("separate"))
_adj("dropped", "drop", "drops", "dropping", "slack", "hanging open", "fallen", "falls", "falling", "loose",
     "hangs", "hang", "hanging", "hung", "slack-jawed", "fall", "fell", "sagging open", "drops open")
_adj("gaping", *_verb("gape"), "agape")
_adj("sucked-in", "sucked in", "sucks in", "suck in", "sucking in", "suck", "sucks", "sucked", "sucking")
_adj("rolled-in", "rolled in", "rolls in", "roll in", "rolling in", "inward", "inwards", "tucked in", "roll",
     "rolls", "rolled", "rolling")
_adj("closed", *_verb("close"))
_adj("shut", "shuts", "shutting")
_adj("blinking", "fluttering", "flutters", "flutter")
_adj("opened", *_verb("open", past="opened", ing="opening"), "ajar")
_adj("pulled", "pull", "pulls", "pulling")
_adj("protruded", "out", "outward", "outwards", "forward", "jut", "juts", "jutted", "jutting", "jut out",
     "juts out", "sticks out", "stick out", "stuck out", *_verb("protrude"), "pushed out", "pushes out",
     "push out", "thrust out", "thrusts out")
_adj("quivering", *_verb("quiver"), *_verb("tremble"), *_verb("wobble"))
_adj("spread", "sideways", "horizontally", "pulled wide", "pulls wide", "pull wide", "pulled back",
     "pulls back", "pull back", "pulled sideways", "pulls sideways")
_adj("held", "still", "sealed", "sealed tight", "sealed shut", "held tight", "held shut", "stay put", "stays put", "stayed put", "held still", "motionless", "unmoving",
     "do not move", "does not move", "did not move", "don't move", "doesn't move", "didn't move", "frozen",
     "kept still")

#: Free-text (adjective, noun) pairs beyond the protocol ones → AUs. The protocol pairs are added below.
PAIRS: dict[tuple[str, str], tuple[int, ...]] = {
    ("raised", "brows"): (1, 2), ("lifted", "brows"): (1, 2),
    ("raised", "forehead"): (1, 2), ("wrinkled", "forehead"): (1, 2), ("furrowed", "forehead"): (4,),
    ("lowered", "forehead"): (4,), ("wrinkled", "brows"): (4,), ("tightened", "brows"): (4,),
    ("narrowed", "brows"): (4,), ("furrowed", "inner brows"): (4,),
    ("raised", "lids"): (5,), ("widened", "lids"): (5,), ("opened", "lids"): (5,),
    ("widened", "eyes"): (5,), ("opened", "eyes"): (5,),
    ("tightened", "lids"): (7,), ("narrowed", "lids"): (7,), ("narrowed", "eyes"): (7,),
    ("tightened", "eyes"): (7,), ("raised", "lower lids"): (7,),
    ("closed", "lids"): (43,), ("shut", "lids"): (43,), ("lowered", "lids"): (43,),
    ("lowered", "upper lids"): (43,), ("blinking", "lids"): (45,),
    ("lifted", "upper lip"): (10,), ("raised", "lips"): (10,),
    ("wrinkled", "nose"): (9,), ("raised", "nose"): (9,),
    ("lifted", "lip corners"): (12,), ("pulled", "lip corners"): (12,), ("tightened", "lip corners"): (14,),
    ("depressed", "lip corners"): (15,), ("pursed", "mouth"): (18,), ("puckered", "mouth"): (18,),
    ("lowered", "lips"): (16,), ("downturned", "lower lip"): (16,),
    ("stretched", "lip corners"): (20,), ("widened", "mouth"): (20,), ("widened", "lips"): (20,),
    ("funneled", "mouth"): (22,), ("rounded", "mouth"): (22,),
    ("tightened", "mouth"): (23,), ("pressed", "mouth"): (24,),
    ("parted", "mouth"): (25,), ("opened", "lips"): (25,),
    ("opened", "mouth"): (25, 26), ("gaping", "jaw"): (26,), ("opened", "jaw"): (26,),
    ("dropped", "mouth"): (26,), ("widened", "jaw"): (27,), ("stretched", "jaw"): (27,),
    ("wrinkled", "chin"): (17,), ("pushed", "chin"): (17,),
    ("upturned", "brows"): (1, 2), ("downturned", "brows"): (4,), ("furrowed", "eyes"): (4,),
    ("widened", "upper lids"): (5,), ("opened", "upper lids"): (5,),
    ("wrinkled", "eyes"): (6,), ("raised", "eyes"): (6,), ("wrinkled", "lids"): (6,), ("lifted", "eyes"): (6,),
    ("downturned", "upper lids"): (43,), ("closed", "eyes"): (43,),
    ("wrinkled", "upper lip"): (10,), ("curled", "lips"): (10,), ("curled", "lip corners"): (10,),
    ("raised", "teeth"): (10,),
    ("upturned", "mouth"): (12,), ("raised", "mouth"): (12,), ("lifted", "mouth"): (12,),
    ("tightened", "dimples"): (14,), ("downturned", "mouth"): (15,), ("quivering", "lip corners"): (15,),
    ("dropped", "lower lip"): (16,), ("protruded", "lower lip"): (17,), ("protruded", "chin"): (17,),
    ("quivering", "chin"): (17,), ("raised", "chin"): (17,), ("pushed", "lower lip"): (17,),
    ("protruded", "lips"): (18,), ("protruded", "mouth"): (18,),
    ("spread", "mouth"): (20,), ("spread", "lip corners"): (20,), ("stretched", "lip corners"): (20,),
    ("funneled", "lips"): (22,), ("thinned", "mouth"): (23,),
    ("pressed", "lip corners"): (24,), ("compressed", "mouth"): (24,),
    ("dropped", "jaw"): (26,), ("opened", "teeth"): (25,), ("puckered", "chin"): (17,),
    ("wide open", "eyes"): (5,), ("wide open", "lids"): (5,), ("wide open", "upper lids"): (5,),
    ("wide open", "mouth"): (25, 26), ("wide open", "jaw"): (26,), ("wide open", "lips"): (25,),
    ("quivering", "lower lip"): (17,),
    ("downturned", "lids"): (43,),
}

#: Phrases that hold a part still or shut: (adjective, noun) → AUs kept at 0 ("lips sealed", "jaw held still").
HOLD_PAIRS: dict[tuple[str, str], tuple[int, ...]] = {
    ("held", "jaw"): (26, 27), ("held", "mouth"): (25, 26, 27), ("held", "lips"): (25, 27),
    ("held", "brows"): (1, 2, 4), ("held", "eyes"): (5, 7, 43, 45), ("held", "lids"): (5, 7, 43, 45),
    ("held", "face"): tuple(CATALOGUE), ("closed", "mouth"): (25, 26, 27), ("shut", "mouth"): (25, 26, 27),
    ("closed", "lips"): (25, 27), ("shut", "lips"): (25, 27), ("closed", "jaw"): (25, 26, 27),
    ("shut", "jaw"): (25, 26, 27), ("held", "cheeks"): (6,),
    ("held", "nose"): (9,), ("held", "chin"): (17,), ("held", "forehead"): (1, 2, 4),
}
for _au, (_noun, _adjs) in AU_WORDS.items():
    for _a in _adjs:
        PAIRS[(_a, _noun)] = (_au,)

#: Words that name a whole movement, no noun needed ("smiles", "a frown") → AUs.
ACTION_WORDS: dict[str, tuple[int, ...]] = {}


def _action(aus: tuple[int, ...], *words: str) -> None:
    for w in words:
        ACTION_WORDS[w] = aus


_action((12,), *_verb("smile"), "smiley", "half-smile", "half-smiles", "half-smiled", "half-smiling",
        "half smile", "half smiles", "half smiled", "half smiling")
_action((22, 25), "o", "o-shaped", "o shape", "o-shape")
_action((6,), "eyes smile", "eyes smiling", "eyes smiled", "eyes are smiling", "eyes twinkle", "eyes twinkling")
_action((6, 12), *(f"{f} {v}" for f in ("face", "eyes") for v in ("lights up", "light up", "lit up", "lighting up")))
_action((6,), *(f"{v} {p} eyes" for v in ("reaches", "reach", "reached", "reaching")
                for p in ("her", "his", "the", "their")))
_action((12, 25), *_verb("grin", past="grinned", ing="grinning"), "toothy grin", "toothy smile")
_action((6, 12), *_verb("beam"), "duchenne smile", "duchenne", "smiling eyes", "crow's feet", "crows feet",
        "crow's-feet", *(f"{v} with {p} eyes" for v in _verb("smile") for p in ("her", "his", "the", "their")))
_action((6, 12, 25, 26), *_verb("laugh"), "laughter", "chuckle", "chuckles", "chuckled", "chuckling")
_action((4,), *_verb("frown"), "frowny")
_action((4, 7), *_verb("scowl"), *_verb("glare"), *_verb("glower"))
_action((17, 18), *_verb("pout"), "pouty")
_action((10,), *_verb("sneer"))
_action((12, 14), *_verb("smirk"))
_action((14,), "dimpling", "dimpled")
_action((20, 25), *_verb("grimace"))
_action((6, 7), *_verb("squint"))
_action((4, 6, 7), *_verb("wince"))
_action((5, 25, 26), *_verb("gasp"))
_action((5,), *_verb("stare"), "wide-eyed", "goggle-eyed", "eyes wide", "wide eyes", "saucer eyes",
        "eyes like saucers")
_action((26, 27), *_verb("yawn"))
_action((45,), "blink", "blinks", "blinked", "wink", "winks", "winked", "winking")
_action((25, 26), "open-mouthed")
_action((23,), "tight-lipped", "thin-lipped")
_action((28,), *_verb("bite", past="bit"), "lips sucked in", "lips rolled in")
_action((10, 25), "bares", "bared", "baring", "bare")
_action((18,), "kiss", "kisses", "kissed")

#: Default levels and sides that a word implies by itself ("beams" is a broad smile, "smirks" is one-sided);
#: a degree word beside it still wins. Word → (level 1–5 or None, side "U" or None).
IMPLIED: dict[str, tuple[int | None, str | None]] = {}
for _w in (*_verb("beam"), *_verb("grin", past="grinned", ing="grinning"), "toothy grin"):
    IMPLIED[_w] = (4, None)
for _w in _verb("smirk"):
    IMPLIED[_w] = (2, "U")
for _w in ("cock", "cocks", "cocked", "cocking"):
    IMPLIED[_w] = (None, "U")
for _w in ("bulge", "bulges", "bulged", "bulging", "pop", "pops", "popped", "popping", "shoot up", "shoots up",
           "shot up", "shooting up", "fly up", "flies up", "flew up", "way up", "go wide", "goes wide",
           "went wide", "gone wide", "wide open", "wide-open", "open wide", "opens wide", "opened wide",
           "opening wide", "gaping open", "clamp", "clamps", "clamped", "clamping",
           "clamped together", "clamps together", "clamped shut", "clamps shut", "shut tight", "saucer-like",
           "eyes wide", "wide eyes", "saucer eyes", "eyes like saucers"):
    IMPLIED[_w] = (4, None)
for _w in _verb("twitch", "twitches"):
    IMPLIED[_w] = (1, None)
for _w in ("half-smile", "half-smiles", "half-smiled", "half-smiling", "half smile", "half smiles",
           "half smiled", "half smiling"):
    IMPLIED[_w] = (2, "U")

#: Adjectives of a state, not a movement ("lips held still"): a degree word never goes to them.
NO_DEGREE: frozenset[str] = frozenset({"held"})

#: Nouns that name a movement on their own when no adjective claims them ("dimples form", "a dimple").
NOUN_HEADS: dict[str, tuple[int, ...]] = {"dimples": (14,)}

#: FACS names ("lip corner puller") and their common variants → AU.
FACS_NAMES: dict[str, int] = {}
for _au, _unit in CATALOGUE.items():
    _name = _unit.name.lower()
    FACS_NAMES[_name] = _au
    FACS_NAMES[_name + "s"] = _au
FACS_NAMES.update({"lip parting": 25, "jaw dropper": 26, "eye closure": 43,
                   "inner brow raise": 1, "outer brow raise": 2, "lip puckerer": 18, "lip corner pull": 12})

#: Emotion words → (canonical emotion of facs.EMOTIONS, implied level 1–5 or 0 when the word implies none).
EMOTION_WORDS: dict[str, tuple[str, int]] = {}


def _emotion(emotion: str, level: int, *words: str) -> None:
    for w in words:
        EMOTION_WORDS[w] = (emotion, level)


_emotion("happiness", 0, "happy", "happiness", "joy", "joyful", "joyous", "glad", "cheerful", "merry", "jolly")
_emotion("happiness", 2, "pleased", "amused", "content", "contented")
_emotion("happiness", 4, "delighted", "thrilled", "overjoyed")
_emotion("happiness", 5, "ecstatic", "elated", "euphoric")
_emotion("sadness", 0, "sad", "sadness", "unhappy", "sorrowful", "sorrow", "gloomy", "melancholy", "upset",
         "sadly", "tearful", "sorry")
_emotion("sadness", 2, "downcast", "glum", "disappointed")
_emotion("sadness", 4, "miserable", "grieving", "despairing", "crying", "cry", "cries", "cried", "sob", "sobs",
         "sobbing", "weep", "weeps", "weeping", "wept")
_emotion("sadness", 5, "heartbroken", "devastated", "grief", "despair", "distraught")
_emotion("surprise", 0, "surprised", "surprise", "surprising", "astonishment", "amazement")
_emotion("surprise", 2, "puzzled", "curious")
_emotion("surprise", 4, "astonished", "amazed", "shocked", "stunned", "startled", "shock")
_emotion("surprise", 5, "astounded", "flabbergasted", "dumbfounded")
_emotion("fear", 0, "afraid", "scared", "frightened", "fearful", "fear", "fright")
_emotion("fear", 2, "anxious", "nervous", "worried", "uneasy", "wary")
_emotion("fear", 4, "alarmed", "panicked", "panicky", "panic")
_emotion("fear", 5, "terrified", "horrified", "petrified", "terror", "horror")
_emotion("anger", 0, "angry", "anger", "mad", "angrily", "hostile")
_emotion("anger", 2, "annoyed", "irritated", "grumpy", "frustrated", "annoyance", "irritation")
_emotion("anger", 4, "irate", "outraged", "fuming", "indignant")
_emotion("anger", 5, "furious", "enraged", "livid", "rage", "fury", "raging")
_emotion("disgust", 0, "disgusted", "disgust", "revulsion", "disgusting", "gross", "grossed-out", "nauseated")
_emotion("disgust", 4, "revolted", "repulsed", "sickened", "appalled")
_emotion("contempt", 0, "contemptuous", "contempt", "scornful", "scorn", "disdainful", "disdain", "sneering")
_emotion("contempt", 2, "smug", "dismissive", "condescending")

#: Negation cues; they keep the AUs of the movements after them (to the end of the clause) at 0.
NEGATIONS: frozenset[str] = frozenset({
    "not", "no", "never", "without", "neither", "nor", "cannot", "nothing", "none", "stops", "stopped",
    "instead of", "rather than", "far from", "refrains from", "refuses to", "avoids", "bites back", "bit back",
    "biting back", "holds back", "held back", "holding back", "suppresses", "suppressed", "suppressing",
    "stops herself", "stops himself", "fights back", "fighting back", "hides", "hiding",
})

#: Words and phrases that describe a neutral, resting face: parse gives {} for them (not an error).
NEUTRAL_WORDS: frozenset[str] = frozenset({
    "neutral", "relaxed", "calm", "calmly", "expressionless", "blank", "impassive", "deadpan", "unmoved",
    "emotionless", "composed", "serene", "placid", "still face", "poker face", "poker-faced", "straight face",
    "straight-faced", "at rest", "resting face", "no expression", "no emotion", "without expression",
    "without emotion", "without any expression", "unexpressive", "stony", "stone-faced",
})

#: Clause structure words.
AND_WORDS: frozenset[str] = frozenset({"and", "then", "plus", "also", "as well as"})
OR_WORDS: frozenset[str] = frozenset({"or", "either"})
SEPARATOR_WORDS: frozenset[str] = frozenset({
    "but", "while", "whereas", "although", "though", "yet", "because", "since", "however", "whilst", "so that",
    "even as", "just as", "when", "whenever", "as if", "as though", "until", "before", "after", "once",
})

#: Frequent English words (besides the vocabulary above), used to tell English from other languages.
COMMON_WORDS: frozenset[str] = frozenset("""
a an the this that these those it its i me my mine you your yours he him his she her hers we us our they them
their who whom whose which what when where why how is are was were be been being am has have had having do does
did doing done will would shall should can could may might must to of in on at by for with from into onto about
over under up down out off as than then there here so if else also just only too very not all any some each every
both few more most other such own same one two three first last new old good bad great little big long short high
low man woman men women person people girl boy lady guy child kid face expression look looks looked looking seems
seem seemed appears appear appeared feel feels felt feeling get gets got make makes made let lets say says said
tell told think thought know knew believe believed see saw seen go goes went come came give gave take took want
wanted like likes liked love loved hate hated need needed try tried way thing things time day night today
yesterday tomorrow now again still ever even well back away never always often sometimes really why because
after before during until while something nothing anything everything someone anyone everyone nobody yes oh
please thanks thank sorry hello hi hey wow what's it's i'm you're he's she's that's there's don't doesn't didn't
isn't aren't wasn't weren't can't won't wouldn't couldn't shouldn't haven't hasn't hadn't i've i'll i'd you've
you'll we're they're let's why how much many did this me
""".split()) | frozenset({"but only", "but just", "only just", "if only", "but ever so"}) | frozenset(w for g in GENDER_WORDS.values() for w in g) | frozenset({
    "woman's", "man's", "female", "male", "gaze", "head", "tongue", "looking", "face's",
})
