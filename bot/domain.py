"""Plain values shared by the layers: roles, languages, users."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


@dataclass(frozen=True)
class MessageRef:
    """The message an effect came from (chat id + message id: unique for ever). Effects that
    must happen once per message (a wrong pickup code, a manifest loaded) store it UNIQUE, so
    the same update handled again after a kill (the inbox's replay) does not repeat them."""

    chat_id: int
    message_id: int

    def key(self) -> tuple[int, int]:
        return (self.chat_id, self.message_id)


class Role(StrEnum):
    NEWCOMER = "newcomer"      # has not chosen what they came for / nothing linked yet
    CUSTOMER = "customer"      # linked their mobile number
    SHOPKEEPER = "shopkeeper"  # owns an approved store
    APPLICANT = "applicant"    # has a store application waiting for a decision
    ADMIN = "admin"            # listed in KIRANA_ADMIN_IDS


_BY_POWER = (Role.ADMIN, Role.SHOPKEEPER, Role.APPLICANT, Role.CUSTOMER)


@dataclass(frozen=True)
class UserProfile:
    user_id: int
    chat_id: int
    first_name: str
    language: str | None   # None until the user picked one
    tg_language: str | None
    blocked: bool
    roles: frozenset[Role] = frozenset()

    @property
    def menu_roles(self) -> tuple[Role, ...]:
        """Every role the user has, most powerful first; a shopkeeper who is also an admin or
        a customer sees the menus and commands of each."""
        held = tuple(r for r in _BY_POWER if r in self.roles)
        return held or (Role.NEWCOMER,)

    @property
    def main_role(self) -> Role:
        for role in _BY_POWER:
            if role in self.roles:
                return role
        return Role.NEWCOMER


@dataclass
class FlowState:
    """Where a user stands in a multi-step flow, with the answers so far."""

    flow: str
    step: str
    data: dict[str, Any] = field(default_factory=dict)
