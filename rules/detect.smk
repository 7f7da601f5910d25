# Stage 2: MegaDetector (or an imported MegaDetector file), thresholds, sequences.
if config["detect"]["detector"] == "precomputed":

    rule detect_precomputed:
        input:
            images=result("inventory/images.parquet"),
            precomputed=config["detect"]["precomputed"],
        output:
            raw=result("detect/raw.parquet"),
            quarantine=result("detect/quarantine.parquet"),
        log:
            "logs/detect_precomputed.log",
        conda:
            "../envs/inventory.yaml"
        script:
            "../scripts/detect_precomputed.py"

else:

    if detector_download():

        # Login node, with internet: `snakemake --cores 1 fetch_models`.
        rule fetch_megadetector:
            output:
                detector_download(),
            log:
                "logs/fetch_megadetector.log",
            localrule: True
            conda:
                "../envs/detect.yaml"
            params:
                detector=lookup(dpath="detect/detector", within=config),
            script:
                "../scripts/fetch_megadetector.py"

    # Its own process (python -m): the decode workers are spawned, and a spawned
    # worker re-imports the main module, which must not be a Snakemake script.
    rule detect_megadetector:
        input:
            images=result("inventory/images.parquet"),
            weights=detector_weights,
        output:
            raw=result("detect/raw.parquet"),
            quarantine=result("detect/quarantine.parquet"),
        log:
            "logs/detect_megadetector.log",
        benchmark:
            "benchmarks/detect_megadetector.tsv"
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
            package=workflow.basedir,
            python=python_command,
        shell:
            "PYTHONPATH={params.package} {params.python} -m trapline.detect"
            " --images {input.images} --images-root {params.images_root}"
            " --weights {input.weights} --raw {output.raw}"
            " --quarantine {output.quarantine} --image-size {params.image_size}"
            " --batch-size {params.batch_size} --min-conf {params.min_conf}"
            " --threads {threads} > {log} 2>&1"


rule detections:
    input:
        images=result("inventory/images.parquet"),
        raw=result("detect/raw.parquet"),
        failed=result("detect/quarantine.parquet"),
    output:
        detections=result("detect/detections.parquet"),
        sequences=result("sequences.parquet"),
        summary=result("detect/image_summary.parquet"),
        privacy=result("detect/privacy.parquet"),
    log:
        "logs/detections.log",
    conda:
        "../envs/inventory.yaml"
    params:
        thresholds=lookup(dpath="detect/thresholds", within=config),
        sequence_gap_s=lookup(dpath="detect/sequence_gap_s", within=config),
        drop_person_images=lookup(dpath="privacy/drop_person_images", within=config),
    script:
        "../scripts/detections.py"
