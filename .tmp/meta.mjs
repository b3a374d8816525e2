import { build } from 'esbuild';
const entry = process.argv[2];
const r = await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', target: 'node22', minify: true, write: false, metafile: true, external: ['@aws-sdk/*'], mainFields: ['module','main'], logLevel: 'error' });
const out = Object.values(r.metafile.outputs)[0];
console.log('total', out.bytes);
const by = {};
for (const [k, v] of Object.entries(out.inputs)) { const g = k.includes('node_modules') ? k.replace(/.*node_modules\/((@[^/]+\/)?[^/]+).*/, 'npm:$1') : k.replace(/\/[^/]+$/, ''); by[g] = (by[g] ?? 0) + v.bytesInOutput; }
for (const [k, v] of Object.entries(by).sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(String(v).padStart(8), k);
