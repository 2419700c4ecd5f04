"""Devices, seeds and CUDA settings: where a net runs and what makes it repeatable."""

import contextlib
import numbers
import threading
import warnings

import numpy as np
import torch
from sklearn.utils import check_random_state

# Device types a net can train on; others ("meta" holds no data, "xla" and
# friends need their own training loop) are refused with a clear message.
_TRAINABLE = ("cpu", "cuda", "mps")

# torch keeps one random generator per process, which weight initialisation,
# dropout and fork_rng's save and restore all touch. Fits in threads of one
# process (joblib's threading backend, a threaded Dask worker) would
# interleave their draws and no longer repeat, so each holds this lock for
# its whole training: threads fit one after another, processes in parallel.
TORCH_RANDOM_LOCK = threading.RLock()


def resolve_device(device):
    """The torch device ``device`` names, checked to exist on this machine.

    ``"auto"`` is CUDA when available, else the CPU.
    """
    if isinstance(device, str) and device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(
            f"device={device!r} is not a torch device; use 'auto', 'cpu' or 'cuda' "
            "(or 'cuda:1' for the second GPU)."
        ) from None
    if resolved.type not in _TRAINABLE:
        raise ValueError(
            f"device={device!r}: nets train on 'cpu', 'cuda' or 'mps' devices, not "
            f"{resolved.type!r}. Use device='auto' to take the GPU when there is one."
        )
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} but CUDA is not available on this machine; use "
                "device='auto' or 'cpu'."
            )
        if resolved.index is not None and resolved.index >= torch.cuda.device_count():
            raise ValueError(
                f"device={device!r} but this machine has {torch.cuda.device_count()} "
                "CUDA device(s), numbered from 0."
            )
    if resolved.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(
            f"device={device!r} but Apple's MPS backend is not available on this "
            "machine; use device='auto' or 'cpu'."
        )
    return str(resolved)


def prediction_device(device):
    """The device ``device`` names, or the CPU where CUDA is gone.

    A model fitted with ``device="cuda"`` and loaded on a machine without
    a GPU still predicts, on the CPU (same results, only slower).
    """
    try:
        return resolve_device(device)
    except ValueError:
        if torch.cuda.is_available() or "cuda" not in str(device):
            raise
    warnings.warn(
        f"device={device!r} but CUDA is not available on this machine; "
        "predicting on the CPU. Set device='auto' or 'cpu' to silence this.",
        UserWarning,
        stacklevel=3,
    )
    return "cpu"


@contextlib.contextmanager
def net_on_device(net, device):
    """Move a trained skorch ``net`` to ``device`` for a block, then back to the CPU.

    Yields the net's module. Between calls the weights wait in CPU memory,
    so that fitted models hold no GPU memory.
    """
    module = net.module_
    trained_on = net.device
    net.device = device
    module.to(device)
    try:
        yield module
    finally:
        module.to("cpu")
        net.device = trained_on
        release_cuda_memory(device)


def on_cuda(device):
    return torch.device(device).type == "cuda"


def forward_autocast(device, mixed_precision):
    """bf16 autocast on ``device`` when ``mixed_precision`` asks for it.

    ``"auto"`` means on CUDA only, resolved at every call, so that a net
    trained on a GPU predicts in float32 on a CPU-only machine.
    """
    device = torch.device(device)
    enabled = mixed_precision is True or (
        mixed_precision == "auto" and device.type == "cuda"
    )
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=enabled)


@contextlib.contextmanager
def cuda_tuning(device):
    """Let cuDNN pick the fastest convolution algorithms while on CUDA."""
    if not on_cuda(device):
        yield
        return
    previous = torch.backends.cudnn.benchmark
    torch.backends.cudnn.benchmark = True
    try:
        yield
    finally:
        torch.backends.cudnn.benchmark = previous


def release_cuda_memory(device):
    """Hand the blocks the caching allocator keeps back to the GPU.

    Freed blocks stay reserved otherwise, and memory would not return to its
    level before the fit.
    """
    if on_cuda(device):
        torch.cuda.empty_cache()


def seed_of(random_state):
    """An int seed from ``random_state``, or None for unseeded fits."""
    if random_state is None:
        return None
    if isinstance(random_state, numbers.Integral):
        return int(random_state)
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def derived_seed(seed, purpose):
    """An independent seed for one part of the net, or None without a seed.

    Each tower, the head and the training loop get seeds of their own, so
    that a tower copied from the cache and one built afresh give the same net.
    """
    if seed is None:
        return None
    seed %= 2**64  # SeedSequence takes non-negative entropy only
    entropy = [seed, purpose] if isinstance(purpose, int) else [seed, *purpose.encode()]
    return int(np.random.SeedSequence(entropy).generate_state(1)[0])


@contextlib.contextmanager
def torch_seed(seed, device):
    """Seed torch inside the block, restoring the global random state after.

    The block holds :data:`TORCH_RANDOM_LOCK`, seeded or not: an unseeded
    fit drawing from the global generator in another thread would change a
    seeded fit's draws as surely as a second seed would.
    """
    with TORCH_RANDOM_LOCK:
        if seed is None:
            yield
            return
        cuda_devices = []
        if on_cuda(device):
            cuda_devices = [torch.device(device).index or 0]
        with torch.random.fork_rng(devices=cuda_devices):
            torch.manual_seed(seed)
            yield
