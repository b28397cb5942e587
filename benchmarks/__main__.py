"""Run every benchmark (or those named on the command line) and print their tables; a failure does not stop the rest."""

from __future__ import annotations

import importlib
import os
import sys
import time
import traceback

# Each module has a main() that prints its tables; order: cheap first.
BENCHMARKS = ("ocr", "accuracy", "contracts", "review", "load")


def main(argv: list[str]) -> int:
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    chosen = argv or list(BENCHMARKS)
    failed = []
    for name in chosen:
        try:
            module = importlib.import_module(f"benchmarks.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"benchmarks.{name}":
                print(f"## {name}: not written yet\n")
                continue
            raise
        print(f"## {name}\n", flush=True)
        started = time.perf_counter()
        try:
            module.main()
        except Exception:
            traceback.print_exc()
            failed.append(name)
        print(f"\n({name} took {time.perf_counter() - started:.0f} s)\n", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
