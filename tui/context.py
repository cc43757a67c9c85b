"""What a session's app knows about its user and terminal, handed over by the SSH edge."""

from __future__ import annotations

from dataclasses import dataclass

from store.accounts import Account
from store.services import Services


@dataclass
class SessionContext:
    services: Services
    account: Account | None  # None while a visitor is registering
    color_system: str | None = "256"
    language_hint: str | None = None  # from the client's LANG, for the first default
    registration_open: bool = True

    @property
    def language(self) -> str:
        if self.account is not None:
            return self.account.language
        return self.language_hint or "de"
