"""How long one playground step (one epoch) plus a full redraw of the widget takes.

    .venv/bin/python benchmarks/playground_step.py

The playground should answer within about 100 ms for playground-size networks: here a
2-8-8-1 tanh network on 500 points (250 for training, batch 10: 25 gradient steps per epoch),
redrawn on a 50 x 50 grid (decision boundary, loss curves and 2 + 16 neuron heat maps).
Not a test (timings depend on the machine); prints the median and 90th percentile.
"""
from __future__ import annotations

import statistics
import time

from lib.playground import FEATURES, Playground
from lib.playground.widget import PlaygroundWidget


def measure(label: str, fn, repeats: int = 40) -> None:
    fn()                                                  # warm-up (first draw, caches)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(1000 * (time.perf_counter() - start))
    times.sort()
    print(f"{label:<48s} median {statistics.median(times):6.1f} ms   "
          f"90th percentile {times[int(0.9 * len(times))]:6.1f} ms")


def main() -> None:
    for features, hidden in [(("x1", "x2"), (8, 8)), (tuple(FEATURES), (8, 8, 8, 8, 8, 8))]:
        name = f"{len(features)}-{'-'.join(map(str, hidden))}-1"
        pg = Playground(dataset="spiral", n_points=500, features=features, hidden=hidden,
                        batch_size=10, learning_rate=0.03, rng=0)
        widget = PlaygroundWidget(pg, resolution=50)
        measure(f"{name}: training step only (1 epoch)", pg.step)
        measure(f"{name}: redraw only", widget.redraw)
        measure(f"{name}: step + redraw (play / step button)", widget.step)


if __name__ == "__main__":
    main()
