/** `roster.exempt` patterns: `*` any run of characters, `?` one character, case-insensitive, whole login. */
export function globMatcher(patterns: readonly string[]): (login: string) => boolean {
  if (patterns.length === 0) return () => false;
  const source = patterns
    .map((p) => p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.'))
    .join('|');
  const regex = new RegExp(`^(?:${source})$`, 'i');
  return (login) => regex.test(login);
}
