# trapline: camera-trap images to individual capture histories.
# Run:  snakemake --cores 2 --configfile config/demo.yaml   (the bundled demo)
from snakemake.utils import min_version

min_version("9.27")

# `snakemake --report report.html` (after a run): the season report's plots.


report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/simulate.smk"
include: "rules/inventory.smk"
include: "rules/detect.smk"
include: "rules/crop.smk"
include: "rules/embed.smk"
include: "rules/species.smk"
include: "rules/catalogue.smk"
include: "rules/identify.smk"
include: "rules/capture.smk"
include: "rules/report.smk"


rule all:
    default_target: True
    input:
        final_outputs(rules),
