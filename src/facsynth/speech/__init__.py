"""Speech side of the waist: audio → features, phonemes, prosody → AU tracks."""
