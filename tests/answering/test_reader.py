"""The reader's input building and span decoding, with the bundled tokenizer; answers with a fake reader."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bot.answering import NOT_IN_ARTICLE, ConfidenceModel
from bot.answering.reader import (
    MAX_PREVIOUS_PIECES,
    MAX_SENTENCE_PIECES,
    TOP_SPANS,
    Encoder,
    Reading,
    Window,
    best_span,
    readings,
    span_chars,
    top_spans,
)
from bot.engine import ArticleQA, same_reply
from bot.settings import Settings
from tests.fakes import FakeEmbedder, FakeReader


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    from transformers import AutoTokenizer

    from bot.embedding import resolve_model
    from bot.settings import BUNDLED_MODEL

    return Encoder(AutoTokenizer.from_pretrained(resolve_model(BUNDLED_MODEL)))


def test_input_is_question_then_previous_then_sentence(encoder: Encoder) -> None:
    sentence = "The Shenzhou-13 spaceship was launched on a Long March-2F rocket."
    [e] = encoder.encode("what rocket", [Window(sentence, "China sent the astronauts.")], "when did they go")
    tokens = encoder.tokenizer.convert_ids_to_tokens(e.ids)
    assert tokens[0] == "[CLS]" and tokens.count("[SEP]") == 3 and tokens[-1] == "[SEP]"
    question = tokens[1 : tokens.index("[SEP]")]
    assert question[:2] == ["what", "rocket"] and "|" in question  # the context follows the question
    second = tokens.index("[SEP]", tokens.index("[SEP]") + 1)
    assert tokens[tokens.index("[SEP]") + 1 : second] == ["china", "sent", "the", "astronauts", "."]
    assert e.first == second + 1
    # Each sentence piece's offsets point at its own characters in the sentence.
    pieces = tokens[e.first : -1]
    assert len(pieces) == len(e.offsets)
    for piece, (start, end) in zip(pieces, e.offsets, strict=True):
        assert sentence[start:end].lower() == piece.removeprefix("##")
    assert e.types[: len(question) + 2] == [0] * (len(question) + 2) and set(
        e.types[len(question) + 2 :]
    ) == {1}


def test_long_parts_are_cut_to_their_budgets(encoder: Encoder) -> None:
    long = " ".join(["word"] * 300)
    [e] = encoder.encode("q", [Window(long + " end", "start " + long)])
    assert len(e.offsets) == MAX_SENTENCE_PIECES
    second = e.ids.index(encoder.sep, e.ids.index(encoder.sep) + 1)
    assert second - e.ids.index(encoder.sep) - 1 == MAX_PREVIOUS_PIECES  # the end of the previous one


def test_best_span_respects_order_and_length() -> None:
    start = np.array([0.0, 5.0, 0.0, 9.0])
    end = np.array([1.0, 0.0, 3.0, -20.0])
    assert best_span(start, end) == (1, 2, 8.0)  # an end before its start is not allowed (3 → 0 would be 10)
    assert best_span(np.array([1.0, 0.0, 0.0]), np.array([0.0, 0.0, 3.0]), longest=2) == (1, 2, 3.0)


def test_top_spans_are_the_best_allowed_spans_best_first() -> None:
    start = np.array([0.0, 5.0, 0.0, 9.0])
    end = np.array([1.0, 0.0, 3.0, -20.0])
    spans = top_spans(start, end, k=3)
    assert spans[0] == (*best_span(start, end)[:2], 8.0)
    assert spans[:2] == [(1, 2, 8.0), (1, 1, 5.0)] and spans[2][2] == 3.0  # (0, 2) and (2, 2) tie
    assert len(top_spans(start, end, k=100)) == 10  # every (first <= last) pair, no more


def test_readings_map_pieces_back_to_characters(encoder: Encoder) -> None:
    sentence = "Wang Yaping left the module with Zhai Zhigang."
    [e] = encoder.encode("who went out with her", [Window(sentence)])
    n = len(e.offsets)
    width = len(e.ids)
    start = np.full((1, width), -10.0, dtype=np.float32)
    end = np.full((1, width), -10.0, dtype=np.float32)
    first = next(i for i, (a, _) in enumerate(e.offsets) if sentence[a:].startswith("Zhai"))
    last = n - 2  # the piece before the full stop
    start[0, e.first + first] = 5.0
    end[0, e.first + last] = 5.0
    [reading] = readings([e], np.array([1.5], dtype=np.float32), start, end)
    assert reading.logit == 1.5 and reading.span_logit == 30.0  # 10 above "no answer" at -20
    assert reading.span is not None and sentence[slice(*reading.span)] == "Zhai Zhigang"
    assert reading.spans[0] == (*reading.span, 30.0) and len(reading.spans) == TOP_SPANS
    assert sentence[slice(*span_chars(e.offsets, 0, 0))] == "Wang"


def core_with(settings: Settings, reader: FakeReader, threshold: float = 0.5) -> ArticleQA:
    confidence = ConfidenceModel({"reader": 1.0}, 0.0, threshold)
    core = ArticleQA(settings.core, FakeEmbedder(), reader=reader, confidence=confidence)
    core.open()
    return core


def test_answer_leads_with_the_span_and_cites_its_sentence(settings: Settings) -> None:
    reader = FakeReader()
    core = core_with(settings, reader)
    answer = core.ask("Which rocket launched the Shenzhou-13 spaceship into space?")
    assert not answer.abstained
    first = answer.citations[0]
    text = core.snapshot.article(first.article).text  # type: ignore[union-attr]
    assert "Long March-2F rocket" in first.text and text[first.start : first.end] == first.text
    assert answer.short is not None
    assert text[answer.short.start : answer.short.end] == answer.short.text
    assert answer.text.startswith(f"{answer.short.text} \u2014 \u201c{first.text}\u201d [1]")
    assert answer.to_json()["short_answer"] == answer.short.to_json()
    _question, windows, context = reader.calls[-1]
    assert context == "" and len(windows) <= 8
    assert any("Long March-2F" in w.sentence for w in windows)  # type: ignore[attr-defined]


def test_low_reader_confidence_abstains(settings: Settings) -> None:
    core = core_with(settings, FakeReader(), threshold=0.9999)
    answer = core.ask("Which rocket launched the Shenzhou-13 spaceship?")
    assert answer.abstained and answer.text == NOT_IN_ARTICLE and answer.short is None
    assert answer.related and not answer.citations


def test_quantity_of_another_kind_lowers_confidence(settings: Settings) -> None:
    core = core_with(settings, FakeReader(), threshold=0.0)
    weighed = core.ask("How heavy will the station be when completed with two more modules?")
    timed = core.ask("How long will the station be when completed with two more modules?")
    assert "66 tons" in weighed.citations[0].text
    assert timed.confidence < weighed.confidence  # "66 tons" is no duration or length


def test_follow_up_context_reaches_the_reader(settings: Settings) -> None:
    reader = FakeReader()
    core = core_with(settings, reader, threshold=0.0)
    core.ask("and the other one?", context="what are the two modules called Mengtian")
    assert reader.calls[-1][2] == "what are the two modules called Mengtian"


def test_optional_context_keeps_the_more_confident_reading(settings: Settings) -> None:
    core = core_with(settings, FakeReader(), threshold=0.0)
    alone = core.ask("Which rocket launched the Shenzhou-13 spaceship?")
    either = core.ask(
        "Which rocket launched the Shenzhou-13 spaceship?",
        context="zzz unrelated words",
        context_optional=True,
    )
    assert either.confidence >= alone.confidence
    assert either.citations[0].text == alone.citations[0].text


def test_optional_context_that_changes_no_reply_is_not_counted_as_read(settings: Settings) -> None:
    """A question that stands on its own, asked after another, keeps its own reading when
    the earlier question changes nothing in the reply (the chat then says nothing of it)."""
    core = core_with(settings, FakeReader(), threshold=0.0)
    alone = core.ask("Which rocket launched the Shenzhou-13 spaceship?")
    either = core.ask(
        "Which rocket launched the Shenzhou-13 spaceship?",
        context="Which rocket launched the Shenzhou-13 spaceship?",
        context_optional=True,
    )
    assert same_reply(alone, either) and either.features.get("followup") == 0.0
    assert not same_reply(alone, replace(alone, short=None))
    assert not same_reply(alone, replace(alone, citations=alone.citations[1:]))
    assert not same_reply(alone, replace(alone, abstained=True))


def test_corpus_path_fixture_is_the_seed(corpus: Path) -> None:
    assert [p.name for p in corpus.iterdir()] == ["china-first-woman-spacewalk.txt"]


def test_load_trained_adds_int8_factors_and_float_ones(tmp_path: Path) -> None:
    """W becomes W + (b · b_scale) @ (a · a_scale) for int8 factors, W + b @ a for float
    ones; vectors and heads are copied whole; a wrong shape is refused."""
    import torch
    from safetensors.torch import save_file

    from bot.answering.reader import load_trained

    class Toy(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = torch.nn.Linear(3, 2)
            self.answer = torch.nn.Linear(2, 1)

    toy = Toy()
    base = toy.encoder.weight.detach().clone()
    b = torch.tensor([[10, -20], [30, 5]], dtype=torch.int8)
    b_scale = torch.tensor([[0.5, 0.25]], dtype=torch.float16)
    a = torch.tensor([[1, 0, -2], [4, 2, 0]], dtype=torch.int8)
    a_scale = torch.tensor([[0.1], [0.5]], dtype=torch.float16)
    head = {"answer.weight": torch.ones(1, 2, dtype=torch.float16), "answer.bias": torch.zeros(1)}
    save_file(
        {"encoder.weight.delta_b": b, "encoder.weight.delta_b_scale": b_scale,
         "encoder.weight.delta_a": a, "encoder.weight.delta_a_scale": a_scale,
         "encoder.bias": torch.tensor([7.0, 8.0]), **head},
        str(tmp_path / "adapter.safetensors"),
    )  # fmt: skip
    load_trained(toy, tmp_path)
    expected = base + (b.float() * b_scale.float()) @ (a.float() * a_scale.float())
    assert torch.allclose(toy.encoder.weight, expected)
    assert toy.encoder.bias.tolist() == [7.0, 8.0]
    assert toy.answer.weight.tolist() == [[1.0, 1.0]]

    float_toy = Toy()
    base = float_toy.encoder.weight.detach().clone()
    save_file(
        {"encoder.weight.delta_b": b.float(), "encoder.weight.delta_a": a.float(), **head},
        str(tmp_path / "adapter.safetensors"),
    )
    load_trained(float_toy, tmp_path)
    assert torch.allclose(float_toy.encoder.weight, base + b.float() @ a.float())

    save_file(
        {"encoder.weight.delta_b": torch.ones(2, 1), "encoder.weight.delta_a": torch.ones(1, 4), **head},
        str(tmp_path / "adapter.safetensors"),
    )
    with pytest.raises(ValueError, match=r"encoder\.weight"):
        load_trained(Toy(), tmp_path)


class _ClauseReader(FakeReader):
    """FakeReader's logits, with the span from "the cause" to the sentence's end."""

    def read(self, question, windows, context=""):  # type: ignore[no-untyped-def]
        out = []
        for window, reading in zip(windows, super().read(question, windows, context), strict=True):
            at = window.sentence.find("the cause")
            span = (at, len(window.sentence) - 1) if at >= 0 else reading.span
            out.append(Reading(reading.logit, span, 5.0, ((*span, 5.0),) if span else ()))
        return out


def test_an_answer_that_says_the_thing_is_not_known_abstains(settings: Settings) -> None:
    (settings.corpus_dir / "canal.txt").write_text(
        "Ship freed in the canal\n\nThe ship's steering failed on Tuesday near the canal's locks.\n\n"
        "The canal authority said the cause of the steering failure was not yet known.\n",
        encoding="utf-8",
    )
    core = core_with(settings, _ClauseReader(), threshold=0.5)
    answer = core.ask("what was the cause of the steering failure")
    assert answer.abstained and answer.text == NOT_IN_ARTICLE
    assert any("not yet known" in c.text for c in answer.related)
    # Asked what the authority said, the same sentence answers.
    said = core.ask("what did the canal authority say about the cause of the steering failure")
    assert not said.abstained and "not yet known" in said.citations[0].text
