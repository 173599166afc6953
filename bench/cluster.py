"""Several app servers on this machine (issue 22): nginx -> N gunicorn instances -> PgBouncer -> PostgreSQL.

    python bench/cluster.py up --instances 2 [--fresh]   # start the layout, print its addresses
    python bench/cluster.py status                       # what runs (from <run dir>/state.json)
    python bench/cluster.py bench [--seconds 10]         # figures on the running layout (bench/results/cluster.json)
    python bench/cluster.py down                         # stop everything `up` started

Every instance shares what the shop keeps outside a process: one SECRET_KEY (sessions, CSRF),
the database through PgBouncer in transaction mode (DATABASE_POOLER=pgbouncer), one Redis
(REDIS_URL: page cache, rate limits), one MEDIA_ROOT and one VAPID key file. One job worker
(`flask --app wsgi jobs work`) runs beside them; the instances run none (JOBS_EMBEDDED_WORKER=0).
The configuration templates are deploy/cluster/; deploy/cluster/README.md says what production
changes. bench/faults.py and tests/perf/test_multi_instance.py use the same pieces.

By default the layout runs its OWN PostgreSQL 15 cluster (initdb in <run dir>/pgdata as the
postgres OS user, a free port, fsync off) and its own redis-server on a free port, and `down`
stops and removes them: bench/faults.py restarts and stops those, never the machine's shared
servers that other tests use. `--shared-servers` uses CLUSTER_PG_HOST:CLUSTER_PG_PORT and
REDIS_URL instead (nothing here ever restarts or stops them).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEPLOY = REPO / "deploy" / "cluster"
VENV_BIN = REPO / ".venv" / "bin"
HOST = "127.0.0.1"
DEFAULT_RUN_DIR = Path("/tmp/storefront-cluster")
DEFAULT_DATABASE = "storefront_cluster"
PG_HOST, PG_PORT = os.environ.get("CLUSTER_PG_HOST", "127.0.0.1"), int(os.environ.get("CLUSTER_PG_PORT", "5432"))
PG_USER = os.environ.get("CLUSTER_PG_USER", "postgres")
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
PG_BIN = Path(os.environ.get("CLUSTER_PG_BIN", "/usr/lib/postgresql/15/bin"))
START_TIMEOUT_S = 90.0  # a restarted instance warms up while the others serve the load
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class ClusterError(RuntimeError):
    """A part of the layout did not start (the message has its log's tail)."""


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def render(template: str, fields: dict[str, object]) -> str:
    """A deploy/cluster template with its @NAME@ fields filled in."""
    text = (DEPLOY / template).read_text()
    for name, value in fields.items():
        text = text.replace(f"@{name}@", str(value))
    return text


def _wait_port(port: int, what: str, log: Path, timeout: float = START_TIMEOUT_S) -> None:
    """Wait until something accepts connections on the port; ClusterError with the log's tail if not."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=1):
            return
        time.sleep(0.1)
    tail = log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"
    raise ClusterError(f"{what} is not listening on {port} after {timeout:.0f} s:\n{tail}")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_pid(pid: int | None, timeout: float = 15.0, group: bool = False) -> None:
    """SIGTERM a process we started (its own process group when `group`), SIGKILL if it lingers."""
    if not pid or not _pid_alive(pid):
        return
    kill = os.killpg if group else os.kill
    with contextlib.suppress(ProcessLookupError):
        kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _pid_alive(pid):
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.1)
    if _pid_alive(pid):
        with contextlib.suppress(ProcessLookupError):
            kill(pid, signal.SIGKILL)


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def as_postgres(command: list[str]) -> list[str]:
    """The command run as the postgres OS user when we are root (PostgreSQL refuses root)."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def start_own_postgres(run_dir: Path) -> tuple[Path, int]:
    """initdb a private PostgreSQL cluster in run_dir/pgdata and start it on a free port; (data dir, port)."""
    data, port = run_dir / "pgdata", free_port()
    if os.geteuid() == 0:
        os.chmod(run_dir, 0o777)  # noqa: S103 - a private run folder of a local test layout
    if data.exists():
        shutil.rmtree(data)
    initdb = [str(PG_BIN / "initdb"), "-D", str(data), "-U", PG_USER, "--auth=trust", "-E", "UTF8", "--no-sync"]
    subprocess.run(as_postgres(initdb), check=True, capture_output=True, stdin=subprocess.DEVNULL)
    pg_ctl("start", data, port)
    return data, port


def pg_ctl(action: str, data: Path, port: int | None = None) -> None:
    """pg_ctl start / restart (fast) / stop (fast) on a private cluster, waiting until it is done."""
    command = [str(PG_BIN / "pg_ctl"), action, "-D", str(data), "-w", "-t", "60", "-l", str(data.parent / "pg.log")]
    if action != "start":
        command += ["-m", "fast"]
    if port is not None:
        options = f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c fsync=off"
        command += ["-o", f"{options} -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"]
    subprocess.run(as_postgres(command), check=True, capture_output=True, stdin=subprocess.DEVNULL)


def start_own_redis(run_dir: Path, port: int | None = None) -> int:
    """Start a private redis-server on a free port (no persistence); its port."""
    port = port or free_port()
    command = ["redis-server", "--bind", HOST, "--port", str(port), "--save", "", "--appendonly", "no"]
    command += ["--daemonize", "yes", "--dir", str(run_dir), "--pidfile", str(run_dir / "redis.pid")]
    subprocess.run([*command, "--logfile", str(run_dir / "redis.log")], check=True, stdin=subprocess.DEVNULL)
    _wait_port(port, "redis", run_dir / "redis.log")
    return port


def stop_own_redis(run_dir: Path) -> None:
    """Stop the private redis-server started in run_dir (by its pidfile)."""
    stop_pid(_read_pid(run_dir / "redis.pid"))


def start_pgbouncer(run_dir: Path, pool_size: int = 8, port: int | None = None) -> int:
    """Start PgBouncer (transaction mode) in run_dir on a free port in front of PG_HOST:PG_PORT; its port."""
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not Path(binary).exists():
        raise ClusterError("pgbouncer is not installed (apt-get install pgbouncer)")
    run_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    fields = {"PORT": port, "PG_HOST": PG_HOST, "PG_PORT": PG_PORT, "RUN_DIR": run_dir, "POOL_SIZE": pool_size}
    (run_dir / "pgbouncer.ini").write_text(render("pgbouncer.ini", {**fields, "AUTH_TYPE": "trust"}))
    shutil.copy(DEPLOY / "userlist.txt", run_dir / "userlist.txt")
    command = [binary, "-d", str(run_dir / "pgbouncer.ini")]
    if os.geteuid() == 0:  # PgBouncer refuses root: it switches to the postgres user, who must write here
        command[1:1] = ["-u", "postgres"]
        os.chmod(run_dir, 0o777)  # noqa: S103 - a private run folder of a local test layout
    subprocess.run(command, check=True, cwd=run_dir, stdin=subprocess.DEVNULL)
    _wait_port(port, "pgbouncer", run_dir / "pgbouncer.log")
    return port


def stop_pgbouncer(run_dir: Path) -> None:
    """Stop the PgBouncer started in run_dir (by its pidfile)."""
    stop_pid(_read_pid(run_dir / "pgbouncer.pid"))


def start_nginx(run_dir: Path, upstream_ports: list[int], port: int | None = None, name: str = "nginx") -> int:
    """Start nginx in run_dir/<name> balancing the given gunicorn ports; its port."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(binary).exists():
        raise ClusterError("nginx is not installed (apt-get install nginx)")
    prefix = run_dir / name
    prefix.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    upstreams = "\n".join(f"        server {HOST}:{p} max_fails=1 fail_timeout=2s;" for p in upstream_ports)
    fields = {
        "USER": "user root;" if os.geteuid() == 0 else "",  # here: workers read the checkout's static files
        "RUN_DIR": prefix,
        "PORT": port,
        "UPSTREAMS": upstreams,
        "STATIC_ROOT": REPO / "static",
        "ERROR_ROOT": DEPLOY / "errors",
    }
    (prefix / "nginx.conf").write_text(render("nginx.conf", fields))
    subprocess.run([binary, "-p", str(prefix), "-c", str(prefix / "nginx.conf")], check=True, stdin=subprocess.DEVNULL)
    _wait_port(port, "nginx", prefix / "nginx-error.log")
    return port


def stop_nginx(run_dir: Path, name: str = "nginx") -> None:
    """Stop the nginx started in run_dir/<name> (by its pidfile)."""
    stop_pid(_read_pid(run_dir / name / "nginx.pid"))


def database_urls(database: str, pgbouncer_port: int | None) -> tuple[str, str]:
    """(direct URL, URL through PgBouncer) of the layout's database."""
    direct = f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{database}"
    pooled = f"postgresql+psycopg://{PG_USER}@{HOST}:{pgbouncer_port}/{database}" if pgbouncer_port else direct
    return direct, pooled


def shared_env(run_dir: Path, database_url: str, secret_key: str, **extra: str) -> dict[str, str]:
    """The environment every instance and the job worker share."""
    env = {k: v for k, v in os.environ.items() if k not in ("FLASK_DEBUG", "FLASK_ENV")}
    env.update(
        DATABASE_URL=database_url,
        DATABASE_POOLER="pgbouncer",
        REDIS_URL=REDIS_URL,
        RATELIMIT_KEY_PREFIX=f"cluster-{run_dir.name}",
        SECRET_KEY=secret_key,
        MEDIA_ROOT=str(run_dir / "media"),
        VAPID_PRIVATE_KEY_FILE=str(run_dir / "vapid-private.pem"),
        FEEDS_CACHE_DIR=str(run_dir / "feeds"),
        TRUST_PROXY="1",
        JOBS_EMBEDDED_WORKER="0",
        REQUEST_LOG="0",
        PYTHONUNBUFFERED="1",
        # Load tools send every checkout from one address with one phone: no hoarding limits here.
        ORDER_MAX_OPEN_PER_PHONE="0",
        ORDER_MAX_OPEN_PER_ADDRESS="0",
        EVENTS_RATE_LIMIT="100000 per minute",
    )
    env.update(extra)
    return env


def start_instance(env: dict[str, str], port: int, log: Path, workers: int = 2) -> subprocess.Popen:
    """One gunicorn instance of the shop on 127.0.0.1:port (its own session, so it can be killed as a group)."""
    command = [str(VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--workers", str(workers)]
    command += ["--bind", f"{HOST}:{port}", *_private_control(), "wsgi:app"]
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_healthy(f"http://{HOST}:{port}", proc, log)
    except ClusterError:
        stop_pid(proc.pid, group=True)
        raise
    return proc


@functools.cache
def _private_control() -> tuple[str, ...]:
    """gunicorn >= 27 opens one control socket per user (~/.gunicorn): each instance here does without."""
    help_text = subprocess.run([str(VENV_BIN / "gunicorn"), "--help"], capture_output=True, text=True).stdout
    return ("--no-control-socket",) if "--no-control-socket" in help_text else ()


def wait_healthy(base: str, proc: subprocess.Popen | None, log: Path, timeout: float = START_TIMEOUT_S) -> None:
    """Wait until base/healthz answers 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise ClusterError(f"{base} exited with {proc.returncode}:\n{log.read_text(errors='replace')[-2000:]}")
        with contextlib.suppress(OSError), _OPENER.open(base + "/healthz", timeout=2) as answer:
            if answer.status == 200:
                return
        time.sleep(0.2)
    raise ClusterError(f"{base}/healthz not 200 after {timeout:.0f} s:\n{log.read_text(errors='replace')[-2000:]}")


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    """The job worker (`flask --app wsgi jobs work`) for the whole layout."""
    command = [str(VENV_BIN / "flask"), "--app", "wsgi", "jobs", "work"]
    with open(log, "ab") as out:
        return subprocess.Popen(
            command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def prepare_database(database: str, fresh: bool) -> None:
    """Create the database (dropping it first when `fresh`), migrate it and seed the demo shop (direct, not pooled)."""
    admin_url = f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/postgres"
    psql = ["psql", "-X", "-q", admin_url, "-c"]
    if fresh:
        subprocess.run([*psql, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'], check=True)
    exists = subprocess.run(
        ["psql", "-X", "-tA", admin_url, "-c", f"SELECT 1 FROM pg_database WHERE datname = '{database}'"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    if not exists:
        subprocess.run([*psql, f'CREATE DATABASE "{database}"'], check=True)
    env = {**os.environ, "DATABASE_URL": database_urls(database, None)[0]}
    flask = [str(VENV_BIN / "flask"), "--app", "wsgi"]
    subprocess.run([*flask, "init-db"], cwd=REPO, env=env, check=True, capture_output=True)
    subprocess.run([*flask, "seed-demo", "--if-empty"], cwd=REPO, env=env, check=True, capture_output=True)


@dataclass
class Layout:
    """A running layout: its folder, ports and process ids (saved as <run dir>/state.json)."""

    run_dir: Path
    database: str
    secret_key: str
    pgbouncer_port: int = 0
    nginx_port: int = 0
    instances: dict[str, int] = field(default_factory=dict)  # port (as text) -> gunicorn master pid
    worker_pid: int = 0
    pg_data: str = ""  # the layout's own PostgreSQL cluster ("": the shared server)
    pg_port: int = 0
    redis_port: int = 0  # the layout's own redis-server (0: the shared REDIS_URL)
    extra_env: dict[str, str] = field(default_factory=dict)  # settings every process of the layout gets

    def use_servers(self) -> None:
        """Point this process's PostgreSQL and Redis addresses at the layout's own servers, if it has them."""
        global PG_HOST, PG_PORT, REDIS_URL  # noqa: PLW0603 - the module's addresses, read at call time
        if self.pg_port:
            PG_HOST, PG_PORT = HOST, self.pg_port
        if self.redis_port:
            REDIS_URL = f"redis://{HOST}:{self.redis_port}/0"

    @property
    def url(self) -> str:
        """The shop's address (nginx)."""
        return f"http://{HOST}:{self.nginx_port}"

    def env(self, **extra: str) -> dict[str, str]:
        """The shared environment of this layout's processes."""
        pooled = database_urls(self.database, self.pgbouncer_port)[1]
        return shared_env(self.run_dir, pooled, self.secret_key, **{**self.extra_env, **extra})

    def save(self) -> None:
        """Write state.json."""
        state = {k: (str(v) if isinstance(v, Path) else v) for k, v in self.__dict__.items()}
        (self.run_dir / "state.json").write_text(json.dumps(state, indent=2))

    @classmethod
    def load(cls, run_dir: Path) -> Layout:
        """Read state.json (ClusterError when no layout runs there)."""
        try:
            state = json.loads((run_dir / "state.json").read_text())
        except (OSError, ValueError) as exc:
            raise ClusterError(f"no layout in {run_dir} ({exc})") from exc
        layout = cls(**{**state, "run_dir": Path(state["run_dir"])})
        layout.use_servers()
        return layout

    def start_instance(self, port: int, workers: int = 2) -> int:
        """Start (or restart) the instance on `port`; its master pid."""
        proc = start_instance(self.env(), port, self.run_dir / f"gunicorn-{port}.log", workers)
        self.instances[str(port)] = proc.pid
        self.save()
        return proc.pid

    def start_worker(self) -> int:
        """Start (or restart) the job worker; its pid."""
        self.worker_pid = start_worker(self.env(), self.run_dir / "worker.log").pid
        self.save()
        return self.worker_pid


def up(
    run_dir: Path,
    instances: int,
    database: str,
    fresh: bool = False,
    workers: int = 2,
    own_servers: bool = True,
    extra_env: dict[str, str] | None = None,
) -> Layout:
    """Start (own PostgreSQL and Redis,) PgBouncer, `instances` gunicorns, the job worker and nginx; the layout."""
    if (run_dir / "state.json").exists():
        raise ClusterError(f"a layout already runs in {run_dir}: `bench/cluster.py down --run-dir {run_dir}` first")
    run_dir.mkdir(parents=True, exist_ok=True)
    layout = Layout(run_dir=run_dir, database=database, secret_key=secrets.token_hex(32), extra_env=extra_env or {})
    try:
        if own_servers:
            layout.pg_data = str(run_dir / "pgdata")
            layout.save()  # `down` finds what was started even if a later step fails
            layout.pg_port = start_own_postgres(run_dir)[1]
            layout.save()
            layout.redis_port = start_own_redis(run_dir)
            layout.save()
            layout.use_servers()
        prepare_database(database, fresh or own_servers)
        layout.pgbouncer_port = start_pgbouncer(run_dir)
        layout.save()
        for _ in range(instances):
            layout.start_instance(free_port(), workers)
        layout.start_worker()
        layout.nginx_port = start_nginx(run_dir, [int(p) for p in layout.instances])
        layout.save()
    except BaseException:
        down(run_dir)
        raise
    return layout


def down(run_dir: Path) -> None:
    """Stop nginx, the instances, the job worker and PgBouncer started in run_dir."""
    with contextlib.suppress(ClusterError):
        layout = Layout.load(run_dir)
        stop_nginx(run_dir)
        for pid in layout.instances.values():
            stop_pid(pid, group=True)
        stop_pid(layout.worker_pid, group=True)
        stop_pgbouncer(run_dir)
        if layout.redis_port:
            stop_own_redis(run_dir)
        if layout.pg_data and Path(layout.pg_data, "postmaster.pid").exists():
            with contextlib.suppress(subprocess.CalledProcessError):
                pg_ctl("stop", Path(layout.pg_data))
        if layout.pg_data:
            shutil.rmtree(layout.pg_data, ignore_errors=True)
    stop_pgbouncer(run_dir)
    (run_dir / "state.json").unlink(missing_ok=True)


def stock_up(layout: Layout, units: int = 100_000, variants: int = 4) -> list[tuple[str, int]]:
    """Raise a few demo variants' stock (through the ledger: bench/scale.py); the (slug, variant id) pairs bought."""
    env = {**os.environ, "DATABASE_URL": database_urls(layout.database, None)[0]}
    command = [str(VENV_BIN / "python"), "bench/scale.py", "--stock-up", str(units), "--variants", str(variants)]
    out = subprocess.run(command, cwd=REPO, env=env, check=True, capture_output=True, text=True).stdout
    return [(line.split()[2], int(line.split()[1])) for line in out.splitlines() if line.startswith("checkout-")]


def figures(layout: Layout, seconds: float, clients: int) -> dict:
    """Same-run figures: static file, product and category pages through nginx with 1 and 2 instances; orders/s."""
    sys.path.insert(0, str(REPO / "bench"))
    from run import RESULTS_DIR, ensure_wrk, find_slug, git_commit, parse_wrk
    from shopper import checkout_load

    products = stock_up(layout)
    one = start_nginx(layout.run_dir, [int(next(iter(layout.instances)))], name="nginx-one")
    wrk, results = ensure_wrk(), {}
    try:
        base = {"one": f"http://{HOST}:{one}", "two": layout.url}
        paths = {"product": f"/p/{find_slug(layout.url, 'p')}", "category": f"/c/{find_slug(layout.url, 'c')}"}
        runs = [("static", base["two"] + "/static/css/app.css")]
        runs += [(f"{name}_{n}", base[n] + path) for name, path in paths.items() for n in ("one", "two")]
        for name, url in runs:
            command = [wrk, "-t2", "-c16", f"-d{seconds:.0f}s", "--latency", url]
            results[name] = parse_wrk(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
            print(f"{name:<14} {results[name]['req_s']:>9.0f} req/s  non-2xx {results[name]['non_2xx']}", flush=True)
        static = results["static"]["req_s"]
        ratios = {name: round(r["req_s"] / static, 4) for name, r in results.items() if name != "static"}
        orders = checkout_load(HOST, layout.nginx_port, products, clients, seconds * 2)
        orders.pop("order_tokens")
    finally:
        stop_nginx(layout.run_dir, "nginx-one")
    summary = {"commit": git_commit(), "instances": len(layout.instances), "wrk": results, "ratio_to_static": ratios}
    summary["checkout_through_pgbouncer"] = orders
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "cluster.json").write_text(json.dumps(summary, indent=2))
    print("ratios to nginx's static file:", json.dumps(ratios))
    print(f"orders/s through nginx + PgBouncer ({clients} shoppers): {orders['req_s']:.1f}")
    print(f"failed checkouts: {orders['failed_checkouts']}")
    return summary


def main(argv: list[str] | None = None) -> int:
    """The command line (see the module's docstring)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("up", "down", "status", "bench"))
    parser.add_argument("--instances", type=int, default=2, help="gunicorn instances behind nginx (default 2)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per instance (default 2)")
    parser.add_argument(
        "--database", default=DEFAULT_DATABASE, help=f"PostgreSQL database (default {DEFAULT_DATABASE})"
    )
    parser.add_argument("--fresh", action="store_true", help="drop and re-create the database first")
    parser.add_argument(
        "--shared-servers", action="store_true", help="use the machine's PostgreSQL and Redis, not the layout's own"
    )
    parser.add_argument("--run-dir", type=Path, default=DEFAULT_RUN_DIR, help=f"default {DEFAULT_RUN_DIR}")
    parser.add_argument("--seconds", type=float, default=10, help="bench: seconds per wrk run (checkout: twice)")
    parser.add_argument("--clients", type=int, default=8, help="bench: concurrent shoppers checking out")
    args = parser.parse_args(argv)
    try:
        if args.command == "up":
            own = not args.shared_servers
            layout = up(args.run_dir, args.instances, args.database, args.fresh, args.workers, own_servers=own)
            print(f"shop: {layout.url}  (nginx -> {', '.join(layout.instances)}; PgBouncer :{layout.pgbouncer_port})")
        elif args.command == "down":
            down(args.run_dir)
            print(f"stopped the layout in {args.run_dir}")
        elif args.command == "bench":
            figures(Layout.load(args.run_dir), args.seconds, args.clients)
        else:
            print(json.dumps(Layout.load(args.run_dir).__dict__, default=str, indent=2))
    except (ClusterError, subprocess.CalledProcessError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
