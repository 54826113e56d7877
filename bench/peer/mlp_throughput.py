#!/usr/bin/env python3
"""PyTorch peer of localprop's throughput benchmark (bench/throughput.ts).

Trains an MLP (default 784-1024-1024-1024-10, ReLU hidden blocks, softmax
cross-entropy) on random inputs with one Adam step per mini-batch, in the
two ways localprop's batch mode does:
  backprop        one forward pass, cross-entropy at the output, one backward
  local-parallel  every block learns from its own bias-free linear decoder
                  (cross-entropy), on the detached output of the block
                  before it; the last block learns from the output loss
and prints one JSON line per (schedule, batch): samples per second, the
median over --repeats timed windows of --steps steps each, after --warmup steps.

Run with Debian's interpreter: /usr/bin/python3 bench/peer/mlp_throughput.py
"""
import argparse
import json
import statistics
import time

import blas_threads  # noqa: F401  (sets the BLAS threads before torch loads)

import torch
import torch.nn.functional as F


def build(layers):
    blocks = torch.nn.ModuleList(torch.nn.Linear(a, b) for a, b in zip(layers[:-1], layers[1:]))
    decoders = torch.nn.ModuleList(torch.nn.Linear(w, layers[-1], bias=False) for w in layers[1:-1])
    return blocks, decoders


def backprop_step(blocks, decoders, opt, x, y):
    h = x
    for i, block in enumerate(blocks):
        h = block(h)
        if i + 1 < len(blocks):
            h = F.relu(h)
    loss = F.cross_entropy(h, y)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


def local_step(blocks, decoders, opt, x, y):
    h = x
    total = 0.0
    for i, block in enumerate(blocks):
        z = block(h.detach())
        if i + 1 < len(blocks):
            h = F.relu(z)
            total = total + F.cross_entropy(decoders[i](h), y)
        else:
            total = total + F.cross_entropy(z, y)
    # The blocks' graphs are disjoint, so one backward of the sum gives each block its own local gradient.
    opt.zero_grad(set_to_none=True)
    total.backward()
    opt.step()


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--layers', default='784-1024-1024-1024-10')
    p.add_argument('--batches', default='128,1024')
    p.add_argument('--schedules', default='backprop,local-parallel')
    p.add_argument('--steps', type=int, default=20)
    p.add_argument('--warmup', type=int, default=5)
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--threads', type=int, default=0, help='0: torch default')
    p.add_argument('--matmul', action='store_true', help='also print the 512x512 float32 matmul GFLOP/s')
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    layers = [int(v) for v in a.layers.split('-')]
    if a.matmul:
        m = torch.randn(512, 512)
        n = torch.randn(512, 512)
        for _ in range(10):
            m @ n
        times = []
        for _ in range(5):
            t = time.perf_counter()
            for _ in range(50):
                m @ n
            times.append((time.perf_counter() - t) / 50)
        print(json.dumps({'matmul512GflopPerS': 2 * 512 ** 3 / statistics.median(times) / 1e9, 'threads': a.threads or torch.get_num_threads()}), flush=True)
    for schedule in a.schedules.split(','):
        for batch in [int(b) for b in a.batches.split(',')]:
            blocks, decoders = build(layers)
            params = list(blocks.parameters()) + (list(decoders.parameters()) if schedule != 'backprop' else [])
            opt = torch.optim.Adam(params, lr=1e-3)
            x = torch.rand(batch, layers[0])
            y = torch.randint(0, layers[-1], (batch,))
            step = backprop_step if schedule == 'backprop' else local_step
            for _ in range(a.warmup):
                step(blocks, decoders, opt, x, y)
            rates = []
            for _ in range(a.repeats):
                t = time.perf_counter()
                for _ in range(a.steps):
                    step(blocks, decoders, opt, x, y)
                rates.append(a.steps * batch / (time.perf_counter() - t))
            print(json.dumps({'schedule': schedule, 'batch': batch, 'samplesPerS': statistics.median(rates), 'threads': a.threads or torch.get_num_threads(), 'torch': torch.__version__}), flush=True)


if __name__ == '__main__':
    main()
