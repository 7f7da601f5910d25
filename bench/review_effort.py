"""Benchmark: how much work the review takes, for a perfect reviewer.

A scripted reviewer answers every item of the review folder's queues from the
simulated season's truth, the way a person would with the page: each flank link
confirmed or rejected, each new animal confirmed, split or merged (with the
identity it truly is), each uncertain match answered. Its answers are written in
the decisions file the page exports, the workflow reruns with
``identify.decisions`` set, and the next review folder is answered again, until
no queue holds an item.

Reported per round and in total: decisions (one per item answered), the crops
the reviewer was shown (the default view of each answered item: a match's crop
and its track's crops shown beside it, a gallery's crops and its look-alikes'
pictures, a flank link's crops of both sides; every crop of a gallery it split,
which a person would open in full), their share of the season's target crops;
identities before and after against the animals photographed; Chao's M_h and
Schnabel estimates before and after (``capture/estimate.json``, truth beside
them). The reviewer never sees a crop the page would not show.

    .venv/bin/python bench/review_effort.py
    .venv/bin/python bench/review_effort.py --config config/demo.yaml --rounds 5
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import yaml

from trapline.identify.decisions import DECISION_COLUMNS
from trapline.identify.metrics import match_truth

REPO = Path(__file__).resolve().parent.parent
SNAKEMAKE = Path(sys.executable).parent / "snakemake"


def run_workflow(config: Path, cores: int) -> None:
    command = [
        str(SNAKEMAKE), "--snakefile", str(REPO / "Snakefile"),
        "--directory", str(REPO), "--configfile", str(config),
        "--cores", str(cores),
    ]  # fmt: skip
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"the workflow failed:\n{done.stderr[-4000:]}")


def review_data(results: Path) -> dict:
    text = (results / "review" / "data.js").read_text(encoding="utf-8")
    return json.loads(text.split("=", 1)[1].strip().rstrip(";"))


def line(**fields: str) -> dict[str, str]:
    return {c: fields.get(c, "") for c in DECISION_COLUMNS}


class Reviewer:
    """Answers queue items from the truth (crop → true individual)."""

    def __init__(self, results: Path, season: Path, catalogue: set[str]) -> None:
        crops = pd.read_parquet(results / "crops.parquet")
        images = pd.read_parquet(results / "images.parquet")
        truth = pd.read_parquet(season / "truth" / "detections.parquet")
        matched = match_truth(crops, images, truth)
        self.truth = dict(zip(matched["crop_id"], matched["true_id"], strict=True))
        self.catalogue = catalogue
        self.identities = pd.read_parquet(results / "identities.parquet")
        self.members = self.identities.groupby("individual_id")["crop_id"].apply(list)
        self.majority = {
            ind: Counter(self.truth.get(c) for c in crops).most_common(1)[0][0]
            for ind, crops in self.members.items()
        }
        self.seen: set[str] = set()
        self.seen_by_queue: dict[str, set[str]] = {
            "flanks": set(),
            "animals": set(),
            "matches": set(),
        }

    def saw(self, queue: str, crops: set[str]) -> None:
        self.seen |= crops
        self.seen_by_queue[queue] |= crops

    def holder_of(self, true_id: str, besides: str) -> str | None:
        """The identity (other than ``besides``) that is this animal: the
        catalogue's, else a provisional one whose crops are mostly it."""
        if true_id in self.catalogue:
            return true_id
        holders = sorted(
            i for i, t in self.majority.items() if t == true_id and i != besides
        )
        return holders[0] if holders else None

    def flank(self, item: dict) -> list[dict]:
        self.saw("flanks", set(item["left_crops"]) | set(item["right_crops"]))
        same = self.majority.get(item["left"]) == self.majority.get(item["right"])
        return [
            line(
                proposed_individual=item["left"],
                decision="merge" if same else "distinct",
                other_individual=item["right"],
            )
        ]

    def animal(self, item: dict) -> list[dict]:
        me = item["individual"]
        self.saw("animals", set(item["crops"]))
        self.saw(
            "animals", {look["crop"] for look in item["lookalikes"] if "crop" in look}
        )
        true_id = self.majority.get(me)
        lines = []
        strays = [c for c in item["all_crops"] if self.truth.get(c) != true_id]
        if strays:  # a person opens the whole gallery to take crops out
            self.saw("animals", set(item["all_crops"]))
            for c in strays:
                t = self.truth.get(c)
                home = self.holder_of(t, me) if t else None
                if home:
                    lines.append(
                        line(crop_id=c, proposed_individual=home, decision="same")
                    )
                else:
                    name = f"animal-{t or 'unknown'}"
                    lines.append(
                        line(
                            crop_id=c,
                            proposed_individual=me,
                            decision="new",
                            new_name=name,
                        )
                    )
        home = self.holder_of(true_id, me) if true_id else None
        if home:
            lines.append(
                line(proposed_individual=me, decision="merge", other_individual=home)
            )
        elif not strays:
            lines += [
                line(crop_id=c, proposed_individual=me, decision="same")
                for c in item["all_crops"]
            ]
        else:
            keep = [c for c in item["all_crops"] if c not in strays]
            lines += [
                line(crop_id=c, proposed_individual=me, decision="same") for c in keep
            ]
        return lines

    def match(self, item: dict) -> list[dict]:
        self.saw("matches", {item["crop"], *item["track_crops"]})
        t = self.truth.get(item["crop"])
        shown = [c["individual"] for c in item["candidates"]]
        if t in shown:
            return [line(crop_id=item["crop"], proposed_individual=t, decision="same")]
        return [
            line(crop_id=item["crop"], proposed_individual=c, decision="different")
            for c in shown
        ]


SECR_SCRIPT = REPO / "examples" / "capture_secr.R"


def secr_estimate(results: Path) -> dict:
    """secr's null-model fit (``examples/capture_secr.R``): density per hectare
    and the realised number of animals in the mask; unavailable where R cannot
    load secr (``../shared/r/install.sh`` builds it; set ``R_LIBS_USER`` to the
    folder it prints)."""
    if not shutil.which("Rscript"):
        return {"unavailable": "no Rscript"}
    probe = subprocess.run(
        ["Rscript", "-e", "library(secr); library(nanoparquet)"],
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        return {"unavailable": "R cannot load secr and nanoparquet (R_LIBS_USER)"}
    done = subprocess.run(
        ["Rscript", str(SECR_SCRIPT), str(results)],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    if done.returncode != 0:
        return {"failed": done.stderr[-800:]}
    return {"output": done.stdout[-1500:]}


def summary(results: Path, truth_animals: int) -> dict:
    ids = pd.read_parquet(results / "identities.parquet")
    estimate = json.loads((results / "capture" / "estimate.json").read_text())
    est = estimate["estimates"][0]
    out = {
        "identities": int(ids["individual_id"].nunique()),
        "animals_photographed": truth_animals,
        "chao_mh": est["chao_mh"],
        "schnabel": est["schnabel"],
    }
    if "truth" in estimate:
        out["truth"] = estimate["truth"]
    out["secr"] = secr_estimate(results)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=REPO / "config" / "demo.yaml")
    parser.add_argument("--out", type=Path, default=REPO / "bench/out/review-effort")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args()
    base = yaml.safe_load(args.config.read_text())
    out = args.out.resolve()
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    results = out / "results"
    config = base | {"results": str(results)}
    config_path = out / "config.yaml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    decisions_path = out / "decisions.csv"

    start = time.perf_counter()
    run_workflow(config_path, args.cores)
    season = REPO / base["simulate"]["season"]
    from trapline.identify.catalogue import read_catalogue

    catalogue = set(
        read_catalogue(REPO / base["identify"]["catalogue"])["individual_id"]
    )
    reviewer = Reviewer(results, season, catalogue)
    target = len(reviewer.identities)
    animals = len(
        {
            reviewer.truth[c]
            for c in reviewer.identities["crop_id"]
            if c in reviewer.truth
        }
    )
    before = summary(results, animals)
    lines: list[dict] = []
    rounds = []
    seen_total: set[str] = set()
    for k in range(args.rounds):
        data = review_data(results)
        queues = data["queues"]
        sizes = {q: len(items) for q, items in queues.items()}
        if not any(sizes.values()):
            break
        reviewer = Reviewer(results, season, catalogue)
        new = []
        for item in queues["flanks"]:
            new += reviewer.flank(item)
        for item in queues["animals"]:
            new += reviewer.animal(item)
        for item in queues["matches"]:
            new += reviewer.match(item)
        seen_total |= reviewer.seen
        lines += new
        pd.DataFrame(lines, columns=DECISION_COLUMNS).to_csv(
            decisions_path, index=False
        )
        config["identify"] = config.get("identify", {}) | {
            "decisions": str(decisions_path)
        }
        config_path.write_text(yaml.safe_dump(config, sort_keys=False))
        run_workflow(config_path, args.cores)
        rounds.append(
            {
                "round": k + 1,
                "queue_sizes": sizes,
                "decisions": sum(sizes.values()),
                "lines_written": len(new),
                "crops_seen": len(reviewer.seen),
                "crops_seen_by_queue": {
                    q: len(c) for q, c in reviewer.seen_by_queue.items()
                },
                "identities_after": int(
                    pd.read_parquet(results / "identities.parquet")[
                        "individual_id"
                    ].nunique()
                ),
            }
        )
        print(json.dumps(rounds[-1]), file=sys.stderr)
    left = {q: len(items) for q, items in review_data(results)["queues"].items()}
    after = summary(results, animals)
    report = {
        "benchmark": "review_effort",
        "config": str(args.config),
        "target_crops": target,
        "rounds": rounds,
        "queues_left": left,
        "decisions": sum(r["decisions"] for r in rounds),
        "crops_seen": len(seen_total),
        "share_of_crops_seen": round(len(seen_total) / max(target, 1), 4),
        "before": before,
        "after": after,
        "seconds": round(time.perf_counter() - start, 1),
    }
    (out / "report.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
