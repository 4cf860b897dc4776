"""``python3 -m caudex worker``: a worker process running the tasks of Python modules, with the
flags and environment variables of ``caudex worker``."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import re
import signal
import sys
from types import FrameType
from typing import List, Optional, Sequence

from .errors import CaudexError
from .tasks import REGISTRY
from .worker import DEFAULT_LEASE_MS, Worker

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")


def parse_duration(text: str) -> float:
    """Seconds of a duration: ``30s``, ``500ms``, ``2m``, ``1h`` or a plain number of seconds."""
    match = _DURATION.match(text)
    if match is None:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (e.g. 30s, 500ms, 2m)")
    value = float(match.group(1))
    return value * {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}[match.group(2) or "s"]


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {text!r}")
    return int(text)


def _env(*names: str) -> Optional[str]:
    for name in names:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python3 -m caudex", description="Caudex for Python")
    commands = parser.add_subparsers(dest="command", required=True)
    worker = commands.add_parser(
        "worker",
        help="run a worker: claim jobs from the queues and run their Python tasks",
        description=(
            "SIGTERM or SIGINT stops gracefully: no new jobs are claimed, running jobs get the grace "
            "period to finish, then go back to QUEUED. A second signal hands them back at once."
        ),
    )
    worker.add_argument("--url", default=_env("CAUDEX_URL"), help="the Caudex server, e.g. http://localhost:5000 (CAUDEX_URL)")
    worker.add_argument("--token", default=None, help="API token (default: CAUDEX_WORKER_TOKEN, else INTERNAL_SERVICE_TOKEN)")
    worker.add_argument("--tasks", default=_env("CAUDEX_TASKS"), help="comma-separated Python modules that register tasks with @task (CAUDEX_TASKS)")
    worker.add_argument("--queues", default=_env("CAUDEX_QUEUES", "RQ_QUEUE_NAMES") or "high,default", help="queues in priority order (default high,default)")
    worker.add_argument("--concurrency", type=_positive, default=None, help="jobs run at once, on threads (default 4; CAUDEX_CONCURRENCY)")
    worker.add_argument("--name", default=_env("CAUDEX_WORKER_NAME", "RQ_WORKER_NAME"), help="worker name, unique per live worker (default host-pid)")
    worker.add_argument("--max-jobs", type=_positive, default=None, help="exit after N jobs")
    worker.add_argument("--burst", action="store_true", help="exit as soon as the queues are empty")
    worker.add_argument("--grace-period", type=parse_duration, default=30.0, help="time running jobs get to finish on stop (default 30s)")
    worker.add_argument("--lease", type=parse_duration, default=DEFAULT_LEASE_MS / 1000.0, help="lease length (default 30s); heartbeats every third of it")
    worker.add_argument("--log-level", default=_env("CAUDEX_LOG_LEVEL") or "info", choices=["debug", "info", "warn", "warning", "error"])
    return parser


def _load_tasks(modules: str) -> List[str]:
    # Modules are found from the working directory, as `caudex worker --tasks` resolves its file.
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    loaded = []
    for name in [m.strip() for m in modules.split(",") if m.strip()]:
        importlib.import_module(name)
        loaded.append(name)
    return loaded


def run_worker(args: argparse.Namespace) -> int:
    """Runs the worker command; returns the exit code."""
    problems = []
    if not args.url:
        problems.append("--url (or CAUDEX_URL) is required, e.g. --url http://localhost:5000")
    if not args.tasks:
        problems.append("--tasks (or CAUDEX_TASKS) is required: the Python modules of the tasks, e.g. --tasks myapp.tasks")
    token = args.token or _env("CAUDEX_WORKER_TOKEN", "INTERNAL_SERVICE_TOKEN")
    if not token:
        problems.append("a token is required: CAUDEX_WORKER_TOKEN or INTERNAL_SERVICE_TOKEN (or --token)")
    concurrency = args.concurrency
    if concurrency is None:
        raw = _env("CAUDEX_CONCURRENCY") or "4"
        concurrency = int(raw) if raw.isdigit() and int(raw) >= 1 else 0
        if concurrency == 0:
            problems.append(f"CAUDEX_CONCURRENCY must be a whole number of at least 1, got {raw!r}")
    lease_ms = int(args.lease * 1000)
    if not 1000 <= lease_ms <= 3_600_000:
        problems.append("--lease must be from 1s to 1h")
    if problems:
        for problem in problems:
            print(f"caudex worker: {problem}", file=sys.stderr)
        return EXIT_USAGE
    try:
        _load_tasks(args.tasks)
    except Exception as error:  # noqa: BLE001 - any import failure is the user's to see
        print(f"caudex worker: cannot load the tasks module(s) {args.tasks}: {error!r}", file=sys.stderr)
        return EXIT_FAILURE
    if not REGISTRY.names():
        print(f"caudex worker: {args.tasks} registered no task (decorate functions with @caudex.task(\"name\"))", file=sys.stderr)
        return EXIT_USAGE
    worker = Worker(
        args.url,
        token,
        name=args.name,
        queues=[q.strip() for q in args.queues.split(",") if q.strip()],
        concurrency=concurrency,
        lease_ms=lease_ms,
        max_jobs=args.max_jobs,
        burst=args.burst,
        grace_period=args.grace_period,
    )

    def on_signal(signum: int, _frame: Optional[FrameType]) -> None:
        name = signal.Signals(signum).name
        if worker_stopping[0]:
            logging.getLogger("caudex.worker").warning("%s received again: stopping now; running jobs go back to QUEUED", name)
        else:
            logging.getLogger("caudex.worker").info("%s received: finishing running jobs (up to %gs); send it again to stop now", name, args.grace_period)
        worker_stopping[0] = True
        worker.stop()

    worker_stopping = [False]
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        worker.run()
    except CaudexError as error:
        print(f"caudex worker: {error}", file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK


def main(argv: Optional[Sequence[str]] = None) -> int:
    """The command line's entry point."""
    args = _parser().parse_args(argv)
    level = {"warn": "WARNING"}.get(args.log_level, args.log_level.upper())
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    if args.command == "worker":
        return run_worker(args)
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
