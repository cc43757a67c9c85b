"""What a session's app knows about its user and terminal, handed over by the SSH edge."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from store.accounts.accounts import Account
from store.sealing.keyring import Keyring
from store.services import Services
from store.statistics import visit_id_for
from tui.ssh_command import ssh_command


@dataclass
class SessionContext:
    services: Services
    account: Account | None  # None while a visitor is registering
    # The account's opened keys (from the password at login, or made at registration).
    keys: Keyring | None = field(default=None, repr=False)
    color_system: str | None = "256"
    term: str = ""  # the client's TERM: the Linux console's font needs plainer glyphs
    language_hint: str | None = None  # from the client's LANG, for the first default
    registration_open: bool = True
    # Said once on the home screen when it first appears (after registering: how to log in).
    arrival_note: str = ""
    # The offer to reopen rooms with the recovery code was answered in this session.
    recovery_offered: bool = False
    must_enrol_second_factor: bool = False  # counsellor/staff without TOTP: enrolment first
    # Set while registering: takes one of the connection's registrations, False if used up.
    claim_registration: Callable[[], bool] | None = None
    # Set while registering: tells the SSH edge the account exists (no longer a pending login).
    registered: Callable[[], None] | None = None
    # Random per connection and kept only here: the access statistics' sole link between views
    # (None for counsellors and staff, whose views are only counted).
    visit_id: str | None = field(init=False)
    # Where people connect, HOST:PORT (the `public_address` setting): for every ssh command
    # a screen shows.
    public_address: str = ""

    def __post_init__(self) -> None:
        self.visit_id = visit_id_for(self.account.role if self.account else None)

    def ssh_command(self, user: str, command: str = "") -> str:
        return ssh_command(self.public_address, user, command)

    @property
    def language(self) -> str:
        if self.account is not None:
            return self.account.language
        return self.language_hint or "de"
