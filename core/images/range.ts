/**
 * HTTP byte ranges (RFC 9110 §14), for the one case the image service needs: a single
 * range, which is how a node resumes a broken download. Multi-range requests are
 * answered with the whole file (a server MAY ignore Range), which every client handles.
 */

/** Inclusive byte offsets, as in Content-Range and fs.createReadStream. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Parses a Range header against the representation's size.
 * - a range → serve 206 with it (end clamped to the last byte);
 * - 'unsatisfiable' → serve 416 with `Content-Range: bytes *\/size`;
 * - null → no usable Range (absent, not bytes, malformed or multi-range): serve 200.
 */
export function parseRange(header: string | null | undefined, size: number): ByteRange | 'unsatisfiable' | null {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`bad size ${size}`);
  if (header === undefined || header === null) return null;
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match) return null;
  const [, first, last] = match;
  if (first === '' && last === '') return null;

  if (first === '') {
    // Suffix range: the last n bytes.
    const n = Number(last);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return null; // invalid: ignore, per RFC
  if (start >= size) return 'unsatisfiable';
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  return { start, end };
}

/** The Content-Range value of a 206 (a range) or a 416 ('unsatisfiable'). */
export function contentRange(range: ByteRange | 'unsatisfiable', size: number): string {
  if (range === 'unsatisfiable') return `bytes */${size}`;
  return `bytes ${range.start}-${range.end}/${size}`;
}

/** Reads a 206's Content-Range back (the client side); null when absent or malformed. */
export function parseContentRange(value: string | null | undefined): (ByteRange & { size: number | null }) | null {
  if (!value) return null;
  const match = /^\s*bytes\s+(\d+)-(\d+)\/(\d+|\*)\s*$/i.exec(value);
  if (!match) return null;
  const start = Number(match[1]);
  const end = Number(match[2]);
  if (end < start) return null;
  return { start, end, size: match[3] === '*' ? null : Number(match[3]) };
}
