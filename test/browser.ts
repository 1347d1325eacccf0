// The headless Chromium the report tests drive, taken from the @sparticuz/chromium npm package (a
// Chromium binary shipped inside the package), so `npm install && npm test` needs no browser on the
// machine. The package's own executablePath() unpacks into a fixed /tmp/chromium that any version
// reuses and concurrent runs can see half-written; we unpack its files ourselves instead, once per
// package version, and publish them with a rename.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { chromium, type Browser } from 'playwright-core';

/**
 * Flags for a root user on a machine with a closed network: no sandbox (root), no GPU, and no
 * background connections (each one is refused here, some at every start). Playwright adds a fresh
 * --user-data-dir of its own to every launch().
 */
export const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

interface Unpacked {
  executable: string;
  /** NSS, NSPR and expat from the package (its binary links only these), so no system package is needed. */
  libDir: string;
  fontConfig: string;
}

function packageDir(): { dir: string; version: string } {
  const require = createRequire(import.meta.url);
  // The package exports only its entry point: walk up from it to the folder holding bin/.
  let dir = path.dirname(require.resolve('@sparticuz/chromium'));
  while (!fs.existsSync(path.join(dir, 'bin', 'chromium.br'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('@sparticuz/chromium has no bin/chromium.br: run npm install');
    dir = up;
  }
  return { dir, version: JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version };
}

function unbrotli(file: string): Buffer {
  return zlib.brotliDecompressSync(fs.readFileSync(file));
}

function untar(tar: Buffer, into: string): void {
  const r = spawnSync('tar', ['-x', '--no-same-owner', '-C', into], { input: tar, stdio: ['pipe', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`tar -x into ${into} failed: ${r.stderr?.toString().trim() || r.error}`);
}

/** Unpacks the package's Chromium, its libraries and fonts once per version, under the temp folder. */
export function unpackChromium(): Unpacked {
  const { dir: pkg, version } = packageDir();
  const root = path.join(os.tmpdir(), `chatbench-chromium-${process.getuid?.() ?? 'user'}`);
  const dir = path.join(root, version);
  const unpacked: Unpacked = { executable: path.join(dir, 'chromium'), libDir: path.join(dir, 'lib'), fontConfig: path.join(dir, 'fonts.conf') };
  if (fs.existsSync(path.join(dir, '.complete'))) return unpacked;
  fs.mkdirSync(root, { recursive: true, mode: 0o700 });
  const tmp = fs.mkdtempSync(path.join(root, `${version}.tmp-`));
  try {
    fs.writeFileSync(path.join(tmp, 'chromium'), unbrotli(path.join(pkg, 'bin', 'chromium.br')), { mode: 0o755 });
    untar(unbrotli(path.join(pkg, 'bin', 'al2023.tar.br')), tmp); // lib/
    untar(unbrotli(path.join(pkg, 'bin', 'fonts.tar.br')), tmp); // fonts/ (Open Sans)
    // The package's fonts.conf names Lambda's folders; ours names its own fonts and the system's.
    fs.writeFileSync(
      path.join(tmp, 'fonts.conf'),
      `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n  <dir>${path.join(dir, 'fonts')}</dir>\n  <dir>/usr/share/fonts</dir>\n  <cachedir>${path.join(dir, 'fonts-cache')}</cachedir>\n</fontconfig>\n`,
    );
    fs.writeFileSync(path.join(tmp, '.complete'), version);
    try {
      fs.renameSync(tmp, dir);
    } catch (e) {
      // Another run published the same version first: use theirs.
      if (!fs.existsSync(path.join(dir, '.complete'))) throw e;
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return unpacked;
}

export async function launchChromium(): Promise<Browser> {
  const { executable, libDir, fontConfig } = unpackChromium();
  return chromium.launch({
    executablePath: executable,
    headless: true,
    args: CHROMIUM_FLAGS,
    env: { ...process.env, LD_LIBRARY_PATH: [libDir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'), FONTCONFIG_FILE: fontConfig },
  });
}
