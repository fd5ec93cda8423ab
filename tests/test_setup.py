"""Set-up: the CPU build of PyTorch, and Make targets that do what they say."""

from __future__ import annotations

import re
import subprocess
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_torch_is_the_cpu_build_without_cuda_packages() -> None:
    torch = metadata.distribution("torch")
    assert torch.version.endswith("+cpu"), torch.version
    requirements = " ".join(torch.requires or [])
    assert "nvidia" not in requirements and "cuda" not in requirements.lower()
    installed = {d.metadata["Name"].lower() for d in metadata.distributions()}
    assert not {name for name in installed if name.startswith("nvidia-")}


def test_setup_and_image_ask_for_the_cpu_build_by_name() -> None:
    makefile = (ROOT / "Makefile").read_text()
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^TORCH := torch==[\d.]+\+cpu$", makefile, re.M)
    assert re.search(r'pip install "torch==[\d.]+\+cpu"', dockerfile)
    for text in (makefile, dockerfile):
        assert "https://download.pytorch.org/whl/cpu" in text
        pins = re.findall(r"torch==[\d.]+(\+cpu)?", text)
        assert pins and all(pins), pins  # never a bare version, which PyPI serves as the CUDA build


@pytest.mark.parametrize(
    "target", ["run", "test", "test-quick", "lint", "bench", "eval", "clean-index", "train-reader"]
)
def test_every_make_target_has_a_recipe(target: str) -> None:
    dry = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert dry.returncode == 0, dry.stderr
    assert "Nothing to be done" not in dry.stdout + dry.stderr and dry.stdout.strip()
