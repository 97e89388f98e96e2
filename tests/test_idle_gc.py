"""The TUI's garbage collection policy: young generations after each paint, everything when
the user pauses, never a full collection while keys are coming."""

from __future__ import annotations

import gc

import pytest

from semfind.app.tui import idle_gc
from semfind.app.tui.idle_gc import IdleCollector


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make(clock: Clock, pending: list[int]) -> IdleCollector:
    return IdleCollector(clock=clock, pending=lambda: pending[0], collect=lambda gen: 0)


def test_full_collection_waits_for_a_pause(clock: Clock) -> None:
    collector = make(clock, [0])
    collector.touched()
    for _ in range(4):  # typing: a key every 0.2 s
        clock.now += 0.2
        collector.tick()
        collector.touched()
    assert collector.collected == []
    clock.now += idle_gc.QUIET_S
    collector.tick()
    collector.tick()  # nothing new since: no second collection
    assert collector.collected == [2]


def test_young_generations_after_a_paint_only_when_worth_it(clock: Clock) -> None:
    pending = [idle_gc.WORTH_IT - 1]
    collector = make(clock, pending)
    collector.after_paint()
    pending[0] = idle_gc.WORTH_IT
    collector.after_paint()
    assert collector.collected == [1]


def test_garbage_piling_up_while_typing_is_collected(clock: Clock) -> None:
    pending = [idle_gc.FORCE_AFTER]
    collector = make(clock, pending)
    collector.touched()
    collector.tick()
    assert collector.collected == [1]


def test_endless_typing_still_gets_a_full_collection(clock: Clock) -> None:
    collector = make(clock, [idle_gc.WORTH_IT])
    collector.touched()
    for _ in range(idle_gc.FULL_AFTER):
        collector.after_paint()
    collector.tick()
    assert collector.collected[-1] == 2
    assert collector.collected.count(1) == idle_gc.FULL_AFTER


def test_start_and_stop_restore_the_collector(clock: Clock) -> None:
    assert gc.isenabled()
    collector = IdleCollector(clock=clock)
    collector.start()
    try:
        assert not gc.isenabled()
        collector.freeze_next()
        clock.now += idle_gc.QUIET_S
        collector.tick()
        assert collector.collected == [2]
        assert gc.get_freeze_count() > 0
    finally:
        collector.stop()
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
