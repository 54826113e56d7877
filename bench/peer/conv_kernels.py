#!/usr/bin/env python3
"""PyTorch's conv kernels on the sizes of bench/conv-kernels.ts, for comparison.

Batch 128, 3x3 filters, padding 1 (TF.js's 'same' at stride 1), 28x28 32->32
and 14x14 32->64 channels: the forward, the input gradient and the filter
gradient (aten.convolution_backward asked for one of them), medians of 7
calls after one warm-up, wall and process CPU time (every thread).

Run: python3 bench/peer/conv_kernels.py [--threads N]   (PyTorch 2.x from pip, CPU)
"""
import argparse
import resource
import statistics
import time

import torch
import torch.nn.functional as F


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} thread(s)")
    print("| size | kernel | wall ms | CPU ms |")
    print("|---|---|---:|---:|")
    for size, cin, cout in [(28, 32, 32), (14, 32, 64)]:
        x = torch.randn(128, cin, size, size)
        w = torch.randn(cout, cin, 3, 3)
        dy = torch.randn(128, cout, size, size)

        def backward(mask):
            return torch.ops.aten.convolution_backward(dy, x, w, None, [1, 1], [1, 1], [1, 1], False, [0, 0], 1, mask)

        kernels = [
            ("forward", lambda: F.conv2d(x, w, padding=1)),
            ("input gradient", lambda: backward([True, False, False])),
            ("filter gradient", lambda: backward([False, True, False])),
        ]
        for name, run in kernels:
            run()
            walls, cpus = [], []
            for _ in range(7):
                c0, t0 = cpu_seconds(), time.perf_counter()
                run()
                walls.append(time.perf_counter() - t0)
                cpus.append(cpu_seconds() - c0)
            print(f"| {size}x{size} {cin}->{cout} | {name} | {statistics.median(walls) * 1e3:.1f} | {statistics.median(cpus) * 1e3:.1f} |")


if __name__ == "__main__":
    main()
