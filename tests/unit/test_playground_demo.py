"""`--demo`: approved stores in Pune and Mumbai, expected parcels, linked customers in each
language — loaded once, through the services, into the database it is given."""

from __future__ import annotations

from pathlib import Path

from bot.config import load_settings
from bot.playground.botapi import DEFAULT_TOKEN
from bot.playground.demo import load_demo
from bot.storage.db import Database


async def test_demo_loads_once_and_every_flow_has_something_to_work_on(tmp_path: Path) -> None:
    settings = load_settings(bot_token=DEFAULT_TOKEN, db_path=tmp_path / "playground.sqlite3",
                             admin_ids=frozenset({900}))
    first = await load_demo(settings)
    assert first.loaded and first.store_codes == ["KS-0001", "KS-0002", "KS-0003"]
    assert (first.parcels, first.customers) == (6, 3)

    again = await load_demo(settings)
    assert not again.loaded and again.store_codes == first.store_codes

    db = await Database.open(settings.db_path)
    try:
        stores = await db.fetchall(
            "SELECT code, status, address, admin_notice_due, owner_notice_due FROM stores")
        assert {s["status"] for s in stores} == {"approved"}
        assert {s["address"].rsplit(", ", 1)[1] for s in stores} == {"Pune", "Mumbai"}
        assert not any(s["admin_notice_due"] or s["owner_notice_due"] for s in stores)
        parcels = await db.fetchall("SELECT status, store_id FROM parcels")
        assert len(parcels) == 6 and {p["status"] for p in parcels} == {"expected"}
        assert len({p["store_id"] for p in parcels}) == 3
        languages = await db.fetchall(
            "SELECT u.language FROM customers c JOIN users u USING (user_id)")
        assert sorted(r["language"] for r in languages) == ["en", "hi", "mr"]
    finally:
        await db.close()
