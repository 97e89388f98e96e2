"""Starting the daemon at login: a systemd user unit on Linux, a launchd agent on macOS."""

from __future__ import annotations

import os
import platform
import plistlib
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from semfind.engine import paths
from semfind.engine.errors import UsageError

UNIT_NAME = "semfind-daemon.service"
AGENT_LABEL = "io.semfind.daemon"


@dataclass(frozen=True)
class Service:
    """The login service file of this platform and the commands that switch it on and off."""

    path: Path
    enable: list[str]
    disable: list[str]


def service() -> Service:
    system = platform.system()
    if system == "Linux":
        path = _config_home() / "systemd" / "user" / UNIT_NAME
        return Service(
            path,
            ["systemctl", "--user", "enable", "--now", UNIT_NAME],
            ["systemctl", "--user", "disable", "--now", UNIT_NAME],
        )
    if system == "Darwin":
        path = Path.home() / "Library" / "LaunchAgents" / f"{AGENT_LABEL}.plist"
        return Service(path, ["launchctl", "load", str(path)], ["launchctl", "unload", str(path)])
    raise UsageError(f"starting the daemon at login is not supported on {system}")


def _config_home() -> Path:
    """Where systemd looks for user units: $XDG_CONFIG_HOME, when set to an absolute path
    (the XDG spec ignores a relative one), else ~/.config."""
    configured = os.environ.get("XDG_CONFIG_HOME", "")
    if configured and Path(configured).is_absolute():
        return Path(configured)
    return Path.home() / ".config"


def daemon_command(db: Path) -> list[str]:
    return [*paths.self_command(), "--db", str(db), "daemon", "start", "--foreground"]


def write_service(target: Service, db: Path) -> None:
    """Write the unit or agent file that runs the daemon for `db` at login."""
    command = daemon_command(db)
    target.path.parent.mkdir(parents=True, exist_ok=True)
    if target.path.suffix == ".plist":
        agent = {
            "Label": AGENT_LABEL,
            "ProgramArguments": command,
            "RunAtLoad": True,
            "KeepAlive": {"SuccessfulExit": False},
            "ProcessType": "Background",
        }
        target.path.write_bytes(plistlib.dumps(agent))
    else:
        target.path.write_text(systemd_unit(command), encoding="utf-8")


def systemd_unit(command: list[str]) -> str:
    # systemd expands % specifiers, even inside quotes.
    exec_start = shlex.join(command).replace("%", "%%")
    return (
        "[Unit]\nDescription=semfind indexer daemon\n\n"
        f"[Service]\nExecStart={exec_start}\nRestart=on-failure\nNice=10\n\n"
        "[Install]\nWantedBy=default.target\n"
    )


def run_quietly(command: list[str]) -> str | None:
    """Run a service manager command; None when it worked, else why not."""
    if shutil.which(command[0]) is None:
        return f"{command[0]} not found"
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        return str(exc)
    if result.returncode != 0:
        return (result.stderr or result.stdout).strip() or f"exit status {result.returncode}"
    return None
