import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeStaleTemps, writeFileAtomic, writeFilesAtomic } from '../../src/writers/atomic.js';

let dir: string;

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'robosynth-atomic-'));
});

afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function listAll(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(root, { withFileTypes: true })) {
    const full = path.join(root, e.name);
    if (e.isDirectory()) out.push(...(await listAll(full)).map((n) => path.join(e.name, n)));
    else out.push(e.name);
  }
  return out.sort();
}

describe('writeFileAtomic', () => {
  it('writes the content and leaves no temporary file', async () => {
    const target = path.join(dir, 'a.json');
    await writeFileAtomic(target, '{"x":1}');
    await writeFileAtomic(target, Buffer.from('{"x":2}'));
    expect(await fs.readFile(target, 'utf8')).toBe('{"x":2}');
    expect(await listAll(dir)).toEqual(['a.json']);
  });

  it('many concurrent writes to one folder leave only the targets', async () => {
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => writeFileAtomic(path.join(dir, `f${i}.bin`), Buffer.alloc(1000, i))),
    );
    const names = await listAll(dir);
    expect(names.length).toBe(50);
    expect(names.every((n) => /^f\d+\.bin$/.test(n))).toBe(true);
  });

  it('fails without leaving a temporary when the folder is missing', async () => {
    await expect(writeFileAtomic(path.join(dir, 'nope', 'a.txt'), 'x')).rejects.toThrow();
    expect(await listAll(dir)).toEqual([]);
  });
});

describe('writeFilesAtomic', () => {
  it('writes a set of files with no temporaries left over', async () => {
    await fs.mkdir(path.join(dir, 'rgb'));
    await fs.mkdir(path.join(dir, 'mask'));
    await writeFilesAtomic([
      { path: path.join(dir, 'rgb', '000000.png'), data: Buffer.from([1, 2, 3]) },
      { path: path.join(dir, 'mask', '000000_000000.png'), data: Buffer.from([4]) },
      { path: path.join(dir, 'scene_gt.json'), data: '{}' },
    ]);
    expect(await listAll(dir)).toEqual(['mask/000000_000000.png', 'rgb/000000.png', 'scene_gt.json']);
    expect([...(await fs.readFile(path.join(dir, 'rgb', '000000.png')))]).toEqual([1, 2, 3]);
  });

  it('publishes nothing if any write fails, and cleans its temporaries', async () => {
    await expect(
      writeFilesAtomic([
        { path: path.join(dir, 'ok.txt'), data: 'fine' },
        { path: path.join(dir, 'missing', 'bad.txt'), data: 'fails' },
      ]),
    ).rejects.toThrow();
    expect(await listAll(dir)).toEqual([]);
  });
});

describe('removeStaleTemps', () => {
  it('removes leftover temporaries recursively and keeps real files', async () => {
    await fs.mkdir(path.join(dir, 'sub', 'deeper'), { recursive: true });
    const files = [
      'keep.png',
      'keep.tmp-notes.txt',
      'x.png.tmp-123-0',
      'sub/y.json.tmp-4567-89',
      'sub/keep.json',
      'sub/deeper/z.png.tmp-1-2',
    ];
    for (const f of files) await fs.writeFile(path.join(dir, f), 'x');
    expect(await removeStaleTemps(dir)).toBe(3);
    expect(await listAll(dir)).toEqual(['keep.png', 'keep.tmp-notes.txt', 'sub/keep.json']);
  });

  it('treats a missing folder as clean', async () => {
    expect(await removeStaleTemps(path.join(dir, 'absent'))).toBe(0);
  });
});
