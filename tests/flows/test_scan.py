"""Scanning: photos of labels in /receive, the customer's pickup-code QR in /pickup."""

from __future__ import annotations

import pytest
from telegram import Update

from bot.handlers import scan
from bot.scan.decode import read_codes
from bot.services import codes
from tests.factories import approved_store, linked_customer
from tests.fakebotapi import BotMessage
from tests.flows.harness import Harness, Person
from tests.flows.parcel_helpers import code_works, load_manifest, parcel, pickup_code
from tests.flows.test_codes_never_stored import cells_containing, raw_bytes_containing
from tests.scan_images import F, blank, huge_png, page

LANGS = ["en", "hi", "mr"]

SCAN_MENU = {"en": "📷 Scan labels", "hi": "📷 लेबल स्कैन करें", "mr": "📷 लेबल स्कॅन करा"}
READ = {"en": "📷 4 tracking ids read", "hi": "📷 4 ट्रैकिंग आईडी पढ़ी गईं",
        "mr": "📷 4 ट्रॅकिंग आयडी वाचले"}
EXPECTED = {"en": "✅ Expected here: {t}", "hi": "✅ यहीं आने वाले: {t}", "mr": "✅ इथेच येणारे: {t}"}
UNKNOWN = {"en": "❓ Not in our list (I will ask for each customer's mobile): {t}",
           "hi": "❓ हमारी सूची में नहीं (हर ग्राहक का मोबाइल नंबर पूछूँगा): {t}",
           "mr": "❓ आमच्या यादीत नाहीत (प्रत्येक ग्राहकाचा मोबाईल नंबर विचारेन): {t}"}
OTHER_STORE = {"en": "⛔ For another store, do not keep them: {t}",
               "hi": "⛔ दूसरे स्टोर के हैं, इन्हें न रखें: {t}",
               "mr": "⛔ दुसऱ्या स्टोअरचे आहेत, ठेवून घेऊ नका: {t}"}
HERE = {"en": "ℹ️ Already here: {t}", "hi": "ℹ️ पहले से यहाँ हैं: {t}",
        "mr": "ℹ️ आधीच इथे आहेत: {t}"}
OTHERS = {"en": "2 other codes ignored (not tracking ids).",
          "hi": "2 दूसरे कोड छोड़ दिए (ट्रैकिंग आईडी नहीं हैं)।",
          "mr": "2 दुसरे कोड सोडून दिले (ट्रॅकिंग आयडी नाहीत)."}
RECEIVE = {"en": "✅ Receive these 2", "hi": "✅ ये 2 पार्सल दर्ज करें", "mr": "✅ हे 2 पार्सल नोंदवा"}
CANCEL = {"en": "✖ Cancel", "hi": "✖ रद्द करें", "mr": "✖ रद्द करा"}
ARRIVED = {"en": "✅ Arrived (1): ", "hi": "✅ पहुँच गए (1): ", "mr": "✅ पोहोचले (1): "}
ASK_MOBILE = {"en": "is not in our list. Type the customer's mobile number",
              "hi": "हमारी सूची में नहीं है। ग्राहक का मोबाइल नंबर टाइप करें",
              "mr": "आमच्या यादीत नाही. ग्राहकाचा मोबाईल नंबर टाइप करा"}
NO_ID = {"en": "📷 I found no tracking id in this photo. Hold the phone steady",
         "hi": "📷 इस फ़ोटो में कोई ट्रैकिंग आईडी नहीं मिली। फ़ोन स्थिर रखें",
         "mr": "📷 या फोटोत एकही ट्रॅकिंग आयडी सापडला नाही. फोन स्थिर धरा"}
TOO_LARGE = {"en": "📷 This picture is too large for me: at most 20 MB and 40 megapixels.",
             "hi": "📷 यह फ़ोटो बहुत बड़ी है: ज़्यादा से ज़्यादा 20 MB और 40 मेगापिक्सेल।",
             "mr": "📷 हा फोटो खूप मोठा आहे: जास्तीत जास्त 20 MB आणि 40 मेगापिक्सेल."}
SHOW_QR = {"en": "🔳 Show as QR", "hi": "🔳 QR कोड दिखाएँ", "mr": "🔳 QR कोड दाखवा"}
FOUND = {"en": "📦 Parcel found", "hi": "📦 पार्सल मिल गया", "mr": "📦 पार्सल सापडले"}

MINE = "TRK10000001"      # expected at this store
ELSEWHERE = "TRK10000002"  # expected at another store
HERE_ALREADY = "TRK10000003"
NEW = "TRK10000004"       # in no manifest


async def shop(h: Harness, lang: str) -> tuple[Person, str]:
    ramesh = h.stranger(201, tg_language=lang, first_name="Ramesh")
    _, code = await approved_store(h.svc, 201, language=lang)
    return ramesh, code


def photo_of_labels() -> bytes:
    return page((MINE, F.Code128), (ELSEWHERE, F.QRCode), (HERE_ALREADY, F.Code128),
                (NEW, F.DataMatrix), ("8901234567890", F.EAN13),
                ("https://shop.example/o/42", F.QRCode))


def photo_bytes(h: Harness, message: BotMessage) -> bytes:
    return h.api.file_content(message.raw["photo"][-1]["file_id"])


@pytest.mark.parametrize("lang", LANGS)
async def test_photo_of_labels_lists_the_ids_then_receives_them(
    harness: Harness, lang: str
) -> None:
    ramesh, code = await shop(harness, lang)
    _, other_code = await approved_store(harness.svc, 202, shop_name="Patil Stores")
    priya = harness.stranger(301, tg_language=lang, first_name="Priya")
    await linked_customer(harness.svc, 301, "+919876543210", language=lang)
    await load_manifest(harness.svc, (MINE, code, "9876543210", "Priya"),
                        (ELSEWHERE, other_code, "9822012399", ""),
                        (HERE_ALREADY, code, "9822012398", ""))
    await ramesh.send("/receive")
    await ramesh.send(HERE_ALREADY)
    ramesh.new()
    priya.new()

    (menu,) = await ramesh.send("/start")
    assert SCAN_MENU[lang] in menu.button_texts()
    await ramesh.press(SCAN_MENU[lang])
    # Telegram sends a thumbnail and the full photo: the full one is read.
    (listed,) = await ramesh.send_photo(content=photo_of_labels(), width=900, height=700,
                                        thumbnail=blank(90, 90))
    assert listed.text.startswith(READ[lang])
    for text in (EXPECTED[lang].format(t=MINE), UNKNOWN[lang].format(t=NEW),
                 OTHER_STORE[lang].format(t=ELSEWHERE), HERE[lang].format(t=HERE_ALREADY),
                 OTHERS[lang]):
        assert text in listed.text, text
    assert listed.button_texts() == [RECEIVE[lang], CANCEL[lang]]
    assert (await parcel(harness.svc, MINE))["status"] == "expected"  # nothing recorded yet
    assert priya.new() == []

    seen = await ramesh.press(RECEIVE[lang])
    assert seen[0].message_id == listed.message_id and seen[0].button_texts() == []
    assert seen[1].text.startswith(ARRIVED[lang] + MINE)
    assert ASK_MOBILE[lang] in seen[2].text and NEW in seen[2].text
    assert (await parcel(harness.svc, MINE))["status"] == "arrived"
    assert (await parcel(harness.svc, ELSEWHERE))["status"] == "expected"
    (notice,) = [m for m in priya.new() if m.kind == "text"]  # and the shop's map pin
    assert notice.button_texts() == [SHOW_QR[lang]]
    # The unknown parcel goes on as a typed one does: the customer's mobile, then arrived.
    await ramesh.send("98220 12377")
    assert (await parcel(harness.svc, NEW))["status"] == "arrived"


async def test_several_photos_make_one_list_and_old_buttons_expire(harness: Harness) -> None:
    ramesh, code = await shop(harness, "en")
    await load_manifest(harness.svc, (MINE, code, "9876543210", ""),
                        (NEW, code, "9876543211", ""))
    await ramesh.send("/receive")
    (first,) = await ramesh.send_photo(content=page((MINE, F.Code128)))
    assert first.button_texts() == ["✅ Receive 1 parcel", "✖ Cancel"]
    second_photo = page((NEW, F.QRCode), (MINE, F.Code128))  # MINE again: listed once
    seen = await ramesh.send_photo(content=second_photo)
    assert seen[0].message_id == first.message_id and seen[0].button_texts() == []
    listed = seen[1]
    assert listed.text.startswith("📷 2 tracking ids read")
    assert listed.button_texts() == ["✅ Receive these 2", "✖ Cancel"]

    update = ramesh.fake.press("✖ Cancel")
    update["callback_query"]["data"] = "1:scan:ok:1"  # the first list's button, forged back
    await harness.feed(update)
    assert ramesh.callback_answers()[-1].text == "This button has expired."
    await ramesh.press("✅ Receive these 2")
    assert (await parcel(harness.svc, MINE))["status"] == "arrived"
    assert (await parcel(harness.svc, NEW))["status"] == "arrived"


async def test_cancel_records_nothing(harness: Harness) -> None:
    ramesh, code = await shop(harness, "en")
    await load_manifest(harness.svc, (MINE, code, "9876543210", ""))
    await ramesh.send("/receive")
    await ramesh.send_photo(content=page((MINE, F.Code128)))
    seen = await ramesh.press("✖ Cancel")
    assert seen[-1].text.startswith("✖ Nothing was received.")
    update = ramesh.fake.press(seen[-1].button_texts()[0])
    update["callback_query"]["data"] = "1:scan:ok:1"  # the list's button, pressed late
    await harness.feed(update)
    assert ramesh.callback_answers()[-1].text == "This button has expired."
    assert (await parcel(harness.svc, MINE))["status"] == "expected"


@pytest.mark.parametrize("lang", LANGS)
async def test_photo_without_a_code_gets_a_hint(harness: Harness, lang: str) -> None:
    ramesh, _ = await shop(harness, lang)
    await ramesh.send("/receive")
    (hint,) = await ramesh.send_photo(content=blank())
    assert hint.text.startswith(NO_ID[lang])
    # Still receiving: a typed id works next.
    (state,) = await harness.svc.db.fetchall("SELECT flow, step FROM flow_state")
    assert tuple(state) == ("receive", "ids")


async def test_only_other_codes_are_counted(harness: Harness) -> None:
    ramesh, _ = await shop(harness, "en")
    await ramesh.send("/receive")
    (hint,) = await ramesh.send_photo(
        content=page(("8901234567890", F.EAN13), ("https://shop.example/o/42", F.QRCode)))
    assert hint.text.startswith("📷 I found no tracking id in this photo.")
    assert hint.text.endswith("2 other codes ignored (not tracking ids).")


@pytest.mark.parametrize("lang", LANGS)
async def test_huge_photo_is_refused_politely(harness: Harness, lang: str) -> None:
    ramesh, _ = await shop(harness, lang)
    await ramesh.send("/receive")
    # Telegram says how big the photo is: refused before it is downloaded.
    (refused,) = await ramesh.send_photo(content=b"\xff\xd8" + b"\0" * 100, width=10_000,
                                         height=8_000)
    assert refused.text.startswith(TOO_LARGE[lang])
    assert harness.api.count("getFile") == 0
    # A small file whose picture is huge (54 megapixels) is refused once its header is read.
    (refused,) = await ramesh.send_document("shelf.png", huge_png(), mime_type="image/png")
    assert refused.text.startswith(TOO_LARGE[lang])
    # A file over the size limit is not even downloaded.
    big = b"\xff\xd8" + b"\0" * (20 * 1024 * 1024)
    (refused,) = await ramesh.send_document("big.jpg", big, mime_type="image/jpeg")
    assert refused.text.startswith(TOO_LARGE[lang])
    assert harness.api.count("getFile") == 1


NOT_NOW = {"en": "📷 To read parcel labels, press «📷 Scan labels» first.",
           "hi": "📷 पार्सल के लेबल पढ़वाने के लिए पहले «📷 लेबल स्कैन करें» दबाएँ।",
           "mr": "📷 पार्सलचे लेबल वाचण्यासाठी आधी «📷 लेबल स्कॅन करा» दाबा."}


@pytest.mark.parametrize("lang", LANGS)
async def test_a_picture_nobody_asked_for(harness: Harness, lang: str) -> None:
    ramesh, _ = await shop(harness, lang)
    (hint,) = await ramesh.send_photo(content=page((MINE, F.Code128)))
    assert hint.text.startswith(NOT_NOW[lang])
    assert SCAN_MENU[lang] in hint.button_texts()
    asha = harness.stranger(401, tg_language=lang)
    await asha.send("/start")
    (other,) = await asha.send_photo(content=page((MINE, F.Code128)))
    assert other.text == harness.api.messages(401)[-1].text  # the usual hint and menu
    assert harness.api.count("getFile") == 0


async def test_photos_are_decoded_off_the_event_loop_one_user_at_a_time(
    harness: Harness,
) -> None:
    """Two photos of one user are read in order; the answer to each comes from a job."""
    ramesh, code = await shop(harness, "en")
    await load_manifest(harness.svc, (MINE, code, "9876543210", ""),
                        (NEW, code, "9876543211", ""))
    await ramesh.send("/receive")
    await harness.feed_concurrently([ramesh.fake.send_photo(content=page((MINE, F.Code128))),
                                     ramesh.fake.send_photo(content=page((NEW, F.Code128)))])
    assert harness.svc.extras[scan.SCANNER_KEY].busy == 0
    texts = [m.text or "" for m in ramesh.new()]
    assert texts[-1].startswith("📷 2 tracking ids read")


# ---------------------------------------------------------------------- pickup-code QR


async def customer_with_parcel(h: Harness, lang: str) -> tuple[Person, Person, BotMessage]:
    ramesh, code = await shop(h, lang)
    priya = h.stranger(301, tg_language=lang, first_name="Priya")
    await linked_customer(h.svc, 301, "+919876543210", language=lang)
    await load_manifest(h.svc, (MINE, code, "9876543210", "Priya"))
    await ramesh.send("/receive")
    await ramesh.send(MINE)
    (notice,) = [m for m in priya.new() if m.kind == "text"]  # and the shop's map pin
    return ramesh, priya, notice


@pytest.mark.parametrize("lang", LANGS)
async def test_shopkeeper_scans_the_customers_qr(
    harness: Harness, lang: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A fixed code, so that the scan of the database file below is exact (as in
    # test_codes_never_stored): a random one could occur by chance inside a hash.
    monkeypatch.setattr(codes, "new_code", lambda: "731946")
    ramesh, priya, notice = await customer_with_parcel(harness, lang)
    code = pickup_code(notice)
    assert code == "731946"
    (qr,) = await priya.press(SHOW_QR[lang])
    assert qr.kind == "photo" and code in (qr.caption or "")
    picture = photo_bytes(harness, qr)
    assert [c.text for c in read_codes(picture)] == [code]

    await ramesh.send("/pickup")
    (screen,) = await ramesh.send_photo(content=picture)
    assert screen.text.startswith(FOUND[lang])
    # The QR was drawn for the reply: the code is nowhere in the database file.
    await harness.stop()
    assert cells_containing(harness.settings.db_path, code) == []
    assert raw_bytes_containing(harness.settings.db_path, code) == []


async def test_a_wrong_qr_counts_as_a_wrong_code(harness: Harness) -> None:
    ramesh, _priya, notice = await customer_with_parcel(harness, "en")
    wrong = "000000" if pickup_code(notice) != "000000" else "111111"
    await ramesh.send("/pickup")
    replies = []
    for _ in range(5):
        replies += await ramesh.send_photo(content=page((wrong, F.QRCode)))
    assert replies[0].text.startswith("❌ No parcel with this code here.")
    assert "🔒 Too many wrong codes." in replies[-1].text
    (one,) = await ramesh.send("/pickup")
    assert one.text.startswith("🔒 Too many wrong codes.")


async def test_a_photo_without_a_pickup_code(harness: Harness) -> None:
    ramesh, _priya, _notice = await customer_with_parcel(harness, "en")
    await ramesh.send("/pickup")
    (hint,) = await ramesh.send_photo(content=page((MINE, F.Code128)))
    assert hint.text.startswith("📷 I found no pickup code in this photo.")
    (two,) = await ramesh.send_photo(content=page(("123456", F.QRCode), ("654321", F.QRCode)))
    assert two.text.startswith("📷 This photo shows more than one pickup code.")


async def test_show_as_qr_after_a_new_code_or_forged(harness: Harness) -> None:
    _ramesh, priya, notice = await customer_with_parcel(harness, "en")
    (mine,) = await priya.send("/myparcels")
    (qr,) = await priya.press("🔳 New code as QR · …0001")
    new = read_codes(photo_bytes(harness, qr))[0].text
    assert qr.caption is not None and qr.caption.startswith(
        "🔑 New pickup code for TRK10000001. The old code no longer works.")
    assert await code_works(harness.svc, MINE, new)

    # The notice's button carried the old code: it is not shown any more.
    assert await priya.press(SHOW_QR["en"], message_id=notice.message_id) == []
    answer = priya.callback_answers()[-1]
    assert answer.text.startswith("This code was replaced by a newer one.") and answer.show_alert
    (data,) = notice.callback_data()
    for forged in (data[:-8] + "AAAAAAAA", data[:-8] + "12", data + ":x",
                   "1:qr:show:x:AAAAAAAA"):
        update = priya.fake.press(SHOW_QR["en"], message_id=notice.message_id)
        update["callback_query"]["data"] = forged
        await harness.feed(update)
        assert priya.callback_answers()[-1].text in (
            "This button has expired.", answer.text), forged
    # Someone else pressing the same (copied) button learns nothing.
    anil = harness.stranger(302, first_name="Anil")
    await linked_customer(harness.svc, 302, "+919822012345")
    update = priya.fake.press(SHOW_QR["en"], message_id=notice.message_id)
    update["callback_query"]["from"] = anil.fake.as_user_dict()
    await harness.feed(update)
    assert priya.callback_answers()[-1].text == "This button has expired."  # the query's
    assert [m for m in harness.api.messages(301) if m.kind == "photo"] == [qr]
    assert mine.text


async def test_with_the_durable_inbox_the_photo_is_answered_in_its_own_update(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where updates are handled chat by chat (bot/inbox), the photo's update is finished only
    once it is answered: no background job, so a restart would replay it."""
    ramesh, code = await shop(harness, "en")
    await load_manifest(harness.svc, (MINE, code, "9876543210", ""))
    assert harness.app is not None
    harness.app.bot_data[scan.INBOX_KEY] = object()
    scanner = harness.svc.extras[scan.SCANNER_KEY]

    def no_background(*_args: object) -> None:
        raise AssertionError("no background job with the inbox")

    monkeypatch.setattr(scanner, "spawn", no_background)
    await ramesh.send("/receive")
    update = ramesh.fake.send_photo(content=page((MINE, F.Code128)))
    harness.api.drop_pending_updates()
    await harness.app.process_update(Update.de_json(update, harness.app.bot))
    assert (ramesh.last().text or "").startswith("📷 1 tracking id read")


async def test_the_list_survives_a_restart(harness: Harness) -> None:
    ramesh, code = await shop(harness, "en")
    await load_manifest(harness.svc, (MINE, code, "9876543210", ""))
    await ramesh.send("/receive")
    (listed,) = await ramesh.send_photo(content=page((MINE, F.Code128)))
    await harness.restart()
    seen = await ramesh.press("✅ Receive 1 parcel", message_id=listed.message_id)
    assert seen[-1].text.startswith("✅ Arrived (1): " + MINE)
    assert (await parcel(harness.svc, MINE))["status"] == "arrived"


async def test_a_picture_sent_as_a_file_is_scanned_too(harness: Harness) -> None:
    ramesh, code = await shop(harness, "en")
    await load_manifest(harness.svc, (MINE, code, "9876543210", ""))
    await ramesh.send("/receive")
    (listed,) = await ramesh.send_document("IMG_2041.jpg", page((MINE, F.Code128)),
                                           mime_type="image/jpeg")
    assert listed.text.startswith("📷 1 tracking id read")
