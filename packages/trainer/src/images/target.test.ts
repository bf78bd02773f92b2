import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NcaError } from '../errors.ts';
import { emojiPath, loadTarget } from './target.ts';
import { discPng, hugePng, opaquePng } from '../testing/images.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nca-target-'));
});

const options = { size: 16, padding: 4 };

async function refusal(promise: Promise<unknown>): Promise<NcaError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(NcaError);
  return error as NcaError;
}

describe('loadTarget from a file', () => {
  it('shrinks to the target size, pads, and premultiplies RGB by alpha', async () => {
    const path = join(dir, 'disc.png');
    await writeFile(path, await discPng(64));
    const target = await loadTarget({ kind: 'file', path }, options);
    expect([target.width, target.height]).toEqual([24, 24]);
    expect(target.name).toBe('disc');
    const at = (x: number, y: number): number[] => Array.from(target.rgba.subarray((y * 24 + x) * 4, (y * 24 + x) * 4 + 4));
    // Padding is empty, the centre is the blue core, fully opaque.
    expect(at(1, 1)).toEqual([0, 0, 0, 0]);
    const centre = at(12, 12);
    expect(centre[3]).toBeCloseTo(1, 2);
    expect(centre[2]!).toBeGreaterThan(0.8);
    // Premultiplied: no channel exceeds alpha anywhere.
    for (let i = 0; i < 24 * 24; i++) {
      for (let c = 0; c < 3; c++) {
        expect(target.rgba[i * 4 + c]!).toBeLessThanOrEqual(target.rgba[i * 4 + 3]! + 1e-6);
      }
    }
  });

  it('reads SVG', async () => {
    const path = join(dir, 'star.svg');
    await writeFile(path, '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="20"><rect x="2" y="2" width="6" height="16" fill="green"/></svg>');
    const target = await loadTarget({ kind: 'file', path }, options);
    // Aspect ratio kept: 8 x 16 inside, plus padding.
    expect([target.width, target.height]).toEqual([16, 24]);
  });

  it('refuses a target with nothing visible: an SVG of an external image, a transparent PNG, a speck', async () => {
    const external = join(dir, 'external.svg');
    await writeFile(
      external,
      '<svg xmlns="http://www.w3.org/2000/svg" width="32" height="32"><image href="http://127.0.0.1:9/cat.png" width="32" height="32"/></svg>',
    );
    const transparent = join(dir, 'transparent.png');
    await writeFile(
      transparent,
      await sharp({ create: { width: 20, height: 20, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 0 } } })
        .png()
        .toBuffer(),
    );
    for (const path of [external, transparent]) {
      const e = await refusal(loadTarget({ kind: 'file', path }, options));
      expect(e.code).toBe('TARGET_EMPTY');
      expect(e.exitCode).toBe(2);
      expect(e.message.startsWith(`${path}: no pixel is visible (alpha > 0)`)).toBe(true);
    }
    // One opaque pixel in 200x200, shrunk to 16: a single cell at most.
    const speck = join(dir, 'speck.png');
    const pixels = Buffer.alloc(200 * 200 * 4);
    pixels.set([0, 0, 255, 255], (100 * 200 + 100) * 4);
    await writeFile(
      speck,
      await sharp(pixels, { raw: { width: 200, height: 200, channels: 4 } })
        .png()
        .toBuffer(),
    );
    const e = await refusal(loadTarget({ kind: 'file', path: speck }, options));
    expect(e.code).toBe('TARGET_EMPTY');
    expect(e.message).toMatch(/under the 2x2 a shape needs/);
  });

  it('refuses a missing file', async () => {
    const e = await refusal(loadTarget({ kind: 'file', path: join(dir, 'nope.png') }, options));
    expect(e.code).toBe('TARGET_NOT_FOUND');
    expect(e.exitCode).toBe(2);
  });

  it('refuses an empty file', async () => {
    const path = join(dir, 'empty.png');
    await writeFile(path, '');
    expect((await refusal(loadTarget({ kind: 'file', path }, options))).message).toMatch(/empty \(0 bytes\)/);
  });

  it('refuses a text file named .png', async () => {
    const path = join(dir, 'text.png');
    await writeFile(path, 'hello, this is not an image\n');
    const e = await refusal(loadTarget({ kind: 'file', path }, options));
    expect(e.code).toBe('BAD_TARGET');
    expect(e.message).toMatch(/not an image/);
  });

  it('refuses an image without transparency and says how to proceed', async () => {
    const path = join(dir, 'opaque.png');
    await writeFile(path, await opaquePng());
    const e = await refusal(loadTarget({ kind: 'file', path }, options));
    expect(e.code).toBe('TARGET_NO_ALPHA');
    expect(e.message).toMatch(/--background white/);
  });

  it('keys out a flat background when asked', async () => {
    const path = join(dir, 'opaque2.png');
    await writeFile(path, await opaquePng(64));
    const target = await loadTarget({ kind: 'file', path }, { ...options, background: 'white' });
    const corner = (4 * 24 + 4) * 4;
    expect(target.rgba[corner + 3]).toBe(0);
    expect(target.rgba[(12 * 24 + 12) * 4 + 3]).toBeCloseTo(1, 2);
  });

  it('refuses a 20000x20000 PNG by its header, before decoding it', async () => {
    const path = join(dir, 'huge.png');
    const png = hugePng(20000, 20000);
    expect(png.length).toBeLessThan(1_000_000);
    await writeFile(path, png);
    const e = await refusal(loadTarget({ kind: 'file', path }, options));
    expect(e.code).toBe('TARGET_TOO_LARGE');
    expect(e.message).toMatch(/20000x20000/);
  });
});

describe('loadTarget from an emoji', () => {
  it('finds the bundled Noto image, with or without a variation selector', async () => {
    expect(emojiPath('🦎')).toMatch(/1f98e\.png$/);
    expect(emojiPath('❤️')).toMatch(/2764-fe0f\.png$|2764\.png$/);
    const target = await loadTarget({ kind: 'emoji', char: '🦎' }, { size: 40, padding: 16 });
    expect([target.width, target.height]).toEqual([72, 72]);
    expect(target.rgba.some((v, i) => i % 4 === 3 && v > 0.5)).toBe(true);
  });

  it('refuses text that is not an emoji', async () => {
    expect((await refusal(loadTarget({ kind: 'emoji', char: 'abc' }, options))).code).toBe('UNKNOWN_EMOJI');
  });
});

describe('loadTarget from a URL (local server)', () => {
  let server: Server;
  let base: string;
  let png: Buffer;
  beforeAll(async () => {
    png = await discPng(32);
    server = createServer((req, res) => {
      if (req.url === '/disc.png') {
        res.writeHead(200, { 'content-type': 'image/png' }).end(png);
      } else if (req.url === '/slow.png') {
        // Never answers: the client's timeout must fire.
        setTimeout(() => res.destroy(), 5_000).unref();
      } else if (req.url === '/big.png') {
        res.writeHead(200, { 'content-type': 'image/png' });
        res.end(Buffer.alloc(200_000));
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it('downloads and decodes an image', async () => {
    const target = await loadTarget({ kind: 'url', url: `${base}/disc.png` }, options);
    expect(target.name).toBe('disc');
    expect(target.width).toBe(24);
  });

  it('gives up after the timeout', async () => {
    const started = Date.now();
    const e = await refusal(loadTarget({ kind: 'url', url: `${base}/slow.png` }, { ...options, download: { timeoutMs: 300, maxBytes: 1e6 } }));
    expect(e.code).toBe('DOWNLOAD_FAILED');
    expect(e.message).toMatch(/no answer within 0.3 s/);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('refuses a download over the size limit', async () => {
    const e = await refusal(loadTarget({ kind: 'url', url: `${base}/big.png` }, { ...options, download: { timeoutMs: 5_000, maxBytes: 100_000 } }));
    expect(e.code).toBe('TARGET_TOO_LARGE');
  });

  it('reports an HTTP error', async () => {
    expect((await refusal(loadTarget({ kind: 'url', url: `${base}/missing.png` }, options))).message).toMatch(/HTTP 404/);
  });
});
