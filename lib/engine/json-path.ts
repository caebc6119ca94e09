/** JSON paths for messages: "$.steps['engaged?'].next" ↔ ["steps", "engaged?", "next"]. */

/** "$.detail.amount[0]" → ["detail", "amount", 0] */
export function jsonPathToSegments(path: string): (string | number)[] {
  const segments: (string | number)[] = [];
  const re = /\.([^.[\]]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]/g;
  for (const m of path.replace(/^\$/, '').matchAll(re)) {
    if (m[1] !== undefined) segments.push(m[1]);
    else if (m[2] !== undefined) segments.push(Number(m[2]));
    else if (m[3] !== undefined) segments.push(JSON.parse(`"${m[3]}"`) as string);
  }
  return segments;
}

/** ["steps", "engaged?", "next"] → "$.steps["engaged?"].next" — readable JSON paths for messages */
export function segmentsToJsonPath(segments: readonly PropertyKey[]): string {
  let path = '$';
  for (const segment of segments) {
    if (typeof segment === 'number') path += `[${segment}]`;
    else if (typeof segment === 'string' && /^[A-Za-z_$][\w$-]*$/.test(segment)) path += `.${segment}`;
    else path += `[${JSON.stringify(String(segment))}]`;
  }
  return path;
}
