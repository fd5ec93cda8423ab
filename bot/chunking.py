"""Splitting articles into sentences and retrieval chunks.

Chunks are whole sentences from one paragraph, sized to fit the embedding
model's window. Every sentence keeps its character offsets in the article, and
its index in the article's sentence list, so the answer stage can reach the
sentence before or after the one that matched, even across a paragraph break.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from bot.models import Article, ArticleRecord, Chunk, Sentence
from bot.sentences import split_sentences

_WORDISH = re.compile(r"\w+|[^\w\s]")


@dataclass(frozen=True)
class ChunkingConfig:
    # all-MiniLM-L6-v2 reads 256 word pieces; ~1.3 pieces a word in news text,
    # so 150 words leaves room for the title that is prepended to each chunk.
    max_words: int = 150
    version: int = 4  # 2: records keep the author; 3: sentences by bot/sentences.py, language;
    # 4: a byline paragraph gives the author, a front matter url must be a web address

    def as_dict(self) -> dict[str, int]:
        return {"max_words": self.max_words, "version": self.version}


def word_count(text: str) -> int:
    return len(_WORDISH.findall(text))


def split_article(article: Article) -> list[Sentence]:
    sentences: list[Sentence] = []
    for paragraph in article.paragraphs:
        body = article.paragraph_text(paragraph)
        for start, end in split_sentences(body, article.language):
            sentences.append(
                Sentence(
                    index=len(sentences),
                    paragraph=paragraph.number,
                    start=paragraph.start + start,
                    end=paragraph.start + end,
                    text=body[start:end],
                )
            )
    return sentences


def chunk_sentences(article: Article, sentences: list[Sentence], config: ChunkingConfig) -> list[Chunk]:
    """Group consecutive sentences of a paragraph into chunks of at most max_words."""
    chunks: list[Chunk] = []
    group: list[Sentence] = []
    words = 0

    def flush() -> None:
        nonlocal group, words
        if group:
            start, end = group[0].start, group[-1].end
            chunks.append(
                Chunk(
                    article_id=article.id,
                    title=article.title,
                    paragraph=group[0].paragraph,
                    start=start,
                    end=end,
                    text=article.text[start:end],
                    sentence_ids=tuple(s.index for s in group),
                )
            )
        group, words = [], 0

    for sentence in sentences:
        n = word_count(sentence.text)
        if group and (sentence.paragraph != group[-1].paragraph or words + n > config.max_words):
            flush()
        group.append(sentence)
        words += n
    flush()
    return chunks


def build_record(article: Article, file: str, config: ChunkingConfig) -> ArticleRecord:
    """The index record of `article`, read from corpus file `file` (its path relative to the
    corpus): its sentences, and its chunks as `config` sizes them; stamped as added now (UTC)."""
    sentences = split_article(article)
    return ArticleRecord(
        language=article.language,
        added=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        id=article.id,
        title=article.title,
        url=article.url,
        date=article.date,
        source=article.source,
        author=article.author,
        file=file,
        content_hash=article.content_hash,
        text=article.text,
        paragraph_count=len(article.paragraphs),
        sentences=tuple(sentences),
        chunks=tuple(chunk_sentences(article, sentences, config)),
    )
