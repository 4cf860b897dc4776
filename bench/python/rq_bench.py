"""RQ's side of bench/python-throughput.ts: enqueues N no-op jobs on a Redis and drains them
with one SimpleWorker (burst), printing {"jobs", "seconds"} as JSON."""

import json
import sys
import time

from redis import Redis
from rq import Queue, SimpleWorker

from bench_tasks import noop

port, count = int(sys.argv[1]), int(sys.argv[2])
redis = Redis(port=port, db=1)
redis.flushdb()
queue = Queue("default", connection=redis)
for n in range(count):
    queue.enqueue(noop, n, result_ttl=86400)
started = time.perf_counter()
SimpleWorker([queue], connection=redis).work(burst=True, logging_level="WARNING")
print(json.dumps({"jobs": count, "seconds": time.perf_counter() - started}))
