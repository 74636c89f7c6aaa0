import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StatefulSet } from 'kubernetes-models/apps/v1';
import { Service } from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';
import { ROOT } from '../../harness/cli.js';

const FILE = join(ROOT, 'deploy', 'kubernetes', 'radar-netflows.yaml');
const docs = parseAllDocuments(readFileSync(FILE, 'utf8')).map((d) => d.toJS() as Record<string, unknown>);
const byKind = (kind: string) => docs.find((d) => d.kind === kind)!;

/** deploy/kubernetes/ against Kubernetes' own schemas (kubernetes-models validates each object). */
describe('the Kubernetes manifests', () => {
  test("every object is valid against Kubernetes' schema", () => {
    expect(docs.map((d) => d.kind)).toEqual(['StatefulSet', 'Service']);
    expect(() => new StatefulSet(byKind('StatefulSet') as never).validate()).not.toThrow();
    expect(() => new Service(byKind('Service') as never).validate()).not.toThrow();
  });

  test('one replica, STATE_DIR on a ReadWriteOnce volume, secrets as files, probes, no privilege', () => {
    const set = new StatefulSet(byKind('StatefulSet') as never);
    const spec = set.spec!;
    expect(spec.replicas).toBe(1);
    const pod = spec.template.spec!;
    const container = pod.containers[0]!;
    const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
    const mounts = Object.fromEntries((container.volumeMounts ?? []).map((m) => [m.name, m.mountPath]));
    expect(mounts.state).toBe(env.STATE_DIR);
    expect(spec.volumeClaimTemplates![0]!.spec!.accessModes).toEqual(['ReadWriteOnce']);
    // Secrets through *_FILE from the mounted Secret, never as values.
    expect(env.CLOUDFLARE_API_TOKEN).toBeUndefined();
    expect(env.CLOUDFLARE_API_TOKEN_FILE!.startsWith(`${mounts.secrets}/`)).toBe(true);
    expect(env.INFLUX_TOKEN_FILE!.startsWith(`${mounts.secrets}/`)).toBe(true);
    expect(container.livenessProbe!.httpGet!.path).toBe('/healthz');
    expect(container.readinessProbe!.httpGet!.path).toBe('/readyz');
    expect(env.HTTP_LISTEN).toBe(`0.0.0.0:${container.ports![0]!.containerPort}`);
    expect(container.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    // Longer than the service's default grace period (30 s), so that SIGTERM's shutdown completes.
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(30);
    expect(spec.template.metadata!.annotations!['prometheus.io/scrape']).toBe('true');
  });
});
