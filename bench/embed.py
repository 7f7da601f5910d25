"""Benchmark: trapline's Embedder against a naive per-image timm loop.

Same model, same crops, same process, one script run. The model is a DINOv2
ViT-S/14 with registers (``vit_small_patch14_reg4_dinov2.lvd142m``, the default
ViT-L/14's small sibling) at 224 px with random weights, saved once and loaded
by both sides from that file. The crops are animal boxes from a simulated
season (640×360 frames), cut with the crop stage's padding and saved as JPEG.

- ours: ``Embedder(EmbedSettings(..., image_size=224, batch_size=32,
  threads=2))`` as the embed rule runs it on a CPU;
- naive: what a first script does: open each crop, timm's eval transform,
  ``model(x[None])`` one image at a time, autograd on.

Each side embeds one crop first (warm-up, not timed); then the sides take turns
on the same chunks of ``--batch-size`` crops, so a change in the machine's load
hits both alike. Throughput is crops per second summed over the chunks, model
loading excluded. Both sides share one process, so only the process's peak RSS
is reported (both models loaded), not one per side.

    .venv/bin/python bench/embed.py --crops 200
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

OUT = Path("bench/out")
MODEL = "vit_small_patch14_reg4_dinov2.lvd142m"
SIZE = 224


def standin() -> Path:
    """Random-weight ViT-S/14 (registers) at 224 px, saved once."""
    path = OUT / f"embed_standin_vits14_{SIZE}.safetensors"
    if not path.exists():
        import timm
        import torch
        from safetensors.torch import save_file

        torch.manual_seed(0)
        model = timm.create_model(MODEL, pretrained=False, num_classes=0, img_size=SIZE)
        path.parent.mkdir(parents=True, exist_ok=True)
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, path)
    return path


def make_crops(n: int) -> list[Path]:
    """``n`` animal crops from a simulated season (cached under ``bench/out``)."""
    from trapline.crop.cut import pixel_box
    from trapline.simulate import SeasonSettings, simulate_season

    season = OUT / "embed-season"
    if not (season / "truth" / "detections.parquet").exists():
        settings = dataclasses.replace(SeasonSettings.tiny(), days=20, processes=1)
        simulate_season(season, settings)
    boxes = pd.read_parquet(season / "truth" / "detections.parquet")
    boxes = boxes[boxes["category"] == "animal"].head(n).reset_index(drop=True)
    if len(boxes) < n:
        raise SystemExit(f"{season}: only {len(boxes)} animal boxes")
    folder = OUT / "embed-crops"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, row in boxes.iterrows():
        path = folder / f"crop{i:04d}.jpg"
        if not path.exists():
            with Image.open(season / "images" / row["path"]) as image:
                box = (row["bbox_x"], row["bbox_y"], row["bbox_w"], row["bbox_h"])
                image.crop(pixel_box(box, image.size, 0.05)).save(path, quality=95)
        paths.append(path)
    return paths


def naive(weights: Path) -> Callable[[list[Path]], np.ndarray]:
    """A per-image loop as a first script writes it (autograd on, no batching)."""
    import timm
    import torch

    model = timm.create_model(
        MODEL,
        pretrained=True,
        pretrained_cfg_overlay={"file": str(weights)},
        num_classes=0,
        img_size=SIZE,
    ).eval()
    config = timm.data.resolve_model_data_config(model)
    config["input_size"] = (3, SIZE, SIZE)
    transform = timm.data.create_transform(**config, is_training=False)

    def embed(paths: list[Path]) -> np.ndarray:
        vectors = []
        for path in paths:
            x = transform(Image.open(path).convert("RGB"))
            vector = torch.nn.functional.normalize(model(x[None]), dim=1)
            vectors.append(vector.detach().numpy()[0])
        return np.stack(vectors)

    return embed


def interleaved(
    sides: dict[str, Callable[[list[Path]], np.ndarray]], paths: list[Path], chunk: int
) -> dict[str, dict]:
    """Time each side on the same chunks of crops, taking turns chunk by chunk.

    Taking turns keeps the ratio fair on a machine whose load changes during the
    run (others may be benchmarking on it). Each side first embeds one crop
    untimed (warm-up).
    """
    seconds = dict.fromkeys(sides, 0.0)
    vectors: dict[str, list[np.ndarray]] = {name: [] for name in sides}
    for embed in sides.values():
        embed(paths[:1])
    for i in range(0, len(paths), chunk):
        for name, embed in sides.items():
            start = time.perf_counter()
            vectors[name].append(embed(paths[i : i + chunk]))
            seconds[name] += time.perf_counter() - start
    result = {}
    for name in sides:
        norms = np.linalg.norm(np.concatenate(vectors[name]), axis=1)
        result[name] = {
            "seconds": round(seconds[name], 2),
            "crops_per_s": round(len(paths) / seconds[name], 2),
            "unit_vectors": bool(np.allclose(norms, 1, atol=1e-4)),
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crops", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    import torch

    from trapline.embed import Embedder, EmbedSettings

    torch.set_num_threads(args.threads)
    weights = standin()
    paths = make_crops(args.crops)
    sizes = []
    for path in paths:
        with Image.open(path) as image:
            sizes.append(image.size)

    settings = EmbedSettings(
        MODEL, weights, SIZE, batch_size=args.batch_size, threads=args.threads
    )
    sides = {"naive": naive(weights), "ours": Embedder(settings)}
    times = interleaved(sides, paths, args.batch_size)
    result = {
        "crops": len(paths),
        "median_crop_px": [
            int(np.median([s[0] for s in sizes])),
            int(np.median([s[1] for s in sizes])),
        ],
        "model": f"{MODEL} at {SIZE} px, random weights",
        "threads": args.threads,
        "batch_size": args.batch_size,
        **times,
        "throughput_ratio": round(
            times["ours"]["crops_per_s"] / times["naive"]["crops_per_s"], 2
        ),
        "process_peak_rss_gib": round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2
        ),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
