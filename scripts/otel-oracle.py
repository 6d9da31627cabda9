#!/usr/bin/env python3
"""A second, independent implementation of what the OpenTelemetry Collector's `tinybird` exporter
writes, used to check `atel-hooks otel`.

    otel-oracle.py REQUESTS.jsonl > EXPECTED.jsonl

Each input line is `{"path": "/v1/logs", "payload": {OTLP/JSON}}` (the fixture format). The payload
is parsed by Google's protobuf `json_format` into the official Python OTLP classes
(`opentelemetry-proto`), after turning OTLP/JSON's hex ids into proto3 JSON's base64. Each output line
is `{"pb": base64 of the protobuf encoding, "rows": [[datasource, row text], ...]}` with the rows
written from the protobuf objects by the exporter's rules (Go's `encoding/json`, pdata's `AsString`):
nothing is shared with the Rust code.
"""

import base64
import datetime
import json
import math
import sys
from decimal import Decimal

from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

ID_KEYS = {"traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id"}


class NonFinite(Exception):
    pass


def hex_ids_to_base64(node):
    if isinstance(node, dict):
        return {
            k: (base64.b64encode(bytes.fromhex(v)).decode() if k in ID_KEYS and isinstance(v, str) else hex_ids_to_base64(v))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [hex_ids_to_base64(x) for x in node]
    return node


def go_float(f):
    if math.isnan(f) or math.isinf(f):
        raise NonFinite()
    if f == 0:
        return "-0" if math.copysign(1, f) < 0 else "0"
    a = abs(f)
    if a < 1e-6 or a >= 1e21:
        mantissa, exp = repr(f).split("e")
        e = int(exp)
        return f"{mantissa}e{'-' if e < 0 else '+'}{abs(e)}"
    return format(Decimal(repr(f)).normalize(), "f")


def go_str(s):
    text = json.dumps(s, ensure_ascii=False)
    for c, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(c, esc)
    return text


def raw(v):
    """pdata AsRaw: a Python value for one AnyValue."""
    kind = v.WhichOneof("value")
    if kind is None:
        return None
    if kind == "string_value":
        return v.string_value
    if kind == "bool_value":
        return v.bool_value
    if kind == "int_value":
        return int(v.int_value)
    if kind == "double_value":
        return float(v.double_value)
    if kind == "bytes_value":
        return bytes(v.bytes_value)
    if kind == "array_value":
        return [raw(x) for x in v.array_value.values]
    if kind == "kvlist_value":
        out = {}
        for kv in v.kvlist_value.values:
            out[kv.key] = raw(kv.value)
        return out
    raise ValueError(kind)


def marshal(x):
    """Go json.Marshal of an AsRaw value."""
    if x is None:
        return "null"
    if x is True:
        return "true"
    if x is False:
        return "false"
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        return go_float(x)
    if isinstance(x, str):
        return go_str(x)
    if isinstance(x, bytes):
        return go_str(base64.b64encode(x).decode())
    if isinstance(x, list):
        return "[" + ",".join(marshal(i) for i in x) + "]"
    if isinstance(x, dict):
        return "{" + ",".join(go_str(k) + ":" + marshal(x[k]) for k in sorted(x)) + "}"
    raise TypeError(x)


def as_string(v):
    kind = v.WhichOneof("value")
    if kind is None:
        return ""
    if kind == "string_value":
        return v.string_value
    if kind == "bool_value":
        return "true" if v.bool_value else "false"
    if kind == "int_value":
        return str(v.int_value)
    if kind == "double_value":
        d = v.double_value
        if math.isnan(d):
            return "json: unsupported value: NaN"
        if math.isinf(d):
            return "json: unsupported value: " + ("+Inf" if d > 0 else "-Inf")
        return go_float(d)
    if kind == "bytes_value":
        return base64.b64encode(v.bytes_value).decode()
    try:
        return marshal(raw(v))
    except NonFinite:
        return ""


def attrs(kvs):
    m = {}
    for kv in kvs:
        m[kv.key] = as_string(kv.value)
    return m


def ts(ns):
    if ns >= 2**63:
        ns -= 2**64
    secs, frac = divmod(ns, 10**9)
    t = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=secs)
    text = t.strftime("%Y-%m-%dT%H:%M:%S")
    if frac:
        text += "." + f"{frac:09d}".rstrip("0")
    return text + "Z"


def hexid(b):
    return "" if not any(b) else b.hex()


class Row:
    """A Go struct written by encoding/json, field by field in declaration order."""

    def __init__(self):
        self.parts = []

    def put(self, key, text):
        self.parts.append(go_str(key) + ":" + text)

    def s(self, key, value):
        self.put(key, go_str(value))

    def n(self, key, value):
        self.put(key, str(value))

    def f(self, key, value):
        self.put(key, go_float(value))

    def m(self, key, mapping):
        self.put(key, "{" + ",".join(go_str(k) + ":" + go_str(mapping[k]) for k in sorted(mapping)) + "}")

    def text(self):
        return "{" + ",".join(self.parts) + "}"


def service(resource):
    # pdata's Map.Get: the first `service.name` (while the attribute map keeps the last).
    for kv in resource.attributes:
        if kv.key == "service.name":
            return as_string(kv.value)
    return ""


def logs(req):
    out = []
    for rl in req.resource_logs:
        for sl in rl.scope_logs:
            for r in sl.log_records:
                row = Row()
                row.s("resource_schema_url", rl.schema_url)
                row.m("resource_attributes", attrs(rl.resource.attributes))
                row.s("service_name", service(rl.resource))
                row.s("scope_schema_url", sl.schema_url)
                row.m("scope_attributes", attrs(sl.scope.attributes))
                row.s("scope_name", sl.scope.name)
                row.s("scope_version", sl.scope.version)
                row.s("timestamp", ts(r.time_unix_nano or r.observed_time_unix_nano))
                row.s("trace_id", hexid(r.trace_id))
                row.s("span_id", hexid(r.span_id))
                row.n("flags", r.flags)
                row.s("severity_text", r.severity_text)
                row.n("severity_number", r.severity_number)
                row.m("log_attributes", attrs(r.attributes))
                row.s("body", as_string(r.body))
                out.append(["otel_logs", row.text()])
    return out


KINDS = ["Unspecified", "Internal", "Server", "Client", "Producer", "Consumer"]
CODES = ["Unset", "Ok", "Error"]


def arr(items):
    return "[" + ",".join(items) + "]"


def mapping_text(m):
    return "{" + ",".join(go_str(k) + ":" + go_str(m[k]) for k in sorted(m)) + "}"


def traces(req):
    out = []
    for rs in req.resource_spans:
        for ss in rs.scope_spans:
            for sp in ss.spans:
                row = Row()
                row.s("resource_schema_url", rs.schema_url)
                row.m("resource_attributes", attrs(rs.resource.attributes))
                row.s("service_name", service(rs.resource))
                row.s("scope_schema_url", ss.schema_url)
                row.s("scope_name", ss.scope.name)
                row.s("scope_version", ss.scope.version)
                row.m("scope_attributes", attrs(ss.scope.attributes))
                row.s("trace_id", hexid(sp.trace_id))
                row.s("span_id", hexid(sp.span_id))
                row.s("parent_span_id", hexid(sp.parent_span_id))
                row.s("trace_state", sp.trace_state)
                row.n("trace_flags", sp.flags)
                row.s("span_name", sp.name)
                row.s("span_kind", KINDS[sp.kind] if 0 <= sp.kind < len(KINDS) else "")
                row.m("span_attributes", attrs(sp.attributes))
                row.s("start_time", ts(sp.start_time_unix_nano))
                row.s("end_time", ts(sp.end_time_unix_nano))
                signed = lambda x: x - 2**64 if x >= 2**63 else x
                duration = max(-(2**63), min(2**63 - 1, signed(sp.end_time_unix_nano) - signed(sp.start_time_unix_nano)))
                if duration:
                    row.n("duration", duration)
                row.s("status_code", CODES[sp.status.code] if 0 <= sp.status.code < len(CODES) else "")
                row.s("status_message", sp.status.message)
                row.put("events_timestamp", arr(go_str(ts(e.time_unix_nano)) for e in sp.events))
                row.put("events_name", arr(go_str(e.name) for e in sp.events))
                row.put("events_attributes", arr(mapping_text(attrs(e.attributes)) for e in sp.events))
                row.put("links_trace_id", arr(go_str(hexid(l.trace_id)) for l in sp.links))
                row.put("links_span_id", arr(go_str(hexid(l.span_id)) for l in sp.links))
                row.put("links_trace_state", arr(go_str(l.trace_state) for l in sp.links))
                row.put("links_attributes", arr(mapping_text(attrs(l.attributes)) for l in sp.links))
                out.append(["otel_traces", row.text()])
    return out


def number(p):
    kind = p.WhichOneof("value")
    if kind == "as_double":
        return float(p.as_double)
    if kind == "as_int":
        return float(p.as_int)
    return 0.0


def uints(xs):
    return "null" if len(xs) == 0 else arr(str(x) for x in xs)


def metrics(req):
    out = []
    for rm in req.resource_metrics:
        for sm in rm.scope_metrics:
            for m in sm.metrics:
                kind = m.WhichOneof("data")
                if kind in (None, "summary"):
                    continue
                data = getattr(m, kind)
                for p in data.data_points:
                    row = Row()
                    row.s("resource_schema_url", rm.schema_url)
                    row.m("resource_attributes", attrs(rm.resource.attributes))
                    row.s("service_name", service(rm.resource))
                    row.s("start_timestamp", ts(p.start_time_unix_nano))
                    row.s("timestamp", ts(p.time_unix_nano))
                    row.n("flags", p.flags)
                    row.s("metric_name", m.name)
                    row.s("metric_description", m.description)
                    row.s("metric_unit", m.unit)
                    row.m("metric_attributes", attrs(p.attributes))
                    row.s("scope_name", sm.scope.name)
                    row.s("scope_version", sm.scope.version)
                    row.s("scope_schema_url", sm.schema_url)
                    row.m("scope_attributes", attrs(sm.scope.attributes))
                    ex = p.exemplars
                    row.put("exemplars_filtered_attributes", arr(mapping_text(attrs(e.filtered_attributes)) for e in ex))
                    row.put("exemplars_timestamp", arr(go_str(ts(e.time_unix_nano)) for e in ex))
                    row.put("exemplars_value", arr(go_float(number(e)) for e in ex))
                    row.put("exemplars_span_id", arr(go_str(hexid(e.span_id)) for e in ex))
                    row.put("exemplars_trace_id", arr(go_str(hexid(e.trace_id)) for e in ex))
                    if kind == "sum":
                        row.f("value", number(p))
                        row.n("aggregation_temporality", data.aggregation_temporality)
                        row.put("is_monotonic", "true" if data.is_monotonic else "false")
                        ds = "otel_metrics_sum"
                    elif kind == "gauge":
                        row.f("value", number(p))
                        ds = "otel_metrics_gauge"
                    else:
                        row.n("count", p.count)
                        row.f("sum", p.sum)
                        if kind == "histogram":
                            row.put("bucket_counts", uints(p.bucket_counts))
                            row.put("explicit_bounds", "null" if len(p.explicit_bounds) == 0 else arr(go_float(b) for b in p.explicit_bounds))
                            ds = "otel_metrics_histogram"
                        else:
                            row.n("scale", p.scale)
                            row.n("zero_count", p.zero_count)
                            row.n("positive_offset", p.positive.offset)
                            row.put("positive_bucket_counts", uints(p.positive.bucket_counts))
                            row.n("negative_offset", p.negative.offset)
                            row.put("negative_bucket_counts", uints(p.negative.bucket_counts))
                            ds = "otel_metrics_exponential_histogram"
                        if p.HasField("min"):
                            row.f("min", p.min)
                        if p.HasField("max"):
                            row.f("max", p.max)
                        row.n("aggregation_temporality", data.aggregation_temporality)
                    out.append([ds, row.text()])
    return out


SIGNALS = {
    "/v1/logs": (ExportLogsServiceRequest, logs),
    "/v1/traces": (ExportTraceServiceRequest, traces),
    "/v1/metrics": (ExportMetricsServiceRequest, metrics),
}


def main():
    for line in open(sys.argv[1], encoding="utf-8"):
        if not line.strip():
            continue
        item = json.loads(line)
        cls, convert = SIGNALS[item["path"]]
        message = json_format.ParseDict(hex_ids_to_base64(item["payload"]), cls(), ignore_unknown_fields=True)
        try:
            rows = convert(message)
        except NonFinite:
            rows = []
        print(json.dumps({"pb": base64.b64encode(message.SerializeToString()).decode(), "rows": rows}))


if __name__ == "__main__":
    main()
