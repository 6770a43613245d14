"""Helpers for the parcel flow tests: manifests, rows, codes as a customer sees them."""

from __future__ import annotations

import json
from typing import Any

from bot.playground.botapi import BotMessage
from bot.services.codes import code_key, hash_code
from bot.services.context import Services
from bot.services.manifest_import import ImportReport, import_manifest

HEADER = "tracking_id,store_code,customer_phone,customer_name"


async def load_manifest(svc: Services, *rows: tuple[str, str, str, str]) -> ImportReport:
    """Load (tracking_id, store_code, phone, name) rows as the command line would."""
    text = "\n".join([HEADER] + [",".join(r) for r in rows]) + "\n"
    report = await import_manifest(svc, text.encode(), "test.csv", actor_id=None, source="cli")
    assert isinstance(report, ImportReport), report
    assert not report.errors, report.errors
    return report


async def parcel(svc: Services, tracking_id: str) -> Any:
    row = await svc.db.fetchone("SELECT * FROM parcels WHERE tracking_id = ?", (tracking_id,))
    assert row is not None, tracking_id
    return row


async def events(svc: Services, tracking_id: str) -> list[tuple[str, dict]]:
    rows = await svc.db.fetchall(
        """SELECT e.event, e.details FROM parcel_events e JOIN parcels p ON p.id = e.parcel_id
           WHERE p.tracking_id = ? ORDER BY e.id""",
        (tracking_id,),
    )
    return [(r["event"], json.loads(r["details"])) for r in rows]


def entity_texts(message: BotMessage, kind: str) -> list[str]:
    """The text under each entity of ``kind`` (offsets are UTF-16 code units)."""
    text = message.text or message.caption or ""
    units = text.encode("utf-16-le")
    out = []
    for entity in message.entities:
        if entity["type"] == kind:
            start, length = entity["offset"] * 2, entity["length"] * 2
            out.append(units[start : start + length].decode("utf-16-le"))
    return out


def pickup_code(message: BotMessage) -> str:
    """The pickup code in a notice or new-code message (the only ``code`` entity there)."""
    (code,) = entity_texts(message, "code")
    assert len(code) == 6 and code.isdigit(), code
    return code


async def code_works(svc: Services, tracking_id: str, code: str) -> bool:
    """What /pickup checks: the parcel is arrived and its hash is this code's."""
    row = await parcel(svc, tracking_id)
    return row["status"] == "arrived" and row["code_hash"] == hash_code(
        code_key(svc.settings), row["store_id"], code)
