"""Starting the daemon at login: a systemd user unit on Linux, a launchd agent on macOS."""

from __future__ import annotations

import platform
import shlex
import sys
from pathlib import Path

from semfind.engine.errors import UsageError

UNIT_NAME = "semfind-daemon.service"
AGENT_LABEL = "io.semfind.daemon"


def install_service(db: Path) -> tuple[Path, str]:
    """Write the login service; returns its path and how to remove it."""
    command = [sys.executable, "-m", "semfind.app", "--db", str(db), "daemon", "start"]
    command.append("--foreground")
    system = platform.system()
    if system == "Linux":
        return _systemd(command)
    if system == "Darwin":
        return _launchd(command)
    raise UsageError(f"starting the daemon at login is not supported on {system}")


def _systemd(command: list[str]) -> tuple[Path, str]:
    path = Path.home() / ".config" / "systemd" / "user" / UNIT_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "[Unit]\nDescription=semfind indexer daemon\n\n"
        f"[Service]\nExecStart={shlex.join(command)}\nRestart=on-failure\nNice=10\n\n"
        "[Install]\nWantedBy=default.target\n",
        encoding="utf-8",
    )
    remove = f"systemctl --user disable --now {UNIT_NAME} && rm {shlex.quote(str(path))}"
    enable = f"systemctl --user enable --now {UNIT_NAME}"
    return path, f"{remove}\n(to enable it now: {enable})"


def _launchd(command: list[str]) -> tuple[Path, str]:
    path = Path.home() / "Library" / "LaunchAgents" / f"{AGENT_LABEL}.plist"
    path.parent.mkdir(parents=True, exist_ok=True)
    arguments = "".join(f"    <string>{_xml(arg)}</string>\n" for arg in command)
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN"'
        ' "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n'
        '<plist version="1.0"><dict>\n'
        f"  <key>Label</key><string>{AGENT_LABEL}</string>\n"
        f"  <key>ProgramArguments</key><array>\n{arguments}  </array>\n"
        "  <key>RunAtLoad</key><true/>\n  <key>ProcessType</key><string>Background</string>\n"
        "</dict></plist>\n",
        encoding="utf-8",
    )
    remove = f"launchctl unload {shlex.quote(str(path))} && rm {shlex.quote(str(path))}"
    return path, remove


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
