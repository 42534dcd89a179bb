import json

import pytest

from factdesk import registry
from factdesk.types import Evidence, Label, Passage, Stance
from factdesk.verify.aggregate import AggregationSettings, verdict_for
from factdesk.text.words import numbers
from factdesk.verify.baseline import BaselineVerifier


@pytest.mark.parametrize(
    "claim, passage, expected",
    [
        ("The council approved the $1.2 billion budget.", "The council approved a $1.2 billion budget on Monday.",
         Stance.SUPPORTS),
        ("The council approved the budget.", "The council rejected the budget on Monday.", Stance.REFUTES),
        ("The line opened in 2019.", "The line opened in 2021 after two years of delays.", Stance.REFUTES),
        ("Ridership rose 12% last year.", "Ridership rose 4% last year, the authority said.", Stance.REFUTES),
        ("The mayor attended the ceremony.", "The mayor did not attend the ceremony.", Stance.REFUTES),
        ("The mayor attended the ceremony.", "Ferry timetables change in winter.", Stance.NEUTRAL),
    ],
)
def test_baseline_stances(claim, passage, expected):
    [result] = BaselineVerifier().stances([(claim, passage)])
    assert result.stance == expected, result.reasons
    assert abs(sum(result.probabilities.values()) - 1) < 1e-6
    assert result.reasons


def test_numbers_by_kind():
    n = numbers("It cost $1.85 billion, 12% more, in 2023, with 40 stations.")
    assert n["money"] == {1.85e9} and n["percent"] == {12.0} and n["year"] == {2023.0} and n["count"] == {40.0}


def test_registry_has_baseline_and_refuses_unknown():
    assert "baseline" in registry.names("verifier")
    assert isinstance(registry.create("verifier", "baseline"), BaselineVerifier)
    from factdesk.errors import ConfigError

    with pytest.raises(ConfigError, match="baseline"):
        registry.create("verifier", "no-such-verifier")


def _ev(doc: str, published: str | None, sup: float, ref: float, after: bool = False) -> Evidence:
    p = Passage(document_id=doc, text=f"text of {doc}", start=0, end=10, published=published, title=doc)
    probs = {"supports": sup, "refutes": ref, "neutral": round(1 - sup - ref, 4)}
    return Evidence(passage=p, score=0.1, probabilities=probs, after_claim_date=after,
                    stance=Stance(max(probs, key=probs.get)), stance_probability=max(probs.values()))


def test_aggregate_labels():
    assert verdict_for([]).label == Label.NOT_ENOUGH_EVIDENCE
    assert verdict_for([_ev("a", "2020-01-01", 0.1, 0.1)]).label == Label.NOT_ENOUGH_EVIDENCE
    v = verdict_for([_ev("a", "2020-01-01", 0.9, 0.05), _ev("b", None, 0.2, 0.1)])
    assert v.label == Label.SUPPORTED and v.evidence_ids and "a" in v.explanation
    assert verdict_for([_ev("a", "2020-01-01", 0.05, 0.8)]).label == Label.REFUTED
    # both ways, same period -> conflicting
    assert verdict_for([_ev("a", None, 0.8, 0.05), _ev("b", None, 0.05, 0.8)]).label == Label.CONFLICTING
    # true once, contradicted later -> refuted as outdated
    v = verdict_for([_ev("old", "2019-05-01", 0.85, 0.05), _ev("new", "2023-05-01", 0.05, 0.8)])
    assert v.label == Label.REFUTED and v.explanation.startswith("Outdated")
    # later correction supports -> supported
    v = verdict_for([_ev("old", "2019-05-01", 0.05, 0.85), _ev("new", "2023-05-01", 0.8, 0.05)])
    assert v.label == Label.SUPPORTED


def test_aggregate_sets_aside_later_evidence_and_says_so():
    timely = _ev("a", "2020-01-01", 0.9, 0.05)
    late = _ev("b", "2025-01-01", 0.05, 0.9, after=True)
    assert verdict_for([timely, late]).label == Label.SUPPORTED
    only_late = verdict_for([late])
    assert only_late.label == Label.REFUTED and "after the claim" in only_late.explanation


def test_aggregate_ignores_evidence_marked_irrelevant():
    ev = _ev("a", None, 0.9, 0.05)
    ev.irrelevant = True
    assert verdict_for([ev]).label == Label.NOT_ENOUGH_EVIDENCE
    assert verdict_for([_ev("a", None, 0.6, 0.1)], AggregationSettings(threshold=0.7)).label == \
        Label.NOT_ENOUGH_EVIDENCE


def test_confidence_scaling_and_calibration_fit():
    from factdesk.evaluate.fit_aggregation import fit_confidence_scale

    ev = [_ev("a", "2020-01-01", 0.9, 0.05)]
    raw = verdict_for(ev).confidence
    shrunk = verdict_for(ev, AggregationSettings(confidence_scale=(0.5, 0.0))).confidence
    assert 0.5 < shrunk < raw  # a < 1 pulls confidence towards 0.5
    # overconfident scores that are right only half the time get a slope near 0
    a, b = fit_confidence_scale([0.95] * 50 + [0.9] * 50, [True, False] * 50)
    assert abs(a) < 0.5 and abs(b) < 0.5
    # scores that track correctness keep a positive slope
    a, _ = fit_confidence_scale([0.9] * 50 + [0.2] * 50, [True] * 45 + [False] * 5 + [False] * 45 + [True] * 5)
    assert a > 0.5


def test_shipped_calibration_is_loaded_for_its_verifier():
    from factdesk.verify.calibration import calibration_path, load_calibration

    if not calibration_path("baseline").exists():
        pytest.skip("no calibration shipped for the baseline")
    agg = load_calibration("baseline")
    assert agg is not None and 0.2 <= agg.threshold <= 0.9 and agg.confidence_scale is not None
    shipped = json.loads(calibration_path("baseline").read_text())
    assert agg.dominance == shipped["dominance"] and agg.threshold == shipped["threshold"]
    assert load_calibration("no-such-verifier") is None


def test_calibration_without_dominance_keeps_the_default(tmp_path, monkeypatch):
    """Calibration files written before the dominance ratio was fitted still load."""
    from factdesk.verify.aggregate import AggregationSettings
    from factdesk.verify.calibration import load_calibration

    (tmp_path / "aggregation").mkdir()
    (tmp_path / "aggregation" / "old.json").write_text(json.dumps({"threshold": 0.4, "confidence_scale": [1.0, 0.0]}))
    agg = load_calibration("old", user_dir=tmp_path)
    assert agg.threshold == 0.4 and agg.dominance == AggregationSettings().dominance


def test_the_users_calibration_is_written_to_and_read_from_the_user_dir(tmp_path, monkeypatch):
    """Calibration fitted by the user goes to the user data dir and wins over the shipped, read-only file."""
    from factdesk.settings import Settings
    from factdesk.verify.calibration import SHIPPED_DIR, aggregation_for

    settings = Settings(user_dir=str(tmp_path))
    shipped_agg, source = aggregation_for("baseline", user_dir=settings.writable_dir())
    assert source == "models/aggregation/baseline.json"
    own = settings.writable_dir() / "aggregation" / "baseline.json"
    own.parent.mkdir(parents=True)
    own.write_text(json.dumps({"threshold": 0.33, "dominance": 2.0}))
    agg, source = aggregation_for("baseline", user_dir=settings.writable_dir())
    assert (agg.threshold, source) == (0.33, str(own))
    assert (SHIPPED_DIR / "baseline.json").is_file()  # untouched
    # the fitting code's default output is the user dir named by the settings
    from factdesk.evaluate import fit_aggregation

    monkeypatch.setenv("FACTDESK_USER_DIR", str(tmp_path / "other"))
    assert fit_aggregation.default_output_dir() == tmp_path / "other" / "aggregation"


def test_each_document_speaks_once_and_a_clear_majority_decides():
    # one document "supporting" and "refuting" at once is noise: its strongest passage decides
    a1, a2 = _ev("a", None, 0.9, 0.05), _ev("a", None, 0.05, 0.6)
    assert verdict_for([a1, a2]).label == Label.SUPPORTED
    # three refuting sources against one weak supporting source: refuted, not conflicting
    many = [_ev(d, None, 0.05, 0.8) for d in ("b", "c", "d")] + [_ev("e", None, 0.6, 0.05)]
    v = verdict_for(many)
    assert v.label == Label.REFUTED and "weaker source" in v.explanation
    # comparable strength on both sides stays conflicting
    assert verdict_for([_ev("f", None, 0.8, 0.05), _ev("g", None, 0.05, 0.75)]).label == Label.CONFLICTING


def test_calibrate_chooses_threshold_and_dominance_on_fit_halves(tmp_path, monkeypatch):
    """calibrate() on tiny FEVER- and AVeriTeC-shaped files, in the open setting, with a keyword verifier.

    The verifier only sees "confirms <claim>" / "denies <claim>" at 0.42, so only a threshold at or
    below 0.40 can find any evidence; retrieval from the FEVER-shaped pool must bring each claim's
    own sentence into its top 5.
    """
    import json as _json

    from factdesk import registry
    from factdesk.verify.base import StanceResult
    from factdesk.evaluate.fit_aggregation import calibrate

    class Keyword:
        name = "keyword-cal"

        def warm_up(self) -> None:
            pass

        def stances(self, pairs):
            out = []
            for claim, text in pairs:
                if f"confirms {claim}." in text:
                    p = {"supports": 0.42, "refutes": 0.08, "neutral": 0.5}
                elif f"denies {claim}." in text:
                    p = {"supports": 0.08, "refutes": 0.42, "neutral": 0.5}
                else:
                    p = {"supports": 0.05, "refutes": 0.05, "neutral": 0.9}
                out.append(StanceResult(p))
            return out

    registry.register("verifier", "keyword-cal")(Keyword)
    root = tmp_path / "data"
    (root / "fever").mkdir(parents=True)
    (root / "averitec").mkdir()
    words = ["harbour", "bridge", "ferry", "tunnel", "museum", "stadium", "library", "market", "airport",
             "canal", "school", "hospital"]
    rows = ([{"claim": f"The {w} opened", "evidence": f"A record confirms The {w} opened.", "label": "SUPPORTS"}
             for w in words]
            + [{"claim": f"The {w} closed", "evidence": f"A record denies The {w} closed.", "label": "REFUTES"}
               for w in words])
    nei = [{"claim": f"The {w} is old", "evidence": f"Something else about the {w} garden.",
            "label": "NOT_ENOUGH_INFO"} for w in words]
    (root / "fever" / "dev.jsonl").write_text("".join(_json.dumps(r) + "\n" for r in rows))
    (root / "fever" / "dev_nei_retrieved.jsonl").write_text("".join(_json.dumps(r) + "\n" for r in nei))

    def qa(text):
        return {"question": "Is it so?", "answers": [{"answer": text, "answer_type": "Abstractive"}]}

    claims = ([{"claim": f"a{i}", "label": "Supported", "questions": [qa(f"An official confirms a{i}.")]}
               for i in range(6)]
              + [{"claim": f"b{i}", "label": "Refuted", "questions": [qa(f"The agency denies b{i}.")]}
                 for i in range(6)]
              + [{"claim": f"c{i}", "label": "Conflicting Evidence/Cherrypicking",
                  "questions": [qa(f"One report confirms c{i}."), qa(f"Another denies c{i}.")]} for i in range(6)])
    (root / "averitec" / "dev.json").write_text(_json.dumps(claims))
    monkeypatch.setenv("FACTDESK_DATA", str(root))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # the evidence pool's index goes here

    result = calibrate("keyword-cal", limit=36, write=False)
    assert result["threshold"] <= 0.40
    assert result["dominance"] in (1.5, 2.0, 3.0, 4.0) and result["tune_weight"] == 0.0
    held = result["held_out"]
    fever = held["fever/dev.jsonl+fever/dev_nei_retrieved.jsonl open top-5 (other half)"]
    assert fever["before"]["accuracy"] == round(1 / 3, 4)  # the default 0.55 sees nothing: all NEE
    assert fever["after"]["accuracy"] == 1.0 and fever["after"]["n"] == 18
    tune = held["averitec/dev.json (other half)"]  # reported, not fitted
    assert tune["after"]["macro_f1"] == 1.0 and tune["after"]["n"] == 9
    assert set(next(iter(result["sweep_fit_halves"].values()))) == {"fever", "tune", "objective"}
    assert list((tmp_path / "cache" / "factdesk" / "eval").glob("pool-*.db"))
