# Stage 5: which individual is in each target-species crop; review; metrics.
if config["identify"]["catalogue"]:

    rule identify:
        input:
            unpack(identify_inputs),
        output:
            identities=table(IDENTITIES),
            candidates=result("identify/candidates.parquet"),
            calibration=result("identify/calibration.json"),
            similar=result("identify/similar.parquet"),
        log:
            result("logs/identify.log"),
        benchmark:
            result("benchmarks/identify.tsv")
        conda:
            "../envs/identify.yaml"
        threads: 2
        params:
            results=results_folder_of_input,
            images_root=config["images_root"],
            settings=section("identify"),
            target_species=lookup(dpath="target_species", within=config),
        script:
            "../scripts/identify.py"

    # The review folder: queues of what a person should decide, one page that
    # opens from file:// anywhere (the folder travels to a laptop).
    rule review:
        input:
            unpack(review_inputs),
        output:
            folder=directory(result("review")),
        log:
            result("logs/review.log"),
        conda:
            "../envs/identify.yaml"
        params:
            results=results_folder_of_input,
            settings=section("review"),
            band=section("identify", only=["review_low", "review_high"]),
        script:
            "../scripts/review.py"


if config["identify"]["catalogue"] and "simulate" in config:

    # Scores against the simulated season's truth (top-1, BAKS/BAUS, ARI).
    rule metrics:
        input:
            identities=table(IDENTITIES),
            candidates=result("identify/candidates.parquet"),
            crops=result("crops.parquet"),
            images=result("images.parquet"),
            detections=result("detections.parquet"),
            truth_detections=simulated("truth/detections.parquet"),
            truth_individuals=simulated("truth/individuals.parquet"),
            settings=simulated("truth/settings.json"),
        output:
            result("metrics.json"),
        log:
            result("logs/metrics.log"),
        conda:
            "../envs/identify.yaml"
        params:
            target_species=lookup(dpath="target_species", within=config),
        script:
            "../scripts/metrics.py"


if (
    config["identify"]["catalogue"]
    and "simulate" not in config
    and config["identify"]["truth"] == "tags"
):

    # Scores against the individuals people tagged in the images (top-1,
    # BAKS/BAUS, ARI on real images); identify ran as if the tags were absent.
    rule metrics_tags:
        input:
            identities=table(IDENTITIES),
            candidates=result("identify/candidates.parquet"),
            crops=result("crops.parquet"),
            images=result("images.parquet"),
        output:
            result("metrics.json"),
        log:
            result("logs/metrics.log"),
        conda:
            "../envs/identify.yaml"
        params:
            catalogue=catalogue_source(),
            target_species=lookup(dpath="target_species", within=config),
        script:
            "../scripts/metrics_tags.py"
