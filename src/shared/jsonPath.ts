/**
 * Minimal dot path into parsed JSON: "a.b.0.c", "items[2].id", "$.data.token".
 * Returns undefined when any step is missing.
 */
export function getPath(value: unknown, path: string): unknown {
  const steps = path
    .replace(/^\$\.?/, '')
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter(Boolean);
  let cur: unknown = value;
  for (const s of steps) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[s];
  }
  return cur;
}

/** getPath() as a string for putting into a URL or header; undefined for objects and missing values. */
export function getPathString(value: unknown, path: string): string | undefined {
  const v = getPath(value, path);
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}
