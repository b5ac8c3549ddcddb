"""How every reader of patient messages normalises text before tokenising it. Pure."""

from __future__ import annotations

import re

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'"})
_CONTRACTIONS = (
    (r"\bcan'?t\b", "can not"), (r"\bcannot\b", "can not"), (r"\bwon'?t\b", "will not"), (r"n't\b", " not"),
    # patients often drop the apostrophe: "didnt", "havent"
    (r"\b(did|do|does|is|was|have|has|had|could|would|should|are|were|ai|need)nt\b", r"\1 not"),
    (r"'(m|ve|re|ll|d)\b", r"\1"),  # "i'm" -> "im", as patients who skip the apostrophe write it
    (r"'", " "),  # "calf's" -> "calf s": the noun stays a word of its own
)


def normalise(text: str) -> str:
    """Lower case, straight apostrophes, negative contractions spelled out ("can't" -> "can not")."""
    text = text.lower().translate(_APOSTROPHES)
    for pattern, replacement in _CONTRACTIONS:
        text = re.sub(pattern, replacement, text)
    return text
