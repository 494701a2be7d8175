"""The README's first command on a machine without PortAudio's headers: one friendly line, no compiler errors.

A throwaway venv in a copy of the repository runs the command as written, with
the last step (``livemusic play``, 2 min 20 s) cut to one second. PortAudio's
headers are hidden from the compiler, not removed: ``CC`` is gcc with
``/usr/include`` replaced by a folder of links to everything in it except
``portaudio.h``, so PyAudio's build fails as it does without ``portaudio19-dev``
(``fatal error: portaudio.h: No such file or directory``). The venv sees the test
environment's packages except PyAudio, so only livemusic itself is installed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import soundfile

ROOT = Path(__file__).resolve().parent.parent
FRIENDLY = "no PyAudio: recording only, see Sound below"


def first_command() -> str:
    """The first ``sh`` block of README.md (the play command)."""
    block = re.search(r"```sh\n(.*?)\n```", (ROOT / "README.md").read_text(), re.S)
    assert block, "README.md has no sh block"
    return block.group(1).strip()


def compiler_without_portaudio(tmp: Path) -> Path:
    """A ``CC`` that compiles like gcc on a system whose /usr/include lacks portaudio.h (its errors logged too)."""
    shadow = tmp / "include"
    shadow.mkdir()
    for entry in Path("/usr/include").iterdir():
        if entry.name != "portaudio.h":
            (shadow / entry.name).symlink_to(entry)
    builtin = subprocess.run(["gcc", "-print-file-name=include"], capture_output=True, text=True).stdout.strip()
    multiarch = subprocess.run(["gcc", "-print-multiarch"], capture_output=True, text=True).stdout.strip()
    cc = tmp / "cc"
    cc.write_text(  # the compiler's complaints also go to cc.log, to show what the command kept quiet
        "#!/bin/bash\n"
        f'for a; do shift; [ "$a" = -I/usr/include ] && a=-I{shadow}; set -- "$@" "$a"; done\n'
        f"gcc -nostdinc -isystem {builtin} -isystem /usr/local/include "
        f"-isystem /usr/include/{multiarch} -isystem {shadow} \"$@\" 2> >(tee -a {tmp / 'cc.log'} >&2)\n")
    cc.chmod(0o755)
    return cc


def packages_without_pyaudio(tmp: Path) -> Path:
    """This environment's site-packages as links, less PyAudio (so ``pip install -e .`` finds its dependencies)."""
    site = tmp / "site"
    site.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.lower().startswith(("pyaudio", "livemusic", "__editable__", "_livemusic")):
            (site / entry.name).symlink_to(entry)
    return site


@pytest.mark.skipif(shutil.which("gcc") is None or not Path("/usr/include").is_dir(), reason="needs gcc")
def test_the_first_command_without_portaudio_headers_says_one_friendly_line(tmp_path):
    command = first_command()
    play = re.search(r"livemusic play \S+ --record (\S+)$", command)
    assert play and f'echo "{FRIENDLY}"' in command and ">/dev/null 2>&1" in command, command
    repo = tmp_path / "repo"
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        if (ROOT / name).is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, repo / name)
    cc = compiler_without_portaudio(tmp_path)
    subprocess.run([sys.executable, "-m", "venv", str(repo / ".venv")], check=True)
    purelib = subprocess.run([str(repo / ".venv/bin/python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    Path(purelib, "test-environment.pth").write_text(f"{packages_without_pyaudio(tmp_path)}\n")
    env = {**os.environ, "CC": str(cc), "PIP_NO_BINARY": "PyAudio", "PIP_NO_CACHE_DIR": "1", "PIP_NO_INPUT": "1"}
    env.pop("VIRTUAL_ENV", None)
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if not p.startswith(sys.prefix))
    result = subprocess.run(["bash", "-c", command + " --duration 1"], cwd=repo, env=env, capture_output=True,
                            text=True, timeout=300, stdin=subprocess.DEVNULL)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert output.count(FRIENDLY) == 1, output
    assert "portaudio.h" not in output and "error:" not in output.lower(), output
    assert "Successfully installed livemusic" in output  # pip's own lines for the install are not errors
    # What the command kept quiet: PyAudio's build failing on the missing header.
    assert "portaudio.h: No such file or directory" in (tmp_path / "cc.log").read_text()
    audio, rate = soundfile.read(repo / play.group(1))
    assert rate == 48_000 and len(audio) == rate
