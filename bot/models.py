"""The project's data: articles, their sentences and chunks, index records, answers.

Data only: nothing here reads files, runs a model or formats for a front end.
Offsets are character offsets into `Article.text` (= `ArticleRecord.text`),
end exclusive; paragraph numbers are 1-based, as a reader counts them.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from typing import Any

DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of an article, as offsets into `Article.text`."""

    number: int  # 1-based, as a reader counts them
    start: int  # character offsets into Article.text
    end: int


@dataclass(frozen=True)
class Article:
    """An article as read from a corpus file (bot/articles.py): its text, paragraph by
    paragraph, and what its front matter or page metadata say (each "" when unknown;
    `date` is ISO 8601, YYYY-MM-DD). `content_hash`: SHA-256 hex of the file's bytes."""

    id: str
    title: str
    text: str
    paragraphs: tuple[Paragraph, ...]
    content_hash: str
    url: str = ""
    date: str = ""
    source: str = ""
    author: str = ""
    language: str = DEFAULT_LANGUAGE  # ISO 639-1

    def paragraph_text(self, paragraph: Paragraph) -> str:
        """The text of `paragraph`, one of this article's."""
        return self.text[paragraph.start : paragraph.end]


@dataclass(frozen=True)
class Sentence:
    """One sentence (bot/sentences.py): `text` is the article's text[start:end], word for word."""

    index: int  # position in the article's sentence list
    paragraph: int  # 1-based paragraph number
    start: int  # offsets into Article.text
    end: int
    text: str


@dataclass(frozen=True)
class Chunk:
    """A passage: whole sentences of one paragraph (bot/chunking.py), embedded and searched
    as one; `text` is the article's text[start:end]."""

    article_id: str
    title: str
    paragraph: int
    start: int
    end: int
    text: str
    sentence_ids: tuple[int, ...]  # indices into the article's sentences

    def embedding_text(self) -> str:
        """What is embedded: the title gives the chunk its context."""
        return f"{self.title}. {self.text}" if self.title else self.text


@dataclass(frozen=True)
class ArticleRecord:
    """What the index keeps about one article."""

    id: str
    title: str
    url: str
    date: str
    source: str
    file: str
    content_hash: str
    text: str
    paragraph_count: int
    sentences: tuple[Sentence, ...]
    chunks: tuple[Chunk, ...]
    author: str = ""
    language: str = "en"  # ISO 639-1, as read or detected (bot/articles.py)
    added: str = ""  # when this version entered the index, ISO 8601 UTC ("newest" without a date)

    @functools.cached_property
    def text_digest(self) -> str:
        """SHA-256 of the text as read: equal for the same article under two names.
        Kept on the record, so a reindex hashes only the articles it reads."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def to_json(self) -> dict[str, object]:
        """The record as stored in articles.json: sentences and chunks as offsets, not text."""
        return {
            "id": self.id,
            "title": self.title,
            "url": self.url,
            "date": self.date,
            "source": self.source,
            "author": self.author,
            "language": self.language,
            "added": self.added,
            "file": self.file,
            "content_hash": self.content_hash,
            "text": self.text,
            "paragraph_count": self.paragraph_count,
            "sentences": [[s.paragraph, s.start, s.end] for s in self.sentences],
            "chunks": [[c.paragraph, list(c.sentence_ids)] for c in self.chunks],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ArticleRecord:
        """The record `to_json` wrote; sentence and chunk texts are cut from `text` by their
        offsets. Raises KeyError, TypeError or ValueError on a malformed object (the index
        reports those as an unusable index)."""
        text = str(data["text"])
        title = str(data["title"])
        article_id = str(data["id"])
        sentences = tuple(
            Sentence(index=i, paragraph=p, start=s, end=e, text=text[s:e])
            for i, (p, s, e) in enumerate(data["sentences"])
        )
        chunks = []
        for paragraph, ids in data["chunks"]:
            start, end = sentences[ids[0]].start, sentences[ids[-1]].end
            chunks.append(Chunk(article_id, title, paragraph, start, end, text[start:end], tuple(ids)))
        return cls(
            id=article_id,
            title=title,
            url=str(data["url"]),
            date=str(data["date"]),
            source=str(data["source"]),
            author=str(data.get("author", "")),
            language=str(data.get("language", "en")),
            added=str(data.get("added", "")),
            file=str(data["file"]),
            content_hash=str(data["content_hash"]),
            text=text,
            paragraph_count=int(data["paragraph_count"]),
            sentences=sentences,
            chunks=tuple(chunks),
        )


@dataclass(frozen=True)
class Citation:
    """Citation [n]: the quoted text of `article` at characters start:end of paragraph
    `paragraph` (1-based), word for word, or a metadata field when `metadata` is set."""

    n: int
    article: str
    title: str
    paragraph: int
    start: int
    end: int
    text: str
    url: str = ""
    # Why it was cited, on the scale of what chose it (bot/answering/compose.py): a quoted
    # sentence's chance of answering (0…1: the reader's confidence model, or the idf share
    # of the question's terms for a question in a language the reader was not trained on);
    # without a reader, the ranking score of the sentence group (unbounded); a related
    # passage's fused retrieval score (RRF); 1.0 for metadata. Shown beside the sources in
    # Discord; not in to_json().
    score: float = 0.0
    metadata: str = ""  # for a citation of the article's metadata: which field ("date", "author", …)
    # The name shown for the article: its title, and when another article has the same
    # title, what tells them apart (IndexSnapshot.labels); empty until the engine sets it.
    label: str = ""

    @property
    def name(self) -> str:
        """How the citation names its article: the label, else the title, else the id."""
        return self.label or self.title or self.article

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "n": self.n,
            "article": self.article,
            "title": self.title,
            "label": self.name,
            "paragraph": self.paragraph,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "url": self.url,
        }
        if self.metadata:
            out["metadata"] = self.metadata
        return out


@dataclass(frozen=True)
class ShortAnswer:
    """The exact answer: `text` is `article`'s text[start:end] (character offsets)."""

    text: str
    article: str
    start: int
    end: int
    metadata: str = ""  # when the answer is a metadata field ("date", …): its name; offsets are 0

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "text": self.text,
            "article": self.article,
            "start": self.start,
            "end": self.end,
        }
        if self.metadata:
            out["metadata"] = self.metadata
        return out


@dataclass(frozen=True)
class Answer:
    """A reply to `question`: `text` is what is shown (the short answer, then the quoted
    sentences with their [n] marks), or NOT_IN_ARTICLE when `abstained`, with the closest
    passages in `related`. `confidence`: the chance (0…1) that the chosen sentence answers,
    compared with the threshold to decide whether to abstain. `about`: the article an
    abstention is about when it names one ("The article … does not give its author"), so
    that what follows it stays with that article; None otherwise."""

    question: str
    text: str
    abstained: bool
    confidence: float
    citations: tuple[Citation, ...] = ()
    related: tuple[Citation, ...] = ()  # closest passages when abstaining
    features: dict[str, float] = field(default_factory=dict, compare=False)  # of the best sentence
    short: ShortAnswer | None = None
    about: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "question": self.question,
            "answer": self.text,
            "short_answer": self.short.to_json() if self.short is not None else None,
            "abstained": self.abstained,
            "confidence": round(self.confidence, 4),
            "citations": [c.to_json() for c in self.citations],
            "related": [c.to_json() for c in self.related],
        }
