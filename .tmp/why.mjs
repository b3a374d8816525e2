import { build } from 'esbuild';
const [entry, target] = process.argv.slice(2);
const r = await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', target: 'node22', minify: true, write: false, metafile: true, external: ['@aws-sdk/*'], mainFields: ['module','main'], logLevel: 'error' });
const importers = {};
for (const [k, v] of Object.entries(r.metafile.inputs)) for (const i of v.imports) (importers[i.path] ??= []).push(k);
// BFS from entry to target, print path
const keys = Object.keys(r.metafile.inputs);
const t = keys.find(k => k.includes(target));
let path=[t]; let cur=t; const seen=new Set();
while (cur && !cur.endsWith(entry.split('/').pop())) { const p=(importers[cur]||[]).find(x=>!seen.has(x)); if(!p) break; seen.add(p); path.push(p); cur=p; }
console.log(path.join('\n  <- '));
