"""The review folder: one page, its data and its images, nothing outside it.

The pipeline runs on a cluster; the review happens on someone's laptop, often
someone else's. So ``review/`` is self-contained: ``index.html`` with its
``app.js`` and ``style.css`` (no network request, no CDN), ``data.js`` (the
queues as JSON, loaded by a script tag because browsers refuse ``fetch`` on
``file://``) and ``img/`` with every image the page shows, resized copies named
by number (a file name never reaches the page as a path). Zip it, send it, open
``index.html``.

Names reach the page only as JSON data that the page sets as text, never as
markup, so an individual called ``<script>`` stays a name.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

import pandas as pd
from PIL import Image, ImageOps

from trapline.identify.decisions import DECISION_COLUMNS
from trapline.identify.progress import Progress
from trapline.review.queues import ReviewSettings, Season, build_queues

log = logging.getLogger(__name__)

APP_FILES = ("index.html", "app.js", "style.css")


def review_data(
    season: Season,
    settings: ReviewSettings,
    crop_paths: dict[str, Path],
    ref_paths: dict[str, Path],
    previous_lines: list[dict[str, str]],
    out: Path,
) -> dict:
    """The page's data, with the images it shows written under ``out/img``."""
    queues = build_queues(season, settings)
    ids = season.identities.set_index("crop_id")
    crops = season.crops.set_index("crop_id")
    catalogue = season.catalogue
    refs_of = {
        ind: group.sort_values("ref_id")
        for ind, group in catalogue.groupby("individual_id")
    }

    wanted_crops: list[str] = []
    wanted_refs: list[str] = []
    for item in queues["matches"]:
        wanted_crops += [item["crop"], *item["all_track_crops"]]
        for c in item["candidates"]:
            wanted_refs.append(c["ref"])
            wanted_refs += _both_flanks(refs_of.get(c["individual"]), c["ref"])
    for item in queues["animals"]:
        wanted_crops += item["crops"]
        for look in item["lookalikes"]:
            wanted_crops += [look["crop"]] if "crop" in look else []
            wanted_refs += [look["ref"]] if "ref" in look else []
    for item in queues["flanks"]:
        wanted_crops += item["left_crops"] + item["right_crops"]
    individuals = _individuals(season, refs_of)
    for info in individuals.values():
        if info["crop"]:
            wanted_crops.append(info["crop"])
        if info["ref"]:
            wanted_refs.append(info["ref"])
    img = out / "img"
    crop_files = _thumbnails(
        _unique(wanted_crops), crop_paths, img, "c", settings.thumbnail_px
    )
    ref_files = _thumbnails(
        _unique(wanted_refs), ref_paths, img, "r", settings.thumbnail_px
    )
    by_ref = catalogue.set_index("ref_id")
    data = {
        "columns": DECISION_COLUMNS,
        "crops": {
            c: {
                "img": crop_files[c],
                "individual": str(ids.loc[c, "individual_id"]),
                "flank": str(ids.loc[c, "flank"]),
                "track": str(ids.loc[c, "track_id"]),
                "station": str(crops.loc[c, "station"]),
                "camera": str(crops.loc[c, "camera"]),
                "datetime": pd.Timestamp(crops.loc[c, "datetime"]).isoformat(),
            }
            for c in crop_files
        },
        "refs": {
            r: {
                "img": ref_files[r],
                "individual": str(by_ref.loc[r, "individual_id"]),
                "flank": str(by_ref.loc[r, "flank"]),
            }
            for r in ref_files
        },
        "catalogue_refs": {
            ind: [r for r in group["ref_id"] if r in ref_files]
            for ind, group in refs_of.items()
        },
        "individuals": individuals,
        "queues": queues,
        "previous": previous_lines,
    }
    keys = [item["key"] for queue in queues.values() for item in queue]
    data["review_id"] = hashlib.sha1(
        json.dumps([keys, previous_lines], sort_keys=True).encode()
    ).hexdigest()[:12]
    return data


def _both_flanks(
    refs: pd.DataFrame | None, shown: str, per_flank: int = 2
) -> list[str]:
    """A candidate's references of each flank (besides the one shown)."""
    if refs is None:
        return []
    out = []
    for _, group in refs.groupby("flank"):
        out += [r for r in group["ref_id"] if r != shown][:per_flank]
    return out


def _individuals(season: Season, refs_of: dict[str, pd.DataFrame]) -> dict[str, dict]:
    """Every identity a decision may name: its captures and one picture."""
    ids = season.identities
    out = {}
    for ind, group in ids.groupby("individual_id"):
        out[str(ind)] = {
            "is_new": bool(group["is_new"].iloc[0]),
            "n_crops": len(group),
            "crop": str(group.sort_values("crop_id")["crop_id"].iloc[0]),
            "ref": None,
            "clusters": sorted(set(group["cluster_id"].astype(str))),
        }
    for ind, refs in refs_of.items():
        entry = out.setdefault(
            str(ind),
            {"is_new": False, "n_crops": 0, "crop": None, "ref": None, "clusters": []},
        )
        entry["ref"] = str(refs["ref_id"].iloc[0])
    return out


def _unique(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(names))


def _thumbnails(
    names: list[str], paths: dict[str, Path], img: Path, prefix: str, size: int
) -> dict[str, str]:
    """Resized copies, numbered; returns name → path relative to the folder.

    An image that cannot be read is left out (the page shows its name instead)
    and logged, rather than failing the review of everything else.
    """
    img.mkdir(parents=True, exist_ok=True)
    out = {}
    progress = Progress(f"review images ({prefix})", len(names), "images")
    for k, name in enumerate(names):
        progress.advance()
        source = paths.get(name)
        target = img / f"{prefix}{k:06d}.jpg"
        if source is None:
            log.warning("review: no image known for %s", name)
            continue
        try:
            with Image.open(source) as im:
                im = ImageOps.exif_transpose(im).convert("RGB")
                im.thumbnail((size, size))
                im.save(target, quality=85)
        except (OSError, TypeError, ValueError) as err:
            log.warning("review: image of %s not copied (%s): %s", name, source, err)
            continue
        out[name] = f"img/{target.name}"
    progress.finish()
    return out


def write_folder(data: dict, out: Path) -> None:
    """The page, its code and ``data.js`` (images are already under ``img/``)."""
    out.mkdir(parents=True, exist_ok=True)
    app = resources.files("trapline.review") / "app"
    for name in APP_FILES:
        with resources.as_file(app / name) as source:
            shutil.copyfile(source, out / name)
    (out / "data.js").write_text(
        "window.TRAPLINE_REVIEW = " + _script_json(data) + ";\n", encoding="utf-8"
    )


def _script_json(data: dict) -> str:
    """JSON safe inside a script: no ``</script>``, no line separators."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, escape in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escape)
    return text
