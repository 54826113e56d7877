#!/usr/bin/env python3
"""PyTorch reference numbers for localprop's convolution and pooling kernels.

Writes the fixtures that test/engine/conv-torch.test.ts and
test/engine/conv-sgd.test.ts compare with (CI has no PyTorch, so the numbers
are committed):

  test/fixtures/torch/conv-kernels.json   conv2d forward, input and filter
                                          gradients; max and average pooling
                                          forward and input gradient
  test/fixtures/torch/conv-sgd-step.json  one SGD step of a tiny conv net

Run: python3 bench/peer/conv_fixtures.py [--out test/fixtures/torch]
(PyTorch 1.13 from Debian's python3-torch or 2.x from pip, CPU.)

Inputs are not stored: every input tensor is `pattern(count, seed)`, which
the tests compute the same way. Its values are multiples of 1/32768 in
[-1, 1), exact in float32, from the upper 16 bits of Knuth's multiplicative
hash (integer arithmetic below 2**53, so JavaScript's doubles give the same
numbers):

  k_i = ((i + 7919 * seed) * 2654435761) mod 2**32,  value_i = floor(k_i / 2**16) / 32768 - 1

Layouts are PyTorch's: x [n, c, h, w], weight [out, in, kh, kw], dy and the
outputs [n, c, oh, ow], flattened in C order; the tests convert to TF.js's
NHWC and [kh, kw, in, out].

Padding is TF.js's, which the kernels implement: "valid" none; "same" a total
of max((ceil(in / s) - 1) * s + k - in, 0) per dimension, the smaller half
before (top, left) and the larger after. PyTorch's own padding="same" exists
for stride 1 only, so the input is padded explicitly (F.pad) and the
convolution runs unpadded. Average pooling divides by the number of window
elements inside the input (TF.js's rule; PyTorch's count_include_pad=False
with explicit asymmetric padding).

Every reference is computed in float64 from the float32 inputs and rounded to
float32 once and printed to 8 significant digits, so it is the exact result
to 1e-7 relative; the script checks that PyTorch's own
float32 kernels agree to 1e-5 of each tensor's largest value.
"""
import argparse
import json
import math
import os

import torch
import torch.nn.functional as F


def pattern(count, seed):
    values = []
    for i in range(count):
        k = ((i + 7919 * seed) * 2654435761) % 2**32
        values.append((k // 65536) / 32768 - 1)
    return values


def tensor(shape, seed, scale=1.0):
    """pattern(...) * scale rounded to float32, as the tests hold it, then as float64."""
    values = torch.tensor(pattern(math.prod(shape), seed), dtype=torch.float64).reshape(shape) * scale
    return values.to(torch.float32).to(torch.float64)


def same_pads(size, k, s):
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


def pads(padding, h, w, kh, kw, sh, sw):
    """(left, right, top, bottom) as F.pad takes them."""
    if padding == "valid":
        return (0, 0, 0, 0)
    top, bottom = same_pads(h, kh, sh)
    left, right = same_pads(w, kw, sw)
    return (left, right, top, bottom)


def f32(t):
    # 8 significant digits: within 1e-8 of the float32 value, far below the tests' 1e-5.
    return [float("%.8g" % v) for v in t.detach().to(torch.float32).flatten().tolist()]


def check(name, got32, want64):
    scale = float(want64.abs().max()) or 1.0
    err = float((got32.double() - want64).abs().max())
    assert err <= 1e-5 * scale, f"{name}: PyTorch float32 differs from float64 by {err} (scale {scale})"


def conv_case(c):
    n, cin, cout, h, w = c["n"], c["in"], c["out"], c["h"], c["w"]
    kh, kw = c["k"] if isinstance(c["k"], list) else (c["k"], c["k"])
    sh, sw = c["stride"] if isinstance(c["stride"], list) else (c["stride"], c["stride"])
    p = pads(c["padding"], h, w, kh, kw, sh, sw)
    results = {}
    # The float64 run is the reference; PyTorch's float32 kernels are checked against it.
    for dtype in (torch.float64, torch.float32):
        x = tensor([n, cin, h, w], 1).to(dtype).requires_grad_()
        wt = tensor([cout, cin, kh, kw], 2, 0.5).to(dtype).requires_grad_()
        y = F.conv2d(F.pad(x, p), wt, stride=(sh, sw))
        dy = tensor(list(y.shape), 3).to(dtype)
        (y * dy).sum().backward()
        results[dtype] = (y, x.grad, wt.grad)
    for name, got, want in zip(("y", "dx", "dw"), results[torch.float32], results[torch.float64]):
        check(f"{c} {name}", got, want)
    y, dx, dw = results[torch.float64]
    return {**c, "outShape": list(y.shape), "y": f32(y), "dx": f32(dx), "dw": f32(dw)}


def pool_case(c):
    n, ch, h, w, k, s = c["n"], c["c"], c["h"], c["w"], c["k"], c["stride"]
    p = pads(c["padding"], h, w, k, k, s, s)
    seed = 4
    while True:
        x = tensor([n, ch, h, w], seed).requires_grad_()
        if c["op"] == "max":
            y = F.max_pool2d(F.pad(x, p, value=-math.inf), k, s)
            # A tie in a window would make the gradient's position a convention; every window's maximum is unique here.
            windows = F.unfold(F.pad(x.detach(), p, value=-math.inf).reshape(n * ch, 1, h + p[2] + p[3], w + p[0] + p[1]), k, stride=s)
            top2 = windows.topk(2, dim=1).values
            if bool((top2[:, 0] > top2[:, 1]).all()):
                break
            seed += 1
        else:
            sums = F.avg_pool2d(F.pad(x, p), k, s, divisor_override=1)
            counts = F.avg_pool2d(F.pad(torch.ones_like(x), p), k, s, divisor_override=1)
            y = sums / counts
            break
    dy = tensor(list(y.shape), 5)
    (y * dy).sum().backward()
    return {**c, "seed": seed, "outShape": list(y.shape), "y": f32(y), "dx": f32(x.grad)}


def conv(n, cin, cout, h, w, k, stride, padding):
    return {"n": n, "in": cin, "out": cout, "h": h, "w": w, "k": k, "stride": stride, "padding": padding}


CONV_CASES = [
    # batch, in, out channels, height, width, kernel, stride, padding
    conv(1, 1, 1, 5, 5, 3, 1, "same"),
    conv(1, 1, 1, 5, 5, 3, 1, "valid"),
    conv(2, 3, 4, 7, 6, 3, 1, "same"),
    conv(2, 3, 4, 7, 6, 3, 2, "same"),
    conv(2, 3, 4, 7, 6, 3, 2, "valid"),
    conv(4, 2, 3, 5, 5, 3, 1, "valid"),
    conv(1, 2, 3, 9, 9, 5, 1, "same"),
    conv(1, 2, 3, 9, 9, 5, 1, "valid"),
    conv(1, 2, 3, 9, 8, 5, 2, "same"),
    conv(2, 2, 3, 9, 7, 5, 2, "valid"),
    conv(1, 3, 2, 6, 6, 5, 2, "same"),
    conv(1, 3, 3, 15, 15, 5, 1, "same"),
    conv(1, 1, 2, 14, 14, 5, 1, "valid"),
    conv(1, 2, 2, 3, 3, 5, 1, "same"),
    conv(1, 2, 2, 1, 1, 3, 1, "same"),
    conv(3, 4, 5, 5, 5, 1, 1, "valid"),
    conv(2, 4, 5, 5, 6, 1, 2, "same"),
    conv(2, 4, 5, 7, 5, 1, 2, "valid"),
    conv(1, 64, 2, 4, 4, 3, 1, "same"),
    conv(1, 1, 64, 6, 6, 3, 2, "same"),
    conv(1, 8, 16, 9, 9, 3, 1, "same"),
    conv(1, 16, 8, 8, 8, 3, 2, "same"),
    conv(2, 3, 2, 10, 10, 3, 2, "same"),
    conv(1, 5, 7, 13, 13, 3, 2, "valid"),
    conv(1, 2, 3, 3, 7, 3, 2, "valid"),
    conv(1, 2, 3, 7, 9, 3, [2, 1], "same"),
    conv(1, 2, 2, 7, 8, [3, 5], 1, "same"),
]

POOL_CASES = [
    dict(op="max", n=2, c=3, h=7, w=7, k=2, stride=2, padding="valid"),
    dict(op="max", n=1, c=2, h=8, w=6, k=2, stride=2, padding="valid"),
    dict(op="max", n=1, c=2, h=9, w=9, k=3, stride=2, padding="valid"),
    dict(op="max", n=1, c=2, h=7, w=5, k=2, stride=2, padding="same"),
    dict(op="max", n=1, c=3, h=5, w=5, k=3, stride=1, padding="same"),
    dict(op="avg", n=2, c=3, h=7, w=7, k=2, stride=2, padding="valid"),
    dict(op="avg", n=1, c=2, h=8, w=6, k=2, stride=2, padding="valid"),
    dict(op="avg", n=1, c=2, h=6, w=6, k=3, stride=1, padding="valid"),
    dict(op="avg", n=1, c=2, h=7, w=5, k=2, stride=2, padding="same"),
    dict(op="avg", n=1, c=3, h=5, w=5, k=3, stride=1, padding="same"),
]


def sgd_step():
    """conv 3×3 2→3 'same' with bias, ReLU, 2×2 max pool, flatten (C×H×W), linear 27→2, mean cross-entropy; SGD lr 0.1."""
    x = tensor([2, 2, 6, 6], 11)
    labels = torch.tensor([0, 1])
    conv_w = tensor([3, 2, 3, 3], 12, 0.5).requires_grad_()
    conv_b = tensor([3], 13, 0.1).requires_grad_()
    lin_w = tensor([2, 27], 14, 0.3).requires_grad_()
    lin_b = tensor([2], 15, 0.1).requires_grad_()
    params = [conv_w, conv_b, lin_w, lin_b]
    initial = [p.detach().clone() for p in params]
    h = F.relu(F.conv2d(F.pad(x, pads("same", 6, 6, 3, 3, 1, 1)), conv_w, conv_b))
    h = F.max_pool2d(h, 2, 2)
    logits = F.linear(h.flatten(1), lin_w, lin_b)
    loss = F.cross_entropy(logits, labels)
    opt = torch.optim.SGD(params, lr=0.1)
    opt.zero_grad()
    loss.backward()
    grads = [p.grad.detach().clone() for p in params]
    opt.step()
    names = ["conv.weight", "conv.bias", "linear.weight", "linear.bias"]
    return {
        "network": "x [2, 2, 6, 6] = pattern(seed 11); conv 3x3 2->3 'same' (weight pattern(12)*0.5 [3, 2, 3, 3], bias pattern(13)*0.1); relu; max pool 2x2 stride 2; flatten C*H*W; linear 27->2 (weight pattern(14)*0.3 [2, 27], bias pattern(15)*0.1); mean cross-entropy, labels [0, 1]; torch.optim.SGD lr 0.1",
        "labels": labels.tolist(),
        "lr": 0.1,
        "loss": f32(loss)[0],
        "initial": {name: f32(t) for name, t in zip(names, initial)},
        "grad": {name: f32(g) for name, g in zip(names, grads)},
        "after": {name: f32(p) for name, p in zip(names, params)},
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "torch"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    generator = f"bench/peer/conv_fixtures.py, torch {torch.__version__}"
    kernels = {"generator": generator, "conv": [conv_case(c) for c in CONV_CASES], "pool": [pool_case(c) for c in POOL_CASES]}
    step = {"generator": generator, **sgd_step()}
    for name, data in (("conv-kernels.json", kernels), ("conv-sgd-step.json", step)):
        path = os.path.join(args.out, name)
        with open(path, "w") as f:
            json.dump(data, f, separators=(",", ":"))
            f.write("\n")
        print(f"{path}: {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
