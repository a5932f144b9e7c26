"""Latency and throughput of the HTTP service, beside the same model called in-process.

Starts ``nlp-contact serve`` (uvicorn, N workers) on 127.0.0.1 and measures, with real
contact texts:

* sequential single ``POST /v1/classify`` requests on one keep-alive connection
  (p50/p90/p99 latency; target p99 < 10 ms);
* ``--clients`` concurrent keep-alive clients for ``--seconds`` (throughput and latency;
  target >= 800 requests/s with p99 < 100 ms and no errors);
* the same texts classified in-process, one at a time, both as a library user calls it
  (``clf.predict([text])[0].to_dict()``) and through the service's own predict path, so the
  API's overhead shows as a ratio.

The load generator is a minimal HTTP/1.1 client on asyncio streams (uvloop when
installed): on a 2-core machine a heavier client would take the CPU the server needs.
Every answer's status line and body start are checked; anything else counts as an error.

Usage::

    python benchmarks/service_latency.py --model models/default --workers 2 \
        --seconds 30 --clients 32
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA_GLOBS = ("training/data/handwritten/*.jsonl", "training/data/dev/*.jsonl")
FALLBACK_TEXTS = [
    "Cust rang chasing UC payment, not arrived yet, has no money for food",
    "I want to make a formal complaint, the adviser was rude and hung up on me",
    "Thank you so much, the work coach was brilliant and kind",
    "cust reporting change of circs, started a new job on Monday",
    "Citizens Advice calling on behalf of client, chasing PIP decision",
    "Why has my payment gone down this month? How was it worked out?",
]
TARGETS = {"sequential_p99_ms": 10.0, "concurrent_rps": 800.0, "concurrent_p99_ms": 100.0}
OK_BODY_START = b'{"model"'


# ---------------------------------------------------------------------------- inputs
def load_texts(limit: int, seed: int) -> list[str]:
    """Contact texts from the project's labelled data (shuffled), else a built-in sample."""
    texts: list[str] = []
    for pattern in DATA_GLOBS:
        for path in sorted(ROOT.glob(pattern)):
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    texts.append(json.loads(line)["text"])
    if not texts:
        texts = FALLBACK_TEXTS * 50
    random.Random(seed).shuffle(texts)
    return texts[:limit]


def summary(samples_s: list[float]) -> dict[str, float]:
    """p50/p90/p99/max/mean in milliseconds."""
    ms = sorted(s * 1000 for s in samples_s)
    if not ms:
        return {"n": 0, "p50": 0.0, "p90": 0.0, "p99": 0.0, "max": 0.0, "mean": 0.0}

    def pct(q: float) -> float:
        return ms[min(len(ms) - 1, int(q * len(ms)))]

    return {
        "n": len(ms),
        "p50": pct(0.50),
        "p90": pct(0.90),
        "p99": pct(0.99),
        "max": ms[-1],
        "mean": statistics.fmean(ms),
    }


# ---------------------------------------------------------------------------- in-process
def in_process(model_dir: Path, texts: list[str], n: int) -> dict[str, Any]:
    """Sequential single-text predictions in this process, two ways."""
    from nlp_contact.classifier import ContactClassifier
    from service.inference import load_model

    clf = ContactClassifier.load(model_dir)
    info = clf.model_info
    for text in texts[:50]:
        clf.predict([text])
    library = []
    cpu = time.thread_time()
    for i in range(n):
        text = texts[i % len(texts)]
        start = time.perf_counter()
        clf.predict([text])[0].to_dict(model=info)
        library.append(time.perf_counter() - start)
    library_cpu = (time.thread_time() - cpu) * 1000 / n
    loaded = load_model(model_dir)
    service_path = []
    cpu = time.thread_time()
    for i in range(n):
        text = texts[i % len(texts)]
        start = time.perf_counter()
        loaded.predict([text])
        service_path.append(time.perf_counter() - start)
    service_cpu = (time.thread_time() - cpu) * 1000 / n
    return {
        "model": info,
        "library": {**summary(library), "cpu_ms": library_cpu},
        "service_path": {**summary(service_path), "cpu_ms": service_cpu},
    }


# ---------------------------------------------------------------------------- server
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(model_dir: Path, workers: int, port: int, log: Path) -> Iterator[int]:
    """``nlp-contact serve`` in a subprocess until the block ends."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["NLP_CONTACT_DATABASE_URL"] = f"sqlite:///{log.parent / 'bench_feedback.db'}"
    env.pop("NLP_CONTACT_API_KEYS_SHA256", None)
    cmd = [
        sys.executable,
        "-m",
        "nlp_contact",
        "serve",
        "--model",
        str(model_dir),
        "--workers",
        str(workers),
        "--port",
        str(port),
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=log.parent)
        try:
            wait_ready(port, proc, timeout=120)
            yield proc.pid
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float) -> None:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with code {proc.returncode}; see its log")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server was not ready within {timeout} s")


def process_tree_cpu(root: int) -> float | None:
    """CPU seconds (user + system) used so far by ``root`` and its descendants (Linux)."""
    proc = Path("/proc")
    if not (proc / str(root)).is_dir():
        return None
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    tree, todo = set(), [root]
    while todo:
        pid = todo.pop()
        tree.add(pid)
        todo.extend(child for child, parent in parents.items() if parent == pid)
    return sum(times.get(pid, 0.0) for pid in tree)


def machine_busy_seconds() -> float | None:
    """CPU seconds all processes of the machine have been busy (Linux ``/proc/stat``)."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return None
    user, nice, system, idle, iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------------------- client
class Connection:
    """One keep-alive HTTP/1.1 connection that posts JSON to /v1/classify."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.head = (
            f"POST /v1/classify HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Content-Type: application/json\r\nContent-Length: "
        ).encode()

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    async def post(self, payload: bytes) -> bool:
        """Send one request; True when the answer is a 200 with a prediction."""
        self.writer.write(self.head + str(len(payload)).encode() + b"\r\n\r\n" + payload)
        head = await self.reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        body = await self.reader.readexactly(length)
        return head.startswith(b"HTTP/1.1 200") and body.startswith(OK_BODY_START)

    def close(self) -> None:
        self.writer.close()


async def sequential(port: int, payloads: list[bytes], n: int) -> dict[str, Any]:
    conn = Connection(port)
    await conn.open()
    latencies, errors = [], 0
    for i in range(n):
        start = time.perf_counter()
        ok = await conn.post(payloads[i % len(payloads)])
        latencies.append(time.perf_counter() - start)
        errors += not ok
    conn.close()
    return {**summary(latencies), "errors": errors}


async def concurrent(
    port: int, payloads: list[bytes], clients: int, seconds: float
) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0
    cap = int(seconds * 5000)  # bounded even if the clock misbehaves

    async def client(offset: int, deadline: float) -> None:
        nonlocal errors
        conn = Connection(port)
        await conn.open()
        i = offset
        for _ in range(cap):
            if time.perf_counter() >= deadline:
                break
            start = time.perf_counter()
            try:
                ok = await conn.post(payloads[i % len(payloads)])
            except (OSError, asyncio.IncompleteReadError):
                ok = False
                conn.close()
                await conn.open()
            latencies.append(time.perf_counter() - start)
            errors += not ok
            i += clients
        conn.close()

    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(client(k, deadline) for k in range(clients)))
    elapsed = time.perf_counter() - started
    return {
        **summary(latencies),
        "errors": errors,
        "seconds": elapsed,
        "rps": len(latencies) / elapsed,
    }


async def warm_up(port: int, payloads: list[bytes], n: int) -> None:
    """Reach every worker: several connections, ``n`` requests in all."""
    await concurrent(port, payloads, clients=8, seconds=max(3.0, n / 400))


# ---------------------------------------------------------------------------- report
def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def report(r: dict[str, Any]) -> str:
    seq, con, lib, svc = r["sequential"], r["concurrent"], r["library"], r["service_path"]
    rows = [
        ("API, sequential single requests", seq),
        (f"API, {r['clients']} concurrent clients", con),
        ("in-process, `clf.predict([text])` + `to_dict`", lib),
        ("in-process, the service's predict path", svc),
    ]
    lines = [
        "# Service latency and throughput",
        "",
        f"Measured {r['date']} with `{r['command']}`.",
        "",
        f"- Machine: {r['cpus']} CPU cores, {r['platform']}, Python {r['python']}",
        f"- Model: {r['model']['name']} (version {r['model']['version']}, backend "
        f"{r['model']['backend']})",
        f"- Server: `nlp-contact serve --workers {r['workers']}` (uvicorn, httptools, uvloop), "
        "JSON access log on, loopback; load generator in the same machine",
        f"- Texts: {r['n_texts']} contact texts from the project's labelled data, mean "
        f"{r['mean_chars']:.0f} characters, one per request in turn",
        "",
        "| measurement | requests | p50 ms | p90 ms | p99 ms | max ms | req/s | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, s in rows:
        rps = f"{s['rps']:.0f}" if "rps" in s else ""
        err = str(s.get("errors", ""))
        lines.append(
            f"| {name} | {s['n']} | {s['p50']:.2f} | {s['p90']:.2f} | {s['p99']:.2f} | "
            f"{s['max']:.2f} | {rps} | {err} |"
        )
    lines += [
        "",
        "API overhead (sequential API latency / in-process latency):",
        "",
        f"- against the library call: p50 x{seq['p50'] / lib['p50']:.2f}, "
        f"p99 x{seq['p99'] / lib['p99']:.2f}",
        f"- against the service's predict path: p50 x{seq['p50'] / svc['p50']:.2f}, "
        f"p99 x{seq['p99'] / svc['p99']:.2f}",
        f"- throughput: {con['rps']:.0f} req/s through the API with {r['workers']} workers vs "
        f"{1000 / svc['mean']:.0f} req/s for one in-process loop on one core",
        "",
        *cpu_lines(r),
        "Targets:",
        "",
        f"- sequential p99 < {TARGETS['sequential_p99_ms']:.0f} ms: {seq['p99']:.2f} ms, "
        f"{verdict(seq['p99'] < TARGETS['sequential_p99_ms'])}",
        f"- >= {TARGETS['concurrent_rps']:.0f} req/s with p99 < "
        f"{TARGETS['concurrent_p99_ms']:.0f} ms and no errors for {r['clients']} clients: "
        f"{con['rps']:.0f} req/s, p99 {con['p99']:.2f} ms, {con['errors']} errors, "
        + verdict(
            con["rps"] >= TARGETS["concurrent_rps"]
            and con["p99"] < TARGETS["concurrent_p99_ms"]
            and con["errors"] == 0
        ),
        "",
    ]
    return "\n".join(lines)


def cpu_lines(r: dict[str, Any]) -> list[str]:
    """CPU time per request: what the throughput would be with the cores to itself."""
    con, cpus = r["concurrent"], r["cpus"] or 1
    if "server_cpu_ms" not in con:
        return []
    server, client = con["server_cpu_ms"], con["client_cpu_ms"]
    return [
        "CPU time per request in the concurrent phase (robust to other load on the machine):",
        "",
        f"- server (uvicorn parent and workers): {server:.2f} ms; load generator: {client:.2f} ms",
        f"- throughput the {cpus} cores could sustain at that cost: "
        f"{1000 * cpus / (server + client):.0f} req/s with the load generator on the same "
        f"cores, {1000 * cpus / server:.0f} req/s for the server alone",
        f"- in-process CPU per prediction: {r['library']['cpu_ms']:.2f} ms (library call), "
        f"{r['service_path']['cpu_ms']:.2f} ms (service's predict path); API overhead in CPU: "
        f"x{server / r['library']['cpu_ms']:.2f} of the library call, "
        f"x{server / r['service_path']['cpu_ms']:.2f} of the service's predict path",
        f"- other processes on the machine used {con['others_cores']:.2f} of the {cpus} "
        "cores during the concurrent phase (the wall-clock figures above suffer from it; "
        f"1-minute load average at the end: {r['load_after']:.1f})",
        "",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, required=True, help="Model directory.")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers (default 2).")
    parser.add_argument("--seconds", type=float, default=30.0, help="Concurrent phase length.")
    parser.add_argument("--clients", type=int, default=32, help="Concurrent clients.")
    parser.add_argument("--requests", type=int, default=2000, help="Sequential requests.")
    parser.add_argument("--texts", type=int, default=2000, help="Distinct texts to cycle.")
    parser.add_argument("--port", type=int, default=0, help="Port (default: a free one).")
    parser.add_argument("--seed", type=int, default=0, help="Shuffle seed of the texts.")
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "benchmarks" / "results" / "service_latency.md",
        help="Markdown report to write.",
    )
    args = parser.parse_args(argv)
    if not (args.model / "config.json").is_file():
        parser.error(f"--model {args.model} is not a model directory")
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass

    texts = load_texts(args.texts, args.seed)
    payloads = [json.dumps({"text": t}).encode() for t in texts]
    print(f"{len(texts)} texts, mean {statistics.fmean(map(len, texts)):.0f} characters")
    print("in-process ...", flush=True)
    local = in_process(args.model, texts, args.requests)
    port = args.port or free_port()
    with tempfile.TemporaryDirectory(prefix="nlp-contact-bench-") as tmp:
        log = Path(tmp) / "server.log"
        print(f"starting nlp-contact serve --workers {args.workers} on port {port} ...", flush=True)
        try:
            with running_server(args.model.resolve(), args.workers, port, log) as pid:
                asyncio.run(warm_up(port, payloads, 1000))
                print("sequential ...", flush=True)
                seq = asyncio.run(sequential(port, payloads, args.requests))
                print(f"{args.clients} concurrent clients for {args.seconds:.0f} s ...", flush=True)
                server_cpu, client_cpu = process_tree_cpu(pid), time.process_time()
                busy = machine_busy_seconds()
                con = asyncio.run(concurrent(port, payloads, args.clients, args.seconds))
                n = max(con["n"], 1)
                client_used = time.process_time() - client_cpu
                con["client_cpu_ms"] = client_used * 1000 / n
                if server_cpu is not None and busy is not None:
                    server_used = (process_tree_cpu(pid) or server_cpu) - server_cpu
                    con["server_cpu_ms"] = server_used * 1000 / n
                    others = (machine_busy_seconds() or busy) - busy - server_used - client_used
                    con["others_cores"] = max(0.0, others) / con["seconds"]
        except RuntimeError:
            sys.stderr.write(log.read_text(errors="replace")[-3000:])
            raise
    results = {
        "date": time.strftime("%Y-%m-%d"),
        "command": "python benchmarks/service_latency.py "
        + " ".join(argv if argv is not None else sys.argv[1:]),
        "cpus": os.cpu_count(),
        "platform": platform.platform(terse=True),
        "python": platform.python_version(),
        "model": local["model"],
        "workers": args.workers,
        "clients": args.clients,
        "n_texts": len(texts),
        "mean_chars": statistics.fmean(map(len, texts)),
        "load_after": os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0,
        "sequential": seq,
        "concurrent": con,
        "library": local["library"],
        "service_path": local["service_path"],
    }
    text = report(results)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
