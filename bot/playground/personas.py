"""The people of the playground: who can be picked on the chat page, and the admin among them.

Each is a Telegram user of the built-in Bot API (chat id = user id). Their own mobile number is
what *Share my number* sends, as the Telegram app would. The demo data (:mod:`.demo`) gives the
shopkeepers approved stores and the customers parcels; without it they start as strangers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

ADMIN_ID = 900


@dataclass(frozen=True)
class Persona:
    user_id: int
    first_name: str
    language: str            # Telegram's language_code of the account
    role: str                # what the playground offers them as: admin, shopkeeper, customer
    phone: str               # their own number (E.164), shared by "Share my number"
    latitude: float          # where "Share location" puts them
    longitude: float
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


PUNE = (18.5204, 73.8567)
MUMBAI = (19.0760, 72.8777)

PERSONAS: tuple[Persona, ...] = (
    Persona(ADMIN_ID, "Ravi", "en", "admin", "+919811100900", *PUNE,
            note="programme admin"),
    Persona(901, "Asha", "hi", "shopkeeper", "+919822000901", 18.5074, 73.8077,
            note="new shop, not registered"),
    Persona(902, "Sunil", "mr", "shopkeeper", "+919822000902", 18.5590, 73.7868,
            note="Pune store (demo)"),
    Persona(903, "Farhan", "hi", "shopkeeper", "+919822000903", 19.1136, 72.8697,
            note="Mumbai store (demo)"),
    Persona(904, "Meera", "en", "shopkeeper", "+919822000904", 19.0176, 72.8562,
            note="Mumbai store (demo)"),
    Persona(911, "Priya", "hi", "customer", "+919876500911", *PUNE, note="lives in Pune"),
    Persona(912, "Sanjay", "mr", "customer", "+919876500912", *PUNE, note="lives in Pune"),
    Persona(913, "Neha", "en", "customer", "+919876500913", *MUMBAI, note="lives in Mumbai"),
)

FIRST_NEW_ID = 1001


def by_id(user_id: int) -> Persona | None:
    return next((p for p in PERSONAS if p.user_id == user_id), None)


def new_persona(user_id: int, first_name: str, language: str) -> Persona:
    """Someone added on the page: a stranger to the bot, with a made-up mobile number."""
    return Persona(user_id, first_name, language, "new", f"+91987650{user_id % 10000:04d}",
                   *PUNE, note="added here")
