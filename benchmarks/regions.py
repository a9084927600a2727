"""How long region counting takes (``lib.lessons.regions``).

Run ``.venv/bin/python benchmarks/regions.py``.

Timed: ``count_linear_regions`` along a segment (tent-map networks, whose 2^L regions are
known, and random ReLU networks) and on a 2-D grid. Medians of 5 runs, wall-clock seconds.
Speed is measured here only; the tests check counts, never times.
"""
from __future__ import annotations

import time

import numpy as np

from lib.lessons.depth_separation import shallow_tent_network, tent_map_network
from lib.lessons.regions import count_linear_regions, random_relu_network


def median_time(fn, repeats: int = 5) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), out


def main() -> None:
    cases = [
        ("line, tent map L=10 (deep, 20 units)",
         lambda: count_linear_regions(tent_map_network(10), line=(0.0, 1.0))),
        ("line, tent map L=10 (shallow, 1024 units)",
         lambda: count_linear_regions(shallow_tent_network(10), line=(0.0, 1.0))),
        ("line, random 2-32x8-1",
         lambda: count_linear_regions(random_relu_network([2] + [32] * 8 + [1], 0),
                                      line=((-3, -3), (3, 3)))),
        ("grid 300x300, random 2-48-1",
         lambda: count_linear_regions(random_relu_network([2, 48, 1], 0),
                                      grid=((-2, 2), (-2, 2)), resolution=300)),
        ("grid 300x300, random 2-8x6-1",
         lambda: count_linear_regions(random_relu_network([2] + [8] * 6 + [1], 0),
                                      grid=((-2, 2), (-2, 2)), resolution=300)),
    ]
    print(f"{'case':45s} {'regions':>8s} {'seconds':>8s}")
    for name, fn in cases:
        seconds, regions = median_time(fn)
        print(f"{name:45s} {regions:8d} {seconds:8.3f}")


if __name__ == "__main__":
    main()
