// Asset keys travel as Dagster's *escaped* user strings (`AssetKey.to_escaped_user_string`):
// parts joined by "/", with "\" escaped as "\\" and "/" inside a part as "\/".

/** Split an escaped asset-key string into its parts (inverse of `assetKeyToString`). */
export function assetKeyPath(key: string): string[] {
  // Same rules as dagster_pipes.to_asset_key_path: "\X" is a literal X, unescaped "/" separates.
  const parts: string[] = [];
  let current = '';
  let escapeNext = false;
  for (const char of key) {
    if (escapeNext) {
      current += char;
      escapeNext = false;
    } else if (char === '\\') escapeNext = true;
    else if (char === '/') {
      parts.push(current);
      current = '';
    } else current += char;
  }
  if (current) parts.push(current);
  return parts;
}

/** Join asset-key parts into Dagster's escaped string form. */
export function assetKeyToString(parts: readonly string[]): string {
  return parts.map((part) => part.replaceAll('\\', '\\\\').replaceAll('/', '\\/')).join('/');
}
