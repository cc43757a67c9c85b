"""Settings: precedence and sources, strict errors naming the key, the default file, config show."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tomllib
from dataclasses import fields
from pathlib import Path

import pytest

from sshd_app.config import (
    CONFIG_FILENAME,
    EXPLANATIONS,
    MAX_WORKERS,
    SETTING_NAMES,
    ConfigError,
    Settings,
    default_config_text,
    load_settings,
)
from tests.e2e.test_workers import workers
from tests.server_process import ServerProcess, free_port


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("WARDROOM_")}


async def _wardroom(*args: str, env: dict[str, str] | None = None,
                    cwd: Path | None = None) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sshd_app.cli", *args, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env={**_clean_env(), **(env or {})}, cwd=cwd)
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def test_flags_win_over_env_which_wins_over_the_file(tmp_path):
    config = tmp_path / "w.toml"
    config.write_text('listen = "0.0.0.0:2022"\nidle_lock_minutes = 5\npq_only = true\n'
                      'db = "from-file.db"\n')
    settings = load_settings(str(config), flags={"listen": "127.0.0.1:3000", "db": None},
                             environ={"WARDROOM_IDLE_LOCK_MINUTES": "7"})
    assert settings.listen == "127.0.0.1:3000" and settings.sources["listen"] == "flag --listen"
    assert settings.idle_lock_minutes == 7
    assert settings.sources["idle_lock_minutes"] == "env WARDROOM_IDLE_LOCK_MINUTES"
    assert settings.pq_only is True and settings.sources["pq_only"] == "file"
    assert settings.db == "from-file.db"  # a flag given as None is no flag
    assert settings.sources["registration"] == "default"
    assert settings.config_file == str(config)


def test_workers_come_from_flag_env_file_or_the_cores(tmp_path):
    config = tmp_path / "w.toml"
    config.write_text("workers = 3\n")
    env = {"WARDROOM_WORKERS": "2"}
    flagged = load_settings(str(config), flags={"workers": "5"}, environ=env)
    assert (flagged.workers, flagged.sources["workers"]) == (5, "flag --workers")
    by_env = load_settings(str(config), flags={"workers": None}, environ=env)
    assert (by_env.workers, by_env.sources["workers"]) == (2, "env WARDROOM_WORKERS")
    by_file = load_settings(str(config), environ={})
    assert (by_file.workers, by_file.sources["workers"]) == (3, "file")
    default = load_settings(environ={})
    cores = min(os.cpu_count() or 1, MAX_WORKERS)
    assert (default.workers, default.sources["workers"]) == (cores, "default")


def test_every_wardroom_env_var_is_read(tmp_path):
    env = {"WARDROOM_LISTEN": "[::]:22", "WARDROOM_DB": str(tmp_path / "x.db"),
           "WARDROOM_HOST_KEYS": "/etc/wardroom/keys", "WARDROOM_REGISTRATION": "off"}
    settings = load_settings(environ=env)
    assert (settings.host, settings.port) == ("::", 22)
    assert settings.db == str(tmp_path / "x.db") and settings.registration is False
    assert settings.host_keys == "/etc/wardroom/keys"


@pytest.mark.parametrize(("toml", "named"), [
    ("lissten = \"0.0.0.0:22\"\n", "lissten"),  # a typo is not silently ignored
    ("[server]\nlisten = \"0.0.0.0:22\"\n", "server"),
    ("pq_only = \"yes\"\n", "pq_only"),  # TOML has booleans: text is refused
    ("idle_lock_minutes = true\n", "idle_lock_minutes"),  # a bool is no number
    ("idle_lock_minutes = \"15\"\n", "idle_lock_minutes"),
    ("idle_lock_minutes = 0\n", "idle_lock_minutes"),
    ("login_timeout_seconds = 31\n", "login_timeout_seconds"),  # SPEC: at most 30 s
    ("workers = 0\n", "workers"),
    ("workers = 65\n", "workers"),
    ("workers = \"2\"\n", "workers"),
    ("workers = 1.5\n", "workers"),
    ("listen = \"no-port\"\n", "listen"),
    ("db = \"\"\n", "db"),
    ("listen = \n", "not valid TOML"),
    ("trusted_proxies = \"10.0.0.0/8\"\n", "trusted_proxies"),  # a list, not a text
    ("trusted_proxies = [\"10.0.0.1/8\"]\n", "trusted_proxies"),  # host bits: a typo?
    ("trusted_proxies = [\"haproxy.internal\"]\n", "trusted_proxies"),  # no names
])
def test_bad_file_names_the_key(tmp_path, toml, named):
    config = tmp_path / "w.toml"
    config.write_text(toml)
    with pytest.raises(ConfigError) as raised:
        load_settings(str(config), environ={})
    message = str(raised.value)
    assert named in message and "\n" not in message


@pytest.mark.parametrize(("env", "named"), [
    ({"WARDROOM_LISTN": "x"}, "WARDROOM_LISTN"),
    ({"WARDROOM_PQ_ONLY": "maybe"}, "WARDROOM_PQ_ONLY"),
    ({"WARDROOM_RETENTION_INTERVAL_MINUTES": "-5"}, "WARDROOM_RETENTION_INTERVAL_MINUTES"),
    ({"WARDROOM_WORKERS": "two"}, "WARDROOM_WORKERS"),
    ({"WARDROOM_WORKERS": "0"}, "WARDROOM_WORKERS"),
    ({"WARDROOM_PUBLIC_ADDRESS": "host; rm -rf"}, "WARDROOM_PUBLIC_ADDRESS"),
    ({"WARDROOM_PUBLIC_ADDRESS": "user@host:22"}, "WARDROOM_PUBLIC_ADDRESS"),
    ({"WARDROOM_TRUSTED_PROXIES": "10.0.0.0/8:10.1.0.0/16"}, "WARDROOM_TRUSTED_PROXIES"),
    ({"WARDROOM_TRUSTED_PROXIES": "10.0.0.0/8,"}, "WARDROOM_TRUSTED_PROXIES"),
])
def test_bad_env_names_the_variable(env, named):
    with pytest.raises(ConfigError, match=named):
        load_settings(environ=env)


def test_trusted_proxies_are_joined_by_commas_in_the_environment():
    # IPv6 addresses hold ':', the separator of the other lists.
    settings = load_settings(environ={"WARDROOM_TRUSTED_PROXIES": "10.0.0.0/8,2001:db8::1"})
    assert settings.trusted_proxies == ("10.0.0.0/8", "2001:db8::1")


async def test_serve_with_a_bad_trusted_proxy_exits_2_before_anything(tmp_path, host_keys_dir):
    code, out, err = await _wardroom("serve", "--listen", f"127.0.0.1:{free_port()}", "--db",
                                     str(tmp_path / "w.db"), "--host-keys", str(host_keys_dir),
                                     env={"WARDROOM_TRUSTED_PROXIES": "10.0.0.300"})
    assert (code, out) == (2, "")
    assert err == ("wardroom: WARDROOM_TRUSTED_PROXIES: bad value '10.0.0.300', expected a "
                   "list of IP addresses or networks such as \"10.0.0.0/24\"\n")
    assert not (tmp_path / "w.db").exists()


def test_a_named_file_that_is_missing_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_settings(str(tmp_path / "nope.toml"), environ={})


def test_the_file_beside_the_database_is_found(tmp_path):
    (tmp_path / CONFIG_FILENAME).write_text("idle_lock_minutes = 3\n")
    settings = load_settings(flags={"db": str(tmp_path / "w.db")}, environ={})
    assert settings.idle_lock_minutes == 3
    assert settings.config_file == str(tmp_path / CONFIG_FILENAME)
    by_env = load_settings(environ={"WARDROOM_DB": str(tmp_path / "w.db")})
    assert by_env.idle_lock_minutes == 3


def _uncommented(line: str) -> str:
    """What an operator gets by removing the leading '#' (and the space after it)."""
    return line.removeprefix("#").removeprefix(" ")


def test_default_file_lists_every_setting_with_its_default_and_explanation():
    text = default_config_text()
    assert set(EXPLANATIONS) == set(SETTING_NAMES)
    # Commented out, the file changes nothing.
    assert tomllib.loads(text) == {}
    for name in SETTING_NAMES:
        assert EXPLANATIONS[name] in text and f"WARDROOM_{name.upper()}" in text


def test_every_line_of_the_default_file_can_be_uncommented_as_written(tmp_path):
    lines = default_config_text().splitlines()
    config = tmp_path / CONFIG_FILENAME
    from_file = {}
    for number, line in enumerate(lines):
        if not line.startswith("#"):
            continue
        config.write_text("\n".join([*lines[:number], _uncommented(line), *lines[number + 1:]]))
        settings = load_settings(str(config), environ={})
        changed = [n for n in SETTING_NAMES if settings.sources[n] == "file"]
        for name in changed:
            # An uncommented setting line says the default: the file still changes nothing.
            assert getattr(settings, name) == getattr(Settings(), name), line
            from_file[name] = line
    assert sorted(from_file) == sorted(SETTING_NAMES)


@pytest.mark.parametrize("name", [f.name for f in fields(Settings)
                                  if f.name in SETTING_NAMES and f.default in ("", ())])
def test_an_empty_default_may_be_written_in_the_environment(name):
    settings = load_settings(environ={f"WARDROOM_{name.upper()}": ""})
    assert getattr(settings, name) == getattr(Settings(), name)
    assert settings.sources[name] == f"env WARDROOM_{name.upper()}"


async def test_first_serve_writes_the_default_file_beside_the_database(tmp_path, host_keys_dir):
    data = tmp_path / "data"
    data.mkdir()
    server = ServerProcess(data / "w.db", host_keys_dir)
    await server.start()
    await server.stop()
    written = data / CONFIG_FILENAME
    assert written.read_text() == default_config_text()
    assert f"wrote the default configuration to {written}" in server.log.decode()
    assert oct(written.stat().st_mode & 0o777) == "0o600"

    # The operator edits it; the next start reads it and never overwrites it.
    written.write_text("registration = false\n")
    server = ServerProcess(data / "w.db", host_keys_dir)
    await server.start()
    await server.stop()
    assert written.read_text() == "registration = false\n"
    assert f"configuration from {written}" in server.log.decode()


async def test_serve_with_a_bad_setting_exits_2_before_anything(tmp_path, host_keys_dir):
    config = tmp_path / "w.toml"
    config.write_text("idle_lock_minutes = 15\nlogin_timeout_seconds = 300\n")
    port = free_port()
    code, out, err = await _wardroom("serve", "--config", str(config), "--listen",
                                     f"127.0.0.1:{port}", "--db", str(tmp_path / "w.db"),
                                     "--host-keys", str(host_keys_dir))
    assert code == 2
    assert err.strip().splitlines()[-1] == (
        f"wardroom: login_timeout_seconds (in {config}): bad value 300, "
        "expected a whole number from 1 to 30")
    assert "listening" not in out + err
    assert not (tmp_path / "w.db").exists()  # nothing was set up half-way
    assert not (tmp_path / CONFIG_FILENAME).exists()


@pytest.mark.parametrize(("flags", "env", "said"), [
    (["--workers", "0"], {}, "wardroom: --workers: bad value '0', "
                             "expected a whole number from 1 to 64"),
    ([], {"WARDROOM_WORKERS": "many"}, "wardroom: WARDROOM_WORKERS: bad value 'many', "
                                       "expected a whole number from 1 to 64"),
])
async def test_serve_with_a_bad_worker_count_exits_2_before_anything(tmp_path, host_keys_dir,
                                                                     flags, env, said):
    code, out, err = await _wardroom("serve", "--listen", f"127.0.0.1:{free_port()}", "--db",
                                     str(tmp_path / "w.db"), "--host-keys", str(host_keys_dir),
                                     *flags, env=env)
    assert (code, out, err) == (2, "", said + "\n")
    assert not (tmp_path / "w.db").exists()


async def test_serve_starts_the_workers_the_file_asks_for(tmp_path, host_keys_dir):
    config = tmp_path / "w.toml"
    config.write_text("workers = 3\n")
    server = ServerProcess(tmp_path / "w.db", host_keys_dir, "--config", str(config))
    await server.start()
    try:
        assert len(workers(server)) == 3
        assert b"with 3 workers" in server.log
    finally:
        await server.stop()


async def test_config_show_says_where_each_value_came_from(tmp_path):
    (tmp_path / CONFIG_FILENAME).write_text("retention_interval_minutes = 10\n")
    code, out, err = await _wardroom(
        "config", "show", "--db", str(tmp_path / "w.db"), "--workers", "2",
        env={"WARDROOM_LISTEN": "0.0.0.0:2222", "WARDROOM_WORKERS": "4"})
    assert code == 0, err
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()[1:] if line.strip()}
    assert rows["listen"] == ['"0.0.0.0:2222"', "env", "WARDROOM_LISTEN"]
    assert rows["db"] == [f'"{tmp_path / "w.db"}"', "flag", "--db"]
    assert rows["retention_interval_minutes"] == ["10", "file"]
    assert rows["pq_only"] == ["false", "default"]
    assert rows["workers"] == ["2", "flag", "--workers"]
    assert out.splitlines()[-1] == f"config file: {tmp_path / CONFIG_FILENAME}"
    assert set(rows) - {"setting", "config"} == set(SETTING_NAMES)

    code, out, _err = await _wardroom("config", "show", "--json", "--db",
                                      str(tmp_path / "w.db"))
    shown = json.loads(out)
    assert shown["config_file"] == str(tmp_path / CONFIG_FILENAME)
    assert shown["settings"]["retention_interval_minutes"] == {"value": 10, "source": "file"}
    assert shown["settings"]["registration"] == {"value": True, "source": "default"}


async def test_config_show_refuses_a_bad_value_with_exit_2(tmp_path):
    code, out, err = await _wardroom("config", "show", "--listen", "localhost",
                                     cwd=tmp_path)
    assert (code, out) == (2, "")
    assert err == "wardroom: --listen: bad value 'localhost', expected HOST:PORT\n"


@pytest.mark.parametrize(("public_address", "listen", "shown"), [
    ("beratung.example:2222", "0.0.0.0:2222", "beratung.example:2222"),
    ("", "192.0.2.7:2316", "192.0.2.7:2316"),
])
def test_screens_show_the_public_address_else_the_listen_address(public_address, listen, shown):
    settings = Settings(listen=listen, public_address=public_address)
    assert settings.ssh_address == shown
