#!/usr/bin/env python3
"""Ray's core microbenchmarks, by the names of Ray's ray_perf.py, on a local Ray (2.58 from the
machine's wheels: see TOOLCHAIN.md). Each metric runs untimed for --warmup seconds
(1 s, as ray_perf's timeit), then for about --seconds, and reports operations
per second (GB/s for single_client_put_gigabytes). Prints one JSON object with --json.

Written for wrt's side-by-side benchmark (bench/core.ts); the workloads follow ray_perf.py's
descriptions: tiny no-op tasks and actor methods, small puts and gets, 1k-ref waits.
"""
import argparse
import json
import sys
import time

import numpy as np
import ray


WARMUP = 1.0


def warm_up(fn):
    """Runs fn untimed for WARMUP seconds (at least once), as ray_perf's timeit does."""
    start = time.perf_counter()
    fn()
    while time.perf_counter() - start < WARMUP:
        fn()


def timed(fn, seconds, ops_per_call=1):
    warm_up(fn)
    n = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn()
        n += ops_per_call
    return n / (time.perf_counter() - start)


@ray.remote
def small_value():
    return b"ok"


@ray.remote
class Actor:
    def small_value(self):
        return b"ok"


@ray.remote
class Client:
    def __init__(self):
        pass

    def run_tasks(self, n):
        ray.get([small_value.remote() for _ in range(n)])


def fresh_gets(seconds):
    """Gets of task results never fetched before, 1000-ref batches made untimed (wrt's single_client_get_calls_fresh)."""
    def warm():
        for r in [small_value.remote() for _ in range(1000)]:
            ray.get(r)

    warm_up(warm)
    refs, nxt, gets, spent = [], 0, 0, 0.0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        if nxt == len(refs):
            refs = [small_value.remote() for _ in range(1000)]
            ray.wait(refs, num_returns=len(refs))
            nxt = 0
        t0 = time.perf_counter()
        ray.get(refs[nxt])
        spent += time.perf_counter() - t0
        nxt += 1
        gets += 1
    return gets / spent


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--json", action="store_true")
    p.add_argument("--seconds", type=float, default=2.0)
    p.add_argument("--warmup", type=float, default=1.0)
    p.add_argument("--cluster-warmup", type=float, default=0.0)
    a = p.parse_args()
    global WARMUP
    WARMUP = a.warmup
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    s = a.seconds
    r = {}
    if a.cluster_warmup > 0:
        # The mix bench/core-suite.ts runs before its first metric, for as long.
        warm_actor = Actor.remote()
        start = time.perf_counter()
        while time.perf_counter() - start < a.cluster_warmup:
            for _ in range(20):
                ray.get(small_value.remote())
            for _ in range(20):
                ray.get(warm_actor.small_value.remote())
            ray.get([small_value.remote() for _ in range(200)])
            ray.get([warm_actor.small_value.remote() for _ in range(200)])
    r["single_client_tasks_sync"] = timed(lambda: ray.get(small_value.remote()), s)
    r["single_client_tasks_async"] = timed(lambda: ray.get([small_value.remote() for _ in range(1000)]), s, 1000)
    clients = [Client.remote() for _ in range(2)]
    r["multi_client_tasks_async"] = timed(lambda: ray.get([c.run_tasks.remote(500) for c in clients]), s, 1000)
    actor = Actor.remote()
    r["1_1_actor_calls_sync"] = timed(lambda: ray.get(actor.small_value.remote()), s)
    r["1_1_actor_calls_async"] = timed(lambda: ray.get([actor.small_value.remote() for _ in range(1000)]), s, 1000)
    actors = [Actor.remote() for _ in range(2)]
    r["n_n_actor_calls_async"] = timed(lambda: ray.get([x.small_value.remote() for x in actors for _ in range(500)]), s, 1000)
    r["single_client_put_calls"] = timed(lambda: ray.put(0), s)
    ref = ray.put(0)
    r["single_client_get_calls"] = timed(lambda: ray.get(ref), s)
    r["single_client_get_calls_fresh"] = fresh_gets(s)
    arr = np.zeros(32 * 1024 * 1024, dtype=np.uint8)
    r["single_client_put_gigabytes"] = timed(lambda: ray.put(arr), s) * arr.nbytes / 1e9
    refs = [ray.put(i) for i in range(1000)]
    r["single_client_wait_1k_refs"] = timed(lambda: ray.wait(refs, num_returns=1000), s)
    ray.shutdown()
    if a.json:
        print(json.dumps(r))
    else:
        for k, v in r.items():
            print(f"{k:32s} {v:12.1f}")


if __name__ == "__main__":
    sys.exit(main())
