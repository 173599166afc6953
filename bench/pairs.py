"""Two checkouts' bench/cpu.py at the same time, each on its own core, several times with the cores
swapped every pair: a same-minute comparison of two commits' checkout CPU (issue 22).

    .venv/bin/python bench/pairs.py --a DIR=URL --b DIR=URL [--pairs 8] [--script-a PATH] [-- cpu.py options]

DIR is a checkout (a `git worktree` of the other commit, with a `.venv`), URL its own database
holding a shop (cpu.py's --database). Each side runs DIR's bench/cpu.py, or --script-a/--script-b
(for instance this checkout's cpu.py copied into an older one, to measure both the same way).

Why pairs: on a shared virtual machine the CPU's speed drifts over tens of seconds. Measured one
after the other, the same two commits here gave ratios from 0.58 to 0.92 (December 2026); run at
the same time, both meet the same drift. Which core a side gets matters too (interrupts, the
database's own processes), hence the swap. Prints each step's median per side and the median of
the pairs' ratios b / a.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
from pathlib import Path

STEPS = ("product", "add", "checkout_form", "place", "order_page", "one order")
LINE = re.compile(r"^\s+(product|add|checkout_form|place|order_page|one order)\s+([0-9.]+)", re.M)


def parse_steps(output: str) -> dict[str, float]:
    """cpu.py's checkout figures (ms) by step, `one order` included (not the cached pages after them)."""
    checkout = output.split("cached pages", 1)[0]
    found = {name: float(value) for name, value in LINE.findall(checkout)}
    missing = [name for name in STEPS if name not in found]
    if missing:
        raise ValueError(f"cpu.py printed no figure for {', '.join(missing)}:\n{output[-2000:]}")
    return found


def summarize(pairs: list[tuple[dict[str, float], dict[str, float]]]) -> dict[str, tuple[float, float, float]]:
    """Per step: a's median, b's median and the median of the pairs' ratios b / a."""
    return {
        name: (
            statistics.median(a[name] for a, _ in pairs),
            statistics.median(b[name] for _, b in pairs),
            statistics.median(b[name] / a[name] for a, b in pairs),
        )
        for name in STEPS
    }


def _side(value: str) -> tuple[Path, str]:
    directory, sep, url = value.partition("=")
    if not sep or not url:
        raise argparse.ArgumentTypeError("DIR=URL, for instance ../ref=postgresql+psycopg://...")
    return Path(directory).resolve(), url


def parse_args(argv: list[str] | None) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--a", type=_side, required=True, help="DIR=URL: the 'before' checkout and its database")
    parser.add_argument("--b", type=_side, required=True, help="DIR=URL: the 'after' checkout and its database")
    parser.add_argument("--pairs", type=int, default=8)
    parser.add_argument("--script-a", type=Path, help="the script a runs (default: DIR/bench/cpu.py)")
    parser.add_argument("--script-b", type=Path, help="the script b runs (default: DIR/bench/cpu.py)")
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = argv[argv.index("--") + 1 :] if "--" in argv else ["--orders", "100", "--hits", "200"]
    return parser.parse_args(argv[: argv.index("--")] if "--" in argv else argv), extra


def _start(side: tuple[Path, str], script: Path | None, core: int, extra: list[str]) -> subprocess.Popen:
    directory, url = side
    command = ["taskset", "-c", str(core), str(directory / ".venv/bin/python")]
    command += [str(script or directory / "bench/cpu.py"), "--database", url, *extra]
    return subprocess.Popen(command, cwd=directory, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def main(argv: list[str] | None = None) -> int:
    args, extra = parse_args(argv)
    pairs = []
    for n in range(args.pairs):
        core_a = n % 2
        runs = [_start(args.a, args.script_a, core_a, extra), _start(args.b, args.script_b, 1 - core_a, extra)]
        a, b = (parse_steps(run.communicate()[0]) for run in runs)
        pairs.append((a, b))
        print(f"pair {n + 1}: one order {a['one order']:.2f} -> {b['one order']:.2f} ms", flush=True)
    print(f"{'step':<14} {'a':>7} {'b':>7}  b/a (median of {len(pairs)} pairs)")
    for name, (a, b, ratio) in summarize(pairs).items():
        print(f"{name:<14} {a:7.2f} {b:7.2f}  {ratio:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
