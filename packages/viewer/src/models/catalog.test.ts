import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, WeightsFormatError, writeModel } from '@nca-studio/weights-format';
import { defaultModel, fetchModel, loadCatalog, ModelFetchError, parseManifest } from './catalog.ts';

const BASE = 'http://example.test/app/';

/** A fetch over an in-memory site (no network, no mocks of our own code). */
function site(files: Record<string, string | Uint8Array<ArrayBuffer> | number>): typeof fetch {
  return async (input) => {
    const url = String(input);
    const body = files[url];
    if (body === undefined) {
      return new Response('not found', { status: 404, statusText: 'Not Found' });
    }
    if (typeof body === 'number') {
      return new Response('', { status: body });
    }
    return new Response(body);
  };
}

describe('parseManifest', () => {
  it('resolves files against the manifest and keeps grid sizes', () => {
    const group = parseManifest(
      { title: 'Distill reference models', models: [{ id: 'lizard', name: 'Lizard', file: 'ex3.safetensors', gridWidth: 72, gridHeight: 72 }] },
      `${BASE}models/distill/index.json`,
    );
    expect(group).toEqual({
      title: 'Distill reference models',
      models: [
        { id: 'lizard', name: 'Lizard', url: `${BASE}models/distill/ex3.safetensors`, gridWidth: 72, gridHeight: 72, group: 'Distill reference models' },
      ],
    });
  });

  it('names the manifest and the entry it cannot read', () => {
    expect(() => parseManifest({ models: {} }, 'm.json')).toThrow('m.json: expected {"title": ..., "models": [...]}');
    expect(() => parseManifest({ title: 't', models: [{ name: 'x' }] }, 'm.json')).toThrow('m.json: models[0] needs a "file"');
  });
});

describe('loadCatalog', () => {
  it('reads both manifests, skipping a missing or empty one, bundled models first', async () => {
    const fetchImpl = site({
      [`${BASE}models/index.json`]: JSON.stringify({ title: 'Bundled models', models: [] }),
      [`${BASE}models/distill/index.json`]: JSON.stringify({ title: 'Distill', models: [{ file: 'a.safetensors' }, { file: 'b.safetensors' }] }),
    });
    const catalog = await loadCatalog(BASE, fetchImpl);
    expect(catalog.problems).toEqual([]);
    expect(catalog.groups.map((g) => [g.title, g.models.length])).toEqual([['Distill', 2]]);
    // No bundled model yet: the Distill group gives the default.
    expect(defaultModel(catalog.groups)?.url).toBe(`${BASE}models/distill/a.safetensors`);

    const onlyBundled = await loadCatalog(BASE, site({ [`${BASE}models/index.json`]: JSON.stringify({ title: 'B', models: [{ file: 'x.safetensors' }] }) }));
    expect(onlyBundled.groups).toHaveLength(1);
    expect(defaultModel(onlyBundled.groups)?.id).toBe('x');
  });

  it('reports a broken manifest instead of failing, and ignores an HTML fallback page', async () => {
    const catalog = await loadCatalog(
      BASE,
      site({ [`${BASE}models/index.json`]: '{"title": ', [`${BASE}models/distill/index.json`]: '<!doctype html><html></html>' }),
    );
    expect(catalog.groups).toEqual([]);
    expect(catalog.problems).toEqual([`${BASE}models/index.json: not valid JSON`]);
    expect(defaultModel(catalog.groups)).toBeNull();
  });
});

describe('fetchModel', () => {
  const model = {
    config: { ...DEFAULT_CONFIG, channels: 4, hidden: 4 },
    params: {
      dense1Weight: new Float32Array(48).fill(0.5),
      dense1Bias: new Float32Array(4),
      dense2Weight: new Float32Array(16),
      dense2Bias: new Float32Array(4),
    },
  };

  it('reads a weights file', async () => {
    const read = await fetchModel(`${BASE}m.safetensors`, site({ [`${BASE}m.safetensors`]: writeModel(model) }));
    expect(read.config.channels).toBe(4);
    expect(read.params.dense1Weight[47]).toBe(0.5);
  });

  it('says which file failed and why: HTTP status, or the weights-format error', async () => {
    const fetchImpl = site({ [`${BASE}bad.safetensors`]: new Uint8Array([1, 2, 3]), [`${BASE}down.safetensors`]: 500 });
    await expect(fetchModel(`${BASE}missing.safetensors`, fetchImpl)).rejects.toThrow(new ModelFetchError('missing.safetensors: HTTP 404 Not Found'));
    await expect(fetchModel(`${BASE}down.safetensors`, fetchImpl)).rejects.toThrow('down.safetensors: HTTP 500');
    const error = await fetchModel(`${BASE}bad.safetensors`, fetchImpl).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WeightsFormatError);
    expect((error as WeightsFormatError).code).toBe('TRUNCATED');
    expect((error as Error).message).toMatch(/^bad\.safetensors: /);
  });
});
