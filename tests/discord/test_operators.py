"""/reindex, /article add|remove and /status, for operators only (bot/discord/operators.py)."""

from __future__ import annotations

import asyncio
import errno
import json
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot.corpus import CorpusFolder
from bot.discord import ArticleBot
from bot.engine import ArticleQA
from bot.settings import Settings
from tests.discord.harness import ROCKET_QUESTION, answer_to, mention, running, write_article
from tests.fakes import FakeEmbedder
from tests.standin import ALICE_ID, MANNY_ID, OLIVIA_ID, DiscordStandIn


@pytest.mark.parametrize(
    ("name", "subcommand", "options"),
    [
        ("reindex", None, {}),
        ("status", None, {}),
        ("article", "remove", {"article": "china-first-woman-spacewalk"}),
        ("article", "add", {"file": "an attachment"}),
        ("article", "add", {"url": "a page"}),
    ],
)
async def test_operator_commands_refuse_members(
    bot: ArticleBot,
    standin: DiscordStandIn,
    core: ArticleQA,
    corpus: Path,
    name: str,
    subcommand: str | None,
    options: dict[str, Any],
) -> None:
    """Every operator command, run by a member who can see it (an admin may show it to anyone)."""
    lighthouse = b"Lighthouse restored\n\nThe lighthouse was restored by 40 volunteers.\n"
    if "file" in options:
        options = {"file": standin.add_attachment("lighthouse.txt", lighthouse)}
    if "url" in options:
        options = {"url": standin.add_page("lighthouse", b"<p>" + lighthouse + b"</p>")}
    files_before = sorted(p.name for p in corpus.rglob("*"))
    last_reindex = core.last_reindex
    sent = await standin.answered(await standin.slash(ALICE_ID, name, options, subcommand=subcommand))
    assert sent.response_type == 4 and sent.ephemeral
    assert sent.callbacks[0]["data"]["content"].startswith("Only operators can use this command")
    assert core.snapshot.article("china-first-woman-spacewalk") is not None
    assert sorted(p.name for p in corpus.rglob("*")) == files_before
    assert core.last_reindex is last_reindex  # no reindex ran
    # Refused before doing anything: nothing downloaded, no status shown.
    assert not any(r.path.startswith(("/attachments", "/pages")) for r in standin.requests)
    assert "embeds" not in sent.callbacks[0]["data"] or not sent.callbacks[0]["data"]["embeds"]


@pytest.mark.parametrize("who", ["role", "manage-server", "user-id"])
async def test_operators_are_recognised(
    core: ArticleQA, bot_settings: Settings, standin: DiscordStandIn, who: str
) -> None:
    user_id = {"role": OLIVIA_ID, "manage-server": MANNY_ID, "user-id": ALICE_ID}[who]
    settings = bot_settings.with_overrides(operator_user_ids=(ALICE_ID,) if who == "user-id" else ())
    async with running(core, settings, standin):
        sent = await standin.answered(await standin.slash(user_id, "status"))
    assert sent.response_type == 4 and sent.ephemeral
    assert sent.callbacks[0]["data"]["embeds"][0]["title"] == "Article Bot status"


async def test_status_reports_the_index_and_never_the_token(
    bot: ArticleBot, standin: DiscordStandIn, core: ArticleQA
) -> None:
    await standin.answered(await standin.slash(ALICE_ID, "ask", {"question": ROCKET_QUESTION}))
    sent = await standin.answered(await standin.slash(OLIVIA_ID, "status"))
    fields = {f["name"]: f["value"] for f in sent.callbacks[0]["data"]["embeds"][0]["fields"]}
    assert fields["Articles"] == "1"
    assert fields["Passages"] == str(core.snapshot.passage_count)
    assert fields["Model"].startswith("fake-bow")
    assert fields["Questions answered"] == "1"
    assert fields["Message Content intent"] == "on"
    assert fields["Uptime"].endswith("s")
    for request in standin.requests:
        assert standin.token not in json.dumps(request.body)
        assert standin.token not in request.path


async def test_reindex_and_status_name_files_that_hold_the_same_article(
    corpus: Path, bot: ArticleBot, standin: DiscordStandIn, core: ArticleQA
) -> None:
    seed = corpus / "china-first-woman-spacewalk.txt"
    (corpus / "spacewalk-copy.txt").write_bytes(seed.read_bytes())
    sent = await standin.answered(await standin.slash(OLIVIA_ID, "reindex"))
    assert (
        "`spacewalk-copy.txt` holds the same article as `china-first-woman-spacewalk.txt`; indexed once."
        in sent.text
    )
    assert [r.id for r in core.snapshot.articles] == ["china-first-woman-spacewalk"]
    status = await standin.answered(await standin.slash(OLIVIA_ID, "status"))
    fields = {f["name"]: f["value"] for f in status.callbacks[0]["data"]["embeds"][0]["fields"]}
    assert fields["Same article in two files"] == (
        "`spacewalk-copy.txt` = `china-first-woman-spacewalk.txt` (each indexed once)"
    )


async def test_reindex_reports_added_changed_removed(
    corpus: Path, bot: ArticleBot, standin: DiscordStandIn, core: ArticleQA
) -> None:
    write_article(
        corpus, "harbour.txt", "Harbour reopens\n\nThe harbour reopened on Monday. Ships returned.\n"
    )
    sent = await standin.answered(await standin.slash(OLIVIA_ID, "reindex"))
    assert sent.callbacks[0] == {"type": 5, "data": {"flags": 64}}
    assert "Articles: 1 added (`harbour`), 0 changed, 0 removed, 1 unchanged." in sent.text
    assert "Passages: +1 \u22120" in sent.text
    assert core.snapshot.article("harbour") is not None

    (corpus / "harbour.txt").unlink()
    again = await standin.answered(await standin.slash(OLIVIA_ID, "reindex"))
    assert "0 added, 0 changed, 1 removed (`harbour`)" in again.text


async def test_article_add_from_an_attachment_then_answer_from_it(
    bot: ArticleBot, standin: DiscordStandIn, core: ArticleQA, corpus: Path
) -> None:
    body = b"Lighthouse restored\n\nThe Old Point lighthouse was restored by 40 volunteers in 2023.\n"
    attachment = standin.add_attachment("lighthouse.txt", body)
    sent = await standin.answered(
        await standin.slash(OLIVIA_ID, "article", {"file": attachment}, subcommand="add")
    )
    assert sent.ephemeral
    assert sent.text.startswith("Added `lighthouse.txt`.\n**Reindex done**")
    assert "1 added (`lighthouse`)" in sent.text
    assert (corpus / "lighthouse.txt").read_bytes() == body

    question = await standin.say(ALICE_ID, mention("How many volunteers restored the Old Point lighthouse?"))
    content = (await answer_to(standin, question))[0]["content"]
    assert "restored by 40 volunteers" in content and "Lighthouse restored, paragraph 1" in content


async def test_article_add_from_a_url(
    core: ArticleQA, bot_settings: Settings, standin: DiscordStandIn, corpus: Path
) -> None:
    page = (
        b"<html><head><title>Bridge</title></head><body><article><h1>Bridge opens</h1>"
        + (b"<p>The new river bridge opened to traffic on Friday after three years of work.</p>" * 3)
        + b"</article></body></html>"
    )
    url = standin.add_page("bridge", page)
    allowed = bot_settings.with_overrides(allow_private_urls=True)
    core.corpus = CorpusFolder(allowed.core)
    async with running(core, allowed, standin):
        sent = await standin.answered(
            await standin.slash(OLIVIA_ID, "article", {"url": url}, subcommand="add")
        )
    assert sent.text.startswith("Added `bridge.html`.")
    assert f"url: {url}" in (corpus / "bridge.html").read_text()
    assert core.snapshot.article("bridge") is not None


async def test_article_add_refuses_bad_input(bot: ArticleBot, standin: DiscordStandIn, corpus: Path) -> None:
    pdf = standin.add_attachment("report.pdf", b"%PDF-1.4", "application/pdf")
    url = standin.add_page("private", b"<p>hi</p>")
    cases: list[tuple[dict[str, Any], str]] = [
        ({}, "Give either a file or a URL"),
        ({"file": pdf}, "Report.pdf: use a .txt, .md or .html file."),
        ({"url": url}, "127.0.0.1 resolves to a private or local address"),
    ]
    for options, expected in cases:
        sent = await standin.answered(await standin.slash(OLIVIA_ID, "article", options, subcommand="add"))
        assert sent.ephemeral
        assert expected in (sent.callbacks[0].get("data") or {}).get("content", "") + sent.text
    assert sorted(p.name for p in corpus.iterdir()) == ["china-first-woman-spacewalk.txt"]


async def test_article_add_refuses_a_file_over_the_size_limit(
    core: ArticleQA, bot_settings: Settings, standin: DiscordStandIn
) -> None:
    small = bot_settings.with_overrides(max_article_bytes=100)
    async with running(core, small, standin):
        big = standin.add_attachment("big.txt", b"Big\n\n" + b"word " * 100)
        sent = await standin.answered(
            await standin.slash(OLIVIA_ID, "article", {"file": big}, subcommand="add")
        )
    assert sent.response_type == 4 and sent.ephemeral
    assert sent.callbacks[0]["data"]["content"] == "Big.txt is 505 bytes; the limit is 100."


async def test_article_remove(
    bot: ArticleBot, standin: DiscordStandIn, core: ArticleQA, corpus: Path
) -> None:
    sent = await standin.answered(
        await standin.slash(
            OLIVIA_ID, "article", {"article": "china-first-woman-spacewalk"}, subcommand="remove"
        )
    )
    assert sent.text.startswith("Removed `china-first-woman-spacewalk`")
    assert "1 removed (`china-first-woman-spacewalk`)" in sent.text
    assert core.snapshot.articles == []
    assert (corpus / ".removed" / "china-first-woman-spacewalk.txt").is_file()
    after = await standin.answered(await standin.slash(ALICE_ID, "summary"))
    assert after.callbacks[0]["data"]["content"] == "The index holds no articles yet."


class GatedEmbedder(FakeEmbedder):
    """Embeds questions at once; holds batch embeddings (a reindex) until released."""

    def __init__(self) -> None:
        super().__init__()
        self.holding = threading.Event()
        self.release = threading.Event()
        self.gated = False

    def embed(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        if self.gated and len(texts) > 1:
            self.holding.set()
            assert self.release.wait(10), "the test never released the reindex"
        return super().embed(texts, batch_size)


async def test_reindex_while_questions_are_answered(
    corpus: Path, bot_settings: Settings, standin: DiscordStandIn
) -> None:
    embedder = GatedEmbedder()
    core = ArticleQA(bot_settings.core, embedder)
    core.open()
    write_article(
        corpus,
        "lighthouse.txt",
        "Lighthouse restored\n\nThe Old Point lighthouse was restored by 40 volunteers in 2023. "
        "It reopened to visitors in May.\n",
    )
    lighthouse = "How many volunteers restored the Old Point lighthouse?"
    embedder.gated = True
    async with running(core, bot_settings, standin):
        reindex = await standin.slash(OLIVIA_ID, "reindex")
        assert await asyncio.to_thread(embedder.holding.wait, 5)  # the reindex is embedding
        during = await standin.say(ALICE_ID, mention(ROCKET_QUESTION))
        answered_during = await answer_to(standin, during)
        old = await standin.say(MANNY_ID, mention(lighthouse))
        old_reply = (await answer_to(standin, old))[0]["content"]
        assert not reindex.done  # both ran at once: the reindex is still going
        embedder.release.set()
        await standin.answered(reindex)
        after = await standin.say(OLIVIA_ID, mention(lighthouse))
        new_reply = (await answer_to(standin, after))[0]["content"]

    assert "Long March-2F" in answered_during[0]["content"]
    assert "Lighthouse restored" not in old_reply  # the old index did not know it
    assert "1 added (`lighthouse`)" in reindex.text
    assert "restored by 40 volunteers" in new_reply and "Lighthouse restored, paragraph 1" in new_reply


def _disk_full(*args: object, **kwargs: object) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


async def test_reindex_on_a_full_disk_answers_an_ephemeral_error(
    corpus: Path,
    bot: ArticleBot,
    standin: DiscordStandIn,
    core: ArticleQA,
    bot_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old_version = core.snapshot.path
    write_article(corpus, "harbour.txt", "Harbour reopens\n\nThe harbour reopened on Monday.\n")
    with monkeypatch.context() as patch:
        patch.setattr(np, "save", _disk_full)  # the test's harness: the disk fills up mid-write
        sent = await standin.answered(await standin.slash(OLIVIA_ID, "reindex"))
    assert sent.callbacks[0] == {"type": 5, "data": {"flags": 64}}  # ephemeral from the start
    assert sent.original is not None and sent.original["flags"] & 64
    assert sent.text.startswith("The reindex failed: no space left on the disk; the previous index in ")
    assert sent.text.endswith("is still in use.") and "\n" not in sent.text
    assert core.snapshot.path == old_version and core.snapshot.article("harbour") is None
    assert not list(bot_settings.index_dir.glob(".tmp-*"))
    message = await standin.say(ALICE_ID, mention(ROCKET_QUESTION))  # still answering from the old index
    assert "Long March-2F" in (await answer_to(standin, message))[0]["content"]
    again = await standin.answered(await standin.slash(OLIVIA_ID, "reindex"))  # space again
    assert "1 added (`harbour`)" in again.text


async def test_article_add_of_a_changed_file_asks_for_replace(
    bot: ArticleBot, standin: DiscordStandIn, corpus: Path
) -> None:
    name = "china-first-woman-spacewalk.txt"
    changed = (corpus / name).read_bytes().replace(b"Nov. 7", b"Nov. 8")
    attachment = standin.add_attachment(name, changed)
    refused = await standin.answered(
        await standin.slash(OLIVIA_ID, "article", {"file": attachment}, subcommand="add")
    )
    assert "already in the corpus with other text" in refused.text and "replace" in refused.text
    assert b"Nov. 7" in (corpus / name).read_bytes()
    attachment = standin.add_attachment(name, changed)
    sent = await standin.answered(
        await standin.slash(OLIVIA_ID, "article", {"file": attachment, "replace": True}, subcommand="add")
    )
    assert sent.text.startswith(f"Added `{name}`.") and "1 changed" in sent.text
    assert (corpus / name).read_bytes() == changed and b"Nov. 7" in (corpus / ".removed" / name).read_bytes()
