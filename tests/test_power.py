"""Battery detection from a sysfs-like tree, and the daemon pausing on battery."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from semfind.engine.config import Settings
from semfind.engine.store.store import Store
from semfind.indexer.daemon import control, pausing
from semfind.indexer.daemon.daemon import Daemon
from semfind.indexer.daemon.power import _linux_on_battery
from semfind.indexer.daemon.runtime import DaemonFiles

from .fakes import FakeEmbedder
from .helpers import wait_until


def _supply(root: Path, name: str, **values: str) -> None:
    folder = root / name
    folder.mkdir(parents=True)
    for key, value in values.items():
        (folder / key).write_text(value + "\n")


@pytest.mark.parametrize(
    ("supplies", "expected"),
    [
        ({"BAT0": {"type": "Battery", "status": "Discharging"}}, True),
        ({"BAT0": {"type": "Battery", "status": "Charging"}}, False),
        (
            {
                "BAT0": {"type": "Battery", "status": "Discharging"},
                "AC": {"type": "Mains", "online": "1"},
            },
            False,
        ),
        (
            {
                "hidpp_battery_0": {"type": "Battery", "status": "Discharging", "scope": "Device"},
                "AC": {"type": "Mains", "online": "1"},
            },
            False,
        ),
        ({"AC": {"type": "Mains", "online": "0"}}, False),
        ({}, False),
    ],
)
def test_linux_power_supply_states(
    tmp_path: Path, supplies: dict[str, dict[str, str]], expected: bool
) -> None:
    for name, values in supplies.items():
        _supply(tmp_path, name, **values)
    assert _linux_on_battery(tmp_path) is expected


def test_a_missing_sysfs_means_mains(tmp_path: Path) -> None:
    assert _linux_on_battery(tmp_path / "nothing") is False


def test_the_daemon_waits_on_battery_until_mains_or_resume(
    tmp_path: Path, daemon_files: DaemonFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pausing, "POWER_CHECK_S", 0.05)
    battery = threading.Event()
    battery.set()
    settings = Settings(db=tmp_path / "index.sqlite3", segmenter="none", units="passage")
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.md").write_text("Herons wait by the river.\n")
    with Store.open(settings.db_path()) as store:
        store.add_watch(str(notes))
    worker = Daemon(settings, lambda s: FakeEmbedder(), daemon_files, power=battery.is_set)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()

    def status() -> dict[str, object]:
        return control.request(daemon_files.socket, {"cmd": "status"})["status"]  # type: ignore[no-any-return]

    def indexed() -> int:
        with Store.open(settings.db_path(), readonly=True) as store:
            return store.counts()["files"]

    try:
        wait_until(
            lambda: daemon_files.socket.exists() and status()["paused_reason"] == "on battery"
        )
        time.sleep(0.5)
        assert indexed() == 0 and status()["queue"] == 1

        battery.clear()  # mains power returns
        wait_until(lambda: indexed() == 1)
        assert status()["paused_reason"] is None

        battery.set()
        wait_until(lambda: status()["paused_reason"] == "on battery")
        (notes / "b.md").write_text("Otters visit at dusk.\n")
        time.sleep(1.0)
        assert indexed() == 1
        reply = control.request(daemon_files.socket, {"cmd": "resume"})
        assert reply["paused"] is False  # resuming overrides the battery until mains returns
        wait_until(lambda: indexed() == 2)
    finally:
        worker.stopping.set()
        thread.join(30)
    assert not thread.is_alive()
