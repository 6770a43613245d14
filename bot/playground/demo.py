"""``--demo``: approved stores in Pune and Mumbai, a manifest of expected parcels, and linked
customers in each language, so every flow of the playground can be tried at once.

Loaded through the same services the bot uses (a store is applied for and approved, the manifest
is imported, customers link their own number), into the playground's database only. Loading is
done once: a database that already has the demo stores is left as it is.
"""

from __future__ import annotations

import csv
import io
import itertools
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from bot.config import Settings
from bot.services import customers, users
from bot.services.context import Services
from bot.services.manifest_import import ImportReport, import_manifest
from bot.storage import stores
from bot.storage.db import Database
from bot.storage.stores import StoreDetails

from .personas import PERSONAS, by_id

# owner → the shop (the owner's own number, verified as if shared from their account).
STORES: dict[int, StoreDetails] = {
    902: StoreDetails("Kulkarni General Stores", "Sunil Kulkarni", "+919822000902", True,
                      "Shop 3, Paud Road, Kothrud, Pune", "411038", 18.5074, 73.8077,
                      "08:00", "22:00", 30, "sunil.kulkarni@okaxis"),
    903: StoreDetails("Noor Kirana", "Farhan Shaikh", "+919822000903", True,
                      "12 Chakala Road, Andheri East, Mumbai", "400069", 19.1136, 72.8697,
                      "09:00", "21:30", 25, None),
    904: StoreDetails("Meera Provisions", "Meera Iyer", "+919822000904", True,
                      "5 Ranade Road, Dadar West, Mumbai", "400028", 19.0176, 72.8562,
                      "07:30", "23:00", 40, "meera@oksbi"),
}

# Customers who link their number in the demo (Priya, Sanjay, Neha), and some who have not yet.
LINKED_CUSTOMERS = (911, 912, 913)
OTHER_CUSTOMERS = (("+919876543210", "Rahul Deshmukh"), ("+919765432109", "अनीता पाटील"),
                   ("+918888812345", "Sameer Khan"))


@dataclass(frozen=True)
class DemoSummary:
    loaded: bool            # False: the database had the demo already
    store_codes: list[str]
    parcels: int
    customers: int


async def load_demo(settings: Settings) -> DemoSummary:
    """Put the demo into ``settings.db_path`` (migrating it first); once per database."""
    db = await Database.open(settings.db_path)
    svc = Services(settings=settings, db=db)
    try:
        return await _load(svc)
    finally:
        await db.close()


async def _load(svc: Services) -> DemoSummary:
    now = svc.clock.now()
    owners = list(STORES)
    marks = ",".join("?" * len(owners))
    existing = await svc.db.fetchval(
        f"SELECT COUNT(*) FROM stores WHERE owner_user_id IN ({marks})", tuple(owners))
    if existing:
        codes = [row[0] for row in await svc.db.fetchall(
            f"SELECT code FROM stores WHERE owner_user_id IN ({marks}) AND code IS NOT NULL "
            "ORDER BY id", tuple(owners))]
        return DemoSummary(False, codes, 0, 0)

    for persona in PERSONAS:
        await users.identify(svc, user_id=persona.user_id, chat_id=persona.user_id,
                             first_name=persona.first_name, tg_language=persona.language)
        if persona.user_id in owners or persona.user_id in LINKED_CUSTOMERS:
            await users.choose_language(svc, persona.user_id, persona.language)

    codes: list[str] = []
    admin_id = min(svc.settings.admin_ids) if svc.settings.admin_ids else 0
    for owner, details in STORES.items():
        async with svc.db.transaction() as conn:
            store = await stores.insert_pending(conn, owner, details, now)
            await stores.decide(conn, store.id, approve=True, admin_id=admin_id, now=now)
            # Approved before the playground started: nobody is owed a notice about it.
            await conn.execute(
                "UPDATE stores SET admin_notice_due = 0, owner_notice_due = 0 WHERE id = ?",
                (store.id,))
            codes.append(stores.store_code(store.id))

    for user_id in LINKED_CUSTOMERS:
        persona = by_id(user_id)
        assert persona is not None
        await customers.link_contact(svc, user_id, user_id, persona.phone, persona.language)

    report = await import_manifest(svc, manifest_csv(codes, prefix="DEMO").encode(),
                                   "demo-manifest.csv", actor_id=None, source="cli")
    assert isinstance(report, ImportReport), report
    return DemoSummary(True, codes, report.loaded, len(LINKED_CUSTOMERS))


def _people() -> list[tuple[str, str]]:
    linked = []
    for user_id in LINKED_CUSTOMERS:
        persona = by_id(user_id)
        assert persona is not None
        linked.append((persona.phone, persona.first_name))
    return [*linked, *OTHER_CUSTOMERS]


def manifest_csv(store_codes: list[str], *, prefix: str, per_store: int = 2) -> str:
    """A courier manifest: ``per_store`` parcels for each store, customers taken in turn."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["tracking_id", "store_code", "customer_phone", "customer_name"])
    people = itertools.cycle(_people())
    n = 0
    for code in store_codes:
        for _ in range(per_store):
            n += 1
            phone, name = next(people)
            writer.writerow([f"{prefix}{n:06d}IN", code, phone, name])
    return out.getvalue()


def approved_store_codes(db_path: Path) -> list[str]:
    """Codes of the approved stores, read-only (for the sample manifest the page offers)."""
    if not db_path.exists():
        return []
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
    try:
        rows = conn.execute(
            "SELECT code FROM stores WHERE status = 'approved' AND code IS NOT NULL ORDER BY id"
        ).fetchall()
    except sqlite3.Error:
        return []
    finally:
        conn.close()
    return [row[0] for row in rows]
