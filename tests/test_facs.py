"""The FACS catalogue: AUs, letters, regions, AU specs and emotion prototypes."""

import pytest

from facsynth import facs
from facsynth.errors import AUSpecError

REQUIRED = (1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 16, 17, 18, 20, 22, 23, 24, 25, 26, 27, 28, 43, 45)


def test_catalogue_covers_required_aus_with_names_muscles_regions():
    for code in REQUIRED:
        au = facs.CATALOGUE[code]
        assert au.name and au.muscle and au.region in facs.REGIONS
    assert facs.au_name(12) == "Lip Corner Puller"
    assert facs.region_of(1) == "upper" and facs.region_of(6) == "middle" and facs.region_of(26) == "lower"
    assert set(facs.OPENFACE_AUS) <= set(facs.ALL_AUS) and len(facs.OPENFACE_AUS) == 17
    assert set(facs.aus_in_region("upper")) | set(facs.aus_in_region("middle")) | set(
        facs.aus_in_region("lower")) == set(facs.ALL_AUS)


def test_letters_round_trip():
    for i, letter in enumerate("ABCDE", start=1):
        assert facs.letter_to_intensity(letter) == i
        assert facs.intensity_to_letter(i) == letter
    assert facs.intensity_to_letter(0) == ""
    with pytest.raises(AUSpecError):
        facs.letter_to_intensity("F")


@pytest.mark.parametrize("spec,expected", [
    ("AU1=2,AU12=4", {1: 2.0, 12: 4.0}),
    ("au12=d 6:3.5", {12: 4.0, 6: 3.5}),
    ("AU04", {4: 3.0}),
    ("12=0", {12: 0.0}),
])
def test_parse_au_spec(spec, expected):
    assert facs.parse_au_spec(spec) == expected


@pytest.mark.parametrize("spec,fragment", [
    ("", "empty"), ("AU3=2", "AU3"), ("AU12=7", "outside"), ("AU12=nan", "outside"),
    ("AU12=x", "cannot read"), ("smile", "not an AU"),
])
def test_parse_au_spec_errors_name_the_problem(spec, fragment):
    with pytest.raises(AUSpecError, match=fragment):
        facs.parse_au_spec(spec)


def test_format_spec_inverts_parse():
    aus = {1: 2.0, 12: 4.5, 26: 1.0}
    assert facs.parse_au_spec(facs.format_au_spec(aus)) == aus


def test_emotion_prototypes_are_the_posed_sets_of_du_et_al():
    """Du, Tao & Martinez (2014) Table 1: the AUs posed expressions show (happiness with parted lips)."""
    assert set(facs.emotion_aus("happiness")) == {6, 12, 25, 26}
    assert set(facs.emotion_aus("sadness")) == {1, 4, 15, 17}
    assert set(facs.emotion_aus("surprise")) == {1, 2, 5, 25, 26} and facs.emotion_aus("surprise")[5] == 2.5
    assert set(facs.emotion_aus("fear")) == {1, 2, 4, 5, 20, 25, 26}
    assert set(facs.emotion_aus("anger")) == {4, 5, 7, 17, 23, 24}
    assert facs.emotion_aus("anger")[5] > facs.emotion_aus("anger")[7]        # a glare, not a squint
    assert set(facs.emotion_aus("disgust")) == {4, 9, 10, 17}
    assert facs.emotion_aus("contempt") == {12: 1.5, 14: 2.0} and facs.UNILATERAL["contempt"] == {12, 14}
    assert facs.emotion_aus("neutral") == {}
    # the defining AU of each emotion is its strongest
    for emotion, au in (("happiness", 12), ("anger", 4), ("disgust", 9)):
        aus = facs.emotion_aus(emotion)
        assert aus[au] == max(aus.values())


def test_emotion_intensity_scales_and_clamps():
    low, high = facs.emotion_aus("happy", 1), facs.emotion_aus("happy", 5)
    assert all(low[c] < high[c] for c in low)
    assert max(high.values()) <= 5
    assert facs.emotion_aus("sad", 0) == {}
    with pytest.raises(AUSpecError):
        facs.emotion_aus("happy", 6)
    with pytest.raises(AUSpecError, match="unknown emotion"):
        facs.emotion_aus("hungry")


def test_blend_is_weighted_mean_of_prototypes():
    happy, surprise = facs.emotion_aus("happiness"), facs.emotion_aus("surprise")
    mix = facs.blend_emotions({"happiness": 3, "surprise": 1})
    assert mix[12] == pytest.approx(happy[12] * 0.75)
    assert mix[26] == pytest.approx(happy[26] * 0.75 + surprise[26] * 0.25)    # shared AU: weighted mean
    assert mix[2] == pytest.approx(surprise[2] * 0.25)
    assert facs.blend_emotions({"happiness": 1}) == happy
    assert facs.blend_emotions({"happiness": 0}) == {}
    with pytest.raises(AUSpecError):
        facs.blend_emotions({"happiness": -1})


@pytest.mark.parametrize("value,letter", [(0.49, ""), (0.5, "A"), (2.5, "C"), (4.5, "E"), (5, "E")])
def test_letters_round_half_up_like_describe(value, letter):
    assert facs.intensity_to_letter(value) == letter
    assert facs.intensity_level(value) == ("ABCDE".index(letter) + 1 if letter else 0)
