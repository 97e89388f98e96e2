"""Whether the machine runs on battery, where the platform says so."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

POWER_SUPPLY = Path("/sys/class/power_supply")


def on_battery(power_supply: Path = POWER_SUPPLY) -> bool:
    """True when a battery is discharging (Linux sysfs) or macOS draws from its battery.

    Unknown counts as mains power: a desktop, a container or a missing tool never pauses.
    """
    if sys.platform == "darwin":
        return _macos_on_battery()
    return _linux_on_battery(power_supply)


def _linux_on_battery(root: Path) -> bool:
    try:
        supplies = list(root.iterdir())
    except OSError:
        return False
    mains_online = False
    discharging = False
    for supply in supplies:
        kind = _read(supply / "type")
        if kind == "Battery" and _read(supply / "scope") != "Device":  # not a mouse battery
            discharging |= _read(supply / "status") == "Discharging"
        elif kind in ("Mains", "USB", "USB_C", "USB_PD"):
            mains_online |= _read(supply / "online") == "1"
    return discharging and not mains_online


def _macos_on_battery() -> bool:
    try:
        result = subprocess.run(
            ["pmset", "-g", "batt"], capture_output=True, text=True, timeout=2.0, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return "'Battery Power'" in result.stdout


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return ""
