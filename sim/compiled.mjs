// The compiled sources of a checkout, for the simulator's process and its pool threads: a copy of src/ and sim/ in
// node_modules/.cache/chunkwise/pool-<digest>/, every .ts file transformed one by one with esbuild (as tsx does, so
// names and messages are the same), the other files copied, under a digest of all their contents, so a copy is never
// stale. Code loaded from it runs without a loader thread, a compile per thread, or the helpers tsx adds to every
// function. Plain JavaScript, so it loads before any TypeScript does.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Every file under `directory`, recursively, in a stable order. */
async function filesUnder(directory) {
  const found = [];
  for (const entry of (await readdir(directory, { withFileTypes: true })).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  )) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) found.push(...(await filesUnder(path)));
    else if (entry.isFile()) found.push(path);
  }
  return found;
}

/** The compiled copy of the sources (built once for a given content), or undefined when it cannot be had. */
async function compiledCopy() {
  const root = fileURLToPath(new URL('..', import.meta.url));
  // esbuild's version from its package file: importing esbuild itself waits for a copy to build.
  const esbuildPackage = createRequire(import.meta.url).resolve('esbuild/package.json');
  const esbuildVersion = JSON.parse(await readFile(esbuildPackage, 'utf8')).version;
  const files = [...(await filesUnder(join(root, 'src'))), ...(await filesUnder(join(root, 'sim')))];
  const contents = await Promise.all(files.map((path) => readFile(path)));
  const hash = createHash('sha256').update(`esbuild ${esbuildVersion}\n`);
  files.forEach((path, index) => hash.update(`${relative(root, path)}\n`).update(contents[index]));
  const cache = join(root, 'node_modules', '.cache', 'chunkwise');
  const target = join(cache, `pool-${hash.digest('hex').slice(0, 16)}`);
  const done = join(target, 'sim', 'compiled.mjs');
  if (existsSync(done)) return target;
  // Built aside, then renamed into place whole: a thread never sees half a copy.
  const esbuild = await import('esbuild');
  const building = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  const tsconfigRaw = {
    compilerOptions: { target: 'ES2022', useDefineForClassFields: true, verbatimModuleSyntax: true },
  };
  try {
    for (const [index, path] of files.entries()) {
      const out = join(building, relative(root, path));
      await mkdir(dirname(out), { recursive: true });
      if (!path.endsWith('.ts') || path.endsWith('.d.ts')) {
        await copyFile(path, out);
        continue;
      }
      const { code } = await esbuild.transform(contents[index].toString('utf8'), {
        loader: 'ts',
        format: 'esm',
        target: 'node20',
        sourcemap: 'inline',
        sourcefile: path,
        tsconfigRaw,
      });
      await writeFile(out.replace(/\.ts$/, '.js'), code);
    }
    await rename(building, target).catch(async (error) => {
      // Another thread won the race: its copy is the same.
      if (!existsSync(done)) throw error;
    });
  } finally {
    await rm(building, { recursive: true, force: true });
  }
  await forgetOldCopies(cache, target);
  return target;
}

/**
 * Removes copies of other contents, but the newest few and those made within the hour (a thread that started from
 * one may still be importing from it).
 */
async function forgetOldCopies(cache, keep) {
  const hourMs = 3_600_000;
  const newestKept = 6;
  const copies = [];
  for (const name of await readdir(cache)) {
    const path = join(cache, name);
    if (path === keep || !name.startsWith('pool-')) continue;
    const info = await stat(path).catch(() => undefined);
    if (info !== undefined) copies.push({ path, mtimeMs: info.mtimeMs });
  }
  copies.sort((left, right) => right.mtimeMs - left.mtimeMs);
  for (const { path, mtimeMs } of copies.slice(newestKept))
    if (Date.now() - mtimeMs > hourMs) await rm(path, { recursive: true, force: true });
}

/**
 * Imports `module` (a path under the package root without its extension, e.g. `sim/pool-task`): compiled beside this
 * file when it is (an installed package), else from the compiled copy, else (no esbuild, or no writable cache) the
 * TypeScript source through tsx.
 */
export async function importCompiled(module) {
  const beside = new URL(`../${module}.js`, import.meta.url);
  if (existsSync(beside)) return import(beside.href);
  try {
    const copy = await compiledCopy();
    if (copy !== undefined) return await import(pathToFileURL(join(copy, `${module}.js`)).href);
  } catch {
    // The sources through tsx, as before.
  }
  const { register } = await import('tsx/esm/api');
  register();
  return import(new URL(`../${module}.ts`, import.meta.url).href);
}
