"""A real one-node Slurm cluster with a fake GPU, started by hand (no systemd).

The tests submit through it what `snakemake --profile slurm` submits on a real
cluster. Debian's ``slurm-wlm`` and ``munge`` packages (``./install.sh`` installs
them); root is needed to write ``/etc/slurm`` and start the daemons.

- ``/etc/slurm/slurm.conf``, not ``$SLURM_CONF``: the Slurm plugin's job step
  strips every ``SLURM_*`` variable before its inner ``srun``.
- No cgroups (``proctrack/linuxproc``, ``task/none``) and no slurmdbd: ``sacct``
  has nothing to read, so runs pass ``--slurm-status-command squeue`` and the
  cluster keeps finished jobs (``MinJobAge``) well beyond 3 × the plugin's first
  status-check delay.
- One GPU of type ``fake`` whose device file is a link to ``/dev/null`` (Slurm
  drops a GPU without a file): jobs that ask for it get ``CUDA_VISIBLE_DEVICES``,
  torch finds no CUDA and falls back to the CPU.
- Two partitions on the node: ``main`` (default) and ``gpu``.
- The node claims 8 CPUs and 64 GB (``SlurmdParameters=config_overrides``) so the
  profile's requests fit on a small machine; nothing is enforced without cgroups.

One test session at a time owns the cluster (a lock file; a second session
waits). Run ``python tests/cluster/slurm_testcluster.py up`` (or ``down``) to
keep one running by hand.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ETC = Path("/etc/slurm")
MARK = "# trapline test cluster (tests/cluster/slurm_testcluster.py)"
BASE = Path(tempfile.gettempdir()) / "trapline-test-slurm"
LOCK = Path(tempfile.gettempdir()) / "trapline-test-slurm.lock"
LOCK_WAIT_S = 1200
MUNGE_SOCKET_DIR = Path("/run/munge")
MUNGE_PID = MUNGE_SOCKET_DIR / "munged.pid"
PARTITION = "main"
GPU_PARTITION = "gpu"
GPU_TYPE = "fake"
MIN_JOB_AGE = 3600
DAEMONS = ("munged", "slurmctld", "slurmd")


class ClusterError(RuntimeError):
    """The test cluster cannot be set up here; the message says why and what to do."""


@dataclass
class Cluster:
    node: str
    base: Path
    started_s: float
    """Seconds from starting the daemons to an idle node."""
    pids: dict[str, int] = field(default_factory=dict)
    """Daemons this cluster started (munged only when it was not running yet)."""
    lock: int | None = None
    """File descriptor holding LOCK: one test session at a time owns the cluster."""

    def jobs(self, name: str | None = None) -> list[dict[str, str]]:
        """Jobs the controller remembers (``scontrol show job``), by job name."""
        out = subprocess.run(
            ["scontrol", "show", "job", "--oneliner"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        rows = []
        for line in out.splitlines():
            # Values have no spaces in these jobs, except where noted by Slurm.
            row = dict(item.split("=", 1) for item in line.split() if "=" in item)
            if row and (name is None or row.get("JobName") == name):
                rows.append(row)
        return rows


def slurm_conf(node: str, base: Path) -> str:
    return f"""{MARK}
ClusterName=trapline-test
SlurmctldHost={node}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SlurmdParameters=config_overrides
ReturnToService=2
MinJobAge={MIN_JOB_AGE}
GresTypes=gpu
StateSaveLocation={base}/state
SlurmdSpoolDir={base}/spool
SlurmctldPidFile={base}/slurmctld.pid
SlurmdPidFile={base}/slurmd.pid
SlurmctldLogFile={base}/log/slurmctld.log
SlurmdLogFile={base}/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
NodeName={node} NodeAddr=127.0.0.1 CPUs=8 RealMemory=64000 Gres=gpu:{GPU_TYPE}:1 \
State=UNKNOWN
PartitionName={PARTITION} Nodes={node} Default=YES MaxTime=INFINITE State=UP
PartitionName={GPU_PARTITION} Nodes={node} MaxTime=INFINITE State=UP
"""


def gres_conf(node: str, base: Path) -> str:
    return f"""{MARK}
AutoDetect=off
NodeName={node} Name=gpu Type={GPU_TYPE} File={base}/dev/nvidia0
"""


def _check_can_run() -> None:
    missing = [
        tool
        for tool in ("munged", "munge", "slurmctld", "slurmd", "sbatch", "squeue")
        if shutil.which(tool, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
        is None
    ]
    if missing:
        raise ClusterError(
            f"Slurm test cluster: {', '.join(missing)} not installed; run ./install.sh"
            " (apt: slurm-wlm munge)"
        )
    if os.geteuid() != 0:
        raise ClusterError(
            "Slurm test cluster: needs root (writes /etc/slurm, starts munged, "
            "slurmctld and slurmd); run the tests as root, as CI does"
        )
    for name in ("slurm.conf", "gres.conf"):
        path = ETC / name
        if path.exists() and not path.read_text().startswith(MARK):
            raise ClusterError(
                f"Slurm test cluster: {path} exists and is not the test cluster's: "
                "this machine has a Slurm of its own, which the tests leave alone"
            )


def _pid(path: Path) -> int | None:
    try:
        pid = int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pid if _alive(pid) else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is gone for our purposes
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def _wait_gone(pid: int, timeout_s: float) -> bool:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if not _alive(pid):
            return True
        time.sleep(0.1)
    return not _alive(pid)


def _stop_pid(pid: int) -> None:
    for sig, wait_s in ((signal.SIGTERM, 20), (signal.SIGKILL, 5)):
        if not _alive(pid):
            return
        os.kill(pid, sig)
        if _wait_gone(pid, wait_s):
            return


def _munge_works() -> bool:
    encode = subprocess.run(["munge", "-n"], capture_output=True)
    if encode.returncode != 0:
        return False
    return (
        subprocess.run(["unmunge"], input=encode.stdout, capture_output=True).returncode
        == 0
    )


def _take_lock(wait_s: float = LOCK_WAIT_S) -> int:
    """Wait for other test sessions on this machine to give the cluster back."""
    fd = os.open(LOCK, os.O_CREAT | os.O_RDWR, 0o644)
    deadline = time.monotonic() + wait_s
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() > deadline:
                os.close(fd)
                raise ClusterError(
                    f"Slurm test cluster: another test session has held {LOCK} "
                    f"for over {wait_s:.0f} s"
                ) from None
            time.sleep(1)


def _stop_stale(base: Path) -> None:
    """Daemons of an earlier test cluster that was never stopped (killed run)."""
    for name in ("slurmd", "slurmctld"):
        pid = _pid(base / f"{name}.pid")
        if pid:
            _stop_pid(pid)


def start(base: Path = BASE, timeout_s: float = 30) -> Cluster:
    """Write the configuration, start munged (if needed), slurmctld and slurmd."""
    _check_can_run()
    lock = _take_lock()
    try:
        return _start(base, timeout_s, lock)
    except BaseException:
        os.close(lock)
        raise


def _start(base: Path, timeout_s: float, lock: int) -> Cluster:
    node = socket.gethostname().split(".")[0]
    if (ETC / "slurm.conf").exists():
        _stop_stale(base)
    shutil.rmtree(base, ignore_errors=True)
    for sub in ("state", "spool", "log", "dev"):
        (base / sub).mkdir(parents=True)
    (base / "dev/nvidia0").symlink_to("/dev/null")
    ETC.mkdir(parents=True, exist_ok=True)
    (ETC / "slurm.conf").write_text(slurm_conf(node, base))
    (ETC / "gres.conf").write_text(gres_conf(node, base))

    begin = time.monotonic()
    pids = {}
    if not _munge_works():
        MUNGE_SOCKET_DIR.mkdir(parents=True, exist_ok=True)
        shutil.chown(MUNGE_SOCKET_DIR, "munge", "munge")
        subprocess.run(
            ["runuser", "-u", "munge", "--", "/usr/sbin/munged"],
            check=True,
            capture_output=True,
        )
        pids["munged"] = _pid(MUNGE_PID)
        if not _munge_works():
            raise ClusterError("Slurm test cluster: munged started but munge fails")
    for daemon in ("slurmctld", "slurmd"):
        args = [f"/usr/sbin/{daemon}"] + (["-c"] if daemon == "slurmctld" else [])
        done = subprocess.run(args, capture_output=True, text=True)
        if done.returncode != 0:
            stop(Cluster(node, base, 0.0, pids))
            raise ClusterError(f"Slurm test cluster: {daemon} failed: {done.stderr}")
    deadline = time.monotonic() + timeout_s
    state = ""
    while time.monotonic() < deadline:
        state = subprocess.run(
            ["sinfo", "--noheader", "--nodes", node, "--format", "%T"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        if state.splitlines() and set(state.split()) == {"idle"}:
            break
        time.sleep(0.2)
    else:
        pids |= {d: _pid(base / f"{d}.pid") for d in ("slurmctld", "slurmd")}
        stop(Cluster(node, base, 0.0, pids))
        log = (base / "log/slurmctld.log").read_text()[-2000:]
        raise ClusterError(f"Slurm test cluster: node not idle ({state!r}):\n{log}")
    pids |= {d: _pid(base / f"{d}.pid") for d in ("slurmctld", "slurmd")}
    return Cluster(node, base, time.monotonic() - begin, pids, lock)


def stop(cluster: Cluster) -> list[str]:
    """Cancel every job, stop the daemons this cluster started, remove its
    configuration. Returns the daemons still alive afterwards (none, normally)."""
    subprocess.run(["scancel", "--full", "--user", "root"], capture_output=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        queue = subprocess.run(
            ["squeue", "--noheader", "--format", "%i", "--states", "PD,R,CG"],
            capture_output=True,
            text=True,
        )
        if queue.returncode != 0 or not queue.stdout.strip():
            break
        time.sleep(0.5)
    subprocess.run(["scontrol", "shutdown"], capture_output=True)
    for daemon in ("slurmd", "slurmctld", "munged"):
        pid = cluster.pids.get(daemon)
        if pid:
            _stop_pid(pid)
    for name in ("slurm.conf", "gres.conf"):
        path = ETC / name
        if path.exists() and path.read_text().startswith(MARK):
            path.unlink()
    left = [d for d in DAEMONS if cluster.pids.get(d) and _alive(cluster.pids[d])]
    if cluster.lock is not None:
        os.close(cluster.lock)
        cluster.lock = None
    return left


if __name__ == "__main__":
    if sys.argv[1:] == ["up"]:
        up = start()
        print(f"up in {up.started_s:.2f} s: node {up.node}, daemons {up.pids}")
    elif sys.argv[1:] == ["down"]:
        pids = {d: _pid(BASE / f"{d}.pid") for d in ("slurmctld", "slurmd")}
        pids["munged"] = _pid(MUNGE_PID)
        node = socket.gethostname().split(".")[0]
        left = stop(Cluster(node, BASE, 0.0, pids, _take_lock(wait_s=0)))
        print("stopped" if not left else f"still running: {left}")
    else:
        sys.exit("usage: slurm_testcluster.py up|down")
