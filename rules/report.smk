# The season report: one page of plots beside its PNGs (opens offline from
# file://), and the same PNGs in `snakemake --report` (captions in report/).
rule report:
    input:
        unpack(report_inputs),
    output:
        index=result("report/index.html"),
        files=report(
            result("report/files.png"),
            caption="../report/files.rst",
            category="Season",
            subcategory="1. Files",
        ),
        operation=report(
            result("report/operation.png"),
            caption="../report/operation.rst",
            category="Season",
            subcategory="2. Camera operation",
        ),
        stations=report(
            result("report/stations.png"),
            caption="../report/stations.rst",
            category="Season",
            subcategory="3. Stations",
        ),
        activity=report(
            result("report/activity.png"),
            caption="../report/activity.rst",
            category="Season",
            subcategory="4. Activity",
        ),
        individuals=report(
            result("report/individuals.png"),
            caption="../report/individuals.rst",
            category="Individuals",
            subcategory="5. Individuals",
        ),
        individual_maps=report(
            result("report/individual_maps.png"),
            caption="../report/individual_maps.rst",
            category="Individuals",
            subcategory="5. Individuals",
        ),
        identification=report(
            result("report/identification.png"),
            caption="../report/identification.rst",
            category="Individuals",
            subcategory="6. Identification",
        ),
        estimates=report(
            result("report/estimates.png"),
            caption="../report/estimates.rst",
            category="Individuals",
            subcategory="7. Estimates",
        ),
    log:
        result("logs/report.log"),
    conda:
        "../envs/report.yaml"
    params:
        settings=section("identify", only=["review_low", "review_high"]),
        target_species=lookup(dpath="target_species", within=config),
    script:
        "../scripts/report.py"
