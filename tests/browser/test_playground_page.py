"""The playground's chat page in a real browser (headless Chromium from Debian, driven by
Playwright): `make run` without a token, then a store onboarded in Hindi, approved by the admin, a
manifest uploaded, a parcel received, the customer linked, and the pickup confirmed with the customer's code — as a
person would click and type it. A screenshot of each step goes to build/screenshots/ (`make
screenshots` copies them to docs/screenshots/ for the README).

Skipped, with the reason, when Chromium, Playwright or a Devanagari font is missing (`make test`
installs them with apt when it runs as root).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import urllib.request
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.playground.runner import PLAYGROUND_TOKEN
from tests.playground_process import Playground

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "build" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ASHA, RAVI, PRIYA = 901, 900, 911
TRACKING = "DL123456789IN"


def missing() -> str | None:
    """Why the browser test cannot run here, or None."""
    if not CHROMIUM.exists():
        return "no /usr/bin/chromium (run `make browser` as root: apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -e '.[dev]')"
    fonts = subprocess.run(["fc-list", ":lang=hi", "family"], capture_output=True, text=True,
                           check=False).stdout if shutil.which("fc-list") else ""
    if not fonts.strip():
        return "no Devanagari font (apt-get install fonts-noto-core)"
    return None


pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(missing() is not None, reason=str(missing()))]


@pytest.fixture
def playground(tmp_path: Path) -> Iterator[Playground]:
    pg = Playground(tmp_path)
    try:
        yield pg
    finally:
        code = pg.stop()
        assert code == 0, pg.output()
        assert "Traceback" not in pg.output()


@pytest.fixture
def page(playground: Playground):  # noqa: ANN201 - playwright's Page
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        context = p.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 860}, locale="en-IN",
            timezone_id="Asia/Kolkata")
        context.set_default_timeout(30_000)
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()


class Chat:
    """One person's pane on the page."""

    def __init__(self, page, user_id: int) -> None:  # noqa: ANN001
        self.page = page
        self.pane = page.locator(f'.pane[data-user="{user_id}"]')

    def say(self, text: str) -> None:
        box = self.pane.locator("textarea")
        box.fill(text)
        box.press("Enter")

    def press(self, text: str) -> None:
        """An inline button under the newest message that has it."""
        self.pane.locator(".ibtn", has_text=text).last.click()

    def key(self, text: str) -> None:
        """A reply-keyboard button."""
        self.pane.locator(".kbtn", has_text=text).click()

    def sees(self, text: str):  # noqa: ANN201
        """Waits until a bot message containing ``text`` is shown; returns it."""
        from playwright.sync_api import expect

        message = self.pane.locator(".msg.bot", has_text=text).last
        expect(message).to_be_visible()
        return message


def chart_png() -> bytes:
    """A 240 × 120 PNG of four bars, made here (no image library needed)."""
    width, height = 240, 120
    rows = []
    for y in range(height):
        row = bytearray([0])
        for x in range(width):
            bar = x // 60
            tall = (bar + 1) * 25
            row += bytes((42, 171, 238) if x % 60 > 8 and height - y <= tall else (255, 255, 255))
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (len(data).to_bytes(4, "big") + kind + data
                + zlib.crc32(kind + data).to_bytes(4, "big"))

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes((8, 2, 0, 0, 0))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b""))


def send_photo(url: str, fields: dict, *, photo: bytes) -> int:
    """A multipart sendPhoto, as PTB sends it."""
    boundary = "playgroundtestboundary"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items() if v is not None]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; '
                 f'filename="chart.png"\r\nContent-Type: image/png\r\n\r\n'.encode()
                 + photo + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - loopback
        return answer.status


def shot(page, name: str) -> None:  # noqa: ANN001
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def test_a_parcel_from_onboarding_to_pickup_on_the_chat_page(playground: Playground, page
                                                            ) -> None:
    from playwright.sync_api import expect

    assert playground.url.startswith("http://127.0.0.1:")
    page.goto(playground.url + f"#{ASHA},{RAVI},{PRIYA}")
    asha, ravi, priya = Chat(page, ASHA), Chat(page, RAVI), Chat(page, PRIYA)
    expect(asha.pane.locator(".name")).to_have_text("Asha")
    shot(page, "01-three-people")

    # Asha opens the bot, picks Hindi (the question is edited in place) and registers her shop.
    asha.pane.locator(".start").click()
    asha.press("हिंदी")
    asha.sees("भाषा: हिंदी ✓").locator(".stamp", has_text="edited").wait_for()
    asha.press("🏪 पार्टनर स्टोर चलाएँ")
    asha.sees("सवाल 1/9")
    asha.say("शर्मा किराना")
    asha.sees("सवाल 2/9")
    asha.say("आशा शर्मा")
    asha.sees("सवाल 3/9")
    asha.key("📱 मेरा नंबर भेजें")
    asha.sees("सवाल 4/9")
    asha.say("दुकान 4, शिवाजी चौक, कोथरूड, पुणे")
    asha.sees("सवाल 5/9")
    asha.say("411038")
    asha.sees("सवाल 6/9")
    asha.key("📍 लोकेशन भेजें")
    asha.sees("सवाल 7/9")
    asha.say("9-21")
    asha.sees("सवाल 8/9")
    asha.say("20")
    asha.sees("सवाल 9/9")
    asha.say("asha@okaxis")
    asha.press("✅ आवेदन जमा करें")
    ravi.sees("शर्मा किराना")
    shot(page, "02-onboarding-in-hindi")

    # The admin approves it from the card he was sent; Asha gets her store code.
    ravi.press("✅ Approve")
    asha.sees("KS-0001")
    shot(page, "03-admin-approves")

    # The admin sends the courier's manifest (a CSV file, through 📎); the parcel reaches
    # Asha's shop and she records it.
    ravi.pane.locator(".attach").click()
    ravi.pane.locator("input.file").set_input_files(files=[{
        "name": "manifest.csv", "mimeType": "text/csv",
        "buffer": (f"tracking_id,store_code,customer_phone,customer_name\n"
                   f"{TRACKING},KS-0001,+91 98765 00911,प्रिया वर्मा\n").encode()}])
    expect(ravi.pane.locator(".msg.user .doc")).to_contain_text("manifest.csv")
    ravi.sees("✅ Loaded: 1")
    asha.say("/receive")
    asha.say(TRACKING)
    asha.sees(f"✅ पहुँच गए (1): {TRACKING}")
    shot(page, "04-parcel-received")

    # Priya, the customer, opens the bot and shares her own number: she is told, with a code.
    priya.pane.locator(".start").click()
    priya.press("हिंदी")
    priya.press("📦 पार्सल लें")
    priya.key("📱 मेरा नंबर भेजें")
    notice = priya.sees(f"📦 आपका पार्सल {TRACKING} पहुँच गया है!")
    code = notice.locator(".text code").first.inner_text()
    assert len(code) == 6 and code.isdigit(), code
    shot(page, "05-customer-linked")

    # At the counter she says her code; Asha types it and hands the parcel over.
    asha.say("/pickup")
    asha.say(code)
    asha.press("✅ सौंप दिया")
    priya.sees("सौंप दिया गया")
    asha.sees("सौंप दिया")
    shot(page, "06-handed-over")

    # A photo from the bot (as the /stats chart will be) shows as a picture with its caption.
    status = send_photo(f"{playground.url}bot{PLAYGROUND_TOKEN}/sendPhoto", {
        "chat_id": PRIYA, "caption": "📊 <b>चार्ट</b>", "parse_mode": "HTML"}, photo=chart_png())
    assert status == 200
    picture = priya.sees("चार्ट").locator(".photo img")
    expect(picture).to_be_visible()
    assert picture.evaluate("img => img.naturalWidth") == 240

    # The same chats on a phone: one pane fills the screen, nothing spills over.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("about:blank")
    page.goto(playground.url + f"#{PRIYA}")  # a fresh load, with only Priya's pane
    expect(page.locator(".pane")).to_have_count(1)
    Chat(page, PRIYA).sees("सौंप दिया गया")
    width = page.evaluate("document.querySelector('.pane').getBoundingClientRect().width")
    assert width == 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "07-phone")
