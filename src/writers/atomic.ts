/**
 * Write-then-rename file output.
 *
 * A run can be interrupted at any moment (Ctrl-C, OOM kill, a crashed browser taking the process
 * down), and dataset loaders choke on a truncated PNG or JSON. Writing to a temporary name in the
 * same folder and renaming it over the target means a reader sees either the old file, no file,
 * or the complete new file: rename(2) within one filesystem is atomic, which is also why the
 * temporary file must live next to the target and not in /tmp.
 *
 * No fsync: the aim is to survive our own process dying, not power loss, and an fsync per file
 * would cost more than encoding the frame.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';

export interface FileToWrite {
  path: string;
  data: Buffer | string;
}

/** Matches names made by {@link tempPathFor}, from any process. */
const TEMP_SUFFIX = /\.tmp-\d+-\d+$/;

let counter = 0;

/** pid keeps concurrent runs apart, the counter keeps concurrent writes of one run apart. */
function tempPathFor(target: string): string {
  return `${target}.tmp-${process.pid}-${counter++}`;
}

async function removeQuietly(file: string): Promise<void> {
  // Best-effort cleanup on an error path: the original error is the one worth reporting.
  await fs.rm(file, { force: true }).catch(() => undefined);
}

/** Write `data` to `path` so that the file appears complete or not at all. */
export async function writeFileAtomic(target: string, data: Buffer | string): Promise<void> {
  const tmp = tempPathFor(target);
  try {
    await fs.writeFile(tmp, data);
    await fs.rename(tmp, target);
  } catch (err) {
    await removeQuietly(tmp);
    throw err;
  }
}

/**
 * Write a group of files (e.g. one frame's RGB, depth and masks) so they appear together: all
 * temporaries are written first, concurrently, and only if every write succeeded are they renamed,
 * one after another in the given order. A crash mid-way therefore leaves only temporaries (cleaned
 * by {@link removeStaleTemps}) or a prefix of the list; put a file that readers treat as "this
 * frame is complete" last.
 */
export async function writeFilesAtomic(files: readonly FileToWrite[]): Promise<void> {
  const temps = files.map((f) => tempPathFor(f.path));
  const written = await Promise.allSettled(files.map((f, i) => fs.writeFile(temps[i], f.data)));
  const failure = written.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) {
    await Promise.all(temps.map(removeQuietly));
    throw failure.reason;
  }
  for (let i = 0; i < files.length; i++) {
    try {
      await fs.rename(temps[i], files[i].path);
    } catch (err) {
      await Promise.all(temps.slice(i).map(removeQuietly));
      throw err;
    }
  }
}

/**
 * Delete leftover temporaries (from interrupted runs) under `dir`, recursively; returns how many
 * were removed. Call it before writing into `dir`: it cannot tell a dead run's temporary from one
 * being written right now (pids are reused, notably in containers), so it removes all of them.
 * A missing `dir` counts as clean. Symlinked folders are not followed.
 */
export async function removeStaleTemps(dir: string): Promise<number> {
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  let removed = 0;
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      removed += await removeStaleTemps(full);
    } else if (TEMP_SUFFIX.test(entry.name)) {
      await fs.rm(full, { force: true });
      removed++;
    }
  }
  return removed;
}
