"""Job-queue engines on the same Redis, side by side: what an enqueue costs the request that makes
it, and how fast one worker process drains no-op jobs. The numbers behind Keel's choice of
Dramatiq (README, "Background jobs"); RQ is measured when installed (`uv pip install rq`).

    .venv/bin/python bench/queue_engines.py [--redis redis://127.0.0.1:6379/12] [--jobs 2000]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import redis

JOBS_MODULE = """
import dramatiq
from dramatiq.brokers.redis import RedisBroker

broker = RedisBroker(url={url!r}, namespace="queue-bench")
dramatiq.set_broker(broker)


@dramatiq.actor(queue_name="queue-bench", max_retries=0)
def noop_dramatiq(number):
    pass


def noop_rq(number):
    pass
"""


def per_job(label: str, count: int, enqueue: Callable[[int], object]) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    for number in range(count):
        enqueue(number)
    wall_us = (time.perf_counter() - wall) / count * 1e6
    cpu_us = (time.process_time() - cpu) / count * 1e6
    print(f"| {label} | enqueue | {wall_us:.0f} us wall, {cpu_us:.0f} us CPU per job |")


def drain(label: str, count: int, command: list[str], workdir: Path, remaining: Callable[[], int]) -> None:
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while remaining() > 0 and time.perf_counter() - started < 600:
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(timeout=30)
    print(
        f"| {label} | drain {count} jobs, one process (its start included) | {elapsed:.1f} s, {count / elapsed:.0f} jobs/s |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--jobs", type=int, default=2000)
    args = parser.parse_args()
    client = redis.Redis.from_url(args.redis)
    client.flushdb()
    workdir = Path(tempfile.mkdtemp(prefix="keel-queue-bench-"))
    (workdir / "queue_jobs.py").write_text(JOBS_MODULE.format(url=args.redis))
    sys.path.insert(0, str(workdir))
    import queue_jobs  # type: ignore[import-not-found]

    bin_dir = Path(sys.executable).parent
    print("| engine | measure | result |\n|---|---|---|")
    per_job("Dramatiq", args.jobs, queue_jobs.noop_dramatiq.send)
    drain(
        "Dramatiq (4 threads)",
        args.jobs,
        [str(bin_dir / "dramatiq"), "queue_jobs", "--processes", "1", "--threads", "4"],
        workdir,
        lambda: int(client.llen("queue-bench:queue-bench")),
    )
    try:
        from rq import Queue
    except ImportError:
        print("RQ is not installed: `uv pip install rq` to measure it beside Dramatiq", file=sys.stderr)
        return 0
    rq_queue = Queue("queue-bench", connection=client)
    per_job("RQ", args.jobs, lambda number: rq_queue.enqueue(queue_jobs.noop_rq, number))
    rq = shutil.which("rq", path=str(bin_dir)) or "rq"
    drain(
        "RQ (forking worker)",
        args.jobs,
        [rq, "worker", "--url", args.redis, "--burst", "queue-bench"],
        workdir,
        lambda: rq_queue.count,
    )
    for number in range(args.jobs):
        rq_queue.enqueue(queue_jobs.noop_rq, number)
    drain(
        "RQ (SimpleWorker, no fork)",
        args.jobs,
        [rq, "worker", "--url", args.redis, "--burst", "-w", "rq.worker.SimpleWorker", "queue-bench"],
        workdir,
        lambda: rq_queue.count,
    )
    client.flushdb()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
