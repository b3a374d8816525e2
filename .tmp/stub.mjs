import { build } from 'esbuild';
const [entry, ...stubs] = process.argv.slice(2);
const plugin = { name: 'stub', setup(b) { b.onLoad({ filter: /.*/ }, (a) => stubs.some(s => a.path.includes(s)) ? { contents: 'export const renderReportChunks=()=>{};export const REPORT_CONTENT_TYPES={};', loader: 'js' } : undefined); } };
const r = await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', target: 'node22', minify: true, write: false, metafile: true, external: ['@aws-sdk/*'], mainFields: ['module','main'], logLevel: 'error', plugins: [plugin] });
const out = Object.values(r.metafile.outputs)[0];
console.log('total', out.bytes);
