"""SQL for flow_state: a user's place in a multi-step flow, saved as each answer is given."""

from __future__ import annotations

import json
from datetime import datetime

from bot.clock import to_db
from bot.domain import FlowState
from bot.storage.db import Database


async def get(db: Database, user_id: int) -> FlowState | None:
    row = await db.fetchone(
        "SELECT flow, step, data FROM flow_state WHERE user_id = ?", (user_id,)
    )
    if row is None:
        return None
    return FlowState(flow=row["flow"], step=row["step"], data=json.loads(row["data"]))


async def put(db: Database, user_id: int, state: FlowState, now: datetime) -> None:
    await db.execute(
        """
        INSERT INTO flow_state (user_id, flow, step, data, updated_at) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (user_id) DO UPDATE SET
            flow = excluded.flow, step = excluded.step,
            data = excluded.data, updated_at = excluded.updated_at
        """,
        (user_id, state.flow, state.step, json.dumps(state.data, ensure_ascii=False), to_db(now)),
    )


async def clear(db: Database, user_id: int) -> bool:
    """Forget the user's flow; True when there was one."""
    return await db.execute("DELETE FROM flow_state WHERE user_id = ?", (user_id,)) > 0
