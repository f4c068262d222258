"""Load the weights that examples/save-for-pytorch.ts saved into the same model in PyTorch, and
check that PyTorch computes tsgrad's output for the saved input.

    npx tsx examples/save-for-pytorch.ts
    python3 examples/load_in_pytorch.py results/save-for-pytorch

Needs torch and numpy; uses the safetensors package when it is installed, else reads the file
itself (the format is simple: an 8-byte little-endian header length, a JSON header, raw data).
"""
import json
import struct
import sys

try:
    import numpy as np
    import torch
    from torch import nn
except ImportError as missing:  # one line saying what to install, not a traceback
    sys.exit(f"load_in_pytorch.py needs PyTorch and NumPy ({missing}): on Debian "
             "`apt-get install python3-torch python3-numpy`, or `pip install torch numpy`")


def read_safetensors(path):
    """What safetensors.torch.load_file(path) returns, without the safetensors package."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    header.pop("__metadata__", None)
    body = raw[8 + n:]
    dtypes = {"F32": np.float32, "F64": np.float64, "I64": np.int64}
    state = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        values = np.frombuffer(body[begin:end], dtype=dtypes[info["dtype"]]).reshape(info["shape"])
        state[name] = torch.from_numpy(values.copy())
    return state


try:
    from safetensors.torch import load_file
except ImportError:
    load_file = read_safetensors

folder = sys.argv[1] if len(sys.argv) > 1 else "results/save-for-pytorch"

# The same structure as in save-for-pytorch.ts: state-dict keys are positions in the Sequential.
model = nn.Sequential(nn.Linear(4, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 3))
model.load_state_dict(load_file(f"{folder}/model.safetensors"))  # strict: every key must match
model.eval()  # BatchNorm uses the running statistics tsgrad saved

with open(f"{folder}/check.json") as f:
    check = json.load(f)
with torch.no_grad():
    output = model(torch.tensor(check["input"], dtype=torch.float32))
difference = (output - torch.tensor(check["output"], dtype=torch.float32)).abs().max().item()
print(f"loaded {len(model.state_dict())} tensors; "
      f"num_batches_tracked = {model[1].num_batches_tracked.item()}; "
      f"largest |PyTorch - tsgrad| over the outputs: {difference:.2e}")
sys.exit(0 if difference < 1e-5 else 1)
