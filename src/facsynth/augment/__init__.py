"""Expression data sets at scale: photos × a spec of expressions → images with exact AU labels (or faces × speech
clips → talking videos), on Ray or not.

>>> from facsynth.augment import augment, parse_emotions          # doctest: +SKIP
>>> augment("photos/", parse_emotions("happiness:4,surprise:4"), "out/")
"""

from .run import AugmentResult, augment, augment_photo
from .spec import Expression, Item, items_for, parse_emotions, parse_expression, parse_spec
from .table import merge_shards, read_labels
from .talking import augment_talking

__all__ = ["augment", "augment_talking", "augment_photo", "AugmentResult", "Expression", "Item", "items_for", "parse_expression",
           "parse_spec", "parse_emotions", "merge_shards", "read_labels"]
