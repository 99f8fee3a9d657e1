// Makes a fresh clone runnable: npm dependencies, redis-server (from Debian's packages) when no
// REDIS_URL is set, Debian's chromium for the browser suite, and the compiled build. It uses
// nothing outside Node itself, because it runs before node_modules exists. Each step is skipped
// when already done.
//   node scripts/setup.mjs [--redis] [--chromium] [--build]
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const say = (msg) => process.stderr.write(`setup: ${msg}\n`);

function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { cwd: root, stdio: 'inherit', ...opts });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

function fail(msg) {
  process.stderr.write(`\nsetup: ${msg}\n`);
  process.exit(1);
}

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = 0;
  for (const name of readdirSync(path)) max = Math.max(max, newestMtime(join(path, name)));
  return max;
}

function dependencies() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  say('installing npm dependencies (npm ci)');
  if (run('npm', ['ci', '--no-audit', '--no-fund']) !== 0) fail('npm ci failed; see the output above.');
}

function onPath(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Installs a Debian package as root or through password-less sudo; says what to run otherwise. */
function aptInstall(pkg, why) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const sudo = !isRoot && onPath('sudo') && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
  if (!isRoot && !sudo) {
    fail(`${pkg} is not installed and this user cannot install it. Run:\n\n    sudo apt-get update && sudo apt-get install -y ${pkg}\n\n${why}`);
  }
  if (!onPath('apt-get')) fail(`${pkg} is not installed and apt-get is not available. ${why}`);
  const pre = isRoot ? [] : ['sudo', '-n'];
  say(`installing ${pkg} from Debian packages`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const cmd = (argv) => run(pre[0] ?? argv[0], pre.length ? [...pre.slice(1), ...argv] : argv.slice(1), { env });
  if (cmd(['apt-get', 'update', '-qq']) !== 0 || cmd(['apt-get', 'install', '-y', '-qq', pkg]) !== 0) {
    fail(`installing ${pkg} failed. Run: sudo apt-get update && sudo apt-get install -y ${pkg}`);
  }
}

function redis() {
  if (process.env.REDIS_URL) return;
  if (onPath('redis-server')) return;
  aptInstall('redis-server', 'Or set REDIS_URL to a running Redis (6.2 or newer).');
  if (!onPath('redis-server')) fail('redis-server was installed but is not on PATH (it lives in /usr/bin on Debian).');
}

// The browser suite drives Debian's chromium; nothing downloads a browser build of its own.
// WHOHAD_CHROMIUM names another binary.
function chromium() {
  const path = process.env.WHOHAD_CHROMIUM || '/usr/bin/chromium';
  if (existsSync(path)) return;
  if (process.env.WHOHAD_CHROMIUM) fail(`WHOHAD_CHROMIUM=${path} does not exist.`);
  aptInstall('chromium', 'Or set WHOHAD_CHROMIUM to a Chromium or Chrome binary.');
  if (!existsSync(path)) fail(`chromium was installed but ${path} is not there.`);
}

function build() {
  const built = newestMtime(join(root, 'dist'));
  const sources = Math.max(
    // what the build compiles is what tsconfig.build.json includes: one list of the product's rooms
    ...JSON.parse(readFileSync(join(root, 'tsconfig.build.json'), 'utf8')).include.map((p) => newestMtime(join(root, p.split('/')[0]))),
    newestMtime(join(root, 'tsconfig.json')),
  );
  if (built >= sources && existsSync(join(root, 'dist', 'cli', 'main.js'))) return;
  say('building (tsc)');
  if (run('npm', ['run', '--silent', 'build']) !== 0) fail('the build failed; see the compiler output above.');
}

dependencies();
if (args.has('--redis')) redis();
if (args.has('--chromium')) chromium();
if (args.has('--build')) build();

