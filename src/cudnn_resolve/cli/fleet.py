"""Every node of a cluster: host facts from each (fleet doctor) and proof from each (fleet check), on Slurm.

fleet doctor runs `doctor --json` on every node of a partition (one job array, one task per node) and
folds the answers into a host file with one entry per kind of node (platform, driver, GPUs) listing its
nodes: give it to pins, lock or create as --host FILE. fleet check runs `check` of one environment on a
shared filesystem on every node (or one node per kind with --per-kind), a GPU per task where the
partition has GPUs, and prints one row per node; it exits 1 unless every node was checked and passed.
Nodes that are drained or not answering, an environment not visible on a node, tasks that time out, are
cancelled or never start: each is a named finding for its node. Jobs go through sbatch --wait --array,
scontrol and sinfo with argument lists; Ctrl-C cancels them. cudnn-resolve's interpreter and the work
directory must be on a filesystem the nodes share.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import signal
import sys
import tempfile
import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import InvalidOptionError
from . import interrupt
from .helptext import epilog
from .options import add_json_argument
from .render import table

HELP = __doc__ or ""
DOCS = "teams.md"
EXAMPLES = (
    ("{prog} fleet doctor --partition gpu -o hosts.json", "the facts of every node, one entry per kind"),
    (
        "{prog} fleet check -p /shared/envs/torch28 --partition gpu",
        "check a shared environment on every node (after: lock ... --host hosts.json; create)",
    ),
    ("{prog} fleet check -p /shared/envs/torch28 --partition gpu --per-kind --json", "one node per kind"),
)
DOCTOR_EXAMPLES = (
    ("{prog} fleet doctor --partition gpu -o hosts.json", "write the host file --host reads"),
    ("{prog} fleet doctor --partition gpu --json", "the kinds and findings as JSON"),
)
CHECK_EXAMPLES = (
    ("{prog} fleet check -p /shared/envs/torch28 --partition gpu", "one row per node"),
    (
        "{prog} fleet check -p /shared/envs/torch28 --partition gpu --per-kind --json",
        "one node of each kind; JSON for scripts",
    ),
    (
        "{prog} fleet check -p /shared/envs/tf215 --partition gpu --time 20 --queue-wait 60",
        "a busy partition: longer bounds",
    ),
)


def _wrap(text: str) -> str:
    return textwrap.fill(text, 105)


def _minutes(option: str, default: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            if ":" in text:
                minutes, seconds = text.split(":")
                value = int(minutes) * 60 + int(seconds)
            else:
                value = round(float(text) * 60)
        except ValueError:
            raise InvalidOptionError(option, text, "minutes (10, 0.5) or M:SS (1:30)") from None
        if value < 1:
            raise InvalidOptionError(option, text, "at least one second")
        return value

    parse.__name__ = f"{option} (default {default})"
    return parse


def _common(parser: argparse.ArgumentParser, time_default: str) -> None:
    parser.add_argument(
        "--partition", required=True, metavar="P", help="the Slurm partition whose nodes to visit"
    )
    bounds = parser.add_argument_group("bounds")
    bounds.add_argument(
        "--time",
        type=_minutes("--time", time_default),
        default=time_default,
        metavar="MIN",
        help=f"time limit of each task once it runs, in minutes or M:SS (default {time_default}; Slurm "
        "rounds up to whole minutes)",
    )
    bounds.add_argument(
        "--queue-wait",
        type=_minutes("--queue-wait", "10"),
        default="10",
        metavar="MIN",
        help="how long a task may wait to start before it is cancelled and reported (default 10)",
    )
    bounds.add_argument(
        "--workdir",
        type=Path,
        metavar="DIR",
        help="where the job script and task output go, on a filesystem every node mounts (default: the "
        "current directory); a folder made there is removed afterwards",
    )
    add_json_argument(parser)


def configure_parser(parser: argparse.ArgumentParser) -> None:
    prog = parser.prog.rsplit(" ", 1)[0]  # cudnn-resolve, or conda cudnn-env inside conda
    sub = parser.add_subparsers(dest="fleet_verb", metavar="doctor|check", parser_class=type(parser))
    sub.required = True
    doctor = sub.add_parser(
        "doctor",
        help="host facts of every node of a partition, one host file entry per kind of node",
        description=_wrap(
            "Run `doctor --json` on every node of a Slurm partition (one job array, one task per "
            "node) and write the host file --host reads: one entry per kind of node (platform, driver, GPUs) "
            "with the names of its nodes. Exit 0 when every node answered, 1 otherwise (the file still holds "
            "the nodes that did)."
        ),
        epilog=epilog(DOCTOR_EXAMPLES, DOCS, prog),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    doctor.add_argument("-o", "--output", type=Path, metavar="FILE", help="write the host file here")
    _common(doctor, "5")
    check = sub.add_parser(
        "check",
        help="check one environment on every node of a partition",
        description=_wrap(
            "Run `check -p PREFIX` on every node of a Slurm partition (or one per kind of node with "
            "--per-kind), a GPU per task where the nodes have GPUs, and print one row per node: GPU, "
            "driver, loaded cuDNN, expected cuDNN, conv result, verdict. Exit 0 when every node was checked "
            "and passed, 1 otherwise; each node that could not be checked is named with the reason."
        ),
        epilog=epilog(CHECK_EXAMPLES, DOCS, prog),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("-p", "--prefix", type=Path, required=True, metavar="PREFIX", help="the environment")
    check.add_argument(
        "--per-kind", action="store_true", help="check one node of each kind (fleet doctor first)"
    )
    check.add_argument("--no-conv", action="store_true", help="skip the conv2d smoke test on the nodes")
    check.add_argument("--expect-cudnn", metavar="X.Y[.Z]", help="the cuDNN every node must load")
    _common(check, "10")


class _Progress:
    """A line when the job's counts change, and every 15 s while they do not; on a terminal only."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.last = ""
        self.said_at = 0.0

    def __call__(self, snapshot: Any) -> None:
        line = snapshot.line()
        counts = line.split(" [")[0]
        if self.enabled and (counts != self.last or snapshot.elapsed - self.said_at >= 15):
            self.last, self.said_at = counts, snapshot.elapsed
            print(f"fleet: {line}", file=sys.stderr, flush=True)


@contextmanager
def _workdir(base: Path | None) -> Iterator[Path]:
    where = (base or Path.cwd()).absolute()
    try:
        path = Path(tempfile.mkdtemp(prefix=".cudnn-resolve-fleet-", dir=where))
    except OSError as exc:
        raise InvalidOptionError("--workdir", str(where), f"a writable directory ({exc.strerror})") from None
    previous = signal.signal(signal.SIGTERM, interrupt)  # a kill cancels the jobs like Ctrl-C
    try:
        yield path
    finally:
        signal.signal(signal.SIGTERM, previous)
        shutil.rmtree(path, ignore_errors=True)


def execute(args: argparse.Namespace) -> int:
    from ..fleet import SlurmRunner  # noqa: PLC0415  # the fleet machinery loads only for this verb

    progress = _Progress(not args.json and sys.stderr.isatty())
    with _workdir(args.workdir) as workdir:
        if args.fleet_verb == "doctor":
            return _doctor(args, SlurmRunner(), workdir, progress)
        return _check(args, SlurmRunner(), workdir, progress)


def _doctor(args: argparse.Namespace, runner: Any, workdir: Path, progress: _Progress) -> int:
    from ..fileio import write_files  # noqa: PLC0415
    from ..fleet import fleet_doctor  # noqa: PLC0415
    from ..hostfile import hosts_document  # noqa: PLC0415

    report = fleet_doctor(
        runner,
        args.partition,
        workdir=workdir,
        time_limit=args.time,
        queue_wait=args.queue_wait,
        progress=progress,
    )
    document = hosts_document(report.kinds, shlex.join(args.argv))
    files = []
    if args.output is not None and report.kinds:
        write_files([(args.output, json.dumps(document, indent=2) + "\n")])
        files.append(str(args.output))
    findings = [{"node": f.node, "code": f.code, "message": f.message} for f in report.findings]
    if args.json:
        body = {
            "schema": 1,
            "partition": report.group,
            "nodes": list(report.nodes),
            "hosts": document["hosts"],
        }
        print(json.dumps({**body, "findings": findings, "files": files}, indent=2))
        return 0 if report.complete else 1
    rows = [
        [
            str(i),
            ", ".join(k.nodes),
            str(k.platform),
            str(k.driver or "none"),
            ", ".join(str(g) for g in k.gpus) or "none",
        ]
        for i, k in enumerate(report.kinds, 1)
    ]
    print(f"partition {report.group}: {len(report.nodes)} node(s), {len(report.kinds)} kind(s)")
    if rows:
        print(table(["kind", "nodes", "platform", "driver", "GPUs"], rows))
    if report.findings:
        print("findings:")
    for finding in report.findings:
        print(f"  {finding.node}: {finding.message}")
    if files:
        print(
            f"wrote {args.output}; one answer for them all: cudnn-resolve lock REQUEST --host {args.output}"
        )
    elif args.output is not None:
        print(f"nothing written to {args.output}: no node answered")
    return 0 if report.complete else 1


def _check(args: argparse.Namespace, runner: Any, workdir: Path, progress: _Progress) -> int:
    from ..fleet import fleet_check  # noqa: PLC0415

    passthrough = ["--no-conv"] if args.no_conv else []
    passthrough += ["--expect-cudnn", args.expect_cudnn] if args.expect_cudnn else []
    prefix = str(args.prefix.absolute())
    report = fleet_check(
        runner,
        args.partition,
        prefix,
        workdir=workdir,
        time_limit=args.time,
        queue_wait=args.queue_wait,
        progress=progress,
        per_kind=args.per_kind,
        check_args=passthrough,
    )
    if args.json:
        nodes = [
            {
                "node": n.node,
                "verdict": n.verdict,
                "code": n.code,
                "messages": list(n.messages),
                "gpu": n.gpu,
                "driver": n.driver,
                "loaded_cudnn": n.loaded_cudnn,
                "expected_cudnn": n.expected,
                "conv": n.conv,
                "job": n.job,
                "check": n.report,
            }
            for n in report.nodes
        ]
        covered = [{"node": node, "checked_on": kind} for node, kind in report.covered]
        body = {"schema": 1, "partition": report.group, "prefix": prefix, "passed": report.passed}
        print(json.dumps({**body, "nodes": nodes, "covered": covered}, indent=2))
        return 0 if report.passed else 1
    headers = ["node", "GPU", "driver", "loaded cuDNN", "expected", "conv", "verdict"]
    rows = [[n.node, n.gpu, n.driver, n.loaded_cudnn, n.expected, n.conv, n.verdict] for n in report.nodes]
    print(f"environment {prefix} on partition {report.group}")
    print(table(headers, rows))
    if any(row.messages for row in report.nodes) or report.covered:
        print("findings:")
    for row in report.nodes:
        for message in row.messages:
            print(f"  {row.node}: {message}")
    for node, kind in report.covered:
        print(f"  {node}: same kind as {kind}, not checked itself (--per-kind)")
    passed = sum(n.verdict == "PASS" for n in report.nodes)
    verdict = "PASS" if report.passed else "FAIL"
    print(f"verdict: {verdict} ({passed} of {len(report.nodes)} node(s) passed)")
    return 0 if report.passed else 1
