"""CI: `make demo` on a terminal, stopped with Ctrl-C once it is running, exits 0 and leaves no
process behind (the README's first command, as a person runs it). Usage: python scripts/demo_ctrl_c.py"""
import os
import pty
import select
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORT = os.environ.get("PORT", "8766")


def read(fd, seconds, until=None) -> bytes:
    out, deadline = b"", time.time() + seconds
    while time.time() < deadline:
        if select.select([fd], [], [], 1)[0]:
            try:
                data = os.read(fd, 10000)
            except OSError:
                break
            if not data:
                break
            out += data
            if until and until in out:
                break
    return out


def main() -> int:
    database = Path(tempfile.mkdtemp()) / "demo.sqlite3"
    pid, fd = pty.fork()
    if pid == 0:
        os.environ.update(MASA_SQLITE_PATH=str(database), PORT=PORT)
        os.chdir(ROOT)
        os.execvp("make", ["make", "-s", "demo"])
    out = read(fd, 600, until=b"Press Ctrl-C to stop.")
    if b"Press Ctrl-C to stop." not in out:
        print(out.decode(errors="replace")[-2000:])
        return 1
    time.sleep(2)
    os.write(fd, b"\x03")  # what the terminal sends for Ctrl-C: SIGINT to its foreground job
    out += read(fd, 60)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    left = subprocess.run(["pgrep", "-f", f"runserver 127.0.0.1:{PORT}"], capture_output=True, text=True).stdout
    print(out.decode(errors="replace")[-300:])
    print(f"make demo after Ctrl-C: exit {code}; processes left: {left.split() or 'none'}")
    return 0 if code == 0 and not left.strip() and b"Masa demo stopped." in out else 1


if __name__ == "__main__":
    sys.exit(main())
