// The system packages wrt's tests need beyond Node, each with how to find it and the Debian/Ubuntu
// package that brings it. Shared by `npm run setup` (installs what is missing) and the check that
// `npm test` runs first (names what is missing and stops).
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { delimiter, join } from 'node:path';

const onPath = (bin) => (process.env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, bin)));

function hasLibrary(soname) {
  try {
    return execFileSync('ldconfig', ['-p'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).includes(soname);
  } catch {
    return ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib'].some((d) => existsSync(join(d, soname)));
  }
}

/** `{ pkg, why, present() }`: `pkg` is the apt package, `why` what needs it. */
export const SYSTEM_PACKAGES = [
  {
    pkg: 'chromium',
    why: 'browser-node and browser-SDK tests drive headless Chromium; its SwiftShader Vulkan driver runs the GPU tests without a GPU',
    present: () => existsSync(process.env.WRT_CHROMIUM ?? '/usr/bin/chromium'),
  },
  {
    pkg: 'libvulkan1',
    why: 'the Vulkan loader that Dawn (npm `webgpu`) opens for the GPU tests',
    present: () => hasLibrary('libvulkan.so.1'),
  },
  {
    pkg: 'nats-server',
    why: 'the NATS JetStream connector tests start one on loopback',
    present: () =>
      (!!process.env.WRT_NATS_SERVER && existsSync(process.env.WRT_NATS_SERVER)) ||
      onPath('nats-server') ||
      existsSync('/usr/sbin/nats-server'),
  },
  {
    pkg: 'prometheus',
    why: 'the metrics test starts a Prometheus server that scrapes the head and queries what it stored',
    present: () =>
      (!!process.env.WRT_PROMETHEUS && existsSync(process.env.WRT_PROMETHEUS)) || onPath('prometheus') || existsSync('/usr/bin/prometheus'),
  },
  {
    pkg: 'openjdk-17-jdk-headless',
    why: "Apache Flink, the peer of bench:nexmark --vs-flink and of the test that checks Flink's Nexmark results against wrt's, runs on Java 17",
    present: () => onPath('java') && onPath('javac'),
  },
  {
    pkg: 'maven',
    why: 'builds that Flink peer (bench/peers/flink) from Maven Central',
    present: () => onPath('mvn'),
  },
  {
    pkg: 'flatbuffers-compiler',
    why: '`npm run gen:protocol` (CI checks that the committed generated code is current)',
    present: () => onPath('flatc'),
    optional: true,
  },
];

/** The packages that are missing; `all` includes the optional ones. */
export function missingPackages(all = false) {
  return SYSTEM_PACKAGES.filter((p) => (all || !p.optional) && !p.present());
}
