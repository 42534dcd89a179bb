"""Lenient, loss-free ClaimReview import: every date form, real-shaped fixtures, warnings, URL-less ids, CLI.

The fixtures in tests/fixtures/claimreview/ are invented records in the shapes of real exports; their
hand-counted contents are in expected.json (records, rejected, unreadable, imported, warnings).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from factdesk.errors import InputError
from factdesk.match.reviews_cli import reviews
from factdesk.match.importer import (BadField, InvalidRecord, import_reviews, load_json_lenient, parse_date,
                                     iter_records, read_records)
from factdesk.match.reviews import list_reviews
from factdesk.store import Store

FIX = Path(__file__).parent / "fixtures" / "claimreview"
EXPECTED = {k: v for k, v in json.loads((FIX / "expected.json").read_text(encoding="utf-8")).items()
            if not k.startswith("_")}
# the only reasons a record may be rejected: no claim text, neither rating nor URL, or unreadable JSON
LEGIT = ("missing claimReviewed", "no rating and no usable URL", "broken JSON-LD block", "invalid JSON")


@pytest.fixture()
def store(tmp_path):
    with Store.open(tmp_path / "x.db") as s:
        yield s


def _local(pos: str) -> str:
    """'…/file.csv: row 5' -> 'row 5'."""
    return pos.split(": ", 1)[1]


def _by_url(store):
    return {r.url: r for r in list_reviews(store, limit=1000)}


def _by_claim(store):
    return {r.claim: r for r in list_reviews(store, limit=1000)}


# -- dates --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value, iso", [
    # ISO with time and zone (PolitiFact's markup), the date as written
    ("2017-03-01 20:30:17 UTC", "2017-03-01"),
    ("2017-03-01T20:30:17Z", "2017-03-01"),
    ("2017-03-01T20:30:17.000Z", "2017-03-01"),
    ("2017-03-01T23:30:00-05:00", "2017-03-01"),
    ("2017-03-01T20:30:17+0100", "2017-03-01"),
    ("2017-03-01 20:30", "2017-03-01"),
    ("2017-03-01", "2017-03-01"),
    ("  2017-03-01\n", "2017-03-01"),
    # YYYY-M-D and other separators
    ("2020-10-9", "2020-10-09"),
    ("2020-1-2", "2020-01-02"),
    ("2020/10/09", "2020-10-09"),
    ("2020.10.09", "2020-10-09"),
    # month and year only, year only
    ("2017-03", "2017-03"),
    ("2017-3", "2017-03"),
    ("2017", "2017"),
    ("March 2017", "2017-03"),
    # M/D/YY read US-style, month first
    ("6/14/20", "2020-06-14"),
    ("3/1/17", "2017-03-01"),
    ("03/01/2017", "2017-03-01"),
    ("12/31/99", "1999-12-31"),
    ("1/2/68", "2068-01-02"),
    ("1/2/69", "1969-01-02"),
    ("6-14-2020", "2020-06-14"),
    ("6/14/20 8:15 PM", "2020-06-14"),
    ("25/12/2020", "2020-12-25"),  # 25 cannot be a month: the only reading is day first
    ("1.3.2017", "2017-03-01"),  # dotted dates are day first
    ("28.02.2017", "2017-02-28"),
    # written dates
    ("March 1, 2017", "2017-03-01"),
    ("Mar. 1, 2017", "2017-03-01"),
    ("March 1st, 2017", "2017-03-01"),
    ("1 March 2017", "2017-03-01"),
    ("1 Mar 2017", "2017-03-01"),
    ("Wed, 01 Mar 2017 20:30:17 GMT", "2017-03-01"),
    ("Fri, 03 Mar 2017 10:00:00 +0000", "2017-03-03"),
    ("Sept. 5, 2019", "2019-09-05"),
    # Unix time: seconds or milliseconds, number or digit string
    (1488400217, "2017-03-01"),
    (1488400217.5, "2017-03-01"),
    (1488400217000, "2017-03-01"),
    ("1488400217", "2017-03-01"),
    ("1488400217000", "2017-03-01"),
    ("946684800", "2000-01-01"),  # 9 digits
    (2017, "2017"),  # an int that is a year
    ("20170301", "2017-03-01"),
    # empty
    (None, None),
    ("", None),
    ("   ", None),
])
def test_parse_date_forms(value, iso):
    assert parse_date(value) == iso


@pytest.mark.parametrize("value, why", [
    ("2021-02-30", "no such day"),
    ("2019-02-29", "no such day"),
    ("31/02/2020", "no such day"),
    ("13/13/2020", "no such day"),
    ("13/45/20", "no such day"),
    ("2017-13", "no such month"),
    ("1850-01-01", "year 1850 outside 1900..2100"),
    ("June 14, 2200", "year 2200 outside 1900..2100"),
    ("2150", "year 2150 outside 1900..2100"),
    ("99999999999999", "not a date"),  # 14 digits
    ("12345", "not a date"),
    ("14 June 20", "no four-digit year"),  # a two-digit year is only read in M/D/YY
    ("March 1", "no four-digit year"),
    ("last Tuesday", "no four-digit year"),
    ("sometime in spring 2017", "not a date"),
    ("2017-03-01 lunchtime", "not a date"),
    (0, "not a plausible Unix time"),
    (-1, "not a plausible Unix time"),
    (12345, "not a plausible Unix time"),
    (float("nan"), "not a plausible Unix time"),
    (True, "bad date True"),
    ({"when": "2017"}, "not a date"),
])
def test_parse_date_rejects_instead_of_guessing(value, why):
    with pytest.raises(BadField, match="bad date") as info:
        parse_date(value)
    assert why in str(info.value)
    assert isinstance(info.value, InvalidRecord)  # code written for the strict importer still catches it


# -- every fixture: exact counts, warnings naming record and field, nothing lost -------------------------
def test_manifest_lists_every_fixture():
    files = {p.name for p in FIX.iterdir() if p.is_file() and p.name != "expected.json"}
    assert files == set(EXPECTED)
    assert len(EXPECTED) >= 8


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_imports_loss_free(store, name):
    exp = EXPECTED[name]
    stats = import_reviews(store, FIX / name, embedder=None)
    assert stats.sources == 1
    assert stats.imported == exp["imported"] == exp["records"] - exp["rejected"] - exp["unreadable"]
    assert stats.duplicates == 0
    assert len(stats.invalid) == exp["rejected"] + exp["unreadable"]
    for _, reason in stats.invalid:  # nothing rejected over an optional field
        assert reason.startswith(LEGIT), reason
    assert sum(r.startswith("broken JSON-LD block") for _, r in stats.invalid) == exp["unreadable"]
    assert [[_local(p), f] for p, f, _ in stats.warnings] == exp["warnings"]
    for pos, _, reason in stats.warnings:
        assert pos.startswith(str(FIX / name)) and reason
    assert len(list_reviews(store, limit=1000)) == exp["imported"]


def test_whole_folder_reimport_is_idempotent_including_url_less_records(store):
    total = sum(e["imported"] for e in EXPECTED.values())
    first = import_reviews(store, FIX, embedder=None)
    assert (first.imported, first.duplicates, first.sources) == (total, 0, len(EXPECTED) + 1)  # + expected.json
    assert sum(1 for r in list_reviews(store, limit=1000) if r.url == "") == 2
    second = import_reviews(store, FIX, embedder=None)
    assert (second.imported, second.duplicates) == (0, total)
    assert len(second.warnings) == len(first.warnings) == sum(len(e["warnings"]) for e in EXPECTED.values())


# -- what each fixture's records hold ----------------------------------------------------------------------
def test_politifact_style_page(store):
    import_reviews(store, FIX / "politifact_style_page.html", embedder=None)
    (r,) = list_reviews(store)
    assert r.claim == "Says Harbor City passed an ordinance that bans children from drawing with sidewalk chalk."
    assert r.url.endswith("/2017/mar/01/dana-holloway/no-harbor-city-did-not-ban-sidewalk-chalk/")
    assert (r.date, r.claim_date, r.rating, r.publisher, r.publisher_site, r.claimant) == (
        "2017-03-01", "2017-02-27", "Pants on Fire!", "TruthGauge", "https://truthgauge.example/", "Dana Holloway")


def test_google_api_response(store):
    stats = import_reviews(store, FIX / "google_factcheck_api.json", embedder=None)
    assert [(_local(p), r) for p, r in stats.invalid] == [
        ("claims[3].claimReview[0]", "missing claimReviewed (the claim text)")]
    assert stats.warnings[0][1:] == ("claimDate", "bad date '2019-02-30T00:00:00Z': no such day")
    by_url = _by_url(store)
    es = by_url["https://verificadosur.example/2020/10/efectivo-valdoria/"]
    assert (es.rating, es.language, es.claim_date, es.date, es.publisher, es.publisher_site, es.claimant) == (
        "Falso", "es", "2020-10-09", "2020-10-12", "Verificado Sur", "verificadosur.example", "Cadena de WhatsApp")
    both = [r for r in by_url.values() if r.claim.startswith("Drinking two litres")]
    assert sorted(r.publisher for r in both) == ["Lens on Facts", "TruthGauge"]
    no_rating = by_url["https://numbersdesk.example/checks/ebike-sales-norland"]
    assert no_rating.rating is None and no_rating.title == "E-bike sales rose, but did not triple"
    libraries = by_url["https://lensonfacts.example/2019/03/ferrow-libraries"]
    assert (libraries.claim_date, libraries.date, libraries.rating) == (None, "2019-03-04", "False")
    dam = by_url["https://piccheck.example/fc/brenmoor-dam-photo"]
    assert (dam.claimant, dam.claim_date, dam.title) == (None, None, None)


def test_graph_references_resolved(store):
    import_reviews(store, FIX / "graph_yoast_style.jsonld", embedder=None)
    by_url = _by_url(store)
    selva = by_url["https://verifyhub.example/fact-check/selva-river-burns/"]
    assert (selva.publisher, selva.publisher_site, selva.claimant, selva.rating) == (
        "VerifyHub", "https://verifyhub.example/", "Imre Kalnins", "Mostly false")
    assert (selva.date, selva.claim_date, selva.language, selva.title) == (
        "2020-10-09", "2020-10-02", "en-GB", "Touching the Selva river does not cause burns")
    ferry = by_url["https://verifyhub.example/fact-check/ferry-tickets-free/"]  # from mainEntityOfPage
    assert (ferry.rating, ferry.claimant, ferry.claim_date, ferry.date) == (
        "2/5", "Anonymous WhatsApp message", "2020-10-03", "2020-10-14")


def test_jsonld_variants(store):
    stats = import_reviews(store, FIX / "jsonld_variants.json", embedder=None)
    assert [(_local(p), r) for p, r in stats.invalid] == [
        ("item 5", "missing claimReviewed (the claim text)"), ("item 6", "no rating and no usable URL")]
    reasons = {(_local(p), f): r for p, f, r in stats.warnings}
    assert reasons[("item 3", "datePublished")] == "bad date '2017-02-30': no such day"
    assert reasons[("item 7", "url")] == "url '/fc/marsh-lane-speed-cameras' is not an absolute http(s) URL"
    assert "no usable value" in reasons[("item 4", "reviewRating")]
    c = _by_claim(store)
    curfew = c["Glenmoor introduced a 9 pm curfew for teenagers."]
    assert (curfew.date, curfew.language, curfew.claimant, curfew.publisher_site) == (
        "2017-03-01", "en", "Radio host Pell Maren", "https://claimwatch.example/")
    chip = c['"The Tarrow vaccine contains a tracking chip," says a viral video.']  # entities decoded
    assert (chip.publisher, chip.rating, chip.claimant, chip.claim_date, chip.date) == (
        "Claimwatch", "2/6", "Unknown YouTube channel", "2017-02-28", "2017-03-01")
    bridge = c["The Pelton bridge was built without a permit."]
    assert (bridge.publisher, bridge.rating, bridge.date, bridge.claim_date, bridge.claimant) == (
        "Claimwatch", "1/5", None, None, "Mayor Ulla Brandt")
    assert c["Dunmore stopped adding fluoride to tap water in 2016."].rating is None
    marsh = c["Marsh Lane has six new speed cameras."]
    assert (marsh.url, marsh.rating, marsh.publisher) == ("", "Mostly true", "Claimwatch")
    bexley = c["Bexley council staff work a four-day week."]
    assert (bexley.publisher, bexley.date, bexley.claimant) == ("Claimwatch Media", "2017-03-03", None)


def test_html_with_a_repairable_and_a_cut_off_block(store):
    stats = import_reviews(store, [FIX / "two_blocks_one_broken.html", FIX / "cut_off_block.html"], embedder=None)
    assert stats.imported == 3
    assert [(Path(p.split(": ")[0]).name, _local(p)) for p, _ in stats.invalid] == [("cut_off_block.html", "block 2")]
    assert stats.invalid[0][1].startswith("broken JSON-LD block: Unterminated string")
    (w,) = stats.warnings
    assert w[1:] == ("JSON-LD", "repaired: trailing commas dropped; raw line breaks or tabs inside strings accepted")
    meals = _by_url(store)["https://lensonfacts.example/2017/03/marlow-school-meals/"]
    assert meals.claim == "Marlow\u2019s schools stopped serving hot lunches to save money."
    assert (meals.date, meals.rating, meals.claimant) == ("2017-03-01", "Mostly false", "Marlow Parents Group")
    week = _by_url(store)["https://lensonfacts.example/2017/03/marlow-school-week/"]  # escaped slashes
    assert (week.date, week.claim_date, week.rating) == ("2017-03-01", "2017-02-24", "False")


def test_politifact_style_csv_export(store):
    raw = (FIX / "politifact_style_export.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw.count(b"\r\n") >= 11  # the fixture keeps its BOM and CRLF
    stats = import_reviews(store, FIX / "politifact_style_export.csv", embedder=None)
    assert [(_local(p), r) for p, r in stats.invalid] == [
        ("row 6", "missing claimReviewed (the claim text)"), ("row 8", "no rating and no usable URL")]
    assert [(_local(p), f, r) for p, f, r in stats.warnings] == [
        ("row 5", "statement_date", "bad date '13/45/20': no such day"),
        ("row 9", "fact_check_url", "no scheme: https assumed (https://www.truthgauge.example/factchecks/2020/"
                                    "jun/02/instagram-posts/westmark-river-green/)")]
    c = _by_claim(store)
    park = c["Says the Brightwater city council voted to sell the public park to a developer."]
    assert (park.date, park.claim_date, park.rating, park.claimant, park.publisher, park.language) == (
        "2020-06-14", "2020-06-12", "False", "Facebook posts", "TruthGauge", "en")
    assert c['Says "every single bus" in Corran runs late, according to the transit report.'].date == "2020-06-09"
    assert c["Says the governor's plan will put a toll on every county road."].rating == "Pants on Fire!"
    assert c["Says unemployment in Westmark fell by half in one year."].date == "2020-10-09"
    budget = c["Says the state budget for libraries is the lowest since 2001."]
    assert (budget.claim_date, budget.date) == (None, "2020-06-20")  # bad claim date dropped, record kept
    cyclists = c["Says Corran has more cyclists per head than any other city in the state."]
    assert (cyclists.url, cyclists.rating) == ("", "Mostly True")
    police = c["Says Brightwater hired 40 new police officers last year."]  # row with an extra empty field
    assert (police.date, police.claim_date) == ("2020-01-03", "2019-12-29")


def test_semicolon_spreadsheet_export(store):
    stats = import_reviews(store, FIX / "spreadsheet_export_semicolon.csv", embedder=None)
    assert stats.invalid == []
    assert [(_local(p), f, r) for p, f, r in stats.warnings] == [
        ("row 5", "Review Date", "bad date 'sometime in spring': no four-digit year")]
    dates = {r.url.rsplit("/", 1)[1]: (r.date, r.claim_date) for r in list_reviews(store)}
    assert dates == {"korvik-ambulanz": ("2017-03-01", "2017-02-28"), "velden-stoves": ("2017-03-01", "2017-02-27"),
                     "oster-maut": ("2017-03-01", "2017-02-28"), "velden-school-start": ("2017-03-01", "2017-02-25"),
                     "bahnstreik": (None, "2017-03-01"), "korvik-park": ("2017-03-01", "2017-02")}
    amb = _by_url(store)["https://faktenblick.example/check/korvik-ambulanz"]
    assert amb.claim == "Ambulances in Korvik take over an hour to arrive; the minister admitted it."
    assert (amb.rating, amb.publisher, amb.claimant, amb.language, amb.title) == (
        "Falsch", "Faktenblick", "Oppositionspartei", "de", "Ambulance wait claim is wrong")


# -- URL-less records: stable ids that do not collide --------------------------------------------------------
def test_url_less_ids_are_stable_and_distinct(store, tmp_path):
    a = tmp_path / "a.csv"
    a.write_text("claim,rating,publisher,url\n"
                 "The Lund ferry is free on Sundays.,False,TruthGauge,\n"
                 "The Lund ferry is free on Sundays.,False,Lens on Facts,\n"  # another publisher: another review
                 "The Lund ferry is free on Sundays.,Mostly false,TruthGauge,\n"  # another verdict
                 "The Lund ferry is free on Sundays.,False,TruthGauge,https://truthgauge.example/fc/lund-ferry\n",
                 encoding="utf-8")
    b = tmp_path / "b.csv"  # the first record again, spelled a little differently
    b.write_text("Publisher,Verdict,Claim Text\n"
                 "truthgauge , FALSE ,the Lund ferry is  free on Sundays\n", encoding="utf-8")
    first = import_reviews(store, a, embedder=None)
    assert (first.imported, first.duplicates, first.invalid, first.warnings) == (4, 0, [], [])
    ids = [r.id for r in list_reviews(store)]
    assert len(set(ids)) == 4
    second = import_reviews(store, [a, b], embedder=None)
    assert (second.imported, second.duplicates) == (0, 5)


# -- formats: JSON repairs, CSV headers and encodings ------------------------------------------------------
def test_load_json_lenient_repairs():
    assert load_json_lenient('{"a": 1}') == ({"a": 1}, [])
    data, repairs = load_json_lenient('<!--\n{"a": [1, 2,], "b": "x\ny",}\n-->')
    assert data == {"a": [1, 2], "b": "x\ny"}
    assert repairs == ["HTML comment/CDATA wrapper removed", "trailing commas dropped",
                       "raw line breaks or tabs inside strings accepted"]
    assert load_json_lenient('{"a": 1}\n{"b": "2,]"}') == ([{"a": 1}, {"b": "2,]"}],
                                                           ["2 JSON documents side by side read as a list"])
    with pytest.raises(json.JSONDecodeError):
        load_json_lenient('{"a": "cut')


def test_csv_header_spellings_and_required_columns(store, tmp_path):
    f = tmp_path / "flattened.csv"  # pandas json_normalize of the Google API response
    f.write_text("claimReview.textualRating,text,claimant,claimDate,claimReview.url,claimReview.publisher.name,"
                 "claimReview.reviewDate,claimReview.languageCode\n"
                 "False,Owls were banned in Tarn.,Blog,2021-03-01T00:00:00Z,https://a.example/owls,Owlcheck,"
                 "2021-03-05T00:00:00Z,en\n", encoding="utf-8")
    stats = import_reviews(store, f, embedder=None)
    assert (stats.imported, stats.invalid, stats.warnings) == (1, [], [])
    (r,) = list_reviews(store)
    assert (r.claim, r.rating, r.url, r.publisher, r.date, r.claim_date, r.claimant, r.language) == (
        "Owls were banned in Tarn.", "False", "https://a.example/owls", "Owlcheck", "2021-03-05", "2021-03-01",
        "Blog", "en")
    only_claim = tmp_path / "only_claim.csv"
    only_claim.write_text("claim,publisher\nOwls were banned in Tarn.,Owlcheck\n", encoding="utf-8")
    with pytest.raises(InputError, match="url or rating column"):
        import_reviews(store, only_claim, embedder=None)


def test_csv_shifted_row_is_rejected_and_utf16_is_read(store, tmp_path):
    f = tmp_path / "shifted.csv"
    f.write_text("claim,rating,url\nA, b, c,False,https://x.example/a\nGood claim.,True,https://x.example/b\n",
                 encoding="utf-8")
    stats = import_reviews(store, f, embedder=None)
    assert stats.imported == 1 and _local(stats.invalid[0][0]) == "row 1"
    assert "5 fields but the header has 3" in stats.invalid[0][1]
    u = tmp_path / "unicode.csv"  # a spreadsheet's "Unicode text": UTF-16 with BOM, tab separated
    u.write_bytes("Claim\tRating\tURL\nDie Brücke ist gesperrt.\tFalsch\thttps://x.example/brücke\n"
                  .encode("utf-16"))
    stats = import_reviews(store, u, embedder=None)
    assert (stats.imported, stats.invalid) == (1, [])
    assert _by_url(store)["https://x.example/brücke"].claim == "Die Brücke ist gesperrt."


def test_read_records_collects_warnings():
    warnings: list = []
    good, bad = read_records(FIX / "jsonld_variants.json", warnings=warnings)
    assert (len(good), len(bad), len(warnings)) == (6, 2, 6)
    good, bad = read_records(FIX / "jsonld_variants.json")  # without the list: same records
    assert (len(good), len(bad)) == (6, 2)


# -- CLI --------------------------------------------------------------------------------------------------------
def test_cli_import_lists_warnings(tmp_path):
    db = str(tmp_path / "cli.db")
    src = str(FIX / "politifact_style_export.csv")
    r = CliRunner().invoke(reviews, ["import", src, "--db", db])
    assert r.exit_code == 0, r.output
    assert r.stdout.strip() == "imported 8 fact-checks (0 already stored, 2 invalid, 2 warnings) from 1 source(s)"
    err = r.stderr.splitlines()
    assert f"  skipped {src}: row 6: missing claimReviewed (the claim text)" in err
    assert f"  warning {src}: row 5: statement_date: bad date '13/45/20': no such day" in err
    assert sum(line.startswith("  warning ") for line in err) == 2
    r = CliRunner().invoke(reviews, ["import", src, "--json", "--db", db])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert (data["imported"], data["duplicates"], len(data["invalid"])) == (0, 8, 2)
    assert data["warnings"][1] == {"position": f"{src}: row 9", "field": "fact_check_url",
                                   "reason": "no scheme: https assumed (https://www.truthgauge.example/factchecks/"
                                             "2020/jun/02/instagram-posts/westmark-river-green/)"}


# Hostile import files (issue 17 item 3): a clear message, never a traceback, nothing else lost.

GOOD_CSV = "claim,url,rating\n\"The Harbour dam opened in 1998\",https://fc.example/dam,True\n"


def test_deeply_nested_json_is_an_invalid_record_not_a_traceback(tmp_path: Path) -> None:
    f = tmp_path / "nested.json"
    f.write_text("[" * 100_000 + "]" * 100_000)
    records = list(iter_records([f]))
    assert [type(r) for _, r in records] == [InvalidRecord] and "nested too deeply" in str(records[0][1])


def test_a_huge_csv_cell_is_read_and_binary_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    big.write_text("claim,url,rating\n\"" + "x" * 200_000 + "\",https://fc.example/x,False\n")
    assert [type(r).__name__ for _, r in iter_records([big])] == ["Review"]
    binary = tmp_path / "binary.csv"
    binary.write_bytes(bytes(range(256)) * 100)
    with pytest.raises(InputError, match="binary"):
        list(iter_records([binary]))


def test_utf16_without_a_byte_order_mark_is_read_and_said(tmp_path: Path) -> None:
    f = tmp_path / "excel.csv"
    f.write_bytes(GOOD_CSV.encode("utf-16-le"))
    records = list(iter_records([f]))
    assert any(type(r).__name__ == "Review" and "Harbour dam" in r.claim for _, r in records)
    assert any(type(r).__name__ == "FieldWarning" and "UTF-16" in r.reason for _, r in records)


def test_devices_and_pipes_are_refused(tmp_path: Path) -> None:
    import os

    with pytest.raises(InputError, match="not a regular file"):
        list(iter_records(["/dev/zero"]))
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        list(iter_records([fifo]))


def test_one_bad_file_in_a_folder_is_skipped_and_the_rest_imported(tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "a.csv").write_text(GOOD_CSV)
    (folder / "b.json").write_text("{")
    (folder / "c.csv").write_text("no,header,here\n1,2,3\n")
    (folder / "d.csv").write_text(GOOD_CSV.replace("Harbour dam opened in 1998", "Tolls rose 12% in 2023"))
    with Store.open(tmp_path / "fd.db") as store:
        stats = import_reviews(store, folder, embedder=None)
        assert stats.imported == 2 and len(stats.invalid) == 2
        assert any("c.csv" in pos and "file skipped" in why for pos, why in stats.invalid)
