"""Parses exposition bodies with the Python client's parsers (Debian python3-prometheus-client).

stdin: JSON list of {"format": "openmetrics"|"prometheus", "text": str}
stdout: JSON list of {"families": [...]} or {"error": str}, one per body.
OpenMetrics uses the strict parser; floats travel as Go-style strings so NaN/Inf survive JSON.
"""
import json
import sys

from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_text
from prometheus_client.utils import floatToGoString


def family_to_json(family):
    return {
        "name": family.name,
        "type": family.type,
        "help": family.documentation,
        "unit": family.unit,
        "samples": [
            {
                "name": s.name,
                "labels": s.labels,
                "value": floatToGoString(s.value),
                "exemplar": None
                if s.exemplar is None
                else {"labels": s.exemplar.labels, "value": s.exemplar.value, "timestamp": None if s.exemplar.timestamp is None else float(s.exemplar.timestamp)},
            }
            for s in family.samples
        ],
    }


def main():
    results = []
    for body in json.load(sys.stdin):
        parse = parse_openmetrics if body["format"] == "openmetrics" else parse_text
        try:
            results.append({"families": [family_to_json(f) for f in parse(body["text"])]})
        except Exception as error:  # the parser's verdict is the point
            results.append({"error": f"{type(error).__name__}: {error}"})
    json.dump(results, sys.stdout)


main()
