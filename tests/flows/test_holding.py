"""The holding period as people see it: reminders, expiry, /returns, the morning summary.

Through the real Application; messages to others go through the outbox sender, awaited with
``drain()``; time moves with ManualClock. The clock starts on Mon 2 Nov 2026, 10:00 IST; a
parcel that arrives then has its last day on Mon 9 Nov.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from bot.outbox.sender import get_sender
from bot.services import holding
from tests.factories import approved_store, ensure_user, linked_customer
from tests.flows.conftest import ADMIN_ID
from tests.flows.harness import Harness, Person
from tests.parcel_factory import arrived_parcel

SHOP, CUSTOMER, OTHER_CUSTOMER = 501, 701, 702
PHONE, OTHER_PHONE = "+919876543210", "+919812345678"
LANGS = ["en", "hi", "mr"]
REMIND_AT = datetime(2026, 11, 6, 18, 30, tzinfo=UTC)     # Sat 7 Nov 00:00 IST
EXPIRE_AT = datetime(2026, 11, 9, 18, 30, tzinfo=UTC)     # Tue 10 Nov 00:00 IST

REMINDER_ONE = {
    "en": "⏰ Reminder: your parcel {0} is waiting for you.",
    "hi": "⏰ याद दिला दें: आपका पार्सल {0} दुकान पर रखा है, आकर ले जाएँ।",
    "mr": "⏰ आठवण: तुमचे पार्सल {0} दुकानात ठेवले आहे, येऊन घेऊन जा.",
}
REMINDER_MANY = {
    "en": "⏰ Reminder: your parcels {0}, {1} are waiting for you.",
    "hi": "⏰ याद दिला दें: आपके पार्सल {0}, {1} दुकान पर रखे हैं, आकर ले जाएँ।",
    "mr": "⏰ आठवण: तुमचे पार्सल {0}, {1} दुकानात ठेवले आहेत, येऊन घेऊन जा.",
}
LAST_DAY = {
    "en": "📅 Last day to collect: Mon, 9 Nov",
    "hi": "📅 लेने का आख़िरी दिन: सोम, 9 नव॰",
    "mr": "📅 घेण्याचा शेवटचा दिवस: सोम, 9 नोव्हें",
}
LAST_DAY_MOVED = {
    "en": "📅 Last day to collect: Thu, 12 Nov",
    "hi": "📅 लेने का आख़िरी दिन: गुरु, 12 नव॰",
    "mr": "📅 घेण्याचा शेवटचा दिवस: गुरु, 12 नोव्हें",
}
CODE_HINT = {
    "en": "Say your pickup code at the counter. Lost it? Get a new one in /myparcels",
    "hi": "काउंटर पर अपना पिकअप कोड बताएँ। कोड खो गया? /myparcels में नया कोड लें",
    "mr": "काउंटरवर तुमचा पिकअप कोड सांगा. कोड हरवला? /myparcels मध्ये नवीन कोड घ्या",
}
EXPIRED = {
    "en": "⌛ Your parcel {0} was not collected in time. It goes back to the sender.",
    "hi": "⌛ आपका पार्सल {0} समय पर नहीं लिया गया। यह भेजने वाले को वापस जाएगा।",
    "mr": "⌛ तुमचे पार्सल {0} वेळेत घेतले गेले नाही. ते पाठवणाऱ्याकडे परत जाईल.",
}
RETURNS_DUE = {
    "en": "↩️ 2 parcels were not collected in time. Give them back to the courier:",
    "hi": "↩️ 2 पार्सल समय पर नहीं लिए गए। इन्हें कूरियर को वापस दें:",
    "mr": "↩️ 2 पार्सल वेळेत घेतले गेले नाहीत. ते कुरिअरकडे परत द्या:",
}
RETURNS_HEAD = {
    "en": "↩️ {n} parcels to give back to the courier",
    "hi": "↩️ {n} पार्सल कूरियर को वापस देने हैं",
    "mr": "↩️ {n} पार्सल कुरिअरकडे परत द्यायचे आहेत",
}
RETURNED_BUTTON = {"en": "✅ Returned · {0}", "hi": "✅ वापस दिया · {0}",
                   "mr": "✅ परत दिले · {0}"}
ALL_BUTTON = {"en": "✅ All returned ({n})", "hi": "✅ सब वापस दिए ({n})",
              "mr": "✅ सर्व परत दिले ({n})"}
ONE_DONE = {"en": "✅ 1 parcel returned to the courier.",
            "hi": "✅ 1 पार्सल कूरियर को वापस दिया गया।",
            "mr": "✅ 1 पार्सल कुरिअरकडे परत दिले."}
NOTHING_LEFT = {"en": "↩️ Nothing to give back to the courier right now.",
                "hi": "↩️ अभी कूरियर को कुछ भी वापस नहीं देना है।",
                "mr": "↩️ आत्ता कुरिअरकडे काहीही परत द्यायचे नाही."}
GONE_BACK = {
    "en": "↩️ Your parcel {0} has gone back to the sender from Sharma Kirana.",
    "hi": "↩️ आपका पार्सल {0} Sharma Kirana से भेजने वाले को वापस भेज दिया गया है।",
    "mr": "↩️ तुमचे पार्सल {0} Sharma Kirana येथून पाठवणाऱ्याकडे परत पाठवले आहे.",
}
NO_PARCEL = {"en": "❌ No parcel with this code here.",
             "hi": "❌ इस कोड का कोई पार्सल यहाँ नहीं है।",
             "mr": "❌ या कोडचे कोणतेही पार्सल इथे नाही."}
FOUND = {"en": "📦 Parcel found", "hi": "📦 पार्सल मिल गया", "mr": "📦 पार्सल सापडले"}
SUMMARY = {
    "en": ("☀️ Good morning! Sharma Kirana, Wed, 4 Nov\n\n"
           "📦 2 parcels waiting for pickup\n"
           "📅 1 of them: today is the last day\n"
           "✅ Yesterday: 0 parcels handed over, ₹0.00 earned"),
    "hi": ("☀️ सुप्रभात! Sharma Kirana, बुध, 4 नव॰\n\n"
           "📦 2 पार्सल ग्राहकों का इंतज़ार कर रहे हैं\n"
           "📅 इनमें से 1 पार्सल का आज आख़िरी दिन है\n"
           "✅ कल: 0 पार्सल सौंपे गए, ₹0.00 की कमाई"),
    "mr": ("☀️ शुभ सकाळ! Sharma Kirana, बुध, 4 नोव्हें\n\n"
           "📦 2 पार्सल ग्राहकांची वाट पाहत आहेत\n"
           "📅 त्यापैकी 1 पार्सलचा आज शेवटचा दिवस आहे\n"
           "✅ काल: 0 पार्सल सुपूर्द केले, ₹0.00 कमाई"),
}


@pytest.fixture
async def h(tmp_path) -> AsyncIterator[Harness]:
    # No spacing between messages to one chat: these tests are about what is said, not pace.
    harness = Harness(tmp_path, admin_ids={ADMIN_ID}, rate_per_chat_seconds=0, summary_hour=9)
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


@dataclass
class Shop:
    store_id: int
    shop: Person
    customer: Person


async def shop_and_customer(h: Harness, lang: str) -> Shop:
    store_id, _ = await approved_store(h.svc, SHOP, language=lang)
    await linked_customer(h.svc, CUSTOMER, PHONE, language=lang)
    return Shop(store_id, h.stranger(SHOP, tg_language=lang, first_name="Ramesh"),
                h.stranger(CUSTOMER, tg_language=lang, first_name="Priya"))


async def at(h: Harness, moment: datetime) -> None:
    """Move the clock, run a sweep as the periodic job does, and let the outbox deliver."""
    h.clock.set(moment)
    await holding.sweep(h.svc)
    await delivered(h)


async def delivered(h: Harness) -> None:
    sender = get_sender(h.svc)
    assert sender is not None
    await sender.drain()


def plain(message) -> str:  # noqa: ANN001 - BotMessage
    return message.text or ""


async def extend_hold(customer: Person, button: str) -> None:
    """/myparcels, then the parcel's "+3 days" on that list (the arrival notice /myparcels
    sends along has buttons of its own)."""
    shown = await customer.send("/myparcels")
    (listing,) = [m for m in shown if button in m.button_texts()]
    await customer.press(button, message_id=listing.message_id)


async def press_data(h: Harness, person: Person, data: str) -> None:
    """A press with arbitrary (old or forged) callback data on one of the bot's messages."""
    message = next(m for m in reversed(h.api.messages(person.id)) if m.callback_data())
    update = person.fake.press(message.callback_data()[0], message_id=message.message_id)
    update["callback_query"]["data"] = data
    await h.feed(update)


# ------------------------------------------------------------------------------ reminder


@pytest.mark.parametrize("lang", LANGS)
async def test_reminder_two_days_before_in_the_customers_language(h: Harness, lang: str) -> None:
    s = await shop_and_customer(h, lang)
    _, a, _ = await arrived_parcel(h.svc, s.store_id, tracking_id="TRKAAAA0001")
    _, b, _ = await arrived_parcel(h.svc, s.store_id, tracking_id="TRKBBBB0002")
    await at(h, REMIND_AT - timedelta(seconds=1))   # Fri 23:59:59 IST
    assert s.customer.new() == []
    await at(h, REMIND_AT)                           # Sat 00:00 IST
    (reminder,) = s.customer.new()                   # one message for both parcels
    text = plain(reminder)
    assert text.startswith(REMINDER_MANY[lang].format(a, b))
    assert "Sharma Kirana" in text and "12 MG Road, Kothrud, Pune, 411038" in text
    assert LAST_DAY[lang] in text
    assert CODE_HINT[lang] in text
    await h.restart()                                # nothing again, not even after a restart
    await at(h, REMIND_AT + timedelta(hours=12))
    assert [m for m in s.customer.new() if "⏰" in plain(m)] == []


@pytest.mark.parametrize("lang", LANGS)
async def test_extension_moves_the_reminder_without_repeating_it(h: Harness, lang: str) -> None:
    s = await shop_and_customer(h, lang)
    _, tracking, _ = await arrived_parcel(h.svc, s.store_id)
    await at(h, REMIND_AT)
    assert plain(s.customer.new()[0]).startswith(REMINDER_ONE[lang].format(tracking))
    # "+3 days" in /myparcels.
    extend = {"en": "⏳ +3 days", "hi": "⏳ +3 दिन", "mr": "⏳ +3 दिवस"}[lang]
    await extend_hold(s.customer, f"{extend} · {tracking}")
    await at(h, REMIND_AT + timedelta(hours=1))
    assert s.customer.new() == []                    # no second reminder for 9 Nov
    await at(h, EXPIRE_AT)                           # the old end: no expiry, but the
    (moved,) = s.customer.new()                      # reminder for the new last day
    assert plain(moved).startswith(REMINDER_ONE[lang].format(tracking))
    assert LAST_DAY_MOVED[lang] in plain(moved)
    await at(h, EXPIRE_AT + timedelta(days=3) - timedelta(seconds=1))
    assert s.customer.new() == []
    await at(h, EXPIRE_AT + timedelta(days=3))
    (gone,) = s.customer.new()
    assert plain(gone).startswith(EXPIRED[lang].format(tracking))
    row = await h.svc.db.fetchone("SELECT status, last_day FROM parcels")
    assert tuple(row) == ("to_return", "2026-11-12")


# --------------------------------------------------------------------- expiry and returns


@pytest.mark.parametrize("lang", LANGS)
async def test_expiry_returns_one_by_one_and_all(h: Harness, lang: str) -> None:
    s = await shop_and_customer(h, lang)
    await linked_customer(h.svc, OTHER_CUSTOMER, OTHER_PHONE, language="en")
    other = h.stranger(OTHER_CUSTOMER, first_name="Anil")
    pid_a, a, code = await arrived_parcel(h.svc, s.store_id, tracking_id="TRKAAAA0001")
    _, b, _ = await arrived_parcel(h.svc, s.store_id, tracking_id="TRKBBBB0002",
                                   phone=OTHER_PHONE)
    await at(h, REMIND_AT)
    s.customer.new(), other.new(), s.shop.new()

    # The code works on the last day, up to its very end ...
    await at(h, EXPIRE_AT - timedelta(minutes=1))
    await s.shop.send("/pickup")
    assert plain((await s.shop.send(code))[0]).startswith(FOUND[lang])
    await s.shop.send("/cancel")
    # ... and not a second later, even before any sweep has run.
    h.clock.set(EXPIRE_AT)
    await s.shop.send("/pickup")
    assert plain((await s.shop.send(code))[0]).startswith(NO_PARCEL[lang])
    await s.shop.send("/cancel")
    s.shop.new()

    await at(h, EXPIRE_AT + timedelta(seconds=30))
    (told,) = s.customer.new()
    assert plain(told).startswith(EXPIRED[lang].format(a)) and "Sharma Kirana" in plain(told)
    assert plain(other.new()[0]).startswith(EXPIRED["en"].format(b))
    (due,) = s.shop.new()
    assert plain(due).startswith(RETURNS_DUE[lang])
    assert a in plain(due) and b in plain(due) and "/returns" in plain(due)
    # The code stays refused after the sweep.
    await s.shop.send("/pickup")
    assert plain((await s.shop.send(code))[0]).startswith(NO_PARCEL[lang])
    await s.shop.send("/cancel")

    (screen,) = await s.shop.send("/returns")
    assert plain(screen).startswith(RETURNS_HEAD[lang].format(n=2))
    assert screen.button_texts() == [RETURNED_BUTTON[lang].format(a),
                                     RETURNED_BUTTON[lang].format(b),
                                     ALL_BUTTON[lang].format(n=2)]
    (edited,) = await s.shop.press(RETURNED_BUTTON[lang].format(a))
    assert plain(edited).startswith(ONE_DONE[lang])
    assert edited.button_texts() == [RETURNED_BUTTON[lang].format(b), ALL_BUTTON[lang].format(n=1)]
    await delivered(h)
    assert plain(s.customer.new()[0]) == GONE_BACK[lang].format(a)
    (edited,) = await s.shop.press(ALL_BUTTON[lang].format(n=1))
    assert NOTHING_LEFT[lang] in plain(edited)
    await delivered(h)
    assert plain(other.new()[0]) == GONE_BACK["en"].format(b)
    # Pressing an old button again changes nothing.
    await press_data(h, s.shop, f"1:ret:one:{pid_a}")
    assert s.shop.callback_answers()[-1].text == {
        "en": "This button has expired.", "hi": "यह बटन अब काम नहीं करता।",
        "mr": "हे बटण आता चालत नाही."}[lang]
    statuses = await h.svc.db.fetchall("SELECT status FROM parcels")
    assert {r[0] for r in statuses} == {"returned"}


@pytest.mark.parametrize("lang", LANGS)
async def test_a_suspended_store_still_gives_parcels_back(h: Harness, lang: str) -> None:
    # A suspension stops receiving and handing over; the shelf still has to be emptied.
    s = await shop_and_customer(h, lang)
    _, tracking, _ = await arrived_parcel(h.svc, s.store_id, tracking_id="TRKSUSP0001")
    await h.svc.db.execute("UPDATE stores SET status = 'suspended' WHERE id = ?", (s.store_id,))
    await at(h, EXPIRE_AT + timedelta(seconds=30))
    s.customer.new(), s.shop.new()

    (screen,) = await s.shop.send("/returns")
    assert plain(screen).startswith("↩️ 1 ") and tracking in plain(screen)
    assert RETURNED_BUTTON[lang].format(tracking) in screen.button_texts()
    (edited,) = await s.shop.press(RETURNED_BUTTON[lang].format(tracking))
    assert plain(edited).startswith(ONE_DONE[lang])
    await delivered(h)
    assert plain(s.customer.new()[0]) == GONE_BACK[lang].format(tracking)
    # Still suspended for everything else.
    (answer,) = await s.shop.send("/receive")
    assert "(KS-0001)" in plain(answer)  # "your store ... is suspended", not the receive prompt


async def test_forged_return_buttons_are_stale(h: Harness) -> None:
    s = await shop_and_customer(h, "en")
    pid, _, _ = await arrived_parcel(h.svc, s.store_id)
    await at(h, EXPIRE_AT)
    intruder = h.stranger(999, first_name="Mallory")
    await intruder.send("/start")
    for data in (f"1:ret:one:{pid}", "1:ret:one:99999999999999999999999", "1:ret:all:-5",
                 "1:ret:all:99999999999999999999", "1:ret:zap:1"):
        await press_data(h, intruder, data)
        assert intruder.callback_answers()[-1].text == "This button has expired."
    assert await h.svc.db.fetchval("SELECT status FROM parcels") == "to_return"


# ------------------------------------------------------------------------ morning summary


@pytest.mark.parametrize("lang", LANGS)
async def test_morning_summary_skipped_when_empty(h: Harness, lang: str) -> None:
    s = await shop_and_customer(h, lang)
    await approved_store(h.svc, 502, shop_name="Patil General", language=lang)
    empty = h.stranger(502, tg_language=lang, first_name="Sunil")
    await arrived_parcel(h.svc, s.store_id)
    await arrived_parcel(h.svc, s.store_id, arrived_at=h.clock.now() - timedelta(days=5))
    s.shop.new()
    nine = datetime(2026, 11, 4, 3, 30, tzinfo=UTC)  # Wed 4 Nov 09:00 IST
    await at(h, nine - timedelta(minutes=1))
    assert s.shop.new() == []
    await at(h, nine)
    (summary,) = s.shop.new()
    assert plain(summary) == SUMMARY[lang]
    assert empty.new() == []                          # nothing to say: no message
    await at(h, nine + timedelta(hours=3))
    assert s.shop.new() == []                         # once a day


# ---------------------------------------------------------------- restarts and crashes


async def test_due_work_is_done_once_at_start_up(h: Harness) -> None:
    s = await shop_and_customer(h, "hi")
    _, tracking, _ = await arrived_parcel(h.svc, s.store_id)
    await h.stop()                                    # down from Friday to Tuesday morning
    h.clock.set(EXPIRE_AT + timedelta(hours=6))
    await h.start()                                   # the start-up sweep
    await delivered(h)
    texts = [plain(m) for m in s.customer.new()]
    assert texts == [EXPIRED["hi"].format(tracking) + "\n\n🏪 Sharma Kirana"]  # no late reminder
    shop_texts = [plain(m) for m in s.shop.new()]
    assert any(t.startswith("↩️ 1 पार्सल समय पर नहीं लिया गया।") for t in shop_texts)
    await h.restart()
    await delivered(h)
    assert s.customer.new() == [] and [m for m in s.shop.new() if "↩️" in plain(m)] == []


async def test_a_kill_between_queueing_and_sending_repeats_at_most_one_message(
    h: Harness,
) -> None:
    s = await shop_and_customer(h, "mr")
    _, tracking, _ = await arrived_parcel(h.svc, s.store_id)
    # 1. Killed after the claim committed, before anything was sent: the outbox row is there.
    sender = get_sender(h.svc)
    assert sender is not None
    await sender.close()                              # the sender is "dead"
    h.clock.set(REMIND_AT)
    await holding.sweep(h.svc)
    assert s.customer.new() == []
    await h.restart()
    await delivered(h)
    (first,) = s.customer.new()
    assert plain(first).startswith(REMINDER_ONE["mr"].format(tracking))
    # 2. Killed after Telegram took the message, before "sent" was written: the row is still
    #    pending after the restart and goes once more — the one repeat — and the sweep claims
    #    nothing again.
    await h.svc.db.execute("UPDATE outbox SET state = 'pending' WHERE kind = 'holding.reminder'")
    await h.restart()
    await holding.sweep(h.svc)
    await delivered(h)
    reminders = [plain(m) for m in s.customer.new() if "⏰" in plain(m)]
    assert reminders == [plain(m) for m in h.api.messages(CUSTOMER)][-1:]
    assert len([m for m in h.api.messages(CUSTOMER) if "⏰" in plain(m)]) == 2
    await h.restart()
    await holding.sweep(h.svc)
    await delivered(h)
    assert s.customer.new() == []
    assert await h.svc.db.fetchval(
        "SELECT COUNT(*) FROM outbox WHERE kind = 'holding.reminder'") == 1


# --------------------------------------------------------------------- admin's history


async def test_admin_history_shows_the_holding_events(h: Harness) -> None:
    s = await shop_and_customer(h, "en")
    await ensure_user(h.svc, ADMIN_ID, language="en", first_name="Ravi")
    admin = h.stranger(ADMIN_ID, first_name="Ravi")
    pid, tracking, _ = await arrived_parcel(h.svc, s.store_id)
    await at(h, REMIND_AT)
    await extend_hold(s.customer, f"⏳ +3 days · {tracking}")
    await at(h, EXPIRE_AT)                            # the reminder for the new last day
    await at(h, EXPIRE_AT + timedelta(days=3))
    await s.shop.send("/returns")
    await s.shop.press(f"✅ Returned · {tracking}")
    (card,) = await admin.send(f"/parcel {tracking}")
    history = plain(card).split("History", 1)[1]
    labels = ["customer reminded of the last day", "hold extended", "last day over: to return",
              "returned to the courier"]
    positions = [history.index(label) for label in labels]
    assert positions == sorted(positions), history
    assert history.count("customer reminded of the last day") == 2  # 9 Nov, then 12 Nov


async def test_a_reminder_sent_late_leaves_out_what_was_collected_meanwhile(h: Harness) -> None:
    """The reminder is rendered when it goes out: a parcel handed over after it was queued is
    left out, and a reminder about nothing still waiting is not sent at all."""
    s = await shop_and_customer(h, "en")
    _, a, code_a = await arrived_parcel(h.svc, s.store_id, tracking_id="TRKAAAA0001")
    _, b, _ = await arrived_parcel(h.svc, s.store_id, tracking_id="TRKBBBB0002")
    await approved_store(h.svc, 502, shop_name="Patil General")
    _, c, code_c = await arrived_parcel(h.svc, 2, tracking_id="TRKCCCC0003")
    sender = get_sender(h.svc)
    assert sender is not None
    await sender.close()                     # queued, not sent yet (Telegram slow, say)
    h.clock.set(REMIND_AT + timedelta(hours=10))
    await holding.sweep(h.svc)
    assert await h.svc.db.fetchval(
        "SELECT COUNT(*) FROM outbox WHERE kind = 'holding.reminder'") == 2
    # Meanwhile the customer collects a at Sharma Kirana and c at Patil General.
    for shop_id, code in ((SHOP, code_a), (502, code_c)):
        keeper = h.stranger(shop_id, first_name="Shopkeeper")
        await keeper.send("/pickup")
        await keeper.send(code)
        await keeper.press("✅ Handed over")
    s.customer.new()
    await h.restart()
    await delivered(h)
    reminders = [plain(m) for m in s.customer.new() if plain(m).startswith("⏰")]
    assert reminders and reminders[0].startswith(REMINDER_ONE["en"].format(b))
    assert len(reminders) == 1 and a not in reminders[0] and c not in reminders[0]
    states = await h.svc.db.fetchall(
        "SELECT state FROM outbox WHERE kind = 'holding.reminder' ORDER BY id")
    assert sorted(r[0] for r in states) == ["dropped", "sent"]
