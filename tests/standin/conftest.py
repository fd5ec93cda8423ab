from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.standin import DiscordStandIn


@pytest.fixture
async def server() -> AsyncIterator[DiscordStandIn]:
    standin = DiscordStandIn()
    await standin.start()
    yield standin
    await standin.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session
