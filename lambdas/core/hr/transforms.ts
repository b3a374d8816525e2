/** Value transforms a mapping may apply to an HR cell (config hr.fields.<field>.transform), in order. */
import type { TransformName } from './hr-config';

/** "jOHN o'NEIL-smith" → "John O'Neil-Smith": each word's first letter up, the rest down. */
function titleCase(value: string): string {
  return value.toLowerCase().replace(/(^|[\s'’\-(])(\p{L})/gu, (_, before: string, letter: string) => before + letter.toUpperCase());
}

export const TRANSFORM_FUNCTIONS: Readonly<Record<TransformName, (value: string) => string>> = {
  trim: (value) => value.trim(),
  lower: (value) => value.toLowerCase(),
  upper: (value) => value.toUpperCase(),
  titlecase: titleCase,
  /** Keeps the digits only: "E-00123" → "00123" (employee numbers, phone extensions). */
  digits: (value) => value.replace(/\D+/g, ''),
};

export function applyTransforms(value: string, transforms: readonly TransformName[] | undefined): string {
  let out = value;
  for (const name of transforms ?? []) out = TRANSFORM_FUNCTIONS[name](out);
  return out;
}
