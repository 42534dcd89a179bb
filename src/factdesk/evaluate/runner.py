"""Run one evaluation task over a data set and return its metrics as a plain dict.

Tasks
-----
``verify``
    claim + gold evidence → label.  Pair-level data (one evidence text per
    claim) is labelled from the verifier's stance (supports → supported,
    refutes → refuted, neutral → not_enough_evidence); claim-level data
    (several evidence units per claim: AVeriTeC questions, WiCE chunks, an
    ``evidence`` list) is labelled by :func:`~factdesk.verify.aggregate.verdict_for`
    over the judged units.  ``level="pair"``/``"claim"`` forces either way.
``open``
    claim → retrieve the top k passages from a corpus → judge → ``verdict_for``.
    The corpus is a folder (indexed with the pipeline into a temporary store),
    a passages JSONL, or — for FEVER-shaped data with no corpus given — the
    pool of all distinct evidence sentences of the FEVER-shaped files beside
    the data file (≈41k for fever/: ~10 min to embed on 2 cores, once), cached
    under ``$XDG_CACHE_HOME/factdesk/eval/pool-<hash>.db``.
``checkworthy``
    sentence → check-worthy or not, at ``threshold`` (default 0.5).
``match``
    not yet: arrives with ClaimReview import (metrics are in :mod:`.metrics`).

With an LLM (``settings.llm_url`` and ``llm_model``, or ``llm_obj``), ``verify`` and ``open`` also
ask it for a verdict on every claim over the same evidence the built-in verifier judged, and add
an ``llm`` block: its accuracy and macro-F1 (a claim whose LLM call failed counts with the built-in
verdict, as ``factdesk check`` would report it), seconds and tokens per claim, fallbacks, prompt
versions; ``builtin_seconds_per_claim`` is the built-in verifier's time for the same claims.

``limit`` takes a deterministic label-stratified sample (``seed``), never the
first lines of a file (files are often sorted by label).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from factdesk.text.sentences import split_sentences
from factdesk.errors import ConfigError, FactdeskError, InputError
from factdesk.evaluate import metrics as M
from factdesk.llm.judge import LLMJudge
from factdesk.llm.record import LLMRecord
from factdesk.evaluate.readers import (
    VerifyData,
    VerifyExample,
    read_checkworthy,
    read_corpus_jsonl,
    read_verify,
    read_verify_many,
    resolve_data,
    stratified_sample,
)
from factdesk.match.quality import evaluate_matching
from factdesk.paths import cache_dir
from factdesk.pipeline import Pipeline, resolve_name
from factdesk.protocols import CheckworthinessScorer, Embedder, Retriever, Verifier
from factdesk.settings import Settings
from factdesk.store import Store
from factdesk.types import Claim, Document, Evidence, Label, Passage, Stance
from factdesk.verify.aggregate import AggregationSettings, verdict_for
from factdesk.verify.calibration import aggregation_for

TASKS = ("verify", "open", "checkworthy", "match")
LABEL_ORDER = [lab.value for lab in Label]
STANCE_TO_LABEL = {Stance.SUPPORTS: Label.SUPPORTED, Stance.REFUTES: Label.REFUTED,
                   Stance.NEUTRAL: Label.NOT_ENOUGH_EVIDENCE}
CACHE_VERSION = "2"  # bump when passage cutting or the cached store layout changes


def run_eval(task: str, data: str | os.PathLike[str] | Sequence[str | os.PathLike[str]], *,
             limit: int | None = None, verifier: str = "auto",
             scorer: str = "auto", corpus: str | os.PathLike[str] | None = None,
             reviews: str | os.PathLike[str] | None = None, progress: bool = False, seed: int = 0,
             verifier_obj: Any = None, scorer_obj: Any = None, embedder_obj: Any = None,
             level: str = "auto", threshold: float = 0.5, k: int = 5, mode: str = "hybrid",
             stance_threshold: float | None = None, batch_size: int = 64,
             aggregation: str = "shipped", predictions: str | os.PathLike[str] | None = None,
             settings: Settings | None = None, llm_obj: Any = None) -> dict[str, Any]:
    """Evaluate ``task`` on ``data``; returns the metrics dict (see the module docstring).

    ``data`` is one data set or a list of them, read as one (e.g. FEVER's ``dev.jsonl`` and
    ``dev_nei_retrieved.jsonl`` for three labels).

    ``verifier``/``scorer`` are registry names, ``"auto"`` (the default) meaning the ones
    ``factdesk check`` uses; ``verifier_obj``/``scorer_obj``/``embedder_obj`` pass ready
    objects instead (tests, notebooks).  The parts are built as ``factdesk check`` builds them,
    by :meth:`Pipeline.from_settings` with ``settings`` (default: the built-in defaults).

    ``aggregation="shipped"`` (the default) judges exactly as ``factdesk check`` does: with the
    calibrated aggregation shipped for that verifier (``models/aggregation/<name>.json``), also
    for single pairs, which then get the verdict of a one-passage claim.  A verifier without a
    shipped calibration, or ``aggregation="raw"``, gets the uncalibrated defaults, and pairs are
    labelled by the stance with the highest probability.  ``stance_threshold`` overrides the
    threshold either way (and then pairs go through the aggregation too).

    ``predictions`` names a JSONL file to write one line per evaluated item to (verify, open,
    checkworthy): its gold and predicted label, confidence or score and, for verify and open,
    the verdict's explanation (open adds the passages judged and whether the gold was among them).
    For match it is a TREC run file (``qid Q0 docid rank score tag``) for the official scorer.
    """
    paths = [data] if isinstance(data, (str, os.PathLike)) else list(data)
    if not paths:
        raise ConfigError("no data set given", hint="give DATA or --data PATH")
    if task not in TASKS:
        raise ConfigError(f"unknown evaluation task {task!r}", hint=f"choose one of: {', '.join(TASKS)}")
    if limit is not None and limit < 1:
        raise ConfigError(f"--limit must be at least 1, got {limit}")
    if task == "match":
        if reviews is None:
            raise ConfigError("the match task needs --reviews RECORDS (ClaimReview JSON-LD, HTML, "
                              "Google Fact Check JSON or CSV)")
        if len(paths) != 1:
            raise ConfigError("the match task takes one data set")
        if predictions is not None:
            _predictions_folder(Path(predictions))
        result = evaluate_matching(resolve_data(paths[0]), Path(reviews), predictions=predictions)
        result.update({"task": "match", "data": str(paths[0]), "reviews": str(reviews)})
        return result
    verifier, scorer = resolve_name("verifier", verifier), resolve_name("checkworthiness", scorer)
    settings = (settings or Settings()).with_overrides(verifier=verifier, checkworthiness=scorer)
    if predictions is not None:
        _predictions_folder(Path(predictions))
    resolved = [resolve_data(p) for p in paths]
    started = time.perf_counter()
    if aggregation not in ("shipped", "raw"):
        raise ConfigError(f"unknown aggregation {aggregation!r}", hint="use shipped or raw")
    agg, decision = _aggregation(task, verifier, verifier_obj, aggregation, stance_threshold, settings)
    use_llm = task in ("verify", "open") and (llm_obj is not None or settings.llm_configured)
    # the LLM's answers are cached in the user's store (a re-run costs nothing); eval keeps nothing else
    llm_store = Store.open(None) if use_llm and llm_obj is None else None
    with Store.open(":memory:") as scratch:  # parts that need a store get this one; eval keeps nothing
        parts = Pipeline.from_settings(settings, store=scratch, verifier=verifier_obj, scorer=scorer_obj,
                                       embedder=embedder_obj)
        if task == "verify":
            result = _run_verify(resolved, limit, seed, _warm(parts.verifier), level, agg,
                                 progress, batch_size, pairs_by_aggregation=decision != "raw")
        elif task == "open":
            result = _run_open(resolved, limit, seed, _warm(parts.verifier), corpus, settings,
                               embedder_obj, k, mode, agg, progress, batch_size)
        else:
            result = _run_checkworthy(resolved, limit, seed, _warm(parts.scorer), threshold,
                                      progress, batch_size)
    try:
        if use_llm:
            client = llm_obj or Pipeline.from_settings(settings, store=llm_store).llm
            result["llm"] = _llm_side(client, result, progress)
    finally:
        if llm_store is not None:
            llm_store.close()
    result.pop("_llm_inputs", None)
    if task in ("verify", "open"):
        result["aggregation"] = {"source": decision, "threshold": agg.threshold,
                                 "confidence_scale": list(agg.confidence_scale) if agg.confidence_scale else None}
    items = result.pop("_items", [])
    if predictions is not None:
        _write_predictions(Path(predictions), items)
        result["predictions"] = str(predictions)
    result["seconds"] = round(time.perf_counter() - started, 3)
    result["limit"] = limit
    result["seed"] = seed
    return result


def _predictions_folder(path: Path) -> None:
    """Make sure the predictions file can be written, before the evaluation spends any time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot write predictions to {path}: {exc.strerror or exc}",
                          hint="give --predictions a file in a folder you can write to") from exc
    if path.is_dir() or not os.access(path.parent, os.W_OK):
        raise ConfigError(f"cannot write predictions to {path}: "
                          + ("it is a folder" if path.is_dir() else "the folder is not writable"),
                          hint="give --predictions a file in a folder you can write to")


def _write_predictions(path: Path, items: list[dict[str, Any]]) -> None:
    """One JSON object a line, written to a temporary file first so a failure leaves no half file."""
    import json

    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise FactdeskError(f"cannot write predictions to {path}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            for item in items:
                f.write(json.dumps(item, ensure_ascii=False) + "\n")
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise FactdeskError(f"cannot write predictions to {path}: {exc.strerror or exc}") from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# -- components -----------------------------------------------------------------------
def _aggregation(task: str, verifier: str, verifier_obj: Verifier | None, aggregation: str,
                 stance_threshold: float | None, settings: Settings) -> tuple[AggregationSettings, str]:
    """The aggregation settings to judge with, and where they came from ("raw" = uncalibrated defaults)."""
    name = verifier_obj.name if verifier_obj is not None else verifier
    return aggregation_for(name, stance_threshold, shipped=task in ("verify", "open") and aggregation == "shipped",
                           user_dir=settings.writable_dir())


def _warm(part: Verifier | CheckworthinessScorer) -> Any:
    """A part handed over ready may not have loaded yet: warm_up is cheap to call twice."""
    part.warm_up()
    return part


def _names(paths: list[Path]) -> str:
    return ", ".join(str(p) for p in paths)


def _name(obj: Any) -> str:
    return str(getattr(obj, "name", type(obj).__name__))


def _bar(total: int, desc: str, enabled: bool, unit: str = "pair") -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, disable=not enabled, leave=False)


def _judge(verifier: Any, pairs: list[tuple[str, str]], progress: bool, batch_size: int) -> tuple[list[Any], float]:
    """Stances for every pair, in batches; returns them and the seconds spent in the verifier."""
    results: list[Any] = []
    spent = 0.0
    bar = _bar(len(pairs), "judging", progress)
    try:
        for i in range(0, len(pairs), max(1, batch_size)):
            batch = pairs[i:i + batch_size]
            t = time.perf_counter()
            out = verifier.stances(batch)
            spent += time.perf_counter() - t
            if len(out) != len(batch):
                raise FactdeskError(f"verifier {_name(verifier)} returned {len(out)} results for {len(batch)} pairs")
            results += out
            bar.update(len(batch))
    finally:
        bar.close()
    return results, spent


def unit_evidence(doc_id: str, text: str, result: Any, score: float = 1.0, passage: Passage | None = None
                  ) -> Evidence:
    """One judged evidence unit: the passage (made from ``doc_id`` and ``text`` unless given) and its stance."""
    p = passage or Passage(document_id=doc_id, text=text, start=0, end=len(text))
    return Evidence(passage=p, score=score, stance=Stance(result.stance), stance_probability=result.probability,
                    probabilities=dict(result.probabilities))


def _classification(gold: list[str], pred: list[str], conf: list[float]) -> dict[str, Any]:
    out = M.classification_report(gold, pred, order=LABEL_ORDER)
    out["ece"] = M.expected_calibration_error(conf, [g == p for g, p in zip(gold, pred)])
    return out


# -- verify ---------------------------------------------------------------------------
def _run_verify(paths: list[Path], limit: int | None, seed: int, verifier: Any, level: str, agg: AggregationSettings,
                progress: bool, batch_size: int, pairs_by_aggregation: bool = False) -> dict[str, Any]:
    vd = read_verify_many(paths)
    if level not in ("auto", "pair", "claim"):
        raise ConfigError(f"unknown level {level!r}", hint="use auto, pair or claim")
    level = vd.level if level == "auto" else level
    examples = stratified_sample(vd.examples, lambda e: e.label.value, limit, seed)
    if level == "pair":
        pairs = [(e.claim, " ".join(e.evidence)) for e in examples]
    else:
        pairs = [(e.claim, u) for e in examples for u in e.evidence]
    results, spent = _judge(verifier, pairs, progress, batch_size)
    pred: list[str] = []
    conf: list[float] = []
    why: list[str] = []
    judged: list[list[Evidence]] = []  # what an LLM judge would see, per example
    if level == "pair" and not pairs_by_aggregation:
        for e, r in zip(examples, results):
            pred.append(STANCE_TO_LABEL[Stance(r.stance)].value)
            conf.append(float(r.probability))
            why.append("; ".join(r.reasons))
            judged.append([unit_evidence(f"{e.id}#0", " ".join(e.evidence), r)])
    elif level == "pair":  # the verdict factdesk would give a claim with this one passage
        for e, r in zip(examples, results):
            judged.append([unit_evidence(f"{e.id}#0", " ".join(e.evidence), r)])
            verdict = verdict_for(judged[-1], agg)
            pred.append(verdict.label.value)
            conf.append(float(verdict.confidence))
            why.append(verdict.explanation)
    else:
        it = iter(results)
        for e in examples:
            evidence = [unit_evidence(f"{e.id}#{j}", u, next(it)) for j, u in enumerate(e.evidence)]
            judged.append(evidence)
            verdict = verdict_for(evidence, agg)
            pred.append(verdict.label.value)
            conf.append(float(verdict.confidence))
            why.append(verdict.explanation)
    gold = [e.label.value for e in examples]
    out: dict[str, Any] = {"task": "verify", "data": _names(paths), "format": vd.format, "level": level,
                           "verifier": _name(verifier), "n_total": len(vd.examples)}
    out.update(_classification(gold, pred, conf))
    out["pairs"] = len(pairs)
    out["pairs_per_second"] = round(len(pairs) / spent, 1) if spent > 0 else None
    out["label_mapping"] = dict(sorted(vd.source_labels.items()))
    out["_items"] = [{"id": e.id, "claim": e.claim, "gold": g, "predicted": p, "confidence": round(c, 4),
                      "why": w} for e, g, p, c, w in zip(examples, gold, pred, conf, why)]
    out["_llm_inputs"] = {"claims": [e.claim for e in examples], "evidence": judged, "gold": gold,
                          "builtin": pred, "builtin_seconds": spent}
    return out


# -- open -----------------------------------------------------------------------------
def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", text.lower()).split())


def _cache_dir() -> Path:
    return cache_dir() / "eval"


def fever_pool(folder: Path) -> list[str]:
    """The distinct evidence *sentences* of every FEVER-shaped JSONL in ``folder`` (sorted, stable).

    FEVER's evidence strings join the Wikipedia sentences of all annotators, so the same
    sentence recurs in many strings; cutting them into sentences and de-duplicating gives
    a pool about five times smaller in text (≈40k units for train + dev) and keeps every
    gold sentence in it.  A retrieved sentence that lies inside a claim's gold evidence
    counts as found (see :func:`evidence_found`).
    """
    pool: set[str] = set()
    for f in sorted(folder.glob("*.jsonl")):
        try:
            vd = read_verify(f)
        except InputError:
            continue
        if vd.format != "fever-jsonl":
            continue
        seen: set[str] = set()
        for e in vd.examples:
            for unit in e.evidence:
                if unit and unit not in seen:
                    seen.add(unit)
                    pool.update(s.text.strip() for s in split_sentences(unit) if s.text.strip())
    return sorted(pool)


def open_hits(vd: VerifyData, claims: Sequence[str], *, k: int = 5, mode: str = "hybrid",
              corpus: str | os.PathLike[str] | None = None, embedder: Embedder | None = None,
              settings: Settings | None = None) -> list[list[Any]]:
    """The top ``k`` search hits for each claim from ``corpus`` (FEVER data: its own evidence pool)."""
    with _open_index(vd, corpus, settings or Settings(), embedder, False) as (index, _, _):
        return _search_all(index, claims, k, mode)


def _search_all(index: Retriever, queries: Sequence[str], k: int, mode: str, on_batch: Callable[[int], Any] | None = None
                ) -> list[list[Any]]:
    """``index.search_many`` over all queries, 64 at a time (``on_batch(n)`` after each batch)."""
    hits: list[list[Any]] = []
    for i in range(0, len(queries), 64):
        batch = list(queries[i:i + 64])
        hits += index.search_many(batch, k=k, mode=mode)
        if on_batch is not None:
            on_batch(len(batch))
    return hits


@contextmanager
def _open_index(vd: VerifyData, corpus: str | os.PathLike[str] | None, settings: Settings,
                embedder: Embedder | None, progress: bool
                ) -> Iterator[tuple[Retriever, Callable[[str], str], dict[str, Any]]]:
    """Yield ``(retriever, doc_text(document_id), info)`` for the corpus, building it as needed."""
    info: dict[str, Any] = {}
    if corpus is None:
        if vd.format != "fever-jsonl":
            raise InputError("open evaluation needs a corpus for this data",
                             hint="pass --corpus FOLDER or a passages JSONL ({\"id\"?, \"title\"?, \"text\"}); "
                                  "only FEVER-shaped data builds its own pool")
        texts = fever_pool(vd.path.parent)
        emb_name = embedder.name if embedder is not None else settings.embedder
        digest = hashlib.sha256("\x1e".join([CACHE_VERSION, emb_name, *texts]).encode("utf-8")).hexdigest()[:16]
        final = _cache_dir() / f"pool-{digest}.db"
        info.update(corpus=f"pool of {len(texts)} evidence sentences from {vd.path.parent}", corpus_cache=str(final))
        docs = [Document(text=t, kind="text") for t in texts]
        if not final.exists():
            final.parent.mkdir(parents=True, exist_ok=True)
            partial = final.with_suffix(f".partial-{os.getpid()}")
            for stale in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
                stale.unlink(missing_ok=True)
            store = Store.open(partial)
            try:
                with store.transaction():
                    for d in docs:
                        store.save_document(d, role="corpus")
                Pipeline.from_settings(settings, store=store, embedder=embedder).indexer.add_documents(
                    docs, progress=progress)
            finally:
                store.close()
            os.replace(partial, final)
            info["corpus_cache_built"] = True
        text_by_id = {d.id: d.text for d in docs}
        store = Store.open(final)
        try:
            pipe = Pipeline.from_settings(settings, store=store, embedder=embedder)
            if pipe.index_missing():  # built here, after the move: its indexes are named after the final file
                pipe.finish_index()
            yield pipe.retriever, lambda i: text_by_id.get(i, ""), info
        finally:
            store.close()
        return

    cpath = resolve_data(corpus)
    with tempfile.TemporaryDirectory(prefix="factdesk-eval-") as tmp:
        store = Store.open(Path(tmp) / "eval.db")
        try:
            pipe = Pipeline.from_settings(settings, store=store, embedder=embedder)
            if cpath.is_dir():
                stats = pipe.index_path(cpath, progress=progress)
                info.update(corpus=str(cpath), corpus_documents=stats.added, corpus_failed=len(stats.failed))
            else:
                docs = [d for _, d in read_corpus_jsonl(cpath)]
                with store.transaction():
                    for d in docs:
                        store.save_document(d, role="corpus")
                pipe.indexer.add_documents(docs, progress=progress)
                pipe.finish_index()  # a large corpus gets the tantivy and vector indexes `factdesk index` builds
                info.update(corpus=str(cpath), corpus_documents=len({d.id for d in docs}))
            texts: dict[str, str] = {}

            def doc_text(doc_id: str) -> str:
                if doc_id not in texts:
                    try:
                        texts[doc_id] = store.get_document(doc_id).text
                    except FactdeskError:
                        texts[doc_id] = ""
                return texts[doc_id]

            yield pipe.retriever, doc_text, info
        finally:
            store.close()


def evidence_found(gold_units: Sequence[str], passage_text: str, document_text: str) -> bool:
    """Is a gold evidence unit in this retrieved passage (or is the passage's document the unit)?

    Compared lower-cased with punctuation dropped: the unit equals the document, the unit lies
    inside the passage, or the passage (20+ characters) lies inside the unit.
    """
    p, d = _norm(passage_text), _norm(document_text)
    for unit in gold_units:
        u = _norm(unit)
        if u and (u == d or u in p or (len(p) >= 20 and p in u)):
            return True
    return False


def _run_open(paths: list[Path], limit: int | None, seed: int, verifier: Verifier, corpus: Any, settings: Settings,
              embedder: Embedder | None, k: int, mode: str, agg: AggregationSettings, progress: bool,
              batch_size: int) -> dict[str, Any]:
    vd = read_verify_many(paths)
    examples = stratified_sample(vd.examples, lambda e: e.label.value, limit, seed)
    with _open_index(vd, corpus, settings, embedder, progress) as (index, doc_text, info):
        t = time.perf_counter()
        queries = [e.claim for e in examples]
        bar = _bar(len(queries), "retrieving", progress, unit="claim")
        try:
            hits = _search_all(index, queries, k, mode, bar.update)
        finally:
            bar.close()
        retrieval_seconds = time.perf_counter() - t
        # per claim: was a gold evidence text among the top k (None: the claim has no gold evidence)
        gold_found: list[bool | None] = [
            any(evidence_found(e.evidence, h.passage.text, doc_text(h.passage.document_id)) for h in hs[:k])
            if e.label != Label.NOT_ENOUGH_EVIDENCE and e.evidence else None
            for e, hs in zip(examples, hits)]
        found = [f for f in gold_found if f is not None]
    pairs = [(e.claim, h.passage.text) for e, hs in zip(examples, hits) for h in hs]
    results, spent = _judge(verifier, pairs, progress, batch_size)
    it = iter(results)
    pred: list[str] = []
    conf: list[float] = []
    items: list[dict[str, Any]] = []
    judged: list[list[Evidence]] = []
    for e, hs, was_found in zip(examples, hits, gold_found):
        evidence = [unit_evidence(h.passage.document_id, h.passage.text, next(it), h.score, h.passage) for h in hs]
        judged.append(evidence)
        verdict = verdict_for(evidence, agg)
        pred.append(verdict.label.value)
        conf.append(float(verdict.confidence))
        items.append({"id": e.id, "claim": e.claim, "gold": e.label.value, "predicted": verdict.label.value,
                      "confidence": round(float(verdict.confidence), 4), "why": verdict.explanation,
                      "gold_evidence_retrieved": was_found,
                      "evidence": [{"document": ev.passage.document_id, "stance": ev.stance.value,
                                    "probabilities": {k2: round(v, 4) for k2, v in ev.probabilities.items()},
                                    "text": ev.passage.text} for ev in evidence]})
    gold = [e.label.value for e in examples]
    out: dict[str, Any] = {"task": "open", "data": _names(paths), "format": vd.format, "verifier": _name(verifier),
                           "retrieval_mode": mode, "k": k, "n_total": len(vd.examples)}
    out.update(info)
    out.update(_classification(gold, pred, conf))
    out[f"evidence_recall_at_{k}"] = sum(found) / len(found) if found else None
    out["claims_with_gold_evidence"] = len(found)
    out["pairs"] = len(pairs)
    out["pairs_per_second"] = round(len(pairs) / spent, 1) if spent > 0 else None
    out["retrieval_seconds"] = round(retrieval_seconds, 3)
    out["label_mapping"] = dict(sorted(vd.source_labels.items()))
    out["_items"] = items
    out["_llm_inputs"] = {"claims": [e.claim for e in examples], "evidence": judged, "gold": gold,
                          "builtin": pred, "builtin_seconds": spent + retrieval_seconds}
    return out


def _llm_side(client: Any, result: dict[str, Any], progress: bool) -> dict[str, Any]:
    """The LLM's verdict on every claim over the evidence the built-in verifier judged, scored."""
    inputs = result.get("_llm_inputs") or {}
    claims, gold, builtin = inputs.get("claims", []), inputs.get("gold", []), inputs.get("builtin", [])
    record = LLMRecord(model=str(getattr(client, "model", "?")), stages=("verdict",))
    judge = LLMJudge(client)
    pred: list[str] = []
    conf: list[float] = []
    started = time.perf_counter()
    bar = _bar(len(claims), "LLM verdicts", progress, unit="claim")
    try:
        for i, (text, evidence) in enumerate(zip(claims, inputs.get("evidence", []))):
            verdict = judge.run(Claim(text=text, start=0, end=len(text), checkworthiness=1.0, id=f"e{i}"),
                                evidence, None, record)
            pred.append(verdict.label.value if verdict is not None else builtin[i])
            conf.append(float(verdict.confidence) if verdict is not None else 0.0)
            bar.update(1)
    finally:
        bar.close()
    seconds = time.perf_counter() - started
    n = max(1, len(claims))
    total = record.total()
    out: dict[str, Any] = {"model": record.model, "prompts": dict(record.prompts)}
    out.update(_classification(gold, pred, conf))
    out["claims"] = len(claims)
    out["answered"] = sum(1 for c in record.claims.values() if c.verdict is not None)
    out["fallbacks"] = len(record.fallbacks)
    out["fallback_codes"] = sorted({f["code"] for f in record.fallbacks})
    out["seconds_per_claim"] = round(seconds / n, 3)
    out["builtin_seconds_per_claim"] = round(float(inputs.get("builtin_seconds", 0.0)) / n, 4)
    out["tokens_per_claim"] = round((total["prompt_tokens"] + total["completion_tokens"]) / n, 1)
    out["usage"] = total
    out["agreement_with_builtin"] = round(sum(p == b for p, b in zip(pred, builtin)) / n, 4)
    return out


# -- checkworthy ----------------------------------------------------------------------
def _run_checkworthy(paths: list[Path], limit: int | None, seed: int, scorer: Any, threshold: float, progress: bool,
                     batch_size: int) -> dict[str, Any]:
    all_examples = [e for p in paths for e in read_checkworthy(p)]
    examples = stratified_sample(all_examples, lambda e: e.checkworthy, limit, seed)
    texts = [e.text for e in examples]
    scores: list[float] = []
    spent = 0.0
    bar = _bar(len(texts), "scoring", progress, unit="sentence")
    try:
        step = max(1, batch_size * 4)
        for i in range(0, len(texts), step):
            t = time.perf_counter()
            batch = [float(s) for s in scorer.score(texts[i:i + step])]
            spent += time.perf_counter() - t
            if len(batch) != len(texts[i:i + step]):
                raise FactdeskError(f"scorer {_name(scorer)} returned {len(batch)} scores for "
                                    f"{len(texts[i:i + step])} sentences")
            scores += batch
            bar.update(len(batch))
    finally:
        bar.close()
    gold = [e.checkworthy for e in examples]
    pred = [s >= threshold for s in scores]
    out: dict[str, Any] = {"task": "checkworthy", "data": _names(paths), "scorer": _name(scorer),
                           "n_total": len(all_examples), "n": len(examples), "positives": sum(gold),
                           "threshold": threshold}
    out.update(M.binary_scores(gold, pred))
    out["average_precision"] = M.average_precision(gold, scores)
    files: dict[str, list[int]] = {}
    for i, e in enumerate(examples):
        files.setdefault(e.source, []).append(i)
    if len(files) > 1:
        # CheckThat!'s ranking measure for a folder of debates: AP within each file that has a
        # check-worthy sentence, averaged over those files
        aps = [M.average_precision([gold[i] for i in idx], [scores[i] for i in idx])
               for idx in files.values() if any(gold[i] for i in idx)]
        out["map_over_files"] = sum(aps) / len(aps) if aps else 0.0
        out["files"] = len(files)
    best_t, best_f = M.best_threshold(gold, scores)
    out["best_threshold"] = best_t
    out["best_f1"] = best_f
    out["best_threshold_note"] = "tuned on this data: an optimistic upper bound, not a held-out score"
    out["sentences_per_second"] = round(len(texts) / spent, 1) if spent > 0 else None
    tp = sum(1 for g, p in zip(gold, pred) if g and p)
    fp = sum(1 for g, p in zip(gold, pred) if not g and p)
    fn = sum(1 for g, p in zip(gold, pred) if g and not p)
    out["labels"] = ["yes", "no"]
    out["confusion"] = {"yes": {"yes": tp, "no": fn}, "no": {"yes": fp, "no": len(gold) - tp - fp - fn}}
    out["_items"] = [{"id": e.id, "text": e.text, "source": e.source, "gold": "yes" if g else "no",
                      "predicted": "yes" if p else "no", "score": round(sc, 4)}
                     for e, g, p, sc in zip(examples, gold, pred, scores)]
    return out


__all__ = ["TASKS", "run_eval", "evidence_found", "fever_pool", "VerifyExample"]
