"""Social-media text made fit for claim matching: :func:`normalise_post`.

A post carries things no fact-check repeats: links, ``pic.twitter.com`` images,
@handles, #hashtags, emoji, and, when copied from an embedded tweet, a
signature line "— Name (@handle) February 25, 2016".  Left in, they add a
year that any record with that year agrees with and words no record shares.
What carries meaning is kept: a handle or hashtag becomes its words
("@BernieSanders" -> "Bernie Sanders", "#BernieTakesNevada" -> "Bernie Takes
Nevada"), and the signature keeps the poster's name (who said it often *is*
the claim: "Hillary Clinton tweeted …"), without the handle and date.

Text without any of these comes back unchanged but for runs of white space.

    >>> normalise_post("Wins Nevada! #FeelTheBern https://t.co/x — Ann Lee (@annlee) April 3, 2016")
    'Wins Nevada! Feel The Bern — Ann Lee'
"""

from __future__ import annotations

import re
import unicodedata

# "— Display Name (@handle) Month D, YYYY" at the end of an embedded tweet (dash: em, en or hyphen)
_SIGNATURE = re.compile(r"\s*[—–-]\s*(?P<name>[^—–()\n]{0,80}?)\s*\(@\w{1,30}\)\s+"
                        r"(?:January|February|March|April|May|June|July|August|September|October|November|"
                        r"December) \d{1,2}, \d{4}\s*$")
_LINK = re.compile(r"(?:https?://|pic\.twitter\.com/|www\.)\S+", re.I)
# ".@name" is the old reply-visibility idiom
_HANDLE = re.compile(r"(?<![\w.])\.?@(\w{1,30})")
_HASHTAG = re.compile(r"(?<![\w&])#(\w+)")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=\d)")
# symbol characters a claim can need
_KEEP_SYMBOLS = frozenset("$%£€¥&+=<>°")


def _words_of(tag: str) -> str:
    return _CAMEL.sub(" ", tag.replace("_", " "))


def normalise_post(text: str, *, keep_poster: bool = True) -> str:
    """The post's text without links, handles' @, hashtags' #, emoji and the signature's handle and date.

    ``keep_poster=False`` drops the signature's name too (for comparing what the post *says*).
    """
    if not text:
        return ""
    t = _SIGNATURE.sub(lambda m: f" — {m.group('name')}" if keep_poster and m.group("name").strip() else "",
                       text)
    t = _LINK.sub(" ", t)
    t = _HANDLE.sub(lambda m: _words_of(m.group(1)), t)
    t = _HASHTAG.sub(lambda m: _words_of(m.group(1)), t)
    # emoji, pictographs, dingbats (Unicode "S*" symbols) and variation selectors / joiners
    t = "".join(ch for ch in t if ch in _KEEP_SYMBOLS or not (unicodedata.category(ch).startswith("S")
                                                               or ch in "\u200d\ufe0f\ufe0e"))
    return " ".join(t.split())
