from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.flows.harness import Harness

ADMIN_ID = 900


@pytest.fixture
async def harness(tmp_path) -> AsyncIterator[Harness]:
    h = Harness(tmp_path, admin_ids={ADMIN_ID})
    await h.start()
    try:
        yield h
    finally:
        await h.stop()
