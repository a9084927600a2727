"""One training step of the same network in ``lib`` and in PyTorch, side by side, on the CPU.

    make bench                                  # installs torch (CPU) if missing, then runs this
    .venv/bin/python benchmarks/engine.py [--threads 1] [--repeats 200] [--only mnist]

A step is what ``lib.train.fit`` does per mini-batch: forward, loss, backward, SGD update
(``model.backward(loss.backward(), input_grad=False); opt.step()`` against
``opt.zero_grad(); loss.backward(); opt.step()`` in PyTorch). A third column times lib's
default ``model.backward(g)``, which also returns dL/dX. Both frameworks get the same
float32 weights (checked: the first two losses agree), the same batch, the same loss and the
same number of threads (BLAS threads for NumPy via threadpoolctl, ``torch.set_num_threads``
for PyTorch). Blocks of steps of each variant are interleaved in a rotating order, so that a
slow moment of the machine hits all of them, and medians are compared, both of wall-clock
time and of the CPU time of the (single) working thread. Not a test: timings depend on the
machine. See benchmarks/README.md for the results and how to read them.
"""
from __future__ import annotations

import argparse
import inspect
import os
import platform
import statistics
import time

import numpy as np

from lib.losses import BinaryCrossEntropy, SoftmaxCrossEntropy
from lib.nn import Linear, ReLU, mlp
from lib.optim import SGD

# name: (layer sizes, batch size, blocks at --repeats 200, steps per block)
NETWORKS = {
    "playground": ([2, 8, 8, 1], 32, 200, 20),
    "mnist": ([784, 256, 256, 10], 128, 100, 4),
    "wide": ([784, 1024, 1024, 1024, 10], 256, 60, 1),
}
LEARNING_RATE = 0.01


def lib_step_fn(sizes, X, t, input_grad=False):
    """The step of ``lib.train.fit``: it asks for no gradient of the data (``input_grad=False``,
    as PyTorch computes none for a tensor without ``requires_grad``). With ``input_grad=True``
    the backward pass also returns dL/dX, as ``model.backward(g)`` does by default."""
    model = mlp(sizes, ReLU, rng=0, dtype=np.float32)
    loss = BinaryCrossEntropy() if sizes[-1] == 1 else SoftmaxCrossEntropy()
    opt = SGD(model, lr=LEARNING_RATE)

    # an engine from before input_grad existed (benchmarks/README.md, "before") always
    # computed dL/dX: run it as it was
    kwargs = {"input_grad": input_grad} \
        if "input_grad" in inspect.signature(model.backward).parameters else {}

    def step() -> float:
        value = loss.forward(model.forward(X), t)
        model.backward(loss.backward(), **kwargs)
        opt.step()
        return value
    return model, step


def torch_step_fn(torch, lib_model, X, t):
    layers = []
    for layer in lib_model.layers:
        if isinstance(layer, Linear):
            linear = torch.nn.Linear(layer.n_in, layer.n_out)
            with torch.no_grad():       # the very same initial weights as lib's model
                linear.weight.copy_(torch.from_numpy(layer.params["W"]))
                linear.bias.copy_(torch.from_numpy(layer.params["b"]))
            layers.append(linear)
        else:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    binary = lib_model.layers[-1].n_out == 1
    loss = torch.nn.BCEWithLogitsLoss() if binary else torch.nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    Xt = torch.from_numpy(X)
    tt = torch.from_numpy(t.astype(np.float32)).reshape(-1, 1) if binary else torch.from_numpy(t)

    def step() -> float:
        opt.zero_grad()
        value = loss(model(Xt), tt)
        value.backward()
        opt.step()
        return value.item()
    return step


def measure(name, sizes, batch, blocks, block_len, torch):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    t = rng.integers(0, max(sizes[-1], 2), batch)
    lib_model, lib_step = lib_step_fn(sizes, X, t)
    _, lib_step_dx = lib_step_fn(sizes, X, t, input_grad=True)
    torch_step = torch_step_fn(torch, lib_model, X, t)
    # same network, same numbers: the first losses agree (to float32 rounding), and so do the
    # second ones, after one SGD step on each side
    for _ in range(2):
        first_lib, first_dx, first_torch = lib_step(), lib_step_dx(), torch_step()
        if not max(abs(first_lib - first_torch), abs(first_dx - first_torch)) \
                <= 1e-4 * max(1.0, abs(first_torch)):
            raise SystemExit(f"{name}: lib and torch disagree ({first_lib} vs {first_torch}).")
    steps = (lib_step, lib_step_dx, torch_step)
    for _ in range(max(5, blocks // 10) * block_len):       # warm-up: caches, allocator
        for fn in steps:
            fn()
    # Blocks of consecutive steps of one framework, the blocks interleaved in a rotating
    # order: a slow moment of the machine hits all three, while each step still runs after
    # a step of its own framework, as in a training loop (after a step of the other one the
    # 2-8-8-1 step measures mostly cold caches).
    wall, cpu = [[], [], []], [[], [], []]
    for i in range(blocks):
        for j in range(3):
            k = (i + j) % 3
            start, start_cpu = time.perf_counter(), time.thread_time()
            for _ in range(block_len):
                steps[k]()
            cpu[k].append((time.thread_time() - start_cpu) / block_len)
            wall[k].append((time.perf_counter() - start) / block_len)
    return [statistics.median(ts) for ts in wall], [statistics.median(ts) for ts in cpu]


def describe_blas() -> str:
    from threadpoolctl import threadpool_info
    parts = [f"{i['internal_api']} {i.get('version')} kernel={i.get('architecture')} "
             f"threads={i['num_threads']}" for i in threadpool_info() if i["user_api"] == "blas"]
    return "; ".join(parts) or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1,
                        help="threads for NumPy's BLAS and for torch (default 1: on a shared "
                             "or small machine more threads mostly measure contention)")
    parser.add_argument("--repeats", type=int, default=200,
                        help="scales the number of timed blocks of every network (200 = the "
                             "defaults: 200 x 20 steps, 100 x 4 steps, 60 x 1 step)")
    parser.add_argument("--only", choices=sorted(NETWORKS), action="append",
                        help="run only this network (may be repeated)")
    args = parser.parse_args()

    try:
        import torch
    except ImportError:
        raise SystemExit("PyTorch is not installed: run `make bench`, which installs the CPU "
                         "build into .venv (see benchmarks/README.md).") from None
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    with threadpool_limits(limits=args.threads, user_api="blas"):
        print(f"numpy {np.__version__} ({describe_blas()}); torch {torch.__version__} "
              f"(threads={torch.get_num_threads()}); python {platform.python_version()}; "
              f"{platform.machine()}")
        for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
            if os.environ.get(var):
                print(f"note: {var}={os.environ[var]} is set (it can slow NumPy's BLAS; see "
                      "benchmarks/README.md)")
        print(f"{'':<34} {'':>5} {'----- wall-clock time ------':>28}   "
              f"{'--- CPU time of this thread ---':>31}")
        print(f"{'network':<34} {'batch':>5} {'lib ms':>8} {'torch ms':>9} {'lib/torch':>9}   "
              f"{'lib ms':>8} {'torch ms':>9} {'lib/torch':>9} {'lib+dX/torch':>12}")
        for name in args.only or NETWORKS:
            sizes, batch, base, block_len = NETWORKS[name]
            blocks = max(10, base * args.repeats // 200)
            (lib_w, _, torch_w), (lib_c, dx_c, torch_c) = measure(name, sizes, batch, blocks,
                                                                  block_len, torch)
            label = f"{name} {'-'.join(map(str, sizes))}"
            print(f"{label:<34} {batch:>5} {1e3 * lib_w:>8.3f} {1e3 * torch_w:>9.3f} "
                  f"{lib_w / torch_w:>9.2f}   {1e3 * lib_c:>8.3f} {1e3 * torch_c:>9.3f} "
                  f"{lib_c / torch_c:>9.2f} {dx_c / torch_c:>12.2f}", flush=True)
        print("Medians over interleaved blocks of steps. lib: the step of lib.train.fit (no "
              "gradient for the data X,\nlike torch); lib+dX: model.backward(g), which also "
              "returns dL/dX (one more matrix product).\nWith --threads 1 the CPU time is the "
              "robust measure on a busy machine; with more threads\nonly the wall-clock time "
              "counts.")


if __name__ == "__main__":
    main()
