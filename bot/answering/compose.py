"""Building the answer: the quoted sentences with their citations, the exact answer,
runners-up, and the related passages offered when the bot abstains.

The answer is always quoted word for word from an article; each citation names
the exact place (article, paragraph, character offsets) it quotes.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

from bot.answering.confidence import ReadSentence
from bot.answering.features import ScoredSentence
from bot.answering.kinds import asks_for, holds_kind
from bot.answering.quantities import asked_quantity, quantity_spans
from bot.answering.question import Question
from bot.articles import language_name
from bot.models import Answer, ArticleRecord, Citation, ShortAnswer
from bot.retrieval import PassageHit, abbreviations, common_english, tokenize

if TYPE_CHECKING:
    from bot.index import IndexSnapshot

NOT_IN_ARTICLE = "The article does not say."
MAX_ANSWER_CHARS = 400
MAX_ANSWER_SENTENCES = 3
MAX_SHORT_ANSWER_CHARS = 120  # a longer span is not an "exact answer"; the quote stands alone
RUNNER_UP_SHARE = 0.6  # a runner-up is quoted when its chance is at least this share of the best's

_LEANS_ON_PREVIOUS = re.compile(
    r"^(he|she|it|they|his|her|its|their|this|these|those|that|there|such|both|also|however|but|then|later|the (latter|former|same|move|decision|mission|company|group|country)|in (addition|contrast)|as a result)\b",  # noqa: E501
    re.I,
)
_PRONOUN = re.compile(r"\b(he|she|they|him|her|them)\b", re.I)


def cite(
    n: int,
    record: ArticleRecord,
    paragraph: int,
    start: int,
    end: int,
    text: str,
    score: float,
    metadata: str = "",
) -> Citation:
    """Citation [n] of `record`: `text`, its words at character offsets start:end in
    `paragraph` (1-based), or for a `metadata` field its label and value (offsets 0).
    `score`: see Citation.score."""
    return Citation(n, record.id, record.title, paragraph, start, end, text, record.url, score, metadata)


def abstention(
    question: str,
    confidence: float,
    related: tuple[Citation, ...] = (),
    features: dict[str, float] | None = None,
) -> Answer:
    """NOT_IN_ARTICLE, with the passages offered instead."""
    return Answer(question, NOT_IN_ARTICLE, True, confidence, (), related, features or {})


def other_language_abstention(question: str, languages: Collection[str], articles: int) -> Answer:
    """The abstention on a question in another language than the `articles` (count, at least 1)
    it was put to (articles.in_other_language): the languages they are in (`languages`, ISO
    639 codes, at least one, named by Babel), instead of NOT_IN_ARTICLE, which would claim
    they were read for it; no related reading (the question was not understood)."""
    names = sorted({language_name(code) for code in languages})
    subject = "The article is" if articles == 1 else "The articles are"
    if len(names) == 1:
        name = names[0]
        text = f"{subject} in {name}, and this question is not written like {name}: ask in {name}."
    else:
        listed = ", ".join(names[:-1]) + f" and {names[-1]}"
        text = f"{subject} in {listed}, and this question is written like none of them: ask in one of them."
    return Answer(question, text, True, 0.0)


def related(snapshot: IndexSnapshot, hits: Sequence[PassageHit], limit: int = 3) -> tuple[Citation, ...]:
    """The closest passages, best first, each text once (copies of an article may print
    the same passage); each citation's score is the passage's fused retrieval score."""
    out: list[Citation] = []
    seen: set[str] = set()
    for hit in hits:
        if len(out) == limit:
            break
        record, chunk = snapshot.chunk(hit.row)
        key = " ".join(chunk.text.lower().split())
        if key in seen:
            continue
        seen.add(key)
        out.append(cite(len(out) + 1, record, chunk.paragraph, chunk.start, chunk.end, chunk.text, hit.fused))
    return tuple(out)


def from_overlap(question: str, best: ScoredSentence, confidence: float) -> Answer:
    """The one sentence that shares most of the question's words, quoted; no exact answer."""
    rec, sentence = best.record, best.sentence
    citation = cite(1, rec, sentence.paragraph, sentence.start, sentence.end, sentence.text, confidence)
    return Answer(
        question, f"\u201c{sentence.text}\u201d [1]", False, confidence, (citation,), (), best.features
    )


def from_reader(
    question: str,
    read: Sequence[ReadSentence],
    threshold: float,
    confidence: float,
    features: dict[str, float],
    short: ShortAnswer | None,
) -> Answer:
    """The reader's best sentence (read[0]) led by `short`, its exact answer (short_answer;
    None: the quote stands alone), then the runners-up whose chance reaches `threshold` and
    RUNNER_UP_SHARE of the best's, while the quotes fit MAX_ANSWER_CHARS; each citation's
    score is its chance (0…1)."""
    best = read[0]
    chosen = [best]
    used = len(best.candidate.sentence.text)
    for runner in read[1:]:
        if len(chosen) >= MAX_ANSWER_SENTENCES:
            break
        size = len(runner.candidate.sentence.text) + 6
        if (
            runner.probability >= max(threshold, RUNNER_UP_SHARE * best.probability)
            and used + size <= MAX_ANSWER_CHARS
        ):
            chosen.append(runner)
            used += size
    citations = []
    for n, r in enumerate(chosen, start=1):
        s = r.candidate.sentence
        citations.append(cite(n, r.candidate.record, s.paragraph, s.start, s.end, s.text, r.probability))
    text = " ".join(f"\u201c{c.text}\u201d [{c.n}]" for c in citations)
    if short is not None:
        text = f"{short.text} \u2014 {text}"
    return Answer(question, text, False, confidence, tuple(citations), (), features, short)


def short_answer(best: ReadSentence, question: str = "", context: str = "") -> ShortAnswer | None:
    """The reader's span in the best sentence, when it is shorter than the sentence and
    at most MAX_SHORT_ANSWER_CHARS; offsets into the article's text. Of the reader's
    best spans (Reading.spans) short enough to show, the one that fits `question`
    (choose_span; `context`: a follow-up's earlier question and answer) is taken."""
    sentence = best.candidate.sentence
    shown = [s for s in best.reading.spans if s[1] - s[0] <= MAX_SHORT_ANSWER_CHARS]
    span = choose_span(question, sentence.text, shown, context) if question and shown else None
    span = span or best.reading.span
    if span is None:
        return None
    start, end = span
    text = _without_stray_quotes(sentence.text[start:end].strip(" ,;:"))
    if not text or len(text) > MAX_SHORT_ANSWER_CHARS or len(text) >= len(sentence.text) - 1:
        return None
    start = sentence.start + sentence.text.index(text, start)
    return ShortAnswer(text, best.candidate.record.id, start, start + len(text))


_DOUBLE_QUOTES = '"\u201c\u201d'


def _without_stray_quotes(text: str) -> str:
    """`text` without a quotation mark at its start or end that opens or closes nothing in
    it (a span cut from `early," Varga told reporters` begins at the quote's close)."""
    while text and sum(text.count(q) for q in _DOUBLE_QUOTES) % 2:
        if text[0] in _DOUBLE_QUOTES:
            text = text[1:].strip(" ,;:")
        elif text[-1] in _DOUBLE_QUOTES:
            text = text[:-1].strip(" ,;:")
        else:
            break
    return text


# "which rocket", "what kind of organisation", "how many servers" (and chat spellings, "wat
# desert"): the noun the answer is (or stands before, as in "the Long March-2F rocket").
# Function words after "which"/"what" ("what is", "which of") name none.
_HEAD_NOUN = re.compile(
    r"\b(?:which|wich|what|wat|wut|how many|how much)\s+"
    r"(?:(?:kind|kinds|type|types|sort|sorts) of\s+)?([a-z][\w-]*)",
    re.I,
)
_PARTICIPLE = re.compile(r"\w(?:ing|ed)$", re.I)
_NAME_OF = re.compile(
    r"\bnames? of (?:the |a |an |this |that |these |those |its |their )?([a-z][\w\s-]*)", re.I
)


# Words of a question that asks only what an abbreviation stands for ("whats the nws",
# "what does CBO stand for", "wat is hes short for"), stemmed as tokenize() stems them.
_SPELLED_OUT = frozenset(
    tokenize(["whats wat wut stands stand means mean short full name abbreviation acronym"])[0]
)


def spelled_out(question: str, sentence: str) -> tuple[int, int] | None:
    """When `question` asks only what an abbreviation stands for and `sentence` spells it
    out ("… the National Weather Service (NWS) …"), the (start, end) characters of the
    phrase in `sentence`; else None."""
    words = set(tokenize([question])[0])
    for short, phrase in abbreviations(sentence):
        # The question as answered may carry the phrase already (HybridRetriever.expand).
        rest = words - {short} - set(tokenize([phrase])[0])
        if short in words and rest and rest <= _SPELLED_OUT:  # "and the iss?" asks something else
            at = sentence.find(phrase)
            return (at, at + len(phrase)) if at >= 0 else None
    return None


def head_noun(question: str) -> str | None:
    """The stemmed noun a "which N" / "what N" / "how many N" / "the name of the (…) N"
    question asks for, or None. None for a question about a date or time ("what year",
    "which day"): the answer ("in 1914") does not name its unit."""
    if asks_for(question) == "date":
        return None
    named = _NAME_OF.search(question)
    if named is not None:  # "the name of the mars rover": the phrase's last content word
        phrase: list[str] = []  # before a stop word ("the rover on mars", "the man who …")
        words = named.group(1).split()
        for i, word in enumerate(words):
            tokens = tokenize([word])[0]
            if phrase and i + 1 < len(words) and _PARTICIPLE.search(word):
                break  # or before a participle with words after it ("the rover exploring mars")
            if tokens and len(phrase) < 3:
                phrase.append(tokens[0])
            elif phrase:
                break
        if phrase:
            return phrase[-1]
    match = _HEAD_NOUN.search(question)
    if match is None:
        return None
    tokens = tokenize([match.group(1)])[0]  # stop words ("is", "did", "of") give none
    return tokens[0] if tokens else None


# Lower-case words inside a name after a word that is also a common noun: "Journal of Mountain
# Hydrology", "Museo de Arte" (not "Lin Haoran of China"; "and" and "for" are left out: "the US
# and China" are two names, and "Hawaii for DNA testing" is none). On `python
# tools/measure_spans.py --rows` (700 questions) it changes no choice; without the common-noun
# condition it changed one, for the worse ("Lin Haoran of China …").
_NAME_LINKS = frozenset({"of", "de", "da", "del", "van", "von"})
_NAME_OF_HEAD = re.compile(r"\b([A-Z][\w-]*) of [A-Z]")  # a name's head before its "of"


def cuts_a_name(sentence: str, start: int, end: int) -> bool:
    """Whether characters start:end of `sentence` split a word ("2F" of "March-2F") or a
    capitalised name ("March-2F" of "Long March-2F", "Jiuquan" of "Jiuquan Satellite
    Launch Center"): the span begins or ends inside a word, or begins with a capital right
    after a capitalised word that is not the sentence's first nor a stop word ("The"), or
    ends with a capitalised word right before another, or (a common noun) before "of" and
    another ("the Journal" of "the Journal of Mountain Hydrology"), or ends with that "of"."""
    before = sentence[start - 1 : start] if start > 0 else ""
    after = sentence[end : end + 1]
    if (before and (before.isalnum() or before in "-'’")) or (after and (after.isalnum() or after == "-")):
        return True
    words_before = sentence[:start].split()
    first = sentence[start:end].split()[:1]
    if first and first[0][:1].isupper() and len(words_before) > 1:
        word = words_before[-1]
        if word[:1].isupper() and word[-1:].isalnum() and tokenize([word])[0]:
            return True
    last = sentence[start:end].split()[-1:]
    words_after = sentence[end:].split()[:2]
    if last and last[0] in _NAME_LINKS and words_after and words_after[0][:1].isupper():
        return True  # "Pacific Journal of" (Child Health)
    if last and last[0][:1].isupper() and last[0][-1:].isalnum() and words_after:
        if words_after[0] in _NAME_LINKS and len(words_after) > 1 and last[0].lower() in common_english():
            words_after = words_after[1:]  # "the Journal (of Mountain …)", not "Lin Haoran (of China)"
        word = words_after[0]
        return word[:1].isupper() and bool(tokenize([word])[0])
    return False


_WHO = re.compile(r"^\W*who(?:'s|s|m)?\b", re.I)
# How many logits below the chosen span a span that stands right before a word of a "who"
# question (the subject of its verb: "China Manned Space Engineering Network posted" for "who
# posted the video") may score and still come first. Chosen by `python tools/measure_spans.py`
# on its rows: on the 60 "who" questions F1 0.916 -> 0.933 and hit 0.950 -> 0.967 at 2 (1: no
# change; 3: one won, one lost), on all 700 F1 0.821 -> 0.823. Tried and left out: answering
# "who's the developer" with the first of the best-read sentences in which one of the reader's
# five best spans is a name standing beside every word of the role ("The developer, Donside
# Homes", "Sheriff Ana Trujillo", "Curtis Bowen, a spokesman for …"), which the reader often
# reads right and scores low. On the 722 such questions of datasets/ and the SQuAD sample that
# is no gain: where it fired on questions the reader never trained on, it made 3 right that were
# wrong and 3 wrong that were right, the name being often another's ("Deputy Mayor Anita …" for
# "who's the mayor", "The band's lawyer, …" for "who's her lawyer").
SUBJECT_MARGIN = 2.0


def choose_span(
    question: str,
    sentence: str,
    spans: Sequence[tuple[int, int, float]],
    context: str = "",
) -> tuple[int, int] | None:
    """The best of the reader's `spans` (character (start, end, score) in `sentence`, best
    first) that fits what `question` asks, or None when there are none.

    A question that asks what an abbreviation stands for takes the phrase the sentence
    spells it out with (spelled_out). Otherwise a span fits when it names something the
    question does not (a content word the question lacks, an abbreviation in the question
    counting as the phrase it stands for: the reader sometimes marks the question's own
    words), for a question about a quantity ("how long", "how much did it cost") holds one
    of that kind (quantities.py), for a follow-up names something its `context` (the earlier
    question and answer) does not ("and the iss?" after "about 66 tons": not that again),
    and cuts no word or name in two (cuts_a_name). Of the spans that fit, one that ends with
    or stands right before the question's head noun ("which rocket": "Long March-2F" of "a
    Long March-2F rocket") comes first; for a "who" question without one, a span scored at most
    SUBJECT_MARGIN lower that stands right before a word of the question ("who posted the video":
    "China Manned Space Engineering Network" of "… Network posted video"). Each rule is dropped
    when no span meets it.
    `python tools/measure_spans.py` measures the choice against the reader's best span.
    """
    defined = spelled_out(question, sentence)
    if defined is not None:
        return defined
    if not spans:
        return None
    asked = set(tokenize([question])[0])
    for short, phrase in abbreviations(sentence):  # "and the iss?" is no "International Space Station"
        if short in asked:
            asked |= set(tokenize([phrase])[0])
    said = asked | set(tokenize([context])[0]) if context else asked
    quantity = asked_quantity(question)
    noun = head_noun(question)

    def words(span: tuple[int, int, float]) -> set[str]:
        return set(tokenize([sentence[span[0] : span[1]]])[0])

    def new_words(span: tuple[int, int, float]) -> bool:
        return bool(words(span) - asked)

    held = quantity_spans(quantity, sentence) if quantity is not None else []

    def right_kind(span: tuple[int, int, float]) -> bool:  # overlaps a quantity of the kind asked
        return quantity is None or any(a < span[1] and span[0] < b for a, b in held)

    def new_to_conversation(span: tuple[int, int, float]) -> bool:
        return bool(words(span) - said)

    def whole(span: tuple[int, int, float]) -> bool:
        return not cuts_a_name(sentence, span[0], span[1])

    def word_after(span: tuple[int, int, float]) -> list[str]:  # the next word, tokenised
        return tokenize([" ".join(sentence[span[1] :].split()[:1])])[0]

    def names_noun(span: tuple[int, int, float]) -> bool:  # "the Gobi Desert", "a Long March-2F (rocket)"
        text = sentence[span[0] : span[1]]
        last = tokenize([text])[0][-1:]
        named = _NAME_OF_HEAD.search(text)  # "the Journal" (of Child Health)
        head = tokenize([text[: named.end(1)]])[0][-1:] if named else []
        return noun in last or noun in head or noun in word_after(span)

    def before_asked(span: tuple[int, int, float]) -> bool:  # "China Manned Space … Network (posted)"
        return bool(asked.intersection(word_after(span)))

    pool = list(spans)
    for rule in (new_words, right_kind, new_to_conversation, whole):
        kept = [s for s in pool if rule(s)]
        pool = kept or pool
    if noun is not None:
        pool = [s for s in pool if names_noun(s)] or pool
    elif _WHO.match(question) and not before_asked(pool[0]):
        near = [s for s in pool if s[2] >= pool[0][2] - SUBJECT_MARGIN and before_asked(s)]
        pool = near or pool
    return pool[0][0], pool[0][1]


def from_similarity(
    question: Question, scored: list[ScoredSentence], confidence: float, features: dict[str, float]
) -> Answer:
    """The best-ranked sentence with the neighbour it leans on, then runners-up that fit;
    one citation per quoted paragraph, scored with its group's ranking score."""
    citations: list[Citation] = []
    parts = []
    for group in _groups(question, scored):
        rec = group[0].record
        # One citation per paragraph, so each names the exact place it quotes.
        for paragraph in dict.fromkeys(g.sentence.paragraph for g in group):
            sents = [g.sentence for g in group if g.sentence.paragraph == paragraph]
            start, end = sents[0].start, sents[-1].end
            citations.append(
                cite(len(citations) + 1, rec, paragraph, start, end, rec.text[start:end], group[0].score)
            )
            parts.append(f"{citations[-1].text} [{citations[-1].n}]")
    return Answer(question.text, " ".join(parts), False, confidence, tuple(citations), (), features)


def _groups(question: Question, scored: list[ScoredSentence]) -> list[list[ScoredSentence]]:
    """The best sentence (scored[0]) with the neighbour it leans on, then runners-up that fit."""
    kind, q_words = question.asks, question.words
    best = scored[0]
    record = best.record
    group = [best]
    used = len(best.sentence.text)
    index = best.sentence.index
    lookup = {(id(x.record), x.sentence.index): x for x in scored}

    def neighbour(i: int) -> ScoredSentence | None:
        if not 0 <= i < len(record.sentences):
            return None
        found = lookup.get((id(record), i))
        if found is not None:
            return found
        return ScoredSentence(record, record.sentences[i])

    prev, nxt = neighbour(index - 1), neighbour(index + 1)
    missing_kind = kind != "other" and not holds_kind(kind, best.sentence.text, q_words)
    if (
        prev is not None
        and _LEANS_ON_PREVIOUS.match(best.sentence.text)
        and used + len(prev.sentence.text) + 1 <= MAX_ANSWER_CHARS
    ):
        group.insert(0, prev)
        used += len(prev.sentence.text) + 1
    elif missing_kind or _PRONOUN.search(best.sentence.text):
        for candidate in (nxt, prev):
            if (
                candidate is not None
                and holds_kind(kind, candidate.sentence.text, q_words)
                and used + len(candidate.sentence.text) + 1 <= MAX_ANSWER_CHARS
            ):
                group.append(candidate) if candidate is nxt else group.insert(0, candidate)
                used += len(candidate.sentence.text) + 1
                break
    groups = [group]
    count = len(group)
    taken = {(id(x.record), x.sentence.index) for x in group}
    for runner in scored[1:]:
        if count >= MAX_ANSWER_SENTENCES:
            break
        key = (id(runner.record), runner.sentence.index)
        if key in taken or runner.score < best.score * 0.75:
            continue
        extra = len(runner.sentence.text) + 6
        if used + extra > MAX_ANSWER_CHARS - 8 * len(groups):
            continue
        groups.append([runner])
        taken.add(key)
        used += extra
        count += 1
    return groups
