/**
 * Loads the config file the CLI (--config) or the CDK app (-c config=…) names, and resolves
 * csv.headerTemplateFile (relative to the config file) into csv.headerNames, so the Lambdas,
 * which get the config as JSON, need no template file.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { parseConfig, type SyncConfig } from '../../core/config';
import { headerNamesFromTemplate } from '../../core/csv/user-import-format';

export function loadConfigFile(path: string): SyncConfig {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    const why = code === 'ENOENT' ? 'no such file (check the path)' : code === 'EISDIR' ? 'it is a folder, not a file' : (err as Error).message;
    throw new Error(`cannot read the config file ${path}: ${why}`);
  }
  try {
    return parseConfig(JSON.parse(raw));
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`);
  }
}

export function withHeaderTemplate(config: SyncConfig, baseDir: string): SyncConfig {
  const template = config.csv.headerTemplateFile;
  if (!template || config.csv.headerNames) return config;
  const path = isAbsolute(template) ? template : join(baseDir, template);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`csv.headerTemplateFile: cannot read ${path}: ${(err as Error).message}`);
  }
  return { ...config, csv: { ...config.csv, headerNames: headerNamesFromTemplate(text, path) } };
}

export function loadSyncConfig(path: string | undefined): SyncConfig {
  if (!path) return parseConfig({});
  return withHeaderTemplate(loadConfigFile(path), dirname(path));
}
