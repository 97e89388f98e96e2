"""`semfind daemon install` and `uninstall` under a temporary home folder."""

from __future__ import annotations

import plistlib
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from semfind.app import service as service_module
from semfind.app.cli import cli
from semfind.engine.errors import UsageError


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools"))  # no systemctl or launchctl
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    return folder


@pytest.mark.parametrize("relative", [False, True])
def test_linux_install_honours_xdg_config_home(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, relative: bool
) -> None:
    monkeypatch.setattr(service_module.platform, "system", lambda: "Linux")
    config = tmp_path / "xdg-config"
    # The XDG spec ignores a relative XDG_CONFIG_HOME, and so does systemd.
    monkeypatch.setenv("XDG_CONFIG_HOME", "xdg-config" if relative else str(config))
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "i.db"), "daemon", "install"])
    assert result.exit_code == 0, result.output
    root = home / ".config" if relative else config
    assert (root / "systemd" / "user" / "semfind-daemon.service").is_file()
    assert not (config if relative else home / ".config").exists()


def test_linux_install_writes_a_user_unit_and_uninstall_removes_it(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service_module.platform, "system", lambda: "Linux")
    db = tmp_path / "my 100% index.sqlite3"
    result = CliRunner().invoke(cli, ["--db", str(db), "daemon", "install"])
    assert result.exit_code == 0, result.output
    unit = home / ".config" / "systemd" / "user" / "semfind-daemon.service"
    text = unit.read_text()
    exec_start = next(line for line in text.splitlines() if line.startswith("ExecStart="))
    command = shlex.split(exec_start.removeprefix("ExecStart=").replace("%%", "%"))
    assert command[1:] == [
        "-m", "semfind.app", "--db", str(db), "daemon", "start", "--foreground"
    ]  # fmt: skip
    assert "100%%" in exec_start  # escaped: systemd expands % specifiers
    assert "WantedBy=default.target" in text
    assert "could not enable it" in result.output and "systemctl --user enable" in result.output

    removed = CliRunner().invoke(cli, ["--db", str(db), "daemon", "uninstall"])
    assert removed.exit_code == 0, removed.output
    assert not unit.exists() and "removed" in removed.output

    again = CliRunner().invoke(cli, ["--db", str(db), "daemon", "uninstall"])
    assert isinstance(again.exception, UsageError) and "nothing to remove" in str(again.exception)


def test_macos_install_writes_a_valid_launch_agent(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service_module.platform, "system", lambda: "Darwin")
    db = tmp_path / "a&b <index>.sqlite3"
    result = CliRunner().invoke(cli, ["--db", str(db), "daemon", "install", "--no-enable"])
    assert result.exit_code == 0, result.output
    agent = plistlib.loads(
        (home / "Library" / "LaunchAgents" / "io.semfind.daemon.plist").read_bytes()
    )
    assert agent["Label"] == "io.semfind.daemon" and agent["RunAtLoad"] is True
    assert agent["ProgramArguments"][-5:] == ["--db", str(db), "daemon", "start", "--foreground"]
    assert "launchctl load" in result.output


def test_other_systems_get_a_clear_error(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service_module.platform, "system", lambda: "Windows")
    result = CliRunner().invoke(cli, ["daemon", "install"])
    assert isinstance(result.exception, UsageError)
    assert "not supported on Windows" in str(result.exception)
