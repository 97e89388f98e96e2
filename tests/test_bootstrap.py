"""bench/bootstrap.py: the paired bootstrap the ranking comparison reports its noise with."""

from __future__ import annotations

import pytest

from .helpers import load_bench

bootstrap = load_bench("bootstrap")


def _alternating(n: int) -> dict[str, float]:
    return {f"q{i:05d}": float(i % 2) for i in range(n)}


def test_identical_runs_differ_by_exactly_nothing() -> None:
    run = _alternating(50)
    rows = {r.name: r for r in bootstrap.compare({"a": run, "b": dict(run)}, "a")}
    assert rows["b"].difference == bootstrap.Interval(0.0, 0.0, 0.0)
    assert rows["b"].value == rows["a"].value


def test_a_constant_shift_is_measured_without_noise() -> None:
    run = _alternating(40)
    better = {q: v + 0.1 for q, v in run.items()}
    row = bootstrap.compare({"a": run, "b": better}, "a")[1]
    assert row.difference.mean == pytest.approx(0.1)
    assert row.difference.width == pytest.approx(0.0, abs=1e-12)
    # Unpaired, the same runs would look as noisy as the metric itself.
    assert row.value.width > 0.1


def test_the_interval_holds_the_mean_and_narrows_with_more_queries() -> None:
    small = bootstrap.compare({"a": _alternating(20)}, "a")[0].value
    large = bootstrap.compare({"a": _alternating(2000)}, "a")[0].value
    assert small.mean == large.mean == 0.5
    assert small.holds(0.5) and large.holds(0.5)
    assert large.width < small.width / 5


def test_the_same_seed_gives_the_same_interval() -> None:
    scores = {f"q{i}": (i * 37 % 11) / 10 for i in range(30)}
    first = bootstrap.compare({"a": scores}, "a", seed=7)[0].value
    assert bootstrap.compare({"a": scores}, "a", seed=7)[0].value == first
    assert bootstrap.compare({"a": scores}, "a", seed=8)[0].value != first


def test_a_run_is_compared_on_the_reference_queries_in_their_order() -> None:
    reference = {"q1": 1.0, "q2": 0.0}
    reordered = {"q2": 0.0, "q1": 1.0}
    row = bootstrap.compare({"ref": reference, "other": reordered}, "ref")[1]
    assert row.difference == bootstrap.Interval(0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="at least one query"):
        bootstrap.draws(0)
