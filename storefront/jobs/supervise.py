"""A tiny supervisor between gunicorn's master and the embedded job worker: it starts the worker again when it dies.

    python -P storefront/jobs/supervise.py [--first-wait S] [--parent PID] -- <command...>

runs the command. When the command exits without being asked to stop (OOM kill, crash, an error
at start-up), it logs an ERROR line with the exit status to stderr (gunicorn's error log) and
starts it again after a backoff: FIRST_WAIT seconds, doubling up to MAX_WAIT, back to the first
wait after a run longer than HEALTHY_SECONDS. SIGTERM or SIGINT stop it: the command gets a
SIGTERM and STOP_SECONDS to finish its job in hand, then is killed; the supervisor then exits. It
also stops (the same way) when its own parent, gunicorn's master, is gone; --parent names it, so
that a master that died while the supervisor was still starting is noticed too.

It imports nothing of the app, and embedded.py runs it as a file rather than with `-m` (which
would import the storefront package, Flask and the settings first): it starts at once and cannot
die of the app's errors, which are exactly what it is there to survive.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import time

STOP_SECONDS = 20  # gunicorn's graceful_timeout: a job in hand gets as long as a request
FIRST_WAIT = 1.0
MAX_WAIT = 60.0
HEALTHY_SECONDS = 60.0  # a run this long was not a crash loop: the next restart waits FIRST_WAIT again
POLL_SECONDS = 0.25  # how often the command and the parent are looked at

log = logging.getLogger("storefront.jobs.supervise")


def describe(returncode: int) -> str:
    """'status 1' or 'signal SIGKILL' for a Popen return code."""
    if returncode >= 0:
        return f"status {returncode}"
    try:
        return f"signal {signal.Signals(-returncode).name}"
    except ValueError:
        return f"signal {-returncode}"


def terminate(proc: subprocess.Popen, grace: float = STOP_SECONDS) -> None:
    """SIGTERM the command, give it `grace` seconds to finish its job in hand, then kill it."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        log.error("job worker (pid %s) did not stop within %s s; killing it", proc.pid, grace)
        proc.kill()
        proc.wait()


class Supervisor:
    """Runs one command until told to stop, starting it again each time it exits on its own."""

    def __init__(
        self, command: list[str], first_wait: float = FIRST_WAIT, parent: int | None = None, poll: float = POLL_SECONDS
    ) -> None:
        self.command, self.first_wait, self.poll = command, first_wait, poll
        self.parent = parent or os.getppid()
        # A plain flag, not a threading.Event: Event.set() from a signal handler can deadlock on
        # the lock an interrupted Event.wait() holds. pause() sleeps in POLL_SECONDS steps instead.
        self.stopping = False

    def ask_to_stop(self, *_args: object) -> None:
        """The SIGTERM/SIGINT handler."""
        self.stopping = True

    def should_stop(self) -> bool:
        """Asked to stop, or the parent (gunicorn's master) is gone and we were re-parented."""
        return self.stopping or os.getppid() != self.parent

    def pause(self, seconds: float) -> bool:
        """Sleep up to `seconds`; True as soon as the supervisor should stop."""
        deadline = time.monotonic() + seconds
        while not self.should_stop():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(left, self.poll))
        return True

    def run_once(self) -> int | None:
        """Run the command until it exits (its return code) or the supervisor must stop (None)."""
        try:
            proc = subprocess.Popen(self.command)  # noqa: S603 - the command line embedded.py built
        except OSError as error:  # a missing interpreter: report it like a crash, and retry
            log.error("could not start the job worker: %s", error)
            return 127
        while proc.poll() is None:
            if self.pause(self.poll):
                terminate(proc)
                return None
        return proc.returncode

    def run(self) -> int:
        """Keep the command running, with backoff between restarts, until told to stop."""
        wait = self.first_wait
        while not self.should_stop():
            started = time.monotonic()
            returncode = self.run_once()
            if returncode is None:
                break
            lasted = time.monotonic() - started
            if lasted > HEALTHY_SECONDS:
                wait = self.first_wait
            log.error(
                "job worker exited with %s after %.1f s; starting it again in %.1f s",
                describe(returncode),
                lasted,
                wait,
            )
            if self.pause(wait):
                break
            wait = min(wait * 2, MAX_WAIT)
        return 0


def parse(argv: list[str]) -> argparse.Namespace:
    """The options and the command after `--`."""
    parser = argparse.ArgumentParser(prog="supervise", description=__doc__.splitlines()[0])
    parser.add_argument("--first-wait", type=float, default=FIRST_WAIT, help="seconds before the first restart")
    parser.add_argument("--parent", type=int, help="pid of the process to outlive no longer (default: our parent)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the command to keep running")
    args = parser.parse_args(argv)
    if args.command[:1] == ["--"]:
        args.command = args.command[1:]
    if not args.command or args.first_wait <= 0:
        parser.error("give a positive --first-wait and a command after --")
    return args


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, log to stderr like gunicorn does, supervise."""
    args = parse(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format="[%(asctime)s] [%(process)d] [%(levelname)s] %(message)s",
        datefmt="%Y-%m-%d %H:%M:%S %z",
    )
    supervisor = Supervisor(args.command, first_wait=args.first_wait, parent=args.parent)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, supervisor.ask_to_stop)
    return supervisor.run()


if __name__ == "__main__":
    sys.exit(main())
