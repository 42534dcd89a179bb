"""Hostile inputs for fuzzing: malformed, huge, deeply nested, wrongly encoded files factdesk must survive.

Each generator returns ``(name, data)`` pairs, deterministic for a given ``seed`` and index, small
enough to run by the hundred (most under 3 MB). They are what an adversary or a broken exporter
hands a fact-checking desk: factdesk must answer each with a report or a clear
:class:`~factdesk.errors.FactdeskError`, within a bounded time, without damaging the store.

Example::

    from factdesk.testing.hostile import article_inputs, review_inputs

    for name, data in article_inputs(50, seed=1):
        path = tmp / name
        path.write_bytes(data)
        try:
            pipeline.check(path)
        except FactdeskError:
            pass  # a clear refusal is fine; any other exception is a bug
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator

_WORDS = ("the dam opened in 1998 after council approved a budget of $40 million while residents said tolls "
          "rose 12% in 2023 and the minister denied it").split()


def _sentence(rng: random.Random, n: int = 12) -> str:
    words = [rng.choice(_WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def _prose(rng: random.Random, sentences: int) -> str:
    return " ".join(_sentence(rng, rng.randint(4, 20)) for _ in range(sentences))


# -- articles (.html .txt .md .pdf) ------------------------------------------------------------------------
def _many_attributes(rng: random.Random) -> tuple[str, bytes]:
    attrs = " ".join(f'data-a{i}="{i}"' for i in range(rng.randint(20_000, 120_000)))
    return "attrs.html", f"<html><body><p {attrs}>{_prose(rng, 3)}</p></body></html>".encode()


def _deep_nesting(rng: random.Random) -> tuple[str, bytes]:
    depth = rng.randint(2_000, 20_000)
    return "deep.html", ("<div>" * depth + _prose(rng, 3) + "</div>" * depth).encode()


def _giant_sentence(rng: random.Random) -> tuple[str, bytes]:
    body = _sentence(rng) + " Lorem " + "ipsum " * rng.randint(50_000, 400_000) + "end. " + _sentence(rng)
    return "giant.txt", body.encode()


def _many_sentences(rng: random.Random) -> tuple[str, bytes]:
    return "many.txt", _prose(rng, rng.randint(5_000, 20_000)).encode()


def _bad_bytes(rng: random.Random) -> tuple[str, bytes]:
    text = _prose(rng, 20).encode()
    cut = [rng.randrange(len(text)) for _ in range(20)]
    data = bytearray(text)
    for c in cut:
        data[c] = rng.choice([0x00, 0xFF, 0xC3, 0x80, 0xFE])
    return rng.choice(["bad.txt", "bad.md", "bad.html"]), bytes(data)


def _charset_lie(rng: random.Random) -> tuple[str, bytes]:
    page = f'<html><head><meta charset="utf-8"><title>Dam</title></head><body><p>{_prose(rng, 5)}</p></body></html>'
    return "lie.html", page.encode(rng.choice(["utf-16", "cp1252", "latin-1"]), errors="replace")


def _utf16_text(rng: random.Random) -> tuple[str, bytes]:
    return "utf16.txt", _prose(rng, 10).encode(rng.choice(["utf-16-le", "utf-16-be", "utf-16"]))


def _binary(rng: random.Random) -> tuple[str, bytes]:
    return rng.choice(["bin.txt", "bin.html", "bin.md"]), rng.randbytes(rng.randint(1, 200_000))


def _fake_pdf(rng: random.Random) -> tuple[str, bytes]:
    head = rng.choice([b"%PDF-1.7\n", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", b"%PDF-"])
    body = rng.choice([rng.randbytes(rng.randint(0, 50_000)), b"1 0 obj << /Type /Catalog >> endobj\n" * 100,
                       b"trailer << /Root 1 0 R >>\n%%EOF"])
    return "fake.pdf", head + body


def _empty(rng: random.Random) -> tuple[str, bytes]:
    return rng.choice(["empty.txt", "empty.html", "empty.md", "empty.pdf"]), rng.choice([b"", b"   \n\t  ", b"\x00" * 10])


def _script_soup(rng: random.Random) -> tuple[str, bytes]:
    evil = '</script><script>alert(1)</script><img src=x onerror=alert(2)>"\'><svg onload=alert(3)>'
    page = (f"<html><head><title>{evil}</title><meta name=author content='{evil}'></head><body>"
            f"<script>var s = \"{evil}\";</script><p>{_prose(rng, 4)} {evil}</p><!-- unclosed comment")
    return "script.html", page.encode()


def _unclosed(rng: random.Random) -> tuple[str, bytes]:
    return "unclosed.html", ("<html><body>" + "<p><b><i><table><tr><td>" * rng.randint(100, 3000)
                             + _prose(rng, 3)).encode()


def _long_line_markdown(rng: random.Random) -> tuple[str, bytes]:
    table = "|" + "|".join("x" * rng.randint(1, 9) for _ in range(rng.randint(5_000, 40_000))) + "|\n"
    return "table.md", ("# Title\n\n" + _prose(rng, 3) + "\n\n" + table).encode()


ARTICLE_GENERATORS: list[Callable[[random.Random], tuple[str, bytes]]] = [
    _many_attributes, _deep_nesting, _giant_sentence, _many_sentences, _bad_bytes, _charset_lie, _utf16_text,
    _binary, _fake_pdf, _empty, _script_soup, _unclosed, _long_line_markdown,
]


def article_inputs(n: int, seed: int = 0) -> Iterator[tuple[str, bytes]]:
    """``n`` hostile article files as ``(file name, bytes)``, cycling through every kind."""
    for i in range(n):
        rng = random.Random(seed * 1_000_003 + i)
        name, data = ARTICLE_GENERATORS[i % len(ARTICLE_GENERATORS)](rng)
        stem, dot, suffix = name.rpartition(".")
        yield f"{i:05d}-{stem}.{suffix}", data


# -- fact-check exports for `reviews import` ---------------------------------------------------------------
def _nested_json(rng: random.Random) -> tuple[str, bytes]:
    depth = rng.randint(1_000, 100_000)
    return "nested.json", ("[" * depth + "]" * depth).encode()


def _wrong_shapes(rng: random.Random) -> tuple[str, bytes]:
    junk = [1, None, True, "x", [], {}, {"@type": "ClaimReview"}, {"@type": ["ClaimReview"], "claimReviewed": 5},
            {"@type": "ClaimReview", "claimReviewed": "The dam opened in 1998.", "reviewRating": {"ratingValue": []},
             "datePublished": {"a": 1}, "url": ["not", "a", "url"], "author": 7}]
    return "shapes.json", json.dumps([rng.choice(junk) for _ in range(rng.randint(1, 200))]).encode()


def _huge_csv_cell(rng: random.Random) -> tuple[str, bytes]:
    return "big.csv", ('claim,url,rating\n"' + "x" * rng.randint(100_000, 2_000_000)
                       + '",https://fc.example/x,False\n').encode()


def _csv_line_endings(rng: random.Random) -> tuple[str, bytes]:
    sep = rng.choice(["\r", "\r\n", "\n\r", "\n"])
    rows = [f'"{_sentence(rng)}",https://fc.example/{i},False' for i in range(rng.randint(1, 50))]
    return "endings.csv", sep.join(["claim,url,rating", *rows]).encode()


def _csv_unterminated(rng: random.Random) -> tuple[str, bytes]:
    return "quote.csv", ('claim,url,rating\n"' + _sentence(rng) + ',https://fc.example/q,False\n' * 50).encode()


def _review_binary(rng: random.Random) -> tuple[str, bytes]:
    return rng.choice(["bin.csv", "bin.json", "bin.html"]), rng.randbytes(rng.randint(1, 100_000))


def _review_utf16(rng: random.Random) -> tuple[str, bytes]:
    text = "claim,url,rating\n" + "".join(f'"{_sentence(rng)}",https://fc.example/u{i},False\n' for i in range(5))
    return "utf16.csv", text.encode(rng.choice(["utf-16", "utf-16-le"]))


def _ldjson_html(rng: random.Random) -> tuple[str, bytes]:
    block = json.dumps({"@context": "https://schema.org", "@type": "ClaimReview",
                        "claimReviewed": _sentence(rng) + "</script><script>alert(1)</script>",
                        "url": "https://fc.example/ld", "reviewRating": {"alternateName": "False"}})
    return "page.html", f'<script type="application/ld+json">{block}</script><script type="application/ld+json">{{'.encode()


REVIEW_GENERATORS: list[Callable[[random.Random], tuple[str, bytes]]] = [
    _nested_json, _wrong_shapes, _huge_csv_cell, _csv_line_endings, _csv_unterminated, _review_binary,
    _review_utf16, _ldjson_html,
]


def review_inputs(n: int, seed: int = 0) -> Iterator[tuple[str, bytes]]:
    """``n`` hostile fact-check export files as ``(file name, bytes)``, cycling through every kind."""
    for i in range(n):
        rng = random.Random(seed * 2_000_003 + i)
        name, data = REVIEW_GENERATORS[i % len(REVIEW_GENERATORS)](rng)
        stem, dot, suffix = name.rpartition(".")
        yield f"{i:05d}-{stem}.{suffix}", data
