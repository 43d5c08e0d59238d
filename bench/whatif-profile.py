#!/usr/bin/env python3
"""Where a what-if replay's time goes, from a JFR recording of WhatIfBenchmark.

Usage (whatif/DESIGN.md, "Speed"):
  jfr print --stack-depth 300 --events jdk.ExecutionSample /tmp/whatif.jfr \
    | python3 bench/whatif-profile.py

Buckets the main thread's samples by phase (the benchmark generating records, the replay) and,
inside the replay, by the innermost known frame; prints the top self frames per bucket and the
other threads (the in-process broker, the producer). JFR keeps 64 frames per stack by default:
a deep stack in the driver loses WhatIf.run, so any stack with Kafka Streams frames counts as
the replay. Samples are taken of threads running Java code, on a CPU or waiting for one: on a
loaded machine they follow elapsed time, so use them for shares, and the benchmark's CPU times
for amounts.
"""
import re
import sys
from collections import Counter, defaultdict

samples = []
thread = None
frames = None
for line in sys.stdin:
    s = line.strip()
    if s.startswith('jdk.ExecutionSample'):
        thread, frames = None, []
    elif s.startswith('sampledThread'):
        m = re.match(r'sampledThread = "(.*)" \(', s)
        thread = m.group(1) if m else s
    elif s.startswith('stackTrace = ['):
        pass
    elif s == ']' or s == '}':
        if s == '}' and frames is not None:
            samples.append((thread, frames))
            frames = None
    elif frames is not None and s and not s.startswith(('startTime', 'state', 'duration')):
        frames.append(re.sub(r'\s+line:.*$', '', s))

print(f'samples: {len(samples)}')
by_thread = Counter(t for t, _ in samples)
print('\n== threads (top 15)')
for t, n in by_thread.most_common(15):
    print(f'{n:7d} {100.0 * n / len(samples):5.1f}%  {t}')


def phase(fr):
    joined = '\n'.join(fr)
    if 'io.meshfed.whatif.WhatIf.run' in joined or 'org.apache.kafka.streams' in joined:
        return 'replay'
    if 'WhatIfBenchmark' in joined:
        return 'generate'
    return 'other'


# innermost-first markers inside the replay; first found scanning from the top frame wins
REPLAY_MARKERS = [
    ('validateSourceTopicNameRegexPattern', 'driver: source-topic regex check'),
    ('captureOutputsAndReEnqueueInternalResults', 'driver: capture/re-enqueue outputs'),
    ('DecideProcessor', 'topology: decide'),
    ('SelectProcessor', 'topology: select'),
    ('IngestProcessor', 'topology: ingest'),
    ('StreamTask.postCommit', 'driver: commit (post)'),
    ('StreamTask.prepareCommit', 'driver: commit (prepare)'),
    ('TopologyTestDriver.commit', 'driver: commit'),
    ('maybePunctuateSystemTime', 'driver: punctuate'),
    ('TopologyTestDriver.advanceWallClockTime', 'driver: clock advance (rest)'),
    ('TopologyTestDriver.pipeRecord', 'driver: pipe (rest)'),
    ('TestInputTopic.pipeInput', 'driver: pipe (rest)'),
    ('WhatIf$Replay.drain', 'replay: drain outputs'),
    ('WhatIf.heartbeat', 'replay: decode heartbeats'),
    ('RoutineHeartbeats', 'replay: routine-heartbeat thinning'),
    ('KafkaConsumer.poll', 'read: consumer poll'),
    ('MergedEvents', 'read: merge'),
    ('WhatIf.readMade', 'read: made decisions'),
    ('WhatIf.existing', 'read: policy pre-read'),
    ('TopologyTestDriver.<init>', 'driver: start'),
]

main = [(t, f) for t, f in samples if t == 'main']
phases = defaultdict(list)
for t, f in main:
    phases[phase(f)].append(f)
print('\n== main thread by phase')
for p, fs in phases.items():
    print(f'{len(fs):7d}  {p}')

rep = phases.get('replay', [])
buckets = defaultdict(list)
for f in rep:
    name = 'replay: other'
    for fr in f:
        hit = next((label for marker, label in REPLAY_MARKERS if marker in fr), None)
        if hit:
            name = hit
            break
    buckets[name].append(f)
print(f'\n== replay buckets (innermost marker), of {len(rep)}')
for name, fs in sorted(buckets.items(), key=lambda kv: -len(kv[1])):
    print(f'{len(fs):7d} {100.0 * len(fs) / max(1, len(rep)):5.1f}%  {name}')

# inclusive: share of replay samples with the frame anywhere
INCL = ['TestInputTopic.pipeInput', 'TopologyTestDriver.advanceWallClockTime',
        'StreamTask.process', 'StreamTask.postCommit', 'StreamTask.prepareCommit',
        'maybePunctuateSystemTime', 'DecideProcessor.process', 'DecideProcessor.onTimer',
        'MergedEvents', 'KafkaConsumer.poll', 'RoutineHeartbeats', 'WhatIf.heartbeat',
        'validateSourceTopicNameRegexPattern', 'captureOutputsAndReEnqueueInternalResults',
        'IngestProcessor', 'SelectProcessor', 'WhatIf$Replay.drain', 'AvroSerde',
        'SchemaRegistryClient', 'ClusterView', 'DestinationEvaluator']
print('\n== replay inclusive')
for m in INCL:
    n = sum(1 for f in rep if any(m in fr for fr in f))
    print(f'{n:7d} {100.0 * n / max(1, len(rep)):5.1f}%  {m}')

for name, fs in sorted(buckets.items(), key=lambda kv: -len(kv[1]))[:8]:
    print(f'\n-- top self frames in {name} ({len(fs)})')
    for fr, n in Counter(f[0] for f in fs if f).most_common(8):
        print(f'{n:7d}  {fr}')

gen = phases.get('generate', [])
print(f'\n-- top self frames in generation ({len(gen)})')
for fr, n in Counter(f[0] for f in gen if f).most_common(10):
    print(f'{n:7d}  {fr}')
