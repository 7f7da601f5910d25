# Stage 5: which individual is in each target-species crop; review; metrics.
if config["identify"]["catalogue"]:

    rule identify:
        input:
            unpack(identify_inputs),
        output:
            identities=table(IDENTITIES),
            candidates=result("identify/candidates.parquet"),
            calibration=result("identify/calibration.json"),
            review_sheet=result("review/review.html"),
            review_decisions=result("review/decisions.csv"),
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
