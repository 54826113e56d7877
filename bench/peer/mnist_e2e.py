#!/usr/bin/env python3
"""PyTorch peer of localprop's end-to-end benchmark (bench/end-to-end.ts).

Does the work of
  localprop train --schedule S --dataset mnist --limit N --model 784-1024-1024-1024-10
                  --step batch --batch-size 128 --optimizer adam --epochs E --seed 0
from launch to exit: start-up, parsing the MNIST IDX files (the first N
training and test images, pixels scaled to [0, 1]), and the CLI's
evaluations: before every epoch (the numbers of its epoch line, taken
before the epoch trains, as Mertens' protocol does) and once more for the
trained network (its summary line), a loss pass over the training images and
a loss and accuracy pass over the test images; each epoch one Adam step
(lr 1e-3) per shuffled mini-batch.
  backprop        one ReLU MLP, cross-entropy at the output
  local-parallel  every block learns from its own bias-free linear decoder
                  (cross-entropy) on the detached output of the block before
Run with Debian's interpreter: /usr/bin/python3 bench/peer/mnist_e2e.py
"""
import os

import blas_threads  # noqa: F401  (sets the BLAS threads before torch loads)

import argparse
import gzip
import json
import struct
import time

import torch
import torch.nn.functional as F


def read_idx(path):
    for candidate in (path, path + '.gz'):
        if os.path.exists(candidate):
            raw = open(candidate, 'rb').read()
            return gzip.decompress(raw) if candidate.endswith('.gz') else raw
    raise SystemExit(f'missing {path}[.gz]')


def load(data_dir, prefix, limit):
    images = read_idx(os.path.join(data_dir, f'{prefix}-images-idx3-ubyte'))
    labels = read_idx(os.path.join(data_dir, f'{prefix}-labels-idx1-ubyte'))
    count, rows, cols = struct.unpack('>III', images[4:16])
    count = min(count, limit)
    x = torch.frombuffer(bytearray(images[16:16 + count * rows * cols]), dtype=torch.uint8).reshape(count, rows * cols).float() / 255
    y = torch.frombuffer(bytearray(labels[8:8 + count]), dtype=torch.uint8).long()
    return x, y


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--schedule', choices=['backprop', 'local-parallel'], required=True)
    p.add_argument('--data-dir', required=True)
    p.add_argument('--limit', type=int, default=25600)
    p.add_argument('--epochs', type=int, default=2)
    p.add_argument('--batch-size', type=int, default=128)
    p.add_argument('--layers', default='784-1024-1024-1024-10')
    p.add_argument('--threads', type=int, default=0)
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    layers = [int(v) for v in a.layers.split('-')]
    xtr, ytr = load(a.data_dir, 'train', a.limit)
    xte, yte = load(a.data_dir, 't10k', a.limit)
    blocks = torch.nn.ModuleList(torch.nn.Linear(i, o) for i, o in zip(layers[:-1], layers[1:]))
    decoders = torch.nn.ModuleList(torch.nn.Linear(w, layers[-1], bias=False) for w in layers[1:-1])
    local = a.schedule == 'local-parallel'
    params = list(blocks.parameters()) + (list(decoders.parameters()) if local else [])
    opt = torch.optim.Adam(params, lr=1e-3)

    def forward(x, detach):
        h, losses_in = x, []
        for i, block in enumerate(blocks):
            z = block(h.detach() if detach else h)
            if i + 1 < len(blocks):
                h = F.relu(z)
                losses_in.append(decoders[i](h))
            else:
                losses_in.append(z)
        return losses_in

    def step(x, y):
        outs = forward(x, local)
        loss = sum(F.cross_entropy(o, y) for o in outs) if local else F.cross_entropy(outs[-1], y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    def score(x, y):
        # The CLI's evaluation: every block's decoder loss (local) or the output's, in batches, no gradients.
        total, correct = 0.0, 0
        with torch.no_grad():
            for s in range(0, len(x), a.batch_size):
                outs = forward(x[s:s + a.batch_size], False)
                yb = y[s:s + a.batch_size]
                total += sum(F.cross_entropy(o, yb, reduction='sum').item() for o in (outs if local else outs[-1:]))
                correct += (outs[-1].argmax(1) == yb).sum().item()
        return total / len(x), correct / len(x)

    for epoch in range(a.epochs):
        train_loss, _ = score(xtr, ytr)
        test_loss, test_acc = score(xte, yte)
        order = torch.randperm(len(xtr))
        for s in range(0, len(xtr), a.batch_size):
            idx = order[s:s + a.batch_size]
            step(xtr[idx], ytr[idx])
        print(json.dumps({'epoch': epoch + 1, 'trainLoss': train_loss, 'testLoss': test_loss, 'testAccuracy': test_acc}), flush=True)
    train_loss, train_acc = score(xtr, ytr)
    test_loss, test_acc = score(xte, yte)
    print(json.dumps({'end': True, 'trainLoss': train_loss, 'trainAccuracy': train_acc, 'testLoss': test_loss, 'testAccuracy': test_acc}), flush=True)


if __name__ == '__main__':
    main()
