"""Growing delays after failed logins, per account name and per source address, counted once
for all worker processes."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from store.hub.hub import EDGE_TOPIC, Hub
from store.hub.wire import carried

# One connection's worth of typos (max_auth_attempts) costs nothing; after that each further
# failure doubles the wait, up to a cap well below the 30 s login timeout.
FREE_FAILURES = 3
BASE_DELAY = 1.0
ADDRESS_CAP = 16.0
# Lower than the address cap: anyone can type a victim's name, and this is a delay the
# victim also waits through, so it must stay a nuisance and never become a lockout.
ACCOUNT_CAP = 8.0
FORGET_AFTER = 15 * 60.0
MAX_TRACKED = 10_000


@dataclass
class _Failures:
    count: int
    last: float


class _FailureBook:
    """Failure counts by key, forgotten after a quiet period, bounded in size."""

    def __init__(self, cap: float, now: Callable[[], float]) -> None:
        self._cap = cap
        self._now = now
        self._entries: OrderedDict[str, _Failures] = OrderedDict()

    def delay(self, key: str) -> float:
        entry = self._entries.get(key)
        if entry is None or self._now() - entry.last > FORGET_AFTER:
            return 0.0
        if entry.count < FREE_FAILURES:
            return 0.0
        return min(BASE_DELAY * 2 ** (entry.count - FREE_FAILURES), self._cap)

    def remaining(self, key: str) -> float:
        """What is left of the delay since the key's last failure."""
        entry = self._entries.get(key)
        if entry is None:
            return 0.0
        return max(0.0, self.delay(key) - (self._now() - entry.last))

    def failed(self, key: str) -> None:
        now = self._now()
        entry = self._entries.pop(key, None)
        if entry is None or now - entry.last > FORGET_AFTER:
            entry = _Failures(0, now)
        entry.count += 1
        entry.last = now
        self._entries[key] = entry  # most recent last, so the oldest is evicted first
        while len(self._entries) > MAX_TRACKED:
            self._entries.popitem(last=False)

    def clear(self, key: str) -> None:
        self._entries.pop(key, None)


@carried
@dataclass(frozen=True)
class LoginFailed:
    address: str
    username: str


@carried
@dataclass(frozen=True)
class LoginSucceeded:
    address: str
    username: str


class LoginThrottle:
    """How long login attempts must wait after failures: each attempt from an address waits
    the address's delay; the checks of one account are spaced by the account's delay
    (`account_wait`, handed out with the account's turns by sshd_app.login_turns, one check
    at a time whatever the connection, address or worker).

    Failures and successes go through the hub and every worker's throttle applies them all
    (its own included), so a guesser spread over N workers waits as long as on one.

    `now` is a monotonic clock in seconds, injectable so tests need no sleeping.
    """

    def __init__(self, now: Callable[[], float] = time.monotonic,
                 hub: Hub | None = None) -> None:
        self._accounts = _FailureBook(ACCOUNT_CAP, now)
        self._addresses = _FailureBook(ADDRESS_CAP, now)
        self._hub = hub or Hub()
        self._hub.subscribe(EDGE_TOPIC, self._counted)

    def delay(self, address: str, username: str) -> float:
        """The larger of the two delays, as earned by the failures so far."""
        return max(self._accounts.delay(username), self._addresses.delay(address))

    def address_delay(self, address: str) -> float:
        return self._addresses.delay(address)

    def account_wait(self, username: str) -> float:
        """How long the account's next check must still wait: its delay since its last
        failure (guesses queued behind each other wait it out one after another)."""
        return self._accounts.remaining(username)

    def failed(self, address: str, username: str) -> None:
        self._hub.publish(EDGE_TOPIC, LoginFailed(address, username))

    def succeeded(self, address: str, username: str) -> None:
        self._hub.publish(EDGE_TOPIC, LoginSucceeded(address, username))

    def _counted(self, event: object) -> None:
        if isinstance(event, LoginFailed):
            # Unknown names are counted like real ones, so the delays do not reveal which
            # exist.
            self._accounts.failed(event.username)
            self._addresses.failed(event.address)
        elif isinstance(event, LoginSucceeded):
            self._accounts.clear(event.username)
            self._addresses.clear(event.address)
