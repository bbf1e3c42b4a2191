"""`cp` with what a container holds (issue 36, finding 10): its contents are not trusted, so a member the
archive filter refuses (a link to an absolute path, one leading out of the copy) is one sentence and
exit 2, with nothing half-copied; and a source named `..` never becomes a `../` member."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import docker
import pytest

from dockerctl.apply.copy import copy_to_container
from dockerctl.engines.engine import local_engine
from dockerctl.ops.limits import run_container
from dockerctl.spec.models import ContainerSpec


def _container(
    engine: docker.DockerClient, image: str, lab: str, script: str
) -> docker.models.containers.Container:
    spec = ContainerSpec(image=image, lab=lab, name=f"{lab}-cp", command=["sleep", "3600"])
    report = run_container(local_engine(engine), spec, verify=False)
    c = engine.containers.get(report.container_id)
    done = c.exec_run(["sh", "-c", script])
    assert done.exit_code == 0, done.output
    return c


def _cp(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dockerctl", "cp", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.mark.parametrize(
    "link",
    [
        pytest.param("/etc/passwd", id="absolute-link"),
        pytest.param("../../../../etc/passwd", id="link-out-of-the-copy"),
    ],
)
def test_a_member_the_filter_refuses_is_one_sentence_and_nothing_is_copied(
    engine: docker.DockerClient, base_image: str, lab: str, tmp_path: Path, link: str
) -> None:
    # plain files first, the link last: the archive is in that order, so a copy that extracts as it
    # reads has written the files by the time it meets the link
    c = _container(
        engine,
        base_image,
        lab,
        f"mkdir -p /data/sub && echo one > /data/a && echo two > /data/sub/b && ln -s {link} /data/zz-link",
    )
    out = tmp_path / "out"
    out.mkdir()
    done = _cp(f"{c.name}:/data", str(out))
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert "zz-link" in lines[0] and "nothing was copied" in lines[0]
    assert list(out.iterdir()) == []  # no file of it, no temporary left

    # into a path that names the copy itself: the same
    done = _cp(f"{c.name}:/data", str(out / "copy"))
    assert done.returncode == 2 and list(out.iterdir()) == [], done.stderr


def test_a_copy_out_replaces_a_symlink_at_the_destination_and_merges_into_a_directory(
    engine: docker.DockerClient, base_image: str, lab: str, tmp_path: Path
) -> None:
    c = _container(
        engine, base_image, lab, "mkdir -p /data/sub && echo one > /data/a && echo two > /data/sub/b"
    )
    precious = tmp_path / "precious"
    precious.write_text("not to be overwritten\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "a").symlink_to(precious)
    done = _cp(f"{c.name}:/data/a", str(out / "a"))
    assert done.returncode == 0, done.stderr
    assert precious.read_text() == "not to be overwritten\n" and (out / "a").read_text() == "one\n"
    assert not (out / "a").is_symlink()

    (out / "data").mkdir()
    (out / "data" / "kept").write_text("mine\n")
    done = _cp(f"{c.name}:/data", str(out))
    assert done.returncode == 0, done.stderr
    assert {p.name for p in (out / "data").iterdir()} == {"a", "sub", "kept"}
    assert (out / "data" / "sub" / "b").read_text() == "two\n"
    assert sorted(p.name for p in out.iterdir()) == ["a", "data"]  # no temporary left


def test_a_source_named_dotdot_is_copied_under_its_own_name(
    engine: docker.DockerClient, base_image: str, lab: str, tmp_path: Path
) -> None:
    c = _container(engine, base_image, lab, "mkdir -p /data/inner")
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "hello").write_text("hi\n")
    written = copy_to_container(engine, c, src / "sub" / "..", "/data/inner")
    assert written == "/data/inner/src"
    got = c.exec_run(["sh", "-c", "cat /data/inner/src/hello; ls /data; ls /data/inner"]).output.decode()
    assert got.split() == ["hi", "inner", "src"]  # nothing landed beside /data/inner
