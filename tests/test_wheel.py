"""`pip install .` is a working deployment: the wheel carries the migrations and the templates, so outside
the checkout `flask --app bot db upgrade` builds a fresh database and the projector page renders."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

from bot.infra.schema import ROOT

pytestmark = pytest.mark.slow

PAGE = textwrap.dedent("""
    import json, os, sys
    from datetime import datetime, timedelta, UTC
    import bot
    from bot import create_app
    from bot.services.meetings import qr
    assert "site-packages" in bot.__file__, bot.__file__  # the installed package, not the checkout
    app = create_app()
    meeting = json.load(open("demo.json"))["meetings"][0]["id"]
    key = qr.page_key(meeting, int((datetime.now(UTC) + timedelta(days=1)).timestamp()), os.environ["SECRET_KEY"])
    resp = app.test_client().get(f"/meetings/{meeting}/qr?k={key}")
    print(resp.status_code, "qr.png" in resp.get_data(as_text=True))
""")


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{args}: {done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return done.stdout


def test_the_wheel_installs_migrates_and_renders_outside_the_checkout(tmp_path: Path) -> None:
    dist, venv, work = tmp_path / "dist", tmp_path / "venv", tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "FLASK_"))}
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist),
          ROOT], cwd=work, env=env)
    wheel = next(dist.glob("zhibu-*.whl"))
    _run([sys.executable, "-m", "venv", str(venv)], cwd=work, env=env)
    python = venv / "bin" / "python"
    # The dependencies come from this environment's site-packages (no network, no second 300 MB install);
    # the project itself only from the wheel: the checkout is on no path of the new environment.
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], work, env)
                .strip())
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    _run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)], cwd=work, env=env)
    app_env = {**env, "APP_MODE": "test", "WECHAT_TOKEN": "wheeltoken", "SECRET_KEY": "wheel-secret",
               "DATABASE_URL": f"sqlite:///{work / 'fresh.sqlite3'}", "WECHAT_API_BASE": "http://127.0.0.1:9/"}
    flask = [str(python), "-m", "flask", "--app", "bot"]
    assert "database at head" in _run([*flask, "db", "upgrade"], cwd=work, env=app_env)
    _run([*flask, "seed-demo", "--export", "demo.json"], cwd=work, env=app_env)
    assert json.loads((work / "demo.json").read_text(encoding="utf-8"))["meetings"]
    assert _run([str(python), "-c", PAGE], cwd=work, env=app_env).split() == ["200", "True"]
