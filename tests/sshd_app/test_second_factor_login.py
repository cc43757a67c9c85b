"""The second factor at the SSH edge: password then code, key then code, enrolment first."""

from __future__ import annotations

import re
from datetime import timedelta

import asyncssh
import pyotp
import pytest

from sshd_app.config import Settings
from store.accounts.roles import Role
from store.accounts.second_factor import new_secret
from tests.accounts import account_named
from tests.conftest import PASSWORD
from tests.sealed import keys_of
from tests.sshclient import connect, run_command


async def _verify(services, account, code: str) -> bool:
    """A code checked as at login: with the keys the account's password opens."""
    return await services.second_factors.verify(account, code,
                                                await keys_of(services, account))



@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.second_factor_required = True
    return settings


class Answers(asyncssh.SSHClient):
    """Answers keyboard-interactive like a person: the password, then the code."""

    def __init__(self, password: str | None, code: str | None) -> None:
        self.password, self.code = password, code
        self.prompts: list[str] = []

    def kbdint_auth_requested(self) -> str:
        return ""

    def kbdint_challenge_received(self, name, instructions, lang, prompts):
        answers = []
        for prompt, _echo in prompts:
            self.prompts.append(prompt)
            answer = self.code if "Code" in prompt else self.password
            if answer is None:
                return None
            answers.append(answer)
        return answers


async def _enrol(wardroom, name: str, role: Role = Role.COUNSELLOR) -> tuple[str, list[str]]:
    account = await wardroom.add_account(name, role)
    secret = new_secret()
    codes = await wardroom.services.second_factors.enrol(
        account, secret, pyotp.TOTP(secret).at(wardroom.clock.now()))
    wardroom.clock.advance(timedelta(seconds=30))  # the enrolment code's step is spent
    return secret, codes


def _client(password: str | None, code: str | None) -> tuple[Answers, object]:
    answers = Answers(password, code)
    return answers, lambda: answers


async def test_password_then_code(wardroom):
    secret, _codes = await _enrol(wardroom, "kim")
    answers, factory = _client(PASSWORD, pyotp.TOTP(secret).at(wardroom.clock.now()))
    client = await connect(wardroom.port, "kim", client_factory=factory,
                           preferred_auth="keyboard-interactive")
    try:
        await client.wait_for("Ihre Beratungen")
    finally:
        await client.close()
    assert any("Code" in p for p in answers.prompts)


@pytest.mark.parametrize("code", ["000000", "", "abcd-efgh-jkmn-pqrs"])
async def test_right_password_wrong_code_is_refused(wardroom, code):
    secret, _ = await _enrol(wardroom, "kim")
    if code == pyotp.TOTP(secret).at(wardroom.clock.now()):
        code = "111111"
    _answers, factory = _client(PASSWORD, code)
    with pytest.raises(asyncssh.PermissionDenied):
        await connect(wardroom.port, "kim", client_factory=factory,
                      preferred_auth="keyboard-interactive")
    assert not wardroom.server.sessions


async def test_recovery_code_instead_of_the_app(wardroom):
    _secret, codes = await _enrol(wardroom, "kim")
    _answers, factory = _client(PASSWORD, codes[0])
    await _log_in(wardroom, "kim", factory)


async def test_password_method_alone_cannot_log_in_an_enrolled_account(wardroom):
    await _enrol(wardroom, "kim")
    with pytest.raises(asyncssh.PermissionDenied):
        await asyncssh.connect("127.0.0.1", wardroom.port, username="kim", password=PASSWORD,
                               known_hosts=None, client_keys=[], agent_path=None,
                               preferred_auth="password")


async def _add_key(wardroom, name: str) -> asyncssh.SSHKey:
    account = await wardroom.services.accounts.by_username(name)
    key = asyncssh.generate_private_key("ssh-ed25519")
    await wardroom.services.public_keys.add(account, key.export_public_key("openssh").decode())
    return key


async def test_public_key_then_password_needs_no_code(wardroom):
    """A signed key is a second factor beside the password (never instead of it): with both,
    no code is asked, and the password opened the account's keys."""
    await _enrol(wardroom, "kim")
    key = await _add_key(wardroom, "kim")
    answers, factory = _client(PASSWORD, None)
    client = await connect(wardroom.port, "kim", client_keys=[key], client_factory=factory,
                           preferred_auth="publickey,keyboard-interactive")
    try:
        await client.wait_for("Ihre Beratungen")
    finally:
        await client.close()
    assert answers.prompts and all("Code" not in p for p in answers.prompts)


async def test_public_key_alone_is_not_enough(wardroom):
    await _enrol(wardroom, "kim")
    key = await _add_key(wardroom, "kim")
    with pytest.raises(asyncssh.PermissionDenied):
        await asyncssh.connect("127.0.0.1", wardroom.port, username="kim", known_hosts=None,
                               client_keys=[key], agent_path=None, preferred_auth="publickey")


async def test_public_key_and_code_without_the_password_are_not_enough(wardroom):
    """Key and code are two second factors: without the password (which alone opens the
    account's rooms), they log in nobody."""
    secret, _ = await _enrol(wardroom, "kim")
    key = await _add_key(wardroom, "kim")
    answers, factory = _client(None, pyotp.TOTP(secret).at(wardroom.clock.now()))
    with pytest.raises(asyncssh.PermissionDenied):
        await connect(wardroom.port, "kim", client_keys=[key], client_factory=factory,
                      preferred_auth="publickey,keyboard-interactive")
    assert not any("Code" in p for p in answers.prompts)


async def test_key_of_one_account_does_not_serve_another(wardroom):
    """The key counts only for the account it is registered to."""
    await _enrol(wardroom, "kim")
    await _enrol(wardroom, "lea")
    kim_key = await _add_key(wardroom, "kim")
    _answers, factory = _client(PASSWORD, None)
    with pytest.raises(asyncssh.PermissionDenied):
        await connect(wardroom.port, "lea", client_keys=[kim_key], client_factory=factory,
                      preferred_auth="publickey,keyboard-interactive")


async def _log_in(wardroom, name: str, factory) -> None:
    """Raises PermissionDenied unless keyboard-interactive logs this account in."""
    async with asyncssh.connect("127.0.0.1", wardroom.port, username=name, known_hosts=None,
                                client_keys=[], agent_path=None, client_factory=factory,
                                preferred_auth="keyboard-interactive"):
        pass


async def test_staff_without_a_factor_cannot_run_commands_before_enrolling(wardroom):
    await wardroom.add_account("boss", Role.ADMIN)
    result = await run_command(wardroom.port, "boss", "admin user list", password=PASSWORD)
    assert result.exit_status == 77
    assert "second factor" in result.stderr


async def test_clients_need_no_second_factor(wardroom):
    await wardroom.add_account("anna", Role.CLIENT)
    result = await run_command(wardroom.port, "anna", "admin user list", password=PASSWORD)
    assert "second factor" not in result.stderr
    client = await connect(wardroom.port, "anna", PASSWORD)
    try:
        await client.wait_for("Ihr Anliegen")
    finally:
        await client.close()


async def test_counsellor_without_a_factor_enrols_first(wardroom):
    await wardroom.add_account("kim", Role.COUNSELLOR)
    client = await connect(wardroom.port, "kim", PASSWORD, size=(100, 40))
    try:
        screen = await client.wait_for("Code aus der App")
        assert "Ihre Beratungen" not in screen
        secret = "".join(re.search(r"((?:[A-Z2-7]{4} ){7}[A-Z2-7]{4})", screen).group(1).split())
        assert "▀" in screen or "▄" in screen  # the QR code is drawn
        await client.type("123456" if pyotp.TOTP(secret).at(wardroom.clock.now()) != "123456"
                          else "654321")
        await client.type("\r")
        await client.wait_for("passt nicht")
        await client.type(pyotp.TOTP(secret).at(wardroom.clock.now()) + "\r")
        screen = await client.wait_for("Wiederherstellungscodes")
        recovery = re.findall(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", screen)
        assert len(recovery) == 10
        await client.type("\r")
        await client.wait_for("Ihre Beratungen")
    finally:
        await client.close()
    account = await account_named(wardroom.services.accounts, "kim")
    assert await wardroom.services.second_factors.is_enrolled(account.id)
    wardroom.clock.advance(timedelta(seconds=30))
    _answers, factory = _client(PASSWORD, recovery[0])
    await _log_in(wardroom, "kim", factory)


async def test_forced_password_change_is_followed_by_the_second_factor(wardroom):
    """Regression (audit): after the one-time password was replaced, the dashboard opened
    without a second factor although one is required."""
    await wardroom.add_account("kim", Role.COUNSELLOR, must_change_password=True)
    client = await connect(wardroom.port, "kim", PASSWORD, size=(100, 40))
    try:
        await client.wait_for("Einmal-Passwort")
        await client.type("a-brand-new-password\r")
        await client.type("a-brand-new-password\r")
        screen = await client.wait_for("Code aus der App")
        assert "Ihre Beratungen" not in screen
        await client.type("\x1b")  # a forced enrolment cannot be skipped
        await client.type("\x1b[C")
        assert "Ihre Beratungen" not in client.text()
    finally:
        await client.close()
    account = await account_named(wardroom.services.accounts, "kim")
    assert not account.must_change_password
    assert not await wardroom.services.second_factors.is_enrolled(account.id)


async def test_client_may_choose_a_second_factor_in_the_profile(wardroom):
    await wardroom.add_account("klara", Role.CLIENT)
    client = await connect(wardroom.port, "klara", PASSWORD, size=(100, 40))
    try:
        await client.wait_for("Profil")
        await client.type("p")
        await client.wait_for("Zweiter Faktor")  # the key in the profile's footer
        await client.type("\x1b[17~")  # F6
        screen = await client.wait_for("Code aus der App")
        assert "braucht einen zweiten Faktor" not in screen  # offered, not demanded
        secret = "".join(re.search(r"((?:[A-Z2-7]{4} ){7}[A-Z2-7]{4})", screen).group(1).split())
        await client.type(pyotp.TOTP(secret).at(wardroom.clock.now()) + "\r")
        await client.wait_for("Wiederherstellungscodes")
        await client.type("\r")
        await client.wait_for("Wie lange Ihre beendeten")  # back in the profile
    finally:
        await client.close()
    wardroom.clock.advance(timedelta(seconds=30))
    with pytest.raises(asyncssh.PermissionDenied):  # the password alone no longer does
        await asyncssh.connect("127.0.0.1", wardroom.port, username="klara",
                               password=PASSWORD, known_hosts=None, client_keys=[],
                               agent_path=None, preferred_auth="password")
    _answers, factory = _client(PASSWORD, pyotp.TOTP(secret).at(wardroom.clock.now()))
    await _log_in(wardroom, "klara", factory)


def _secret_on(screen: str) -> str:
    return "".join(re.search(r"((?:[A-Z2-7]{4} ){7}[A-Z2-7]{4})", screen).group(1).split())


def _recovery_codes_on(screen: str) -> list[str]:
    return re.findall(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", screen)


async def test_confirmation_sent_twice_enrols_once(wardroom):
    """Regression (audit): the confirmation submitted twice enrolled twice, and the recovery
    codes shown first were replaced by others."""
    await wardroom.add_account("kim", Role.COUNSELLOR)
    client = await connect(wardroom.port, "kim", PASSWORD, size=(100, 40))
    try:
        secret = _secret_on(await client.wait_for("Code aus der App"))
        code = pyotp.TOTP(secret).at(wardroom.clock.now())
        client.send(f"{code}\r\r")  # Enter twice in one burst: both reach the code field
        shown = _recovery_codes_on(await client.wait_for("Wiederherstellungscodes"))
        assert len(shown) == 10
    finally:
        await client.close()
    enrolments = [e for e in await wardroom.services.audit.entries()
                  if e.action == "second_factor.enrol"]
    assert len(enrolments) == 1
    account = await account_named(wardroom.services.accounts, "kim")
    assert await _verify(wardroom.services, account, shown[0])


async def test_replacing_the_factor_asks_for_password_and_current_code(wardroom):
    """Regression (audit): re-enrolling from the profile asked for neither."""
    account = await wardroom.add_account("klara", Role.CLIENT)
    old = new_secret()
    old_codes = await wardroom.services.second_factors.enrol(
        account, old, pyotp.TOTP(old).at(wardroom.clock.now()))
    wardroom.clock.advance(timedelta(seconds=30))
    _answers, factory = _client(PASSWORD, pyotp.TOTP(old).at(wardroom.clock.now()))
    client = await connect(wardroom.port, "klara", client_factory=factory, size=(100, 40),
                           preferred_auth="keyboard-interactive")
    try:
        await client.wait_for("Profil")
        await client.type("p")
        await client.wait_for("Zweiter Faktor")
        await client.type("\x1b[17~")  # F6
        screen = await client.wait_for("Ihr Passwort")
        new = _secret_on(screen)
        confirm = pyotp.TOTP(new).at(wardroom.clock.now())
        await client.type(f"wrong-password!\r{old_codes[0]}\r{confirm}\r")
        await client.wait_for("stimmen nicht")
        assert await _verify(wardroom.services, account, old_codes[1])  # unchanged
        await client.type(f"{PASSWORD}\r{old_codes[2]}\r{confirm}\r")
        shown = _recovery_codes_on(await client.wait_for("Wiederherstellungscodes"))
        assert len(shown) == 10 and set(shown).isdisjoint(old_codes)
    finally:
        await client.close()
    assert not await _verify(wardroom.services, account, old_codes[3])
