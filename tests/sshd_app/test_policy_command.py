"""`admin policy show|publish` over SSH and locally: good input, bad input, nothing half-done."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import asyncssh
import pytest

from store.accounts.roles import Role
from tests.conftest import PASSWORD
from tests.sshclient import run_command

NOTICE = ("# Datenschutzhinweise\n\n## 1. Wer\n\nBetreiberin GmbH; Musterweg 1.\n\n"
          "- Zeile mit Umlauten: äöüß\n- zweite Zeile\n\nLetzter Absatz.\n")


async def _admin(wardroom, command: str, stdin: str | None = None):
    return await run_command(wardroom.port, "office", f"admin {command}", password=PASSWORD,
                             stdin=stdin)


async def _versions(wardroom) -> list[str]:
    result = await _admin(wardroom, "policy show --json")
    assert result.exit_status == 0, result.stderr
    return [v["version"] for v in json.loads(result.stdout)["versions"]]


async def _publish_audits(wardroom) -> int:
    return sum(1 for e in await wardroom.services.audit.entries() if e.action == "policy.publish")


@pytest.fixture
async def office(wardroom):
    await wardroom.add_account("office", Role.ADMIN)
    return wardroom


async def test_show_lists_the_shipped_version(office):
    result = await _admin(office, "policy show --json")
    assert result.exit_status == 0
    shown = json.loads(result.stdout)
    assert shown["versions"] == [{"version": "1", "published_at": "2026-11-28T09:00:00+00:00",
                                  "accepted_by": 1}]
    assert shown["current"]["text"].startswith("# Datenschutzhinweise für wardroom")
    assert shown["current"]["text_en"].startswith("# Privacy notice for wardroom")
    table = await _admin(office, "policy show")
    assert table.exit_status == 0
    assert table.stdout.splitlines()[0].split() == ["version", "published", "accepted", "by"]
    assert "Current version 1:" in table.stdout


async def test_publish_from_stdin_keeps_every_line(office):
    result = await _admin(office, "policy publish - --version 2 --json", stdin=NOTICE)
    assert result.exit_status == 0, result.stderr
    version_id = json.loads(result.stdout)["id"]
    current = await office.services.policy.current()
    assert (current.id, current.label, current.body) == (version_id, "2", NOTICE)
    assert current.body_en is None
    entries = [e for e in await office.services.audit.entries() if e.action == "policy.publish"]
    assert [(e.actor, e.target_ids) for e in entries] == [("office", str(version_id))]
    assert await _versions(office) == ["1", "2"]


@pytest.mark.parametrize("path", ["host_keys/ssh_host_ed25519_key", "/proc/self/environ",
                                  "notice.md"])
async def test_over_ssh_a_path_is_refused_and_never_read(office, tmp_path, monkeypatch, path):
    """Regression (audit): the server process read any file it could and published it."""
    notice = tmp_path / "notice.md"
    notice.write_text(NOTICE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    opened: list[str] = []
    real_read = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda p: opened.append(str(p)) or real_read(p))
    result = await _admin(office, f"policy publish {path} --version 2")
    assert result.exit_status == 2
    assert "standard input" in result.stderr and len(result.stderr.splitlines()) == 1
    assert opened == []
    assert await _versions(office) == ["1"]
    assert await _publish_audits(office) == 0


async def _publish_bytes(wardroom, version: str, content: bytes) -> asyncssh.SSHCompletedProcess:
    async with asyncssh.connect("127.0.0.1", wardroom.port, username="office",
                                password=PASSWORD, known_hosts=None, client_keys=[],
                                agent_path=None) as conn:
        process = await conn.create_process(f"admin policy publish - --version {version}",
                                            encoding=None)
        process.stdin.write(content)
        process.stdin.write_eof()  # conn.run sends none for empty input: `< /dev/null`
        return await process.wait()


@pytest.mark.parametrize(("content", "version", "why"), [
    (b"", "2", "empty"),
    (b"  \n\n\t\n", "2", "empty"),
    (b"# Hinweise\n\nGr\xfc\xdfe aus Latin-1\n", "2", "UTF-8"),
    (NOTICE.encode(), "1", "not newer"),
    (NOTICE.encode(), "0.9", "not newer"),
    (NOTICE.encode(), "zwei", "not a number"),
])
async def test_bad_input_publishes_nothing(office, content, version, why):
    result = await _publish_bytes(office, version, content)
    assert result.exit_status == 1
    stderr = result.stderr.decode()
    assert why in stderr and len(stderr.strip().splitlines()) == 1
    assert await _versions(office) == ["1"]
    assert await _publish_audits(office) == 0


async def test_lower_version_after_a_publish(office):
    assert (await _admin(office, "policy publish - --version 10", stdin=NOTICE)).exit_status == 0
    # Numbers, not text: 9 < 10 although "9" > "10" as strings.
    lower = await _admin(office, "policy publish - --version 9", stdin=NOTICE)
    assert lower.exit_status == 1 and "not newer" in lower.stderr
    assert await _versions(office) == ["1", "10"]


async def test_two_publishers_of_one_version_one_wins(office):
    results = await asyncio.gather(*[
        _admin(office, "policy publish - --version 2", stdin=f"Fassung von {who}\n")
        for who in ("a", "b")])
    assert sorted(r.exit_status for r in results) == [0, 1]
    assert await _versions(office) == ["1", "2"]
    assert await _publish_audits(office) == 1


async def test_only_staff_may_publish(office):
    await office.add_account("carla", Role.CLIENT)
    result = await run_command(office.port, "carla", "admin policy publish - --version 2",
                               password=PASSWORD, stdin=NOTICE)
    assert result.exit_status == 77
    assert await _versions(office) == ["1"]


def test_local_publish_and_its_bad_input(tmp_path):
    db = tmp_path / "local.db"
    notice = tmp_path / "notice.md"
    notice.write_text("\ufeff" + NOTICE, encoding="utf-8")  # a BOM from an editor is dropped

    def wardroom_admin(*words: str, stdin: bytes = b"") -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "sshd_app.cli", "admin", "--db", str(db),
                               *words], input=stdin, capture_output=True, timeout=60)

    bad = wardroom_admin("policy", "publish", "-", "--version", "2", stdin=b"Gr\xfc\xdfe\n")
    assert bad.returncode == 1, bad.stderr
    good = wardroom_admin("policy", "publish", str(notice), "--version", "2")
    assert good.returncode == 0, good.stderr
    shown = json.loads(wardroom_admin("policy", "show", "--json").stdout)
    assert [v["version"] for v in shown["versions"]] == ["1", "2"]
    assert shown["current"]["text"] == NOTICE
    missing = wardroom_admin("policy", "publish", str(tmp_path / "nope.md"), "--version", "3")
    assert missing.returncode == 1 and b"cannot read" in missing.stderr


async def test_publish_from_stdin_keeps_a_long_paragraph_on_one_line(office):
    paragraph = ("Die Übungen helfen, jeden Tag ein wenig mehr. " * 400).encode()  # ~19 kB
    async with asyncssh.connect("127.0.0.1", office.port, username="office", password=PASSWORD,
                                known_hosts=None, client_keys=[], agent_path=None) as conn:
        process = await conn.create_process("admin policy publish - --version 2",
                                            encoding=None)
        process.stdin.write(b"# Hinweise\n\n")
        # In small pieces, as a slow pipe delivers it: the line must still arrive whole.
        for start in range(0, len(paragraph), 1000):
            process.stdin.write(paragraph[start:start + 1000])
            await process.stdin.drain()
            await asyncio.sleep(0.005)
        process.stdin.write(b"\n")
        process.stdin.write_eof()
        result = await process.wait()
    assert result.exit_status == 0, result.stderr
    body = (await office.services.policy.current()).body
    assert body == "# Hinweise\n\n" + paragraph.decode() + "\n"
