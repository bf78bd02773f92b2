// The models the app offers: the project's bundled models (models/index.json) and textures
// (models/textures/index.json) and, where the converter has written them, the Distill reference
// models (models/distill/index.json) and textures (models/distill-textures/index.json).
import { isPlainObject, readModel } from '@nca-studio/weights-format';
import type { NcaModel } from '@nca-studio/weights-format';

export interface CatalogModel {
  id: string;
  name: string;
  /** Absolute URL of the weights file. */
  url: string;
  gridWidth?: number;
  gridHeight?: number;
  /** The title of its group. */
  group: string;
}

export interface CatalogGroup {
  title: string;
  models: CatalogModel[];
}

/** The manifests read, in order: the first non-empty group gives the default model. */
const MANIFESTS = ['models/index.json', 'models/textures/index.json', 'models/distill/index.json', 'models/distill-textures/index.json'] as const;

/** A model file that could not be fetched (not a bad file: that is a WeightsFormatError). */
export class ModelFetchError extends Error {
  override name = 'ModelFetchError';
}

function positiveInteger(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

/**
 * Reads `{"title", "models": [{"id", "name", "file", "gridWidth", "gridHeight"}]}`; files are
 * relative to the manifest. Throws an Error naming the manifest and the bad entry.
 */
export function parseManifest(json: unknown, manifestUrl: string): CatalogGroup {
  if (!isPlainObject(json) || !Array.isArray(json['models'])) {
    throw new Error(`${manifestUrl}: expected {"title": ..., "models": [...]}`);
  }
  const title = typeof json['title'] === 'string' ? json['title'] : manifestUrl;
  const models = json['models'].map((entry: unknown, i): CatalogModel => {
    if (!isPlainObject(entry) || typeof entry['file'] !== 'string' || entry['file'] === '') {
      throw new Error(`${manifestUrl}: models[${i}] needs a "file"`);
    }
    const file = entry['file'];
    const id = typeof entry['id'] === 'string' ? entry['id'] : file.replace(/\.safetensors$/, '');
    const model: CatalogModel = {
      id,
      name: typeof entry['name'] === 'string' ? entry['name'] : id,
      url: new URL(file, manifestUrl).href,
      group: title,
    };
    const gridWidth = positiveInteger(entry['gridWidth']);
    const gridHeight = positiveInteger(entry['gridHeight']);
    if (gridWidth !== undefined) {
      model.gridWidth = gridWidth;
    }
    if (gridHeight !== undefined) {
      model.gridHeight = gridHeight;
    }
    return model;
  });
  return { title, models };
}

export interface Catalog {
  groups: CatalogGroup[];
  /** Manifests that exist but could not be read. A missing manifest is not a problem. */
  problems: string[];
}

/** Reads every manifest under `base` (a URL ending in /). */
export async function loadCatalog(base: string, fetchImpl: typeof fetch = fetch): Promise<Catalog> {
  const groups: CatalogGroup[] = [];
  const problems: string[] = [];
  for (const path of MANIFESTS) {
    const url = new URL(path, base).href;
    try {
      const response = await fetchImpl(url);
      if (response.status === 404) {
        continue;
      }
      if (!response.ok) {
        throw new Error(`${url}: HTTP ${response.status}`);
      }
      const text = await response.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        // A dev server answers a missing file with its index page.
        if (text.trimStart().startsWith('<')) {
          continue;
        }
        throw new Error(`${url}: not valid JSON`);
      }
      const group = parseManifest(json, url);
      // An empty manifest stands for a folder with nothing in it (see vite.config.ts).
      if (group.models.length > 0) {
        groups.push(group);
      }
    } catch (error) {
      problems.push(error instanceof Error ? error.message : String(error));
    }
  }
  return { groups, problems };
}

/** The first model of the first group that has one (bundled models before Distill's). */
export function defaultModel(groups: readonly CatalogGroup[]): CatalogModel | null {
  for (const group of groups) {
    const first = group.models[0];
    if (first !== undefined) {
      return first;
    }
  }
  return null;
}

/** Fetches and reads a weights file; a bad file throws the WeightsFormatError of readModel. */
export async function fetchModel(url: string, fetchImpl: typeof fetch = fetch): Promise<NcaModel> {
  const name = decodeURIComponent(new URL(url, 'http://x/').pathname.split('/').pop() ?? url);
  let response: Response;
  try {
    response = await fetchImpl(url);
  } catch (error) {
    throw new ModelFetchError(`${name}: could not fetch (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!response.ok) {
    throw new ModelFetchError(`${name}: HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
  }
  return readModel(await response.arrayBuffer(), { source: name });
}

/** Reads a file the user opened or dropped. */
export async function readModelFile(file: Blob & { name: string }): Promise<NcaModel> {
  return readModel(await file.arrayBuffer(), { source: file.name });
}
