# Stage 5a: a catalogue built from a folder of tagged images (identify.catalogue_kind
# tagged): their keywords read, their animals detected, each tag paired with a box
# into results/catalogue/catalogue.csv, which identify reads as any catalogue table.
if tagged_catalogue():

    rule catalogue_images:
        input:
            catalogue_files,
        output:
            result("catalogue/images.parquet"),
        log:
            result("logs/catalogue_images.log"),
        conda:
            "../envs/inventory.yaml"
        params:
            folder=config["identify"]["catalogue"],
            tags=section("tags"),
        script:
            "../scripts/catalogue_images.py"

    if config["identify"]["catalogue_detections"]:

        rule catalogue_detect_import:
            input:
                precomputed=config["identify"]["catalogue_detections"],
            output:
                result("catalogue/precomputed.parquet"),
            log:
                result("logs/catalogue_detect_import.log"),
            conda:
                "../envs/inventory.yaml"
            params:
                key="identify.catalogue_detections",
            script:
                "../scripts/detect_import.py"

        rule catalogue_detect_shard_import:
            input:
                images=result("catalogue/images.parquet"),
                precomputed=result("catalogue/precomputed.parquet"),
            output:
                result("catalogue/detections.parquet"),
            log:
                result("logs/catalogue_detect_shard_import.log"),
            conda:
                "../envs/inventory.yaml"
            script:
                "../scripts/detect_shard_import.py"

    else:

        # As rule detect_shard, on the catalogue's tagged images (cached per image).
        rule catalogue_detect:
            input:
                images=result("catalogue/images.parquet"),
                weights=detector_weights,
            output:
                update(result("catalogue/detections.parquet")),
            log:
                result("logs/catalogue_detect.log"),
            conda:
                "../envs/detect.yaml"
            threads: 4
            resources:
                gpu=1,
            params:
                images_root=config["identify"]["catalogue"],
                image_size=lookup(dpath="detect/image_size", within=config),
                batch_size=lookup(dpath="detect/batch_size", within=config),
                min_conf=lookup(dpath="detect/min_conf", within=config),
                package=workflow.basedir,
                python=python_command,
            shell:
                "PYTHONPATH={params.package:q} {params.python:q} -m trapline.detect"
                " --images {input.images:q} --images-root {params.images_root:q}"
                " --weights {input.weights:q} --out {output:q}"
                " --image-size {params.image_size} --batch-size {params.batch_size}"
                " --min-conf {params.min_conf} --threads {threads} > {log:q} 2>&1"

    rule catalogue:
        input:
            images=result("catalogue/images.parquet"),
            detections=result("catalogue/detections.parquet"),
        output:
            catalogue=result("catalogue/catalogue.csv"),
            not_placed=result("catalogue/not_placed.csv"),
        log:
            result("logs/catalogue.log"),
        conda:
            "../envs/inventory.yaml"
        params:
            folder=config["identify"]["catalogue"],
            thresholds=section("detect", only=["thresholds"]),
        script:
            "../scripts/catalogue.py"
