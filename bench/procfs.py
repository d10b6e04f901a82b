"""What the benchmark reads from /proc: a process's descendants, command line, CPU time and memory.

Linux only, as the benchmark is; a process that has gone counts as using nothing.
"""

from __future__ import annotations

import os
import threading
from typing import Callable, Self


def children_of(pid: int) -> list[int]:
    """Every descendant of ``pid`` (from /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                # The command name (2nd field) may hold spaces: the parent pid follows its closing ")".
                ppid = int(stat.read().rpartition(")")[2].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        parents.setdefault(ppid, []).append(int(entry))
    found, pending = [], [pid]
    while pending:
        for child in parents.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU time used so far by ``pids`` (those still running)."""
    ticks = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rpartition(")")[2].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, ValueError, IndexError):
            pass
    return ticks / os.sysconf("SC_CLK_TCK")


def command_line(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def memory_kb(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of ``pid`` in KiB; (0, 0) once it is gone."""
    values = {"VmRSS:": 0, "VmHWM:": 0}
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                parts = line.split()  # "VmRSS:", "123456", "kB"
                if parts and parts[0] in values:
                    values[parts[0]] = int(parts[1])
    except OSError:
        pass
    return values["VmRSS:"], values["VmHWM:"]


class LargestReading:
    """Reads ``read()`` every ``interval`` seconds on a thread of its own while it runs (``with``),
    and keeps the largest reading in ``largest``."""

    def __init__(self, read: Callable[[], int], interval: float):
        self.read = read
        self.interval = interval
        self.largest = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.largest = max(self.largest, self.read())
            self._stop.wait(self.interval)


class MemorySampler(LargestReading):
    """The largest RSS of any one of ``pids()`` (KiB), sampled every 0.2 s while it runs."""

    def __init__(self, pids: Callable[[], list[int]]):
        super().__init__(lambda: max((memory_kb(pid)[0] for pid in pids()), default=0), 0.2)
        self.pids = pids

    def peak_kb(self) -> int:
        return max((memory_kb(pid)[1] for pid in self.pids()), default=0)
