"""Nodes on one PostgreSQL database count together (store/hub/node_bus.py): the per-address
limits, the per-account login budget and presence see every node's events, a node that dies
stops counting, login turns stay with their node, and a posted message crosses as its id."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable

import asyncpg
import pytest

from sshd_app.connection_gate import ConnectionGate
from sshd_app.login_throttle import BASE_DELAY, FREE_FAILURES, LoginThrottle
from sshd_app.login_turns import TurnWanted
from store.hub.hub import EDGE_TOPIC, Hub, MessagePosted, room_topic
from store.hub.node_bus import CHANNEL, REAP_SECONDS, NodeBus
from store.hub.presence import RoomPresence
from tests.postgres import cut_off_node
from tests.retention_world import make_world
from tests.sealed import post_as

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)

ADDRESS = "198.51.100.7"


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("not within the time")


@pytest.fixture
async def nodes(services, db_target) -> AsyncIterator[tuple[Hub, Hub, NodeBus, NodeBus]]:
    a, b = Hub(), Hub()
    bus_a = await NodeBus.link(a, db_target, services.rooms.sealed_message)
    bus_b = await NodeBus.link(b, db_target, services.rooms.sealed_message)
    yield a, b, bus_a, bus_b
    await bus_a.close()
    await bus_b.close()


async def test_a_failed_login_on_one_node_delays_logins_on_the_other(nodes):
    a, b, _, _ = nodes
    on_a, on_b = LoginThrottle(hub=a), LoginThrottle(hub=b)
    for _ in range(FREE_FAILURES):  # the free ones, on node A
        on_a.failed(ADDRESS, "klara")
    await until(lambda: on_b.delay(ADDRESS, "klara") == BASE_DELAY)
    on_b.failed(ADDRESS, "klara")  # and one more on node B: A counts it too
    await until(lambda: on_a.delay(ADDRESS, "klara") == 2 * BASE_DELAY)


async def test_pending_logins_of_an_address_count_on_every_node_until_one_dies(
        nodes, db_target):
    a, b, bus_a, _ = nodes
    gate_a, gate_b = ConnectionGate(10, 2, hub=a), ConnectionGate(10, 2, hub=b)
    assert gate_a.admit((ADDRESS, 40001)) and gate_a.admit((ADDRESS, 40002))
    await until(lambda: gate_b.pending(ADDRESS) == 2)
    assert not gate_b.admit((ADDRESS, 40003))  # the limit is the address's, not the node's
    await cut_off_node(db_target, bus_a.node)
    await until(lambda: gate_b.pending(ADDRESS) == 0, timeout=REAP_SECONDS * 3)
    assert gate_b.admit((ADDRESS, 40004))


async def test_presence_crosses_and_ends_with_its_node(services, nodes, db_target, clock):
    world = await make_world(services, clock)
    a, b, bus_a, _ = nodes
    here_a, here_b = RoomPresence(a), RoomPresence(b)
    here_a.enter(world.booking.id, world.client)
    await until(lambda: here_b.is_here(world.booking.id, world.client.id))
    await cut_off_node(db_target, bus_a.node)
    await until(lambda: not here_b.is_here(world.booking.id, world.client.id),
                timeout=REAP_SECONDS * 3)


async def test_login_turns_stay_on_their_node(nodes):
    a, b, _, _ = nodes
    heard: list[object] = []
    b.subscribe(EDGE_TOPIC, heard.append)
    a.publish(EDGE_TOPIC, TurnWanted(a.origin, 1, "klara"))
    LoginThrottle(hub=a).failed(ADDRESS, "klara")  # published after it, arrives after it
    await until(lambda: len(heard) > 0)
    assert [type(event).__name__ for event in heard] == ["LoginFailed"]


async def test_a_message_crosses_as_its_id_and_arrives_whole(services, nodes, db_target,
                                                             clock):
    world = await make_world(services, clock)
    _, b, _, _ = nodes
    node_of_services = await NodeBus.link(services.hub, db_target,
                                          services.rooms.sealed_message)
    payloads: list[str] = []
    listener = await asyncpg.connect(db_target)
    await listener.add_listener(CHANNEL, lambda *args: payloads.append(args[3]))
    arrived: list[MessagePosted] = []
    b.subscribe(room_topic(world.booking.id), arrived.append)
    try:
        sent = await post_as(services, world.client, world.booking.id, "Guten Morgen")
        await until(lambda: len(arrived) == 1)
    finally:
        await listener.close()
        await node_of_services.close()
    message = arrived[0].message
    assert (message.id, message.booking_id, message.sender_username) == (
        sent.id, world.booking.id, world.client.username)
    stored = await services.rooms.sealed_message(sent.id)
    assert message == stored  # read back from the database by its id
    bodies = [json.loads(p) for p in payloads if '"message"' in p]
    assert bodies and all(set(body) == {"topic", "message", "node"} for body in bodies)
    assert all(stored.sealed not in p for p in payloads)  # not even the ciphertext
