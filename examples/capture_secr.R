# Spatial capture-recapture from trapline's capture tables: build a secr
# capthist from the Parquet files and fit the null model (D ~ 1, g0 ~ 1,
# sigma ~ 1). Run from the repository root after the demo:
#   Rscript examples/capture_secr.R results/demo
# Needs the CRAN packages secr and nanoparquet (or arrow):
#   install.packages(c("secr", "nanoparquet"))
args <- commandArgs(trailingOnly = TRUE)
results <- if (length(args) > 0) args[1] else "results/demo"
read_parquet <- if (requireNamespace("arrow", quietly = TRUE)) {
  function(f) as.data.frame(arrow::read_parquet(f))
} else {
  function(f) as.data.frame(nanoparquet::read_parquet(f))
}
library(secr)

captures <- read_parquet(file.path(results, "capture/captures.parquet"))
traps <- read_parquet(file.path(results, "capture/traps.parquet"))
effort <- read_parquet(file.path(results, "capture/effort.parquet"))

# One session (the demo has one; capture/occasions.parquet dates its occasions).
session <- sort(unique(traps$Session))[1]
traps <- traps[traps$Session == session, ]
effort <- effort[effort$Session == session, ]
captures <- captures[captures$Session == session, ]
n_occasions <- max(effort$Occasion)

# Detectors: stations in projected metres; usage = effort per occasion
# (NA: not set up, 0: not working; secr wants 0 for both).
detectors <- read.traps(
  data = data.frame(x = traps$x, y = traps$y, row.names = traps$Detector),
  detector = "proximity"
)
days <- matrix(0, nrow(traps), n_occasions, dimnames = list(traps$Detector, NULL))
days[cbind(match(effort$Station, traps$Detector), effort$Occasion)] <-
  ifelse(is.na(effort$effort), 0, effort$effort)
# Effort in days as usage, as camtrapR and trapline's trap file pass it (secr
# models detection as proportional to it); (days > 0) * 1 gives 0/1 usage.
usage(detectors) <- days

# Proximity detectors record an individual at most once per station and occasion.
detections <- unique(data.frame(
  Session = captures$Session, ID = captures$Individual,
  Occasion = captures$Occasion, Detector = captures$Station
))
ch <- make.capthist(detections, detectors, fmt = "trapID", noccasions = n_occasions)
summary(ch)

# The same capthist from the text exports, without Parquet:
# ch <- read.capthist(file.path(results, "capture/secr/captures.txt"),
#                     file.path(results, "capture/secr/traps.txt"),
#                     fmt = "trapID", detector = "proximity",
#                     binary.usage = FALSE, noncapt = "NONE")

buffer <- suggest.buffer(ch)
fit <- secr.fit(ch, model = list(D ~ 1, g0 ~ 1, sigma ~ 1), buffer = buffer, trace = FALSE)
print(predict(fit)) # density per hectare, g0, sigma (metres)
print(region.N(fit)) # expected and realised number of animals in the mask
