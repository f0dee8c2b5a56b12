"""Image parity: the Dockerfile installs exactly the Debian packages install_system_deps.sh
installs (one list, scripts/system-packages.txt), and its build proves the tools run."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIST = ROOT / "scripts" / "system-packages.txt"
DOCKERFILE = ROOT / "Dockerfile"
IMAGE_ONLY = {"curl"}  # the compose health checks' tool, not needed on a developer machine


def _list() -> list[str]:
    return [ln.strip() for ln in LIST.read_text(encoding="utf-8").splitlines()
            if ln.strip() and not ln.lstrip().startswith("#")]


def script_packages(*args: str) -> list[str]:
    out = subprocess.run(["bash", str(ROOT / "scripts" / "install_system_deps.sh"), *args,
                          "--print"], capture_output=True, text=True, timeout=30, check=True)
    return out.stdout.split()


def _run_steps(text: str) -> list[str]:
    """The Dockerfile's RUN instructions, continuation lines joined."""
    joined = re.sub(r"\\\n", " ", text)
    return [m.group(1) for m in re.finditer(r"^RUN (.*)$", joined, re.M)]


def dockerfile_packages(text: str, list_file: list[str]) -> set[str]:
    """What the Dockerfile's apt-get install gets: the names written on the line, plus
    the list file's when the line is fed from the copied list."""
    copied = re.search(r"^COPY scripts/system-packages\.txt (\S+)$", text, re.M)
    got: set[str] = set()
    for step in _run_steps(text):
        for part in step.split("&&"):
            if "apt-get install" not in part:
                continue
            words = part.split("apt-get install", 1)[1].split()
            got |= {w for w in words if not w.startswith("-") and re.fullmatch(r"[a-z0-9.+-]+", w)}
            if copied and copied.group(1) in step:
                got |= set(list_file)
    return got


def test_the_script_installs_the_list():
    assert script_packages() == _list()
    assert set(_list()) >= {"tesseract-ocr", "tesseract-ocr-vie", "poppler-utils", "jbig2dec",
                            "fonts-dejavu-core", "fonts-liberation2"}
    # --test adds what only the suite uses, on top of the same list
    extra = script_packages("--test")
    assert extra[: len(_list())] == _list() and "docker-compose" in extra


def test_dockerfile_installs_the_same_packages():
    text = DOCKERFILE.read_text(encoding="utf-8")
    got = dockerfile_packages(text, _list())
    assert got - IMAGE_ONLY == set(script_packages()), (
        f"image only: {sorted(got - IMAGE_ONLY - set(_list()))}, "
        f"missing in the image: {sorted(set(_list()) - got)}")


def test_parity_check_catches_a_difference():
    """The comparison above fails for the old Dockerfile (a hand-written, shorter list)."""
    old = ("USER root\nRUN apt-get update \\\n && apt-get install -y --no-install-recommends "
           "tesseract-ocr tesseract-ocr-vie curl \\\n && apt-get clean\n")
    assert dockerfile_packages(old, _list()) - IMAGE_ONLY != set(_list())


def test_image_build_proves_the_tools():
    steps = " ".join(_run_steps(DOCKERFILE.read_text(encoding="utf-8")))
    assert "sohoa --help" in steps
    assert "tesseract --list-langs" in steps
