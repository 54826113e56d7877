"""Imported by the PyTorch peers before torch: OpenBLAS reads its thread
count once, when torch loads it, and torch.set_num_threads does not limit
it, so --threads N on a peer's command line sets OPENBLAS_NUM_THREADS and
OMP_NUM_THREADS (and MKL_NUM_THREADS) first."""
import os
import sys

for _i, _arg in enumerate(sys.argv):
    _value = sys.argv[_i + 1] if _arg == '--threads' and _i + 1 < len(sys.argv) else _arg.split('=', 1)[1] if _arg.startswith('--threads=') else None
    if _value is not None and _value.isdigit() and int(_value) > 0:
        for _name in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
            os.environ[_name] = _value
