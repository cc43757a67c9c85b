"""Login limits: growing delays, the per-address connection gate, and the fail2ban line."""

from __future__ import annotations

import asyncio
import configparser
import logging
import re
import shutil
from pathlib import Path

import asyncssh
import pytest

from sshd_app.config import Settings
from sshd_app.connection_gate import REFUSAL, ConnectionGate
from sshd_app.logging_setup import line_formatter
from sshd_app.login_throttle import (
    ACCOUNT_CAP,
    ADDRESS_CAP,
    BASE_DELAY,
    FREE_FAILURES,
    LoginThrottle,
)
from store.accounts.roles import Role
from tests.conftest import PASSWORD

FILTER = Path(__file__).resolve().parents[2] / "docs" / "fail2ban" / "wardroom.conf"


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def _log_in(port: int, name: str, password: str) -> asyncssh.SSHClientConnection:
    return await asyncssh.connect("127.0.0.1", port, username=name, password=password,
                                  known_hosts=None, client_keys=[], agent_path=None,
                                  preferred_auth="password")


# -- growing delays ------------------------------------------------------------------------

def test_a_few_typos_cost_nothing_then_delays_double():
    time = FakeTime()
    throttle = LoginThrottle(now=time)
    delays = []
    for _ in range(FREE_FAILURES + 6):
        delays.append(throttle.delay("203.0.113.7", "anna"))
        throttle.failed("203.0.113.7", "anna")
    assert delays[:FREE_FAILURES] == [0.0] * FREE_FAILURES
    growing = delays[FREE_FAILURES:]
    assert growing == sorted(growing) and growing[0] == 1.0 and growing[1] == 2.0
    assert max(delays) <= ADDRESS_CAP < 30  # below the login timeout: a delay, never a wall


def test_account_delay_is_capped_lower_so_a_stranger_cannot_lock_anyone_out():
    time = FakeTime()
    throttle = LoginThrottle(now=time)
    for n in range(50):  # a botnet: every attempt from a new address
        throttle.failed(f"198.51.100.{n}", "anna")
    assert throttle.delay("192.0.2.1", "anna") == ACCOUNT_CAP
    assert ACCOUNT_CAP <= 10


def test_address_delay_covers_every_name_from_it():
    throttle = LoginThrottle(now=FakeTime())
    for n in range(FREE_FAILURES + 2):
        throttle.failed("203.0.113.7", f"name{n}")
    assert throttle.delay("203.0.113.7", "someone-else") > 0
    assert throttle.delay("192.0.2.1", "someone-else") == 0


def test_success_resets_and_quiet_time_forgets():
    time = FakeTime()
    throttle = LoginThrottle(now=time)
    for _ in range(FREE_FAILURES + 3):
        throttle.failed("203.0.113.7", "anna")
    assert throttle.delay("203.0.113.7", "anna") > 0
    throttle.succeeded("203.0.113.7", "anna")
    assert throttle.delay("203.0.113.7", "anna") == 0
    for _ in range(FREE_FAILURES + 3):
        throttle.failed("203.0.113.7", "bob")
    time.now += 16 * 60
    assert throttle.delay("203.0.113.7", "bob") == 0


def test_unknown_names_are_remembered_like_real_ones_but_bounded():
    throttle = LoginThrottle(now=FakeTime())
    for n in range(12_000):
        throttle.failed("203.0.113.7", f"ghost{n}")
    assert len(throttle._accounts._entries) <= 10_000


# -- the connection gate -------------------------------------------------------------------

def test_gate_allows_bursts_then_the_rate():
    time = FakeTime()
    gate = ConnectionGate(rate=5, max_pending=100, now=time)
    admitted = [gate.admit(("203.0.113.7", port)) for port in range(20)]
    assert admitted.count(True) == 10  # a burst of twice the rate
    assert gate.admit(("192.0.2.1", 1))  # another address is not affected
    time.now += 1.0
    assert [gate.admit(("203.0.113.7", 100 + p)) for p in range(6)].count(True) == 5


def test_gate_caps_connections_still_logging_in():
    time = FakeTime()
    gate = ConnectionGate(rate=1000, max_pending=3, now=time)
    peers = [("203.0.113.7", port) for port in range(3)]
    assert all(gate.admit(peer) for peer in peers)
    assert not gate.admit(("203.0.113.7", 99))
    gate.release(peers[0])  # logged in (or gone)
    gate.release(peers[0])  # idempotent
    assert gate.pending("203.0.113.7") == 2
    assert gate.admit(("203.0.113.7", 99))


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.max_pending_logins_per_address = 3
    return settings


async def _banner(port: int) -> tuple[asyncio.StreamWriter, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    return writer, await asyncio.wait_for(reader.readline(), 10)


async def test_too_many_unauthenticated_connections_are_refused_politely(wardroom):
    writers = []
    try:
        for _ in range(3):
            writer, banner = await _banner(wardroom.port)
            writers.append(writer)
            assert banner.startswith(b"SSH-2.0-")
        writer, banner = await _banner(wardroom.port)
        writers.append(writer)
        assert banner == REFUSAL  # before any SSH work is spent on it
        # A login on another address would not be affected; on this one it waits its turn.
        writers.pop(0).close()
        await asyncio.sleep(0.2)
        writer, banner = await _banner(wardroom.port)
        writers.append(writer)
        assert banner.startswith(b"SSH-2.0-")
    finally:
        for writer in writers:
            writer.close()


async def test_logged_in_connections_do_not_count_as_pending(wardroom):
    await wardroom.add_account("anna", Role.CLIENT)
    connections = [await _log_in(wardroom.port, "anna", PASSWORD) for _ in range(4)]
    try:
        assert wardroom.server.gate.pending("127.0.0.1") == 0
    finally:
        for conn in connections:
            conn.close()


async def test_failures_make_the_next_attempts_wait(wardroom, monkeypatch):
    """The server asks for a delay before checking once an address has failed too often
    (asked for, not waited for: the test replaces the sleep)."""
    await wardroom.add_account("anna", Role.CLIENT)
    asked: list[float] = []
    real_sleep = asyncio.sleep

    async def recording_sleep(delay: float, *args, **kwargs):
        # Login delays lie between the base delay and the address cap; the server's periodic
        # tasks (retention every few minutes, the idle watch) sleep longer and are left alone,
        # so a busy machine that runs one of them meanwhile changes nothing here.
        if BASE_DELAY <= delay <= ADDRESS_CAP:
            asked.append(delay)
            delay = 0
        return await real_sleep(delay, *args, **kwargs)

    monkeypatch.setattr(asyncio, "sleep", recording_sleep)
    for attempt in range(FREE_FAILURES + 2):
        with pytest.raises(asyncssh.PermissionDenied):
            await asyncssh.connect("127.0.0.1", wardroom.port, username="anna",
                                   password=f"wrong-{attempt}-guess", known_hosts=None,
                                   client_keys=[], agent_path=None, preferred_auth="password")
    # Each attempt waits the address's delay, and its check the account's (1 s, then 2 s).
    assert asked and asked[0] == 1.0 and max(asked) == 2.0, asked
    asked.clear()
    (await _log_in(wardroom.port, "anna", PASSWORD)).close()  # still gets in: a delay only
    assert asked  # the right password waited out the delay too
    asked.clear()
    with pytest.raises(asyncssh.PermissionDenied):
        await asyncssh.connect("127.0.0.1", wardroom.port, username="anna",
                               password="wrong-after-success", known_hosts=None,
                               client_keys=[], agent_path=None, preferred_auth="password")
    assert asked == []  # the success reset both counts


# -- the line an operator's fail2ban reads ---------------------------------------------------

def _filter_regexes() -> tuple[str, list[re.Pattern[str]]]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(FILTER)
    definition = parser["Definition"]
    # fail2ban cuts the date off first, then matches; <HOST> is its address placeholder.
    date = definition["datepattern"].replace("%%", "%")
    date_regex = (date.replace("%Y", r"\d{4}").replace("%m", r"\d{2}").replace("%d", r"\d{2}")
                  .replace("%H", r"\d{2}").replace("%M", r"\d{2}").replace("%S", r"\d{2}"))
    failregexes = [re.compile(line.strip().replace("<HOST>", r"(?P<host>[0-9A-Fa-f.:]+)"))
                   for line in definition["failregex"].splitlines() if line.strip()]
    return date_regex, failregexes


def _host(line: str) -> str | None:
    date_regex, failregexes = _filter_regexes()
    rest = re.sub(date_regex, "", line, count=1)
    for regex in failregexes:
        match = regex.search(rest)
        if match:
            return match.group("host")
    return None


async def test_fail2ban_filter_matches_the_real_failure_line(wardroom, caplog, tmp_path):
    caplog.set_level(logging.INFO)
    await wardroom.add_account("anna", Role.CLIENT)
    for name in ("anna", "x from 6.6.6.6 for user y", "o'brien"):
        with pytest.raises(asyncssh.PermissionDenied):
            await asyncssh.connect("127.0.0.1", wardroom.port, username=name,
                                   password="wrong-password!", known_hosts=None,
                                   client_keys=[], agent_path=None, preferred_auth="password")
    (await _log_in(wardroom.port, "anna", PASSWORD)).close()
    formatter = line_formatter()
    lines = [formatter.format(r) for r in caplog.records if r.name.startswith("wardroom")]
    failures = [line for line in lines if "auth failure" in line]
    assert len(failures) == 3
    assert [_host(line) for line in failures] == ["127.0.0.1"] * 3
    assert all(_host(line) is None for line in lines if "auth failure" not in line)
    if shutil.which("fail2ban-regex"):  # the real tool, where the machine has it
        log_file = tmp_path / "wardroom.log"
        log_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
        process = await asyncio.create_subprocess_exec(
            "fail2ban-regex", str(log_file), str(FILTER), stdout=asyncio.subprocess.PIPE)
        output = (await process.communicate())[0].decode()
        assert re.search(r"Lines: \d+ lines, 0 ignored, 3 matched", output), output


def test_fail2ban_filter_matches_the_gate_refusal():
    line = ("2026-11-28T09:00:03Z WARNING wardroom.gate: connection refused from "
            "2001:db8::5: too many connections")
    assert _host(line) == "2001:db8::5"


# -- one budget per account, across connections and addresses ----------------------------------

class InFlight:
    """Wraps a check: counts how many run at once for each name."""

    def __init__(self, check) -> None:
        self._check = check
        self.now: dict[str, int] = {}
        self.most: dict[str, int] = {}

    async def __call__(self, who, *args):
        name = getattr(who, "username", who)
        self.now[name] = self.now.get(name, 0) + 1
        self.most[name] = max(self.most.get(name, 0), self.now[name])
        try:
            await asyncio.sleep(0.01)  # a check takes a while (argon2), so overlaps would show
            return await self._check(who, *args)
        finally:
            self.now[name] -= 1


def _asked_waits(monkeypatch) -> list[float]:
    """The delays the server asks for, recorded and skipped (no test waits them out)."""
    asked: list[float] = []
    real_sleep = asyncio.sleep

    async def recording_sleep(delay: float, *args, **kwargs):
        if delay >= 0.5:
            asked.append(delay)
            delay = 0
        return await real_sleep(delay, *args, **kwargs)

    monkeypatch.setattr(asyncio, "sleep", recording_sleep)
    return asked


async def _wrong_password_from(port: int, address: str, password: str) -> None:
    with pytest.raises(asyncssh.PermissionDenied):
        await asyncssh.connect("127.0.0.1", port, username="anna", password=password,
                               local_addr=(address, 0), known_hosts=None, client_keys=[],
                               agent_path=None, preferred_auth="password")


async def test_parallel_guesses_from_many_addresses_check_one_at_a_time(wardroom, monkeypatch):
    """Regression (audit): after 7 failures, 20 wrong passwords from 20 loopback addresses in
    parallel finished in 11 s: each waited out the account's delay on its own, side by side.
    Now they queue for the account's turns, each check its delay after the one before."""
    await wardroom.add_account("anna", Role.CLIENT)
    accounts = wardroom.services.accounts
    in_flight = InFlight(accounts.authenticate)
    monkeypatch.setattr(accounts, "authenticate", in_flight)
    for n in range(7):
        await _wrong_password_from(wardroom.port, "127.0.0.2", f"wrong-{n}-guess")
    asked = _asked_waits(monkeypatch)
    await asyncio.gather(*[_wrong_password_from(wardroom.port, f"127.0.1.{n}", f"guess-{n}!!")
                           for n in range(1, 21)])
    assert in_flight.most["anna"] == 1
    # Every one of the 20 waited (nearly) the account's full delay after the one before it:
    # together at least 20 x 8 s of the account's time, not 8 s side by side.
    assert len(asked) >= 20 and sum(asked) >= 20 * ACCOUNT_CAP * 0.9, asked
    assert wardroom.server.turn_keeper.queued("anna") == 0


async def test_wrong_codes_take_the_accounts_turns_and_count(wardroom, monkeypatch):
    """Second-factor codes go through the same turns, and a wrong one counts as a failure."""
    from tests.sshd_app.test_second_factor_login import _client, _enrol

    await _enrol(wardroom, "kim")
    factors = wardroom.services.second_factors
    in_flight = InFlight(factors.verify)
    monkeypatch.setattr(factors, "verify", in_flight)
    _asked_waits(monkeypatch)

    async def wrong_code(n: int) -> None:
        _answers, factory = _client(PASSWORD, "000000" if n % 2 else "111111")
        with pytest.raises(asyncssh.PermissionDenied):
            await asyncssh.connect("127.0.0.1", wardroom.port, username="kim",
                                   local_addr=(f"127.0.2.{n}", 0), known_hosts=None,
                                   client_keys=[], agent_path=None, client_factory=factory,
                                   preferred_auth="keyboard-interactive")

    await asyncio.gather(*[wrong_code(n) for n in range(1, 9)])
    assert in_flight.most["kim"] == 1
    assert wardroom.server.login_throttle.delay("192.0.2.1", "kim") == ACCOUNT_CAP


def test_operator_guide_states_the_limits_of_the_code():
    from sshd_app.idle_watch import VISITOR_IDLE
    from sshd_app.login_throttle import BASE_DELAY, FORGET_AFTER
    from sshd_app.registration_limit import MAX_REGISTRATIONS_PER_HOUR

    guide = (Path(__file__).resolve().parents[2] / "docs" / "operator-guide.md").read_text(
        encoding="utf-8")
    rows = dict(re.findall(r"^\| ([^|]+?) \| ([^|]+?) \|$", guide, re.MULTILINE))
    defaults = Settings()

    def steps(cap: float) -> str:
        delays = [BASE_DELAY * 2 ** n for n in range(10) if BASE_DELAY * 2 ** n <= cap]
        return ", ".join(f"{d:g}" for d in delays[:-1]) + f", then {delays[-1]:g} s (cap)"

    assert rows["failed attempts per connection (`max_auth_attempts`)"].startswith(
        f"{defaults.max_auth_attempts},")
    assert rows["time to log in (`login_timeout_seconds`)"].startswith(
        f"{defaults.login_timeout_seconds} s")
    assert rows["new connections per address (`connection_rate_per_address`)"] == (
        f"{defaults.connection_rate_per_address} a second, bursts of "
        f"{2 * defaults.connection_rate_per_address}")
    assert rows["connections per address still logging in (`max_pending_logins_per_address`)"
                ].startswith(f"{defaults.max_pending_logins_per_address};")
    forget = f"{FORGET_AFTER / 60:g} minutes"
    assert rows["free failures per address and per account name"] == (
        f"{FREE_FAILURES} within {forget}")
    assert rows["delay per address after those"].endswith(steps(ADDRESS_CAP))
    assert rows["delay per account name after those"].endswith(
        steps(ACCOUNT_CAP) + " after the last failure")
    assert rows["failures forgotten"].startswith(f"after {forget}")
    assert rows["registrations per address"].startswith(f"{MAX_REGISTRATIONS_PER_HOUR} an hour")
    assert rows["a `register` visitor without input"] == (
        f"ended after {VISITOR_IDLE.total_seconds() / 60:g} minutes")
