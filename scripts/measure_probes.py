"""Measure /livez and /readyz with the database and Redis down (closed ports): a gunicorn of this project,
N requests each over one keep-alive-less HTTP client; prints median, p99 and max in milliseconds.

    python scripts/measure_probes.py [N]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fixtures.processes import Gunicorn, free_port, project_env


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    with tempfile.TemporaryDirectory() as tmp:
        web = Gunicorn(
            project_env(
                DATABASE_URL=f"postgres://postgres@127.0.0.1:{free_port()}/down",
                REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
                WINDOWSVC_VAR_DIR=tmp,
                DEBUG="false",
            ),
            Path(tmp) / "gunicorn.log",
        )
        try:
            for path, count in (("/livez", n), ("/readyz", max(n // 10, 10))):
                times, statuses = [], set()
                for _ in range(count):
                    started = time.perf_counter()
                    status, _headers, _body = web.get(path)
                    times.append((time.perf_counter() - started) * 1000)
                    statuses.add(status)
                times.sort()
                print(
                    f"{path} x{count} (database and Redis down): status {sorted(statuses)}, "
                    f"median {statistics.median(times):.2f} ms, p99 {times[int(len(times) * 0.99) - 1]:.2f} ms, "
                    f"max {times[-1]:.2f} ms"
                )
        finally:
            web.stop()


if __name__ == "__main__":
    main()
