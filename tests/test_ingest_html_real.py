"""HTML ingestion failures seen on real pages (issue 12): damaged UTF-8, junk authors, dates only in the text.

Every page here is written for the test; none is copied from the web.
"""

from __future__ import annotations

import pytest

import factdesk.ingest.html as html_reader
from factdesk.ingest.html import clean_author, decode_html, document_from_html

# ------------------------------------------------------------------ encoding

TITLE_PL = "Seria ataków na serwery miejskie"
PARAS = [
    "Po serii ataków na serwery miejskie urząd zamknął portal dla mieszkańców na dwa dni.",
    "Zażółć gęślą jaźń: informatycy sprawdzają każdą kopię zapasową, zanim system wróci do sieci.",
    "La oficina municipal publicó más información sobre los ataques y pidió paciencia a los vecinos.",
]
BAD = b"\xff"  # never valid in UTF-8


def damaged_page(meta_charset: str | None) -> bytes:
    head = f'<meta charset="{meta_charset}">' if meta_charset else ""
    body = "".join(f"<p>{p}</p>" for p in PARAS)
    page = f"<html><head>{head}<title>{TITLE_PL}</title></head><body><article><h1>{TITLE_PL}</h1>{body}"
    page += "<p>Rzecznik urzędu: BADBYTE kolejne informacje jutro rano, po naradzie zespołu.</p>"
    page += "</article></body></html>"
    return page.encode("utf-8").replace(b"BADBYTE", BAD)


@pytest.mark.parametrize("meta_charset, http_charset", [
    ("utf-8", None),          # declared in the page
    (None, "UTF-8"),          # declared by the server only
    (None, None),             # not declared: the bytes are overwhelmingly UTF-8
    ("iso-8859-1", None),     # mislabelled Western charset, overwhelmingly UTF-8
])
def test_utf8_page_with_one_bad_byte_is_read_as_utf8(meta_charset, http_charset):
    data = damaged_page(meta_charset)
    text = decode_html(data, http_charset)
    assert TITLE_PL in text and all(p in text for p in PARAS)
    assert text.count("\ufffd") == 1  # only the bad byte is replaced
    assert "Rzecznik urzędu: \ufffd kolejne" in text

    doc = document_from_html(data, url="https://miasto.example/wiadomosci/ataki", charset=http_charset)
    assert doc.title == TITLE_PL
    assert "ataków" in doc.text and "más información" in doc.text and "Zażółć gęślą jaźń" in doc.text
    for garbled in ("√", "Ã", "Å", "Ä"):
        assert garbled not in doc.title and garbled not in doc.text


def test_windows_1252_page_declared_utf8_still_reads_as_windows_1252():
    page = ('<html><head><meta charset="utf-8"><title>Barrage rouvert à Port Aldine</title></head><body>'
            "<p>Le barrage a rouvert après deux ans de travaux, a déclaré le syndicat des eaux.</p>"
            "<p>Les réparations ont coûté 41 millions d’euros, « un soulagement » pour les agriculteurs.</p>"
            "</body></html>")
    text = decode_html(page.encode("cp1252"))
    assert "après deux ans de travaux, a déclaré" in text and "41 millions d’euros" in text
    assert "\ufffd" not in text


def test_a_declared_multibyte_charset_that_reads_cleanly_is_kept():
    page = ('<html><head><meta charset="shift_jis"><title>ダム</title></head>'
            "<body><p>ダムが再開した。</p></body></html>")
    assert "ダムが再開した。" in decode_html(page.encode("shift_jis"))


# -------------------------------------------------------------------- author

SITE_URL = "https://www.harborgazette.example/news/2024/dam-reopens"
ARTICLE = "".join(
    f"<p>{s}</p>" for s in [
        "The spillway of the Harbor Creek dam reopened on Sunday after a two-year repair programme.",
        "The water board said the repairs cost 41 million dollars and were finished ahead of schedule.",
        "Farmers in the valley had faced restrictions on irrigation while the works went on.",
    ])


def page_with_author(author: str, attribute: str = 'name="author"') -> str:
    return ("<html><head><title>Dam reopens | Harbor Gazette</title>"
            '<meta property="og:site_name" content="Harbor Gazette">'
            f'<meta {attribute} content="{author}"></head>'
            f"<body><article><h1>Dam reopens</h1>{ARTICLE}</article></body></html>")


@pytest.mark.parametrize("author", [
    "https://www.facebook.com/bbcnews",
    "facebook.com/harborgazette",
    "news@harborgazette.example",
    "admin",
    "Administrator",
    "publisher",
    "Editorial Team",
    "Staff Reporter",
    "Redaktion",
    "Harbor Gazette",
    "HARBOR   gazette",
    "harborgazette.example",
    "Harbor Gazette staff",
])
@pytest.mark.parametrize("attribute", ['name="author"', 'property="article:author"'])
def test_meta_author_that_names_no_person_is_dropped(author, attribute):
    doc = document_from_html(page_with_author(author, attribute), url=SITE_URL)
    assert doc.author is None
    assert doc.source == "Harbor Gazette"  # the site's name is kept where it belongs


def test_meta_author_that_is_a_person_is_kept():
    assert document_from_html(page_with_author("Jane Roe"), url=SITE_URL).author == "Jane Roe"


def test_next_author_candidate_is_used_when_the_first_is_junk():
    page = page_with_author("admin").replace(
        "</head>", '<meta property="article:author" content="Jane Roe"></head>')
    assert document_from_html(page, url=SITE_URL).author == "Jane Roe"


@pytest.mark.parametrize("value, url, sites, expected", [
    ("Jane Roe; admin", SITE_URL, ("Harbor Gazette",), "Jane Roe"),
    ("Harbor Gazette; Jane Roe", SITE_URL, ("Harbor Gazette",), "Jane Roe"),
    ("The Editors", None, (), None),
    ("News Desk", None, (), None),
    ("Jose de la Cruz", None, (), "Jose de la Cruz"),
    ("R. R.", None, (), "R. R."),
    # a personal site: the person is not the site's *name*, and a name is not its domain label
    ("Jane Roe", "https://janeroe.example/2024/notes", ("Jane Roe's notes",), "Jane Roe"),
    ("Jane Roe", "https://www.janeroe.example/about", (None,), "Jane Roe"),
    (None, SITE_URL, (), None),
    # a byline's date read into the name ("By Harbor Gazette February 24, 2020" on a real page)
    ("Harbor Gazette February", SITE_URL, ("Harbor Gazette",), None),
    ("Jane Roe, March 3, 2020", None, (), "Jane Roe"),
    ("Jane Roe | Sept. 2, 2020", None, (), "Jane Roe"),
    ("Jane Roe Updated 2 hours ago", None, (), "Jane Roe"),
    # a byline's lead words, a publisher or a degree beside the name, a descriptor made of the site's name,
    # share-bar words (all seen on real pages)
    ("View all posts by Jane Roe", None, (), "Jane Roe"),
    ("Written by Jane Roe", None, (), "Jane Roe"),
    ("Harbor Media Verlag; Jane Roe", None, (), "Jane Roe"),
    ("Harbor Gazette GmbH; Jane Roe; Tom Hale", None, (), "Jane Roe; Tom Hale"),
    ("Jane Roe; PhD", None, (), "Jane Roe"),
    ("HarborGazette-Experte Jane Roe", SITE_URL, ("Harbor Gazette",), "Jane Roe"),
    ("Jobs; Hire", None, (), None),
    ("Follow", None, (), None),
    ("Steve Jobs", None, (), "Steve Jobs"),
    # months that are also names stay when no day or year follows
    ("Theresa May", None, (), "Theresa May"),
    ("April Ryan", None, (), "April Ryan"),
])
def test_clean_author(value, url, sites, expected):
    assert clean_author(value, url=url, site_names=sites) == expected


# --------------------------------------------------------------------- dates

FILLER = "".join(
    f"<p>Paragraph {i}: the water board said the spillway of the dam was repaired after a long review "
    "of the works and of their costs.</p>" for i in range(6))
PLAIN_URL = "https://news.example.org/articles/dam-reopens"


@pytest.mark.parametrize("byline", [
    "<div class='foot'><span>Posted on March 24, 2020 by Jane</span></div>",
    "<ul><li>Veröffentlicht am 24. März 2020</li></ul>",
])
def test_date_only_in_a_byline_deep_in_the_page(byline):
    page = (f"<html><head><title>Dam reopens</title></head><body><article><h1>Dam reopens</h1>{FILLER}"
            f"</article>{byline}</body></html>")
    assert document_from_html(page, url=PLAIN_URL).published == "2020-03-24"


def test_markup_date_beats_a_date_in_the_text():
    page = ('<html><head><title>Dam reopens</title><meta property="article:published_time" '
            f'content="2024-03-03T09:30:00Z"></head><body><article><h1>Dam reopens</h1>{FILLER}</article>'
            "<div><span>Posted on March 24, 2020 by Jane</span></div></body></html>")
    assert document_from_html(page, url=PLAIN_URL).published == "2024-03-03"


def test_a_bare_year_is_not_a_publication_date():
    page = (f"<html><head><title>Dam</title></head><body><article><h1>Dam</h1>{FILLER}"
            "<p>The dam opened in 1998 and was last repaired in March 2019.</p></article>"
            "<footer>© 2021 Harbor Gazette</footer></body></html>")
    assert document_from_html(page, url=PLAIN_URL).published is None


def test_the_first_of_a_month_written_in_full_is_kept():
    page = (f"<html><head><title>Dam</title></head><body><article><h1>Dam</h1>{FILLER}</article>"
            "<div><span>Posted on November 1, 2021 by Jane</span></div></body></html>")
    assert document_from_html(page, url=PLAIN_URL).published == "2021-11-01"


def test_extensive_search_reads_a_bounded_part_of_the_page(monkeypatch):
    import htmldate

    seen: list[int] = []

    def fake_find_date(html, **kwargs):
        seen.append(len(html))
        assert kwargs["extensive_search"] and kwargs["original_date"]
        return None

    monkeypatch.setattr(htmldate, "find_date", fake_find_date)
    huge = "<html><body>" + "<p>No date here, only words.</p>" * 200_000 + "</body></html>"
    assert html_reader._extensive_date(huge, PLAIN_URL) is None
    assert seen == [html_reader.EXTENSIVE_DATE_CHARS] and len(huge) > html_reader.EXTENSIVE_DATE_CHARS


def test_extensive_search_never_gets_a_bare_url(monkeypatch):
    import htmldate

    def must_not_run(*args, **kwargs):  # htmldate would download a string that looks like a URL
        raise AssertionError("find_date called with a URL-like string")

    monkeypatch.setattr(htmldate, "find_date", must_not_run)
    assert html_reader._extensive_date("https://example.org/2024/03/03/story", None) is None


# ------------------------------------------------------------- standfirst

BODY = "".join(f"<p>Paragraph {i}: the water board said the spillway of the dam at Riverton was repaired after a "
               "long review of the works, their costs and the delays they caused to shipping.</p>" for i in range(8))


def _news_page(header: str) -> str:
    return (f"<html><head><title>Dam reopens after repairs - Harbor Gazette</title>"
            f'<meta property="og:title" content="Dam reopens after repairs"></head><body>'
            f"<header>{header}</header><article>{BODY}</article><footer>Contact us</footer></body></html>")


def test_the_summary_under_the_headline_opens_the_text():
    # main-text extraction leaves a header's standfirst out; a fact-checker checks it first
    summary = "The Riverton dam reopened on Monday after a repair that cost 4.2 million dollars, the board said."
    page = _news_page(f'<h1 itemprop="headline">Dam reopens after repairs</h1>'
                      f'<p class="e-standfirst" itemprop="description">{summary}</p>')
    doc = document_from_html(page, url=SITE_URL)
    assert doc.text.startswith(summary)
    assert doc.text.count("4.2 million dollars") == 1


@pytest.mark.parametrize("h1, summary", [
    # a blog's name in the <h1>: what follows is the site's tagline, not the article's summary
    ("Notes from the Harbour", "Thoughts and comments on current events in the information society since 2004."),
    # a caption or a byline line is no summary
    ("Dam reopens after repairs", "The dam seen from the river bank. Photo: Jane Roe/Harbor Gazette archive files"),
    ("Dam reopens after repairs", "Jane Roe | Harbor Gazette | 12 comments, share this article on social media"),
])
def test_a_tagline_caption_or_byline_under_the_h1_is_not_a_summary(h1, summary):
    page = _news_page(f'<h1>{h1}</h1><p class="subtitle">{summary}</p>')
    assert summary[:30] not in document_from_html(page, url=SITE_URL).text


def test_a_one_word_cms_title_gives_way_to_og_title(monkeypatch):
    # trafilatura read "escenic" from <title class="escenic-title"> on a real page; og:title had the headline
    real = html_reader._trafilatura
    monkeypatch.setattr(html_reader, "_trafilatura", lambda html, url: {**real(html, url), "title": "escenic"})
    page = _news_page("<h1>Dam reopens after repairs</h1>")
    assert document_from_html(page, url=SITE_URL).title == "Dam reopens after repairs"
    # a one-word title with no longer og:title stays
    bare = page.replace('<meta property="og:title" content="Dam reopens after repairs">', "")
    assert document_from_html(bare, url=SITE_URL).title == "escenic"


def _video_page(lede: str, author: str = "Jane Roe") -> str:
    # the shape of a real TV-news page: headline, byline, the lead video whose caption is the story's lede
    return (f'<html><head><title>Dam reopens after repairs - Harbor Gazette</title>'
            f'<meta name="author" content="{author}"></head><body>'
            f'<div class="headline"><h1>Dam reopens after repairs</h1><div class="byline">By {author}</div></div>'
            f'<div class="LeadVideoWrapper"><div class="VideoPlayer"><iframe title="video"></iframe></div>'
            f'<div class="meta image-caption global-caption player"><a class="button embed-btn">EMBED</a>'
            f'<a class="button" href="/watch/">More Videos</a><p>{lede}</p></div></div>'
            f'<article>{BODY}</article><footer>Contact us</footer></body></html>')


def test_a_lede_between_the_headline_and_the_body_is_kept():
    lede = "Riverton's dam reopened to boats on Monday after a repair that cost 4.2 million dollars, the board said."
    doc = document_from_html(_video_page(lede), url=SITE_URL)
    assert doc.text.count("4.2 million dollars") == 1
    assert doc.text.index("4.2 million dollars") < doc.text.index("Paragraph 0")


def test_the_author_s_biography_before_the_body_is_not_a_lede():
    bio = "Jane Roe teaches modern history at the University of Riverton and writes on the history of dams."
    assert "teaches modern history" not in document_from_html(_video_page(bio), url=SITE_URL).text


def _titled_page(title: str, h1: str, site: str = "Harbor Gazette") -> str:
    return (f'<html><head><title>{title}</title><meta property="og:site_name" content="{site}"></head><body>'
            f"<h1>{h1}</h1><article>{BODY}</article></body></html>")


@pytest.mark.parametrize("title, h1, expected", [
    # the headline plus the site's name, cut on a real page's separators
    ("Dam reopens after repairs | Harbor Gazette", "Harbor Gazette", "Dam reopens after repairs"),
    ("Dam reopens after repairs - HARBORGAZETTE.example", "Harbor Gazette", "Dam reopens after repairs"),
    ("Dam reopens after repairs -", "Harbor Gazette", "Dam reopens after repairs"),
    ("Dam reopens after repairs - http://www.harborblog.example", "Harbor Gazette", "Dam reopens after repairs"),
    # the <h1> is the headline inside a longer title ("Section: Headline", "Date | Headline")
    ("Press release: Dam reopens after repairs", "Dam reopens after repairs", "Dam reopens after repairs"),
    ("08.11.2021 | Dam reopens after repairs", "Dam reopens after repairs", "Dam reopens after repairs"),
    # a blog's name in the <h1> is not the headline, and a part that is not the site's stays
    ("Dam reopens | Notes from the Harbour", "Notes from the Harbour", "Dam reopens"),
    ("Dam reopens - a long review of the works", "Harbor Gazette", "Dam reopens - a long review of the works"),
])
def test_the_title_is_the_headline_without_the_site_name(title, h1, expected):
    site = "Notes from the Harbour" if "Notes" in title else "Harbor Gazette"
    assert document_from_html(_titled_page(title, h1, site), url=SITE_URL).title == expected
