# Stage 2: MegaDetector (or an imported MegaDetector file), thresholds, sequences.
if config["detect"]["detector"] == "precomputed":

    rule detect_import:
        input:
            precomputed=config["detect"]["precomputed"],
        output:
            result("detect/precomputed.parquet"),
        log:
            result("logs/detect_import.log"),
        conda:
            "../envs/inventory.yaml"
        script:
            "../scripts/detect_import.py"

    rule detect_shard_import:
        input:
            images=result("inventory/shards/{shard}.parquet"),
            precomputed=result("detect/precomputed.parquet"),
        output:
            table(SHARD_DETECTIONS),
        log:
            result("logs/detect_shard_import/{shard}.log"),
        conda:
            "../envs/inventory.yaml"
        script:
            "../scripts/detect_shard_import.py"

else:
    if detector_download():

        # Login node, with internet: `snakemake --cores 1 fetch_models`.
        rule fetch_megadetector:
            output:
                detector_download(),
            log:
                result("logs/fetch_megadetector.log"),
            localrule: True
            conda:
                "../envs/detect.yaml"
            params:
                detector=lookup(dpath="detect/detector", within=config),
            script:
                "../scripts/fetch_megadetector.py"

    # Its own process (python -m): the decode workers are spawned, and a spawned
    # worker re-imports the main module, which must not be a Snakemake script.
    # The output is its own cache (update()): only images it lacks are detected.
    rule detect_shard:
        input:
            images=result("inventory/shards/{shard}.parquet"),
            weights=detector_weights,
        output:
            update(table(SHARD_DETECTIONS)),
        log:
            result("logs/detect_shard/{shard}.log"),
        benchmark:
            result("benchmarks/detect_shard/{shard}.tsv")
        conda:
            "../envs/detect.yaml"
        threads: 4
        resources:
            gpu=1,
        params:
            images_root=config["images_root"],
            image_size=lookup(dpath="detect/image_size", within=config),
            batch_size=lookup(dpath="detect/batch_size", within=config),
            min_conf=lookup(dpath="detect/min_conf", within=config),
            save_every=lookup(dpath="detect/save_every", within=config),
            package=workflow.basedir,
            python=python_command,
        shell:
            "PYTHONPATH={params.package:q} {params.python:q} -m trapline.detect"
            " --images {input.images:q} --images-root {params.images_root:q}"
            " --weights {input.weights:q} --out {output:q}"
            " --image-size {params.image_size} --batch-size {params.batch_size}"
            " --min-conf {params.min_conf} --flush-every {params.save_every}"
            " --threads {threads} > {log:q} 2>&1"


rule detect:
    input:
        images=table(INVENTORY),
        shards=per_shard(SHARD_DETECTIONS.file),
    output:
        raw=table(RAW_DETECTIONS),
        failed=result("detect/quarantine.parquet"),
        detections=table(KEPT_DETECTIONS),
        sequences=table(SEQUENCES),
        summary=table(IMAGE_SUMMARY),
        privacy=result("detect/privacy.parquet"),
    log:
        result("logs/detect.log"),
    conda:
        "../envs/inventory.yaml"
    params:
        settings=section("detect", only=["thresholds", "sequence_gap_s"]),
        privacy=section("privacy"),
    script:
        "../scripts/detect.py"
