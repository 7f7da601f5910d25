"""Benchmark: forward passes with glibc's defaults against kept freed memory.

``trapline.malloc.keep_freed_memory`` is what the detect and embed jobs call on a
CPU. This script runs the same model on the same input in fresh subprocesses,
alternating the two settings: ``default`` (glibc maps each large activation
afresh and unmaps it when freed) and ``keep`` (``mmap`` off, trimming raised).
Per pass it reports the median wall time, the minor page faults and the
process's peak RSS; the figure to read is the time ratio.

- ``detector``: MegaDetector v5's architecture (the random-weight YOLOv5x6
  stand-in of ``bench/detect.py``, loaded by MegaDetector's loader), one
  1280×960 frame per pass;
- ``vit_large``: DINOv2 ViT-L/14 with registers (the default embedding model,
  random weights), 32 crops at 224 px per pass.

    .venv/bin/python bench/malloc.py --model detector --passes 4 --repeat 2
    .venv/bin/python bench/malloc.py --model vit_large --passes 3 --repeat 2
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

MODES = ("default", "keep")


def load(model: str):
    """The model in eval mode and one pass's input."""
    import torch

    if model == "detector":
        from detect import model as standin

        from trapline.inventory.jpeg import megadetector_imports

        with megadetector_imports():
            from megadetector.detection.pytorch_detector import PTDetector

        net = PTDetector(str(standin()), {"device": "cpu"}).model
        return net, torch.rand(1, 3, 960, 1280)
    import timm

    net = timm.create_model(
        "vit_large_patch14_reg4_dinov2", pretrained=False, img_size=224, num_classes=0
    )
    return net.eval(), torch.rand(32, 3, 224, 224)


def child(model: str, mode: str, passes: int) -> dict[str, float]:
    """One fresh process: warm-up pass, then ``passes`` timed passes."""
    import torch

    from trapline.malloc import keep_freed_memory

    if mode == "keep" and not keep_freed_memory():
        raise SystemExit("glibc did not take the settings")
    torch.set_num_threads(2)
    net, x = load(model)
    times = []
    with torch.inference_mode():
        net(x)
        start = resource.getrusage(resource.RUSAGE_SELF)
        for _ in range(passes):
            t = time.perf_counter()
            net(x)
            times.append(time.perf_counter() - t)
        end = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "s_per_pass": statistics.median(times),
        "faults_per_pass": (end.ru_minflt - start.ru_minflt) / passes,
        "peak_rss_gib": end.ru_maxrss / 2**20,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=("detector", "vit_large"), required=True)
    parser.add_argument("--passes", type=int, default=3, help="timed passes a run")
    parser.add_argument("--repeat", type=int, default=2, help="runs per setting")
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.model, args.child, args.passes)))
        return

    runs: dict[str, list[dict[str, float]]] = {mode: [] for mode in MODES}
    for _ in range(args.repeat):
        for mode in MODES:
            command = [sys.executable, __file__, "--model", args.model]
            command += ["--passes", str(args.passes), "--child", mode]
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            runs[mode].append(json.loads(done.stdout.strip().splitlines()[-1]))

    def mean(mode: str, key: str) -> float:
        return statistics.mean(r[key] for r in runs[mode])

    result = {
        "model": args.model,
        "passes_per_run": args.passes,
        "runs": runs,
        **{
            mode: {
                key: round(mean(mode, key), 3)
                for key in ("s_per_pass", "faults_per_pass", "peak_rss_gib")
            }
            for mode in MODES
        },
        "time_ratio_default_over_keep": round(
            mean("default", "s_per_pass") / mean("keep", "s_per_pass"), 2
        ),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
