"""A second Component Model runtime for omnimeter's contract: Wasmtime.

A host implementation of `omnimeter:metrics/recorder@0.1.0` written from
wit/metrics.wit alone (none of omnimeter's code), linked into the example
guests by Wasmtime's Python bindings; and the engine component (world
`backend`) driven through its exports. Prints what each run recorded as JSON
for test/wasmtime/wasmtime.test.ts, which asserts exact values.

And the otel-tool guest against a `wasi:otel/metrics` host written from the
proposal's WIT (wasi:otel 0.2.0-rc.2): each export recorded as received.

    python recorder_host.py <components dir> guests|engine|otel
"""
import json
import math
import re
import struct
import sys
import time

from wasmtime import Config, Engine, Store, WasiConfig
from wasmtime.component import Component, Linker, Record

RECORDER = 'omnimeter:metrics/recorder@0.1.0'
# Prometheus names or OpenTelemetry instrument names / attribute keys, as the WIT's descriptor says.
NAME = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:./-]*$')
LABEL = re.compile(r'^[a-zA-Z_][a-zA-Z0-9_./-]*$')
UNIT = re.compile(r'^[!#-\[\]-~]+$')  # printable ASCII without '"' or '\\'
# The Prometheus words of the UCUM units the WIT's descriptor lists, and the "per" units of rates.
UNIT_WORDS = {'s': 'seconds', 'ms': 'milliseconds', 'By': 'bytes'}
PER_WORDS = {'s': 'second'}
PROMETHEUS_WORDS = ('seconds', 'milliseconds', 'bytes', 'ratio')


def prometheus_key(text):
    """The WIT's translation of a name or key: characters outside [a-zA-Z0-9_:] become `_`, runs of `_` collapse."""
    return re.sub(r'_{2,}', '_', re.sub(r'[^a-zA-Z0-9_:]', '_', text))


def prometheus_word(unit, kind):
    if unit in PROMETHEUS_WORDS or unit == '':
        return unit
    if unit == '1':
        return 'ratio' if kind == 'gauge' else ''
    main, _, per = re.sub(r'\{[^}]*\}', '', unit).partition('/')
    words = [UNIT_WORDS.get(main, main) if main not in ('', '1') else '', f'per_{PER_WORDS.get(per, per)}' if per else '']
    return '_'.join(w for w in words if w)


def prometheus_name(name, unit, kind):
    """The sample name a Prometheus scrape shows for a descriptor, as the WIT says a host translates it."""
    base = prometheus_key(name)
    if kind == 'counter' and base.endswith('_total'):
        base = base[:-6]
    word = prometheus_word(unit, kind)
    if word and base != word and not base.endswith('_' + word):
        base = f'{base}_{word}'
    return base + '_total' if kind == 'counter' else base
KINDS = ('counter', 'gauge', 'histogram', 'summary')
OPS = {
    'counter': ('add',),
    'gauge': ('add', 'set'),
    'histogram': ('observe', 'bucket', 'sum'),
    'summary': ('observe', 'sketch', 'sum'),
}
# The sketch bucket of a value: the top 19 bits of its IEEE-754 representation (the WIT's `sketch` op).
MAX_SKETCH = 0x7FF << 7


def sketch_index(value):
    return struct.unpack('<Q', struct.pack('<d', value))[0] >> 45


def finite(v):
    return isinstance(v, float) and math.isfinite(v)


class RecorderHost:
    """omnimeter:metrics/recorder as the WIT states it: register once, record by number."""

    def __init__(self):
        self.metrics = []  # id - 1 -> metric
        self.by_key = {}
        self.family = {}  # family name -> id, for conflicts
        self.series = []  # id - 1 -> series, None once forgotten
        self.series_by_key = {}
        self.refused = {}

    def refuse(self, reason):
        self.refused[reason] = self.refused.get(reason, 0) + 1
        return 0

    def register_metric(self, _store, d):
        name, kind, labels = d.name, d.kind, list(getattr(d, 'label-names'))
        buckets, quantiles = list(d.buckets), list(d.quantiles)
        if kind not in KINDS or not NAME.match(name) or name.startswith('__') or not (d.unit == '' or UNIT.match(d.unit)):
            return self.refuse('invalid_metric')
        if d.unit in PROMETHEUS_WORDS and not (prometheus_key(name) == d.unit or prometheus_key(name).endswith('_' + d.unit)):
            return self.refuse('invalid_metric')  # a Prometheus unit word must already be the name's suffix
        if prometheus_key(name).startswith('omnimeter_'):
            return self.refuse('reserved_name')  # the host's own namespace, judged by the Prometheus form
        reserved = {'histogram': 'le', 'summary': 'quantile'}.get(kind)
        if len(set(labels)) != len(labels) or any(not LABEL.match(l) or l.startswith('__') or prometheus_key(l) == reserved for l in labels):
            return self.refuse('invalid_metric')
        if any(not math.isfinite(b) for b in buckets) or any(b >= c for b, c in zip(buckets, buckets[1:])):
            return self.refuse('invalid_metric')
        if any(not 0 <= q <= 1 for q in quantiles):
            return self.refuse('invalid_metric')
        family = name[:-6] if kind == 'counter' and name.endswith('_total') else name
        key = (kind, family, d.unit, tuple(labels), tuple(buckets), tuple(quantiles), getattr(d, 'max-age-seconds'), getattr(d, 'age-buckets'))
        if key in self.by_key:
            return self.by_key[key]  # the same descriptor: the same id
        if family in self.family:
            return self.refuse('conflict')
        self.metrics.append({'name': name, 'kind': kind, 'unit': d.unit, 'labelNames': labels,
                             'prometheus': {'name': prometheus_name(name, d.unit, kind), 'labelNames': [prometheus_key(l) for l in labels]},
                             'buckets': buckets or [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]})
        self.by_key[key] = self.family[family] = len(self.metrics)
        return len(self.metrics)

    def register_series(self, _store, metric, values):
        if not 1 <= metric <= len(self.metrics):
            return self.refuse('invalid_series')
        m = self.metrics[metric - 1]
        if len(values) != len(m['labelNames']) and not (values == [] and m['labelNames']):
            return self.refuse('invalid_series')
        overflow = len(values) != len(m['labelNames'])
        key = (metric, 'overflow' if overflow else tuple(values))
        if key in self.series_by_key:
            return self.series_by_key[key]
        self.series.append({'metric': metric, 'key': key, 'labels': [['omnimeter_overflow', 'true']] if overflow else [list(p) for p in zip(m['labelNames'], values)],
                            'value': 0.0, 'count': 0.0, 'sum': 0.0, 'buckets': [0.0] * (len(m['buckets']) + 1), 'sketch': {}})
        self.series_by_key[key] = len(self.series)
        return len(self.series)

    def apply(self, store, series, op, index, value):
        if not 1 <= series <= len(self.series) or self.series[series - 1] is None:
            return self.refuse('unknown_series')
        s = self.series[series - 1]
        if op == 'forget':
            self.series[series - 1] = None
            del self.series_by_key[s['key']]
            return None
        m = self.metrics[s['metric'] - 1]
        kind = m['kind']
        ok = op in OPS[kind] and finite(value)
        if ok and kind == 'counter':
            ok = value >= 0
        if ok and kind == 'summary' and op != 'sketch':
            ok = value >= 0
        if ok and op == 'bucket':
            ok = 0 <= index <= len(m['buckets']) and value >= 0
        if ok and op == 'sketch':
            ok = 0 <= index < MAX_SKETCH and value >= 0
        if not ok:
            return self.refuse('invalid_update')
        if op == 'add':
            s['value'] += value
        elif op == 'set':
            s['value'] = value
        elif op == 'sum':
            s['sum'] += value
        elif op == 'bucket':
            s['buckets'][index] += value
            s['count'] += value
        elif op == 'sketch':
            s['sketch'][index] = s['sketch'].get(index, 0) + value
            s['count'] += value
        elif op == 'observe':
            s['count'] += 1
            s['sum'] += value
            if kind == 'histogram':
                s['buckets'][next((i for i, b in enumerate(m['buckets']) if value <= b), len(m['buckets']))] += 1
            else:
                i = sketch_index(value)
                s['sketch'][i] = s['sketch'].get(i, 0) + 1
        return None

    def apply_batch(self, store, updates):
        for u in updates:
            self.apply(store, u.series, u.op, u.index, u.value)

    def apply_named(self, store, name, labels, op, value):
        kind = 'gauge' if op == 'set' else 'histogram' if op == 'observe' else 'counter'
        d = Record()
        for k, v in {'name': name, 'help': name, 'unit': '', 'kind': kind, 'label-names': [l.name for l in labels], 'buckets': [], 'quantiles': [],
                     'max-age-seconds': 0.0, 'age-buckets': 0}.items():
            setattr(d, k, v)
        metric = self.register_metric(store, d)
        if metric:
            series = self.register_series(store, metric, [l.value for l in labels])
            if series:
                self.apply(store, series, op, 0, value)

    def link(self, linker):
        with linker.root() as root:
            with root.add_instance(RECORDER) as recorder:
                recorder.add_func('register-metric', self.register_metric)
                recorder.add_func('register-series', self.register_series)
                recorder.add_func('apply', self.apply)
                recorder.add_func('apply-batch', self.apply_batch)
                recorder.add_func('apply-named', self.apply_named)
                recorder.add_func('now', lambda _store: time.monotonic())

    def state(self):
        out = []
        for i, m in enumerate(self.metrics):
            series = [s for s in self.series if s is not None and s['metric'] == i + 1]
            out.append({**m, 'series': [{k: (sorted([int(a), b] for a, b in v.items()) if k == 'sketch' else v)
                                          for k, v in s.items() if k not in ('metric', 'key')} for s in series]})
        return {'metrics': out, 'refused': self.refused}


def call(instance, store, name, *args, interface=None):
    index = instance.get_export_index(store, interface) if interface else None
    func = instance.get_func(store, instance.get_export_index(store, name, index))
    result = func(store, *args)
    func.post_return(store)
    return result


def guest(engine, path, calls, wasi=False):
    store = Store(engine)
    host = RecorderHost()
    linker = Linker(engine)
    if wasi:
        linker.add_wasip2()
        store.set_wasi(WasiConfig())
    host.link(linker)
    instance = linker.instantiate(store, Component.from_file(engine, path))
    results = []
    for name, *args in calls:
        try:
            results.append(call(instance, store, name, *args))
        except Exception as error:  # a trap
            results.append({'trap': type(error).__name__})
    return {'results': results, **host.state()}


def run_guests(components):
    engine = Engine()
    doc = lambda n: json.dumps({'items': list(range(n)), 'name': 'x'})
    out = {
        'cpu-tool': guest(engine, f'{components}/cpu-tool/cpu-tool.component.wasm', [('fib', 20, 2), ('spin', 1000), ('spin', 500), ('fan-out', 3)]),
        'json-tool': guest(engine, f'{components}/json-tool/json-tool.component.wasm',
                           [('count-values', doc(3)), ('count-values', '{"name": "h\u00e9llo \u2713 \U0001F600"}'), ('count-values', '[1 2]')]),
        'hostile': guest(engine, f'{components}/hostile/hostile.component.wasm', [('misbehave', m) for m in (0, 2, 4, 5, 6)] + [('misbehave', 3)]),
        'ts-tool': guest(engine, f'{components}/ts-tool/ts-tool.component.wasm', [('handle', '/a', 100)] * 3 + [('handle', '/b', 3000)]),
        'wasi-tool': guest(engine, f'{components}/wasi-tool/wasi-tool.component.wasm', [('work', 1000)], wasi=True),
    }
    return out


def record(fields):
    r = Record()
    for k, v in fields.items():
        setattr(r, k, v)
    return r


def descriptor(name, kind, labels=(), unit='', buckets=(), quantiles=(), max_age=0.0, age_buckets=0):
    return record({'name': name, 'help': name, 'unit': unit, 'kind': kind, 'label-names': list(labels), 'buckets': list(buckets),
                   'quantiles': list(quantiles), 'max-age-seconds': max_age, 'age-buckets': age_buckets})


def run_engine(components):
    engine = Engine()
    store = Store(engine)
    clock = {'ms': 1000.0}
    linker = Linker(engine)
    with linker.root() as root:
        with root.add_instance('omnimeter:metrics/clock@0.1.0') as c:
            c.add_func('now-ms', lambda _store: clock['ms'])
    instance = linker.instantiate(store, Component.from_file(engine, f'{components}/engine/engine.component.wasm'))
    rec = lambda name, *args: call(instance, store, name, *args, interface=RECORDER)
    update = lambda series, op, value, index=0: record({'series': series, 'op': op, 'index': index, 'value': float(value)})
    jobs = rec('register-metric', descriptor('jobs_total', 'counter', ['queue']))
    ids = {
        'jobs': jobs,
        'jobs again': rec('register-metric', descriptor('jobs_total', 'counter', ['queue'])),
        'jobs without _total': rec('register-metric', descriptor('jobs', 'counter', ['queue'])),
        'conflict': rec('register-metric', descriptor('jobs', 'gauge')),
        'bad name': rec('register-metric', descriptor('bad-name!', 'counter')),
    }
    sizes = rec('register-metric', descriptor('size_bytes', 'histogram', unit='bytes', buckets=[10.0, 100.0]))
    latency = rec('register-metric', descriptor('latency_seconds', 'summary', unit='seconds', quantiles=[0.5, 0.99], max_age=60.0, age_buckets=3))
    rec('register-metric', descriptor('depth', 'gauge', ['queue']))
    a = rec('register-series', jobs, ['a'])
    ids['series a again'] = rec('register-series', jobs, ['a'])
    b = rec('register-series', jobs, ['b'])
    overflow = rec('register-series', jobs, [])
    h = rec('register-series', sizes, [])
    s = rec('register-series', latency, [])
    rec('apply-batch', [update(a, 'add', 2), update(a, 'add', 3), update(b, 'add', 1), update(overflow, 'add', 7),
                        update(h, 'bucket', 2, 0), update(h, 'bucket', 1, 2), update(h, 'sum', 512.5), update(h, 'bucket', 9, 3),
                        update(s, 'observe', 0.25), update(s, 'observe', 0.5), update(s, 'sketch', 2, sketch_index(1.0)), update(s, 'sum', 2.0),
                        update(999, 'add', 1), update(a, 'add', -1)])
    rec('apply-batch', [update(b, 'forget', 0)])
    ids['b after forget'] = rec('register-series', jobs, ['b'])
    rec('apply', ids['b after forget'], 'add', 0, 4.0)
    snapshot = call(instance, store, 'snapshot', interface='omnimeter:metrics/collector@0.1.0')
    metrics = [{
        'descriptor': {k: list(v) if isinstance(v, list) else v for k, v in m.descriptor.__dict__.items()},
        'series': [{'labels': [[l.name, l.value] for l in x.labels], 'value': x.value, 'count': x.count, 'sum': x.sum,
                    'bucket-counts': list(getattr(x, 'bucket-counts')), 'quantile-values': list(getattr(x, 'quantile-values'))} for x in m.series],
    } for m in snapshot]
    return {'ids': ids, 'series': {'a': a, 'b': b, 'overflow': overflow}, 'metrics': metrics}



OTEL = 'wasi:otel/metrics@0.2.0-rc.2'
# Interfaces of the proposal the metrics interface takes types from: instances of types only, defined empty.
# wasi:clocks comes from Wasmtime's WASI (StarlingMonkey reads the clocks too).
OTEL_TYPE_IMPORTS = ('wasi:otel/types@0.2.0-rc.2', 'wasi:otel/tracing@0.2.0-rc.2')


def attributes(kvs):
    return {kv.key: json.loads(kv.value) for kv in kvs}  # values are JSON, per types.wit


def otel_point(p):
    out = {'attributes': attributes(p.attributes)}
    if hasattr(p, 'bucket-counts'):
        out.update(count=p.count, bounds=list(p.bounds), bucketCounts=list(getattr(p, 'bucket-counts')), sum=p.sum.payload,
                   sumType=p.sum.tag)
    else:
        out.update(value=p.value.payload, valueType=p.value.tag)
    return out


def run_otel(components):
    """The otel-tool guest against a wasi:otel/metrics host written from the proposal's WIT: every export recorded as received."""
    engine = Engine()
    store = Store(engine)
    linker = Linker(engine)
    linker.add_wasip2()
    store.set_wasi(WasiConfig())
    exports = []

    def export(_store, rm):
        metrics = []
        for scope_metrics in getattr(rm, 'scope-metrics'):
            for m in scope_metrics.metrics:
                data = m.data.payload
                metrics.append({'scope': scope_metrics.scope.name, 'name': m.name, 'unit': m.unit, 'data': m.data.tag,
                                'temporality': getattr(data, 'temporality', None), 'monotonic': getattr(data, 'is-monotonic', None),
                                'points': [otel_point(p) for p in getattr(data, 'data-points')]})
        exports.append({'resource': attributes(getattr(rm, 'resource').attributes), 'metrics': metrics})
        return None  # ok

    with linker.root() as root:
        for name in OTEL_TYPE_IMPORTS:
            with root.add_instance(name):
                pass
        with root.add_instance(OTEL) as otel:
            otel.add_func('export', export)
    instance = linker.instantiate(store, Component.from_file(engine, f'{components}/otel-tool/otel-tool.component.wasm'))
    results = [call(instance, store, 'handle', route, size) for route, size in (('/a', 10), ('/a', 100), ('/b', 5000))]
    results.append(call(instance, store, 'flush'))
    return {'results': results, 'exports': exports}

if __name__ == '__main__':
    components, scenario = sys.argv[1], sys.argv[2]
    print(json.dumps({'guests': run_guests, 'engine': run_engine, 'otel': run_otel}[scenario](components)))
