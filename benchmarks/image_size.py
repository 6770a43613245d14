"""What the Docker image adds to its base: the locked runtime venv, slimmed as the Dockerfile does.

    .venv/bin/python -m benchmarks.image_size

Installs ``requirements.lock`` (hashes checked) into a fresh venv without pip, exactly like the
Dockerfile's build stage, measures it, runs ``docker/slim_venv.py`` and ``docker/check_image.py``
on it, and measures again; adds the application (bot/ and the compiled catalogs). Works without
a Docker engine; the base image (python:3.11-slim-bookworm) is added by ``docker build``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def run(*args: str, **kw: object) -> None:
    subprocess.run(args, check=True, **kw)  # type: ignore[call-overload]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        venv = Path(tmp) / "venv"
        run(sys.executable, "-m", "venv", "--without-pip", str(venv))
        run(sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
            "--quiet", "--disable-pip-version-check", "--require-hashes", "--no-deps",
            "-r", str(ROOT / "requirements.lock"))
        before = size(venv)
        run(str(venv / "bin" / "python"), str(ROOT / "docker" / "slim_venv.py"), str(venv))
        after = size(venv)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        run(str(venv / "bin" / "python"), str(ROOT / "docker" / "check_image.py"), env=env)
        app = size(ROOT / "bot") + sum(p.stat().st_size for p in (ROOT / "locales").rglob("*.mo"))
    print(f"locked runtime venv: {before / 1e6:.1f} MB; slimmed: {after / 1e6:.1f} MB; "
          f"application: {app / 1e6:.1f} MB; added to the base image: "
          f"{(after + app) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
