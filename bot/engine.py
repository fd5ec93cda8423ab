"""The question-answering core as one object: index, retrieval, answers, reindex.

`ArticleQA` is what the CLI and the Discord client hold. Queries read the
current snapshot through one reference; a reindex builds the next snapshot
on the side and swaps that reference, so answering never stops.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from bot.answering import NOT_IN_ARTICLE, Answerer, ConfidenceModel, ReadSentence, ScoredSentence
from bot.answering.compose import other_language_abstention
from bot.answering.confidence import article_coverages
from bot.answering.metadata import (
    fits_field,
    metadata_answer,
    metadata_field,
    metadata_overview,
    refers_by_pronoun,
    strip_metadata_words,
)
from bot.answering.question import Question
from bot.answering.reader import Reader
from bot.articles import in_other_language
from bot.chunking import ChunkingConfig
from bot.corpus import CorpusFolder
from bot.embedding import Embedder
from bot.errors import (
    IndexUnusableError,
    QuestionError,
    StorageError,
)
from bot.index import IndexSnapshot, IndexStore, ProgressCallback, ReindexReport, VectorOptions
from bot.models import Answer, ArticleRecord, Citation
from bot.retrieval import HybridRetriever, normalize_question, tokenize
from bot.settings import CoreSettings

log = logging.getLogger(__name__)

# Without a reader (tests with a fake embedder), the threshold of the similarity
# confidence: the highest that keeps the answerable hit rate at 0.80 or more on
# the development split of the SQuAD 2.0 benchmark (see CONFIDENCE_WEIGHTS in
# bot/answering/confidence.py). With the shipped reader, the default is the threshold
# recorded in its card (bot/artifacts/reader/card.json, tools/fit_confidence.py).
SIMILARITY_ABSTAIN_THRESHOLD = 0.15
# A question worded as one about the article itself ("on what site", "when was it published")
# is answered from the article's text instead of its metadata only when that answer's
# confidence reaches this: more likely right than not. Not tuned: the reading of a chance.
TEXT_OVER_METADATA = 0.5

NO_ARTICLES = (
    "there are no articles to answer from yet: an operator can add one "
    "(`python -m bot add FILE|URL`, or /article add in Discord)"
)


def check_question(question: str, max_chars: int) -> str:
    """The question, cleaned; QuestionError if it cannot be asked."""
    cleaned = normalize_question(question)
    if not cleaned:
        raise QuestionError("the question is empty")
    if len(cleaned) > max_chars:
        raise QuestionError(f"the question is {len(cleaned):,} characters; the limit is {max_chars:,}")
    if not any(ch.isalnum() for ch in cleaned):
        raise QuestionError("the question has no words in it")
    return cleaned


def follow_up_context(question: str, answer: Answer) -> str:
    """What a follow-up is read with: the earlier question and the gist of its answer
    (the exact answer, else the first quoted sentence; nothing when it abstained)."""
    if answer.abstained:
        return question
    if answer.short is not None:
        return f"{question} {answer.short.text}"
    first = answer.citations[0].text if answer.citations else ""
    return f"{question} {first}".strip()


def same_reply(one: Answer, other: Answer) -> bool:
    """Whether two answers say the same: both abstain, or both lead with the same exact
    answer (or none) and quote the same first sentence."""
    if one.abstained or other.abstained:
        return one.abstained and other.abstained
    first = (one.citations[0].article, one.citations[0].start) if one.citations else None
    second = (other.citations[0].article, other.citations[0].start) if other.citations else None
    short = one.short.text if one.short is not None else None
    other_short = other.short.text if other.short is not None else None
    return first == second and short == other_short


@dataclass(frozen=True)
class _Live:
    snapshot: IndexSnapshot
    answerer: Answerer


class ArticleQA:
    """The core: index, retrieval, reader and answers, and the reindex that follows corpus changes.

    `settings`: folders and limits (`Settings.core`; no token). `reader`: the trained
    reader (bot/answering/reader.py) and the confidence model fitted on top of it; None answers
    with the similarity confidence alone (tests with a fake embedder use that).
    `vector_options`: when the FAISS index turns approximate (the default's limits unless given).
    `corpus`: the corpus folder's files (adding and removing articles; a reindex picks them up).
    """

    def __init__(
        self,
        settings: CoreSettings,
        embedder: Embedder,
        chunking: ChunkingConfig | None = None,
        reader: Reader | None = None,
        confidence: ConfidenceModel | None = None,
        vector_options: VectorOptions | None = None,
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.reader = reader
        self.confidence = confidence
        if settings.abstain_threshold is not None:
            self.threshold = settings.abstain_threshold
        elif reader is not None and confidence is not None:
            self.threshold = confidence.threshold
        else:
            self.threshold = SIMILARITY_ABSTAIN_THRESHOLD
        self.store = IndexStore(
            settings.index_dir, embedder, chunking, settings.max_article_bytes, vector_options=vector_options
        )
        self.corpus = CorpusFolder(settings)
        self._live: _Live | None = None
        self._reindex_lock = threading.Lock()
        self.started = time.time()
        self.questions_answered = 0
        self.last_reindex: ReindexReport | None = None

    # ---- index lifecycle ---------------------------------------------------------------

    def open(self, progress: ProgressCallback | None = None) -> ReindexReport | None:
        """Load the index, building or updating it first when it is missing or stale.

        When the update cannot be written (a full disk) but the previous index is
        sound, that index is served and the failure logged.
        """
        corpus = self.settings.corpus_dir
        try:
            snapshot: IndexSnapshot | None = self.store.load()
        except IndexUnusableError:
            snapshot = None  # none yet, or unusable: the store's reindex says which
        if snapshot is not None:
            reason = self.store.corpus_changed(corpus, snapshot)
            if not reason:
                self._swap(snapshot)
                return None
            log.info("updating the index of %s: %s", corpus.resolve(), reason)
        elif self.store.current_version() is None:
            log.info("building the index of %s (the first run)", corpus.resolve())
        try:
            return self.reindex(progress)
        except StorageError as exc:
            try:
                previous = self.store.load()
            except IndexUnusableError:
                raise exc from None
            log.error("%s; answering from it until a reindex succeeds", exc)
            self._swap(previous)
            return None

    def open_readonly(self) -> None:
        """Load the index as it is (for processes that share a read-only index)."""
        self._swap(self.store.load())

    def reindex(self, progress: ProgressCallback | None = None, full: bool = False) -> ReindexReport:
        """Incremental reindex; the old snapshot keeps answering until the swap."""
        with self._reindex_lock:
            live = self._live
            current = live.snapshot if live is not None else None
            report = self.store.reindex(self.settings.corpus_dir, progress, full, current=current)
            # Swap whenever the live version is not the newest, also when another
            # process wrote that version and this reindex found nothing to do.
            if report.snapshot is not None:
                if current is None or report.snapshot is not current:
                    self._swap(report.snapshot)
            elif current is None or current.path != self.store.current_version():
                self._swap(self.store.load())
            self.last_reindex = report
            return report

    def _swap(self, snapshot: IndexSnapshot) -> None:
        # The retriever of the snapshot being replaced lends what it can: the
        # tokens of unchanged articles, and its BM25 indexes when rows were only added.
        previous = self._live.answerer.retriever if self._live is not None else None
        retriever = HybridRetriever(snapshot, previous)
        self._live = _Live(snapshot, Answerer(retriever, self.reader, self.confidence))

    @property
    def snapshot(self) -> IndexSnapshot:
        if self._live is None:
            raise IndexUnusableError("the index is not loaded")
        return self._live.snapshot

    @property
    def retriever(self) -> HybridRetriever:
        if self._live is None:
            raise IndexUnusableError("the index is not loaded")
        return self._live.answerer.retriever

    # ---- questions ---------------------------------------------------------------------

    def ask(
        self,
        question: str,
        article: str | None = None,
        context: str = "",
        context_optional: bool = False,
        *,
        again: bool = False,
        context_article: str | None = None,
    ) -> Answer:
        """Answer `question`, from `article` alone when given (QuestionError if unknown).

        `context`: the earlier question and answer a follow-up is read with (see
        follow_up_context), in retrieval, the reader and the confidence. With
        `context_optional` (a question that may or may not follow up, such as the
        next question of the same person), it is answered both with and without
        the context, and the more confident answer is kept; the one without when
        both say the same (same_reply), so a question that stands on its own is not
        reported as read with the one before.
        `again`: the same question asked a second time (of other articles), not counted
        again in `questions_answered`.
        `context_article`: the article the earlier answer came from. A question about an
        article itself that names no topic ("who wrote this", "link?") read with the
        context means that article, and is then not read alone (where it would mean the
        newest article).
        Raises QuestionError for an empty or too long question or an empty index, IndexUnusableError before
        the index is loaded.
        """
        meant = self._conversation_article(question, context_article) if context else None
        answer = self._ask(question, article, context, meant)
        if context and context_optional and meant is None:
            alone = self._ask(question, article, "")
            if alone.confidence >= answer.confidence or same_reply(alone, answer):
                answer = alone
        if not again:
            self.questions_answered += 1
        return self._labelled(answer)

    def holds_most_of(self, question: str, article: str) -> bool:
        """Whether `article` holds as large an idf share of `question`'s words (as read:
        see _expanded) as any other indexed article; False when it is not indexed. For a
        question about an article itself, whether it names no other article (_named_article,
        which reads titles too: "what outlet ran the mars story" names the article titled
        "Mars rover …"). Raises IndexUnusableError before the index is loaded."""
        expanded, live = self._as_read(question)
        position = live.snapshot.position(article)
        if position is None:
            return False
        if metadata_field(question) is not None:
            named = self._named_article(question, live)
            return named is None or named.id == article
        retriever = live.answerer.retriever
        shares = article_coverages(retriever, Question.analyse(expanded, retriever))
        return bool(shares[position] >= shares.max() - 1e-9)

    def _labelled(self, answer: Answer) -> Answer:
        """The answer with each citation naming its article so look-alikes are told apart."""
        live = self._live
        if live is None:
            return answer
        labels = live.snapshot.labels
        return replace(
            answer,
            citations=tuple(replace(c, label=labels.get(c.article, c.title)) for c in answer.citations),
            related=tuple(replace(c, label=labels.get(c.article, c.title)) for c in answer.related),
        )

    def _conversation_article(self, question: str, context_article: str | None) -> str | None:
        """`context_article` when `question` asks about "this" article (metadata, no article
        named: see _named_article) and that article is indexed; else None."""
        live = self._live
        if context_article is None or live is None or live.snapshot.article(context_article) is None:
            return None
        if metadata_field(question) is None or self._named_article(question, live) is not None:
            return None
        return context_article

    def _named_article(self, question: str, live: _Live) -> ArticleRecord | None:
        """The article a question about an article itself names with its other words ("who
        wrote the panda story"): the one article holding the largest idf share of them in
        its text (confidence.article_coverages) or its title. None when they are none ("who
        wrote this"), or when no article holds any of them or two hold as much ("who wrote
        this lol", "who wrote this one"): nothing there tells which article is meant."""
        topic = strip_metadata_words(question)
        if not topic:
            return None
        retriever = live.answerer.retriever
        q = Question.analyse(self._expanded(topic, live), retriever)
        total = sum(q.weights.values()) or 1.0
        titles = np.array(
            [
                sum(q.weights.get(t, 0.0) for t in set(tokenize([r.title], r.language)[0])) / total
                for r in live.snapshot.articles
            ]
        )
        shares = np.maximum(article_coverages(retriever, q), titles)
        best = float(shares.max()) if len(shares) else 0.0
        if best <= 0.0 or int((shares >= best - 1e-9).sum()) > 1:
            return None
        return live.snapshot.articles[int(shares.argmax())]

    def _ask(self, question: str, article: str | None, context: str, meant: str | None = None) -> Answer:
        """`meant`: the article a question about "this" article means (_conversation_article)."""
        cleaned = check_question(question, self.settings.max_question_chars)
        live = self._live
        if live is None:
            raise IndexUnusableError("the index is not loaded")
        if not live.snapshot.articles:
            raise QuestionError(NO_ARTICLES)
        article_ids = None
        if article:
            if live.snapshot.article(article) is None:
                raise QuestionError(f"no article {article!r} in the index")
            article_ids = {article}
        field = metadata_field(cleaned)
        if field is None:
            return self._answer_from_text(cleaned, live, article_ids, context)
        named = self._named_article(cleaned, live) if article_ids is None else None
        record = named or self._article_meant(cleaned, live, article_ids, context, meant)
        if record is None and not context:  # "who wrote this", first thing: which one?
            return metadata_overview(cleaned, field, live.snapshot.newest_first())
        if record is None:
            return Answer(cleaned, NOT_IN_ARTICLE, True, 0.0)
        answer = metadata_answer(cleaned, field, record)
        if answer.abstained or named is not None or (context and refers_by_pronoun(cleaned)):
            # The article lacks the field ("on what site" after "who posted the video"), the
            # question names something in it ("who wrote the instagram post"), or "it" may be
            # what the conversation is about ("when was it published" after "what did the
            # council publish"): the article's text answers when it is more likely right than
            # not; else the metadata does, or the abstention that names the field.
            from_text = self._answer_from_text(cleaned, live, {record.id}, context)
            if (
                not from_text.abstained
                and from_text.confidence >= TEXT_OVER_METADATA
                and fits_field(field, from_text)  # not a person for "link?"
            ):
                return from_text
            if answer.abstained and strip_metadata_words(cleaned):
                # Passages on the question's topic ("on what site was the video posted"); a
                # question with none ("who wrote this") has no further reading.
                answer = replace(answer, related=from_text.related)
        return answer

    def _answer_from_text(
        self, question: str, live: _Live, article_ids: set[str] | None, context: str
    ) -> Answer:
        """`question` answered from the articles' text: retrieval, the reader, abstention;
        for a question surely written in another language than the articles', an abstention
        that says which languages they are in (compose.other_language_abstention)."""
        expanded = self._expanded(question, live)
        retrieval_text = f"{context} {expanded}" if context else expanded
        vector = self.embedder.embed([retrieval_text])[0]
        answer = live.answerer.answer(expanded, vector, self.threshold, article_ids, context)
        if answer.abstained:
            snapshot = live.snapshot
            records = snapshot.articles if article_ids is None else [snapshot.article(a) for a in article_ids]
            languages = {r.language for r in records if r is not None}
            if in_other_language(question, languages):
                return other_language_abstention(question, languages, len(records))
        return replace(answer, question=question)

    def _article_meant(
        self,
        question: str,
        live: _Live,
        article_ids: set[str] | None,
        context: str,
        meant: str | None = None,
    ) -> ArticleRecord | None:
        """The article a question about an article itself is about, when it names none
        (_named_article): the one asked of, the only one, the conversation's (`meant`: see
        _conversation_article), the one the conversation is about; None when retrieval finds
        none, or without a conversation (_ask lists them instead: metadata_overview)."""
        snapshot = live.snapshot
        if article_ids is not None:
            return snapshot.article(next(iter(article_ids)))
        if len(snapshot.articles) == 1:
            return snapshot.articles[0]
        record = snapshot.article(meant) if meant is not None else None
        if record is not None:
            return record
        if not context:
            return None
        text = f"{context} {strip_metadata_words(question)}".strip()
        retriever = live.answerer.retriever
        hits = retriever.passages(retriever.tokens(text), self.embedder.embed([text])[0], k=1)
        return snapshot.chunk(hits[0].row)[0] if hits else None

    def rank(self, question: str, context: str = "") -> list[ScoredSentence]:
        """Candidate sentences for `question` across the index, best first, before
        any reader or abstention (for building training data and measuring)."""
        return self._ranked(question, context)[1]

    def read(self, question: str, context: str = "") -> list[ReadSentence]:
        """The reader's judgement of the candidates for `question`, most likely first,
        before abstention (for fitting the confidence model). Needs a reader."""
        expanded, scored, live = self._ranked(question, context)
        return live.answerer.read(expanded, scored, context)

    def _ranked(self, question: str, context: str) -> tuple[str, list[ScoredSentence], _Live]:
        """The question as read (see _expanded), its ranked candidates, and the index they are of."""
        expanded, live = self._as_read(question)
        retrieval_text = f"{context} {expanded}" if context else expanded
        vector = self.embedder.embed([retrieval_text])[0]
        return expanded, live.answerer.rank(expanded, vector, None, context)[1], live

    def as_read(self, question: str) -> str:
        """`question` as retrieval and the reader read it (see _expanded). Raises
        QuestionError for a question that cannot be asked, IndexUnusableError before the
        index is loaded."""
        return self._as_read(question)[0]

    def _as_read(self, question: str) -> tuple[str, _Live]:
        """`question` checked and expanded (_expanded), with the index it was read against."""
        cleaned = check_question(question, self.settings.max_question_chars)
        live = self._live
        if live is None:
            raise IndexUnusableError("the index is not loaded")
        return self._expanded(cleaned, live), live

    def _expanded(self, question: str, live: _Live) -> str:
        """The question as retrieval and the reader read it (HybridRetriever.expand): with
        the articles' own spellings of its words, and typos read against the embedding
        model's vocabulary when the embedder has one."""
        return live.answerer.retriever.expand(question, getattr(self.embedder, "vocabulary", None))

    def search(self, query: str, k: int = 5, article: str | None = None) -> list[Citation]:
        """The k passages that best match `query`, best first, each scored by cosine similarity.

        The ranking is the hybrid one answers are built from (BM25 fused with
        the embedding); `score` on each result is the passage's cosine.
        """
        cleaned = check_question(query, self.settings.max_question_chars)
        live = self._live
        if live is None:
            raise IndexUnusableError("the index is not loaded")
        if article and live.snapshot.article(article) is None:
            raise QuestionError(f"no article {article!r} in the index")
        vector = self.embedder.embed([cleaned])[0]
        hits = live.answerer.retriever.passages(
            live.answerer.retriever.tokens(cleaned), vector, k=k, article_ids={article} if article else None
        )
        found = []
        labels = live.snapshot.labels
        for n, hit in enumerate(hits, start=1):
            record, c = live.snapshot.chunk(hit.row)
            found.append(
                Citation(
                    n,
                    record.id,
                    record.title,
                    c.paragraph,
                    c.start,
                    c.end,
                    c.text,
                    record.url,
                    hit.dense,
                    label=labels.get(record.id, record.title),
                )
            )
        return found

    # ---- corpus management -------------------------------------------------------------

    def remove_article(self, article: str) -> Path:
        """Move an article's file out of the corpus (see CorpusFolder.remove); the id is looked
        up in the live index first, so an article is found under any file name."""
        live = self._live
        record = live.snapshot.article(article) if live is not None else None
        return self.corpus.remove(article, record.file if record is not None else None)
