/** The CSV channel: Coupa user-import files to sFTP /Incoming/Users, and their results read back. */
export { deliverCsvBatch, deliverInManagerOrder, inChangeOrder, type CsvBatchDeps } from './batcher';
export { holdForManagers, managerWaitReceives, MIN_CSV_RECEIVE_COUNT } from './manager-order';
export { collectCsvResults, outcomesOf, type CsvResultsDeps, type CsvResultsOptions } from './results';
export { createMemoryManifestStore, type CsvManifest, type CsvManifestRow, type ManifestStore } from './manifest';
export {
  DEFAULT_HEADER_NAMES,
  IMPORT_COLUMNS,
  headerNamesFromTemplate,
  type ImportColumn,
} from './user-import-format';
export { csvHeaderLine, csvDataLine, neutralizeFormula, startsLikeFormula, FORMULA_TRIGGERS } from './csv-writer';
export { toImportRow, type ImportRow } from './user-import-row';
export { planImportFiles, importFileName, fileTimestamp, type PlannedFile, type SplitLimits } from './file-splitter';
