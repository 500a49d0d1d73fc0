// Build the dashboard into dist/: the app's own files (src/) and ECharts' prebuilt bundle from
// node_modules. No bundler: the app is plain ES modules. Idempotent: dist/ is made anew each time.
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');
const echarts = join(here, 'node_modules', 'echarts', 'dist', 'echarts.min.js');
if (!existsSync(echarts)) {
  console.error('build-web: node_modules/echarts is missing; run npm ci in web/ first');
  process.exit(1);
}
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
cpSync(join(here, 'src'), dist, { recursive: true });
cpSync(echarts, join(dist, 'echarts.min.js'));
cpSync(join(here, 'node_modules', 'echarts', 'LICENSE'), join(dist, 'echarts.LICENSE.txt'));
const files = readdirSync(dist).sort();
writeFileSync(join(dist, 'build.json'), JSON.stringify({ files }, null, 1) + '\n');
console.log(`build-web: ${files.length} files in ${dist}`);
