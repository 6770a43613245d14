"""Who is talking to the bot: their language and roles."""

from __future__ import annotations

from bot.domain import FlowState, Role, UserProfile
from bot.i18n import LANGUAGES
from bot.services.context import Services
from bot.storage import flows, users
from bot.storage.db import Row


def _profile(row: Row, is_admin: bool) -> UserProfile:
    roles = set()
    if is_admin:
        roles.add(Role.ADMIN)
    if row["has_store"]:
        roles.add(Role.SHOPKEEPER)
    if row["has_application"]:
        roles.add(Role.APPLICANT)
    if row["is_customer"]:
        roles.add(Role.CUSTOMER)
    return UserProfile(
        user_id=row["user_id"],
        chat_id=row["chat_id"],
        first_name=row["first_name"],
        language=row["language"],
        tg_language=row["tg_language"],
        blocked=bool(row["blocked"]),
        roles=frozenset(roles),
    )


async def identify(
    svc: Services, *, user_id: int, chat_id: int, first_name: str, tg_language: str | None
) -> UserProfile:
    """Record that the user was seen now and return who they are."""
    row = await users.record_seen(
        svc.db,
        user_id=user_id,
        chat_id=chat_id,
        first_name=first_name,
        tg_language=tg_language,
        now=svc.clock.now(),
    )
    return _profile(row, svc.settings.is_admin(user_id))


async def profile(svc: Services, user_id: int) -> UserProfile | None:
    row = await users.get(svc.db, user_id)
    return None if row is None else _profile(row, svc.settings.is_admin(user_id))


async def choose_language(svc: Services, user_id: int, language: str) -> bool:
    """Remember the user's language; False for a language we do not offer."""
    if language not in LANGUAGES:
        return False
    await users.set_language(svc.db, user_id, language)
    return True


async def current_flow(svc: Services, user_id: int) -> FlowState | None:
    return await flows.get(svc.db, user_id)


async def save_flow(svc: Services, user_id: int, state: FlowState) -> None:
    await flows.put(svc.db, user_id, state, svc.clock.now())


async def leave_flow(svc: Services, user_id: int) -> bool:
    """Forget the user's place in any flow; True when they were in one."""
    return await flows.clear(svc.db, user_id)
