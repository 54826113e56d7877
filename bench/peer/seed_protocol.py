#!/usr/bin/env python3
"""PyTorch peer implementation of Mertens' protocol (see SEED-PROTOCOL.md).

Trains Mertens' 2-100-100-10-1 network on `signed_xor` with three schedules
(back-propagation, local parallel, local sequential), full-batch Rprop (one
optimizer step per epoch, the epoch loss being the sum of per-batch mean
losses), and reports test accuracy / losses / wall time per run.

Run with Debian's interpreter: /usr/bin/python3 bench/peer/seed_protocol.py --help

Exchange format (--init-dir / --export-init): one safetensors file per seed,
DIR/seed<k>.safetensors, all tensors F32:
  blocks.{i}.weight [out,in], blocks.{i}.bias [out]            i = 0..3
  decoders.{i}.weight [1,hidden]                               i = 0..2
  data.train.x [1000,2], data.train.y [1000,1], data.test.x, data.test.y
  data.train.order [epochs,1000] (optional) row r = the shuffle permutation
      used by the schedule's epoch r (sequential: r = block*50 + epoch);
      rows are reused cyclically (r mod rows) if fewer rows than epochs.
      Absent: the same default order as without --init-dir (randperm from a
      torch.Generator seeded with seed + 0x5EED, 200 rows).
  Within one parallel epoch all four blocks use the same row.

--trace FILE writes {"torch", "initDir", "rpropState", "runs": [row + "epochs"]}
where "epochs" is, per schedule:
  backprop:          [{epoch, trainLoss, testLoss}]                 100 entries
  local-parallel:    [{epoch, blockLosses[4], trainLoss, testLoss}] 200 entries
                     (trainLoss = blockLosses[3], the last block's BCE)
  local-sequential:  [{block, epoch, trainLoss, testLoss}]          4 x 50 entries
                     (trainLoss = the local loss of the block being trained)
trainLoss = (float32 sum of the per-batch mean losses) / number of batches,
testLoss  = full-model BCE averaged over the 10 test batches (fixed order),
both measured before that epoch's step(s).

--rprop-state: "per-block" (default) = one Rprop per block (over block +
decoder params when decoders are learned), state kept across epochs.
"shared" = Mertens' literal code, one Rprop over all parameters and
zero_grad(set_to_none=False) before each block's backward (PyTorch 1.13's
default). In the parallel schedule the other blocks' zeroed grads overwrite
their Rprop sign memory on every step, so Rprop never adapts its step size and
every update is 0.01 * sign(grad). The sequential schedule is unaffected.
"""

import argparse
import json
import math
import struct
import time

import os
import sys


import blas_threads  # noqa: F401  (sets the BLAS threads before torch loads)

import torch
import torch.nn as nn
import torch.nn.functional as F

# ---------------------------------------------------------------- constants

N_TRAIN = 1000
N_TEST = 1000
BATCH = 100
BACKPROP_EPOCHS = 100
PARALLEL_EPOCHS = 200
SEQUENTIAL_EPOCHS = 50  # per block
N_BLOCKS = 4
ORDER_ROWS = 200  # max epochs of any schedule (parallel: 200; sequential: 4*50)
ORDER_SEED_OFFSET = 0x5EED  # generator seed = seed + offset, for the default shuffle
SCHEDULES = ("backprop", "local-parallel", "local-sequential")
LAYER_SIZES = (2, 100, 100, 10, 1)


# ---------------------------------------------------------------- model


class Normalize(nn.Module):
    """Row-wise L2 normalization: x / max(||x||_2, 1e-12)."""

    def forward(self, x):
        return F.normalize(x, p=2.0, dim=1, eps=1e-12)


def build_model():
    """Mertens' nested model; PyTorch default init."""
    blocks = []
    for i in range(N_BLOCKS):
        lin = nn.Linear(LAYER_SIZES[i], LAYER_SIZES[i + 1])
        if i < N_BLOCKS - 1:
            blocks.append(nn.Sequential(lin, nn.Mish(), Normalize()))
        else:
            blocks.append(nn.Sequential(lin, nn.Sigmoid()))
    return nn.Sequential(*blocks)


def build_decoders():
    """Linear(hidden, 1, bias=False) for each hidden block; default init."""
    return nn.ModuleList(
        [nn.Linear(LAYER_SIZES[i + 1], 1, bias=False) for i in range(N_BLOCKS - 1)]
    )


def snapshot(model, decoders):
    """Flat {name: tensor} copy of the initial state, in exchange-format names."""
    state = {}
    for i in range(N_BLOCKS):
        state[f"blocks.{i}.weight"] = model[i][0].weight.detach().clone()
        state[f"blocks.{i}.bias"] = model[i][0].bias.detach().clone()
    for i in range(N_BLOCKS - 1):
        state[f"decoders.{i}.weight"] = decoders[i].weight.detach().clone()
    return state


def restore(model, decoders, state):
    with torch.no_grad():
        for i in range(N_BLOCKS):
            model[i][0].weight.copy_(state[f"blocks.{i}.weight"])
            model[i][0].bias.copy_(state[f"blocks.{i}.bias"])
        for i in range(N_BLOCKS - 1):
            decoders[i].weight.copy_(state[f"decoders.{i}.weight"])


# ---------------------------------------------------------------- data


def signed_xor(n, variance=2.0, noise=0.0):
    x = (torch.rand(n, 2) - 0.5) * variance
    y = (x[:, 0] * x[:, 1] >= 0).to(torch.float32).unsqueeze(1)
    if noise > 0:
        x = x + torch.randn_like(x) * noise
    return x, y


def default_order(seed, rows=ORDER_ROWS, n=N_TRAIN):
    g = torch.Generator().manual_seed(seed + ORDER_SEED_OFFSET)
    return torch.stack([torch.randperm(n, generator=g) for _ in range(rows)])


def make_setup(seed):
    """Data, initial weights and shuffle order from PyTorch, for one seed."""
    torch.manual_seed(seed)
    train_x, train_y = signed_xor(N_TRAIN)
    test_x, test_y = signed_xor(N_TEST)
    model = build_model()
    decoders = build_decoders()
    return {
        "state": snapshot(model, decoders),
        "train": (train_x, train_y),
        "test": (test_x, test_y),
        "order": default_order(seed),
    }


# ---------------------------------------------------------------- safetensors

_DTYPES = {
    "F32": (torch.float32, 4),
    "F64": (torch.float64, 8),
    "I64": (torch.int64, 8),
    "I32": (torch.int32, 4),
}


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (hlen,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + hlen].decode("utf-8"))
    body = bytearray(raw[8 + hlen :])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype_name = info["dtype"]
        if dtype_name not in _DTYPES:
            raise ValueError(f"{path}: tensor {name}: unsupported dtype {dtype_name}")
        dtype, size = _DTYPES[dtype_name]
        b, e = info["data_offsets"]
        shape = list(info["shape"])
        count = math.prod(shape) if shape else 1
        if e - b != count * size:
            raise ValueError(f"{path}: tensor {name}: {e - b} bytes for shape {shape}")
        if count == 0:
            t = torch.empty(shape, dtype=dtype)
        else:
            chunk = bytearray(body[b:e])
            t = torch.frombuffer(chunk, dtype=dtype, count=count)
            if sys.byteorder != "little":
                t = t.byteswap()  # pragma: no cover
            t = t.reshape(shape).clone()
        out[name] = t
    return out


def write_safetensors(path, tensors, metadata=None):
    header = {}
    chunks = []
    offset = 0
    for name, t in tensors.items():
        t = t.detach().to(torch.float32).contiguous().cpu()
        data = t.numpy().astype("<f4").tobytes() if _has_numpy() else _f32_bytes(t)
        header[name] = {
            "dtype": "F32",
            "shape": list(t.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        chunks.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    hbytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hbytes += b" " * ((8 - len(hbytes) % 8) % 8)  # align data to 8 bytes
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hbytes)))
        f.write(hbytes)
        for c in chunks:
            f.write(c)


def _has_numpy():
    try:
        import numpy  # noqa: F401

        return True
    except ImportError:
        return False


def _f32_bytes(t):
    flat = t.reshape(-1).tolist()
    return struct.pack(f"<{len(flat)}f", *flat)


def load_setup(init_dir, seed):
    path = os.path.join(init_dir, f"seed{seed}.safetensors")
    t = read_safetensors(path)
    state = {}
    for i in range(N_BLOCKS):
        state[f"blocks.{i}.weight"] = t[f"blocks.{i}.weight"]
        state[f"blocks.{i}.bias"] = t[f"blocks.{i}.bias"]
    for i in range(N_BLOCKS - 1):
        state[f"decoders.{i}.weight"] = t[f"decoders.{i}.weight"]
    for i in range(N_BLOCKS):
        w = state[f"blocks.{i}.weight"]
        if tuple(w.shape) != (LAYER_SIZES[i + 1], LAYER_SIZES[i]):
            raise ValueError(f"{path}: blocks.{i}.weight has shape {list(w.shape)}")
    train = (t["data.train.x"].float(), t["data.train.y"].float().reshape(-1, 1))
    test = (t["data.test.x"].float(), t["data.test.y"].float().reshape(-1, 1))
    n = train[0].shape[0]
    if "data.train.order" in t:
        order = t["data.train.order"].round().to(torch.int64)
        if order.dim() == 1:
            order = order.unsqueeze(0)
        for r in range(order.shape[0]):
            if not torch.equal(order[r].sort().values, torch.arange(n)):
                raise ValueError(f"{path}: data.train.order row {r} is not a permutation")
    else:
        order = default_order(seed, n=n)
    return {"state": state, "train": train, "test": test, "order": order}


def export_init(out_dir, seeds):
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for seed in seeds:
        s = make_setup(seed)
        tensors = dict(s["state"])
        tensors["data.train.x"] = s["train"][0]
        tensors["data.train.y"] = s["train"][1]
        tensors["data.test.x"] = s["test"][0]
        tensors["data.test.y"] = s["test"][1]
        tensors["data.train.order"] = s["order"].to(torch.float32)
        path = os.path.join(out_dir, f"seed{seed}.safetensors")
        write_safetensors(
            path,
            tensors,
            {"seed": seed, "torch": torch.__version__, "source": "bench/peer/seed_protocol.py"},
        )
        paths.append(path)
    return paths


# ---------------------------------------------------------------- training


class Runner:
    """Holds one seed's data and does the per-batch work shared by all schedules."""

    def __init__(self, setup):
        self.train_x, self.train_y = setup["train"]
        self.test_x, self.test_y = setup["test"]
        self.order = setup["order"]
        self.n_train_batches = math.ceil(self.train_x.shape[0] / BATCH)
        # Test batches in fixed (unshuffled) order: the mean over batches of
        # equal size does not depend on the order beyond rounding.
        self.test_batches = list(
            zip(self.test_x.split(BATCH), self.test_y.split(BATCH))
        )
        self.train_eval_batches = list(
            zip(self.train_x.split(BATCH), self.train_y.split(BATCH))
        )

    def train_batches(self, epoch):
        perm = self.order[epoch % self.order.shape[0]]
        x = self.train_x[perm]
        y = self.train_y[perm]
        return zip(x.split(BATCH), y.split(BATCH))

    @staticmethod
    def average_bce(model, batches):
        with torch.no_grad():
            total = torch.zeros((), dtype=torch.float32)
            for xb, yb in batches:
                total = total + F.binary_cross_entropy(model(xb), yb)
            return total.item() / len(batches)

    def test_loss(self, model):
        return self.average_bce(model, self.test_batches)

    def train_loss(self, model):
        return self.average_bce(model, self.train_eval_batches)

    def accuracy(self, model):
        with torch.no_grad():
            pred = (model(self.test_x) >= 0.5).to(torch.float32)
            correct = int((pred == self.test_y).sum().item())
            return correct / self.test_y.shape[0]

    def local_epoch(self, model, decoders, i, epoch, optimizer):
        """One step of block i on its local loss; returns the epoch's train loss."""
        block = model[i]
        last = i == N_BLOCKS - 1
        total = None
        for xb, yb in self.train_batches(epoch):
            with torch.no_grad():
                h = xb
                for j in range(i):
                    h = model[j](h)
            out = block(h)
            if last:
                loss = F.binary_cross_entropy(out, yb)
            else:
                loss = F.mse_loss(decoders[i](out), yb)
            total = loss if total is None else total + loss
        # set_to_none=False pins PyTorch 1.13's default; it matters only for
        # the "shared" optimizer, where zeroed (not None) grads of the other
        # blocks make Rprop overwrite their sign memory (see --rprop-state).
        optimizer.zero_grad(set_to_none=False)
        total.backward()
        optimizer.step()
        return total.item() / self.n_train_batches


def block_params(model, decoders, i, learned):
    params = list(model[i].parameters())
    if learned and i < N_BLOCKS - 1:
        params += list(decoders[i].parameters())
    return params


def shared_optimizer(model, decoders, learned):
    """Mertens' literal code: ONE Rprop over all model (+decoder) params."""
    params = list(model.parameters())
    if learned:
        params += list(decoders.parameters())
    return torch.optim.Rprop(params)


def run_backprop(runner, model, decoders, learned, trace, rprop_state):
    optimizer = torch.optim.Rprop(model.parameters())
    for epoch in range(BACKPROP_EPOCHS):
        test_loss = runner.test_loss(model)  # recorded right before the step
        total = None
        for xb, yb in runner.train_batches(epoch):
            loss = F.binary_cross_entropy(model(xb), yb)
            total = loss if total is None else total + loss
        optimizer.zero_grad(set_to_none=False)
        total.backward()
        optimizer.step()
        if trace is not None:
            trace.append(
                {
                    "epoch": epoch,
                    "trainLoss": total.item() / runner.n_train_batches,
                    "testLoss": test_loss,
                }
            )


def run_parallel(runner, model, decoders, learned, trace, rprop_state):
    if rprop_state == "shared":
        optimizers = [shared_optimizer(model, decoders, learned)] * N_BLOCKS
    else:
        optimizers = [
            torch.optim.Rprop(block_params(model, decoders, i, learned))
            for i in range(N_BLOCKS)
        ]
    for epoch in range(PARALLEL_EPOCHS):
        test_loss = runner.test_loss(model)  # before this epoch's steps
        losses = []
        for i in range(N_BLOCKS):
            losses.append(runner.local_epoch(model, decoders, i, epoch, optimizers[i]))
        if trace is not None:
            trace.append(
                {
                    "epoch": epoch,
                    "blockLosses": losses,
                    "trainLoss": losses[-1],
                    "testLoss": test_loss,
                }
            )


def run_sequential(runner, model, decoders, learned, trace, rprop_state):
    shared = shared_optimizer(model, decoders, learned) if rprop_state == "shared" else None
    for i in range(N_BLOCKS):
        if shared is not None:
            optimizer = shared
        else:
            optimizer = torch.optim.Rprop(block_params(model, decoders, i, learned))
        for epoch in range(SEQUENTIAL_EPOCHS):
            test_loss = runner.test_loss(model)  # before the step
            global_epoch = i * SEQUENTIAL_EPOCHS + epoch
            loss = runner.local_epoch(model, decoders, i, global_epoch, optimizer)
            if trace is not None:
                trace.append(
                    {
                        "block": i,
                        "epoch": epoch,
                        "trainLoss": loss,
                        "testLoss": test_loss,
                    }
                )


RUNNERS = {
    "backprop": run_backprop,
    "local-parallel": run_parallel,
    "local-sequential": run_sequential,
}


def run_one(setup, runner, schedule, decoders_mode, want_trace, rprop_state="per-block"):
    model = build_model()
    decoders = build_decoders()
    restore(model, decoders, setup["state"])
    learned = decoders_mode == "learned"
    trace = [] if want_trace else None
    t0 = time.perf_counter()
    RUNNERS[schedule](runner, model, decoders, learned, trace, rprop_state)
    seconds = time.perf_counter() - t0
    result = {
        "testAccuracy": runner.accuracy(model),
        "testLoss": runner.test_loss(model),
        "trainLoss": runner.train_loss(model),
        "seconds": seconds,
    }
    return result, trace


# ---------------------------------------------------------------- CLI


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="PyTorch peer of Mertens' local-propagation protocol (signed_xor)."
    )
    p.add_argument("--seeds", default="0,1,2,3,4", help="comma-separated seeds (default 0,1,2,3,4)")
    p.add_argument("--decoders", choices=("fixed", "learned", "both"), default="learned")
    p.add_argument("--schedules", default=",".join(SCHEDULES),
                   help="comma-separated subset of " + ",".join(SCHEDULES))
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    p.add_argument("--init-dir", help="load DIR/seed<k>.safetensors instead of PyTorch init and data")
    p.add_argument("--trace", help="write per-epoch losses per run as JSON to FILE")
    p.add_argument("--export-init", metavar="DIR",
                   help="write DIR/seed<k>.safetensors (PyTorch init, data, shuffle order) and exit")
    p.add_argument("--rprop-state", choices=("per-block", "shared"), default="per-block",
                   help="local schedules: one Rprop per block whose state persists "
                        "(default), or Mertens' literal single Rprop over all "
                        "parameters, zero_grad(set_to_none=False) before each block's "
                        "step: in the parallel schedule that resets the other blocks' "
                        "Rprop sign memory, so every step is 0.01*sign(grad)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    args = p.parse_args(argv)
    try:
        args.seeds = [int(s) for s in args.seeds.split(",") if s.strip() != ""]
    except ValueError:
        p.error("--seeds must be a comma-separated list of integers")
    if not args.seeds:
        p.error("--seeds is empty")
    args.schedules = [s.strip() for s in args.schedules.split(",") if s.strip()]
    for s in args.schedules:
        if s not in SCHEDULES:
            p.error(f"unknown schedule {s!r}; choose from {', '.join(SCHEDULES)}")
    if args.threads < 1:
        p.error("--threads must be >= 1")
    return args


def summarize(results):
    groups = {}
    for r in results:
        groups.setdefault((r["schedule"], r["decoders"]), []).append(r)

    def stats(vals):
        m = sum(vals) / len(vals)
        sd = math.sqrt(sum((v - m) ** 2 for v in vals) / (len(vals) - 1)) if len(vals) > 1 else 0.0
        return m, sd

    lines = []
    head = f"{'schedule':<18}{'decoders':<9}{'n':>3}  {'test accuracy':<17}{'min':>7}{'max':>7}  {'test loss':<17}{'seconds':<15}"
    lines.append(head)
    lines.append("-" * len(head))
    for sched in SCHEDULES:
        for dec in (None, "fixed", "learned"):
            rs = groups.get((sched, dec))
            if not rs:
                continue
            acc = [r["testAccuracy"] for r in rs]
            am, asd = stats(acc)
            lm, lsd = stats([r["testLoss"] for r in rs])
            sm, ssd = stats([r["seconds"] for r in rs])
            lines.append(
                f"{sched:<18}{(dec or '-'):<9}{len(rs):>3}  "
                f"{am:.4f} ± {asd:.4f}  {min(acc):>6.3f} {max(acc):>6.3f}  "
                f"{lm:.4f} ± {lsd:.4f}  {sm:.2f} ± {ssd:.2f}"
            )
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    torch.set_num_threads(args.threads)

    if args.export_init:
        paths = export_init(args.export_init, args.seeds)
        for path in paths:
            print(path, file=sys.stderr)
        return 0

    dec_modes = ["fixed", "learned"] if args.decoders == "both" else [args.decoders]
    results = []
    traces = []
    for seed in args.seeds:
        setup = load_setup(args.init_dir, seed) if args.init_dir else make_setup(seed)
        runner = Runner(setup)
        for schedule in args.schedules:
            # Back-propagation has no decoders: run once per seed, decoders null.
            modes = [None] if schedule == "backprop" else dec_modes
            for mode in modes:
                res, trace = run_one(setup, runner, schedule, mode,
                                     args.trace is not None, args.rprop_state)
                row = {"schedule": schedule, "seed": seed, "decoders": mode}
                row.update(res)
                results.append(row)
                if trace is not None:
                    traces.append(dict(row, epochs=trace))
                if not args.json:
                    print(
                        f"seed {seed} {schedule:<17} {mode or '-':<8} "
                        f"acc {res['testAccuracy']:.4f} testLoss {res['testLoss']:.5f} "
                        f"trainLoss {res['trainLoss']:.5f} {res['seconds']:.2f}s",
                        file=sys.stderr,
                    )

    if args.trace:
        with open(args.trace, "w") as f:
            json.dump(
                {
                    "torch": torch.__version__,
                    "initDir": args.init_dir,
                    "rpropState": args.rprop_state,
                    "runs": traces,
                },
                f,
            )
    if args.json:
        print(json.dumps({"torch": torch.__version__, "threads": args.threads,
                          "rpropState": args.rprop_state, "results": results}))
    else:
        print(f"torch {torch.__version__}, threads {args.threads}, seeds {args.seeds}, "
              f"rprop state {args.rprop_state}")
        print(summarize(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
