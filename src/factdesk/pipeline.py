"""Runs factdesk's stages in order: ingest → claims → retrieve → verify → report.

With an LLM configured (``settings.llm_url`` and ``llm_model``; :mod:`factdesk.llm`), the stages
named in ``settings.llm_stages`` use it: claims → *decompose* → *questions* (extra retrieval
queries) → retrieve → verify → *verdict* → report.  Any LLM failure falls back, claim by claim,
to the built-in path, with the reason in the report; without an LLM nothing changes.

Each stage's failure is reported with the stage's name; bad input
(:class:`~factdesk.errors.InputError`) passes through unchanged so the user
sees what was wrong with the input itself.

The pipeline holds protocols only (:mod:`factdesk.protocols`); which implementation fills
each is a registered name in the settings (:mod:`factdesk.registry`).

Example::

    with Store.open("factdesk.db") as store:
        pipe = Pipeline.from_settings(load_settings(), store=store)
        stats = pipe.index_path("corpus/")
        report = pipe.check("article.html")      # the JSON report dict, saved in the store
        print(render(report, "markdown"))
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

from tqdm import tqdm

from factdesk import ingest, registry
from factdesk.ingest import records
from factdesk.ingest.records import RECORD_SUFFIXES, is_records_file
from factdesk.claims import extract_claims
from factdesk.context import find_omitted, planned_queries, provenance_for_claims
from factdesk.errors import FactdeskError, InputError, LLMError, StageError
from factdesk.llm.decompose import ClaimDecomposer
from factdesk.llm.judge import LLMJudge
from factdesk.llm.questions import QUESTION_WEIGHT, QuestionWriter, merge_hits
from factdesk.llm.record import CompletionClient, LLMRecord
from factdesk.match.matcher import ClaimMatcher
from factdesk.match.reviews import count_reviews
from factdesk.protocols import CheckworthinessScorer, Embedder, Indexer, Retriever, Store, Verifier
from factdesk.report import report_to_dict
from factdesk.retrieve.fusion import RRF_K, select_diverse
from factdesk.settings import Settings
from factdesk.sources import config as source_config
from factdesk.sources.run import SourcesRun
from factdesk.types import CheckedClaim, ClaimSet, Document, Evidence, Hit, IndexStats, Report, Stance
from factdesk.verify.aggregate import AggregationSettings, verdict_for
from factdesk.verify.calibration import aggregation_for
from factdesk.verify.focus import key_sentence

T = TypeVar("T")


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Name the stage in any unexpected failure; let user-facing errors through."""
    try:
        yield
    except FactdeskError:
        raise
    except Exception as exc:  # noqa: BLE001 - re-raised with the stage's name
        raise StageError(name, exc) from exc


# What "auto" means: the first registered name of each list. Only models that beat the
# baseline on the benchmarks in docs/benchmarks.md are listed ahead of it.
AUTO_PREFERENCE = {
    "verifier": ["cross-encoder", "baseline"],
    "checkworthiness": ["trained+heuristic", "heuristic"],
}


def resolve_name(kind: str, requested: str) -> str:
    if requested != "auto":
        return requested
    available = registry.names(kind)
    return next(name for name in AUTO_PREFERENCE[kind] if name in available or name == AUTO_PREFERENCE[kind][-1])


class Pipeline:
    """The whole check, over one store. Parts load on first use (or :meth:`warm_up`).

    Every part is a protocol from :mod:`factdesk.protocols`: handed over ready (tests, the web
    desk's shared embedder) or built by :mod:`factdesk.registry` from the name and options in
    ``settings``.  :meth:`from_settings` is the one way the faces (CLI, web desk, ``eval``, batch
    runs) build a pipeline.

    Example::

        with Store.open("factdesk.db") as store:
            pipe = Pipeline.from_settings(load_settings(verifier="baseline"), store=store)
            report = pipe.check("article.html")
    """

    def __init__(self, store: Store, settings: Settings | None = None, *, verifier: Verifier | None = None,
                 embedder: Embedder | None = None, scorer: CheckworthinessScorer | None = None,
                 retriever: Retriever | None = None, indexer: Indexer | None = None,
                 omitted_verifier: Verifier | None = None, llm: CompletionClient | None = None) -> None:
        self.store = store
        self.settings = settings or Settings()
        self._verifier = verifier
        self._embedder = embedder
        self._scorer = scorer
        self._retriever = retriever
        self._indexer = indexer
        self._omitted_verifier = omitted_verifier
        self._llm = llm
        self.last_sources: SourcesRun | None = None  # what the evidence sources did in the last gather_evidence

    @classmethod
    def from_settings(cls, settings: Settings | None = None, *, store: Store | None = None,
                      verifier: Verifier | None = None, embedder: Embedder | None = None,
                      scorer: CheckworthinessScorer | None = None, retriever: Retriever | None = None,
                      indexer: Indexer | None = None, llm: CompletionClient | None = None) -> "Pipeline":
        """A pipeline with the parts ``settings`` names; parts given here are used as they are.

        Every name is checked now, so a typo fails before any work.  Without ``store``, the
        registered store ``settings.store`` is opened with ``[store.options]`` (the caller closes
        it: ``pipe.store.close()``).  ``llm`` (a client, e.g. a test's fake) is used by the stages in
        ``settings.llm_stages`` as a configured LLM would be.
        """
        settings = settings or Settings()
        given = {"verifier": verifier, "checkworthiness": scorer, "embedder": embedder,
                 "retriever": retriever, "indexer": indexer, "store": store}
        for kind, part in given.items():
            if part is None and getattr(settings, kind) != "auto":
                registry.require(kind, getattr(settings, kind))
        if llm is None and settings.llm_configured:
            registry.require("llm", settings.llm)
        settings.llm_stage_list()  # an unknown stage name fails now, before any work
        source_config.entries(settings.sources)  # so does an unknown source kind
        if store is None:
            store = registry.create("store", settings.store, **settings.options_for("store"))
        return cls(store, settings, verifier=verifier, embedder=embedder, scorer=scorer, retriever=retriever,
                   indexer=indexer, llm=llm)

    # -- components (lazy) -----------------------------------------------------------
    def _create(self, kind: str, name: str, *, configured: bool = True) -> Any:
        """A registered part, given the shared parts its factory asks for.

        ``[kind.options]`` belong to the part the settings name for ``kind``; another part of the
        same kind (the omitted-context verifier) gets its factory's defaults.
        """
        options = self.settings.options_for(kind) if configured else {}
        return registry.create(kind, name, parts={"store": lambda: self.store, "embedder": lambda: self.embedder},
                               **options)

    @property
    def verifier(self) -> Verifier:
        if self._verifier is None:
            self._verifier = self._create("verifier", resolve_name("verifier", self.settings.verifier))
            self._verifier.warm_up()
        return self._verifier

    @property
    def omitted_verifier(self) -> Verifier:
        """The verifier that judges omitted-context candidates (``settings.omitted_verifier``)."""
        if self._omitted_verifier is None:
            self._omitted_verifier = self._create("verifier", self.settings.omitted_verifier, configured=False)
            self._omitted_verifier.warm_up()
        return self._omitted_verifier

    @property
    def scorer(self) -> CheckworthinessScorer:
        if self._scorer is None:
            self._scorer = self._create("checkworthiness", resolve_name("checkworthiness", self.settings.checkworthiness))
            self._scorer.warm_up()
        return self._scorer

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = self._create("embedder", self.settings.embedder)
            self._embedder.warm_up()
        return self._embedder

    @property
    def retriever(self) -> Retriever:
        if self._retriever is None:
            self._retriever = self._create("retriever", self.settings.retriever)
        return self._retriever

    @property
    def indexer(self) -> Indexer:
        if self._indexer is None:
            self._indexer = self._create("indexer", self.settings.indexer)
        return self._indexer

    @property
    def llm(self) -> CompletionClient | None:
        """The LLM client (``settings.llm`` with ``[llm.options]``), or None when no LLM is configured."""
        if self._llm is None and self.settings.llm_configured:
            self._llm = registry.create("llm", self.settings.llm, parts={"store": lambda: self.store},
                                        base_url=self.settings.llm_url, model=self.settings.llm_model,
                                        **self.settings.options_for("llm"))
        return self._llm

    @property
    def llm_stages(self) -> tuple[str, ...]:
        """The stages that use the LLM in this pipeline (none without one)."""
        if self._llm is None and not self.settings.llm_configured:
            return ()
        return self.settings.llm_stage_list()

    def llm_record(self) -> LLMRecord | None:
        """A fresh record for one check's LLM work, after checking the server answers (None: no LLM).

        An unreachable server is not an error: every LLM step of the check falls back to the
        built-in path, and the report says why.
        """
        stages = self.llm_stages
        client = self.llm if stages else None
        if client is None:
            return None
        record = LLMRecord(model=str(getattr(client, "model", "") or self.settings.llm_model or "?"), stages=stages)
        try:
            warm_up = getattr(client, "warm_up", None)
            if warm_up is not None:
                warm_up()
        except LLMError as exc:
            record.fallback("connect", None, exc)
            record.skip_reason = f"skipped: the LLM server could not be used ({exc.code}: {exc})"
        return record

    @property
    def index(self) -> Retriever:
        """The retriever (its name before retrieval and index writing were separate parts)."""
        return self.retriever

    def warm_up(self) -> None:
        """Load every model now (the web desk does this once at start-up)."""
        _ = self.verifier, self.scorer, self.retriever, self.indexer

    # -- ingest --------------------------------------------------------------------
    def load(self, source: str | Path | Document) -> Document:
        if isinstance(source, Document):
            return source
        with stage("ingest"):
            return ingest.load(source, allow_private=self.settings.allow_private,
                               timeout=self.settings.fetch_timeout, max_bytes=self.settings.max_bytes)

    # -- index ---------------------------------------------------------------------
    def index_path(self, path: str | Path, *, prune: bool = False, progress: bool = False,
                   chunk: int = 16) -> IndexStats:
        """Index a file or folder: new and changed files are (re)indexed, unchanged ones skipped.

        Work is committed chunk by chunk, so an interrupted run keeps what it finished and a
        re-run resumes.  With ``prune``, documents whose files are gone from ``path`` are removed.
        Folders are walked as a stream and each file is looked up on its own, so memory stays
        bounded for folders of millions of files (``prune`` keeps the set of paths seen).
        A JSON Lines or Parquet file of passages goes to :meth:`index_records`.
        """
        if is_records_file(path) and Path(path).expanduser().is_file():
            return self.index_records(path, progress=progress)
        started = time.perf_counter()
        root = Path(path).expanduser()
        if not root.exists():
            raise InputError(f"no such file or folder: {path}")
        unreadable: list[tuple[str, str]] = []
        files = ingest.iter_files(root, unreadable=unreadable) if root.is_dir() else iter([root])
        stats = IndexStats()
        present: set[str] = set()
        seen = 0
        bar = _progress(None if root.is_dir() else 1, "indexing", progress)
        pending: list[tuple[str, str, Document, str | None]] = []
        try:
            for f in files:
                seen += 1
                key = str(f.resolve())
                if prune:
                    present.add(key)
                try:
                    digest = ingest.file_sha256(f)
                    known = self.store.file_record(key)
                    if known is not None and known[0] == digest:
                        stats.unchanged += 1
                        bar.update(1)
                        continue
                    doc = ingest.load_file(f, max_bytes=self.settings.max_bytes)
                except InputError as exc:
                    stats.failed.append((str(f), exc.message))
                    bar.update(1)
                    continue
                pending.append((key, digest, doc, known[1] if known else None))
                if len(pending) >= chunk:
                    self._commit_chunk(pending, stats)
                    bar.update(len(pending))
                    pending = []
            if pending:
                self._commit_chunk(pending, stats)
                bar.update(len(pending))
        finally:
            bar.close()
        stats.failed[:0] = unreadable
        if root.is_dir() and seen == 0:
            raise InputError(f"no supported files in {path}",
                             hint=f"factdesk reads {', '.join(sorted(ingest.SUPPORTED_SUFFIXES | RECORD_SUFFIXES))}")
        if prune and root.is_dir():
            prefix = str(root.resolve())
            gone = {p: d for p, d in self.store.indexed_files(prefix).items() if p not in present}
            orphans = [d for d in self.store.unfiled_corpus_documents(prefix) if d not in gone.values()]
            with self.store.transaction():
                for doc_id in [*gone.values(), *orphans]:
                    self.store.remove_document(doc_id)
            stats.removed = len(gone) + len(orphans)
        if stats.added or stats.updated or stats.removed or self.index_missing():
            self.finish_index()
        stats.seconds = time.perf_counter() - started
        return stats

    def index_missing(self) -> bool:
        """Whether the indexer says an index it keeps beside the store is missing (see ``needs_finish``)."""
        needs = getattr(self.indexer, "needs_finish", None)
        return bool(needs is not None and needs())

    def index_records(self, path: str | Path, *, progress: bool = False, chunk: int = 512,
                      limit: int | None = None) -> IndexStats:
        """Index a JSON Lines or Parquet file of passages (one record a document) as a stream.

        Memory holds one chunk of records (512: one embedding call over all of their passages, which
        batches them by length; see :class:`factdesk.retrieve.SqliteIndexer`).  Each chunk is committed with a checkpoint (the file's
        fingerprint, records done, the position reached) in the same transaction, so a killed run
        resumes where it stopped and a finished file is skipped on the next run; a file that changed
        since is read again from the start (documents with an ``id`` are replaced, not copied).
        ``stats.added`` counts records indexed in this run, ``unchanged`` those a checkpoint skipped.
        """
        started = time.perf_counter()
        src = Path(path).expanduser()
        if not src.is_file():
            raise InputError(f"no such file: {path}")
        key = f"records://{src.resolve()}"
        mark = records.fingerprint(src)
        start, done, finished = 0, 0, False
        saved = self.store.file_hash(key)
        if saved:
            parts = saved.split(":")
            if len(parts) == 4 and parts[0] == mark:
                done, start, finished = int(parts[1]), int(parts[2]), parts[3] == "done"
        stats = IndexStats(unchanged=done)
        if finished:
            stats.seconds = time.perf_counter() - started
            return stats
        bar = tqdm(unit="rec", desc="indexing", initial=done, disable=not progress, leave=False)
        pending: list[Document] = []
        position = start

        def commit(final: bool) -> None:
            nonlocal done
            with stage("retrieve"), self.store.transaction():
                for doc in pending:
                    self.store.save_document(doc, role="corpus")
                if pending:
                    stats.passages += self.indexer.add_documents(list(pending))
                done += len(pending)
                stats.added += len(pending)
                self.store.record_file(key, f"{mark}:{done}:{position}:{'done' if final else 'part'}", "")
            bar.update(len(pending))
            pending.clear()

        try:
            for _pos, nxt, item in records.iter_records(src, start):
                position = nxt
                if isinstance(item, str):
                    stats.failed.append((f"{src}@{_pos}", item))
                    continue
                pending.append(item)
                if len(pending) >= chunk:
                    commit(final=False)
                if limit is not None and stats.added + len(pending) >= limit:
                    break
            else:
                commit(final=True)
            if pending:
                commit(final=False)
        finally:
            bar.close()
        if stats.added or self.index_missing():
            self.finish_index()
        stats.seconds = time.perf_counter() - started
        return stats

    def index_zim(self, path: str | Path, *, limit: int | None = None, progress: bool = False,
                  chunk: int = 32) -> Any:
        """Index the HTML articles of a Kiwix ZIM file (extra ``zim``); re-runs skip what is done.

        Chunked transactions with a checkpoint, so a killed run resumes; ``limit`` stops after that
        many articles.  Returns :class:`factdesk.sources.zim.ZimIndexStats` (see docs/zim.md).
        """
        from factdesk.sources.zim import index_zim  # libzim itself is imported only when a ZIM is opened

        with stage("retrieve"):
            stats = index_zim(self.store, self.indexer, path, limit=limit, progress=progress, chunk=chunk,
                              max_bytes=self.settings.max_bytes)
        if stats.added or stats.updated or self.index_missing():
            self.finish_index()
        return stats

    def _commit_chunk(self, pending: list[tuple[str, str, Document, str | None]], stats: IndexStats) -> None:
        # one transaction per chunk: documents, their passages and their file records land together, so a
        # killed run leaves no document without passages that a re-run or --prune would not see
        with stage("retrieve"), self.store.transaction():
            for _key, _digest, doc, old_id in pending:
                if old_id and old_id != doc.id:
                    self.store.remove_document(old_id)
                self.store.save_document(doc, role="corpus")
            stats.passages += self.indexer.add_documents([doc for _, _, doc, _ in pending])
            for key, digest, doc, old_id in pending:
                self.store.record_file(key, digest, doc.id)
                if old_id:
                    stats.updated += 1
                else:
                    stats.added += 1

    # -- claims --------------------------------------------------------------------
    def extract(self, source: str | Path | Document) -> tuple[Document, ClaimSet]:
        doc = self.load(source)
        with stage("claims"):
            claim_set = extract_claims(doc, scorer=self.scorer, threshold=self.settings.threshold,
                                       max_claims=self.settings.claim_cap())
        return doc, claim_set

    # -- check ---------------------------------------------------------------------
    def check(self, source: str | Path | Document, *, save: bool = True,
              sources: list[str | Path | Document] | None = None,
              on_progress: Callable[[str, float], None] | None = None) -> dict[str, Any]:
        """Check an article claim by claim; returns (and stores) the JSON report.

        ``sources`` are texts the article quotes or rebuts (files, URLs, stored document ids);
        without them, quote provenance looks for stored documents by the quoted author or title.
        """
        notify = on_progress or (lambda _stage, _fraction: None)
        notify("ingest", 0.0)
        record = self.llm_record()
        doc, claim_set = self.extract(source)
        if record is not None and "decompose" in record.stages:
            notify("decompose", 0.1)
            with stage("decompose"):
                claim_set = ClaimDecomposer(self.llm, max_claims=self.settings.claim_cap() or len(claim_set.claims)).run(doc, claim_set, record)  # type: ignore[arg-type]
        source_docs = [self.load_source(s) for s in sources or []]
        notify("retrieve", 0.2)
        self.prepare_retrieval(doc, claim_set)
        self.last_sources = None
        # without an LLM, the call an overriding subclass (or a test's patch) has always received
        checked = (self.gather_evidence(doc, claim_set, record=record) if record is not None
                   else self.gather_evidence(doc, claim_set))
        notify("verify", 0.5)
        self.judge(checked)
        if record is not None and "verdict" in record.stages:
            notify("verdict", 0.6)
            self.llm_judge(doc, checked, record)
        notify("context", 0.75)
        quotes, matches, omitted = self.context(doc, checked, source_docs)
        notify("report", 0.9)
        with stage("report"):
            report = Report(article=doc, claims=checked, timeline=claim_set.timeline,
                            created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                            verifier=self.verifier.name, left_out=claim_set.left_out)
            data = report_to_dict(report, quotes=quotes, matches=matches, omitted=omitted,
                                  llm=record.to_report() if record is not None else None,
                                  llm_claims={cid: c.to_dict() for cid, c in record.claims.items()}
                                  if record is not None else None,
                                  sources=self.last_sources.to_report() if self.last_sources is not None else None)
        if save:
            with stage("store"):
                with self.store.transaction():
                    self.store.save_document(doc, role="article")
                self.store.save_report(data)
        notify("done", 1.0)
        return data

    def load_source(self, source: str | Path | Document) -> Document:
        """A quoted/rebutted source: a Document, a stored document id, a file or a URL."""
        if isinstance(source, str) and not Path(source).exists():
            try:
                return self.store.get_document(source)
            except FactdeskError:
                pass
        return self.load(source)

    def prepare_retrieval(self, doc: Document, claim_set: ClaimSet) -> None:
        """Hand the retriever every text this check will search for (claims, quoted words, omitted
        context's queries), so one embedding call serves them all (a retriever without
        ``prepare_queries`` embeds as it searches)."""
        prepare = getattr(self.retriever, "prepare_queries", None)
        if prepare is None or not claim_set.claims or self.settings.retrieval_mode == "lexical":
            return
        with stage("retrieve"):
            prepare([c.to_check for c in claim_set.claims] + planned_queries(doc, claim_set.claims))

    def finish_index(self) -> None:
        """After writing passages: let the indexer bring what it keeps beside the store up to date
        (the SQLite indexer's vector index for large stores; see factdesk.retrieve.ann)."""
        finish = getattr(self.indexer, "finish", None)
        if finish is not None:
            with stage("retrieve"):
                finish()

    def context(self, doc: Document, checked: list[CheckedClaim],
                sources: list[Document]) -> tuple[dict[str, Any], dict[str, Any], list[Any]]:
        """Quote provenance, earlier fact-checks and omitted context for a judged article."""
        with stage("context"):
            quotes = provenance_for_claims(checked, doc, sources=sources or None, store=self.store,
                                           index=self.retriever)
            matches = self.match_reviews(checked)
            omitted = find_omitted(doc, checked, self.retriever, self.omitted_verifier,
                                   limit=self.settings.max_omitted)
        return quotes, matches, omitted

    def match_reviews(self, checked: list[CheckedClaim]) -> dict[str, Any]:
        """Earlier fact-checks for each claim, from imported ClaimReview records (if any)."""
        if not checked or count_reviews(self.store) == 0:
            return {}
        matcher = ClaimMatcher(self.store, self.embedder)
        found = matcher.match_many([cc.claim.to_check for cc in checked], k=3)
        return {cc.claim.id: [m.to_dict() for m in ms] for cc, ms in zip(checked, found) if ms}

    def gather_evidence(self, doc: Document, claim_set: ClaimSet, *, record: LLMRecord | None = None
                        ) -> list[CheckedClaim]:
        """The top passages for each claim; with the LLM's questions stage, its questions search too."""
        claims = claim_set.claims
        questions: list[list[str]] = [[] for _ in claims]
        if record is not None and "questions" in record.stages and claims:
            with stage("questions"):
                writer = QuestionWriter(self.llm)  # type: ignore[arg-type]
                questions = [writer.run(c, doc.published, record) for c in claims]
        with stage("retrieve"):
            queries = [c.to_check for c in claims]
            extra = [q for qs in questions for q in qs]
            all_hits = self.retriever.search_many(
                queries + extra, k=self.settings.top_k, mode=self.settings.retrieval_mode, before=doc.published,
                exclude_documents={doc.id}, max_per_document=self.settings.max_per_document) if queries else []
            if extra:
                rest = iter(all_hits[len(queries):])
                all_hits = [merge_hits(own, [next(rest) for _ in qs], k=self.settings.top_k,
                                       max_per_document=self.settings.max_per_document) if qs else own
                            for own, qs in zip(all_hits[:len(queries)], questions)]
        if claims:
            with stage("sources"):
                run = self.sources_run()
                if run is not None:
                    self.last_sources = run
                    run.prefetch([c.to_check for c in claims] + [q for qs in questions for q in qs],
                                 before=doc.published)
                    all_hits = [self._with_source_hits(run, c, own, qs, doc.published)
                                for c, own, qs in zip(claims, all_hits, questions)]
        return [CheckedClaim(claim=c, evidence=[Evidence(passage=h.passage, score=h.score,
                                                          after_claim_date=h.after_claim_date,
                                                          provenance=h.provenance) for h in hits])
                for c, hits in zip(claims, all_hits)]

    # -- outside evidence sources ----------------------------------------------------------
    def source_entries(self) -> list[source_config.SourceEntry]:
        """The sources a check uses: the store's (``factdesk sources add``), then the settings' (``--source``)."""
        return source_config.entries(source_config.stored_entries(self.store), self.settings.sources)

    def create_source(self, entry: source_config.SourceEntry) -> Any:
        """Build one source; the check's own settings (private addresses, fetch caps, refresh) go to
        factories that take them, and a source's options cannot turn the private-address guard off."""
        factory = registry.require("source", entry.kind).load()
        params = inspect.signature(factory).parameters
        takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        fetch = {"fetch_timeout": self.settings.fetch_timeout, "max_bytes": min(self.settings.max_bytes, 10_000_000)}
        forced = {"name": entry.name, "allow_private": self.settings.allow_private,
                  "refresh": self.settings.refresh_sources}
        options = {k: v for k, v in fetch.items() if takes_any or k in params}
        options.update(entry.options)
        options.update({k: v for k, v in forced.items() if takes_any or k in params})
        return registry.create("source", entry.kind, parts={"store": lambda: self.store,
                                                            "embedder": lambda: self.embedder}, **options)

    def sources_run(self) -> SourcesRun | None:
        """This check's sources, built and started (None when none is configured: nothing leaves the machine).

        Built afresh for each check, so each source's per-run query budget starts at zero; one that cannot be
        built or started is skipped for the whole check, with the reason in the report.
        """
        entries = self.source_entries()
        if not entries:
            return None
        built: list[tuple[source_config.SourceEntry, Any]] = []
        failed: list[tuple[source_config.SourceEntry, Exception]] = []
        for entry in entries:
            try:
                built.append((entry, self.create_source(entry)))
            except Exception as exc:  # noqa: BLE001 - a bad option (TypeError …) skips the source, not the check
                failed.append((entry, exc))
        run = SourcesRun(built)
        for entry, exc in failed:
            run.disable(entry, exc)
        run.warm_up()
        return run

    def _with_source_hits(self, run: SourcesRun, claim: Any, own: list[Hit], questions: list[str],
                          before: str | None) -> list[Hit]:
        """The claim's local hits fused with each source's hits for the claim (and its questions).

        Reciprocal-rank fusion over every list (a question's lists weigh ``QUESTION_WEIGHT``), evidence
        dated after the claim after the rest, then ``max_per_document`` and ``top_k`` as local retrieval
        applies them.  Each hit keeps its provenance.
        """
        k = self.settings.top_k
        lists: list[tuple[float, list[Hit]]] = [(1.0, own)]
        lists += [(1.0, hits) for hits in run.search(claim.id, claim.to_check, k=k, before=before)]
        for q in questions:
            lists += [(QUESTION_WEIGHT, hits) for hits in run.search(claim.id, q, k=k, before=before)]
        fused: dict[str, float] = {}
        best: dict[str, Hit] = {}
        for weight, hits in lists:
            for rank, hit in enumerate(hits, 1):
                pid = hit.passage.id
                fused[pid] = fused.get(pid, 0.0) + weight / (RRF_K + rank)
                if pid not in best:
                    best[pid] = hit
                elif hit.after_claim_date:
                    best[pid].after_claim_date = True
        order = sorted(fused, key=lambda pid: (best[pid].after_claim_date, -fused[pid], pid))
        chosen = select_diverse([fused[p] for p in order], [best[p].passage.document_id for p in order], k,
                                max_per_document=self.settings.max_per_document)
        out = []
        for i in chosen:
            hit = best[order[i]]
            out.append(Hit(passage=hit.passage, score=fused[order[i]], lexical_rank=hit.lexical_rank,
                           dense_rank=hit.dense_rank, dense_similarity=hit.dense_similarity,
                           after_claim_date=hit.after_claim_date, provenance=hit.provenance))
        return out

    def aggregation_settings(self) -> AggregationSettings:
        """The verifier's calibrated aggregation (the user's or the shipped one), with the user's threshold on top."""
        return aggregation_for(self.verifier.name, self.settings.stance_threshold,
                               user_dir=self.settings.writable_dir())[0]

    def judge(self, checked: list[CheckedClaim]) -> None:
        with stage("verify"):
            pairs = [(cc.claim.to_check, ev.passage.text) for cc in checked for ev in cc.evidence]
            results = self.verifier.stances(pairs) if pairs else []
            it = iter(results)
            agg = self.aggregation_settings()
            for cc in checked:
                for ev in cc.evidence:
                    r = next(it)
                    ev.probabilities = dict(r.probabilities)
                    ev.stance = Stance(r.stance)
                    ev.stance_probability = r.probability
                    # where the verifier read only part of a long passage it names the sentence;
                    # otherwise the sentence sharing most with the claim points the reader to it
                    ev.key_sentence = r.key_sentence or key_sentence(cc.claim.to_check, ev.passage.text)
                cc.verdict = verdict_for(cc.evidence, agg)

    def llm_judge(self, doc: Document, checked: list[CheckedClaim], record: LLMRecord) -> None:
        """The LLM's verdict replaces the built-in one where it gives one; the built-in verdict stays in the record."""
        with stage("verdict"):
            judge = LLMJudge(self.llm)  # type: ignore[arg-type]
            for cc in checked:
                verdict = judge.run(cc.claim, cc.evidence, doc.published, record, builtin=cc.verdict)
                if verdict is not None:
                    cc.verdict = verdict


def _progress(total: int | None, desc: str, enabled: bool) -> Any:
    return tqdm(total=total, desc=desc, unit="file", disable=not enabled, leave=False)
