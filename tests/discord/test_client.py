"""The client (bot/discord/client.py): intents, reconnects, shards, the token, command sync, the CLI."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.discord import ArticleBot, create_bot, run_bot, sync_commands
from bot.discord.client import ShardedArticleBot
from bot.engine import ArticleQA
from bot.errors import StartError
from bot.settings import Settings
from tests.discord.harness import (
    MESSAGES_ROUTE,
    ROCKET_QUESTION,
    ROCKET_SENTENCE,
    ROOT,
    SEED_TITLE,
    answer_to,
    mention,
    running,
    short_reply_to,
    write_article,
)
from tests.fakes import FakeEmbedder
from tests.standin import ALICE_ID, GUILD_ID, MANNY_ID, OLIVIA_ID, OPERATOR_ROLE_ID, DiscordStandIn


async def test_an_index_built_by_another_process_is_picked_up(
    corpus: Path, core: ArticleQA, bot_settings: Settings, standin: DiscordStandIn
) -> None:
    """As with shard processes sharing one index, or `python -m bot reindex` beside the bot."""
    bot = create_bot(core, bot_settings, guild_ready_timeout=0.01, index_poll_seconds=0.05)
    task = asyncio.create_task(bot.start(bot_settings.reveal_token()))
    try:
        await standin.wait_connected()
        write_article(
            corpus, "lighthouse.txt", "Lighthouse restored\n\nThe lighthouse was restored by 40 volunteers.\n"
        )
        other = ArticleQA(bot_settings.core, FakeEmbedder())
        await asyncio.to_thread(other.reindex)
        for _ in range(100):  # the bot polls every 0.05 s here
            if core.snapshot.article("lighthouse") is not None:
                break
            await asyncio.sleep(0.05)
        message = await standin.say(ALICE_ID, mention("How many volunteers restored the lighthouse?"))
        content = (await answer_to(standin, message))[0]["content"]
    finally:
        await bot.close()
        await task
    assert "restored by 40 volunteers" in content
    assert core.snapshot.path == other.snapshot.path


async def test_without_the_message_content_intent_the_bot_still_serves(
    core: ArticleQA, bot_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    standin = DiscordStandIn(message_content_granted=False)
    await standin.start()
    try:
        with caplog.at_level(logging.WARNING):
            settings = bot_settings.with_overrides(
                discord_api_base=standin.api_base, discord_gateway_url=standin.gateway_url
            )
            task = asyncio.create_task(run_bot(core, settings, guild_ready_timeout=0.01))
            await standin.wait_connected()
            sent = await standin.answered(await standin.slash(ALICE_ID, "ask", {"question": ROCKET_QUESTION}))
            message = await standin.say(ALICE_ID, mention(ROCKET_QUESTION))
            await answer_to(standin, message)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
    finally:
        await standin.close()
    assert standin.closed_4014 == 1
    assert [bool(i["intents"] & (1 << 15)) for i in standin.identifies] == [True, False]
    assert ROCKET_SENTENCE in sent.text
    assert any("Message Content intent is not enabled" in r.getMessage() for r in caplog.records)


async def test_gateway_reconnect_resumes_the_session(bot: ArticleBot, standin: DiscordStandIn) -> None:
    await standin.request_reconnect()
    await standin.wait_connected()
    assert standin.resumes == 1 and len(standin.identifies) == 1
    message = await standin.say(ALICE_ID, mention(ROCKET_QUESTION))
    assert "Long March-2F" in (await answer_to(standin, message))[0]["content"]


async def test_sharded_bot_identifies_each_shard(
    core: ArticleQA, bot_settings: Settings, standin: DiscordStandIn
) -> None:
    class QuickShardedBot(ShardedArticleBot):
        async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
            """No 5-second wait between IDENTIFYs (Discord's rate limit; the stand-in has none)."""

    settings = bot_settings.with_overrides(shard_count=2, shard_ids=(0, 1))
    assert isinstance(create_bot(core, settings), ShardedArticleBot)
    quick = QuickShardedBot(core, settings, shard_count=2, shard_ids=[0, 1], guild_ready_timeout=0.01)
    async with running(core, settings, standin, shards=2, bot=quick) as client:
        sent = await standin.answered(await standin.slash(ALICE_ID, "ask", {"question": ROCKET_QUESTION}))
        status = await standin.answered(await standin.slash(OLIVIA_ID, "status"))
        assert client.shard_count == 2
    assert sorted(tuple(i["shard"]) for i in standin.identifies) == [(0, 2), (1, 2)]
    assert ROCKET_SENTENCE in sent.text
    fields = {f["name"]: f["value"] for f in status.callbacks[0]["data"]["embeds"][0]["fields"]}
    assert fields["Shards"] == "0, 1 of 2"


async def test_a_refused_token_is_reported_without_the_token(
    core: ArticleQA, bot_settings: Settings, standin: DiscordStandIn
) -> None:
    wrong = bot_settings.with_overrides(discord_token="not.the-right.token")
    with pytest.raises(StartError) as caught:
        await run_bot(core, wrong)
    assert "401" in str(caught.value) and "not.the-right.token" not in str(caught.value)


# ---- command sync ---------------------------------------------------------------------

OPERATOR_COMMANDS = {"reindex", "article", "status", "insights", "feed"}


async def test_sync_to_a_guild_and_globally(bot_settings: Settings, standin: DiscordStandIn) -> None:
    names = await sync_commands(bot_settings, GUILD_ID)
    assert sorted(names) == [
        "article", "ask", "facts", "feed", "insights", "reindex", "search", "sources", "status",
        "summary",
    ]  # fmt: skip
    commands = {c["name"]: c for c in standin.commands[str(GUILD_ID)]}
    for name in OPERATOR_COMMANDS:
        assert str(commands[name]["default_member_permissions"]) == "32"  # Manage Server
    assert commands["ask"]["default_member_permissions"] is None
    ask_options = {o["name"]: o for o in commands["ask"]["options"]}
    assert ask_options["article"]["autocomplete"] is True and ask_options["question"]["required"] is True
    assert {o["name"] for o in commands["article"]["options"]} == {"add", "remove", "pin", "unpin"}

    await sync_commands(bot_settings)
    assert {c["name"] for c in standin.commands["global"]} == set(names)
    assert standin.identifies == []  # syncing never opens the gateway


async def test_sync_from_the_command_line(standin: DiscordStandIn, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DISCORD_TOKEN": standin.token,
        "DISCORD_API_BASE": standin.api_base,
        "DISCORD_GATEWAY_URL": standin.gateway_url,
        "INDEX_DIR": str(tmp_path / "index"),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "sync", "--guild", str(GUILD_ID),
        cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    output = stdout.decode() + stderr.decode()
    assert process.returncode == 0, output
    assert f"synced 10 commands to server {GUILD_ID}" in stdout.decode()
    assert standin.token not in output
    assert len(standin.commands[str(GUILD_ID)]) == 10


@pytest.mark.model
async def test_run_from_the_command_line_answers_and_stops_on_sigterm(
    standin: DiscordStandIn, corpus: Path, tmp_path: Path
) -> None:
    """`python -m bot run` as deployed: the real model, the index built at start, SIGTERM to stop."""
    env = {
        **os.environ,
        "DISCORD_TOKEN": standin.token,
        "DISCORD_API_BASE": standin.api_base,
        "DISCORD_GATEWAY_URL": standin.gateway_url,
        "CORPUS_DIR": str(corpus),
        "INDEX_DIR": str(tmp_path / "index"),
        "FEEDBACK_LOG": str(tmp_path / "feedback.jsonl"),
        "HF_HUB_OFFLINE": "1",
        "PYTHONPATH": str(ROOT),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        await standin.wait_connected(timeout=120)
        message = await standin.say(ALICE_ID, mention("Who walked in space with Wang Yaping?"))
        reply = (await answer_to(standin, message))[0]["content"]
    finally:
        logs = "".join(await _collect(process, stop=True))
    assert process.returncode == 0, logs
    assert "Zhai Zhigang" in reply and f"**[1]** {SEED_TITLE}, paragraph" in reply
    assert "reindex: articles: 1 added" in logs and "stopped" in logs
    assert standin.token not in logs


class QuickBot(ArticleBot):
    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """No 5-second wait before a second IDENTIFY (Discord's rate limit; the stand-in has none)."""


@pytest.mark.parametrize(
    ("drop", "resumes"),
    [
        ({"code": 4000}, True),  # closed by the server with "unknown error": resumable
        ({"code": None}, True),  # the TCP connection cut with no close frame
        ({"code": 4009, "forget_session": True}, False),  # session timed out: RESUME refused, IDENTIFY again
    ],
)
async def test_gateway_drop_then_the_bot_keeps_answering(
    core: ArticleQA, bot_settings: Settings, standin: DiscordStandIn, drop: dict[str, Any], resumes: bool
) -> None:
    bot = QuickBot(core, bot_settings, guild_ready_timeout=0.01)
    async with running(core, bot_settings, standin, bot=bot):
        await standin.drop_connection(**drop, stay_down=True)
        try:
            during = await standin.say(ALICE_ID, mention(ROCKET_QUESTION))  # asked while the bot is away
            await asyncio.sleep(0.2)
            assert standin.replies_to(int(during["id"])) == []
        finally:
            standin.bring_up()
        await standin.wait_connected()
        after = await standin.say(MANNY_ID, mention("Where was the video of the spacewalk posted?"))
        after_pages = await answer_to(standin, after)
        slash = await standin.answered(await standin.slash(ALICE_ID, "ask", {"question": ROCKET_QUESTION}))
        if resumes:
            during_pages = await answer_to(standin, during)  # replayed by the RESUME, answered once
        await asyncio.sleep(0.1)

    assert "Weibo" in after_pages[0]["content"]
    assert ROCKET_SENTENCE in slash.text
    if resumes:
        assert standin.resumes == 1 and len(standin.identifies) == 1
        assert standin.replayed >= 1
        assert len(during_pages) == 1 and "Long March-2F" in during_pages[0]["content"]
    else:
        assert standin.invalid_sessions == 1 and len(standin.identifies) == 2
        assert standin.replies_to(int(during["id"])) == []  # a new session does not get old events
    assert len(standin.bot_messages()) == (2 if resumes else 1)  # nothing answered twice


FAKE_TOKEN = "MTIz.secret-token-value"

# `python -m bot run -v` with the fake embedder in place of the model (the test's harness).
_RUN_WITH_FAKE_MODEL = """
import sys
from bot import cli
from tests.fakes import FakeEmbedder

sys.exit(cli.main(sys.argv[1:], cli.Runtime(embedder_factory=lambda model: FakeEmbedder())))
"""


async def _collect(process: Any, *, stop: bool) -> tuple[str, str]:
    """The process's stdout and stderr once it has ended: SIGTERM first if `stop`, killed after 60 s."""
    if stop and process.returncode is None:
        process.send_signal(signal.SIGTERM)
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    finally:
        if process.returncode is None:
            process.kill()
    return stdout.decode(), stderr.decode()


async def _start_bot_process(standin: DiscordStandIn, corpus: Path, tmp_path: Path, token: str) -> Any:
    env = {
        **os.environ,
        "DISCORD_TOKEN": token,
        "DISCORD_API_BASE": standin.api_base,
        "DISCORD_GATEWAY_URL": standin.gateway_url,
        "CORPUS_DIR": str(corpus),
        "INDEX_DIR": str(tmp_path / "index"),
        "FEEDBACK_LOG": str(tmp_path / "feedback.jsonl"),
        "OPERATOR_ROLE_IDS": str(OPERATOR_ROLE_ID),
        "COOLDOWN_SECONDS": "0",
        "PYTHONPATH": str(ROOT),
    }
    return await asyncio.create_subprocess_exec(
        sys.executable, "-c", _RUN_WITH_FAKE_MODEL, "run", "-v", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def test_the_token_never_appears_in_logs_errors_or_status(corpus: Path, tmp_path: Path) -> None:
    standin = DiscordStandIn(token=FAKE_TOKEN)
    await standin.start()
    process = await _start_bot_process(standin, corpus, tmp_path, FAKE_TOKEN)
    try:
        await standin.wait_connected(timeout=60)
        answered = await answer_to(standin, await standin.say(ALICE_ID, mention(ROCKET_QUESTION)))
        status = await standin.answered(await standin.slash(OLIVIA_ID, "status"))
        refused = await standin.answered(await standin.slash(ALICE_ID, "ask", {"question": "?!"}))
        standin.fail("POST", MESSAGES_ROUTE, 503)  # an error, with Discord's answer in the log
        failed = await short_reply_to(standin, await standin.say(ALICE_ID, mention(ROCKET_QUESTION)))
        await standin.drop_connection(code=4000)  # a reconnect, logged by discord.py
        await standin.wait_connected()
    finally:
        try:
            logs = "".join(await _collect(process, stop=True))
        finally:
            await standin.close()
    assert process.returncode == 0, logs
    # The run was logged in detail (-v) along every path …
    assert "has connected to Gateway" in logs and "RESUMED" in logs and "stopped" in logs
    assert "refused: The question has no words in it." in logs
    assert "Discord answered HTTP 503" in logs
    assert "Long March-2F" in answered[0]["content"] and "HTTP 503" in failed["content"]
    fields = {f["name"]: f["value"] for f in status.callbacks[0]["data"]["embeds"][0]["fields"]}
    assert fields["Model"].startswith("bundled:") and refused.ephemeral
    # … and the token is nowhere: not in the logs, not in anything sent, only in the auth header.
    assert FAKE_TOKEN not in logs and "secret-token" not in logs
    assert standin.requests and standin.identifies[0]["token_ok"]
    for request in standin.requests:
        sent = json.dumps(request.body) + request.path + json.dumps(request.query)
        assert "secret-token" not in sent
        if not request.path.startswith(("/webhooks/", "/interactions/")):
            assert request.authorization == f"Bot {FAKE_TOKEN}"


async def test_a_refused_token_is_one_line_without_the_token(corpus: Path, tmp_path: Path) -> None:
    standin = DiscordStandIn(token=FAKE_TOKEN)
    await standin.start()
    wrong = "MTIz.wrong-secret-value"
    process = await _start_bot_process(standin, corpus, tmp_path, wrong)
    try:
        stdout, stderr = await _collect(process, stop=False)
    finally:
        await standin.close()
    output = stdout + stderr
    assert process.returncode == 1, output
    assert stderr.splitlines()[-1] == (
        "error: Discord refused DISCORD_TOKEN (401 Unauthorized); check the token"
    )
    assert "Traceback" not in output
    assert wrong not in output and "wrong-secret" not in output
