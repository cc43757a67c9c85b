"""The edge's limits under `serve --workers N`: every worker counts what all of them saw, so an
address or a name gets one allowance, not one per worker; a dead worker's share is dropped."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sshd_app.connection_gate import ConnectionGate
from sshd_app.login_throttle import FREE_FAILURES, LoginThrottle
from sshd_app.login_turns import LoginTurns, TurnKeeper
from sshd_app.registration_limit import MAX_REGISTRATIONS_PER_HOUR, RegistrationLimit
from store.clock import FrozenClock
from store.hub.hub import PROCESSES_TOPIC, ProcessGone
from tests.linked_hubs import Inbox, settled

ADDRESS = "203.0.113.7"


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_pending_logins_are_capped_across_workers(linked):
    _relay, first, second = linked
    time = FakeTime()
    gates = [ConnectionGate(rate=100, max_pending=2, now=time, hub=hub)
             for hub in (first, second)]
    assert gates[0].admit((ADDRESS, 40001))
    assert gates[1].admit((ADDRESS, 40002))
    await settled(linked)
    assert [gate.pending(ADDRESS) for gate in gates] == [2, 2]
    assert not gates[0].admit((ADDRESS, 40003))
    assert not gates[1].admit((ADDRESS, 40004))
    gates[0].release((ADDRESS, 40001))
    await settled(linked)
    assert gates[1].admit((ADDRESS, 40005))
    assert gates[0].admit(("192.0.2.1", 40006))  # other addresses are unaffected


async def test_the_connection_rate_is_one_budget_across_workers(linked):
    _relay, first, second = linked
    time = FakeTime()
    gates = [ConnectionGate(rate=2, max_pending=100, now=time, hub=hub)
             for hub in (first, second)]
    admitted = 0
    for port in range(40000, 40008):  # a burst is twice the rate: 4
        gate = gates[port % 2]
        if gate.admit((ADDRESS, port)):
            admitted += 1
        await settled(linked)
    assert admitted == 4
    time.now += 1.0  # one second refills `rate` tokens, in every worker alike
    assert gates[0].admit((ADDRESS, 40100))
    await settled(linked)
    assert gates[1].admit((ADDRESS, 40101))
    await settled(linked)
    assert not gates[0].admit((ADDRESS, 40102))
    assert not gates[1].admit((ADDRESS, 40103))


async def test_a_dead_workers_pending_logins_no_longer_count(linked):
    relay, first, second = linked
    gates = [ConnectionGate(rate=100, max_pending=1, now=FakeTime(), hub=hub)
             for hub in (first, second)]
    assert gates[0].admit((ADDRESS, 40001))
    await settled(linked)
    assert not gates[1].admit((ADDRESS, 40002))
    gone = Inbox(second, PROCESSES_TOPIC)
    await first.close()  # the worker died: its link ends without a goodbye
    assert await gone.next() == ProcessGone(first.origin)
    assert gates[1].admit((ADDRESS, 40002))
    assert relay.origin != first.origin != second.origin  # each hub names itself


async def test_login_delays_grow_with_failures_seen_by_any_worker(linked):
    _relay, first, second = linked
    time = FakeTime()
    throttles = [LoginThrottle(now=time, hub=hub) for hub in (first, second)]
    for n in range(FREE_FAILURES + 1):
        throttles[n % 2].failed(ADDRESS, "anna")
    await settled(linked)
    for throttle in throttles:
        assert throttle.delay(ADDRESS, "anna") == 2.0  # as if all had gone to one worker
        assert throttle.delay("192.0.2.1", "anna") == 2.0  # the account's own delay
    throttles[1].succeeded(ADDRESS, "anna")
    await settled(linked)
    assert [throttle.delay(ADDRESS, "anna") for throttle in throttles] == [0.0, 0.0]


async def test_registrations_per_address_are_counted_across_workers(linked):
    _relay, first, second = linked
    clock = FrozenClock(datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    limits = [RegistrationLimit(clock, hub=hub) for hub in (first, second)]
    for n in range(MAX_REGISTRATIONS_PER_HOUR):
        assert limits[n % 2].claim(ADDRESS)
        await settled(linked)
    assert not limits[0].claim(ADDRESS)
    assert not limits[1].claim(ADDRESS)
    clock.advance(timedelta(hours=1))
    assert limits[1].claim(ADDRESS)


async def test_one_check_per_account_at_a_time_across_workers(linked):
    """The parent keeps every worker's turns: a check for a name waits while another worker's
    check of that name runs, and its wait is the account's delay from all workers' failures."""
    relay, first, second = linked
    time = FakeTime()
    TurnKeeper(relay, LoginThrottle(now=time, hub=relay))
    turns = [LoginTurns(hub) for hub in (first, second)]
    throttles = [LoginThrottle(now=time, hub=hub) for hub in (first, second)]
    for n in range(FREE_FAILURES + 1):
        throttles[n % 2].failed(ADDRESS, "anna")
    await settled(linked)
    waits: list[float] = []
    checking: list[str] = []

    async def check(worker: int) -> None:
        async with turns[worker].turn("anna"):
            checking.append(f"start {worker}")
            await asyncio.sleep(0.05)
            throttles[worker].failed(ADDRESS, "anna")  # published before the turn ends
            checking.append(f"end {worker}")

    real_sleep = asyncio.sleep

    async def recording_sleep(delay: float, *args, **kwargs):
        if delay >= 0.5:
            waits.append(delay)
            delay = 0
        return await real_sleep(delay, *args, **kwargs)

    asyncio.sleep = recording_sleep  # type: ignore[assignment]
    try:
        await asyncio.gather(check(0), check(1), check(0))
    finally:
        asyncio.sleep = real_sleep  # type: ignore[assignment]
    assert checking[0::2] == [c.replace("end", "start") for c in checking[1::2]]  # no overlap
    assert waits == [2.0, 4.0, 8.0]  # each check the account's delay after the one before


async def test_a_dead_workers_turn_passes_to_the_next(linked):
    relay, first, second = linked
    keeper = TurnKeeper(relay, LoginThrottle(now=FakeTime(), hub=relay))
    holder, waiter = LoginTurns(first), LoginTurns(second)
    held = asyncio.Event()

    async def hold() -> None:
        async with holder.turn("anna"):
            held.set()
            await asyncio.Event().wait()  # never finishes: its worker dies first

    holding = asyncio.create_task(hold())
    await held.wait()
    queued = asyncio.create_task(_take_turn(waiter))
    await settled(linked)
    assert keeper.queued("anna") == 2 and not queued.done()
    gone = Inbox(relay, PROCESSES_TOPIC)
    await first.close()  # the worker died: its link ends before its turn does
    await gone.next()
    holding.cancel()
    await asyncio.wait_for(queued, 10)  # granted although the holder never said it was done
    for _ in range(100):  # its own "done" crosses to the parent
        if keeper.queued("anna") == 0:
            break
        await asyncio.sleep(0.01)
    assert keeper.queued("anna") == 0


async def _take_turn(turns: LoginTurns) -> None:
    async with turns.turn("anna"):
        pass
