# Parses Prometheus text exposition from stdin with the Prometheus project's own Python parser
# (python3-prometheus-client) and prints it as JSON: {family: {"type": t, "samples": [[name, labels, value]]}}.
# A malformed exposition makes the parser raise, and this script exit non-zero.
import json
import sys

from prometheus_client.parser import text_string_to_metric_families

out = {}
for family in text_string_to_metric_families(sys.stdin.read()):
    if family.name in out:
        raise SystemExit("family %s appears twice" % family.name)
    out[family.name] = {"type": family.type, "help": family.documentation,
                        "samples": [[s.name, s.labels, s.value] for s in family.samples]}
json.dump(out, sys.stdout)
