"""Host facts files and one answer for several hosts (``--host FILE``, repeatable).

Host files in tests/hosts/ hold real GPU and driver combinations; tests/host_scenarios/ holds one case per
file (``hosts``, ``request``, ``args``, ``[expect]`` as in tests/scenarios/; ``each_alone`` is the exit
code every host gets on its own, proving that the combination is what decides). The loader and the JSON
schema shipped in the package must accept and reject the same files.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from cudnn_resolve import HostFacts, load_host_files
from cudnn_resolve.hostfile import SCHEMA_PATH, HostFileError
from cudnn_resolve.versions import ComputeCapability, DriverVersion, Platform

from .conftest import Run
from .test_scenarios import check
from .uvtools import network

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

HOSTS = Path(__file__).parent / "hosts"
SCENARIOS = sorted((Path(__file__).parent / "host_scenarios").glob("*.toml"))
HOST_FILES = sorted(HOSTS.glob("*.json"))


def _schema() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_PATH.read_text())
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_host_scenario(path: Path, cli: Callable[..., Run]) -> None:
    case = tomllib.loads(path.read_text())
    hosts = [str(HOSTS / name) for name in case["hosts"]]
    host_args = [a for h in hosts for a in ("--host", h)]
    run = cli("pins", *case["request"], *host_args, *case.get("args", []), "--json")
    check(case["expect"], run)
    if "each_alone" in case:
        for host in hosts:
            alone = cli("pins", *case["request"], "--host", host, *case.get("args", []), "--json")
            assert alone.code == case["each_alone"], f"{host} alone: {alone.err}"


def test_there_are_host_scenarios() -> None:
    assert len(SCENARIOS) >= 8


@pytest.mark.parametrize("path", HOST_FILES, ids=[p.stem for p in HOST_FILES])
def test_host_files_follow_the_schema_and_load(path: Path) -> None:
    _schema().validate(json.loads(path.read_text()))
    (host,) = load_host_files([path])
    assert host.driver is not None
    assert host.capabilities
    assert host.source == str(path)


def test_a_host_file_round_trips() -> None:
    (host,) = load_host_files([HOSTS / "k80-470.json"])
    assert host == HostFacts(
        Platform.LINUX_64,
        DriverVersion.parse("470.82.01"),
        host.gpus,
        "k80",
    )
    assert host.capabilities == (ComputeCapability(3, 7),)
    assert [g.name for g in host.gpus] == ["Tesla K80", "Tesla K80"]
    assert host.to_json() == json.loads((HOSTS / "k80-470.json").read_text())


def test_doctor_json_host_object_is_a_host_file(cli: Callable[..., Run], tmp_path: Path) -> None:
    run = cli("doctor", "--json", "--no-conv")
    host = run.json()["host"]
    assert {"driver", "method", "gpus", "attempts"} <= host.keys()  # the keys doctor always had
    _schema().validate(host)
    path = tmp_path / "this-host.json"
    path.write_text(json.dumps(host))
    (facts,) = load_host_files([path])
    assert facts.platform is Platform.LINUX_64
    assert facts.name == host["name"]
    pins = cli("pins", "tf=2.10", "--host", str(path), "--json")
    assert pins.code == 0, pins.err
    assert pins.json()["hosts"] == [facts.to_json()]


def test_a_hosts_document_holds_several_kinds(cli: Callable[..., Run], tmp_path: Path) -> None:
    hosts = [json.loads((HOSTS / n).read_text()) for n in ("v100-450.json", "a100-535.json")]
    hosts[1]["nodes"] = ["gpu01", "gpu02"]
    path = tmp_path / "hosts.json"
    path.write_text(json.dumps({"schema": 1, "generated_by": "by hand", "hosts": hosts}))
    _schema().validate(json.loads(path.read_text()))
    loaded = load_host_files([path])
    assert [h.label for h in loaded] == ["v100", "a100"]
    assert loaded[1].nodes == ("gpu01", "gpu02")
    body = cli("pins", "tf=2.10", "--host", str(path), "--json").json()
    assert body["driver_min"] == "450.80.02"
    assert [h["name"] for h in body["hosts"]] == ["v100", "a100"]


GOOD = {"platform": "linux-64", "driver": "535.104.05", "gpus": [{"compute_capability": "8.6"}]}
BAD = [
    ("not-json", "{platform: linux-64", "not JSON"),
    ("list", [GOOD], "expected a JSON object"),
    ("no-platform", {"driver": None, "gpus": []}, "field platform: this required field is missing"),
    ("no-driver", {"platform": "linux-64", "gpus": []}, "field driver: this required field is missing"),
    ("no-gpus", {"platform": "linux-64", "driver": None}, "field gpus: this required field is missing"),
    ("bad-platform", {**GOOD, "platform": "linux"}, "field platform: 'linux' is not one of"),
    ("driver-number", {**GOOD, "driver": 535.1}, "field driver: expected a string"),
    ("driver-text", {**GOOD, "driver": "r535"}, "field driver: expected a driver version"),
    ("gpus-object", {**GOOD, "gpus": {"compute_capability": "8.6"}}, "field gpus: expected a list"),
    ("gpu-string", {**GOOD, "gpus": ["8.6"]}, "field gpus[0]: expected an object"),
    ("gpu-no-cc", {**GOOD, "gpus": [{"name": "A100"}]}, "field gpus[0]: compute_capability is missing"),
    (
        "gpu-cc-sm",
        {**GOOD, "gpus": [{"compute_capability": "sm_86"}]},
        'gpus[0].compute_capability: expected "M.m"',
    ),
    (
        "gpu-cc-number",
        {**GOOD, "gpus": [{"compute_capability": 8.6}]},
        "gpus[0].compute_capability: expected a string",
    ),
    ("nodes-string", {**GOOD, "nodes": "gpu01"}, "field nodes: expected a list"),
    ("hosts-empty", {"hosts": []}, "field hosts: the list is empty"),
    ("hosts-bad-item", {"hosts": [GOOD, {**GOOD, "driver": "x"}]}, "field hosts[1].driver"),
]


@pytest.mark.parametrize(("name", "content", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_host_files_name_the_file_and_field(
    name: str, content: Any, message: str, cli: Callable[..., Run], tmp_path: Path
) -> None:
    path = tmp_path / f"{name}.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    run = cli("pins", "torch=2.8", "--host", str(path))
    assert run.code == 2, run.out
    assert "Traceback" not in run.err
    assert f"host file {path}" in run.err
    assert message in run.err
    assert "docs/teams.md#host-files" in run.err
    if not isinstance(content, str):
        with pytest.raises(jsonschema.ValidationError):
            _schema().validate(content)


def test_a_missing_host_file(cli: Callable[..., Run], tmp_path: Path) -> None:
    run = cli("lock", "torch==2.14.1", "--host", str(tmp_path / "nope.json"), "-o", str(tmp_path / "x"))
    assert run.code == 2
    assert "cannot read it" in run.err
    assert not list(tmp_path.iterdir())


def test_the_loader_raises_a_usage_error() -> None:
    with pytest.raises(HostFileError) as caught:
        load_host_files([HOSTS / "README.md"])
    assert caught.value.exit_code == 2
    assert caught.value.path.endswith("README.md")


@network[0]
@network[1]
def test_a_lock_covers_each_platform_of_the_hosts(cli: Callable[..., Run], tmp_path: Path) -> None:
    hosts = ["--host", str(HOSTS / "b200-580.json"), "--host", str(HOSTS / "gh200-aarch64-580.json")]
    # --cuda 13.0: the build on the package index (the newer cu132 needs the unreachable PyTorch index)
    out = str(tmp_path / "pylock.toml")
    run = cli("lock", "torch==2.14.1", "--cuda", "13.0", *hosts, "--python", "3.11", "-o", out)
    assert run.code == 0, run.err
    for platform, host in (("linux-64", "b200"), ("linux-aarch64", "gh200")):
        doc = tomllib.loads((tmp_path / f"pylock.{platform}.toml").read_text())
        tool = doc["tool"]["cudnn-resolve"]
        assert tool["platform"] == platform
        assert tool["assumed"] == f"resolved for hosts {host}: lowest driver 580.65.06 and GPU " + (
            "compute capability 10.0" if host == "b200" else "compute capability 9.0"
        )
        assert {p["name"]: p["version"] for p in doc["packages"]}["torch"] == "2.14.1"


def test_create_from_a_lock_takes_no_host(cli: Callable[..., Run], tmp_path: Path) -> None:
    lock = tmp_path / "pylock.toml"
    lock.write_text('lock-version = "1.0"\n')
    run = cli(
        "create", "--lock", str(lock), "--host", str(HOSTS / "a100-535.json"), "-p", str(tmp_path / "env")
    )
    assert run.code == 2
    assert "give --host when making the lock" in run.err
    assert not (tmp_path / "env").exists()


def test_every_resolving_verb_takes_host(cli: Callable[..., Run], tmp_path: Path) -> None:
    hosts = ["--host", str(HOSTS / "gtx1080-535.json"), "--host", str(HOSTS / "h100-570.json")]
    said = "Resolved for hosts gtx1080, h100: lowest driver 535.104.05 and GPU compute capability 6.1, 9.0"
    constraints = cli("constraints", "torch=2.8", *hosts, "-o", str(tmp_path / "c.txt"))
    assert constraints.code == 0, constraints.err
    assert f"# {said}" in (tmp_path / "c.txt").read_text()
    env_file = cli("env-file", "torch=2.8", *hosts, "-o", str(tmp_path / "environment.yml"))
    assert env_file.code == 0, env_file.err
    assert f"# {said}" in (tmp_path / "environment.yml").read_text()
    create = cli("create", "torch=2.8", *hosts, "-p", str(tmp_path / "env"), "--dry-run", "--json")
    assert create.code == 0, create.err
    resolution = create.json()["plan"]["resolution"]
    assert [h["name"] for h in resolution["hosts"]] == ["gtx1080", "h100"]
    assert resolution["host"]["method"] == "host-files"
    assert not (tmp_path / "env").exists()
