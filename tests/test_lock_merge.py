"""Several Pythons in one pip lock: the merge of uv's per-Python bodies, read back by the real readers
(tomllib, packaging.pylock where this packaging has it, our own lock reader). Offline: the bodies are
small, in the shape uv writes (tests/test_pip_lock.py makes real ones through uv)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from cudnn_resolve.lock.check import read_lock
from cudnn_resolve.lock.merge import merge_pylock, merge_requirements, python_range

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

HASH = '{ sha256 = "%s" }'


def _wheel(name: str, tag: str, digit: str) -> str:
    url = f"https://files.example/{name}-{tag}.whl"
    return (
        f'{{ url = "{url}", upload-time = 2024-09-04T19:10:42Z, size = 10, hashes = {HASH % (digit * 64)} }}'
    )


def _pylock(python: str, networkx: str, extra: str = "") -> str:
    cp = "cp" + python.replace(".", "")
    return f"""lock-version = "1.0"
created-by = "uv"
requires-python = ">={python}"

[[packages]]
name = "networkx"
version = "{networkx}"
wheels = [{_wheel("networkx-" + networkx, "py3-none-any", "a" if networkx == "3.6.1" else "b")}]

[[packages]]
name = "torch"
version = "2.4.1"
wheels = [{_wheel("torch-2.4.1", f"{cp}-{cp}-manylinux1_x86_64", python[-1])}]

[[packages]]
name = "triton"
version = "3.0.0"
marker = "python_full_version < '3.13' and platform_machine == 'x86_64'"
wheels = [{_wheel("triton-3.0.0", f"{cp}-{cp}-manylinux2014_x86_64", "c" if python == "3.11" else "d")}]
{extra}"""


SETUPTOOLS = """
[[packages]]
name = "setuptools"
version = "84.2.1"
wheels = [{ url = "https://files.example/setuptools-84.2.1-py3-none-any.whl", hashes = { sha256 = "%s" } }]
""" % ("e" * 64)


def test_one_python_keeps_uv_text_and_narrows_requires_python() -> None:
    body = _pylock("3.12", "3.7")
    merged = merge_pylock({"3.12": body})
    assert merged == body.replace('requires-python = ">=3.12"', 'requires-python = ">=3.12,<3.13"')


def test_two_pythons_one_lock() -> None:
    merged = merge_pylock({"3.12": _pylock("3.12", "3.7", SETUPTOOLS), "3.11": _pylock("3.11", "3.6.1")})
    doc = tomllib.loads(merged)
    assert doc["requires-python"] == ">=3.11,<3.13"
    packages = [(p["name"], p["version"], p.get("marker")) for p in doc["packages"]]
    assert packages == [
        ("networkx", "3.6.1", "python_version == '3.11'"),
        ("networkx", "3.7", "python_version == '3.12'"),
        ("setuptools", "84.2.1", "python_version == '3.12'"),
        ("torch", "2.4.1", None),  # one entry, a wheel per Python
        ("triton", "3.0.0", "python_full_version < '3.13' and platform_machine == 'x86_64'"),
    ]
    torch = next(p for p in doc["packages"] if p["name"] == "torch")
    assert [w["url"].rsplit("/", 1)[1] for w in torch["wheels"]] == [
        "torch-2.4.1-cp311-cp311-manylinux1_x86_64.whl",
        "torch-2.4.1-cp312-cp312-manylinux1_x86_64.whl",
    ]


def test_the_real_pylock_reader_selects_each_pythons_wheels(tmp_path: Path) -> None:
    pylock = pytest.importorskip("packaging.pylock", reason="packaging < 25 has no pylock reader")
    from packaging.tags import compatible_tags, cpython_tags

    merged = merge_pylock({"3.11": _pylock("3.11", "3.6.1"), "3.12": _pylock("3.12", "3.7", SETUPTOOLS)})
    lock = pylock.Pylock.from_dict(tomllib.loads(merged))
    lock.validate()
    for python in ("3.11", "3.12", "3.10"):
        minor = (3, int(python.split(".")[1]))
        environment = {
            "python_version": python,
            "python_full_version": f"{python}.4",
            "platform_machine": "x86_64",
            "sys_platform": "linux",
            "implementation_name": "cpython",
            "platform_python_implementation": "CPython",
            "os_name": "posix",
            "platform_system": "Linux",
            "platform_release": "",
            "platform_version": "",
            "implementation_version": f"{python}.4",
        }
        platforms = ["manylinux2014_x86_64", "manylinux1_x86_64", "linux_x86_64"]
        tags = [*cpython_tags(minor, platforms=platforms), *compatible_tags(minor, platforms=platforms)]
        if python == "3.10":  # the lock is not for 3.10, and says so
            with pytest.raises(pylock.PylockSelectError, match="does not satisfy the Python version"):
                list(lock.select(environment=environment, tags=tags))
            continue
        chosen = {p.name: f.url.rsplit("/", 1)[1] for p, f in lock.select(environment=environment, tags=tags)}
        cp = "cp" + python.replace(".", "")
        assert chosen["torch"] == f"torch-2.4.1-{cp}-{cp}-manylinux1_x86_64.whl"
        assert chosen["networkx"].startswith("networkx-3.6.1" if python == "3.11" else "networkx-3.7")
        assert ("setuptools" in chosen) is (python == "3.12")


def test_our_reader_keeps_both_versions_hashes(tmp_path: Path) -> None:
    path = tmp_path / "pylock.toml"
    path.write_text(merge_pylock({"3.11": _pylock("3.11", "3.6.1"), "3.12": _pylock("3.12", "3.7")}))
    locked = read_lock(path)
    assert locked.hashes[("networkx", "3.6.1")] == frozenset({"a" * 64})
    assert locked.hashes[("networkx", "3.7")] == frozenset({"b" * 64})
    assert locked.hashes[("torch", "2.4.1")] == frozenset({"1" * 64, "2" * 64})


REQUIREMENTS = """\
--index-url https://index.example/simple
networkx=={networkx} \\
    --hash=sha256:{digest}
    # via torch
torch==2.4.1 \\
    --hash=sha256:{t1} \\
    --hash=sha256:{t2}
"""


def _requirements(networkx: str) -> str:
    digest = ("a" if networkx == "3.6.1" else "b") * 64
    return REQUIREMENTS.format(networkx=networkx, digest=digest, t1="1" * 64, t2="2" * 64)


def test_requirements_for_two_pythons(tmp_path: Path) -> None:
    assert merge_requirements({"3.12": _requirements("3.7")}) == _requirements("3.7")
    merged = merge_requirements({"3.11": _requirements("3.6.1"), "3.12": _requirements("3.7")})
    assert merged.splitlines()[:2] == [
        "--index-url https://index.example/simple",
        "networkx==3.6.1 ; python_version == '3.11' \\",
    ]
    assert "networkx==3.7 ; python_version == '3.12' \\" in merged
    assert merged.count("torch==2.4.1 \\") == 1
    path = tmp_path / "requirements.lock.txt"
    path.write_text(merged)
    locked = read_lock(path)
    assert set(locked.hashes) == {("networkx", "3.6.1"), ("networkx", "3.7"), ("torch", "2.4.1")}


@pytest.mark.parametrize(
    ("pythons", "expected"),
    [
        (["3.12"], ">=3.12,<3.13"),
        (["3.11", "3.12"], ">=3.11,<3.13"),
        (["3.12", "3.10"], ">=3.10,!=3.11.*,<3.13"),
        (["3.9", "3.13"], ">=3.9,!=3.10.*,!=3.11.*,!=3.12.*,<3.14"),
    ],
)
def test_python_range(pythons: list[str], expected: str) -> None:
    assert python_range(pythons) == expected


@given(st.sets(st.integers(min_value=6, max_value=15), min_size=1))
def test_python_range_admits_exactly_the_locked_pythons(minors: set[int]) -> None:
    spec = SpecifierSet(python_range([f"3.{m}" for m in minors]))
    for minor in range(4, 18):
        for patch in (0, 7):
            assert spec.contains(Version(f"3.{minor}.{patch}")) is (minor in minors)
