"""Writing results: atomic, and readable as the umask says (colleagues on a cluster)."""

import os
import stat
import subprocess
import sys

from trapline.io import write_atomic


def test_written_files_follow_the_umask(tmp_path):
    """mkstemp makes 0600 files; results must get the mode a new file gets."""
    script = (
        "import os, sys; from pathlib import Path; os.umask(0o022);"
        "from trapline.io import write_atomic;"
        "write_atomic(Path(sys.argv[1]), lambda t: Path(t).write_text('x'))"
    )
    target = tmp_path / "table.parquet"
    subprocess.run([sys.executable, "-c", script, str(target)], check=True)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o644


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path):
    target = tmp_path / "t.txt"
    target.write_text("old")

    def broken(tmp):
        open(tmp, "w").write("half")
        raise RuntimeError("killed")

    try:
        write_atomic(target, broken)
    except RuntimeError:
        pass
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["t.txt"]
